//! Classes: rosters (`ClassSet` / `ClassRemoved` on the one-partition `classes` topic)
//! and when each learner was last active (from `learner-events`), folded whole by every
//! process, so a class view and the "inactive while classmates are active" rule see
//! every member whichever projector owns them.
//!
//! Trees: `classes.classes` (`tenant \0 class` → [`Class`] as JSON),
//! `classes.members` (`tenant \0 learner(16) class` → nothing: a learner's classes),
//! `classes.active` (`tenant \0 learner(16)` → the UTC day of the learner's latest
//! statement, days since the Unix epoch, big-endian; a maximum, so re-published
//! statements fold to the same value, and only a learner's first statement of a day
//! writes).

mod events;
mod reader;

pub use events::{check_class_id, class_removed, class_set, ClassRequest, MAX_MEMBERS};
pub use reader::ClassReader;

use learnlog_projection::{Fold, FoldError, FoldTrees, Folded};
use learnlog_projector::days::{acted_at, day_of, Day};
use learnlog_projector::learners::learner_key;
use learnlog_projector::stored_json::{read_json, write_json};
use learnlog_proto::topics;
use learnlog_proto::v1::{envelope::Event, ClassSet, Envelope};
use serde::{Deserialize, Serialize};
use std::time::Duration;
use uuid::Uuid;

/// How long statements gather before the replicated folds that no writer waits for
/// (the days learners were active, the activity catalog) fold them: at most this much
/// staleness, for about a fifth as many batches while statements stream in.
pub(crate) const STATEMENTS_LINGER: Duration = Duration::from_millis(100);

pub(crate) const CLASSES: &str = "classes.classes";
pub(crate) const MEMBERS: &str = "classes.members";
pub(crate) const ACTIVE: &str = "classes.active";

/// One member of a class.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    /// The learner id.
    pub learner: Uuid,
    /// As given: an agent (JSON) or the learner id.
    pub given: String,
}

/// A stored class roster.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Class {
    pub id: String,
    pub name: String,
    pub members: Vec<Member>,
    pub teachers: Vec<String>,
    /// Frameworks the class works on.
    pub frameworks: Vec<String>,
    /// When it was last set (the event's `produced_at_micros`).
    pub updated_micros: i64,
}

/// What the fold decided for a class event (the outcome a writer waits for).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClassOutcome {
    Created,
    Replaced,
    Removed,
    NotFound,
}

impl ClassOutcome {
    fn encode(self) -> Vec<u8> {
        vec![match self {
            ClassOutcome::Created => 1,
            ClassOutcome::Replaced => 2,
            ClassOutcome::Removed => 3,
            ClassOutcome::NotFound => 4,
        }]
    }

    pub fn decode(bytes: &[u8]) -> Option<Self> {
        match bytes {
            [1] => Some(ClassOutcome::Created),
            [2] => Some(ClassOutcome::Replaced),
            [3] => Some(ClassOutcome::Removed),
            [4] => Some(ClassOutcome::NotFound),
            _ => None,
        }
    }
}

pub(crate) fn class_key(tenant: &str, class: &str) -> Vec<u8> {
    let mut key = learnlog_projector::tenant_prefix(tenant);
    key.extend_from_slice(class.as_bytes());
    key
}

fn member_key(tenant: &str, learner: Uuid, class: &str) -> Vec<u8> {
    let mut key = learner_key(tenant, learner);
    key.extend_from_slice(class.as_bytes());
    key
}

fn bad(message: impl Into<String>) -> FoldError {
    FoldError::BadEvent(message.into())
}

/// The class folds.
#[derive(Debug, Default)]
pub struct ClassStore;

impl ClassStore {
    /// The projection's name (its directory under `projections/`).
    pub const NAME: &'static str = "classes";

    fn stored(trees: &FoldTrees<'_>, tenant: &str, id: &str) -> Result<Option<Class>, FoldError> {
        read_json(trees.tree(CLASSES), &class_key(tenant, id), "class")
    }

