//! The three policies that choose what a learner practises next, and what they read.
//!
//! - `learnlog`: the served decisions — a due review first (the most forgotten, which
//!   the rules list first), else the rank-1 next objective;
//! - `curriculum`: the framework's sequence order, moving on once the mastery view
//!   says the current competency is mastered (so: the first competency in sequence
//!   order that is not mastered);
//! - `random`: a random competency that the mastery view shows not mastered with every
//!   prerequisite mastered.
//!
//! `curriculum` and `random` read only the mastery view ([`View`]), never the
//! decisions. When a policy has nothing to offer (everything mastered, no review due)
//! every policy does the same thing: it practises the competency with the oldest
//! evidence (one never practised first), a review by rotation.

use super::framework::Framework;
use learnlog_mastery::rng::SplitMix64;
use serde_json::Value;
use std::collections::HashMap;

/// A policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Policy {
    Learnlog,
    Curriculum,
    Random,
}

impl Policy {
    pub const ALL: [Policy; 3] = [Policy::Learnlog, Policy::Curriculum, Policy::Random];

    pub fn name(self) -> &'static str {
        match self {
            Policy::Learnlog => "learnlog",
            Policy::Curriculum => "curriculum",
            Policy::Random => "random",
        }
    }
}

/// What the mastery view says about one competency.
#[derive(Clone, Debug)]
pub struct Entry {
    pub p_mastered: f64,
    pub mastered: bool,
    /// µs.
    pub last_evidence_at: i64,
}

/// A learner's mastery view (`GET /v1/learners/{id}/mastery`), by competency index.
#[derive(Clone, Debug, Default)]
pub struct View {
    /// Scored responses folded.
    pub responses: u64,
    pub entries: Vec<Option<Entry>>,
}

impl View {
    /// The view from the answer (`None` for a 404: no evidence yet).
    pub fn parse(answer: Option<&Value>, index: &HashMap<String, usize>, n: usize) -> Self {
        let mut view = View {
            responses: 0,
            entries: vec![None; n],
        };
        let Some(answer) = answer else {
            return view;
        };
        view.responses = answer["responses"].as_u64().unwrap_or(0);
        for c in answer["competencies"].as_array().into_iter().flatten() {
            let Some(&i) = c["competency"].as_str().and_then(|id| index.get(id)) else {
                continue;
            };
            let last = (c["last_evidence_at"].as_str())
                .and_then(|t| learnlog_xapi::parse_timestamp(t).ok())
                .map_or(0, |t| t.timestamp_micros());
            view.entries[i] = Some(Entry {
                p_mastered: c["p_mastered"].as_f64().unwrap_or(0.0),
                mastered: c["mastered"].as_bool().unwrap_or(false),
                last_evidence_at: last,
            });
        }
        view
    }

    pub fn mastered(&self, competency: usize) -> bool {
        self.entries[competency]
            .as_ref()
            .is_some_and(|e| e.mastered)
    }

    /// Not mastered, every prerequisite mastered.
    pub fn ready(&self, framework: &Framework, competency: usize) -> bool {
        !self.mastered(competency)
            && (framework.prerequisites[competency].iter()).all(|&p| self.mastered(p))
    }
}

/// Why a competency was chosen.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Why {
    /// learnlog's rank-1 objective.
    Objective,
    /// learnlog's first review due.
    Review,
    /// The policy's own rule (curriculum, random).
    Own,
    /// Nothing to offer: the competency with the oldest evidence.
    Fallback,
}

/// A policy's choice.
#[derive(Clone, Copy, Debug)]
pub struct Choice {
    pub competency: usize,
    pub why: Why,
}

/// The competency with the oldest evidence (never practised first, then sequence order).
pub fn fallback(view: &View) -> Choice {
    let competency = (0..view.entries.len())
        .min_by_key(|&c| {
            view.entries[c]
                .as_ref()
                .map_or(i64::MIN, |e| e.last_evidence_at)
        })
        .unwrap_or(0);
    Choice {
        competency,
        why: Why::Fallback,
    }
}

fn of_kind<'a>(decisions: &'a [Value], kind: &'a str) -> impl Iterator<Item = &'a Value> {
    decisions.iter().filter(move |d| d["kind"] == kind)
}

fn competency_of(decision: &Value, index: &HashMap<String, usize>) -> Option<usize> {
    decision["competency"]
        .as_str()
        .and_then(|id| index.get(id))
        .copied()
}

/// `learnlog`: the first review due, else the rank-1 objective, else the fallback.
pub fn learnlog(decisions: &[Value], index: &HashMap<String, usize>, view: &View) -> Choice {
    let review = of_kind(decisions, "review").find_map(|d| competency_of(d, index));
    if let Some(competency) = review {
        return Choice {
            competency,
            why: Why::Review,
        };
    }
    let objective = of_kind(decisions, "objective")
        .find(|d| d["objective"]["rank"] == 1)
        .and_then(|d| competency_of(d, index));
    match objective {
        Some(competency) => Choice {
            competency,
            why: Why::Objective,
        },
        None => fallback(view),
    }
}

/// `curriculum`: the first competency in sequence order not mastered.
pub fn curriculum(view: &View) -> Choice {
    match (0..view.entries.len()).find(|&c| !view.mastered(c)) {
        Some(competency) => Choice {
            competency,
            why: Why::Own,
        },
        None => fallback(view),
    }
}

/// `random`: a random ready competency.
pub fn random(view: &View, framework: &Framework, rng: &mut SplitMix64) -> Choice {
    let ready: Vec<usize> = (0..view.entries.len())
        .filter(|&c| view.ready(framework, c))
        .collect();
    if ready.is_empty() {
        return fallback(view);
    }
    Choice {
        competency: ready[(rng.next_u64() % ready.len() as u64) as usize],
        why: Why::Own,
    }
}

/// The served prediction of success on `competency`: its objective's
/// `predicted_success`, when it is among the objectives.
pub fn predicted_success(
    decisions: &[Value],
    index: &HashMap<String, usize>,
    competency: usize,
) -> Option<f64> {
    of_kind(decisions, "objective")
        .find(|d| competency_of(d, index) == Some(competency))
        .and_then(|d| d["objective"]["predicted_success"].as_f64())
}

/// Competencies flagged by a `wheel_spinning` intervention.
pub fn wheel_spinning(decisions: &[Value], index: &HashMap<String, usize>) -> Vec<usize> {
    of_kind(decisions, "intervention")
        .filter(|d| d["type"] == "wheel_spinning")
        .filter_map(|d| competency_of(d, index))
        .collect()
}
