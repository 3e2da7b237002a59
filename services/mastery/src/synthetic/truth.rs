//! The true parameters behind a synthetic log, and the probabilities they give one
//! learner on one item.
//!
//! | what | drawn from | variant |
//! |---|---|---|
//! | prior P(known), per competency | uniform 0.05–0.60 | both |
//! | learn rate, per competency | uniform 0.05–0.30 | both |
//! | guess, per competency | uniform 0.08–0.32 | both |
//! | slip, per competency | uniform 0.04–0.20 | both |
//! | half-life of a known competency, per competency | uniform 4–30 days | `irt-forget` |
//! | items per competency | 12–30, uniform | both |
//! | item difficulty | normal, mean 0, sd 0.7 | `irt-forget` (else 0) |
//! | a second competency on an item | 15% of items: one of the 8 before it in order | `irt-forget` |
//! | learner ability θ | normal, mean 0, sd 0.8 | `irt-forget` (else 0) |
//!
//! Competency parameters come from the seed alone, so both variants share them.
//! Ability moves the logits of a learner's prior (×0.8), learn rate (×0.5) and both
//! emissions (×0.6); difficulty lowers both emission logits. The half-life doubles with
//! every two correct answers given while the competency is known, up to 8 of them.

use super::{Settings, Variant};
use crate::bkt::BktParams;
use crate::rng::SplitMix64;
use serde::Serialize;

const PRIOR: (f64, f64) = (0.05, 0.60);
const LEARN: (f64, f64) = (0.05, 0.30);
const GUESS: (f64, f64) = (0.08, 0.32);
const SLIP: (f64, f64) = (0.04, 0.20);
const HALF_LIFE_DAYS: (f64, f64) = (4.0, 30.0);
const ITEMS_PER_SKILL: (usize, usize) = (12, 30);
const DIFFICULTY_SD: f64 = 0.7;
const TWO_SKILL_SHARE: f64 = 0.15;
/// How far back in competency order an item's second competency may lie.
const SECOND_SKILL_REACH: usize = 8;
const ABILITY_SD: f64 = 0.8;
const ABILITY_ON_PRIOR: f64 = 0.8;
const ABILITY_ON_LEARN: f64 = 0.5;
const ABILITY_ON_EMISSIONS: f64 = 0.6;
/// Correct answers (while known) after which the half-life stops growing.
const HALF_LIFE_SUCCESSES: u32 = 8;

/// One competency's true parameters (for an average learner on an average item).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrueSkill {
    pub name: String,
    pub prior: f64,
    pub learn: f64,
    pub guess: f64,
    pub slip: f64,
    /// Half-life of a known competency with no correct answers yet (`irt-forget` only).
    pub half_life_days: f64,
}

/// One item: its competencies (the first is the primary one) and difficulty.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrueItem {
    pub name: String,
    pub skills: Vec<u32>,
    pub difficulty: f64,
}

/// Everything the generator knows and a model has to estimate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Truth {
    pub settings: Settings,
    pub skills: Vec<TrueSkill>,
    pub items: Vec<TrueItem>,
    /// Per learner, on the logit scale.
    pub abilities: Vec<f64>,
    /// Items whose primary competency is the index.
    #[serde(skip)]
    pub(crate) items_of: Vec<Vec<u32>>,
}

