//! The statement store's part of erasing a learner: what it notes of each statement
//! sealed for a learner, and what a `LearnerErased` event removes.
//!
//! Each partition notes its own sealed statements (`by_learner`, keyed with the
//! partition) and erases them when its copy of the event comes, so the committed keys
//! it reads are exactly its own.

use super::codec::{self, StorePosition};
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
    let (key, value) = codec::learner_entry(tenant, learner, id, position);
    trees.tree(BY_LEARNER).insert(key, &value)?;
    let prefix = codec::learner_prefix(tenant, learner, position.partition);
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
        let Some(value) = by_learner.get(key)? else {
            continue;
        };
        let id = codec::decode_learner_entry(&value)
            .ok_or_else(|| FoldError::BadEvent("by_learner entry corrupt".into()))?;
        // its `by_stored` and index entries stay: their body no longer opens
        trees.tree(BY_ID).remove(codec::id_key(tenant, id))?;
        by_learner.remove(key.as_ref())?;
    }
    agents::erase_learner_actor(trees, &prefix)
}
