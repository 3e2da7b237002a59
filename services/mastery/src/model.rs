//! The model a mastery projection folds evidence with, behind one enum so the
//! projection and the benchmark can use any variant through the same calls.
//!
//! Competencies are dense indices (`u32`) into the model's parameter tables, items
//! likewise; the caller maps ids to indices. A learner's state is one
//! [`LearnerState`] plus one [`SkillState`] per competency they have evidence on;
//! [`Model::initial`] gives the latter before any evidence. Every call is a pure
//! function of its arguments (time comes in with the evidence, never from a clock).

use crate::bkt::BktParams;
use crate::irtf::IrtForgetModel;
use serde::{Deserialize, Serialize};

/// One learner's state on one competency.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SkillState {
    /// P(known) right after the last piece of evidence (before any forgetting since).
    pub p_known: f64,
    /// Pieces of evidence folded so far.
    pub count: u32,
    /// Correct responses folded so far.
    pub correct: u32,
    /// Time of the last piece of evidence, seconds since the Unix epoch.
    pub last_epoch_s: i64,
}

/// What the model knows about a learner across competencies.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct LearnerState {
    /// Ability estimate, on the logit scale (0 = average).
    pub ability: f64,
    /// Responses folded so far.
    pub responses: u32,
}

/// One scored response: the competencies its item is aligned to and the outcome.
#[derive(Debug, Clone, Copy)]
pub struct Evidence<'a> {
    /// Competency indices of the item (one or more; the first is the primary one).
    pub skills: &'a [u32],
    /// Item index, when the model knows the item.
    pub item: Option<u32>,
    /// Whether the response was correct.
    pub correct: bool,
    /// When it was given, seconds since the Unix epoch.
    pub epoch_s: i64,
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
    /// Standard Bayesian Knowledge Tracing (exactly pyBKT's filter).
    Bkt(BktModel),
    /// BKT with item difficulty, learner ability, forgetting over elapsed time and
    /// conjunctive multi-competency items.
    IrtForget(IrtForgetModel),
}

impl Model {
    /// The state of a learner on `skill` before any evidence.
    pub fn initial(&self, skill: u32) -> SkillState {
        let prior = match self {
            Model::Bkt(m) => m.params[skill as usize].prior,
            Model::IrtForget(m) => m.skills[skill as usize].bkt.prior,
        };
        SkillState {
            p_known: prior,
            count: 0,
            correct: 0,
            last_epoch_s: 0,
        }
    }

    /// P(correct) of a response on an item aligned to `evidence.skills`, given the
    /// learner's states on those skills (same order).
    ///
    /// BKT scores a multi-competency item as the product of the per-competency
    /// predictions (each competency must produce a correct answer on its own).
    pub fn predict(
        &self,
        learner: &LearnerState,
        evidence: &Evidence<'_>,
        states: &[SkillState],
    ) -> f64 {
        match self {
            Model::Bkt(m) => evidence
                .skills
                .iter()
                .zip(states)
                .map(|(&s, st)| m.params[s as usize].predict(st.p_known))
                .product(),
            Model::IrtForget(m) => m.predict(learner, evidence, states),
        }
    }

    /// Folds the response into the learner's states on `evidence.skills` (same order).
    ///
    /// BKT updates every aligned competency with the response as if it were a
    /// single-competency observation (as pyBKT does with one row per skill).
    pub fn update(
        &self,
        learner: &mut LearnerState,
        evidence: &Evidence<'_>,
        states: &mut [SkillState],
    ) {
        match self {
            Model::Bkt(m) => {
                for (&s, st) in evidence.skills.iter().zip(states.iter_mut()) {
                    st.p_known = m.params[s as usize].update(st.p_known, evidence.correct);
                    st.count += 1;
                    st.correct += u32::from(evidence.correct);
                    st.last_epoch_s = evidence.epoch_s;
                }
                learner.responses += 1;
            }
            Model::IrtForget(m) => m.update(learner, evidence, states),
        }
    }

    /// P(known) of a state at time `epoch_s` (after any forgetting since its last
    /// evidence): what a mastery view shows.
    pub fn p_known_at(&self, skill: u32, state: &SkillState, epoch_s: i64) -> f64 {
        match self {
            Model::Bkt(_) => state.p_known,
            Model::IrtForget(m) => m.decayed(skill, state, epoch_s),
        }
    }
}
