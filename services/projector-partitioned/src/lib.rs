//! The projections folded by the owner of each partition, and their readers: xAPI
//! documents, mastery per competency, learner profiles and what decisions need. Each
//! is keyed so that one partition holds everything about one learner (or one document
//! key), and a projector folds only the partitions its consumer group gives it
//! (ADR 15).
//!
//! Each projection is a [`learnlog_projection::Fold`]: a deterministic function from
//! events to sled trees. Its reader opens on the [`learnlog_projection::Projection`]
//! that runs it, so no store handle leaves this crate.
//!
//! Each also folds `LearnerErased`: after it, nothing of that learner in that tenant
//! is left in any of its trees, and what the learner does afterwards starts afresh.

use std::time::Duration;

pub mod decisions;
pub mod documents;
mod erasure;
pub mod mastery;
pub mod profiles;
#[cfg(test)]
mod tree_dump;

/// How long learner events gather before the profile and mastery folds fold them again
/// after a partial batch. Each commit of a sled database writes and syncs its log
/// buffers, so a fold that commits after every statement of a stream costs the disk two
/// small writes per statement; gathering for this long bounds a projection to 50 commits
/// a second per partition while statements stream in, and delays what a writer waits
/// for (a goal it set) by at most this much, only then.
pub(crate) const LEARNER_EVENTS_LINGER: Duration = Duration::from_millis(20);

#[cfg(test)]
mod tests {
    use super::LEARNER_EVENTS_LINGER;
    use crate::{decisions::DecisionStore, mastery::MasteryStore, profiles::ProfileStore};
    use learnlog_projection::Fold;
    use learnlog_proto::topics::LEARNER_EVENTS;
    use std::time::Duration;

    #[test]
    fn profiles_and_mastery_let_learner_events_gather_and_decisions_do_not() {
        assert!(LEARNER_EVENTS_LINGER > Duration::ZERO);
        assert_eq!(ProfileStore.linger(LEARNER_EVENTS), LEARNER_EVENTS_LINGER);
        let mastery = MasteryStore::new(0.95);
        assert_eq!(mastery.linger(LEARNER_EVENTS), LEARNER_EVENTS_LINGER);
        // a learner choosing an objective waits for the decision fold: no gathering
        assert_eq!(DecisionStore.linger(LEARNER_EVENTS), Duration::ZERO);
    }
}
