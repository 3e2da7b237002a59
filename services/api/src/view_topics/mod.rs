//! Kafka view topics: every change to a learner's mastery, profile or decisions,
//! published on a compacted topic per view (`learnlog.view.*`, keyed by entity, JSON
//! values, a tombstone when an entity's view disappears; `records` says what is
//! published), so that analytics teams rebuild the views with any Kafka client. Runs on
//! Kafka only; each process publishes for the `learner-events` partitions it owns.
//!
//! A publisher's follower lets learner events gather for [`GATHER`] before it reads
//! them, and the publisher appends what the follower sends together as one append,
//! each key's latest record only: on Kafka every partition of an append is a produce
//! request of its own, and publishing each change as it came cost the broker two or
//! three requests per statement beside the statement's own.
//!
//! Publishing is at least once: after a restart or a move of a partition to another
//! process, records since the last saved position (saved at most every
//! [`SAVE_EVERY`]; from the start for a partition this process never published) are
//! published again. Values are whole entities, so compaction and consumers that keep
//! the latest value per key end up with the same view.

mod records;

pub use records::{PublishedView, ViewRecords};

use crate::state::AppState;
use crate::streams::{self, Followed, StreamPosition};
use actix_web::web;
use learnlog_log::{EventLog, Record};
use learnlog_proto::topics;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// How often a publisher saves how far it got.
pub const SAVE_EVERY: Duration = Duration::from_secs(1);
/// Most records gathered into one append.
const APPEND_RECORDS: usize = 500;
/// How long a publisher's follower lets learner events gather before reading them.
pub const GATHER: Duration = Duration::from_millis(100);
/// The longest pause between two changes the follower sends together.
const BURST_GAP: Duration = Duration::from_millis(5);
/// The wait before appending again after a failed append.
const RETRY: Duration = Duration::from_secs(1);

/// Creates the compacted topic of each view, with as many partitions as
/// `learner-events`. Blocking; call it before serving.
pub fn ensure_topics(log: &EventLog, views: &[PublishedView]) -> learnlog_log::Result<()> {
    let partitions = log.partition_count(topics::LEARNER_EVENTS)?;
    for view in views {
        log.ensure_compacted_topic(view.topic(), partitions)?;
    }
    Ok(())
}

/// Publishes `views` for the partitions this process owns, following ownership, until
/// `cancel`.
pub async fn run(
    state: AppState,
    views: Vec<PublishedView>,
    dir: PathBuf,
    cancel: CancellationToken,
) -> std::io::Result<()> {
    std::fs::create_dir_all(&dir)?;
    let partitions = state
        .log
        .partition_count(topics::LEARNER_EVENTS)
        .map_err(std::io::Error::other)?;
    let state = web::Data::new(state);
    let mut owned: Option<BTreeSet<u32>> = None;
    let mut running: Vec<JoinHandle<()>> = Vec::new();
    loop {
        let now_owned: BTreeSet<u32> = match &state.owned {
            Some(owned) => owned.snapshot(),
            None => (0..partitions).collect(),
        };
        if owned.as_ref() != Some(&now_owned) {
            running.drain(..).for_each(|task| task.abort());
            if !now_owned.is_empty() {
                for &view in &views {
                    let path = dir.join(format!("{}.json", view.name()));
                    let source = ViewRecords {
                        view,
                        partitions: now_owned.iter().copied().collect(),
                    };
                    running.push(tokio::spawn(publish(
                        state.clone(),
                        source,
                        path,
                        partitions,
                    )));
                }
            }
            owned = Some(now_owned);
        }
        tokio::select! {
            () = cancel.cancelled() => break,
            () = tokio::time::sleep(Duration::from_secs(1)) => {}
        }
    }
    running.into_iter().for_each(|task| task.abort());
    Ok(())
}

/// The saved position of a view's publisher, or the start.
fn load(path: &Path, partitions: u32) -> StreamPosition {
    let saved: Option<Vec<u64>> = std::fs::read(path)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok());
    match saved {
        Some(offsets) if offsets.len() == partitions as usize => StreamPosition(offsets),
        _ => StreamPosition(vec![0; partitions as usize]),
    }
}

/// Publishes one view's records until the task is aborted.
async fn publish(state: web::Data<AppState>, source: ViewRecords, path: PathBuf, partitions: u32) {
    let view = source.view;
    let mut at = load(&path, partitions);
    let (sink, mut changes) = mpsc::channel(256);
    let _follower = streams::spawn_follower(state.clone(), source, at.clone(), sink);
    let mut saved = Instant::now();
    while let Some(first) = changes.recv().await {
        let mut records: Vec<Record> = Vec::new();
        let mut next = None;
        gather(first, &mut records, &mut next);
        while records.len() < APPEND_RECORDS {
            match tokio::time::timeout(BURST_GAP, changes.recv()).await {
                Ok(Some(followed)) => gather(followed, &mut records, &mut next),
                Ok(None) | Err(_) => break,
            }
        }
        let Some(next) = next else { continue };
        let records = latest_per_key(records);
        while !records.is_empty() {
            match state.log.append(view.topic(), records.clone()).await {
                Ok(_) => break,
                Err(error) => {
                    tracing::warn!(view = view.name(), %error, "view topic: publishing failed; retrying");
                    tokio::time::sleep(RETRY).await;
                }
            }
        }
        // only the partitions followed moved; the others keep what the file said
        at = next;
        if saved.elapsed() >= SAVE_EVERY {
            save(&path, &at);
            saved = Instant::now();
        }
    }
    save(&path, &at);
}

/// Adds what the follower sent to the records to append.
fn gather(
    followed: Followed<Vec<Record>>,
    records: &mut Vec<Record>,
    next: &mut Option<StreamPosition>,
) {
    if let Followed::Event { position, item } = followed {
        records.extend(item);
        *next = Some(position);
    }
}

/// Each key's last record, in the order of those last records: what a compacted topic
/// and a consumer keeping the latest value per key end up with either way.
fn latest_per_key(records: Vec<Record>) -> Vec<Record> {
    let mut seen = std::collections::HashSet::new();
    let mut latest: Vec<Record> = (records.into_iter().rev())
        .filter(|record| seen.insert(record.key.clone()))
        .collect();
    latest.reverse();
    latest
}

fn save(path: &Path, at: &StreamPosition) {
    let bytes = serde_json::to_vec(&at.0).unwrap_or_default();
    if let Err(error) = crate::durable_file::replace(path, &bytes) {
        tracing::error!(path = %path.display(), %error, "view topic: saving the position failed");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(key: &str, value: &str) -> Record {
        Record {
            key: key.as_bytes().to_vec(),
            value: value.as_bytes().to_vec(),
        }
    }

    #[test]
    fn gathered_records_keep_each_keys_last_value_in_the_order_of_the_last_values() {
        let gathered = vec![
            record("a", "1"),
            record("b", "1"),
            record("a", "2"),
            record("c", "1"),
            record("b", ""),
        ];
        assert_eq!(
            latest_per_key(gathered),
            vec![record("a", "2"), record("c", "1"), record("b", "")]
        );
    }
}
