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
//! Fitting ([`fit`]): per-competency BKT by EM, then a few rounds of Fisher scoring of
//! item offsets and grid choices of half-lives and the ability step, each scored by
//! the log-likelihood of the online predictions on the training learners.

use crate::bkt::BktParams;
use crate::data::{Response, Split};
use crate::em::{self, FitOptions};
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

fn log_lik(p: f64, y: bool) -> f64 {
    let p = p.clamp(1e-12, 1.0 - 1e-12);
    if y {
        p.ln()
    } else {
        (1.0 - p).ln()
    }
}

/// Fits the model on the training responses.
pub fn fit(
    n_skills: usize,
    n_items: usize,
    responses: &[Response],
    opts: &FitOptions,
) -> IrtForgetModel {
    let train: Vec<&Response> = responses
        .iter()
        .filter(|r| r.split == Split::Train)
        .collect();
    let base = em::fit_all(&crate::harness::bkt_sequences(n_skills, responses), opts);
    let mut m = IrtForgetModel {
        skills: base
            .iter()
            .map(|&bkt| SkillParams {
                bkt,
                half_life_days: None,
            })
            .collect(),
        item_difficulty: vec![0.0; n_items],
        ability_rate: 0.0,
        ability_shrink: 0.05,
        ability_prior_weight: 0.0,
        ability_learn_weight: 0.0,
    };
    for round in 0..3 {
        fit_items(&mut m, n_skills, &train, 3);
        fit_half_lives(&mut m, n_skills, &train);
        fit_ability(&mut m, n_skills, &train);
        refine_skills(&mut m, n_skills, &train, 0.4 / f64::from(1 << round));
    }
    fit_items(&mut m, n_skills, &train, 2);
    m
}

fn total_ll(m: &IrtForgetModel, n_skills: usize, train: &[&Response]) -> f64 {
    let model = Model::IrtForget(m.clone());
    let mut ll = 0.0;
    stream_each(&model, n_skills, train.iter().copied(), |r, _, _, p| {
        ll += log_lik(p, r.correct)
    });
    ll
}

/// Fisher scoring of item difficulties (states held at the current pass), with a
/// N(0, τ²) prior whose τ² is estimated from the items themselves (empirical Bayes):
/// when items do not differ, their difficulties shrink to 0.
fn fit_items(m: &mut IrtForgetModel, n_skills: usize, train: &[&Response], steps: usize) {
    for _ in 0..steps {
        let n_items = m.item_difficulty.len();
        let mut grad = vec![0.0; n_items];
        let mut info = vec![0.0; n_items];
        let model = Model::IrtForget(m.clone());
        let inner = m.clone();
        stream_each(
            &model,
            n_skills,
            train.iter().copied(),
            |r, learner, states, _| {
                let ev = Evidence {
                    skills: &r.skills,
                    item: Some(r.item),
                    correct: r.correct,
                    epoch_s: r.epoch_s,
                };
                let parts = inner.parts(learner, &ev, states);
                let p = parts.p().clamp(1e-9, 1.0 - 1e-9);
                let dp_db = -(parts.p_known * parts.p1 * (1.0 - parts.p1)
                    + (1.0 - parts.p_known) * parts.p0 * (1.0 - parts.p0));
                let y = f64::from(u8::from(r.correct));
                let i = r.item as usize;
                grad[i] += (y - p) / (p * (1.0 - p)) * dp_db;
                info[i] += dp_db * dp_db / (p * (1.0 - p));
            },
        );
        // τ² = spread of the unshrunk estimates minus their sampling variance
        let (mut sum_sq, mut sum_var, mut n) = (0.0, 0.0, 0.0);
        for i in 0..n_items {
            if info[i] > 1.0 {
                let raw = m.item_difficulty[i] + grad[i] / info[i];
                sum_sq += raw * raw;
                sum_var += 1.0 / info[i];
                n += 1.0;
            }
        }
        let tau2 = if n > 0.0 {
            ((sum_sq - sum_var) / n).max(1e-4)
        } else {
            1.0
        };
        for (i, b) in m.item_difficulty.iter_mut().enumerate() {
            let g = grad[i] - *b / tau2;
            let h = info[i] + 1.0 / tau2;
            *b += (g / h).clamp(-1.0, 1.0);
        }
    }
}

/// Per-competency log-likelihood of the online predictions (a response counts for
/// each of its competencies).
fn skill_ll(m: &IrtForgetModel, n_skills: usize, train: &[&Response]) -> Vec<f64> {
    let model = Model::IrtForget(m.clone());
    let mut ll = vec![0.0; n_skills];
    stream_each(&model, n_skills, train.iter().copied(), |r, _, _, p| {
        let l = log_lik(p, r.correct);
        for &s in &r.skills {
            ll[s as usize] += l;
        }
    });
    ll
}

/// Coordinate search on the base BKT parameters, now that items, ability and
/// forgetting explain part of the data EM attributed to them: each parameter's logit
/// moves by ±`step` per competency when that improves the competency's likelihood.
fn refine_skills(m: &mut IrtForgetModel, n_skills: usize, train: &[&Response], step: f64) {
    type Field = fn(&mut BktParams) -> &mut f64;
    let fields: [Field; 4] = [
        |p| &mut p.prior,
        |p| &mut p.learn,
        |p| &mut p.guess,
        |p| &mut p.slip,
    ];
    for field in fields {
        let trials: Vec<IrtForgetModel> = [0.0, -step, step]
            .iter()
            .map(|&d| {
                let mut t = m.clone();
                for sp in &mut t.skills {
                    let v = field(&mut sp.bkt);
                    *v = sigmoid(logit(*v) + d).clamp(1e-4, 1.0 - 1e-4);
                }
                t
            })
            .collect();
        let scores: Vec<Vec<f64>> = std::thread::scope(|scope| {
            let handles: Vec<_> = trials
                .iter()
                .map(|t| scope.spawn(move || skill_ll(t, n_skills, train)))
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
                .collect()
        });
        for (s, sp) in m.skills.iter_mut().enumerate() {
            let best = (0..trials.len())
                .max_by(|&a, &b| scores[a][s].total_cmp(&scores[b][s]).then(b.cmp(&a)))
                .unwrap_or(0);
            sp.bkt = trials[best].skills[s].bkt;
        }
    }
}

