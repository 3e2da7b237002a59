//! The contract between the runtime and a projection: [`Fold`].

use crate::store::StoreTree;
use crate::values::ValueLog;
use learnlog_log::EventLog;
use learnlog_proto::v1::Envelope;
use sled::IVec;
use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::time::Duration;

/// Why a fold did not fold one event.
#[derive(Debug, thiserror::Error)]
pub enum FoldError {
    /// A reason of the event itself (undecodable, missing fields): the runtime skips
    /// that event, counts it and logs it; it never blocks the partition.
    #[error("event rejected by fold: {0}")]
    BadEvent(String),
    /// Something the event needs cannot be reached now (a learner key from another
    /// process while the log is away): the batch is not committed and is folded again
    /// after a pause, and the partition shows the failure until it folds.
    #[error("the fold cannot reach what the event needs: {0}")]
    Unavailable(String),
    #[error("state store failed: {0}")]
    Store(#[from] sled::Error),
}

/// What folding one event produced for waiters: an optional outcome, stored at the
/// event's position until it is far behind the checkpoint.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Folded {
    pub outcome: Option<Vec<u8>>,
}

/// What a batch wrote so far, by key of the projection's sled tree (`None`: removed);
/// committed as one `sled::Batch` when the batch ends ([`into_batch`]).
pub(crate) type Writes = BTreeMap<Vec<u8>, Option<IVec>>;

/// A batch's writes as the one `sled::Batch` that commits them.
pub(crate) fn into_batch(writes: Writes) -> sled::Batch {
    let mut batch = sled::Batch::default();
    for (key, value) in writes {
        match value {
            Some(value) => batch.insert(key, value),
            None => batch.remove(key),
        }
    }
    batch
}

/// The trees of one projection as one batch sees them (the committed state under the
/// batch's own writes), looked up by the names the fold declared in [`Fold::trees`],
/// and the value log of the partition being folded.
pub struct FoldTrees<'a> {
    names: &'a [&'static str],
    trees: &'a [StoreTree],
    writes: &'a RefCell<Writes>,
    /// What the last commit left under the ranges the event declared
    /// ([`Fold::reads_committed`]): tree name, key prefix, keys in order.
    committed: &'a [CommittedRange],
    wrote: &'a Cell<bool>,
    values: Values<'a>,
}

/// Keys of one declared range as the last commit left them ([`Fold::reads_committed`]).
pub(crate) struct CommittedRange {
    pub(crate) tree: &'static str,
    pub(crate) prefix: Vec<u8>,
    pub(crate) keys: Vec<IVec>,
}

/// The value log as one batch of one partition sees it: where its next value goes; and
/// the event log, whose events a fold may read back instead of copying them.
#[derive(Clone, Copy)]
pub(crate) struct Values<'a> {
    pub(crate) log: &'a ValueLog,
    pub(crate) events: &'a EventLog,
    pub(crate) topic: &'a str,
    pub(crate) partition: u32,
    /// Where the next value of the partition is written; committed with the batch.
    pub(crate) end: &'a Cell<u64>,
}

