//! Folding one partition: reading batches from the log and committing each, with the
//! checkpoint and outcomes, in one sled transaction.

use crate::checkpoint::{self, OUTCOME_RETENTION};
use crate::fold::{FoldError, FoldTrees};
use crate::metrics;
use crate::runtime::{Inner, RUNTIME_TREES};
use crate::{Error, Result};
use learnlog_log::StoredRecord;
use learnlog_proto::v1::Envelope;
use learnlog_proto::Message;
use sled::transaction::{ConflictableTransactionError, Transactional};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

impl Inner {
    /// Folds `records` (consecutive, starting at the checkpoint) in one transaction
    /// with the new checkpoint. Returns the next offset to fold.
    pub(crate) fn commit_batch(
        &self,
        topic: &str,
        partition: u32,
        records: &[StoredRecord],
    ) -> Result<u64> {
        let name = self.fold.name();
        let envelopes: Vec<Option<Envelope>> = records
            .iter()
            .map(|record| match Envelope::decode(record.value.as_slice()) {
                Ok(envelope) => Some(envelope),
                Err(error) => {
                    tracing::warn!(projection = name, topic, partition, offset = record.offset, %error, "undecodable event skipped");
                    None
                }
            })
            .collect();
        let rejected = std::cell::Cell::new(0u64);
        let key = checkpoint::partition_key(topic, partition);
        let Some(last) = records.last() else {
            return Ok(*self.progress(topic, partition)?.folded.borrow());
        };
        let next = last.offset + 1;
        let last_time = envelopes
            .iter()
            .flatten()
            .last()
            .map(|e| e.produced_at_micros);

        let committed = self.trees.as_slice().transaction(|trees| {
            rejected.set(0);
            let fold_trees = FoldTrees::new(self.fold.trees(), &trees[RUNTIME_TREES..]);
            for (record, envelope) in records.iter().zip(&envelopes) {
                let Some(envelope) = envelope else { continue };
                match self.fold.apply(&fold_trees, topic, partition, record.offset, envelope) {
                    Ok(folded) => {
                        if let Some(outcome) = folded.outcome {
                            let at = checkpoint::outcome_key(topic, partition, record.offset);
                            trees[1].insert(at, outcome)?;
                        }
                    }
                    Err(FoldError::BadEvent(reason)) => {
                        rejected.set(rejected.get() + 1);
                        tracing::warn!(projection = name, topic, partition, offset = record.offset, %reason, "event rejected by fold");
                    }
                    Err(FoldError::Store(error)) => return Err(error.into()),
                }
                if let Some(expired) = record.offset.checked_sub(OUTCOME_RETENTION) {
                    trees[1].remove(checkpoint::outcome_key(topic, partition, expired))?;
                }
            }
            trees[0].insert(key.as_slice(), &next.to_be_bytes())?;
            if let Some(time) = last_time {
                trees[2].insert(key.as_slice(), &time.to_be_bytes())?;
            }
            Ok::<_, ConflictableTransactionError<()>>(())
        });
        committed.map_err(|error| match error {
            sled::transaction::TransactionError::Storage(error) => Error::Store(error),
            sled::transaction::TransactionError::Abort(()) => Error::Task("fold aborted".into()),
        })?;

        let undecodable = envelopes.iter().filter(|e| e.is_none()).count() as u64;
        let skipped = undecodable + rejected.get();
        let folded = records.len() as u64 - skipped;
        metrics::EVENTS_FOLDED
            .with_label_values(&[name, topic])
            .inc_by(folded);
        if skipped > 0 {
            metrics::EVENTS_SKIPPED
                .with_label_values(&[name, topic])
                .inc_by(skipped);
        }
        let progress = self.progress(topic, partition)?;
        if let Some(time) = last_time {
            progress.last_event_micros.store(time, Ordering::Release);
        }
        progress.folded.send_replace(next);
        Ok(next)
    }
}

/// Folds one partition until cancelled. Log or store failures are logged and retried
/// after a pause: a projection never gives up on its partition.
pub(crate) async fn fold_partition(
    inner: Arc<Inner>,
    topic: &'static str,
    partition: u32,
    cancel: CancellationToken,
) {
    let name = inner.fold.name();
    let partition_label = partition.to_string();
    let lag = metrics::LAG.with_label_values(&[name, topic, &partition_label]);
    let batch_seconds = metrics::BATCH_SECONDS.with_label_values(&[name]);
    let mut next = inner
        .progress(topic, partition)
        .map(|p| *p.folded.borrow())
        .unwrap_or(0);
    let set_failure = |failure: Option<String>| {
        if let Ok(progress) = inner.progress(topic, partition) {
            *progress
                .failure
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner()) = failure;
        }
    };
    while !cancel.is_cancelled() {
        let options = &inner.options;
        let step = async {
            let records = inner
                .log
                .read(
                    topic,
                    partition,
                    next,
                    options.batch_records,
                    options.batch_bytes,
                )
                .await?;
            if records.is_empty() {
                inner
                    .log
                    .wait_for_offset(topic, partition, next, options.idle_poll)
                    .await?;
                return Ok::<_, Error>(next);
            }
            let timer = batch_seconds.start_timer();
            let batch_inner = inner.clone();
            let folded = tokio::task::spawn_blocking(move || {
                batch_inner.commit_batch(topic, partition, &records)
            })
            .await
            .map_err(|error| Error::Task(error.to_string()))??;
            timer.observe_duration();
            Ok(folded)
        };
        // A batch in flight finishes before cancellation is honoured: `step` is only
        // interrupted while it waits for new events.
        match step.await {
            Ok(folded) => {
                next = folded;
                // a caught-up step can succeed from what was already fetched while the
                // log is away; asking for the end tells whether it can be reached
                match inner.log.high_watermark(topic, partition) {
                    Ok(end) => {
                        set_failure(None);
                        lag.set(end.saturating_sub(next) as i64);
                    }
                    Err(error) => set_failure(Some(error.to_string())),
                }
            }
            Err(error) => {
                tracing::error!(projection = name, topic, partition, %error, "folding failed; retrying");
                set_failure(Some(error.to_string()));
                tokio::select! {
                    _ = cancel.cancelled() => {}
                    _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                }
            }
        }
    }
    // Stopped (shutdown, or the partition was given to another process): neither a
    // failure nor a lag of this process any more.
    set_failure(None);
    let _ = metrics::LAG.remove_label_values(&[name, topic, &partition_label]);
}