const HALF_LIVES: [Option<f64>; 8] = [
    None,
    Some(1.0),
    Some(2.0),
    Some(4.0),
    Some(8.0),
    Some(16.0),
    Some(32.0),
    Some(64.0),
];

/// Per competency, the half-life whose online predictions fit the training data best.
fn fit_half_lives(m: &mut IrtForgetModel, n_skills: usize, train: &[&Response]) {
    let scores: Vec<Vec<f64>> = std::thread::scope(|scope| {
        let handles: Vec<_> = HALF_LIVES
            .iter()
            .map(|&h| {
                let mut trial = m.clone();
                scope.spawn(move || {
                    for s in &mut trial.skills {
                        s.half_life_days = h;
                    }
                    let model = Model::IrtForget(trial);
                    let mut ll = vec![0.0; n_skills];
                    stream_each(&model, n_skills, train.iter().copied(), |r, _, _, p| {
                        let l = log_lik(p, r.correct);
                        for &s in &r.skills {
                            ll[s as usize] += l;
                        }
                    });
                    ll
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    });
    for (s, sp) in m.skills.iter_mut().enumerate() {
        let best = (0..HALF_LIVES.len())
            .max_by(|&a, &b| scores[a][s].total_cmp(&scores[b][s]))
            .unwrap_or(0);
        sp.half_life_days = HALF_LIVES[best];
    }
}

/// The ability step, then its weight on the prior, then on the learn rate: each the
/// grid value whose online predictions fit the training learners best.
fn fit_ability(m: &mut IrtForgetModel, n_skills: usize, train: &[&Response]) {
    type Knob = fn(&mut IrtForgetModel) -> &mut f64;
    let knobs: [(Knob, &[f64]); 3] = [
        (|m| &mut m.ability_rate, &[0.0, 0.1, 0.2, 0.4, 0.8]),
        (|m| &mut m.ability_prior_weight, &[0.0, 0.5, 1.0]),
        (|m| &mut m.ability_learn_weight, &[0.0, 0.5, 1.0]),
    ];
    for (knob, values) in knobs {
        let scores: Vec<f64> = std::thread::scope(|scope| {
            let handles: Vec<_> = values
                .iter()
                .map(|&v| {
                    let mut trial = m.clone();
                    *knob(&mut trial) = v;
                    scope.spawn(move || total_ll(&trial, n_skills, train))
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
                .collect()
        });
        let best = (0..values.len())
            .max_by(|&a, &b| scores[a].total_cmp(&scores[b]).then(b.cmp(&a)))
            .unwrap_or(0);
        *knob(m) = values[best];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model() -> IrtForgetModel {
        let bkt = BktParams {
            prior: 0.3,
            learn: 0.2,
            forget: 0.0,
            guess: 0.2,
            slip: 0.1,
        };
        IrtForgetModel {
            skills: vec![
                SkillParams {
                    bkt,
                    half_life_days: Some(4.0),
                };
                2
            ],
            item_difficulty: vec![0.0, 1.5],
            ability_rate: 0.2,
            ability_shrink: 0.05,
            ability_prior_weight: 1.0,
            ability_learn_weight: 0.0,
        }
    }

    fn state(p_known: f64, correct: u32, last_epoch_s: i64) -> SkillState {
        SkillState {
            p_known,
            count: 3,
            correct,
            last_epoch_s,
        }
    }

    #[test]
    fn p_known_halves_after_one_half_life_with_no_correct_answers() {
        let m = model();
        let four_days = 4 * 86_400;
        assert!((m.decayed(0, &state(0.8, 0, 0), four_days) - 0.4).abs() < 1e-12);
    }

    #[test]
    fn two_correct_answers_double_the_half_life() {
        let m = model();
        let eight_days = 8 * 86_400;
        assert!((m.decayed(0, &state(0.8, 2, 0), eight_days) - 0.4).abs() < 1e-12);
    }

    #[test]
    fn a_harder_item_is_predicted_less_likely_to_be_answered_correctly() {
        let m = model();
        let learner = LearnerState::default();
        let states = [state(0.5, 1, 0)];
        let ev = |item| Evidence {
            skills: &[0],
            item: Some(item),
            correct: true,
            epoch_s: 0,
        };
        assert!(m.predict(&learner, &ev(1), &states) < m.predict(&learner, &ev(0), &states));
    }

    #[test]
    fn a_correct_answer_on_a_two_competency_item_raises_both_and_the_ability() {
        let m = model();
        let mut learner = LearnerState::default();
        let mut states = [state(0.5, 1, 0), state(0.6, 1, 0)];
        let ev = Evidence {
            skills: &[0, 1],
            item: Some(0),
            correct: true,
            epoch_s: 0,
        };
        m.update(&mut learner, &ev, &mut states);
        assert!(states[0].p_known > 0.5 && states[1].p_known > 0.6);
        assert!(learner.ability > 0.0);
        assert_eq!((states[0].count, states[0].correct), (4, 2));
    }
}
