//! Synthetic response logs from a known model: ground truth to test and benchmark the
//! mastery model against, generated in-process and deterministic (the same
//! [`Settings`] always give the same log).
//!
//! Two generating models ([`Variant`]):
//! - `bkt`: standard BKT per competency, one competency per item, no forgetting. The
//!   `bkt` model assumes exactly this, so EM should recover the parameters and reach
//!   the ceiling.
//! - `irt-forget`: what real data has and standard BKT lacks: learner ability, item
//!   difficulty, forgetting between sessions and items on two competencies.
//!
//! The parameters are in [`truth`], how a learner practises and answers in
//! `learner`, and the ceiling, a filter that knows the true parameters, in `oracle`. A log is a [`Dataset`] in the reference format: learners in order, each
//! one's responses in time order, one row per (response, competency), and a random
//! fifth of the learners on the `test` side of the split.

mod learner;
mod oracle;
pub mod truth;

use crate::data::{Dataset, Row, Split};
use crate::metrics::{self, Metrics};
use crate::rng::SplitMix64;
use serde::Serialize;
use truth::Truth;

/// Share of learners on the `test` side.
const TEST_SHARE: f64 = 0.2;

/// Which generating model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Variant {
    Bkt,
    IrtForget,
}

impl std::str::FromStr for Variant {
    type Err = crate::Error;
    fn from_str(s: &str) -> crate::Result<Self> {
        match s {
            "bkt" => Ok(Variant::Bkt),
            "irt-forget" => Ok(Variant::IrtForget),
            other => Err(crate::Error::Params(format!(
                "unknown variant {other:?} (known: bkt, irt-forget)"
            ))),
        }
    }
}

/// What to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Settings {
    pub variant: Variant,
    pub learners: usize,
    /// Competencies, in curriculum order (at least 2).
    pub skills: usize,
    pub seed: u64,
}

impl Settings {
    /// The standard size: 4,000 learners on 60 competencies, seed 7 (382,293 responses
    /// for `bkt`, 408,691 for `irt-forget`).
    pub fn standard(variant: Variant) -> Self {
        Self {
            variant,
            learners: 4000,
            skills: 60,
            seed: 7,
        }
    }
}

/// A generated log with its truth.
#[derive(Debug, Clone)]
pub struct Synthetic {
    pub dataset: Dataset,
    /// The oracle's P(correct) per response of [`Dataset::responses`], same order.
    pub ceiling: Vec<f64>,
    pub truth: Truth,
}

/// Generates a log.
pub fn generate(settings: &Settings) -> Synthetic {
    let root = SplitMix64::new(settings.seed);
    let run = root.fork(1 + settings.variant as u64);
    let truth = Truth::draw(settings, &mut root.fork(0), &mut run.fork(0));
    let test = test_learners(settings.learners, &mut run.fork(1));
    let practice = run.fork(2);
    let mut dataset = Dataset {
        skills: truth.skills.iter().map(|s| s.name.clone()).collect(),
        items: truth.items.iter().map(|i| i.name.clone()).collect(),
        rows: Vec::new(),
    };
    let mut ceiling = Vec::new();
    for (user, &test) in test.iter().enumerate() {
        let split = if test { Split::Test } else { Split::Train };
        for answer in learner::practise(&truth, user, &mut practice.fork(user as u64)) {
            let response_id = ceiling.len() as u64;
            for &skill in &truth.items[answer.item as usize].skills {
                dataset.rows.push(Row {
                    user: user as u32,
                    skill,
                    item: answer.item,
                    correct: answer.correct,
                    epoch_s: answer.epoch_s,
                    response_id,
                    split,
                });
            }
            ceiling.push(answer.ceiling);
        }
    }
    Synthetic {
        dataset,
        ceiling,
        truth,
    }
}

/// Which learners are on the `test` side: a uniformly random subset of
/// `TEST_SHARE` of them (rounded).
fn test_learners(learners: usize, rng: &mut SplitMix64) -> Vec<bool> {
    let mut order: Vec<usize> = (0..learners).collect();
    let chosen = (learners as f64 * TEST_SHARE).round() as usize;
    for i in 0..chosen {
        let j = rng.between(i, learners - 1);
        order.swap(i, j);
    }
    let mut test = vec![false; learners];
    for &user in &order[..chosen] {
        test[user] = true;
    }
    test
}

impl Synthetic {
    /// How well the oracle predicts the test learners' responses: what no model can
    /// beat (on average).
    pub fn test_ceiling(&self) -> Metrics {
        let (predictions, outcomes): (Vec<f64>, Vec<bool>) = (self.dataset.responses().iter())
            .zip(&self.ceiling)
            .filter(|(r, _)| r.split == Split::Test)
            .map(|(r, &p)| (p, r.correct))
            .unzip();
        metrics::evaluate(&predictions, &outcomes)
    }
}

#[cfg(test)]
mod tests;
