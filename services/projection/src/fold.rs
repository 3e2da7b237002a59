//! The contract between the runtime and a projection: [`Fold`].

use learnlog_proto::v1::Envelope;
use sled::transaction::{TransactionalTree, UnabortableTransactionError};

/// A fold failed on one event for a reason of the event itself (undecodable, missing
/// fields). The runtime skips that event, counts it and logs it; it never blocks the
/// partition. Store failures are not `FoldError`s: they abort and retry the batch.
#[derive(Debug, thiserror::Error)]
pub enum FoldError {
    #[error("event rejected by fold: {0}")]
    BadEvent(String),
    #[error("state store failed: {0}")]
    Store(#[from] UnabortableTransactionError),
}

/// What folding one event produced for waiters: an optional outcome, stored at the
/// event's position until it is far behind the checkpoint.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Folded {
    pub outcome: Option<Vec<u8>>,
}

/// The trees of one projection inside one transaction, looked up by the names the
/// fold declared in [`Fold::trees`].
pub struct FoldTrees<'a> {
    names: &'a [&'static str],
    trees: &'a [TransactionalTree],
}

impl<'a> FoldTrees<'a> {
    pub(crate) fn new(names: &'a [&'static str], trees: &'a [TransactionalTree]) -> Self {
        Self { names, trees }
    }

    /// The tree declared under `name`.
    ///
    /// # Panics
    /// When `name` was not declared in [`Fold::trees`]: that is a bug in the fold, not
    /// a condition of the input.
    pub fn tree(&self, name: &str) -> &TransactionalTree {
        let index = self
            .names
            .iter()
            .position(|declared| *declared == name)
            .unwrap_or_else(|| panic!("fold used undeclared tree {name}"));
        &self.trees[index]
    }
}

/// A deterministic fold of events into sled trees.
///
/// `apply` must depend only on the event, its position and the trees: no wall clock,
/// no randomness, no I/O. It may be called more than once for the same event when a
/// sled transaction is retried, and the runtime guarantees that only one call's writes
/// are committed, together with the checkpoint.
pub trait Fold: Send + Sync + 'static {
    /// A stable name: the projection's directory and checkpoint namespace.
    fn name(&self) -> &'static str;
    /// The topics this projection folds (every partition of each).
    fn topics(&self) -> &'static [&'static str];
    /// The sled trees the fold writes.
    fn trees(&self) -> &'static [&'static str];
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