impl<'a> FoldTrees<'a> {
    pub(crate) fn new(
        names: &'a [&'static str],
        trees: &'a [StoreTree],
        writes: &'a RefCell<Writes>,
        committed: &'a [CommittedRange],
        wrote: &'a Cell<bool>,
        values: Values<'a>,
    ) -> Self {
        Self {
            names,
            trees,
            writes,
            committed,
            wrote,
            values,
        }
    }

    /// Appends `value` to the value log of the partition being folded; returns its
    /// offset there, for [`FoldTrees::read_value`] and [`crate::Projection::read_value`].
    /// The value is kept only if the batch commits (see `values`).
    pub fn append_value(&self, value: &[u8]) -> Result<u64, FoldError> {
        let Values {
            log,
            topic,
            partition,
            end,
            ..
        } = self.values;
        let offset = end.get();
        let next = log
            .write(topic, partition, offset, value)
            .map_err(|e| FoldError::Store(e.into()))?;
        end.set(next);
        self.wrote.set(true);
        Ok(offset)
    }

    /// The value at `offset` of a partition's value log (of the topic being folded):
    /// committed, or appended earlier in this batch.
    pub fn read_value(&self, partition: u32, offset: u64) -> Result<Vec<u8>, FoldError> {
        (self.values.log)
            .read(self.values.topic, partition, offset)
            .map_err(unreadable)
    }

    /// Whether the log reads one event in place at the cost of a file read (the
    /// embedded log, not Kafka): then a fold may keep where an event is instead of a copy
    /// of it in the value log, and read it back with [`FoldTrees::read_event`].
    pub fn events_in_place(&self) -> bool {
        self.values.events.reads_in_place()
    }

    /// The event at `offset` of `partition` of the topic being folded, as the log holds
    /// it (an encoded envelope); only where [`FoldTrees::events_in_place`].
    pub fn read_event(&self, partition: u32, offset: u64) -> Result<Vec<u8>, FoldError> {
        let topic = self.values.topic;
        match (self.values.events.read_in_place(topic, partition, offset)).map_err(unreadable)? {
            Some(record) => Ok(record.value),
            None => Err(unreadable(format!(
                "no event at {topic}/{partition}/{offset}"
            ))),
        }
    }

    /// The tree declared under `name`.
    ///
    /// # Panics
    /// When `name` was not declared in [`Fold::trees`]: that is a bug in the fold, not
    /// a condition of the input.
    pub fn tree(&self, name: &str) -> FoldTree<'a> {
        FoldTree::new(&self.trees[self.index(name)], self.writes, self.wrote)
    }

    /// The keys under `prefix` in tree `name` as the last commit left them, in key
    /// order: read before the event's batch began, for a range the fold declared for
    /// this event in
    /// [`Fold::reads_committed`].
    ///
    /// # Panics
    ///
    /// When the range was not declared for the event: a bug in the fold.
    pub fn committed_keys(&self, name: &str, prefix: &[u8]) -> &'a [IVec] {
        let committed: &'a [CommittedRange] = self.committed;
        committed
            .iter()
            .find(|range| range.tree == name && range.prefix == prefix)
            .map(|range| range.keys.as_slice())
            .unwrap_or_else(|| panic!("fold read undeclared committed range of {name}"))
    }

    fn index(&self, name: &str) -> usize {
        self.names
            .iter()
            .position(|declared| *declared == name)
            .unwrap_or_else(|| panic!("fold used undeclared tree {name}"))
    }
}

/// A value or an event the fold kept a reference to that does not read back.
fn unreadable(error: impl std::fmt::Display) -> FoldError {
    let error = std::io::Error::new(std::io::ErrorKind::InvalidData, error.to_string());
    FoldError::Store(error.into())
}

/// One tree of a projection as a batch sees it. Writes stay in the batch until it
/// commits, and are blind: nothing is read to write. It notes whether the fold wrote:
/// a batch whose events wrote nothing commits nothing
/// ([`crate::ProjectionOptions::checkpoint_every`]).
#[derive(Clone, Copy)]
pub struct FoldTree<'a> {
    tree: &'a StoreTree,
    writes: &'a RefCell<Writes>,
    wrote: &'a Cell<bool>,
}

impl<'a> FoldTree<'a> {
    pub(crate) fn new(
        tree: &'a StoreTree,
        writes: &'a RefCell<Writes>,
        wrote: &'a Cell<bool>,
    ) -> Self {
        Self {
            tree,
            writes,
            wrote,
        }
    }

    /// The value under `key`, as this batch sees it.
    pub fn get(&self, key: impl AsRef<[u8]>) -> sled::Result<Option<IVec>> {
        let key = self.tree.stored_key(key.as_ref());
        if let Some(written) = self.writes.borrow().get(&key) {
            return Ok(written.clone());
        }
        self.tree.get_stored(&key)
    }

    /// The entry with the greatest key from `low` to `high` (both included), as this
    /// batch sees it: its own writes and removals over the committed state.
    pub fn last_between(&self, low: &[u8], high: &[u8]) -> sled::Result<Option<(Vec<u8>, IVec)>> {
        let writes = self.writes.borrow();
        let (low_stored, high_stored) = (self.tree.stored_key(low), self.tree.stored_key(high));
        let written = writes
            .range(low_stored..=high_stored)
            .rev()
            .find_map(|(key, value)| Some((key[1..].to_vec(), value.clone()?)));
        let mut committed = None;
        for entry in self.tree.range(low..=high).rev() {
            let (key, value) = entry?;
            // a key this batch wrote is `written`'s to answer for
            if !writes.contains_key(&self.tree.stored_key(&key)) {
                committed = Some((key.to_vec(), value));
                break;
            }
        }
        Ok(match (written, committed) {
            (Some(written), Some(committed)) => Some(written.max(committed)),
            (written, committed) => written.or(committed),
        })
    }

    /// Sets `key` to `value` when the batch commits. Never fails; a `Result` so that
    /// fold code reads the same for reads and writes.
    pub fn insert(&self, key: impl AsRef<[u8]>, value: impl Into<IVec>) -> sled::Result<()> {
        self.write(key.as_ref(), Some(value.into()));
        Ok(())
    }

