//! Folding one partition: reading batches from the log and committing each, with the
//! checkpoint and outcomes, in one sled transaction; a batch that changed nothing
//! commits nothing until its checkpoint is due.

use crate::checkpoint::{self, OUTCOME_RETENTION};
use crate::fold::{FoldError, FoldTrees};
use crate::metrics;
use crate::runtime::{Inner, ProjectionOptions, RUNTIME_TREES};
use crate::{Error, Result};
use learnlog_log::StoredRecord;
use learnlog_proto::v1::Envelope;
use learnlog_proto::Message;
use sled::transaction::{ConflictableTransactionError, TransactionError, Transactional};
use std::cell::Cell;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

/// Batches up to this many events are decoded on the folding task itself.
const DECODE_INLINE: usize = 64;

/// Why a batch's transaction ended without committing.
enum Unchanged {
    /// No event of the batch wrote anything, and its checkpoint may wait.
    Nothing,
}

/// The checkpoint of one partition as the folding task tracks it.
#[derive(Clone, Copy)]
pub(crate) struct Checkpoint {
    /// The next offset to fold: everything before it is folded.
    next: u64,
    /// The checkpoint last written to the store (`next` of the last commit).
    written: u64,
    written_at: Instant,
    /// Produced-at (µs) of the last folded event, when not yet written.
    unwritten_time: Option<i64>,
}

impl Checkpoint {
    /// Whether a checkpoint at `next` must be written even if nothing else is.
    fn due(&self, next: u64, options: &ProjectionOptions) -> bool {
        next > self.written
            && (next - self.written >= options.checkpoint_every_events
                || self.written_at.elapsed() >= options.checkpoint_every)
    }

    fn written(&mut self) {
        self.written = self.next;
        self.written_at = Instant::now();
        self.unwritten_time = None;
    }
}

/// One event of a batch, decoded once.
pub(crate) struct Decoded {
    offset: u64,
    /// `None` when the record is not an event (undecodable): skipped and counted.
    envelope: Option<Envelope>,
}

/// A batch read from one partition: consecutive events starting at the checkpoint.
pub(crate) struct Batch {
    events: Vec<Decoded>,
    /// Whether any event is one the fold reads ([`crate::Fold::wants`]).
    wanted: bool,
    /// Whether an outcome falls out of retention in this batch.
    expiring: bool,
}

impl Batch {
    fn next(&self) -> u64 {
        self.events.last().map_or(0, |event| event.offset + 1)
    }

    fn last_time(&self) -> Option<i64> {
        self.events
            .iter()
            .rev()
            .find_map(|event| event.envelope.as_ref())
            .map(|envelope| envelope.produced_at_micros)
    }

    fn undecodable(&self) -> u64 {
        self.events.iter().filter(|e| e.envelope.is_none()).count() as u64
    }
}

impl Inner {
    /// Decodes `records` (consecutive, non-empty) and notes what folding them involves.
    pub(crate) fn batch(
        &self,
        topic: &str,
        partition: u32,
        records: Vec<StoredRecord>,
    ) -> Result<Batch> {
        let name = self.fold.name();
        let events: Vec<Decoded> = records
            .into_iter()
            .map(|record| Decoded {
                offset: record.offset,
                envelope: match Envelope::decode(record.value.as_slice()) {
                    Ok(envelope) => Some(envelope),
                    Err(error) => {
                        tracing::warn!(projection = name, topic, partition, offset = record.offset, %error, "undecodable event skipped");
                        None
                    }
                },
            })
            .collect();
        let wanted = events
            .iter()
            .filter_map(|event| event.envelope.as_ref())
            .any(|envelope| self.fold.wants(envelope));
        let expiring = match (events.first(), events.last()) {
            (Some(first), Some(last)) if last.offset >= OUTCOME_RETENTION => {
                let from = first.offset.saturating_sub(OUTCOME_RETENTION);
                let to = last.offset - OUTCOME_RETENTION;
                let range = checkpoint::outcome_key(topic, partition, from)
                    ..=checkpoint::outcome_key(topic, partition, to);
                self.trees[1].range(range).next().transpose()?.is_some()
            }
            _ => false,
        };
        Ok(Batch {
            events,
            wanted,
            expiring,
        })
    }

    /// Whether `batch` can be folded without touching the store: no event the fold
    /// wants, no outcome to expire, no checkpoint due.
    pub(crate) fn passes_by(&self, batch: &Batch, checkpoint: &Checkpoint) -> bool {
        !batch.wanted && !batch.expiring && !checkpoint.due(batch.next(), &self.options)
    }

