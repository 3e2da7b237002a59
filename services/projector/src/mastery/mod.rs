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

mod codec;
mod evidence;
mod history;
mod reader;
mod wire;

pub use codec::{
    IndexEntry, LearnerRecord, Response, SkillRecord, LAST_STATEMENTS, RECENT_RESPONSES,
};
pub use evidence::{evidence_of, Evidence, EvidenceLog};
pub use reader::{
    CompetencyLearners, CompetencyMastery, LearnerMastery, MasteryReader, Predictor, RankedLearner,
    STRUGGLING_BELOW, STRUGGLING_MIN_EVIDENCE,
};

use crate::learners::{learner_key, SourceWatermarks};
use learnlog_mastery::{Loaded, ParameterSet};
use learnlog_projection::{Fold, FoldError, FoldTrees, Folded};
use learnlog_proto::topics;
use learnlog_proto::v1::{
    envelope::Event, Envelope, LearnerStatement, LearnerStatementVoided, MasteryModelPublished,
};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use uuid::Uuid;

pub(crate) const LEARNERS: &str = "mastery.learners";
pub(crate) const SKILLS: &str = "mastery.skills";
pub(crate) const BY_COMPETENCY: &str = "mastery.by_competency";
pub(crate) const MODELS: &str = "mastery.models";
const SOURCES: &str = "mastery.sources";
const HISTORY: &str = "mastery.history";
pub(crate) const REMOVED: &str = "mastery.removed";

/// P(mastered) at or above which a competency counts as mastered, unless configured.
pub const DEFAULT_THRESHOLD: f64 = 0.95;

/// The id under which the unfitted defaults are folded before any parameters exist.
pub const UNFITTED: &str = "unfitted";

/// Parsed parameter sets by id; shared by the fold and the reader. Ids name immutable
/// sets, so caching by id cannot change a result.
#[derive(Clone, Default)]
pub(crate) struct ModelCache(Arc<Mutex<HashMap<String, Arc<Loaded>>>>);

impl ModelCache {
    pub(crate) fn get_or_parse(
        &self,
        id: &str,
        json: impl FnOnce() -> Option<Vec<u8>>,
    ) -> Result<Arc<Loaded>, String> {
        if let Some(loaded) = self.0.lock().expect("model cache").get(id) {
            return Ok(loaded.clone());
        }
        let set = if id == UNFITTED {
            ParameterSet::unfitted()
        } else {
            let bytes = json().ok_or_else(|| format!("parameter set {id} is not stored"))?;
            ParameterSet::from_json(&bytes).map_err(|e| e.to_string())?
        };
        let loaded = Arc::new(set.load());
        self.0
            .lock()
            .expect("model cache")
            .insert(id.to_owned(), loaded.clone());
        Ok(loaded)
    }
}

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

pub(crate) fn model_pointer(partition: u32, tenant: &str) -> Vec<u8> {
    let mut key = b"p".to_vec();
    key.extend_from_slice(&partition.to_be_bytes());
    key.extend_from_slice(tenant.as_bytes());
    key
}

pub(crate) fn model_key(id: &str) -> Vec<u8> {
    let mut key = b"m".to_vec();
    key.extend_from_slice(id.as_bytes());
    key
}

pub(crate) fn skill_key(tenant: &str, learner: Uuid, competency: &str) -> Vec<u8> {
    let mut key = learner_key(tenant, learner);
    key.extend_from_slice(competency.as_bytes());
    key
}

pub(crate) fn competency_prefix(tenant: &str, competency: &str) -> Vec<u8> {
    let mut key = crate::tenant_prefix(tenant);
    key.extend_from_slice(competency.as_bytes());
    key.push(0);
    key
}

fn bad(message: impl Into<String>) -> FoldError {
    FoldError::BadEvent(message.into())
}

impl MasteryStore {
    fn publish(
        &self,
        trees: &FoldTrees<'_>,
        partition: u32,
        tenant: &str,
        published: &MasteryModelPublished,
    ) -> Result<(), FoldError> {
        if published.model_id.is_empty() || published.model_id == UNFITTED {
            return Err(bad("model_id is empty or reserved"));
        }
        ParameterSet::from_json(&published.parameters_json)
            .map_err(|e| bad(format!("parameters_json: {e}")))?;
        let models = trees.tree(MODELS);
        models.insert(
            model_key(&published.model_id),
            published.parameters_json.as_slice(),
        )?;
        models.insert(
            model_pointer(partition, tenant),
            published.model_id.as_bytes(),
        )?;
        Ok(())
    }

