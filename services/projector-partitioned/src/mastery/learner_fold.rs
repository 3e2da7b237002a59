//! Folding one piece of evidence into a learner's states: appended in order, or put in
//! its place in the learner's history and the learner folded again when it is late.

use super::codec::{IndexEntry, LearnerRecord, SkillRecord};
use super::history::{self, History};
use super::{
    bad, evidence_of, index_key, skill_key, MasteryStore, BY_COMPETENCY, HISTORY, LEARNERS,
    REMOVED, SKILLS, SOURCES,
};
use learnlog_mastery::Loaded;
use learnlog_projection::{FoldError, FoldTrees};
use learnlog_projector::learners::{learner_key, SourceWatermarks};
use learnlog_proto::v1::LearnerStatement;
use std::collections::HashMap;
use uuid::Uuid;

impl MasteryStore {
    pub(super) fn fold_statement(
        &self,
        trees: &FoldTrees<'_>,
        partition: u32,
        tenant: &str,
        statement: &LearnerStatement,
    ) -> Result<(), FoldError> {
        let watermarks = SourceWatermarks::new(trees.tree(SOURCES));
        if !watermarks.first_time(
            partition,
            statement.source_partition,
            statement.source_offset,
        )? {
            return Ok(());
        }
        let Some(evidence) = evidence_of(statement) else {
            return Ok(());
        };
        let learner =
            Uuid::parse_str(&statement.learner_id).map_err(|_| bad("learner_id is not a UUID"))?;
        let (model_id, loaded) = self.current_model(trees, partition, tenant)?;
        let entry = history::Entry {
            timestamp_micros: statement.timestamp_micros,
            correct: evidence.correct,
            statement_id: statement.statement_id.clone(),
            activity_id: statement.activity_id.clone(),
            competencies: evidence.competencies,
        };

        let learners = trees.tree(LEARNERS);
        let skills = trees.tree(SKILLS);
        let learner_at = learner_key(tenant, learner);
        let mut record = match learners.get(&learner_at)? {
            Some(bytes) => LearnerRecord::decode(&bytes).ok_or_else(|| bad("corrupt learner"))?,
            None => LearnerRecord::default(),
        };
        let late = record.history_len > 0 && entry.timestamp_micros < record.last_timestamp_micros;
        let mut touched: HashMap<String, SkillRecord> = HashMap::new();
        let history = History {
            tree: trees.tree(HISTORY),
            learner: &learner_at,
        };
        if late {
            // fold the learner again from the start, with the late entry in its place
            let mut entries = history.load(record.history_len)?;
            let at = history::insertion_point(&entries, entry.timestamp_micros);
            entries.insert(at, entry);
            touched = self.refold(&loaded, &mut record.state, &entries);
            history.store(&entries, at / history::CHUNK)?;
        } else {
            for competency in &entry.competencies {
                if let Some(bytes) = skills.get(skill_key(tenant, learner, competency))? {
                    let skill = SkillRecord::decode(&bytes).ok_or_else(|| bad("corrupt skill"))?;
                    touched.insert(competency.clone(), skill);
                }
            }
            self.apply(&loaded, &mut record.state, &mut touched, &entry);
            history.append(record.history_len, entry.clone())?;
            record.last_timestamp_micros = entry.timestamp_micros;
        }
        record.history_len += 1;
        record.model_id = model_id;
        learners.insert(learner_at, record.encode())?;

        store_skills(trees, tenant, learner, touched)
    }

    /// Folds a learner's whole history again from the prior; returns the records of
    /// every competency it touches.
    pub(super) fn refold(
        &self,
        loaded: &Loaded,
        learner: &mut learnlog_mastery::LearnerState,
        entries: &[history::Entry],
    ) -> HashMap<String, SkillRecord> {
        let mut skills = HashMap::new();
        *learner = Default::default();
        for entry in entries {
            self.apply(loaded, learner, &mut skills, entry);
        }
        skills
    }

    /// Folds one entry into the learner's state and the records of its competencies
    /// (missing ones start from the model's prior).
    pub(super) fn apply(
        &self,
        loaded: &Loaded,
        learner: &mut learnlog_mastery::LearnerState,
        skills: &mut HashMap<String, SkillRecord>,
        entry: &history::Entry,
    ) {
        let model = loaded.model();
        let indices: Vec<u32> = entry
            .competencies
            .iter()
            .map(|c| loaded.competency(c))
            .collect();
        let mut states: Vec<_> = entry
            .competencies
            .iter()
            .zip(&indices)
            .map(|(c, &k)| skills.get(c).map_or_else(|| model.initial(k), |r| r.state))
            .collect();
        let evidence = learnlog_mastery::Evidence {
            skills: &indices,
            item: loaded.item(&entry.activity_id),
            correct: entry.correct,
            epoch_s: entry.timestamp_micros.div_euclid(1_000_000),
        };
        model.update(learner, &evidence, &mut states);
        for ((competency, &k), state) in entry.competencies.iter().zip(&indices).zip(states) {
            skills
                .entry(competency.clone())
                .or_insert_with(|| SkillRecord::new(model.initial(k)))
                .record(
                    state,
                    self.threshold,
                    entry.timestamp_micros,
                    &entry.statement_id,
                    entry.correct,
                );
        }
    }
}

/// Writes a learner's competency records and their entries in the competency index.
pub(super) fn store_skills(
    trees: &FoldTrees<'_>,
    tenant: &str,
    learner: Uuid,
    touched: HashMap<String, SkillRecord>,
) -> Result<(), FoldError> {
    let skills = trees.tree(SKILLS);
    let index = trees.tree(BY_COMPETENCY);
    let removed = trees.tree(REMOVED);
    for (competency, skill) in touched {
        let at = index_key(tenant, competency.as_bytes(), learner);
        index.insert(at, IndexEntry::of(&skill).encode().as_slice())?;
        let key = skill_key(tenant, learner, &competency);
        if removed.get(&key)?.is_some() {
            removed.remove(key.clone())?;
        }
        skills.insert(key, skill.encode())?;
    }
    Ok(())
}
