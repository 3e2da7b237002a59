//! The `learnlog` binary: parses the command line and hands over to the library.

use clap::Parser;

fn main() -> anyhow::Result<()> {
    let cli = learnlog::cli::Cli::parse();
    learnlog::telemetry::init(&cli.log_format);
    learnlog::run(cli)
}
