//! One batch of a partition: decoding it, and committing what folding it wrote with
//! the checkpoint, outcomes and value log end in one atomic sled batch; a batch that
//! changed nothing commits nothing until its checkpoint is due.
//!
//! Batches of a projection's partitions that wait for its folding lock at the same
//! time are folded and committed together, as one sled batch (a group commit): every
//! sled commit writes and syncs sled's log buffers however little it holds, and under
//! many writers of single statements each partition's batch holds one or two events.

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
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

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

/// A batch waiting for the folding lock with its partition's checkpoint: folded by
/// whichever waiting task takes the lock first, with every batch waiting then.
pub(crate) struct Waiting {
    topic: &'static str,
    partition: u32,
    batch: Batch,
    checkpoint: Mutex<Checkpoint>,
    /// Set once the batch is folded (and committed) or failed, before the folding lock
    /// is released.
    result: Mutex<Option<Result<()>>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// What folding one batch of a group left to do once the group is committed.
struct Folding {
    rejected: Vec<(u64, String)>,
    /// Whether its checkpoint (and anything it wrote) is in the group's commit.
    written: bool,
    values_end: u64,
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
    /// batch together with the batches of other partitions waiting at the same time. A
    /// batch whose events wrote nothing commits nothing until its checkpoint is due
    /// ([`ProjectionOptions::checkpoint_every`]): a projection that reads every event of
    /// a topic but keeps few pays per event only its reads, not a commit per batch.
    ///
    /// The fold reads the committed trees under the group's writes so far and writes
    /// only into the group; groups of one projection fold one at a time
    /// (`Inner::folding`), so each batch sees everything folded before it.
    ///
    /// [`ProjectionOptions::checkpoint_every`]: crate::ProjectionOptions::checkpoint_every
    pub(crate) fn commit_batch(
        &self,
        topic: &'static str,
        partition: u32,
        batch: Batch,
        checkpoint: &mut Checkpoint,
    ) -> Result<()> {
        let waiting = Arc::new(Waiting {
            topic,
            partition,
            batch,
            checkpoint: Mutex::new(*checkpoint),
            result: Mutex::new(None),
        });
        lock(&self.waiting).push(waiting.clone());
        let alone = lock(&self.folding);
        // Folded by an earlier holder of the lock, or still waiting: a holder folds
        // every batch it takes from the queue before it lets the lock go.
        if lock(&waiting.result).is_none() {
            let group = std::mem::take(&mut *lock(&self.waiting));
            self.commit_group(&group);
        }
        drop(alone);
        *checkpoint = *lock(&waiting.checkpoint);
        let result = lock(&waiting.result).take();
        result.expect("a batch taken from the queue has a result when the lock is let go")
    }

    /// Folds and commits `group`, and gives each batch its result. When one batch
    /// fails, nothing of the group is committed, and each batch is folded again alone.
    fn commit_group(&self, group: &[Arc<Waiting>]) {
        match self.fold_group(group) {
            Ok(()) => {}
            Err(_) if group.len() > 1 => {
                for waiting in group {
                    if let Err(error) = self.fold_group(std::slice::from_ref(waiting)) {
                        *lock(&waiting.result) = Some(Err(error));
                    }
                }
            }
            Err(error) => *lock(&group[0].result) = Some(Err(error)),
        }
    }

    /// Folds the batches of `group` in turn into one set of writes and commits it; on
    /// success, records each batch as folded and gives it its result.
    fn fold_group(&self, group: &[Arc<Waiting>]) -> Result<()> {
        let writes = RefCell::new(Writes::new());
        let foldings = group
            .iter()
            .map(|waiting| self.fold_into(waiting, &writes))
            .collect::<Result<Vec<_>>>()?;
        if foldings.iter().any(|folding| folding.written) {
            self.store.apply_batch(into_batch(writes.into_inner()))?;
            (metrics::COMMITS.with_label_values(&[self.fold.name()])).inc();
        }
        // Committed: from here on, a failure is the batch's own, never the group's (a
        // group that failed would be folded again).
        for (waiting, folding) in group.iter().zip(foldings) {
            let (topic, partition) = (waiting.topic, waiting.partition);
            let mut checkpoint = lock(&waiting.checkpoint);
            let result = self.progress(topic, partition).and_then(|progress| {
                if folding.written {
                    (progress.values_end).store(folding.values_end, Ordering::Release);
                }
                self.folded(
                    topic,
                    partition,
                    &waiting.batch,
                    &folding.rejected,
                    &mut checkpoint,
                    folding.written,
                )
            });
            *lock(&waiting.result) = Some(result);
        }
        Ok(())
    }