    fn current_model(
        &self,
        trees: &FoldTrees<'_>,
        partition: u32,
        tenant: &str,
    ) -> Result<(String, Arc<Loaded>), FoldError> {
        let models = trees.tree(MODELS);
        let id = match models.get(model_pointer(partition, tenant))? {
            Some(id) => String::from_utf8(id.to_vec()).map_err(|_| bad("corrupt model id"))?,
            None => UNFITTED.to_owned(),
        };
        let mut stored = None;
        if id != UNFITTED {
            stored = models.get(model_key(&id))?.map(|v| v.to_vec());
        }
        let loaded = self.models.get_or_parse(&id, || stored).map_err(bad)?;
        Ok((id, loaded))
    }

    fn fold_statement(
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
    fn refold(
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

    /// Takes a voided statement back: the learner is folded again without it, and
    /// competencies left without evidence disappear from the views.
    fn fold_voided(
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
            let mut at = competency_prefix(tenant, competency);
            at.extend_from_slice(learner.as_bytes());
            index.remove(at)?;
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

    /// Folds one entry into the learner's state and the records of its competencies
    /// (missing ones start from the model's prior).
    fn apply(
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
fn store_skills(
    trees: &FoldTrees<'_>,
    tenant: &str,
    learner: Uuid,
    touched: HashMap<String, SkillRecord>,
) -> Result<(), FoldError> {
    let skills = trees.tree(SKILLS);
    let index = trees.tree(BY_COMPETENCY);
    let removed = trees.tree(REMOVED);
    for (competency, skill) in touched {
        let mut at = competency_prefix(tenant, &competency);
        at.extend_from_slice(learner.as_bytes());
        index.insert(at, IndexEntry::of(&skill).encode().as_slice())?;
        let key = skill_key(tenant, learner, &competency);
        if removed.get(&key)?.is_some() {
            removed.remove(key.clone())?;
        }
        skills.insert(key, skill.encode())?;
    }
    Ok(())
}

/// One learner's stored history inside a fold transaction.
struct History<'a> {
    tree: learnlog_projection::FoldTree<'a>,
    learner: &'a [u8],
}

impl History<'_> {
    fn key(&self, chunk: usize) -> Vec<u8> {
        let mut key = self.learner.to_vec();
        key.extend_from_slice(&(chunk as u32).to_be_bytes());
        key
    }

    fn chunk(&self, chunk: usize) -> Result<Vec<history::Entry>, FoldError> {
        match self.tree.get(self.key(chunk))? {
            Some(bytes) => history::decode(&bytes).ok_or_else(|| bad("corrupt evidence history")),
            None => Ok(Vec::new()),
        }
    }

    /// Every entry of a history of `len` entries.
    fn load(&self, len: u32) -> Result<Vec<history::Entry>, FoldError> {
        let mut entries = Vec::with_capacity(len as usize + 1);
        for chunk in 0..(len as usize).div_ceil(history::CHUNK) {
            entries.extend(self.chunk(chunk)?);
        }
        Ok(entries)
    }

    /// Adds the entry after the `len` entries stored.
    fn append(&self, len: u32, entry: history::Entry) -> Result<(), FoldError> {
        let chunk = len as usize / history::CHUNK;
        let mut entries = self.chunk(chunk)?;
        entries.push(entry);
        self.tree
            .insert(self.key(chunk), history::encode(&entries))?;
        Ok(())
    }

    fn remove_chunk(&self, chunk: usize) -> Result<(), FoldError> {
        self.tree.remove(self.key(chunk))?;
        Ok(())
    }

    /// Stores `entries` (the whole history) from chunk `from` on.
    fn store(&self, entries: &[history::Entry], from: usize) -> Result<(), FoldError> {
        for (chunk, entries) in entries.chunks(history::CHUNK).enumerate().skip(from) {
            self.tree
                .insert(self.key(chunk), history::encode(entries))?;
        }
        Ok(())
    }
}

impl Fold for MasteryStore {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn topics(&self) -> &'static [&'static str] {
        &[topics::LEARNER_EVENTS]
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

    fn apply(
        &self,
        trees: &FoldTrees<'_>,
        _topic: &str,
        partition: u32,
        _offset: u64,
        event: &Envelope,
    ) -> Result<Folded, FoldError> {
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
