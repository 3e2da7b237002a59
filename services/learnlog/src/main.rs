//! The `learnlog` binary: parses the command line and hands over to the library.

use clap::Parser;

/// mimalloc rather than the system allocator: the fold and sled allocate and free
/// small buffers for every key they touch, where the system allocator took a quarter
/// of the fold's time.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> anyhow::Result<()> {
    let cli = learnlog::cli::Cli::parse();
    learnlog::telemetry::init(&cli.log_format);
    learnlog::run(cli)
}