    /// Folds one waiting batch into `writes`, with its checkpoint when it wrote
    /// anything or its checkpoint is due.
    fn fold_into(&self, waiting: &Waiting, writes: &RefCell<Writes>) -> Result<Folding> {
        let (topic, partition, batch) = (waiting.topic, waiting.partition, &waiting.batch);
        let checkpoint = *lock(&waiting.checkpoint);
        let name = self.fold.name();
        let next = batch.next();
        let last_time = batch.last_time().or(checkpoint.unwritten_time);
        let may_skip = !checkpoint.due(next, &self.options);
        let progress = self.progress(topic, partition)?;
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
        let wrote = Cell::new(false);
        let fold_trees = FoldTrees::new(
            self.fold.trees(),
            &self.trees[RUNTIME_TREES..],
            writes,
            &ranges,
            &wrote,
            values,
        );
        let runtime_tree = |at: usize| FoldTree::new(&self.trees[at], writes, &wrote);
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
        }
        Ok(Folding {
            rejected,
            written,
            values_end: values_end.get(),
        })
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
        topic: &'static str,
        partition: u32,
        batch: Batch,
        checkpoint: &mut Checkpoint,
    ) -> Result<()> {
        if self.passes_by(&batch, checkpoint) {
            self.folded(topic, partition, &batch, &[], checkpoint, false)
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

#[cfg(test)]
mod tests {
    use super::{lock, Waiting};
    use crate::folding::Checkpoint;
    use crate::{Error, Fold, FoldError, FoldTrees, Folded, Projection, ProjectionOptions};
    use learnlog_log::{EmbeddedOptions, EventLog, Record};
    use learnlog_proto::v1::{envelope::Event, CredentialRevoked, Envelope};
    use learnlog_proto::Message;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, Mutex};
    use std::time::Instant;

    const TOPIC: &str = "events";

    /// Counts events per key; events keyed `gated` cannot be folded while `open` is
    /// false, as when a learner key is on a log the process cannot reach.
    struct GatedCounter {
        open: AtomicBool,
    }

    impl Fold for GatedCounter {
        fn name(&self) -> &'static str {
            "gated-counter"
        }
        fn topics(&self) -> &'static [&'static str] {
            &[TOPIC]
        }
        fn trees(&self) -> &'static [&'static str] {
            &["counts"]
        }
        fn apply(
            &self,
            trees: &FoldTrees<'_>,
            _topic: &str,
            _partition: u32,
            _offset: u64,
            event: &Envelope,
        ) -> Result<Folded, FoldError> {
            if event.key == "gated" && !self.open.load(Ordering::SeqCst) {
                return Err(FoldError::Unavailable("closed".into()));
            }
            let counts = trees.tree("counts");
            let count = (counts.get(&event.key)?)
                .map_or(0, |v| u64::from_be_bytes(v.as_ref().try_into().unwrap()));
            counts.insert(&event.key, &(count + 1).to_be_bytes())?;
            Ok(Folded::default())
        }
    }

    fn record(key: &str, at: i64) -> Record {
        let envelope = Envelope {
            event_id: format!("{key}-{at}"),
            tenant: "t".into(),
            key: key.into(),
            produced_at_micros: at,
            event: Some(Event::CredentialRevoked(CredentialRevoked {
                key: key.into(),
            })),
        };
        Record {
            key: key.as_bytes().to_vec(),
            value: envelope.encode_to_vec(),
        }
    }

    /// A key whose events go to the other partition than `gated`'s.
    fn other_key(partitions: u32) -> &'static str {
        let gated = learnlog_log::partition_for_key(b"gated", partitions);
        ["a", "b", "c", "d", "e", "f"]
            .into_iter()
            .find(|key| learnlog_log::partition_for_key(key.as_bytes(), partitions) != gated)
            .expect("one of six keys goes to the other partition")
    }

    fn count(projection: &Projection, key: &str) -> u64 {
        (projection.tree("counts").get(key).unwrap())
            .map_or(0, |v| u64::from_be_bytes(v.as_ref().try_into().unwrap()))
    }

    /// Batches of the events from `from` on of `key`'s partition, waiting to be folded.
    async fn waiting(
        projection: &Projection,
        log: &EventLog,
        key: &str,
        from: u64,
    ) -> Arc<Waiting> {
        let partition = learnlog_log::partition_for_key(key.as_bytes(), 2);
        let records = log
            .read(TOPIC, partition, from, 100, 1 << 20)
            .await
            .unwrap();
        let batch = projection.inner().batch(TOPIC, partition, records).unwrap();
        let checkpoint = Checkpoint {
            next: from,
            written: from,
            written_at: Instant::now(),
            unwritten_time: None,
        };
        Arc::new(Waiting {
            topic: TOPIC,
            partition,
            batch,
            checkpoint: Mutex::new(checkpoint),
            result: Mutex::new(None),
        })
    }

    #[tokio::test]
    async fn batches_waiting_together_fold_together_and_a_failing_one_holds_up_none() {
        let dir = tempfile::tempdir().unwrap();
        let options = EmbeddedOptions {
            fsync: false,
            ..EmbeddedOptions::default()
        };
        let log = EventLog::open_embedded(&dir.path().join("log"), options).unwrap();
        log.ensure_topic(TOPIC, 2).unwrap();
        let key = other_key(2);
        log.append(TOPIC, vec![record(key, 1), record(key, 2)])
            .await
            .unwrap();
        log.append(TOPIC, vec![record("gated", 3)]).await.unwrap();
        let fold = Arc::new(GatedCounter {
            open: AtomicBool::new(false),
        });
        let dir_of = dir.path().join("counter");
        let projection = Projection::open(
            &dir_of,
            log.clone(),
            fold.clone(),
            ProjectionOptions::default(),
        )
        .unwrap();
        let inner = projection.inner();

        let commits = || (crate::metrics::COMMITS.with_label_values(&["gated-counter"])).get();
        // the gated batch fails: the other is committed, alone, all the same
        let before = commits();
        let (open, gated) = (
            waiting(&projection, &log, key, 0).await,
            waiting(&projection, &log, "gated", 0).await,
        );
        inner.commit_group(&[gated.clone(), open.clone()]);
        assert!(matches!(lock(&open.result).take(), Some(Ok(()))));
        assert!(matches!(
            lock(&gated.result).take(),
            Some(Err(Error::Unavailable(_)))
        ));
        assert_eq!(count(&projection, key), 2);
        assert_eq!(count(&projection, "gated"), 0);
        assert_eq!(projection.folded(TOPIC, open.partition).unwrap(), 2);
        assert_eq!(projection.folded(TOPIC, gated.partition).unwrap(), 0);
        assert_eq!(lock(&open.checkpoint).next, 2);
        assert_eq!(lock(&gated.checkpoint).next, 0);
        assert_eq!(commits() - before, 1, "the good batch alone");

        // both fold once the gate opens: one commit with both checkpoints
        fold.open.store(true, Ordering::SeqCst);
        let before = commits();
        log.append(TOPIC, vec![record(key, 4)]).await.unwrap();
        let (open, gated) = (
            waiting(&projection, &log, key, 2).await,
            waiting(&projection, &log, "gated", 0).await,
        );
        inner.commit_group(&[open.clone(), gated.clone()]);
        assert!(matches!(lock(&open.result).take(), Some(Ok(()))));
        assert!(matches!(lock(&gated.result).take(), Some(Ok(()))));
        assert_eq!(
            (count(&projection, key), count(&projection, "gated")),
            (3, 1)
        );
        assert_eq!(commits() - before, 1, "both batches in one commit");
        assert_eq!(projection.folded(TOPIC, open.partition).unwrap(), 3);
        assert_eq!(projection.folded(TOPIC, gated.partition).unwrap(), 1);
        for (partition, next) in [(open.partition, 3u64), (gated.partition, 1)] {
            let mut checkpoint_key = TOPIC.as_bytes().to_vec();
            checkpoint_key.push(0);
            checkpoint_key.extend_from_slice(&partition.to_be_bytes());
            let written = projection
                .tree("runtime.checkpoints")
                .get(checkpoint_key)
                .unwrap();
            assert_eq!(written.as_deref(), Some(next.to_be_bytes().as_slice()));
        }
    }
}
