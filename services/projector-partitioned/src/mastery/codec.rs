//! Values of the mastery trees (binary, see `wire`).

use super::wire::{put_str, Cursor};
use learnlog_mastery::{LearnerState, SkillState};

/// How many of the latest evidence statement ids a competency keeps.
pub const LAST_STATEMENTS: usize = 5;

/// How many of the latest responses (estimate after each, and whether it was correct)
/// a competency keeps, for the trend the decision rules read.
pub const RECENT_RESPONSES: usize = 10;

/// One response on a competency: P(known) right after it, and whether it was correct.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Response {
    pub p_after: f64,
    pub correct: bool,
}

/// A learner across competencies.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LearnerRecord {
    /// The model's learner-level state (ability, responses).
    pub state: LearnerState,
    /// The parameter set the last evidence was folded with.
    pub model_id: String,
    /// Pieces of evidence in the learner's history.
    pub history_len: u32,
    /// The latest `timestamp` in the history, µs.
    pub last_timestamp_micros: i64,
}

/// One learner on one competency.
#[derive(Clone, Debug, PartialEq)]
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
    /// When P(mastered) first rose to the threshold, even if it fell below since.
    pub first_mastered_at_micros: Option<i64>,
    /// The latest responses, oldest first, at most [`RECENT_RESPONSES`].
    pub recent: Vec<Response>,
}

impl SkillRecord {
    pub(crate) fn new(state: SkillState) -> Self {
        Self {
            state,
            mastered_at_micros: None,
            last_evidence_micros: 0,
            last_statement_ids: Vec::new(),
            first_mastered_at_micros: None,
            recent: Vec::new(),
        }
    }

    /// Takes the state after one more piece of evidence.
    pub(crate) fn record(
        &mut self,
        state: SkillState,
        threshold: f64,
        at_micros: i64,
        statement_id: &str,
        correct: bool,
    ) {
        self.state = state;
        self.mastered_at_micros = match (state.p_known >= threshold, self.mastered_at_micros) {
            (true, Some(since)) => Some(since),
            (true, None) => Some(at_micros),
            (false, _) => None,
        };
        self.first_mastered_at_micros = self.first_mastered_at_micros.or(self.mastered_at_micros);
        if self.recent.len() == RECENT_RESPONSES {
            self.recent.remove(0);
        }
        self.recent.push(Response {
            p_after: state.p_known,
            correct,
        });
        self.last_evidence_micros = at_micros;
        if self.last_statement_ids.len() == LAST_STATEMENTS {
            self.last_statement_ids.remove(0);
        }
        self.last_statement_ids.push(statement_id.to_owned());
    }

    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(64 + 40 * self.last_statement_ids.len());
        put_skill_state(&mut out, &self.state);
        out.push(u8::from(self.mastered_at_micros.is_some()));
        out.extend_from_slice(&self.mastered_at_micros.unwrap_or(0).to_be_bytes());
        out.extend_from_slice(&self.last_evidence_micros.to_be_bytes());
        out.extend_from_slice(&(self.last_statement_ids.len() as u32).to_be_bytes());
        for id in &self.last_statement_ids {
            put_str(&mut out, id);
        }
        out.push(u8::from(self.first_mastered_at_micros.is_some()));
        out.extend_from_slice(&self.first_mastered_at_micros.unwrap_or(0).to_be_bytes());
        out.extend_from_slice(&(self.recent.len() as u32).to_be_bytes());
        for response in &self.recent {
            out.extend_from_slice(&response.p_after.to_bits().to_be_bytes());
            out.push(u8::from(response.correct));
        }
        out
    }

    pub(crate) fn decode(bytes: &[u8]) -> Option<Self> {
        let mut cursor = Cursor(bytes);
        let state = skill_state(&mut cursor)?;
        let mastered = cursor.u8()? == 1;
        let mastered_at = cursor.i64()?;
        let last_evidence_micros = cursor.i64()?;
        let n = cursor.u32()? as usize;
        let last_statement_ids = (0..n).map(|_| cursor.string()).collect::<Option<_>>()?;
        // Records written before the trend was kept end here.
        let (mut first_mastered_at_micros, mut recent) = (None, Vec::new());
        if !cursor.is_empty() {
            let first = cursor.u8()? == 1;
            let first_at = cursor.i64()?;
            first_mastered_at_micros = first.then_some(first_at);
            let n = cursor.u32()? as usize;
            recent = (0..n.min(RECENT_RESPONSES))
                .map(|_| {
                    Some(Response {
                        p_after: cursor.f64()?,
                        correct: cursor.u8()? == 1,
                    })
                })
                .collect::<Option<_>>()?;
        }
        cursor.is_empty().then_some(Self {
            state,
            mastered_at_micros: mastered.then_some(mastered_at),
            last_evidence_micros,
            last_statement_ids,
            first_mastered_at_micros,
            recent,
        })
    }
}

impl LearnerRecord {
    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(40 + self.model_id.len());
        out.extend_from_slice(&self.state.ability.to_bits().to_be_bytes());
        out.extend_from_slice(&self.state.responses.to_be_bytes());
        put_str(&mut out, &self.model_id);
        out.extend_from_slice(&self.history_len.to_be_bytes());
        out.extend_from_slice(&self.last_timestamp_micros.to_be_bytes());
        out
    }

    pub(crate) fn decode(bytes: &[u8]) -> Option<Self> {
        let mut cursor = Cursor(bytes);
        let record = Self {
            state: LearnerState {
                ability: cursor.f64()?,
                responses: cursor.u32()?,
            },
            model_id: cursor.string()?,
            history_len: cursor.u32()?,
            last_timestamp_micros: cursor.i64()?,
        };
        cursor.is_empty().then_some(record)
    }
}

fn put_skill_state(out: &mut Vec<u8>, state: &SkillState) {
    out.extend_from_slice(&state.p_known.to_bits().to_be_bytes());
    out.extend_from_slice(&state.count.to_be_bytes());
    out.extend_from_slice(&state.correct.to_be_bytes());
    out.extend_from_slice(&state.last_epoch_s.to_be_bytes());
}

fn skill_state(cursor: &mut Cursor<'_>) -> Option<SkillState> {
    Some(SkillState {
        p_known: cursor.f64()?,
        count: cursor.u32()?,
        correct: cursor.u32()?,
        last_epoch_s: cursor.i64()?,
    })
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
