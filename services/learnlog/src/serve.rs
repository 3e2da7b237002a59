//! `learnlog serve`: every role in one process (`--role all`), on the embedded log or on
//! Kafka (`--log kafka://…`); or the projector role (`--role projector`: the partitions
//! its consumer group assigns, and the whole statement store), or the api role (see
//! `route`).
//!
//! Start-up: open the log and projections, start folding, make sure an admin
//! credential exists, bind, then serve. Shut-down on SIGTERM or Ctrl-C: stop
//! accepting and finish in-flight requests, stop the projections after their batch in
//! flight, flush projection state and checkpoints, close the log. A second signal
//! exits at once.

use crate::cli::{Role, ServeArgs};
use crate::credentials;
use crate::data_format::{self, Opening};
use crate::key_topic;
use crate::node::Node;
use crate::ownership;
use anyhow::Context;
use learnlog_api::view_topics::{self, PublishedView};
use learnlog_api::OwnedPartitions;
use learnlog_api::PersonalData;
use learnlog_api::{ApiServer, AppState, ServerOptions};
use learnlog_log::GroupOptions;
use learnlog_mastery::harness::ModelKind;
use learnlog_projector_partitioned::decisions::DecisionReader;
use learnlog_projector_partitioned::documents::DocumentReader;
use learnlog_projector_partitioned::mastery::MasteryReader;
use learnlog_projector_partitioned::profiles::ProfileReader;
use learnlog_projector_replicated::attachments::AttachmentReader;
use learnlog_projector_replicated::catalog::CatalogReader;
use learnlog_projector_replicated::classes::ClassReader;
use learnlog_projector_replicated::credentials::CredentialReader;
use learnlog_projector_replicated::forwardings::ForwardingReader;
use learnlog_projector_replicated::frameworks::FrameworkReader;
use learnlog_projector_replicated::statements::StatementReader;
use learnlog_proto::topics;
use learnlog_xapi::XapiVersion;
use std::io::Write;
use tokio_util::sync::CancellationToken;

/// A projector that stops heartbeating (killed, or stopped for good) loses its
/// partitions after this. It is longer than a restart takes (closing, starting, joining
/// and syncing again), so that a restarted static member finds its place still there.
const GROUP_SESSION_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// How long a graceful stop waits for projections to fold what was acknowledged, and
/// how long a rebalance waits for a released partition's batch in flight.
const SHUTDOWN_DRAIN: std::time::Duration = std::time::Duration::from_secs(30);