    /// Folds `batch` in one transaction with the new checkpoint. A batch whose events
    /// wrote nothing commits nothing until its checkpoint is due
    /// ([`ProjectionOptions::checkpoint_every`]): a projection that reads every event of
    /// a topic but keeps few pays per event only its reads, not a commit per batch.
    pub(crate) fn commit_batch(
        &self,
        topic: &str,
        partition: u32,
        batch: &Batch,
        checkpoint: &mut Checkpoint,
    ) -> Result<()> {
        let name = self.fold.name();
        let rejected = Cell::new(0u64);
        let wrote = Cell::new(false);
        let key = checkpoint::partition_key(topic, partition);
        let next = batch.next();
        let last_time = batch.last_time().or(checkpoint.unwritten_time);
        let may_skip = !checkpoint.due(next, &self.options);

        let committed = self.trees.as_slice().transaction(|trees| {
            rejected.set(0);
            wrote.set(false);
            let fold_trees = FoldTrees::new(self.fold.trees(), &trees[RUNTIME_TREES..], &wrote);
            for event in &batch.events {
                let offset = event.offset;
                let wanted = event.envelope.as_ref().filter(|e| self.fold.wants(e));
                if let Some(envelope) = wanted {
                    match self.fold.apply(&fold_trees, topic, partition, offset, envelope) {
                        Ok(folded) => {
                            if let Some(outcome) = folded.outcome {
                                let at = checkpoint::outcome_key(topic, partition, offset);
                                trees[1].insert(at, outcome)?;
                                wrote.set(true);
                            }
                        }
                        Err(FoldError::BadEvent(reason)) => {
                            rejected.set(rejected.get() + 1);
                            tracing::warn!(projection = name, topic, partition, offset, %reason, "event rejected by fold");
                        }
                        Err(FoldError::Store(error)) => return Err(error.into()),
                    }
                }
                if batch.expiring {
                    if let Some(expired) = offset.checked_sub(OUTCOME_RETENTION) {
                        let expired = checkpoint::outcome_key(topic, partition, expired);
                        if trees[1].remove(expired)?.is_some() {
                            wrote.set(true);
                        }
                    }
                }
            }
            if may_skip && !wrote.get() {
                return Err(ConflictableTransactionError::Abort(Unchanged::Nothing));
            }
            trees[0].insert(key.as_slice(), &next.to_be_bytes())?;
            if let Some(time) = last_time {
                trees[2].insert(key.as_slice(), &time.to_be_bytes())?;
            }
            Ok(())
        });
        let written = match committed {
            Ok(()) => true,
            Err(TransactionError::Abort(Unchanged::Nothing)) => false,
            Err(TransactionError::Storage(error)) => return Err(Error::Store(error)),
        };
        self.folded(topic, partition, batch, rejected.get(), checkpoint, written)
    }

    /// Folds `batch`: passed by when it needs the store for nothing
    /// ([`Inner::passes_by`]), committed otherwise.
    pub(crate) fn fold_batch(
        &self,
        topic: &str,
        partition: u32,
        batch: &Batch,
        checkpoint: &mut Checkpoint,
    ) -> Result<()> {
        if self.passes_by(batch, checkpoint) {
            self.folded(topic, partition, batch, 0, checkpoint, false)
        } else {
            self.commit_batch(topic, partition, batch, checkpoint)
        }
    }

    /// Records that `batch` is folded: the checkpoint (written or not), metrics, and
    /// the position waiters watch.
    fn folded(
        &self,
        topic: &str,
        partition: u32,
        batch: &Batch,
        rejected: u64,
        checkpoint: &mut Checkpoint,
        written: bool,
    ) -> Result<()> {
        let name = self.fold.name();
        let next = batch.next();
        let last_time = batch.last_time().or(checkpoint.unwritten_time);
        checkpoint.next = next;
        if written {
            checkpoint.written();
        } else {
            checkpoint.unwritten_time = last_time;
        }
        let skipped = batch.undecodable() + rejected;
        let folded = batch.events.len() as u64 - skipped;
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
        Ok(())
    }

