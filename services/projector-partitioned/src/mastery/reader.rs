//! Reading mastery: one learner's competencies, a competency's learners, and the
//! mastered / in progress / struggling summary a profile shows.

use super::codec::{IndexEntry, LearnerRecord, SkillRecord};
use super::{
    competency_prefix, model_key, model_pointer, ModelCache, BY_COMPETENCY, LEARNERS, MODELS,
    REMOVED, SKILLS, UNFITTED,
};
use learnlog_mastery::{LearnerState, Loaded, SkillState};
use learnlog_projection::Projection;
use learnlog_projector::learners::learner_key;
use learnlog_projector::{Error, Result};
use std::sync::Arc;
use uuid::Uuid;

/// Struggling: at least this much evidence on a competency…
pub const STRUGGLING_MIN_EVIDENCE: u32 = 5;
/// …and P(mastered) still below this.
pub const STRUGGLING_BELOW: f64 = 0.5;

/// One learner on one competency, as a view shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct CompetencyMastery {
    pub competency: String,
    /// P(mastered) at the time asked about (after forgetting since the last evidence,
    /// where the model forgets).
    pub p_mastered: f64,
    /// P(mastered) right after the last evidence.
    pub p_mastered_at_last_evidence: f64,
    pub record: SkillRecord,
}

impl CompetencyMastery {
    /// Mastered: P(mastered) at the last evidence reached the threshold.
    pub fn mastered(&self) -> bool {
        self.record.mastered_at_micros.is_some()
    }
}

/// A learner's mastery across competencies.
#[derive(Clone)]
pub struct LearnerMastery {
    pub learner: Uuid,
    pub record: LearnerRecord,
    /// In competency id order.
    pub competencies: Vec<CompetencyMastery>,
    /// Predictions under the parameter set the learner's evidence was folded with.
    pub predictor: Predictor,
}

/// Predicts a learner's P(correct) on a competency's items with the mastery model:
/// the served model's own prediction, so decisions rank by the same numbers the
/// benchmark judges.
#[derive(Clone)]
pub struct Predictor {
    loaded: Arc<Loaded>,
    learner: LearnerState,
}

impl Predictor {
    /// P(correct) at `at_micros` on an item of `competency` not seen before, from the
    /// learner's state on it (`None`: no evidence yet, the model's prior).
    pub fn p_correct(&self, competency: &str, state: Option<&SkillState>, at_micros: i64) -> f64 {
        let k = self.loaded.competency(competency);
        let model = self.loaded.model();
        let state = state.copied().unwrap_or_else(|| model.initial(k));
        let evidence = learnlog_mastery::Evidence {
            skills: &[k],
            item: None,
            correct: false,
            epoch_s: at_micros.div_euclid(1_000_000),
        };
        model.predict(&self.learner, &evidence, &[state])
    }
}

impl LearnerMastery {
    /// Competency ids: mastered, in progress, struggling.
    pub fn summary(&self) -> (Vec<&str>, Vec<&str>, Vec<&str>) {
        let (mut mastered, mut in_progress, mut struggling) = (vec![], vec![], vec![]);
        for c in &self.competencies {
            let id = c.competency.as_str();
            if c.mastered() {
                mastered.push(id);
            } else if c.record.state.count >= STRUGGLING_MIN_EVIDENCE
                && c.p_mastered_at_last_evidence < STRUGGLING_BELOW
            {
                struggling.push(id);
            } else {
                in_progress.push(id);
            }
        }
        (mastered, in_progress, struggling)
    }
}

/// One learner in a competency's list.
#[derive(Clone, Debug, PartialEq)]
pub struct RankedLearner {
    pub learner: Uuid,
    pub entry: IndexEntry,
}

/// Who has mastered a competency and who is close, each by P(mastered) descending.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CompetencyLearners {
    pub mastered: Vec<RankedLearner>,
    pub close: Vec<RankedLearner>,
}

/// Reads the mastery projection. Cheap to clone.
#[derive(Clone)]
pub struct MasteryReader {
    learners: learnlog_projection::StoreTree,
    skills: learnlog_projection::StoreTree,
    by_competency: learnlog_projection::StoreTree,
    models: learnlog_projection::StoreTree,
    removed: learnlog_projection::StoreTree,
    cache: ModelCache,
}

fn corrupt(what: &str) -> Error {
    Error::Corrupt(format!("mastery {what}"))
}

