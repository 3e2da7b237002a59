//! learnlog as one program: the command line, the wiring of log, projections and API
//! into one process (a *node*), and the operator commands.
//!
//! This crate only assembles parts; what each part means lives in its own crate.

pub mod bench;
pub mod cli;
mod credentials;
pub mod credentials_cli;
pub mod data_format;
pub mod export_cli;
pub mod fit_cli;
pub mod fold_bench;
pub mod frameworks_cli;
pub mod import_cli;
mod key_topic;
pub mod learners_cli;
mod node;
mod ownership;
mod rebuild;
mod route;
mod serve;
pub mod simulation;
pub mod telemetry;
pub mod tenants_cli;

use cli::{Cli, Command};

/// Runs the command the user asked for.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    match cli.command {
        Command::Serve(args) => runtime.block_on(serve::serve(*args)),
        Command::Rebuild(args) => runtime.block_on(rebuild::rebuild(args)),
        Command::Digest(args) => runtime.block_on(rebuild::digest(args)),
        Command::Credentials(args) => credentials_cli::run(args),
        Command::Tenants(args) => tenants_cli::run(args),
        Command::Learners(args) => learners_cli::run(args),
        Command::Frameworks(args) => frameworks_cli::run(args),
        Command::Bench(args) => bench::run(args),
        Command::Fit(args) => fit_cli::run(args),
        Command::Import(args) => import_cli::run(args),
        Command::Export(args) => export_cli::run(args),
    }
}
