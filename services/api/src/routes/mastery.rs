//! Mastery views and model fitting:
//!
//! - `GET /v1/learners/{learner}/mastery[?at=RFC 3339]`: P(mastered) of every
//!   competency the learner has evidence on (forgetting applied up to `at`, default
//!   now), with evidence counts, when mastery was reached and the last evidence ids;
//! - `GET /v1/frameworks/{framework}/competencies/{competency}/learners[?close=P]` and
//!   `GET /v1/competencies/{competency}/learners[?close=P]`: who has mastered the
//!   competency and who is close (P(mastered) ≥ `close`, default 0.8);
//! - `POST /v1/admin/mastery/fits`: fit parameters from the log (or publish given
//!   pyBKT parameters) for the caller's tenant.
//!
//! `{learner}` is a learner id or a percent-encoded agent JSON. Reads need `all/read`;
//! fitting needs `all`.

use crate::auth::{Authenticated, Scope};
use crate::error::ApiError;
use crate::fitting::{self, kind_name};
use crate::state::AppState;
use actix_web::{web, HttpResponse};
use learnlog_mastery::harness::ModelKind;
use learnlog_mastery::ParameterSet;
use learnlog_projector::learners::parse_learner;
use learnlog_projector::mastery::{CompetencyMastery, RankedLearner};
use serde::Deserialize;
use serde_json::{json, Value};

/// Default of `close`: P(mastered) from which a learner not there yet is listed.
pub const DEFAULT_CLOSE: f64 = 0.8;

fn time(micros: i64) -> Value {
    chrono::DateTime::from_timestamp_micros(micros)
        .map_or(Value::Null, |t| learnlog_xapi::format_timestamp(t).into())
}

fn competency_json(c: &CompetencyMastery) -> Value {
    json!({
        "competency": c.competency,
        "p_mastered": c.p_mastered,
        "p_mastered_at_last_evidence": c.p_mastered_at_last_evidence,
        "mastered": c.mastered(),
        "mastered_at": c.record.mastered_at_micros.map_or(Value::Null, time),
        "evidence": c.record.state.count,
        "correct": c.record.state.correct,
        "last_evidence_at": time(c.record.last_evidence_micros),
        "last_statements": c.record.last_statement_ids,
    })
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AtQuery {
    at: Option<String>,
}

pub(super) fn parse_at(at: Option<&str>) -> Result<i64, ApiError> {
    match at {
        None => Ok(chrono::Utc::now().timestamp_micros()),
        Some(text) => learnlog_xapi::parse_timestamp(text)
            .map(|t| t.timestamp_micros())
            .map_err(|e| ApiError::BadRequest(format!("at: {e}"))),
    }
}

/// `GET /v1/learners/{learner}/mastery`.
pub async fn learner(
    state: web::Data<AppState>,
    caller: Authenticated,
    learner: web::Path<String>,
    query: web::Query<AtQuery>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::AllRead)?;
    let id = parse_learner(&learner).map_err(ApiError::BadRequest)?;
    state.check_learner_owner(id)?;
    let at = parse_at(query.at.as_deref())?;
    let mastery = state
        .mastery_reader
        .learner(caller.tenant(), id, at)?
        .ok_or_else(|| ApiError::NotFound(format!("no mastery evidence for learner {id}")))?;
    let competencies: Vec<Value> = mastery.competencies.iter().map(competency_json).collect();
    Ok(HttpResponse::Ok().json(json!({
        "learner": id.to_string(),
        "at": time(at),
        "model": mastery.record.model_id,
        "ability": mastery.record.state.ability,
        "responses": mastery.record.state.responses,
        "competencies": competencies,
    })))
}

