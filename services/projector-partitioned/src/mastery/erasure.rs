//! Erasing a learner from mastery: every key under the learner's key (their record,
//! skills, evidence history, removed competencies) and their entry in the competency
//! index of each competency they have a skill record on. Every index entry has one:
//! both are written together, and voiding removes both.
//!
//! The parameter sets (`mastery.models`) and the source watermarks (`mastery.sources`,
//! per source partition, shared by every learner of the partition) hold nothing of
//! any learner, and stay; the watermarks also keep a re-published statement of the
//! erased learner from being folded again.

use super::{index_key, BY_COMPETENCY, HISTORY, LEARNERS, REMOVED, SKILLS};
use crate::erasure::{learner_ranges, remove_committed};
use learnlog_projection::{FoldError, FoldTrees};
use learnlog_projector::learners::learner_key;
use learnlog_proto::v1::Envelope;
use uuid::Uuid;

/// The trees whose keys start with a learner's key.
const LEARNER_TREES: [&str; 4] = [LEARNERS, SKILLS, HISTORY, REMOVED];

/// The committed ranges erasing a learner reads: the learner's key in each tree keyed
/// by learner.
pub(super) fn ranges(event: &Envelope) -> Vec<(&'static str, Vec<u8>)> {
    learner_ranges(event, &LEARNER_TREES)
}

/// Drops everything the fold keeps about `learner` of `tenant`.
pub(super) fn erase(trees: &FoldTrees<'_>, tenant: &str, learner: Uuid) -> Result<(), FoldError> {
    let prefix = learner_key(tenant, learner);
    let index = trees.tree(BY_COMPETENCY);
    for skill in trees.committed_keys(SKILLS, &prefix) {
        let competency = &skill[prefix.len()..];
        index.remove(index_key(tenant, competency, learner))?;
    }
    remove_committed(trees, &LEARNER_TREES, &prefix)
}
