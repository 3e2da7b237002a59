//! BKT extended where plain BKT falls short on data like the `irt-forget` logs of
//! [`crate::synthetic`]:
//!
//! - **item difficulty**: a logistic offset `b_i` per item on both emission logits
//!   (`P(correct | known) = σ(logit(1 - slip) + θ - b_i)`, likewise for guess);
//! - **learner ability** `θ`: estimated online from the learner's own residuals
//!   (an Elo-style step that shrinks with evidence), shifting the emissions and the
//!   prior of competencies the learner starts later;
//! - **forgetting over elapsed time**: P(known) decays toward 0 with a half-life per
//!   competency that doubles every two correct answers (up to 8), HLR-style;
//! - **multi-competency items** are conjunctive: the item is "known" only if every
//!   aligned competency is; the primary (first) competency's emissions apply, and the
//!   update is the exact posterior for independent per-competency beliefs.
//!
//! This file is the model and its online predictions ([`stream_each`]); fitting it is
//! [`fit()`] (in `fit.rs`).

mod fit;

pub use fit::fit;

use crate::bkt::BktParams;
use crate::data::Response;
use crate::model::{Evidence, LearnerState, Model, SkillState};
use serde::{Deserialize, Serialize};

/// Parameters of one competency.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SkillParams {
    /// Base BKT parameters (for an average learner on an average item).
    pub bkt: BktParams,
    /// Half-life of P(known) in days with no correct answers yet; `None`: no forgetting.
    pub half_life_days: Option<f64>,
}

/// The fitted model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IrtForgetModel {
    /// Indexed by competency.
    pub skills: Vec<SkillParams>,
    /// Difficulty of each item on the logit scale, indexed by item (unknown items: 0).
    pub item_difficulty: Vec<f64>,
    /// Step of the online ability estimate after the first response.
    pub ability_rate: f64,
    /// How fast the step shrinks: step = rate / (1 + shrink × responses so far).
    pub ability_shrink: f64,
    /// How much the ability estimate shifts the prior logit of a new competency.
    pub ability_prior_weight: f64,
    /// How much the ability estimate shifts the learn-rate logit.
    #[serde(default)]
    pub ability_learn_weight: f64,
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

fn logit(p: f64) -> f64 {
    let p = p.clamp(1e-9, 1.0 - 1e-9);
    (p / (1.0 - p)).ln()
}

/// The pieces of one prediction.
#[derive(Debug, Clone, Copy)]
pub struct Parts {
    /// P(every aligned competency known).
    pub p_known: f64,
    /// P(correct | not known).
    pub p0: f64,
    /// P(correct | known).
    pub p1: f64,
}

impl Parts {
    /// P(correct).
    pub fn p(&self) -> f64 {
        self.p_known * self.p1 + (1.0 - self.p_known) * self.p0
    }
}

impl IrtForgetModel {
    /// P(known) of a state at `epoch_s`, after forgetting since its last evidence.
    pub fn decayed(&self, skill: u32, st: &SkillState, epoch_s: i64) -> f64 {
        match self.skills[skill as usize].half_life_days {
            Some(h0) if st.count > 0 => {
                let gap_days = (epoch_s - st.last_epoch_s).max(0) as f64 / 86_400.0;
                let h = h0 * (f64::from(st.correct.min(8)) / 2.0).exp2();
                st.p_known * (-gap_days / h).exp2()
            }
            _ => st.p_known,
        }
    }

    fn current(&self, learner: &LearnerState, skill: u32, st: &SkillState, epoch_s: i64) -> f64 {
        if st.count == 0 {
            let prior = self.skills[skill as usize].bkt.prior;
            sigmoid(logit(prior) + self.ability_prior_weight * learner.ability)
        } else {
            self.decayed(skill, st, epoch_s)
        }
    }

