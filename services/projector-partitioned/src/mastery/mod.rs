//! Mastery: for every learner × competency, P(mastered), updated O(1) per piece of
//! evidence, folded from `learner-events`.
//!
//! Evidence is a re-published statement ([`LearnerStatement`]) on an activity aligned to
//! at least one competency, with `result.success` or a scaled score ([`evidence_of`]).
//! The fold runs the model of `learnlog_mastery` — the same code the benchmark harness
//! streams — with the parameter set in force on the event's partition: the last
//! `MasteryModelPublished` folded there, or [`ParameterSet::unfitted`] before any. New
//! parameters apply to evidence folded after them; states carry over, so replaying the
//! log reproduces every view exactly.
//!
//! Trees (keys start with `tenant \0 learner(16)` unless noted):
//! - `mastery.learners`: learner → [`LearnerRecord`] (ability, responses, parameter set);
//! - `mastery.skills`: learner + competency → [`SkillRecord`];
//! - `mastery.by_competency`: `tenant \0 competency \0 learner(16)` → [`IndexEntry`],
//!   for "who has mastered it, who is close";
//! - `mastery.models`: `p partition(4) tenant` → parameter-set id, `m id` → its JSON;
//! - `mastery.history`: learner + chunk → the learner's evidence in timestamp order
//!   (see `history`: late evidence is put in its place and the learner folded again);
//! - `mastery.sources`: the [`SourceWatermarks`] that fold re-published events once;
//! - `mastery.removed`: learner + competency → nothing, for each competency whose every
//!   piece of evidence was voided, until evidence on it comes again (so that views
//!   published elsewhere can remove it too).
//!
//! `LearnerErased` drops the learner from every tree but the parameter sets and the
//! watermarks, which hold nothing of any learner (see `erasure`).
//!
//! [`LearnerStatement`]: learnlog_proto::v1::LearnerStatement
//! [`ParameterSet::unfitted`]: learnlog_mastery::ParameterSet::unfitted
//! [`SourceWatermarks`]: learnlog_projector::learners::SourceWatermarks

mod codec;
mod erasure;
mod evidence;
mod history;
mod learner_fold;
mod models;
mod reader;
mod voiding;
mod wire;

pub use codec::{
    IndexEntry, LearnerRecord, Response, SkillRecord, LAST_STATEMENTS, RECENT_RESPONSES,
};
pub use evidence::{evidence_of, Evidence, EvidenceLog};
pub(crate) use models::{model_key, model_pointer, ModelCache};
pub use reader::{
    CompetencyLearners, CompetencyMastery, LearnerMastery, MasteryReader, Predictor, RankedLearner,
    STRUGGLING_BELOW, STRUGGLING_MIN_EVIDENCE,
};

use learnlog_projection::{Fold, FoldError, FoldTrees, Folded};
use learnlog_projector::learners::learner_key;
use learnlog_proto::topics;
use learnlog_proto::v1::{envelope::Event, Envelope};
use uuid::Uuid;

pub(crate) const LEARNERS: &str = "mastery.learners";
pub(crate) const SKILLS: &str = "mastery.skills";
pub(crate) const BY_COMPETENCY: &str = "mastery.by_competency";
pub(crate) const MODELS: &str = "mastery.models";
pub(crate) const SOURCES: &str = "mastery.sources";
pub(crate) const HISTORY: &str = "mastery.history";
pub(crate) const REMOVED: &str = "mastery.removed";

/// P(mastered) at or above which a competency counts as mastered, unless configured.
pub const DEFAULT_THRESHOLD: f64 = 0.95;

/// The id under which the unfitted defaults are folded before any parameters exist.
pub const UNFITTED: &str = "unfitted";

/// The mastery fold.
pub struct MasteryStore {
    threshold: f64,
    models: ModelCache,
}

impl MasteryStore {
    /// The projection's name (its directory under `projections/`).
    pub const NAME: &'static str = "mastery";

    /// A fold that counts a competency mastered from P(mastered) ≥ `threshold`.
    pub fn new(threshold: f64) -> Self {
        Self {
            threshold,
            models: ModelCache::default(),
        }
    }
}

impl Default for MasteryStore {
    fn default() -> Self {
        Self::new(DEFAULT_THRESHOLD)
    }
}

pub(crate) fn skill_key(tenant: &str, learner: Uuid, competency: &str) -> Vec<u8> {
    let mut key = learner_key(tenant, learner);
    key.extend_from_slice(competency.as_bytes());
    key
}

pub(crate) fn competency_prefix(tenant: &str, competency: &str) -> Vec<u8> {
    let mut key = learnlog_projector::tenant_prefix(tenant);
    key.extend_from_slice(competency.as_bytes());
    key.push(0);
    key
}

/// The key of `learner`'s entry in the competency index, for a competency as the
/// learner's skill keys end with it.
pub(crate) fn index_key(tenant: &str, competency: &[u8], learner: Uuid) -> Vec<u8> {
    let mut key = learnlog_projector::tenant_prefix(tenant);
    key.extend_from_slice(competency);
    key.push(0);
    key.extend_from_slice(learner.as_bytes());
    key
}

pub(super) fn bad(message: impl Into<String>) -> FoldError {
    FoldError::BadEvent(message.into())
}

impl Fold for MasteryStore {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn topics(&self) -> &'static [&'static str] {
        &[topics::LEARNER_EVENTS]
    }

    fn linger(&self, _topic: &str) -> std::time::Duration {
        crate::LEARNER_EVENTS_LINGER
    }

    fn trees(&self) -> &'static [&'static str] {
        &[
            LEARNERS,
            SKILLS,
            BY_COMPETENCY,
            MODELS,
            SOURCES,
            HISTORY,
            REMOVED,
        ]
    }

    fn reads_committed(&self, _partition: u32, event: &Envelope) -> Vec<(&'static str, Vec<u8>)> {
        erasure::ranges(event)
    }

    fn apply(
        &self,
        trees: &FoldTrees<'_>,
        _topic: &str,
        partition: u32,
        _offset: u64,
        event: &Envelope,
    ) -> Result<Folded, FoldError> {
        if let Some(erased) = crate::erasure::erased_learner(event) {
            erasure::erase(trees, &event.tenant, erased?)?;
            return Ok(Folded::default());
        }
        match &event.event {
            Some(Event::LearnerStatement(statement)) => {
                self.fold_statement(trees, partition, &event.tenant, statement)?
            }
            Some(Event::LearnerStatementVoided(voided)) => {
                self.fold_voided(trees, partition, &event.tenant, voided)?
            }
            Some(Event::MasteryModelPublished(published)) => {
                self.publish(trees, partition, &event.tenant, published)?
            }
            _ => {}
        }
        Ok(Folded::default())
    }
}

#[cfg(test)]
mod tests;