fn round(x: f64, decimals: i32) -> f64 {
    let scale = 10f64.powi(decimals);
    (x * scale).round() / scale
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// `p` moved by `by` on the logit scale; exactly `p` when `by` is 0.
fn shift(p: f64, by: f64) -> f64 {
    if by == 0.0 {
        p
    } else {
        sigmoid((p / (1.0 - p)).ln() + by)
    }
}

impl Truth {
    /// Draws the parameters: competencies from `skills_rng`, items and abilities from
    /// `variant_rng`.
    pub(crate) fn draw(
        settings: &Settings,
        skills_rng: &mut SplitMix64,
        variant_rng: &mut SplitMix64,
    ) -> Self {
        let skills: Vec<TrueSkill> = (0..settings.skills)
            .map(|k| TrueSkill {
                name: format!("skill-{k:02}"),
                prior: round(skills_rng.uniform(PRIOR.0, PRIOR.1), 4),
                learn: round(skills_rng.uniform(LEARN.0, LEARN.1), 4),
                guess: round(skills_rng.uniform(GUESS.0, GUESS.1), 4),
                slip: round(skills_rng.uniform(SLIP.0, SLIP.1), 4),
                half_life_days: round(skills_rng.uniform(HALF_LIFE_DAYS.0, HALF_LIFE_DAYS.1), 2),
            })
            .collect();
        let rich = settings.variant == Variant::IrtForget;
        let mut items = Vec::new();
        let mut items_of = vec![Vec::new(); skills.len()];
        for (k, mine) in items_of.iter_mut().enumerate() {
            for _ in 0..variant_rng.between(ITEMS_PER_SKILL.0, ITEMS_PER_SKILL.1) {
                let mut on = vec![k as u32];
                let mut difficulty = 0.0;
                if rich {
                    difficulty = round(variant_rng.normal(0.0, DIFFICULTY_SD), 4);
                    if skills.len() > 1 && variant_rng.chance(TWO_SKILL_SHARE) {
                        on.push(earlier_skill(variant_rng, k, skills.len()) as u32);
                    }
                }
                mine.push(items.len() as u32);
                items.push(TrueItem {
                    name: format!("item-{:05}", items.len()),
                    skills: on,
                    difficulty,
                });
            }
        }
        let abilities = (0..settings.learners)
            .map(|_| match settings.variant {
                Variant::Bkt => 0.0,
                Variant::IrtForget => variant_rng.normal(0.0, ABILITY_SD),
            })
            .collect();
        Self {
            settings: *settings,
            skills,
            items,
            abilities,
            items_of,
        }
    }

    /// The true parameters in the BKT model's form (for the `bkt` variant, the
    /// generating model itself; for `irt-forget`, an average learner on an average item).
    pub fn bkt_params(&self) -> Vec<BktParams> {
        (self.skills.iter())
            .map(|s| BktParams {
                prior: s.prior,
                learn: s.learn,
                forget: 0.0,
                guess: s.guess,
                slip: s.slip,
            })
            .collect()
    }

    /// Whether known competencies are forgotten between sessions.
    pub(crate) fn forgets(&self) -> bool {
        self.settings.variant == Variant::IrtForget
    }

    /// P(known) of `user` on `skill` before any practice.
    pub(crate) fn prior(&self, user: usize, skill: u32) -> f64 {
        let by = ABILITY_ON_PRIOR * self.abilities[user];
        shift(self.skills[skill as usize].prior, by)
    }

    /// P(learning `skill`) on one practice opportunity of `user`.
    pub(crate) fn learn(&self, user: usize, skill: u32) -> f64 {
        let by = ABILITY_ON_LEARN * self.abilities[user];
        shift(self.skills[skill as usize].learn, by)
    }

    /// (P(correct | not known), P(correct | known)) of `user` on `item`, by the primary
    /// competency's guess and slip.
    pub(crate) fn emissions(&self, user: usize, item: u32) -> (f64, f64) {
        let item = &self.items[item as usize];
        let skill = &self.skills[item.skills[0] as usize];
        let by = ABILITY_ON_EMISSIONS * self.abilities[user] - item.difficulty;
        (shift(skill.guess, by), shift(1.0 - skill.slip, by))
    }

    /// Half-life in days of `skill` after `successes` correct answers while known.
    pub(crate) fn half_life_days(&self, skill: u32, successes: u32) -> f64 {
        let doublings = f64::from(successes.min(HALF_LIFE_SUCCESSES)) / 2.0;
        self.skills[skill as usize].half_life_days * doublings.exp2()
    }
}

/// A competency other than `skill`: one of the few before it, or any other for the first.
fn earlier_skill(rng: &mut SplitMix64, skill: usize, count: usize) -> usize {
    if skill > 0 {
        let from = skill.saturating_sub(SECOND_SKILL_REACH);
        rng.between(from, skill - 1)
    } else {
        1 + rng.below(count - 1)
    }
}
