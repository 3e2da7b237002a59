//! `learnlog serve`: every role in one process on the embedded log.
//!
//! Start-up: open the log and projections, start folding, make sure an admin
//! credential exists, bind, then serve. Shut-down on SIGTERM or Ctrl-C: stop
//! accepting and finish in-flight requests, stop the projections after their batch in
//! flight, flush projection state and checkpoints, close the log. A second signal
//! exits at once.

use crate::cli::ServeArgs;
use crate::credentials;
use crate::node::Node;
use anyhow::Context;
use learnlog_api::{ApiServer, AppState, Limits, ServerOptions};
use learnlog_projector::attachments::AttachmentReader;
use learnlog_projector::credentials::CredentialReader;
use learnlog_projector::documents::DocumentReader;
use learnlog_projector::frameworks::FrameworkReader;
use learnlog_projector::statements::StatementReader;
use learnlog_xapi::XapiVersion;
use std::io::Write;
use tokio_util::sync::CancellationToken;

pub async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let default_version = XapiVersion::from_header(&args.default_xapi_version)
        .context("--default-xapi-version must be 1.0.3 or 2.0.0")?;
    let node = Node::open(&args.storage)?;
    let cancel = CancellationToken::new();
    let tasks = node.run_projections(&cancel);
    credentials::ensure_admin(&node, args.admin_credential.as_deref()).await?;

    let listener = std::net::TcpListener::bind(&args.listen)
        .with_context(|| format!("binding {}", args.listen))?;
    listener.set_nonblocking(true)?;
    let address = listener.local_addr()?;
    let state = AppState {
        log: node.log.clone(),
        statement_reader: StatementReader::new(node.statements.db())?,
        statements: node.statements.clone(),
        credential_reader: CredentialReader::new(node.credentials.db())?,
        credentials: node.credentials.clone(),
        attachment_reader: AttachmentReader::new(node.attachments.db())?,
        attachments: node.attachments.clone(),
        document_reader: DocumentReader::new(node.documents.db())?,
        documents: node.documents.clone(),
        framework_reader: FrameworkReader::new(node.frameworks.db())?,
        frameworks: node.frameworks.clone(),
        limits: Limits {
            max_body_bytes: args.max_body_bytes,
            max_batch_statements: args.max_batch,
            ..Limits::default()
        },
        authority_home_page: args
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{address}")),
        default_version,
        version_memory: Default::default(),
    };
    let options = ServerOptions {
        workers: args.workers,
        ..ServerOptions::default()
    };
    let server = ApiServer::build(state, listener, &options)?;
    let handle = server.handle();
    tracing::info!(%address, data_dir = %args.storage.data_dir.display(), "listening");
    // Scripts and tests read the bound address from this line.
    println!("learnlog listening on http://{address}");
    std::io::stdout().flush()?;
    let serving = tokio::spawn(server.run_until_stopped());

    wait_for_signal().await?;
    tracing::info!("stopping: finishing in-flight requests");
    tokio::spawn(async {
        if wait_for_signal().await.is_ok() {
            tracing::warn!("second signal: exiting at once");
            std::process::exit(130);
        }
    });
    handle.stop(true).await;
    serving.await.context("server task")??;
    cancel.cancel();
    node.shut_down(tasks).await?;
    tracing::info!("stopped");
    Ok(())
}

/// Resolves on SIGTERM or SIGINT.
async fn wait_for_signal() -> anyhow::Result<()> {
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        _ = terminate.recv() => {}
        result = tokio::signal::ctrl_c() => result?,
    }
    Ok(())
}
