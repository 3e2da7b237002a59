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

use super::params::Params;
use crate::auth::{Authenticated, Scope};
use crate::error::ApiError;
use crate::fitting::{self, kind_name, FitReport};
use crate::openapi::{
    BadRequest, Conflict, Forbidden, NotFound, NotOwner, Unauthorized, Unavailable,
};
use crate::state::AppState;
use actix_web::{web, HttpRequest, HttpResponse};
use learnlog_mastery::harness::ModelKind;
use learnlog_mastery::ParameterSet;
use learnlog_projector::learners::parse_learner;
use learnlog_projector_partitioned::mastery::{CompetencyMastery, RankedLearner};
use learnlog_projector_partitioned::profiles::CompetencySummary;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// Default of `close`: P(mastered) from which a learner not there yet is listed.
pub const DEFAULT_CLOSE: f64 = 0.8;

/// `GET /v1/learners/{learner}/mastery`: the learner's mastery at `at`.
#[derive(Debug, Serialize, ToSchema)]
pub struct LearnerMasteryView {
    learner: Uuid,
    /// The time P(mastered) is given for, RFC 3339.
    at: Option<String>,
    /// The id of the parameter set the learner's evidence was last folded with.
    model: String,
    /// Ability estimate on the logit scale (0 = average).
    ability: f64,
    /// Responses folded.
    responses: u32,
    /// Every competency the learner has evidence on, by id.
    competencies: Vec<CompetencyMasteryView>,
}

/// One competency of a learner's mastery.
#[derive(Debug, Serialize, ToSchema)]
pub struct CompetencyMasteryView {
    competency: String,
    /// P(mastered) at `at`, after forgetting since the last evidence.
    p_mastered: f64,
    /// P(mastered) right after the last evidence.
    p_mastered_at_last_evidence: f64,
    mastered: bool,
    /// When the competency was mastered, RFC 3339; null while it is not.
    mastered_at: Option<String>,
    /// Pieces of evidence.
    evidence: u32,
    /// Of which correct.
    correct: u32,
    last_evidence_at: Option<String>,
    /// Ids of the latest statements that were evidence.
    last_statements: Vec<String>,
}

/// Who has mastered a competency and who is close.
#[derive(Debug, Serialize, ToSchema)]
pub struct CompetencyLearnersView {
    /// The competency id (a CFItem identifier, or an id activities name directly).
    competency: String,
    /// The `close` asked for.
    close_from: f64,
    /// By P(mastered), highest first.
    mastered: Vec<RankedLearnerView>,
    /// Not mastered, P(mastered) at least `close_from`, highest first.
    close: Vec<RankedLearnerView>,
    /// The framework asked about, for
    /// `/v1/frameworks/{framework}/competencies/{competency}/learners`.
    #[serde(skip_serializing_if = "Option::is_none")]
    framework: Option<String>,
}

/// One learner in a competency's lists.
#[derive(Debug, Serialize, ToSchema)]
pub struct RankedLearnerView {
    learner: Uuid,
    p_mastered: f64,
    /// Pieces of evidence.
    evidence: u32,
    /// When the learner mastered it, RFC 3339; null while not mastered.
    mastered_at: Option<String>,
}

fn time(micros: i64) -> Option<String> {
    chrono::DateTime::from_timestamp_micros(micros).map(learnlog_xapi::format_timestamp)
}

pub(crate) fn competency_view(c: &CompetencyMastery) -> CompetencyMasteryView {
    CompetencyMasteryView {
        competency: c.competency.clone(),
        p_mastered: c.p_mastered,
        p_mastered_at_last_evidence: c.p_mastered_at_last_evidence,
        mastered: c.mastered(),
        mastered_at: c.record.mastered_at_micros.and_then(time),
        evidence: c.record.state.count,
        correct: c.record.state.correct,
        last_evidence_at: time(c.record.last_evidence_micros),
        last_statements: c.record.last_statement_ids.clone(),
    }
}

/// The query of `GET /v1/learners/{learner}/mastery`.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AtQuery {
    /// RFC 3339 time to give P(mastered) for (forgetting applied up to it); default now.
    #[param(format = DateTime)]
    at: Option<String>,
}

/// The instant the query string's `at` names (now when absent); 400 naming the problem.
pub(super) fn read_at(query: &str) -> Result<i64, ApiError> {
    parse_at(AtQuery::read(query)?.at.as_deref())
}

