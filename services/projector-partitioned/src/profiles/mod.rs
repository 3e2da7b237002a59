//! Learner profiles: what each learner chooses, finishes and returns to, how they
//! prefer to learn, their time on task, the days they were active, and the goals they
//! set. Folded from the `learner-events` topic (keyed by learner, so one partition
//! owns everything about a learner and folds it in order).
//!
//! `LearnerStatement`s are re-published at least once: [`SourceWatermarks`] (in this
//! projection's own tree) skips the ones already folded. Time comes only from events:
//! the day a learner acted is the UTC day of the statement's `timestamp` (its `stored`
//! when the timestamp is missing or later than `stored`); a goal's set-at is its
//! event's produced-at. Everything kept per learner is bounded: capped lists,
//! counters, a bitmap of active days, hashed buckets of visited activities.
//!
//! Trees: `profiles.learners` (learner key → the folded counters, days and interests as JSON),
//! `profiles.activities` (learner key + bucket → visited activities),
//! `profiles.goals` (learner key → the learner's goals as JSON),
//! `profiles.watermarks` (source watermarks).
//!
//! `LearnerErased` drops every key under the learner's key in the first three trees
//! (visited activities are keyed under it too: nothing is kept per activity outside a
//! learner's key).
//! The watermarks stay: they are per source partition, shared by every learner of the
//! partition, and they keep a re-published statement of the erased learner from being
//! folded again.

mod activities;
mod days;
mod goals;
mod reader;
mod record;
mod view;

pub use days::{RECENT_DAYS, WINDOW_DAYS};
pub use goals::{
    check_goal, goal_removed, goal_set, GoalOutcome, GoalRequest, MAX_COMPETENCY_CHARS,
    MAX_DESCRIPTION_CHARS, MAX_GOALS,
};
pub use learnlog_projector::days::{day_of, Day};
pub use learnlog_projector::modality::{modality_of, Modality};
pub use reader::ProfileReader;
pub use record::{is_finishing, MAX_ACTIVITY_TYPES, MAX_CATEGORIES, MAX_DURATION_MILLIS};
pub use view::{
    ActiveDaysView, Advancement, CompetencySummary, DayView, Goal, InterestView, Interests,
    Modalities, ModalityShare, PerModality, Profile, TimeOnTask, TOP,
};

use crate::erasure;
use goals::StoredGoal;
use learnlog_projection::{Fold, FoldError, FoldTrees, Folded};
use learnlog_projector::days::acted_at;
use learnlog_projector::learners::{learner_key, SourceWatermarks};
use learnlog_projector::stored_json::{read_json, write_json};
use learnlog_proto::topics;
use learnlog_proto::v1::{envelope::Event, Envelope, GoalRemoved, GoalSet, LearnerStatement};
use record::{LearnerRecord, Observation};
use uuid::Uuid;

pub(crate) const LEARNERS: &str = "profiles.learners";
pub(crate) const ACTIVITIES: &str = "profiles.activities";
pub(crate) const GOALS: &str = "profiles.goals";
const WATERMARKS: &str = "profiles.watermarks";

/// The trees whose keys start with a learner's key: what erasing a learner empties.
const LEARNER_TREES: [&str; 3] = [LEARNERS, ACTIVITIES, GOALS];

/// The learner profile fold.
#[derive(Debug, Default)]
pub struct ProfileStore;

impl ProfileStore {
    /// The projection's name (its directory under `projections/`).
    pub const NAME: &'static str = "profiles";
}

fn uuid_field(value: &str, field: &str) -> Result<Uuid, FoldError> {
    learnlog_xapi::parse_uuid(value)
        .ok_or_else(|| FoldError::BadEvent(format!("{field}: {value:?} is not a UUID")))
}