    /// Removes `key` when the batch commits. Never fails, like [`FoldTree::insert`].
    pub fn remove(&self, key: impl AsRef<[u8]>) -> sled::Result<()> {
        self.write(key.as_ref(), None);
        Ok(())
    }

    fn write(&self, key: &[u8], value: Option<IVec>) {
        self.wrote.set(true);
        let key = self.tree.stored_key(key);
        self.writes.borrow_mut().insert(key, value);
    }
}

/// A deterministic fold of events into sled trees.
///
/// `apply` must depend only on the event, its position and the trees (with the value
/// log): no wall clock, no randomness, no other I/O. It may be called more than once for
/// the same event when a batch is folded again (after [`FoldError::Unavailable`]), and
/// the runtime guarantees that only one call's writes are committed, together with the
/// checkpoint. An event that changes nothing should
/// write nothing (read, compare, then write): a batch without writes costs no commit.
pub trait Fold: Send + Sync + 'static {
    /// A stable name: the projection's directory and checkpoint namespace.
    fn name(&self) -> &'static str;
    /// The topics this projection folds (every partition of each).
    fn topics(&self) -> &'static [&'static str];
    /// The sled trees the fold writes.
    fn trees(&self) -> &'static [&'static str];
    /// Whether `apply` has anything to do with `event` (by its kind, say). Events it
    /// does not want are read and counted as folded, never applied; a batch of only
    /// such events costs no commit. Must depend on the event alone.
    fn wants(&self, event: &Envelope) -> bool {
        let _ = event;
        true
    }
    /// The key ranges (tree name, key prefix) whose committed keys folding `event` from
    /// `partition` reads ([`FoldTrees::committed_keys`]); empty (the default) for most
    /// events.
    /// An event that declares any is folded in a batch of its own, after everything
    /// before it is committed, so the keys are exact for ranges that only this
    /// partition's folding writes. Must depend on the partition and event alone.
    fn reads_committed(&self, partition: u32, event: &Envelope) -> Vec<(&'static str, Vec<u8>)> {
        let _ = (partition, event);
        Vec::new()
    }
    /// How long to let events of `topic` gather after folding a batch smaller than the
    /// batch limit. Zero (the default) folds each event as soon as it is appended; a
    /// fold whose results writers seldom wait for on `topic` can trade that much
    /// staleness (and that much more waiting for those writers, only while events
    /// stream in) for fewer, larger commits: each commit writes and syncs sled's log
    /// buffers, whatever it holds. The wait ends on a clock the partitions share (the
    /// next multiple of the linger), so partitions streaming together fold together and
    /// meet in one group commit.
    fn linger(&self, topic: &str) -> Duration {
        let _ = topic;
        Duration::ZERO
    }
    /// Folds one event read at `topic`/`partition`/`offset`.
    fn apply(
        &self,
        trees: &FoldTrees<'_>,
        topic: &str,
        partition: u32,
        offset: u64,
        event: &Envelope,
    ) -> Result<Folded, FoldError>;
}

#[cfg(test)]
mod tests {
    use crate::scratch::ScratchTree;

    #[test]
    fn the_last_key_between_two_keys_is_what_the_batch_sees() {
        let scratch = ScratchTree::default();
        let tree = scratch.batch();
        for key in [b"a1", b"a3", b"a5", b"b0"] {
            tree.insert(key, key.as_slice()).unwrap();
        }
        let last = |low: &[u8], high: &[u8]| {
            let found = scratch.batch().last_between(low, high).unwrap();
            found.map(|(key, value)| (String::from_utf8(key).unwrap(), value.to_vec()))
        };
        assert_eq!(last(b"a0", b"a4"), Some(("a3".into(), b"a3".to_vec())));
        scratch.commit();
        assert_eq!(last(b"a0", b"a4"), Some(("a3".into(), b"a3".to_vec())));
        assert_eq!(last(b"a0", b"a0"), None);
        // the batch's own writes and removals over the committed keys
        let tree = scratch.batch();
        tree.remove(b"a3").unwrap();
        assert_eq!(last(b"a0", b"a4"), Some(("a1".into(), b"a1".to_vec())));
        tree.insert(b"a2", b"new".as_slice()).unwrap();
        assert_eq!(last(b"a0", b"a4"), Some(("a2".into(), b"new".to_vec())));
        tree.insert(b"a1", b"changed".as_slice()).unwrap();
        tree.remove(b"a2").unwrap();
        assert_eq!(last(b"a0", b"a4"), Some(("a1".into(), b"changed".to_vec())));
        assert_eq!(last(b"a6", b"b5"), Some(("b0".into(), b"b0".to_vec())));
    }
}