    /// Writes the checkpoint of a partition whose last batches changed nothing, so a
    /// restart does not re-read them.
    fn write_checkpoint(
        &self,
        topic: &str,
        partition: u32,
        checkpoint: &mut Checkpoint,
    ) -> Result<()> {
        if checkpoint.written == checkpoint.next {
            return Ok(());
        }
        let key = checkpoint::partition_key(topic, partition);
        let next = checkpoint.next;
        let time = checkpoint.unwritten_time;
        let runtime = [&self.trees[0], &self.trees[2]];
        runtime
            .transaction(|trees| {
                trees[0].insert(key.as_slice(), &next.to_be_bytes())?;
                if let Some(time) = time {
                    trees[1].insert(key.as_slice(), &time.to_be_bytes())?;
                }
                Ok::<_, ConflictableTransactionError<()>>(())
            })
            .map_err(|error| match error {
                TransactionError::Storage(error) => Error::Store(error),
                TransactionError::Abort(()) => Error::Task("checkpoint aborted".into()),
            })?;
        checkpoint.written();
        Ok(())
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
    let start = inner
        .progress(topic, partition)
        .map(|p| *p.folded.borrow())
        .unwrap_or(0);
    let mut checkpoint = Checkpoint {
        next: start,
        written: start,
        written_at: Instant::now(),
        unwritten_time: None,
    };
    let set_failure = |failure: Option<String>| {
        if let Ok(progress) = inner.progress(topic, partition) {
            *progress
                .failure
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner()) = failure;
        }
    };
    while !cancel.is_cancelled() {
        // A batch in flight finishes before cancellation is honoured: `step` is only
        // interrupted while it waits for new events.
        match step(&inner, topic, partition, &mut checkpoint).await {
            Ok(()) => {
                // a caught-up step can succeed from what was already fetched while the
                // log is away; asking for the end tells whether it can be reached
                match inner.log.high_watermark(topic, partition) {
                    Ok(end) => {
                        set_failure(None);
                        lag.set(end.saturating_sub(checkpoint.next) as i64);
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
    // Batches that changed nothing since the last commit: write where they ended.
    let written = blocking(&inner, &mut checkpoint, move |inner, checkpoint| {
        inner.write_checkpoint(topic, partition, checkpoint)
    })
    .await;
    if let Err(error) = written {
        tracing::error!(projection = name, topic, partition, %error, "writing the checkpoint at stop failed");
    }
    // Stopped (shutdown, or the partition was given to another process): neither a
    // failure nor a lag of this process any more.
    set_failure(None);
    let _ = metrics::LAG.remove_label_values(&[name, topic, &partition_label]);
}

/// One step of folding a partition: read a batch and fold it; or, caught up, wait for
/// events and then write the checkpoint if it is due.
async fn step(
    inner: &Arc<Inner>,
    topic: &'static str,
    partition: u32,
    checkpoint: &mut Checkpoint,
) -> Result<()> {
    let options = &inner.options;
    let records = inner
        .log
        .read(
            topic,
            partition,
            checkpoint.next,
            options.batch_records,
            options.batch_bytes,
        )
        .await?;
    if records.is_empty() {
        inner
            .log
            .wait_for_offset(topic, partition, checkpoint.next, options.idle_poll)
            .await?;
        if !checkpoint.due(checkpoint.next, options) {
            return Ok(());
        }
        return blocking(inner, checkpoint, move |inner, checkpoint| {
            inner.write_checkpoint(topic, partition, checkpoint)
        })
        .await;
    }
    let partial = records.len() < options.batch_records;
    let timer = metrics::BATCH_SECONDS
        .with_label_values(&[inner.fold.name()])
        .start_timer();
    if records.len() <= DECODE_INLINE {
        // a few events, as while folding keeps up: decoding them costs less than
        // handing them to the blocking pool, which a batch passing by never needs
        let batch = inner.batch(topic, partition, records)?;
        if inner.passes_by(&batch, checkpoint) {
            inner.fold_batch(topic, partition, &batch, checkpoint)?;
        } else {
            blocking(inner, checkpoint, move |inner, checkpoint| {
                inner.fold_batch(topic, partition, &batch, checkpoint)
            })
            .await?;
        }
    } else {
        blocking(inner, checkpoint, move |inner, checkpoint| {
            let batch = inner.batch(topic, partition, records)?;
            inner.fold_batch(topic, partition, &batch, checkpoint)
        })
        .await?;
    }
    timer.observe_duration();
    let linger = inner.fold.linger(topic);
    if partial && !linger.is_zero() {
        tokio::time::sleep(linger).await;
    }
    Ok(())
}

/// Runs `work` on the blocking pool (sled's reads and commits block) with a copy of
/// the checkpoint, taking its changes back when it succeeds.
async fn blocking(
    inner: &Arc<Inner>,
    checkpoint: &mut Checkpoint,
    work: impl FnOnce(&Inner, &mut Checkpoint) -> Result<()> + Send + 'static,
) -> Result<()> {
    let inner = inner.clone();
    let mut copy = *checkpoint;
    let (copy, done) = tokio::task::spawn_blocking(move || {
        let done = work(&inner, &mut copy);
        (copy, done)
    })
    .await
    .map_err(|error| Error::Task(error.to_string()))?;
    done?;
    *checkpoint = copy;
    Ok(())
}