impl ProfileStore {
    fn statement(
        &self,
        trees: &FoldTrees<'_>,
        partition: u32,
        tenant: &str,
        statement: &LearnerStatement,
    ) -> Result<(), FoldError> {
        let learner = uuid_field(&statement.learner_id, "learner_id")?;
        let watermarks = SourceWatermarks::new(trees.tree(WATERMARKS));
        if !watermarks.first_time(
            partition,
            statement.source_partition,
            statement.source_offset,
        )? {
            return Ok(());
        }
        let key = learner_key(tenant, learner);
        let learners = trees.tree(LEARNERS);
        let mut record: LearnerRecord = read_json(learners, &key, "profile")?.unwrap_or_default();
        let day = day_of(acted_at(statement));
        let returned = if statement.activity_id.is_empty() {
            false
        } else {
            let visited = trees.tree(ACTIVITIES);
            let (bucket_key, hash) = activities::locate(&key, &statement.activity_id);
            let mut bucket = match visited.get(&bucket_key)? {
                Some(bytes) => activities::Bucket::decode(&bytes).ok_or_else(|| {
                    FoldError::BadEvent("stored visited activities are corrupt".into())
                })?,
                None => activities::Bucket::default(),
            };
            let returned = bucket.visit(hash, day, record.statements + 1);
            visited.insert(bucket_key, bucket.encode())?;
            returned
        };
        record.observe(&Observation {
            statement,
            day,
            returned,
        });
        write_json(learners, key, &record)
    }

    fn goal_set(
        &self,
        trees: &FoldTrees<'_>,
        event: &Envelope,
        set: &GoalSet,
    ) -> Result<GoalOutcome, FoldError> {
        let learner = uuid_field(&set.learner_id, "learner_id")?;
        let id = uuid_field(&set.goal_id, "goal_id")?;
        if set.description.trim().is_empty() {
            return Err(FoldError::BadEvent("description is empty".into()));
        }
        let key = learner_key(&event.tenant, learner);
        let tree = trees.tree(GOALS);
        let mut goals: Vec<StoredGoal> = read_json(tree, &key, "goals")?.unwrap_or_default();
        let goal = StoredGoal {
            id,
            competency: Some(set.competency_id.clone()).filter(|c| !c.is_empty()),
            description: set.description.clone(),
            target_micros: set.target_micros,
            set_at_micros: event.produced_at_micros,
        };
        let outcome = goals::set_goal(&mut goals, goal);
        if outcome != GoalOutcome::TooMany {
            write_json(tree, key, &goals)?;
        }
        Ok(outcome)
    }

    fn goal_removed(
        &self,
        trees: &FoldTrees<'_>,
        tenant: &str,
        removed: &GoalRemoved,
    ) -> Result<GoalOutcome, FoldError> {
        let learner = uuid_field(&removed.learner_id, "learner_id")?;
        let id = uuid_field(&removed.goal_id, "goal_id")?;
        let key = learner_key(tenant, learner);
        let tree = trees.tree(GOALS);
        let mut goals: Vec<StoredGoal> = read_json(tree, &key, "goals")?.unwrap_or_default();
        let outcome = goals::remove_goal(&mut goals, id);
        if outcome == GoalOutcome::Removed {
            if goals.is_empty() {
                tree.remove(key)?;
            } else {
                write_json(tree, key, &goals)?;
            }
        }
        Ok(outcome)
    }
}

impl Fold for ProfileStore {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn topics(&self) -> &'static [&'static str] {
        &[topics::LEARNER_EVENTS]
    }

    fn trees(&self) -> &'static [&'static str] {
        &[LEARNERS, ACTIVITIES, GOALS, WATERMARKS]
    }

    fn linger(&self, _topic: &str) -> std::time::Duration {
        crate::LEARNER_EVENTS_LINGER
    }

    fn reads_committed(&self, _partition: u32, event: &Envelope) -> Vec<(&'static str, Vec<u8>)> {
        erasure::learner_ranges(event, &LEARNER_TREES)
    }

    fn apply(
        &self,
        trees: &FoldTrees<'_>,
        _topic: &str,
        partition: u32,
        _offset: u64,
        event: &Envelope,
    ) -> Result<Folded, FoldError> {
        if let Some(erased) = erasure::erased_learner(event) {
            let key = learner_key(&event.tenant, erased?);
            erasure::remove_committed(trees, &LEARNER_TREES, &key)?;
            return Ok(Folded::default());
        }
        let outcome = match &event.event {
            Some(Event::LearnerStatement(statement)) => {
                self.statement(trees, partition, &event.tenant, statement)?;
                return Ok(Folded::default());
            }
            Some(Event::GoalSet(set)) => self.goal_set(trees, event, set)?,
            Some(Event::GoalRemoved(removed)) => {
                self.goal_removed(trees, &event.tenant, removed)?
            }
            _ => return Ok(Folded::default()),
        };
        Ok(Folded {
            outcome: Some(outcome.encode()),
        })
    }
}

#[cfg(test)]
mod tests;
