//! Values of the mastery trees.

use learnlog_mastery::{LearnerState, SkillState};
use serde::{Deserialize, Serialize};

/// How many of the latest evidence statement ids a competency keeps.
pub const LAST_STATEMENTS: usize = 5;

/// A learner across competencies.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LearnerRecord {
    /// The model's learner-level state (ability, responses).
    pub state: LearnerState,
    /// The parameter set the last evidence was folded with.
    pub model_id: String,
    /// Pieces of evidence in the learner's history.
    #[serde(default)]
    pub history_len: u32,
    /// The latest `timestamp` in the history, µs.
    #[serde(default)]
    pub last_timestamp_micros: i64,
}

/// One learner on one competency.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SkillRecord {
    /// The model's state: P(known) after the last evidence, counts, its time.
    pub state: SkillState,
    /// When P(mastered) last rose to the threshold (statement `timestamp`, µs); `None`
    /// while below it.
    pub mastered_at_micros: Option<i64>,
    /// `timestamp` of the last evidence, µs.
    pub last_evidence_micros: i64,
    /// Ids of the latest evidence statements, oldest first, at most [`LAST_STATEMENTS`].
    pub last_statement_ids: Vec<String>,
}

impl SkillRecord {
    pub(crate) fn new(state: SkillState) -> Self {
        Self {
            state,
            mastered_at_micros: None,
            last_evidence_micros: 0,
            last_statement_ids: Vec::new(),
        }
    }

    /// Takes the state after one more piece of evidence.
    pub(crate) fn record(
        &mut self,
        state: SkillState,
        threshold: f64,
        at_micros: i64,
        statement_id: &str,
    ) {
        self.state = state;
        self.mastered_at_micros = match (state.p_known >= threshold, self.mastered_at_micros) {
            (true, Some(since)) => Some(since),
            (true, None) => Some(at_micros),
            (false, _) => None,
        };
        self.last_evidence_micros = at_micros;
        if self.last_statement_ids.len() == LAST_STATEMENTS {
            self.last_statement_ids.remove(0);
        }
        self.last_statement_ids.push(statement_id.to_owned());
    }

    pub(crate) fn encode(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("a skill record serializes")
    }

    pub(crate) fn decode(bytes: &[u8]) -> Option<Self> {
        serde_json::from_slice(bytes).ok()
    }
}

impl LearnerRecord {
    pub(crate) fn encode(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("a learner record serializes")
    }

    pub(crate) fn decode(bytes: &[u8]) -> Option<Self> {
        serde_json::from_slice(bytes).ok()
    }
}

/// What the competency index keeps per learner: enough to rank without reading the
/// learner's records.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct IndexEntry {
    /// P(known) after the last evidence.
    pub p_known: f64,
    pub evidence: u32,
    pub mastered_at_micros: Option<i64>,
}

impl IndexEntry {
    pub(crate) fn of(record: &SkillRecord) -> Self {
        Self {
            p_known: record.state.p_known,
            evidence: record.state.count,
            mastered_at_micros: record.mastered_at_micros,
        }
    }

    pub(crate) fn encode(&self) -> [u8; 21] {
        let mut bytes = [0u8; 21];
        bytes[0..8].copy_from_slice(&self.p_known.to_be_bytes());
        bytes[8..12].copy_from_slice(&self.evidence.to_be_bytes());
        if let Some(at) = self.mastered_at_micros {
            bytes[12] = 1;
            bytes[13..21].copy_from_slice(&at.to_be_bytes());
        }
        bytes
    }

    pub(crate) fn decode(bytes: &[u8]) -> Option<Self> {
        let bytes: &[u8; 21] = bytes.try_into().ok()?;
        Some(Self {
            p_known: f64::from_be_bytes(bytes[0..8].try_into().ok()?),
            evidence: u32::from_be_bytes(bytes[8..12].try_into().ok()?),
            mastered_at_micros: (bytes[12] == 1)
                .then(|| i64::from_be_bytes(bytes[13..21].try_into().expect("8 bytes"))),
        })
    }
}