pub async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    if args.role == Role::Api {
        return crate::route::serve(args).await;
    }
    if args.role == Role::Projector && args.storage.log_url.is_none() {
        anyhow::bail!(
            "--role projector needs --log kafka://host:port: projectors share a Kafka log's \
             partitions; the embedded log belongs to one process, which runs --role all"
        );
    }
    let default_version = XapiVersion::from_header(&args.default_xapi_version)
        .context("--default-xapi-version must be 1.0.3 or 2.0.0")?;
    let decision_settings = args.decisions.settings(args.storage.mastery_threshold)?;
    let views = published_views(&args)?;
    data_format::check(&args.storage.data_dir, Opening::Serve)?;
    let node = Node::open(&args.storage)?;
    view_topics::ensure_topics(&node.log, &views).context("creating the view topics")?;
    let cancel = CancellationToken::new();
    let (tasks, owned, follower) = match args.role {
        Role::Projector => {
            let group = GroupOptions {
                group: args.group.clone(),
                topic: topics::STATEMENTS.to_owned(),
                session_timeout: GROUP_SESSION_TIMEOUT,
                release_timeout: SHUTDOWN_DRAIN,
                instance: args.group_instance_id.clone(),
            };
            let (member, changes) = node.log.join_group(group).with_context(|| {
                format!(
                    "joining the projector group {} (--role projector needs --log kafka://…)",
                    args.group
                )
            })?;
            let owned = OwnedPartitions::default();
            let follower = tokio::spawn(ownership::follow(
                node.partitioned_work(),
                member,
                changes,
                owned.clone(),
                cancel.clone(),
            ));
            (node.run_replicated(&cancel), Some(owned), Some(follower))
        }
        Role::All | Role::Api => (node.run_projections(&cancel), None, None),
    };
    credentials::ensure_admin(&node, args.admin_credential.as_deref()).await?;
    // on Kafka, keys made or destroyed by other processes reach this one
    let key_follower = (args.storage.log_url.is_some())
        .then(|| tokio::spawn(key_topic::follow(node.keys.clone(), cancel.clone())));

    let listener = std::net::TcpListener::bind(&args.listen)
        .with_context(|| format!("binding {}", args.listen))?;
    listener.set_nonblocking(true)?;
    let address = listener.local_addr()?;
    let state = AppState {
        log: node.log.clone(),
        statement_reader: StatementReader::new(&node.statements, node.keys.clone())?,
        statements: node.statements.clone(),
        credential_reader: CredentialReader::new(&node.credentials)?,
        credentials: node.credentials.clone(),
        attachment_reader: AttachmentReader::new(&node.attachments)?,
        attachments: node.attachments.clone(),
        document_reader: DocumentReader::new(&node.documents)?,
        documents: node.documents.clone(),
        mastery_reader: MasteryReader::new(&node.mastery)?,
        mastery: node.mastery.clone(),
        profile_reader: ProfileReader::new(&node.profiles)?,
        profiles: node.profiles.clone(),
        framework_reader: FrameworkReader::new(&node.frameworks)?,
        frameworks: node.frameworks.clone(),
        decision_reader: DecisionReader::new(&node.decisions)?,
        decisions: node.decisions.clone(),
        class_reader: ClassReader::new(&node.classes)?,
        classes: node.classes.clone(),
        catalog_reader: CatalogReader::new(&node.catalog)?,
        catalog: node.catalog.clone(),
        forwarding_reader: ForwardingReader::new(&node.forwardings)?,
        forwardings: node.forwardings.clone(),
        forwarding_status: Default::default(),
        decision_settings,
        limits: args.limits.limits(),
        disk_space: learnlog_api::DiskSpace::new(
            args.storage.data_dir.clone(),
            args.limits.min_free_disk_bytes,
        ),
        rate_limits: args.limits.rate_limits(),
        statement_claims: Default::default(),
        write_ends: Default::default(),
        slow_verifications: learnlog_api::CredentialRateLimits::new(
            learnlog_api::SLOW_VERIFICATIONS_PER_SECOND,
            learnlog_api::SLOW_VERIFICATIONS_BURST,
        ),
        tenant_creation: Default::default(),
        same_secret_turns: Default::default(),
        authority_home_page: args
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{address}")),
        default_version,
        version_memory: Default::default(),
        owned: owned.clone(),
        personal_data: node.seals.then(|| PersonalData {
            keys: node.keys.clone(),
            repartitioner: node.repartitioner.clone(),
        }),
    };
    let options = ServerOptions {
        workers: args.workers,
        max_connections: args.limits.max_connections as usize,
        ..ServerOptions::default()
    };
    let scheduled_fits = (args.fit_every_hours > 0.0).then(|| {
        let every = std::time::Duration::from_secs_f64(args.fit_every_hours * 3_600.0);
        tokio::spawn(fit_on_schedule(state.clone(), every, cancel.clone()))
    });
    let forwarding = tokio::spawn({
        let dir = args.storage.data_dir.join("forwarding");
        learnlog_api::forwarding::run(
            state.clone(),
            dir,
            state.forwarding_status.clone(),
            cancel.clone(),
        )
    });
    let publishing = tokio::spawn(view_topics::run(
        state.clone(),
        views,
        args.storage.data_dir.join("view-topics"),
        cancel.clone(),
    ));
    let server = ApiServer::build(state, listener, &options)?;
    let handle = server.handle();
    tracing::info!(%address, data_dir = %args.storage.data_dir.display(),
        log = %Node::log_description(&args.storage), "listening");
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
    let drained = owned.as_ref().map(OwnedPartitions::snapshot);
    if let Err(error) = node.drain(drained.as_ref(), SHUTDOWN_DRAIN).await {
        tracing::warn!(error = %format!("{error:#}"), "stopping before projections caught up; they resume at the next start");
    }
    cancel.cancel();
    forwarding
        .await
        .context("forwarding task")?
        .context("forwarding statements")?;
    publishing
        .await
        .context("view topics task")?
        .context("publishing view topics")?;
    if let Some(fits) = scheduled_fits {
        fits.await.context("scheduled fits")?;
    }
    if let Some(follower) = follower {
        follower.await.context("the partition owner")?;
    }
    if let Some(key_follower) = key_follower {
        key_follower.await.context("the learner-keys follower")?;
    }
    node.shut_down(tasks).await?;
    // each database closes, and releases its lock, with its last handle: once
    // "stopped" is logged, another process may open the data directory
    drop(node);
    tracing::info!("stopped");
    Ok(())
}

/// The views `--view-topics` names: none on the embedded log, which has no compaction.
fn published_views(args: &ServeArgs) -> anyhow::Result<Vec<PublishedView>> {
    if args.storage.log_url.is_none() || args.view_topics == "none" {
        return Ok(Vec::new());
    }
    let mut views: Vec<PublishedView> = (args.view_topics.split(','))
        .map(|name| {
            PublishedView::parse(name.trim()).with_context(|| {
                format!("--view-topics: {name:?} is not mastery, profiles, decisions or none")
            })
        })
        .collect::<anyhow::Result<_>>()?;
    views.sort();
    views.dedup();
    Ok(views)
}

/// Every `every`, fits and publishes the irt-forget model of each tenant that has a
/// credential (tenants without evidence are skipped), until `cancel` fires.
async fn fit_on_schedule(state: AppState, every: std::time::Duration, cancel: CancellationToken) {
    loop {
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = tokio::time::sleep(every) => {}
        }
        if !state.owns(0) {
            // Projectors: one fits for all, the owner of partition 0.
            continue;
        }
        let tenants: std::collections::BTreeSet<String> = match state.credential_reader.list() {
            Ok(credentials) => credentials.into_iter().map(|c| c.tenant).collect(),
            Err(error) => {
                tracing::error!(%error, "scheduled fit: listing tenants failed");
                continue;
            }
        };
        for tenant in tenants {
            let fitted = learnlog_fitting::fit_and_publish(
                state.fit_target(),
                &tenant,
                ModelKind::IrtForget,
            );
            match fitted.await {
                Ok(report) => tracing::info!(%tenant, model_id = %report.model_id,
                    responses = report.responses, seconds = report.fit_seconds, "scheduled fit published"),
                Err(reason @ learnlog_fitting::Error::NoEvidence) => {
                    tracing::info!(%tenant, %reason, "scheduled fit skipped")
                }
                Err(error) => tracing::error!(%tenant, %error, "scheduled fit failed"),
            }
        }
    }
}

/// Resolves on SIGTERM or SIGINT.
pub(crate) async fn wait_for_signal() -> anyhow::Result<()> {
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        _ = terminate.recv() => {}
        result = tokio::signal::ctrl_c() => result?,
    }
    Ok(())
}
