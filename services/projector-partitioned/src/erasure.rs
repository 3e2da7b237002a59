//! Erasing a learner (`LearnerErased`): reading the event ([`erased_learner`], for every
//! fold of this crate), and what the folds of `learner-events` share. There the event
//! comes on the learner's partition after everything of theirs, and each fold drops
//! the keys it holds under the learner's key (`tenant \0 learner(16)`).
//!
//! A fold cannot scan its trees, so it declares those prefixes
//! ([`learner_ranges`], from `Fold::reads_committed`) and removes the committed keys
//! under them ([`remove_committed`]). Only the learner's partition writes keys under
//! the learner's key, so the committed keys are all there are.

use learnlog_projection::{FoldError, FoldTrees};
use learnlog_projector::learners::learner_key;
use learnlog_proto::v1::{envelope::Event, Envelope};
use uuid::Uuid;

/// The learner a `LearnerErased` names (a bad id is a bad event); `None` for every
/// other event.
pub(crate) fn erased_learner(event: &Envelope) -> Option<Result<Uuid, FoldError>> {
    let Some(Event::LearnerErased(erased)) = &event.event else {
        return None;
    };
    Some(
        learnlog_xapi::parse_uuid(&erased.learner_id).ok_or_else(|| {
            FoldError::BadEvent(format!("learner_id: {:?} is not a UUID", erased.learner_id))
        }),
    )
}

/// For a `LearnerErased` with a valid learner id, the learner's key in each of
/// `trees`; nothing for any other event (a bad id is rejected by `apply`).
pub(crate) fn learner_ranges(
    event: &Envelope,
    trees: &[&'static str],
) -> Vec<(&'static str, Vec<u8>)> {
    match erased_learner(event) {
        Some(Ok(learner)) => {
            let prefix = learner_key(&event.tenant, learner);
            trees.iter().map(|tree| (*tree, prefix.clone())).collect()
        }
        _ => Vec::new(),
    }
}

/// Removes every committed key under `prefix` in each of `trees` (each declared for
/// this event with [`learner_ranges`]).
pub(crate) fn remove_committed(
    trees: &FoldTrees<'_>,
    names: &[&'static str],
    prefix: &[u8],
) -> Result<(), FoldError> {
    for &name in names {
        let tree = trees.tree(name);
        for key in trees.committed_keys(name, prefix) {
            tree.remove(key.clone())?;
        }
    }
    Ok(())
}
