//! Statement forwarding: delivers every statement a tenant stores that passes a
//! forwarding's filter to its target (another LRS, a webhook), at least once, in log
//! order per partition of the statements topic, resuming after a restart from its own
//! progress file. Definitions come from the `forwardings` projection (see
//! `routes::forwardings`); one process delivers them all: the owner of partition 0 (every
//! process on the embedded log), like the scheduled fits.
//!
//! A delivery that fails is retried with backoff ([`FIRST_RETRY`] doubling to
//! [`LAST_RETRY`]) until it succeeds or the forwarding is removed; the statements behind
//! it wait, so the order holds. A target that refuses a statement for good stalls its
//! forwarding, visible in `GET /v1/forwardings/{id}` and in `/metrics`.

mod progress;
mod status;
mod target;

pub use progress::{Progress, ProgressFiles};
pub use status::{DeliveryStatus, StatusBoard};

use crate::state::AppState;
use crate::streams::{self, Followed, SseEvent, StatementFilter, StatementSource, StreamPosition};
use actix_web::web;
use learnlog_projector_replicated::forwardings::Forwarding;
use learnlog_proto::topics;
use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;
use target::{Outgoing, XapiLine};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// Most statements sent in one request.
pub const BATCH: usize = 100;
/// The wait before the first retry of a failed delivery.
pub const FIRST_RETRY: Duration = Duration::from_millis(500);
/// The longest wait between retries.
pub const LAST_RETRY: Duration = Duration::from_secs(30);
/// How often definitions and ownership are looked at again when nothing changes.
const RECONCILE_EVERY: Duration = Duration::from_secs(1);

/// A running delivery: which version of the definition it runs, and its task.
struct Running {
    updated_micros: i64,
    task: JoinHandle<()>,
}