impl MasteryReader {
    /// A reader over the mastery projection's database.
    pub fn new(projection: &Projection) -> Result<Self> {
        Ok(Self {
            learners: projection.tree(LEARNERS),
            skills: projection.tree(SKILLS),
            by_competency: projection.tree(BY_COMPETENCY),
            models: projection.tree(MODELS),
            removed: projection.tree(REMOVED),
            cache: ModelCache::default(),
        })
    }

    /// The competencies the learner had evidence on, all of it voided since (and none
    /// new).
    pub fn removed_competencies(&self, tenant: &str, learner: Uuid) -> Result<Vec<String>> {
        let prefix = learner_key(tenant, learner);
        (self.removed.scan_prefix(&prefix).keys())
            .map(|key| {
                String::from_utf8(key?[prefix.len()..].to_vec())
                    .map_err(|_| corrupt("removed competency key"))
            })
            .collect()
    }

    /// The learner's mastery, with P(mastered) as of `at_micros`; `None` when the
    /// learner has no evidence.
    pub fn learner(
        &self,
        tenant: &str,
        learner: Uuid,
        at_micros: i64,
    ) -> Result<Option<LearnerMastery>> {
        let prefix = learner_key(tenant, learner);
        let Some(bytes) = self.learners.get(&prefix)? else {
            return Ok(None);
        };
        let record = LearnerRecord::decode(&bytes).ok_or_else(|| corrupt("learner"))?;
        let loaded = self.model(&record.model_id)?;
        let mut competencies = Vec::new();
        for entry in self.skills.scan_prefix(&prefix) {
            let (key, value) = entry?;
            let competency = String::from_utf8(key[prefix.len()..].to_vec())
                .map_err(|_| corrupt("competency id"))?;
            let skill = SkillRecord::decode(&value).ok_or_else(|| corrupt("skill"))?;
            let k = loaded.competency(&competency);
            let p_mastered =
                loaded
                    .model()
                    .p_known_at(k, &skill.state, at_micros.div_euclid(1_000_000));
            competencies.push(CompetencyMastery {
                competency,
                p_mastered,
                p_mastered_at_last_evidence: skill.state.p_known,
                record: skill,
            });
        }
        Ok(Some(LearnerMastery {
            learner,
            predictor: Predictor {
                loaded,
                learner: record.state,
            },
            record,
            competencies,
        }))
    }

    fn model(&self, id: &str) -> Result<Arc<Loaded>> {
        let models = &self.models;
        self.cache
            .get_or_parse(id, || {
                models.get(model_key(id)).ok().flatten().map(|v| v.to_vec())
            })
            .map_err(Error::Corrupt)
    }

    /// Predictions for a learner with no evidence yet, whose events fold on
    /// `partition` of `learner-events`: the parameter set in force there.
    pub fn new_learner_predictor(&self, tenant: &str, partition: u32) -> Result<Predictor> {
        let id = match self.models.get(model_pointer(partition, tenant))? {
            Some(id) => String::from_utf8(id.to_vec()).map_err(|_| corrupt("model id"))?,
            None => UNFITTED.to_owned(),
        };
        Ok(Predictor {
            loaded: self.model(&id)?,
            learner: LearnerState::default(),
        })
    }

    /// Learners with evidence on `competency`: those who mastered it, and those not
    /// yet there whose P(mastered) is at least `close_from`.
    pub fn competency_learners(
        &self,
        tenant: &str,
        competency: &str,
        close_from: f64,
    ) -> Result<CompetencyLearners> {
        let prefix = competency_prefix(tenant, competency);
        let mut found = CompetencyLearners::default();
        for entry in self.by_competency.scan_prefix(&prefix) {
            let (key, value) = entry?;
            let learner = Uuid::from_slice(&key[prefix.len()..]).map_err(|_| corrupt("key"))?;
            let entry = IndexEntry::decode(&value).ok_or_else(|| corrupt("index entry"))?;
            let ranked = RankedLearner { learner, entry };
            if entry.mastered_at_micros.is_some() {
                found.mastered.push(ranked);
            } else if entry.p_known >= close_from {
                found.close.push(ranked);
            }
        }
        let by_p = |a: &RankedLearner, b: &RankedLearner| {
            b.entry
                .p_known
                .total_cmp(&a.entry.p_known)
                .then(a.learner.cmp(&b.learner))
        };
        found.mastered.sort_by(by_p);
        found.close.sort_by(by_p);
        Ok(found)
    }
}
