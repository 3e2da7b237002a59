//! The decisions projection: what the decision rules need about a learner beyond
//! mastery and the profile, folded from `learner-events` (keyed by learner, so one
//! partition owns a learner's decisions):
//! - the learner's choices of next objectives (`ObjectiveChosen`),
//! - teachers' actions on interventions (`InterventionActed`).
//!
//! `LearnerErased` drops the learner's record (every key under the learner's key).
//!
//! Statements are not folded here: what a learner did lately is the profile's (its
//! visited activities), when they were last active the `classes` projection's, so a
//! statement costs this fold a decode and no write.
//!
//! The rules themselves (`learnlog_decisions`) run at read time against the time asked
//! about, so nothing here depends on a clock: replay folds the same records.
//!
//! Tree: `decisions.learners` (learner key → [`DecisionRecord`] as JSON).

mod events;
mod reader;
mod record;

pub use events::{intervention_acted, objective_chosen, InterventionRequest};
pub use reader::DecisionReader;
pub use record::{ChoiceRecord, DecisionRecord, InterventionRecord, MAX_ACTIONS, MAX_CHOICES};

use crate::erasure;
use learnlog_projection::{Fold, FoldError, FoldTrees, Folded};
use learnlog_projector::learners::learner_key;
use learnlog_projector::stored_json::{read_json, write_json};
use learnlog_proto::topics;
use learnlog_proto::v1::{envelope::Event, Envelope};
use uuid::Uuid;

pub(crate) const LEARNERS: &str = "decisions.learners";

/// The decisions fold.
#[derive(Debug, Default)]
pub struct DecisionStore;

impl DecisionStore {
    /// The projection's name (its directory under `projections/`).
    pub const NAME: &'static str = "decisions";
}

fn bad(message: impl Into<String>) -> FoldError {
    FoldError::BadEvent(message.into())
}

fn learner_of(id: &str) -> Result<Uuid, FoldError> {
    learnlog_xapi::parse_uuid(id).ok_or_else(|| bad(format!("learner_id: {id:?} is not a UUID")))
}

impl DecisionStore {
    fn update(
        &self,
        trees: &FoldTrees<'_>,
        tenant: &str,
        learner_id: &str,
        change: impl FnOnce(&mut DecisionRecord) -> Result<(), FoldError>,
    ) -> Result<(), FoldError> {
        let learner = learner_of(learner_id)?;
        let learners = trees.tree(LEARNERS);
        let key = learner_key(tenant, learner);
        let mut record: DecisionRecord =
            read_json(learners, &key, "decision record")?.unwrap_or_default();
        change(&mut record)?;
        write_json(learners, key, &record)
    }
}

impl Fold for DecisionStore {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn topics(&self) -> &'static [&'static str] {
        &[topics::LEARNER_EVENTS]
    }

    fn trees(&self) -> &'static [&'static str] {
        &[LEARNERS]
    }

    /// Only the learner's choices, the teachers' actions and erasures: everything else
    /// a decision rests on is read from the other projections at read time.
    fn wants(&self, event: &Envelope) -> bool {
        matches!(
            event.event,
            Some(Event::ObjectiveChosen(_) | Event::InterventionActed(_) | Event::LearnerErased(_))
        )
    }

    fn reads_committed(&self, _partition: u32, event: &Envelope) -> Vec<(&'static str, Vec<u8>)> {
        erasure::learner_ranges(event, &[LEARNERS])
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
        if let Some(erased) = erasure::erased_learner(event) {
            erasure::remove_committed(trees, &[LEARNERS], &learner_key(tenant, erased?))?;
            return Ok(Folded::default());
        }
        let at = event.produced_at_micros;
        match &event.event {
            Some(Event::ObjectiveChosen(chosen)) => {
                if chosen.competency_id.is_empty() {
                    return Err(bad("competency_id is empty"));
                }
                self.update(trees, tenant, &chosen.learner_id, |record| {
                    record.choose(&chosen.competency_id, at);
                    Ok(())
                })?
            }
            Some(Event::InterventionActed(acted)) => {
                let action = record::action_of(acted.action())
                    .ok_or_else(|| bad("action is unspecified"))?;
                // a probability; NaN and infinities fail too (found by fuzzing the
                // event decoders: such an event used to reach a teacher's view)
                if !(0.0..=1.0).contains(&acted.p_mastered) {
                    return Err(bad(format!(
                        "p_mastered: {} is not a probability",
                        acted.p_mastered
                    )));
                }
                self.update(trees, tenant, &acted.learner_id, |record| {
                    record.act(InterventionRecord {
                        intervention: acted.intervention_id.clone(),
                        action,
                        at,
                        by: acted.by.clone(),
                        note: acted.note.clone(),
                        competency: acted.competency_id.clone(),
                        opportunities: acted.opportunities,
                        p_mastered: acted.p_mastered,
                    });
                    Ok(())
                })?
            }
            _ => {}
        }
        Ok(Folded::default())
    }
}

#[cfg(test)]
mod tests;