/// Delivers every forwarding while this process owns partition 0, until `cancel`.
pub async fn run(
    state: AppState,
    dir: PathBuf,
    board: StatusBoard,
    cancel: CancellationToken,
) -> std::io::Result<()> {
    let files = ProgressFiles::open(&dir)?;
    let client = reqwest::Client::builder()
        .build()
        .map_err(std::io::Error::other)?;
    let state = web::Data::new(state);
    let mut running: HashMap<(String, String), Running> = HashMap::new();
    let mut seen_definitions = 0;
    loop {
        let wanted = if state.owns(0) {
            match state.forwarding_reader.all() {
                Ok(all) => Some(all),
                Err(error) => {
                    tracing::error!(%error, "forwarding: reading the definitions failed");
                    None
                }
            }
        } else {
            Some(Vec::new())
        };
        if let Some(wanted) = wanted {
            let keys: Vec<(String, String)> = (wanted.iter())
                .map(|(t, f)| (t.clone(), f.id.clone()))
                .collect();
            running.retain(|key, delivery| {
                let kept = keys.contains(key);
                if !kept {
                    delivery.task.abort();
                    board.remove(&key.0, &key.1);
                    if state.owns(0) {
                        files.forget(&key.0, &key.1);
                    }
                }
                kept
            });
            for (tenant, forwarding) in wanted {
                let key = (tenant.clone(), forwarding.id.clone());
                if let Some(delivery) = running.get(&key) {
                    if delivery.updated_micros == forwarding.updated_micros {
                        continue;
                    }
                    delivery.task.abort();
                }
                let updated_micros = forwarding.updated_micros;
                let task = tokio::spawn(deliver(
                    state.clone(),
                    files.clone(),
                    board.clone(),
                    client.clone(),
                    tenant,
                    forwarding,
                ));
                running.insert(
                    key,
                    Running {
                        updated_micros,
                        task,
                    },
                );
            }
        }
        let changed = state.forwardings.wait_folded(
            topics::FORWARDINGS,
            0,
            seen_definitions,
            RECONCILE_EVERY,
        );
        tokio::select! {
            () = cancel.cancelled() => break,
            waited = changed => {
                if waited.is_ok() {
                    seen_definitions =
                        state.forwardings.folded(topics::FORWARDINGS, 0).unwrap_or(seen_definitions);
                } else {
                    // nothing new within the wait (or not readable): look again later
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }
    }
    for (_, delivery) in running {
        delivery.task.abort();
    }
    Ok(())
}

/// Where `forwarding` resumes: its progress, else where it was created to start.
fn resume_at(files: &ProgressFiles, tenant: &str, forwarding: &Forwarding) -> Progress {
    files
        .load(tenant, &forwarding.id, forwarding.created_micros)
        .unwrap_or_else(|| Progress {
            created_micros: forwarding.created_micros,
            position: forwarding.start.clone(),
            delivered: 0,
        })
}

/// Records behind the end of the statements topic from `at`, summed over partitions
/// (0 while the log's ends cannot be asked).
async fn lag(state: &AppState, at: &StreamPosition) -> u64 {
    let Ok(ends) = state.log.ask_high_watermarks(topics::STATEMENTS).await else {
        return 0;
    };
    (at.0.iter().zip(ends))
        .map(|(next, end)| end.saturating_sub(*next))
        .sum()
}

/// Delivers one forwarding until its task is aborted.
async fn deliver(
    state: web::Data<AppState>,
    files: ProgressFiles,
    board: StatusBoard,
    client: reqwest::Client,
    tenant: String,
    forwarding: Forwarding,
) {
    let id = forwarding.id.clone();
    let mut progress = resume_at(&files, &tenant, &forwarding);
    let partitions = state.log.partition_count(topics::STATEMENTS).unwrap_or(0) as usize;
    if progress.position.len() != partitions {
        tracing::error!(%tenant, forwarding = %id, "forwarding: its position does not match the statements topic's partitions; not delivering");
        return;
    }
    let filter = StatementFilter {
        tenant: tenant.clone(),
        learners: forwarding.filter.learner.map(|learner| vec![learner]),
        verb: forwarding.filter.verb.clone(),
        activity: forwarding.filter.activity.clone(),
    };
    let (sink, mut events) = mpsc::channel(2 * BATCH);
    let _follower =
        streams::spawn_follower(state.clone(), StatementSource(filter), progress.at(), sink);
    let metrics = status::Metrics::of(&tenant, &id);
    board.update(&tenant, &id, |s| {
        s.position = progress.at().to_string();
        s.delivered = progress.delivered;
    });
    let mut batch: Vec<Outgoing> = Vec::with_capacity(BATCH);
    let mut last: Option<StreamPosition> = None;
    while let Some(first) = events.recv().await {
        take(first, &mut batch, &mut last);
        while batch.len() < BATCH {
            match events.try_recv() {
                Ok(next) => take(next, &mut batch, &mut last),
                Err(_) => break,
            }
        }
        let Some(at) = last.take() else {
            // quiet: only the lag moved
            let behind = lag(&state, &progress.at()).await;
            metrics.lag.set(behind as i64);
            board.update(&tenant, &id, |s| s.lag = behind);
            continue;
        };
        let mut wait = FIRST_RETRY;
        while let Err(error) = target::send(&client, &forwarding.target, &batch).await {
            tracing::warn!(%tenant, forwarding = %id, %error, retry_in = ?wait, "forwarding: delivery failed");
            metrics.failures.inc();
            board.update(&tenant, &id, |s| {
                s.failures += 1;
                s.last_error = Some(error.clone());
            });
            tokio::time::sleep(wait).await;
            wait = (wait * 2).min(LAST_RETRY);
        }
        progress.delivered += batch.len() as u64;
        progress.position = at.0.clone();
        if let Err(error) = files.save(&tenant, &id, &progress) {
            tracing::error!(%tenant, forwarding = %id, %error, "forwarding: saving progress failed");
        }
        metrics.delivered.inc_by(batch.len() as u64);
        let behind = lag(&state, &at).await;
        metrics.lag.set(behind as i64);
        board.update(&tenant, &id, |s| {
            s.position = at.to_string();
            s.delivered = progress.delivered;
            s.lag = behind;
            s.last_error = None;
            s.last_delivered_micros = Some(chrono::Utc::now().timestamp_micros());
        });
        batch.clear();
    }
}

/// Adds an event of the follower to the batch being gathered.
fn take(
    followed: Followed<SseEvent>,
    batch: &mut Vec<Outgoing>,
    last: &mut Option<StreamPosition>,
) {
    if let Followed::Event {
        position,
        item: (_, data),
    } = followed
    {
        batch.push(Outgoing {
            version: XapiLine::of(&data),
            json: data,
        });
        *last = Some(position);
    }
}
