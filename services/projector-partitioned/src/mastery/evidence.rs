//! What counts as evidence of mastery, for the fold and for fitting alike.

use learnlog_mastery::data::{Response, Split};
use learnlog_proto::v1::{envelope::Event, Envelope, LearnerStatement};
use std::collections::HashMap;

/// A scaled score at or above this counts as a correct response when the statement
/// has no `result.success`.
pub const SCALED_SCORE_CORRECT: f64 = 0.5;

/// One scored response on aligned competencies.
#[derive(Clone, Debug, PartialEq)]
pub struct Evidence {
    /// Competency ids, in alignment order (the first is the primary one), no repeats.
    pub competencies: Vec<String>,
    pub correct: bool,
    /// The statement's `timestamp`, whole seconds since the Unix epoch.
    pub epoch_s: i64,
}

/// The evidence a re-published statement carries: it must be aligned to a competency
/// and scored, by `result.success` or else by `result.score.scaled`.
pub fn evidence_of(statement: &LearnerStatement) -> Option<Evidence> {
    let correct = match (statement.success, statement.score_scaled) {
        (Some(success), _) => success,
        (None, Some(scaled)) => scaled >= SCALED_SCORE_CORRECT,
        (None, None) => return None,
    };
    let mut competencies: Vec<String> = Vec::with_capacity(statement.competency_ids.len());
    for id in &statement.competency_ids {
        if !id.is_empty() && !id.contains('\0') && !competencies.contains(id) {
            competencies.push(id.clone());
        }
    }
    if competencies.is_empty() {
        return None;
    }
    Some(Evidence {
        competencies,
        correct,
        epoch_s: statement.timestamp_micros.div_euclid(1_000_000),
    })
}

/// A tenant's evidence read back from `learner-events`, in the order the fold sees it,
/// as the responses `learnlog_mastery` fits on: learners, competencies and items
/// (activity ids) interned in order of first appearance.
#[derive(Debug, Default)]
pub struct EvidenceLog {
    pub competencies: Vec<String>,
    pub items: Vec<String>,
    pub responses: Vec<Response>,
    learners: HashMap<String, u32>,
    competency_index: HashMap<String, u32>,
    item_index: HashMap<String, u32>,
    /// (learner-events partition, source partition) → the next source offset to take.
    sources: HashMap<(u32, u32), u64>,
}

fn intern(index: &mut HashMap<String, u32>, names: &mut Vec<String>, name: &str) -> u32 {
    if let Some(&i) = index.get(name) {
        return i;
    }
    let i = names.len() as u32;
    index.insert(name.to_owned(), i);
    names.push(name.to_owned());
    i
}

impl EvidenceLog {
    /// Takes one event read at `partition` of `learner-events`, when it is `tenant`'s
    /// evidence and not a re-publication.
    pub fn add(&mut self, tenant: &str, partition: u32, envelope: &Envelope) {
        if envelope.tenant != tenant {
            return;
        }
        let Some(Event::LearnerStatement(statement)) = &envelope.event else {
            return;
        };
        let next = self
            .sources
            .entry((partition, statement.source_partition))
            .or_insert(0);
        if statement.source_offset < *next {
            return;
        }
        *next = statement.source_offset + 1;
        let Some(evidence) = evidence_of(statement) else {
            return;
        };
        let user = self.learners.len() as u32;
        let user = *self
            .learners
            .entry(statement.learner_id.clone())
            .or_insert(user);
        let skills = evidence
            .competencies
            .iter()
            .map(|c| intern(&mut self.competency_index, &mut self.competencies, c))
            .collect();
        let item = intern(
            &mut self.item_index,
            &mut self.items,
            &statement.activity_id,
        );
        self.responses.push(Response {
            user,
            item,
            correct: evidence.correct,
            epoch_s: evidence.epoch_s,
            split: Split::Train,
            skills,
        });
    }

    /// Learners with at least one response.
    pub fn learners(&self) -> usize {
        self.learners.len()
    }
}
