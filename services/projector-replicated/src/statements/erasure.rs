//! The statement store's part of erasing a learner: what it notes of each statement
//! sealed for a learner, and what a `LearnerErased` event removes.
//!
//! Each partition notes its own sealed statements (`by_learner`, a run per learner and
//! partition, see `runs`) and erases them when its copy of the event comes, so the
//! committed keys it reads are exactly its own.

use super::codec::{self, StorePosition, LEARNER_STATEMENTS};
use super::runs;
use super::{BY_ID, BY_LEARNER};
use crate::agents;
use learnlog_projection::{FoldError, FoldTrees};
use serde_json::Value;
use uuid::Uuid;

/// The committed ranges erasing `learner` of `tenant` on `partition` reads.
pub(crate) fn ranges(tenant: &str, learner: Uuid, partition: u32) -> Vec<(&'static str, Vec<u8>)> {
    let prefix = codec::learner_prefix(tenant, learner, partition);
    vec![
        (BY_LEARNER, prefix.clone()),
        (agents::LEARNER_PERSONS, prefix),
    ]
}

/// Notes that statement `id`, stored at `position`, is sealed for `learner`, and what
/// it tells about its actor.
pub(crate) fn record_sealed(
    trees: &FoldTrees<'_>,
    tenant: &str,
    learner: Uuid,
    id: Uuid,
    position: StorePosition,
    statement: &Value,
) -> Result<(), FoldError> {
    let prefix = codec::learner_prefix(tenant, learner, position.partition);
    let entry = codec::learner_entry(position.offset, id);
    runs::add(&trees.tree(BY_LEARNER), LEARNER_STATEMENTS, &prefix, &entry)?;
    agents::record_learner_actor(trees, tenant, &prefix, statement)
}

/// Removes the statements of `learner` of `tenant` folded from `partition`, and what
/// they told about the learner.
pub(crate) fn erase(
    trees: &FoldTrees<'_>,
    tenant: &str,
    learner: Uuid,
    partition: u32,
) -> Result<(), FoldError> {
    let prefix = codec::learner_prefix(tenant, learner, partition);
    let by_learner = trees.tree(BY_LEARNER);
    for key in trees.committed_keys(BY_LEARNER, &prefix) {
        let Some(block) = by_learner.get(key)? else {
            continue;
        };
        let entries = LEARNER_STATEMENTS
            .entries(prefix.len(), key, &block)
            .ok_or_else(|| FoldError::BadEvent("by_learner block corrupt".into()))?;
        // their `by_stored` and index entries stay: their bodies no longer open
        for id in codec::learner_entry_ids(entries) {
            trees.tree(BY_ID).remove(codec::id_key(tenant, id))?;
        }
        by_learner.remove(key.as_ref())?;
    }
    agents::erase_learner_actor(trees, &prefix)
}