/// The `competencies` section of a learner profile: mastered, in progress and
/// struggling competency ids; `None` when the learner has no evidence.
pub fn profile_section(
    state: &AppState,
    tenant: &str,
    learner: uuid::Uuid,
) -> Result<Option<Value>, ApiError> {
    let now = chrono::Utc::now().timestamp_micros();
    let Some(mastery) = state.mastery_reader.learner(tenant, learner, now)? else {
        return Ok(None);
    };
    let (mastered, in_progress, struggling) = mastery.summary();
    Ok(Some(json!({
        "mastered": mastered,
        "in_progress": in_progress,
        "struggling": struggling,
    })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CloseQuery {
    close: Option<f64>,
}

fn ranked_json(r: &RankedLearner) -> Value {
    json!({
        "learner": r.learner.to_string(),
        "p_mastered": r.entry.p_known,
        "evidence": r.entry.evidence,
        "mastered_at": r.entry.mastered_at_micros.map_or(Value::Null, time),
    })
}

fn learners_json(
    state: &AppState,
    tenant: &str,
    competency: &str,
    close: Option<f64>,
) -> Result<Value, ApiError> {
    let close = close.unwrap_or(DEFAULT_CLOSE);
    if !(0.0..=1.0).contains(&close) {
        return Err(ApiError::BadRequest(format!(
            "close: {close} is not a probability in [0, 1]"
        )));
    }
    let mut found = state
        .mastery_reader
        .competency_learners(tenant, competency, close)?;
    if state.owned.is_some() {
        // A projector answers for the learners of its partitions; api processes
        // gather every projector's answer.
        let owned = |ranked: &RankedLearner| {
            state
                .learner_partition(ranked.learner)
                .is_ok_and(|partition| state.owns(partition))
        };
        found.mastered.retain(owned);
        found.close.retain(owned);
    }
    Ok(json!({
        "competency": competency,
        "close_from": close,
        "mastered": found.mastered.iter().map(ranked_json).collect::<Vec<_>>(),
        "close": found.close.iter().map(ranked_json).collect::<Vec<_>>(),
    }))
}

/// `GET /v1/frameworks/{framework}/competencies/{competency}/learners`: the
/// competency is a CFItem of the framework, by identifier or URI (404 otherwise).
pub async fn framework_competency_learners(
    state: web::Data<AppState>,
    caller: Authenticated,
    path: web::Path<(String, String)>,
    query: web::Query<CloseQuery>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::AllRead)?;
    let (framework, reference) = path.into_inner();
    let tenant = caller.tenant();
    let competency = state
        .framework_reader
        .resolve(tenant, &reference)?
        .and_then(|id| {
            state
                .framework_reader
                .competency(tenant, &id)
                .ok()
                .flatten()
        })
        .filter(|c| c.framework_id == framework)
        .ok_or_else(|| {
            ApiError::NotFound(format!(
                "framework {framework} has no competency {reference}"
            ))
        })?;
    let mut found = learners_json(&state, tenant, &competency.identifier, query.close)?;
    found["framework"] = Value::from(framework);
    Ok(HttpResponse::Ok().json(found))
}

/// `GET /v1/competencies/{competency}/learners`: any competency id, including ones
/// named directly by activities rather than imported with a framework.
pub async fn competency_learners(
    state: web::Data<AppState>,
    caller: Authenticated,
    competency: web::Path<String>,
    query: web::Query<CloseQuery>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::AllRead)?;
    let tenant = caller.tenant();
    let id = state
        .framework_reader
        .resolve(tenant, &competency)?
        .unwrap_or_else(|| competency.into_inner());
    Ok(HttpResponse::Ok().json(learners_json(&state, tenant, &id, query.close)?))
}

/// The body of `POST /v1/admin/mastery/fits`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FitRequest {
    /// `irt-forget` (default) or `bkt`.
    model: Option<String>,
    /// Parameters to publish as they are (pyBKT's JSON), instead of fitting.
    parameters: Option<Value>,
}

/// `POST /v1/admin/mastery/fits`: 201 with what was published.
pub async fn fit(
    state: web::Data<AppState>,
    caller: Authenticated,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::All)?;
    let request: FitRequest = if body.is_empty() {
        FitRequest::default()
    } else {
        serde_json::from_slice(&body)
            .map_err(|e| ApiError::BadRequest(format!("fit request body: {e}")))?
    };
    let kind: ModelKind = request
        .model
        .as_deref()
        .unwrap_or("irt-forget")
        .parse()
        .map_err(|e: learnlog_mastery::Error| ApiError::BadRequest(format!("model: {e}")))?;
    let report = match request.parameters {
        Some(parameters) => {
            if kind != ModelKind::Bkt {
                return Err(ApiError::BadRequest(
                    "parameters: given parameters are pyBKT's, so model must be bkt".into(),
                ));
            }
            let set = ParameterSet::from_pybkt_json(&parameters.to_string())
                .map_err(|e| ApiError::BadRequest(format!("parameters: {e}")))?;
            let competencies = set.competencies.len();
            let model_id =
                fitting::publish(&state, caller.tenant(), &set, "given bkt parameters".into())
                    .await?;
            fitting::FitReport {
                model_id,
                model: kind_name(kind),
                competencies,
                items: 0,
                learners: 0,
                responses: 0,
                fit_seconds: 0.0,
            }
        }
        None => fitting::fit_and_publish(&state, caller.tenant(), kind).await?,
    };
    Ok(HttpResponse::Created().json(report))
}
