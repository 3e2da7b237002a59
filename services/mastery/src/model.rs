//! The model a mastery projection folds evidence with, behind one enum so the
//! projection and the benchmark can use any variant through the same calls.
//!
//! Competencies are dense indices (`u32`) into the model's parameter tables; the
//! caller maps competency ids to indices. A learner's state is one [`SkillState`] per
//! competency they have evidence on; [`Model::initial`] gives the state before any.

use crate::bkt::BktParams;
use serde::{Deserialize, Serialize};

/// One learner's state on one competency.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SkillState {
    /// P(known) before the next piece of evidence.
    pub p_known: f64,
    /// Pieces of evidence folded so far.
    pub count: u32,
}

/// One scored response: the competencies its item is aligned to and the outcome.
#[derive(Debug, Clone, Copy)]
pub struct Evidence<'a> {
    /// Competency indices of the item (one or more).
    pub skills: &'a [u32],
    /// Whether the response was correct.
    pub correct: bool,
}

/// Standard BKT, one parameter set per competency.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BktModel {
    /// Indexed by competency.
    pub params: Vec<BktParams>,
}

/// A fitted mastery model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Model {
    /// Standard Bayesian Knowledge Tracing.
    Bkt(BktModel),
}

impl Model {
    /// The state of a learner on `skill` before any evidence.
    pub fn initial(&self, skill: u32) -> SkillState {
        match self {
            Model::Bkt(m) => SkillState {
                p_known: m.params[skill as usize].prior,
                count: 0,
            },
        }
    }

    /// P(correct) of a response on an item aligned to `evidence.skills`, given the
    /// learner's states on those skills (same order).
    ///
    /// A multi-competency item is conjunctive: it is answered correctly as if every
    /// competency had to produce a correct answer on its own, so BKT predicts the
    /// product of the per-competency predictions.
    pub fn predict(&self, evidence: &Evidence<'_>, states: &[SkillState]) -> f64 {
        match self {
            Model::Bkt(m) => evidence
                .skills
                .iter()
                .zip(states)
                .map(|(&s, st)| m.params[s as usize].predict(st.p_known))
                .product(),
        }
    }

    /// Folds the response into the learner's states on `evidence.skills` (same order).
    ///
    /// For BKT every aligned competency is updated with the response as if it were a
    /// single-competency observation (as pyBKT does with one row per skill).
    pub fn update(&self, evidence: &Evidence<'_>, states: &mut [SkillState]) {
        match self {
            Model::Bkt(m) => {
                for (&s, st) in evidence.skills.iter().zip(states.iter_mut()) {
                    st.p_known = m.params[s as usize].update(st.p_known, evidence.correct);
                    st.count += 1;
                }
            }
        }
    }
}
