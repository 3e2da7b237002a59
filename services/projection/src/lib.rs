//! The fold runtime of learnlog.
//!
//! A projection is a deterministic fold of log events into sled trees. This crate owns
//! everything around the fold itself: reading each partition of the projection's topics
//! in batches, committing the state a batch produced *and* the positions it folded in
//! one atomic sled batch (so a crash never double-applies or skips an event), skipping
//! the commit of batches that changed nothing, resuming from the checkpoint, recording per-event outcomes for writers that wait on them,
//! watermarks, lag metrics, and rebuilding from zero.
//!
//! It must not know what any projection means: folds are supplied through [`Fold`].

mod checkpoint;
mod error;
mod fold;
mod folding;
mod metrics;
mod runtime;
#[cfg(any(test, feature = "test-support"))]
pub mod scratch;
mod skipped;
mod store;
mod values;

pub use error::{Error, Result};
pub use fold::{Fold, FoldError, FoldTree, FoldTrees, Folded};
pub use runtime::{Projection, ProjectionOptions, TreeSize};
pub use skipped::SkippedEvents;
pub use store::{StoreIter, StoreTree};