impl AtQuery {
    /// Reads a query string: `at` at most once and nothing else; 400 naming the
    /// parameter, in the API's error body, otherwise.
    fn read(query: &str) -> Result<Self, ApiError> {
        let params = Params::parse(query, &["at"])?;
        Ok(Self {
            at: params.get("at").map(str::to_owned),
        })
    }
}

/// The time the query parameter `at` names (RFC 3339; now when absent), in
/// microseconds since the epoch; 400 naming the parameter.
pub(super) fn parse_at(at: Option<&str>) -> Result<i64, ApiError> {
    match at {
        None => Ok(chrono::Utc::now().timestamp_micros()),
        Some(text) => learnlog_xapi::parse_timestamp(text)
            .map(|t| t.timestamp_micros())
            .map_err(|e| ApiError::BadRequest(format!("query parameter at: {e}"))),
    }
}

/// `GET /v1/learners/{learner}/mastery`.
#[utoipa::path(
    get,
    path = "/v1/learners/{learner}/mastery",
    operation_id = "getLearnerMastery",
    tag = "learners",
    params(
        ("learner" = super::learners::LearnerRef, Path, description = super::learners::LEARNER,
            example = super::learners::learner_example),
        AtQuery,
    ),
    responses(
        (status = 200, description = "The learner's mastery", body = LearnerMasteryView),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 421, response = NotOwner),
    ),
    security(("basic" = []))
)]
pub async fn learner(
    state: web::Data<AppState>,
    caller: Authenticated,
    learner: web::Path<String>,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::AllRead)?;
    let at = parse_at(AtQuery::read(request.query_string())?.at.as_deref())?;
    let id = parse_learner(&learner).map_err(ApiError::BadRequest)?;
    state.check_learner_owner(id)?;
    let view = learner_mastery(&state, caller.tenant(), id, at)?
        .ok_or_else(|| ApiError::NotFound(format!("no mastery evidence for learner {id}")))?;
    Ok(HttpResponse::Ok().json(view))
}

/// A learner's mastery at `at` as the API answers it; `None` without evidence.
pub fn learner_mastery(
    state: &AppState,
    tenant: &str,
    id: Uuid,
    at: i64,
) -> Result<Option<LearnerMasteryView>, ApiError> {
    let Some(mastery) = state.mastery_reader.learner(tenant, id, at)? else {
        return Ok(None);
    };
    Ok(Some(LearnerMasteryView {
        learner: id,
        at: time(at),
        model: mastery.record.model_id.clone(),
        ability: mastery.record.state.ability,
        responses: mastery.record.state.responses,
        competencies: mastery.competencies.iter().map(competency_view).collect(),
    }))
}

/// The `competencies` section of a learner profile: mastered, in progress and
/// struggling competency ids; `None` when the learner has no evidence.
pub fn profile_section(
    state: &AppState,
    tenant: &str,
    learner: Uuid,
) -> Result<Option<CompetencySummary>, ApiError> {
    let now = chrono::Utc::now().timestamp_micros();
    let Some(mastery) = state.mastery_reader.learner(tenant, learner, now)? else {
        return Ok(None);
    };
    let (mastered, in_progress, struggling) = mastery.summary();
    let owned = |ids: Vec<&str>| ids.into_iter().map(str::to_owned).collect();
    Ok(Some(CompetencySummary {
        mastered: owned(mastered),
        in_progress: owned(in_progress),
        struggling: owned(struggling),
        advancements: Vec::new(),
    }))
}

/// The query of the learners of a competency.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CloseQuery {
    /// P(mastered) from which a learner not there yet is listed as close; default 0.8.
    #[param(minimum = 0.0, maximum = 1.0, example = 0.5)]
    close: Option<f64>,
}

impl CloseQuery {
    /// Reads a query string: `close` at most once and nothing else; 400 naming the
    /// parameter, in the API's error body, otherwise.
    fn read(query: &str) -> Result<Self, ApiError> {
        let params = Params::parse(query, &["close"])?;
        let close = params
            .get("close")
            .map(|text| {
                text.parse::<f64>().map_err(|_| {
                    ApiError::BadRequest(format!("query parameter close: {text:?} is not a number"))
                })
            })
            .transpose()?;
        Ok(Self { close })
    }
}

