//! `learnlog serve --role api`: the router in front of the projectors (the
//! `learnlog-router` crate). It keeps no state and opens no log: where the projectors
//! are comes from `--projectors`, what each owns from the projectors themselves.

use crate::cli::ServeArgs;
use anyhow::Context;
use learnlog_router::{Directory, RouterOptions, RouterServer};
use std::io::Write;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// How often the projectors are asked what they own.
const LOOK_EVERY: Duration = Duration::from_secs(1);
/// How long a request may wait for a partition's owner (a killed projector's
/// partitions move after the group's session timeout, 10 s, and a rebalance).
const OWNER_WAIT: Duration = Duration::from_secs(30);

pub async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(120))
        // Below the projectors' keep-alive (5 s), so a request never goes out on a
        // pooled connection the projector is closing at that moment.
        .pool_idle_timeout(Duration::from_secs(2))
        .build()
        .context("building the HTTP client")?;
    let directory = Directory::new(&args.projectors, client.clone()).map_err(anyhow::Error::msg)?;
    let cancel = CancellationToken::new();
    let looking = tokio::spawn(directory.clone().run(LOOK_EVERY, cancel.clone()));
    let listener = std::net::TcpListener::bind(&args.listen)
        .with_context(|| format!("binding {}", args.listen))?;
    listener.set_nonblocking(true)?;
    // The limits on statements, JSON, attachments, heads and rates are the projectors':
    // they parse and authenticate what the router forwards.
    let options = RouterOptions {
        max_body_bytes: args.limits.max_body_bytes,
        wait: OWNER_WAIT,
        workers: args.workers,
        max_connections_per_worker: learnlog_api::connections_per_worker(
            args.limits.max_connections as usize,
            args.workers,
        ),
    };
    let server = RouterServer::build(directory, client, options, listener)?;
    let address = server.address();
    let handle = server.handle();
    tracing::info!(%address, projectors = ?args.projectors, "routing to projectors");
    // Scripts and tests read the bound address from this line.
    println!("learnlog listening on http://{address}");
    std::io::stdout().flush()?;
    let serving = tokio::spawn(server.run_until_stopped());
    crate::serve::wait_for_signal().await?;
    tracing::info!("stopping: finishing in-flight requests");
    handle.stop(true).await;
    serving.await.context("server task")??;
    cancel.cancel();
    looking.await.context("the projector directory")?;
    tracing::info!("stopped");
    Ok(())
}
