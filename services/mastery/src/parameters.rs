//! Parameter sets: a fitted [`Model`] together with the competency and item names its
//! dense indices stand for — what `learnlog fit` publishes and a mastery projection
//! folds with.
//!
//! A projection meets competencies and items the set was not fitted on; [`Loaded`]
//! gives every unknown competency one extra slot with fallback parameters (the mean of
//! the fitted ones, or [`DEFAULT_BKT`] when there are none) and unknown items no
//! difficulty, so evidence is never dropped for want of parameters.

use crate::bkt::BktParams;
use crate::data::{Dataset, Response};
use crate::em::FitOptions;
use crate::harness::{self, ModelKind};
use crate::irtf::SkillParams;
use crate::model::{BktModel, Model};
use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

/// Parameters of a competency nobody has fitted yet: a learner starts unlikely to know
/// it, learns it in a handful of opportunities, and guesses or slips now and then.
pub const DEFAULT_BKT: BktParams = BktParams {
    prior: 0.2,
    learn: 0.15,
    forget: 0.0,
    guess: 0.2,
    slip: 0.1,
};

/// A model and the names of its indices.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParameterSet {
    /// Competency ids, indexed like the model's competency tables.
    pub competencies: Vec<String>,
    /// Item (activity) ids, indexed like the model's item tables.
    pub items: Vec<String>,
    pub model: Model,
}

impl ParameterSet {
    /// No fitted competency: every competency folds with [`DEFAULT_BKT`].
    pub fn unfitted() -> Self {
        Self {
            competencies: Vec::new(),
            items: Vec::new(),
            model: Model::Bkt(BktModel { params: Vec::new() }),
        }
    }

    /// Standard BKT from pyBKT's parameter JSON
    /// (`{"competency": {"prior":…, "learn":…, "forget":…, "guess":…, "slip":…}, …}`).
    pub fn from_pybkt_json(json: &str) -> Result<Self> {
        let by_name: BTreeMap<String, BktParams> =
            serde_json::from_str(json).map_err(|e| Error::Params(e.to_string()))?;
        for (name, p) in &by_name {
            let fields = [p.prior, p.learn, p.forget, p.guess, p.slip];
            if fields.iter().any(|v| !(0.0..=1.0).contains(v)) {
                return Err(Error::Params(format!(
                    "{name}: every parameter must be a probability in [0, 1]"
                )));
            }
        }
        let (competencies, params) = by_name.into_iter().unzip();
        Ok(Self {
            competencies,
            items: Vec::new(),
            model: Model::Bkt(BktModel { params }),
        })
    }

    /// Reads a set written by [`ParameterSet::to_json`], checking that the model's
    /// tables match the names.
    pub fn from_json(json: &[u8]) -> Result<Self> {
        let set: Self = serde_json::from_slice(json).map_err(|e| Error::Params(e.to_string()))?;
        let (skills, items) = match &set.model {
            Model::Bkt(m) => (m.params.len(), set.items.len()),
            Model::IrtForget(m) => (m.skills.len(), m.item_difficulty.len()),
        };
        if skills != set.competencies.len() || items != set.items.len() {
            return Err(Error::Params(format!(
                "the model has {skills} competencies and {items} items, the names {} and {}",
                set.competencies.len(),
                set.items.len()
            )));
        }
        Ok(set)
    }

    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("a parameter set serializes")
    }

    /// Fits a model of `kind` on `responses` (all of them; their `split` is ignored),
    /// whose competency and item indices name `competencies` and `items`.
    pub fn fit(
        kind: ModelKind,
        competencies: Vec<String>,
        items: Vec<String>,
        responses: &[Response],
        options: &FitOptions,
    ) -> Self {
        let dataset = Dataset {
            skills: competencies,
            items,
            rows: Vec::new(),
        };
        let train: Vec<Response> = responses
            .iter()
            .map(|r| Response {
                split: crate::data::Split::Train,
                ..r.clone()
            })
            .collect();
        let model = harness::fit_model(&dataset, &train, kind, options);
        Self {
            competencies: dataset.skills,
            items: dataset.items,
            model,
        }
    }

    /// Ready for folding: name lookups and the fallback competency.
    pub fn load(self) -> Loaded {
        Loaded::new(self)
    }
}