fn ranked_view(r: &RankedLearner) -> RankedLearnerView {
    RankedLearnerView {
        learner: r.learner,
        p_mastered: r.entry.p_known,
        evidence: r.entry.evidence,
        mastered_at: r.entry.mastered_at_micros.and_then(time),
    }
}

fn learners_view(
    state: &AppState,
    tenant: &str,
    competency: &str,
    close: Option<f64>,
) -> Result<CompetencyLearnersView, ApiError> {
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
    Ok(CompetencyLearnersView {
        competency: competency.to_owned(),
        close_from: close,
        mastered: found.mastered.iter().map(ranked_view).collect(),
        close: found.close.iter().map(ranked_view).collect(),
        framework: None,
    })
}

/// `GET /v1/frameworks/{framework}/competencies/{competency}/learners`: the
/// competency is a CFItem of the framework, by identifier or URI (404 otherwise).
#[utoipa::path(
    get,
    path = "/v1/frameworks/{framework}/competencies/{competency}/learners",
    operation_id = "listFrameworkCompetencyLearners",
    tag = "frameworks",
    params(
        ("framework" = String, Path, description = "The framework's id",
            example = "fractions"),
        ("competency" = String, Path, description = "A CFItem of the framework, by identifier or URI",
            example = "7d0b6a52-8a7e-4c1e-a5b4-2b3c4d5e6f70"),
        CloseQuery,
    ),
    responses(
        (status = 200, description = "Who has mastered the competency and who is close", body = CompetencyLearnersView),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    ),
    security(("basic" = []))
)]
pub async fn framework_competency_learners(
    state: web::Data<AppState>,
    caller: Authenticated,
    path: web::Path<(String, String)>,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::AllRead)?;
    let close = CloseQuery::read(request.query_string())?.close;
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
    let mut found = learners_view(&state, tenant, &competency.identifier, close)?;
    found.framework = Some(framework);
    Ok(HttpResponse::Ok().json(found))
}

/// `GET /v1/competencies/{competency}/learners`: any competency id, including ones
/// named directly by activities rather than imported with a framework.
#[utoipa::path(
    get,
    path = "/v1/competencies/{competency}/learners",
    operation_id = "listCompetencyLearners",
    tag = "frameworks",
    params(
        ("competency" = String, Path, description = "A competency id, or a CFItem's identifier or URI",
            example = "7d0b6a52-8a7e-4c1e-a5b4-2b3c4d5e6f70"),
        CloseQuery,
    ),
    responses(
        (status = 200, description = "Who has mastered the competency and who is close", body = CompetencyLearnersView),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
    ),
    security(("basic" = []))
)]
pub async fn competency_learners(
    state: web::Data<AppState>,
    caller: Authenticated,
    competency: web::Path<String>,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::AllRead)?;
    let close = CloseQuery::read(request.query_string())?.close;
    let tenant = caller.tenant();
    let id = state
        .framework_reader
        .resolve(tenant, &competency)?
        .unwrap_or_else(|| competency.into_inner());
    Ok(HttpResponse::Ok().json(learners_view(&state, tenant, &id, close)?))
}

/// The body of `POST /v1/admin/mastery/fits` (optional: no body, or `null`, fits the
/// default model).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FitRequest {
    /// `irt-forget` (default) or `bkt`.
    #[schema(example = "bkt")]
    model: Option<String>,
    /// Parameters to publish as they are (pyBKT's JSON), instead of fitting; only with
    /// `bkt`.
    #[schema(value_type = Option<Object>)]
    parameters: Option<Value>,
}

/// `POST /v1/admin/mastery/fits`: 201 with what was published.
#[utoipa::path(
    post,
    path = "/v1/admin/mastery/fits",
    operation_id = "fitMasteryModel",
    tag = "admin",
    request_body(content = Option<FitRequest>, description = "What to fit; none (or `null`) fits `irt-forget`"),
    responses(
        (status = 201, description = "Fitted (or given) and published", body = FitReport),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 409, response = Conflict),
        (status = 503, response = Unavailable),
    ),
    security(("basic" = []))
)]
pub async fn fit(
    state: web::Data<AppState>,
    caller: Authenticated,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::All)?;
    // No body, or `null`, fits the default model.
    let request: FitRequest = if body.is_empty() {
        FitRequest::default()
    } else {
        serde_json::from_slice::<Option<FitRequest>>(&body)
            .map_err(|e| ApiError::BadRequest(format!("fit request body: {e}")))?
            .unwrap_or_default()
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