    fn unindex(trees: &FoldTrees<'_>, tenant: &str, class: &Class) -> Result<(), FoldError> {
        for member in &class.members {
            trees
                .tree(MEMBERS)
                .remove(member_key(tenant, member.learner, &class.id))?;
        }
        Ok(())
    }

    fn set(
        trees: &FoldTrees<'_>,
        tenant: &str,
        at: i64,
        set: &ClassSet,
    ) -> Result<ClassOutcome, FoldError> {
        if set.class_id.is_empty() || set.learner_ids.len() != set.members.len() {
            return Err(bad("class_id is empty or members do not match learner_ids"));
        }
        let previous = Self::stored(trees, tenant, &set.class_id)?;
        if let Some(previous) = &previous {
            Self::unindex(trees, tenant, previous)?;
        }
        let members = (set.learner_ids.iter().zip(&set.members))
            .map(|(learner, given)| {
                Ok(Member {
                    learner: learnlog_xapi::parse_uuid(learner)
                        .ok_or_else(|| bad(format!("learner_ids: {learner:?} is not a UUID")))?,
                    given: given.clone(),
                })
            })
            .collect::<Result<Vec<_>, FoldError>>()?;
        let class = Class {
            id: set.class_id.clone(),
            name: set.name.clone(),
            members,
            teachers: set.teachers.clone(),
            frameworks: set.framework_ids.clone(),
            updated_micros: at,
        };
        for member in &class.members {
            trees
                .tree(MEMBERS)
                .insert(member_key(tenant, member.learner, &class.id), &[])?;
        }
        write_json(trees.tree(CLASSES), class_key(tenant, &class.id), &class)?;
        Ok(match previous {
            Some(_) => ClassOutcome::Replaced,
            None => ClassOutcome::Created,
        })
    }
}

impl Fold for ClassStore {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn topics(&self) -> &'static [&'static str] {
        &[topics::CLASSES, topics::LEARNER_EVENTS]
    }

    /// Rosters are waited for by their writers; the days learners were active are
    /// read in days, so statements gather into larger batches.
    fn linger(&self, topic: &str) -> Duration {
        if topic == topics::LEARNER_EVENTS {
            STATEMENTS_LINGER
        } else {
            Duration::ZERO
        }
    }

    fn trees(&self) -> &'static [&'static str] {
        &[CLASSES, MEMBERS, ACTIVE]
    }

    fn apply(
        &self,
        trees: &FoldTrees<'_>,
        _topic: &str,
        _partition: u32,
        _offset: u64,
        event: &Envelope,
    ) -> Result<Folded, FoldError> {
        let tenant = &event.tenant;
        let outcome = match &event.event {
            Some(Event::ClassSet(set)) => {
                Some(Self::set(trees, tenant, event.produced_at_micros, set)?)
            }
            Some(Event::ClassRemoved(removed)) => {
                Some(match Self::stored(trees, tenant, &removed.class_id)? {
                    Some(class) => {
                        Self::unindex(trees, tenant, &class)?;
                        trees.tree(CLASSES).remove(class_key(tenant, &class.id))?;
                        ClassOutcome::Removed
                    }
                    None => ClassOutcome::NotFound,
                })
            }
            Some(Event::LearnerStatement(statement)) => {
                let learner = learnlog_xapi::parse_uuid(&statement.learner_id)
                    .ok_or_else(|| bad("learner_id is not a UUID"))?;
                let key = learner_key(tenant, learner);
                let day = day_of(acted_at(statement));
                let active = trees.tree(ACTIVE);
                let last = match active.get(&key)? {
                    Some(bytes) => Day::from_be_bytes(
                        bytes
                            .as_ref()
                            .try_into()
                            .map_err(|_| bad("corrupt last-active day"))?,
                    ),
                    None => Day::MIN,
                };
                // a learner's statements of one day write nothing after the first
                if day > last {
                    active.insert(key, &day.to_be_bytes())?;
                }
                None
            }
            _ => None,
        };
        Ok(Folded {
            outcome: outcome.map(ClassOutcome::encode),
        })
    }
}

#[cfg(test)]
mod tests;
