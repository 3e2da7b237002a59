//! The benchmark harness: fit on the training learners, stream the test learners
//! through the production model (predict, then update), and score the predictions.
//!
//! `learnlog bench mastery` is a thin wrapper around [`run`].

use crate::bkt::BktParams;
use crate::data::{Dataset, Response, Split};
use crate::em::{self, FitOptions, Sequences};
use crate::metrics::{self, Calibration, Metrics, ReliabilityBin};
use crate::model::{BktModel, Model};
use crate::{Error, Result};
use serde::Serialize;
use std::collections::HashMap;
use std::time::Instant;

/// Which model variant to fit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModelKind {
    /// Standard BKT.
    Bkt,
    /// BKT with item difficulty, learner ability and forgetting over time.
    IrtForget,
}

impl std::str::FromStr for ModelKind {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "bkt" => Ok(ModelKind::Bkt),
            "irt-forget" => Ok(ModelKind::IrtForget),
            other => Err(Error::Params(format!(
                "unknown model {other:?} (known: bkt, irt-forget)"
            ))),
        }
    }
}

/// What the harness prints: accuracy and calibration over the test responses, and speed.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub auc: f64,
    pub rmse: f64,
    pub logloss: f64,
    pub accuracy: f64,
    /// Expected calibration error over 10 equal-width bins of P(correct).
    pub ece: f64,
    pub fit_seconds: f64,
    pub predict_per_second: f64,
    pub responses: usize,
    /// The reliability table behind `ece`: the non-empty bins, lowest first.
    pub reliability: Vec<ReliabilityBin>,
}

/// Runs the protocol: fit on `split=train` (or take `fixed`), then stream `split=test`.
pub fn run(ds: &Dataset, kind: ModelKind, fixed: Option<Model>, fit: &FitOptions) -> Report {
    let responses = ds.responses();
    let started = Instant::now();
    let model = match fixed {
        Some(m) => m,
        None => fit_model(ds, &responses, kind, fit),
    };
    let fit_seconds = started.elapsed().as_secs_f64();
    let test: Vec<&Response> = responses
        .iter()
        .filter(|r| r.split == Split::Test)
        .collect();
    let started = Instant::now();
    let predictions = stream(&model, ds.skills.len(), &test);
    let seconds = started.elapsed().as_secs_f64();
    let outcomes: Vec<bool> = test.iter().map(|r| r.correct).collect();
    let Metrics {
        auc,
        rmse,
        logloss,
        accuracy,
    } = metrics::evaluate(&predictions, &outcomes);
    let Calibration { ece, bins } = metrics::calibration(&predictions, &outcomes);
    Report {
        auc,
        rmse,
        logloss,
        accuracy,
        ece,
        fit_seconds,
        predict_per_second: test.len() as f64 / seconds.max(1e-12),
        responses: test.len(),
        reliability: bins,
    }
}

/// Fits a model of `kind` on the training responses.
pub fn fit_model(
    ds: &Dataset,
    responses: &[Response],
    kind: ModelKind,
    opts: &FitOptions,
) -> Model {
    match kind {
        ModelKind::Bkt => {
            let seqs = bkt_sequences(ds.skills.len(), responses);
            Model::Bkt(BktModel {
                params: em::fit_all(&seqs, opts),
            })
        }
        ModelKind::IrtForget => Model::IrtForget(crate::irtf::fit(
            ds.skills.len(),
            ds.items.len(),
            responses,
            opts,
        )),
    }
}

/// Per-competency sequences of the training responses (a multi-competency response
/// counts as an observation of each of its competencies, as in pyBKT).
pub fn bkt_sequences(n_skills: usize, responses: &[Response]) -> Vec<Sequences> {
    let mut by_skill: Vec<Vec<u32>> = vec![Vec::new(); n_skills];
    for (i, r) in responses.iter().enumerate() {
        if r.split == Split::Train {
            for &s in &r.skills {
                by_skill[s as usize].push(i as u32);
            }
        }
    }
    let mut seqs = vec![Sequences::default(); n_skills];
    for (ixs, seq) in by_skill.iter_mut().zip(&mut seqs) {
        // stable: each learner's responses stay in time order (and the file usually
        // has learners contiguous, so this is a linear pass)
        ixs.sort_by_key(|&i| responses[i as usize].user);
        let mut last = None;
        for &i in ixs.iter() {
            let r = &responses[i as usize];
            if last != Some(r.user) {
                seq.starts.push(seq.obs.len());
                last = Some(r.user);
            }
            seq.obs.push(r.correct);
        }
    }
    seqs
}

/// Streams responses through `model` in order, one learner state per `user`:
/// predict P(correct) from what is known so far, then fold the response in.
pub fn stream(model: &Model, n_skills: usize, responses: &[&Response]) -> Vec<f64> {
    let mut out = Vec::with_capacity(responses.len());
    crate::irtf::stream_each(model, n_skills, responses.iter().copied(), |_, _, _, p| {
        out.push(p)
    });
    out
}

/// A BKT model from parameters in pyBKT's JSON format
/// (`{"skill": {"prior":…, "learn":…, "forget":…, "guess":…, "slip":…}, …}`), in the
/// dataset's competency order. Every competency of the dataset must have parameters.
pub fn bkt_from_pybkt_json(json: &str, ds: &Dataset) -> Result<Model> {
    let by_name: HashMap<String, BktParams> =
        serde_json::from_str(json).map_err(|e| Error::Params(e.to_string()))?;
    let params = ds
        .skills
        .iter()
        .map(|s| {
            by_name
                .get(s)
                .copied()
                .ok_or_else(|| Error::Params(format!("no parameters for competency {s:?}")))
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Model::Bkt(BktModel { params }))
}
