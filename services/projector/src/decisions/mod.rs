//! The decisions projection: what the decision rules need about a learner beyond
//! mastery and the profile, folded from `learner-events` (keyed by learner, so one
//! partition owns a learner's decisions):
//! - the learner's choices of next objectives (`ObjectiveChosen`),
//! - teachers' actions on interventions (`InterventionActed`),
//! - the activities the learner finished lately (only finishing statements are
//!   folded here; when a learner was last active is the `classes` projection's).
//!
//! The rules themselves (`learnlog_decisions`) run at read time against the time asked
//! about, so nothing here depends on a clock: replay folds the same records.
//!
//! Trees: `decisions.learners` (learner key → [`DecisionRecord`] as JSON),
//! `decisions.sources` (source watermarks of re-published statements).

mod events;
mod reader;
mod record;

pub use events::{intervention_acted, objective_chosen, InterventionRequest};
pub use reader::DecisionReader;
pub use record::{
    ChoiceRecord, DecisionRecord, FinishedRecord, InterventionRecord, MAX_ACTIONS, MAX_CHOICES,
    MAX_FINISHED,
};

use crate::learners::{learner_key, SourceWatermarks};
use crate::profiles::is_finishing;
use crate::stored_json::{read_json, write_json};
use learnlog_projection::{Fold, FoldError, FoldTrees, Folded};
use learnlog_proto::topics;
use learnlog_proto::v1::{envelope::Event, Envelope, LearnerStatement};
use uuid::Uuid;

pub(crate) const LEARNERS: &str = "decisions.learners";
const SOURCES: &str = "decisions.sources";

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
    fn statement(
        &self,
        trees: &FoldTrees<'_>,
        partition: u32,
        tenant: &str,
        statement: &LearnerStatement,
    ) -> Result<(), FoldError> {
        if !is_finishing(statement) || statement.activity_id.is_empty() {
            // Nothing to keep: most statements cost one check. Watermarks are raised
            // only by the statements folded, which are the only ones to fold once.
            return Ok(());
        }
        let watermarks = SourceWatermarks::new(trees.tree(SOURCES));
        if !watermarks.first_time(
            partition,
            statement.source_partition,
            statement.source_offset,
        )? {
            return Ok(());
        }
        let learner = learner_of(&statement.learner_id)?;
        let learners = trees.tree(LEARNERS);
        let key = learner_key(tenant, learner);
        let mut record: DecisionRecord =
            read_json(learners, &key, "decision record")?.unwrap_or_default();
        record.finished(statement);
        write_json(learners, key, &record)
    }

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
        &[LEARNERS, SOURCES]
    }

    fn apply(
        &self,
        trees: &FoldTrees<'_>,
        _topic: &str,
        partition: u32,
        _offset: u64,
        event: &Envelope,
    ) -> Result<Folded, FoldError> {
        let tenant = &event.tenant;
        let at = event.produced_at_micros;
        match &event.event {
            Some(Event::LearnerStatement(statement)) => {
                self.statement(trees, partition, tenant, statement)?
            }
            Some(Event::LearnerStatementVoided(voided)) => {
                let watermarks = SourceWatermarks::new(trees.tree(SOURCES));
                if watermarks.first_time(
                    partition,
                    voided.source_partition,
                    voided.source_offset,
                )? {
                    self.update(trees, tenant, &voided.learner_id, |record| {
                        record.void(&voided.statement_id);
                        Ok(())
                    })?
                }
            }
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