/// A parameter set ready for folding.
#[derive(Debug, Clone)]
pub struct Loaded {
    competencies: HashMap<String, u32>,
    items: HashMap<String, u32>,
    /// The set's model with one more competency: the fallback, at index `fallback`.
    model: Model,
    fallback: u32,
}

fn mean_bkt(params: impl Iterator<Item = BktParams>) -> BktParams {
    let (mut sum, mut n) = ([0.0; 5], 0.0);
    for p in params {
        for (s, v) in sum
            .iter_mut()
            .zip([p.prior, p.learn, p.forget, p.guess, p.slip])
        {
            *s += v;
        }
        n += 1.0;
    }
    if n == 0.0 {
        return DEFAULT_BKT;
    }
    BktParams {
        prior: sum[0] / n,
        learn: sum[1] / n,
        forget: sum[2] / n,
        guess: sum[3] / n,
        slip: sum[4] / n,
    }
}

impl Loaded {
    fn new(set: ParameterSet) -> Self {
        let index = |names: &[String]| {
            names
                .iter()
                .enumerate()
                .map(|(i, n)| (n.clone(), i as u32))
                .collect::<HashMap<_, _>>()
        };
        let competencies = index(&set.competencies);
        let items = index(&set.items);
        let fallback = set.competencies.len() as u32;
        let model = match set.model {
            Model::Bkt(mut m) => {
                m.params.push(mean_bkt(m.params.iter().copied()));
                Model::Bkt(m)
            }
            Model::IrtForget(mut m) => {
                let bkt = mean_bkt(m.skills.iter().map(|s| s.bkt));
                m.skills.push(SkillParams {
                    bkt,
                    half_life_days: None,
                });
                Model::IrtForget(m)
            }
        };
        Self {
            competencies,
            items,
            model,
            fallback,
        }
    }

    /// The model index of a competency (the fallback slot when the set lacks it).
    pub fn competency(&self, id: &str) -> u32 {
        self.competencies.get(id).copied().unwrap_or(self.fallback)
    }

    /// The model index of an item, when the set knows it.
    pub fn item(&self, id: &str) -> Option<u32> {
        self.items.get(id).copied()
    }

    /// The model, with the fallback competency included.
    pub fn model(&self) -> &Model {
        &self.model
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Evidence, LearnerState};

    #[test]
    fn unknown_competencies_fold_with_the_mean_of_the_fitted_ones() {
        let json = r#"{"a": {"prior": 0.1, "learn": 0.2, "forget": 0, "guess": 0.2, "slip": 0.1},
                       "b": {"prior": 0.3, "learn": 0.4, "forget": 0, "guess": 0.2, "slip": 0.1}}"#;
        let loaded = ParameterSet::from_pybkt_json(json).unwrap().load();
        assert_eq!(loaded.competency("a"), 0);
        assert_eq!(loaded.competency("b"), 1);
        let other = loaded.competency("never fitted");
        assert_eq!(other, 2);
        assert!((loaded.model().initial(other).p_known - 0.2).abs() < 1e-12);
        let mut learner = LearnerState::default();
        let mut states = [loaded.model().initial(other)];
        let evidence = Evidence {
            skills: &[other],
            item: loaded.item("unknown item"),
            correct: true,
            epoch_s: 0,
        };
        loaded.model().update(&mut learner, &evidence, &mut states);
        assert!(states[0].p_known > 0.2);
    }

    #[test]
    fn an_unfitted_set_uses_the_defaults() {
        let loaded = ParameterSet::unfitted().load();
        let k = loaded.competency("x");
        assert_eq!(loaded.model().initial(k).p_known, DEFAULT_BKT.prior);
    }

    #[test]
    fn sets_round_trip_through_json_and_mismatches_are_refused() {
        let set = ParameterSet::from_pybkt_json(
            r#"{"a": {"prior": 0.1, "learn": 0.2, "guess": 0.2, "slip": 0.1}}"#,
        )
        .unwrap();
        assert_eq!(ParameterSet::from_json(&set.to_json()).unwrap(), set);
        let mut broken = set.clone();
        broken.competencies.push("b".into());
        assert!(ParameterSet::from_json(&broken.to_json()).is_err());
        assert!(ParameterSet::from_pybkt_json(
            r#"{"a": {"prior": 1.5, "learn": 0.2, "guess": 0.2, "slip": 0.1}}"#
        )
        .is_err());
    }
}
