//! Reading the profile projection: a learner's profile and goals.

use super::activities::{locate, Bucket};
use super::goals::StoredGoal;
use super::record::LearnerRecord;
use super::view::{self, Goal, Profile};
use super::{ACTIVITIES, GOALS, LEARNERS};
use learnlog_projection::Projection;
use learnlog_projector::days::Day;
use learnlog_projector::learners::learner_key;
use learnlog_projector::{Error, Result};
use uuid::Uuid;

/// Reads the profile projection's trees. Cheap to clone.
#[derive(Clone)]
pub struct ProfileReader {
    learners: learnlog_projection::StoreTree,
    activities: learnlog_projection::StoreTree,
    goals: learnlog_projection::StoreTree,
}

impl ProfileReader {
    /// A reader over the profile projection's database.
    pub fn new(projection: &Projection) -> Result<Self> {
        Ok(Self {
            learners: projection.tree(LEARNERS),
            activities: projection.tree(ACTIVITIES),
            goals: projection.tree(GOALS),
        })
    }

    /// The profile of `learner` in `tenant`, or `None` when no statement and no goal
    /// of that learner was folded.
    pub fn profile(&self, tenant: &str, learner: Uuid) -> Result<Option<Profile>> {
        let key = learner_key(tenant, learner);
        let record = self
            .learners
            .get(&key)?
            .map(|bytes| {
                serde_json::from_slice::<LearnerRecord>(&bytes)
                    .map_err(|error| Error::Corrupt(format!("profile of {learner}: {error}")))
            })
            .transpose()?;
        let goals = self.stored_goals(&key, learner)?;
        if record.is_none() && goals.is_empty() {
            return Ok(None);
        }
        Ok(Some(view::profile(
            learner,
            &record.unwrap_or_default(),
            &goals,
        )))
    }

    /// The last UTC day (days since the Unix epoch) `learner` visited each of
    /// `activities`, where the profile remembers it (it keeps the 2,048 most recent).
    pub fn last_visits<'a>(
        &self,
        tenant: &str,
        learner: Uuid,
        activities: impl IntoIterator<Item = &'a str>,
    ) -> Result<Vec<(&'a str, Day)>> {
        let key = learner_key(tenant, learner);
        let mut buckets: std::collections::HashMap<Vec<u8>, Option<Bucket>> = Default::default();
        let mut visits = Vec::new();
        for activity in activities {
            let (bucket_key, hash) = locate(&key, activity);
            let bucket = match buckets.entry(bucket_key) {
                std::collections::hash_map::Entry::Occupied(found) => found.into_mut(),
                std::collections::hash_map::Entry::Vacant(missing) => {
                    let stored = self.activities.get(missing.key())?;
                    let bucket = stored
                        .map(|bytes| {
                            Bucket::decode(&bytes).ok_or_else(|| {
                                Error::Corrupt(format!("visited activities of {learner}"))
                            })
                        })
                        .transpose()?;
                    missing.insert(bucket)
                }
            };
            if let Some(day) = bucket.as_ref().and_then(|b| b.last_visit(hash)) {
                visits.push((activity, day));
            }
        }
        Ok(visits)
    }

    /// The goals of `learner`, in the order they were first set.
    pub fn goals(&self, tenant: &str, learner: Uuid) -> Result<Vec<Goal>> {
        let goals = self.stored_goals(&learner_key(tenant, learner), learner)?;
        Ok(goals.iter().map(Goal::from).collect())
    }

    /// One goal of `learner`.
    pub fn goal(&self, tenant: &str, learner: Uuid, goal_id: Uuid) -> Result<Option<Goal>> {
        let goals = self.stored_goals(&learner_key(tenant, learner), learner)?;
        Ok(goals.iter().find(|goal| goal.id == goal_id).map(Goal::from))
    }

    fn stored_goals(&self, key: &[u8], learner: Uuid) -> Result<Vec<StoredGoal>> {
        self.goals
            .get(key)?
            .map(|bytes| {
                serde_json::from_slice(&bytes)
                    .map_err(|error| Error::Corrupt(format!("goals of {learner}: {error}")))
            })
            .transpose()
            .map(Option::unwrap_or_default)
    }
}
