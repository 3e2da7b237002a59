//! The mastery-model fitting job, for one tenant at a time.
//!
//! A fit reads every `learner-events` partition up to its high watermark, collects the
//! evidence exactly as the mastery fold sees it (`EvidenceLog`), fits per-competency
//! parameters by EM (competencies in parallel), and appends one
//! `MasteryModelPublished` to every partition ([`fit_and_publish`]). Each partition's
//! mastery fold switches to the new parameters at that point of its own order, so
//! replay folds exactly as before. Parameters given by the caller are published the
//! same way ([`publish_given`]). The admin API and the server's schedule both run it.

mod error;
mod evidence;
mod publishing;
#[cfg(test)]
mod tests;

pub use error::Error;

use learnlog_log::EventLog;
use learnlog_mastery::em::FitOptions;
use learnlog_mastery::harness::ModelKind;
use learnlog_mastery::{Model, ParameterSet};
use learnlog_projection::Projection;
use serde::Serialize;
use std::time::{Duration, Instant};
use utoipa::ToSchema;

/// Where a fit reads its evidence and publishes its parameters.
#[derive(Clone, Copy)]
pub struct FitTarget<'a> {
    /// The log whose `learner-events` hold the evidence and receive the parameters.
    pub log: &'a EventLog,
    /// The mastery projection: a publication is acknowledged once it folded it.
    pub mastery: &'a Projection,
    /// How long to wait for the mastery projection to fold each partition's copy.
    pub fold_wait: Duration,
}

/// What a fit published.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FitReport {
    /// The id of the published parameter set.
    pub model_id: String,
    /// `irt-forget` or `bkt`.
    pub model: &'static str,
    pub competencies: usize,
    pub items: usize,
    pub learners: usize,
    pub responses: usize,
    pub fit_seconds: f64,
}

/// The model name clients use.
fn model_name(model: &Model) -> &'static str {
    match model {
        Model::Bkt(_) => "bkt",
        Model::IrtForget(_) => "irt-forget",
    }
}

/// Fits a `kind` model on `tenant`'s evidence and publishes it;
/// [`Error::NoEvidence`] when the tenant has none yet.
pub async fn fit_and_publish(
    target: FitTarget<'_>,
    tenant: &str,
    kind: ModelKind,
) -> Result<FitReport, Error> {
    let evidence = evidence::collect_evidence(target.log, tenant).await?;
    if evidence.responses.is_empty() {
        return Err(Error::NoEvidence);
    }
    let learners = evidence.learners();
    let responses = evidence.responses.len();
    let started = Instant::now();
    let set = tokio::task::spawn_blocking(move || {
        ParameterSet::fit(
            kind,
            evidence.competencies,
            evidence.items,
            &evidence.responses,
            &FitOptions::default(),
        )
    })
    .await?;
    let fit_seconds = started.elapsed().as_secs_f64();
    let model = model_name(&set.model);
    let description = format!("{model} fitted on {responses} responses of {learners} learners");
    let mut report = FitReport {
        model_id: String::new(),
        model,
        competencies: set.competencies.len(),
        items: set.items.len(),
        learners,
        responses,
        fit_seconds,
    };
    report.model_id = publishing::publish(target, tenant, &set, description).await?;
    Ok(report)
}

/// Publishes `set`, parameters the caller gives (such as pyBKT's, read with
/// [`ParameterSet::from_pybkt_json`]), as they are; the report counts no items,
/// learners or responses since nothing was fitted.
pub async fn publish_given(
    target: FitTarget<'_>,
    tenant: &str,
    set: &ParameterSet,
) -> Result<FitReport, Error> {
    let model = model_name(&set.model);
    let description = format!("given {model} parameters");
    let model_id = publishing::publish(target, tenant, set, description).await?;
    Ok(FitReport {
        model_id,
        model,
        competencies: set.competencies.len(),
        items: 0,
        learners: 0,
        responses: 0,
        fit_seconds: 0.0,
    })
}
