//! Fitting the model: per-competency BKT by EM, then a few rounds of Fisher scoring of
//! item offsets and grid choices of half-lives and the ability step, each scored by
//! the log-likelihood of the online predictions on the training learners.

use super::{logit, sigmoid, stream_each, IrtForgetModel, SkillParams};
use crate::bkt::BktParams;
use crate::data::{Response, Split};
use crate::em::{self, FitOptions};
use crate::model::{Evidence, Model};

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
