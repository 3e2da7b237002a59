//! Taking a voided statement back: the learner is folded again without it, and
//! competencies left without evidence disappear from the views (and are remembered in
//! `mastery.removed` so that views published elsewhere can remove them too).

use super::codec::LearnerRecord;
use super::history::{self, History};
use super::learner_fold::store_skills;
use super::{
    bad, index_key, skill_key, MasteryStore, BY_COMPETENCY, HISTORY, LEARNERS, REMOVED, SKILLS,
    SOURCES,
};
use learnlog_projection::{FoldError, FoldTrees};
use learnlog_projector::learners::{learner_key, SourceWatermarks};
use learnlog_proto::v1::LearnerStatementVoided;
use uuid::Uuid;

impl MasteryStore {
    pub(super) fn fold_voided(
        &self,
        trees: &FoldTrees<'_>,
        partition: u32,
        tenant: &str,
        voided: &LearnerStatementVoided,
    ) -> Result<(), FoldError> {
        let watermarks = SourceWatermarks::new(trees.tree(SOURCES));
        if !watermarks.first_time(partition, voided.source_partition, voided.source_offset)? {
            return Ok(());
        }
        let learner =
            Uuid::parse_str(&voided.learner_id).map_err(|_| bad("learner_id is not a UUID"))?;
        let learners = trees.tree(LEARNERS);
        let learner_at = learner_key(tenant, learner);
        let Some(bytes) = learners.get(&learner_at)? else {
            return Ok(());
        };
        let mut record = LearnerRecord::decode(&bytes).ok_or_else(|| bad("corrupt learner"))?;
        let history = History {
            tree: trees.tree(HISTORY),
            learner: &learner_at,
        };
        let mut entries = history.load(record.history_len)?;
        let Some(at) = entries
            .iter()
            .position(|e| e.statement_id == voided.statement_id)
        else {
            return Ok(());
        };
        let removed = entries.remove(at);
        let before: std::collections::HashSet<String> = entries
            .iter()
            .chain(std::iter::once(&removed))
            .flat_map(|e| e.competencies.iter().cloned())
            .collect();
        let (model_id, loaded) = self.current_model(trees, partition, tenant)?;
        let touched = self.refold(&loaded, &mut record.state, &entries);
        history.store(&entries, at / history::CHUNK)?;
        let chunks_before = (record.history_len as usize).div_ceil(history::CHUNK);
        if entries.len().div_ceil(history::CHUNK) < chunks_before {
            history.remove_chunk(chunks_before - 1)?;
        }
        let skills = trees.tree(SKILLS);
        let index = trees.tree(BY_COMPETENCY);
        for competency in before.iter().filter(|c| !touched.contains_key(*c)) {
            skills.remove(skill_key(tenant, learner, competency))?;
            trees
                .tree(REMOVED)
                .insert(skill_key(tenant, learner, competency), &[])?;
            index.remove(index_key(tenant, competency.as_bytes(), learner))?;
        }
        if entries.is_empty() {
            learners.remove(learner_at)?;
            return Ok(());
        }
        record.history_len = entries.len() as u32;
        record.last_timestamp_micros = entries.last().map_or(0, |e| e.timestamp_micros);
        record.model_id = model_id;
        learners.insert(learner_at, record.encode())?;
        store_skills(trees, tenant, learner, touched)
    }
}