    /// P(known), P(correct | unknown) and P(correct | known) for this response.
    pub fn parts(&self, learner: &LearnerState, ev: &Evidence<'_>, states: &[SkillState]) -> Parts {
        let p_known = ev
            .skills
            .iter()
            .zip(states)
            .map(|(&s, st)| self.current(learner, s, st, ev.epoch_s))
            .product();
        let primary = self.skills[ev.skills[0] as usize].bkt;
        let b = ev
            .item
            .and_then(|i| self.item_difficulty.get(i as usize))
            .copied()
            .unwrap_or(0.0);
        let shift = learner.ability - b;
        Parts {
            p_known,
            p0: sigmoid(logit(primary.guess) + shift),
            p1: sigmoid(logit(1.0 - primary.slip) + shift),
        }
    }

    /// P(correct).
    pub fn predict(&self, learner: &LearnerState, ev: &Evidence<'_>, states: &[SkillState]) -> f64 {
        self.parts(learner, ev, states).p()
    }

    /// Folds one response in.
    pub fn update(&self, learner: &mut LearnerState, ev: &Evidence<'_>, states: &mut [SkillState]) {
        let parts = self.parts(learner, ev, states);
        let (l1, l0) = if ev.correct {
            (parts.p1, parts.p0)
        } else {
            (1.0 - parts.p1, 1.0 - parts.p0)
        };
        let denom = parts.p_known * l1 + (1.0 - parts.p_known) * l0;
        let n = ev.skills.len().min(states.len());
        let mut stack = [0.0; 8];
        let mut heap = Vec::new();
        let before: &mut [f64] = if n <= stack.len() {
            &mut stack[..n]
        } else {
            heap.resize(n, 0.0);
            &mut heap
        };
        for (j, b) in before.iter_mut().enumerate() {
            *b = self.current(learner, ev.skills[j], &states[j], ev.epoch_s);
        }
        for j in 0..n {
            let other: f64 = (0..n).filter(|&i| i != j).map(|i| before[i]).product();
            let post = if denom > 0.0 {
                before[j] * (other * l1 + (1.0 - other) * l0) / denom
            } else {
                before[j]
            };
            let base = self.skills[ev.skills[j] as usize].bkt.learn;
            let learn = if self.ability_learn_weight == 0.0 {
                base
            } else {
                sigmoid(logit(base) + self.ability_learn_weight * learner.ability)
            };
            let st = &mut states[j];
            st.p_known = post + (1.0 - post) * learn;
            st.count += 1;
            st.correct += u32::from(ev.correct);
            st.last_epoch_s = ev.epoch_s;
        }
        let p = parts.p();
        let step = self.ability_rate / (1.0 + self.ability_shrink * f64::from(learner.responses));
        learner.ability += step * (f64::from(u8::from(ev.correct)) - p);
        learner.responses += 1;
    }
}

/// Every learner's state after streaming: the learner-level state and, per competency
/// index, the state on it (`None` without evidence).
pub type FinalStates = std::collections::HashMap<u32, (LearnerState, Vec<Option<SkillState>>)>;

/// Streams responses through `model`, calling `f` with each response, the learner's
/// state and skill states before it, and P(correct); returns the states after the last.
pub fn stream_each<'r>(
    model: &Model,
    n_skills: usize,
    responses: impl IntoIterator<Item = &'r Response>,
    mut f: impl FnMut(&Response, &LearnerState, &[SkillState], f64),
) -> FinalStates {
    let mut learners = FinalStates::new();
    let mut buf: Vec<SkillState> = Vec::with_capacity(4);
    for r in responses {
        let (learner, states) = learners
            .entry(r.user)
            .or_insert_with(|| (LearnerState::default(), vec![None; n_skills]));
        buf.clear();
        buf.extend(
            r.skills
                .iter()
                .map(|&s| states[s as usize].unwrap_or_else(|| model.initial(s))),
        );
        let ev = Evidence {
            skills: &r.skills,
            item: Some(r.item),
            correct: r.correct,
            epoch_s: r.epoch_s,
        };
        let p = model.predict(learner, &ev, &buf);
        f(r, learner, &buf, p);
        model.update(learner, &ev, &mut buf);
        for (&s, st) in r.skills.iter().zip(&buf) {
            states[s as usize] = Some(*st);
        }
    }
    learners
}

#[cfg(test)]
mod tests;
