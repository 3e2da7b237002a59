//! One batch of a partition: decoding it, and committing what folding it wrote with
//! the checkpoint, outcomes and value log end in one atomic sled batch; a batch that
//! changed nothing commits nothing until its checkpoint is due.

use super::Checkpoint;
use crate::checkpoint::{self, OUTCOME_RETENTION};
use crate::fold::{into_batch, CommittedRange, FoldError, FoldTree, FoldTrees, Values, Writes};
use crate::metrics;
use crate::runtime::{Inner, RUNTIME_TREES};
use crate::{Error, Result};
use learnlog_log::StoredRecord;
use learnlog_proto::v1::Envelope;
use learnlog_proto::Message;
use std::cell::{Cell, RefCell};
use std::sync::atomic::Ordering;

/// One event of a batch, decoded once.
pub(crate) struct Decoded {
    offset: u64,
    /// `None` when the record is not an event (undecodable): skipped and counted.
    envelope: Option<Envelope>,
    /// Why it is not, when it is not.
    undecodable: Option<String>,
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

    /// The last event that could not be decoded: its offset and why.
    fn last_undecodable(&self) -> Option<(u64, String)> {
        (self.events.iter().rev()).find_map(|e| Some((e.offset, e.undecodable.clone()?)))
    }
}

impl Inner {
    /// Decodes `records` (consecutive, non-empty) and notes what folding them involves.
    /// An event that reads committed ranges ([`crate::Fold::reads_committed`]) ends the
    /// batch before it, or is the whole batch when it comes first; the rest is read
    /// again next.
    pub(crate) fn batch(
        &self,
        topic: &str,
        partition: u32,
        records: Vec<StoredRecord>,
    ) -> Result<Batch> {
        let name = self.fold.name();
        let mut events: Vec<Decoded> = records
            .into_iter()
            .map(|record| match Envelope::decode(record.value.as_slice()) {
                Ok(envelope) => Decoded {
                    offset: record.offset,
                    envelope: Some(envelope),
                    undecodable: None,
                },
                Err(error) => {
                    tracing::warn!(projection = name, topic, partition, offset = record.offset, %error, "undecodable event skipped");
                    Decoded {
                        offset: record.offset,
                        envelope: None,
                        undecodable: Some(format!("undecodable: {error}")),
                    }
                }
            })
            .collect();
        let alone = events.iter().position(|event| {
            (event.envelope.as_ref()).is_some_and(|e| {
                self.fold.wants(e) && !self.fold.reads_committed(partition, e).is_empty()
            })
        });
        if let Some(at) = alone {
            events.truncate(at.max(1));
        }
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

    /// Folds `batch` and commits what it wrote with the new checkpoint, as one sled
    /// batch. A batch whose events wrote nothing commits nothing until its checkpoint is
    /// due ([`ProjectionOptions::checkpoint_every`]): a projection that reads every
    /// event of a topic but keeps few pays per event only its reads, not a commit per
    /// batch.
    ///
    /// The fold reads the committed trees under the batch's own writes and writes only
    /// into the batch; batches of one projection fold one at a time (`Inner::folding`),
    /// so each sees everything committed before it.
    ///
    /// [`ProjectionOptions::checkpoint_every`]: crate::ProjectionOptions::checkpoint_every
    pub(crate) fn commit_batch(
        &self,
        topic: &str,
        partition: u32,
        batch: &Batch,
        checkpoint: &mut Checkpoint,
    ) -> Result<()> {
        let name = self.fold.name();
        let next = batch.next();
        let last_time = batch.last_time().or(checkpoint.unwritten_time);
        let may_skip = !checkpoint.due(next, &self.options);
        let progress = self.progress(topic, partition)?;
        let _alone = (self.folding.lock()).unwrap_or_else(std::sync::PoisonError::into_inner);
        let values_start = progress.values_end.load(Ordering::Acquire);
        let values_end = Cell::new(values_start);
        let values = Values {
            log: &self.values,
            events: &self.log,
            topic,
            partition,
            end: &values_end,
        };
        let ranges = self.committed_ranges(partition, batch)?;
        let writes = RefCell::new(Writes::new());
        let wrote = Cell::new(false);
        let fold_trees = FoldTrees::new(
            self.fold.trees(),
            &self.trees[RUNTIME_TREES..],
            &writes,
            &ranges,
            &wrote,
            values,
        );
        let runtime_tree = |at: usize| FoldTree::new(&self.trees[at], &writes, &wrote);
        let (checkpoints, outcomes, event_times) =
            (runtime_tree(0), runtime_tree(1), runtime_tree(2));
        // the events the fold rejected, with why
        let mut rejected = Vec::new();
        for event in &batch.events {
            let offset = event.offset;
            let wanted = event.envelope.as_ref().filter(|e| self.fold.wants(e));
            if let Some(envelope) = wanted {
                match self
                    .fold
                    .apply(&fold_trees, topic, partition, offset, envelope)
                {
                    Ok(folded) => {
                        if let Some(outcome) = folded.outcome {
                            outcomes.insert(
                                checkpoint::outcome_key(topic, partition, offset),
                                outcome,
                            )?;
                        }
                    }
                    Err(FoldError::BadEvent(reason)) => {
                        tracing::warn!(projection = name, topic, partition, offset, %reason, "event rejected by fold");
                        rejected.push((offset, reason));
                    }
                    Err(FoldError::Unavailable(reason)) => return Err(Error::Unavailable(reason)),
                    Err(FoldError::Store(error)) => return Err(Error::Store(error)),
                }
            }
            if batch.expiring {
                if let Some(expired) = offset.checked_sub(OUTCOME_RETENTION) {
                    let expired = checkpoint::outcome_key(topic, partition, expired);
                    if outcomes.get(&expired)?.is_some() {
                        outcomes.remove(expired)?;
                    }
                }
            }
        }
        let written = wrote.get() || !may_skip;
        if written {
            let key = checkpoint::partition_key(topic, partition);
            checkpoints.insert(&key, &next.to_be_bytes())?;
            if values_end.get() != values_start {
                let values_key = checkpoint::values_key(topic, partition);
                checkpoints.insert(values_key, &values_end.get().to_be_bytes())?;
            }
            if let Some(time) = last_time {
                event_times.insert(&key, &time.to_be_bytes())?;
            }
            self.store.apply_batch(into_batch(writes.into_inner()))?;
            progress
                .values_end
                .store(values_end.get(), Ordering::Release);
        }
        self.folded(topic, partition, batch, &rejected, checkpoint, written)
    }

    /// The committed keys of the ranges the batch's first event declares
    /// ([`crate::Fold::reads_committed`]; only a batch's first event may), read before
    /// it folds.
    fn committed_ranges(&self, partition: u32, batch: &Batch) -> Result<Vec<CommittedRange>> {
        let Some(event) = batch.events.first().and_then(|e| e.envelope.as_ref()) else {
            return Ok(Vec::new());
        };
        if !self.fold.wants(event) {
            return Ok(Vec::new());
        }
        let names = self.fold.trees();
        (self.fold.reads_committed(partition, event).into_iter())
            .map(|(tree, prefix)| {
                let at = (names.iter().position(|name| *name == tree))
                    .unwrap_or_else(|| panic!("fold declared undeclared tree {tree}"));
                let keys = self.trees[RUNTIME_TREES + at]
                    .scan_prefix(&prefix)
                    .keys()
                    .collect::<std::result::Result<_, _>>()?;
                Ok(CommittedRange { tree, prefix, keys })
            })
            .collect()
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
            self.folded(topic, partition, batch, &[], checkpoint, false)
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
        rejected: &[(u64, String)],
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
        let skipped = batch.undecodable() + rejected.len() as u64;
        let folded = batch.events.len() as u64 - skipped;
        metrics::EVENTS_FOLDED
            .with_label_values(&[name, topic])
            .inc_by(folded);
        if skipped > 0 {
            metrics::EVENTS_SKIPPED
                .with_label_values(&[name, topic])
                .inc_by(skipped);
            let last = (rejected.last().cloned())
                .into_iter()
                .chain(batch.last_undecodable())
                .max_by_key(|(offset, _)| *offset);
            if let Some((offset, reason)) = last {
                let last = format!("{topic}/{partition} at offset {offset}: {reason}");
                self.skipped.note(skipped, last);
            }
        }
        let progress = self.progress(topic, partition)?;
        if let Some(time) = last_time {
            progress.last_event_micros.store(time, Ordering::Release);
        }
        progress.folded.send_replace(next);
        Ok(())
    }
}
