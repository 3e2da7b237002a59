//! Erasing a learner from the document store. `LearnerErased` comes to every partition
//! of `documents`; on each it drops every document of the sets keyed by the learner's
//! agent (state, agent profile) that this partition folds, as `documents.by_agent`
//! lists them. Activity profiles name no agent and stay.

use super::codec::key_in_set;
use super::{by_agent, set_ids, BY_AGENT, BY_KEY, SETS};
use crate::erasure::erased_learner;
use learnlog_projection::{FoldError, FoldTrees};
use learnlog_proto::v1::Envelope;
use uuid::Uuid;

/// The committed range erasing a learner on `partition` reads: the sets of the learner
/// that the partition lists.
pub(super) fn ranges(partition: u32, event: &Envelope) -> Vec<(&'static str, Vec<u8>)> {
    match erased_learner(event) {
        Some(Ok(learner)) => vec![(
            BY_AGENT,
            by_agent::prefix(&event.tenant, learner, partition),
        )],
        _ => Vec::new(),
    }
}

/// Drops the documents of `learner` of `tenant` that `partition` folds, their sets'
/// id lists and their entries in `documents.by_agent`.
pub(super) fn erase(
    trees: &FoldTrees<'_>,
    tenant: &str,
    learner: Uuid,
    partition: u32,
) -> Result<(), FoldError> {
    let prefix = by_agent::prefix(tenant, learner, partition);
    let (documents, sets, listed) = (trees.tree(BY_KEY), trees.tree(SETS), trees.tree(BY_AGENT));
    for entry in trees.committed_keys(BY_AGENT, &prefix) {
        let set_key = by_agent::set_key(tenant, &prefix, entry);
        for id in set_ids(sets, &set_key)? {
            documents.remove(key_in_set(&set_key, &id))?;
        }
        sets.remove(set_key)?;
        listed.remove(entry.clone())?;
    }
    Ok(())
}
