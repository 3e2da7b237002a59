//! Who has mastered a competency and who is close:
//!
//! - `GET /v1/frameworks/{framework}/competencies/{competency}/learners[?close=P]` and
//!   `GET /v1/competencies/{competency}/learners[?close=P]`: the learners who mastered
//!   the competency and those close (P(mastered) ≥ `close`, default 0.8), highest
//!   first.
//!
//! Reads need `all/read`.

use super::mastery::time;
use super::params::Params;
use crate::auth::{Authenticated, Scope};
use crate::error::ApiError;
use crate::openapi::{BadRequest, Forbidden, NotFound, Unauthorized};
use crate::state::AppState;
use actix_web::{web, HttpRequest, HttpResponse};
use learnlog_projector_partitioned::mastery::RankedLearner;
use serde::Serialize;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// Default of `close`: P(mastered) from which a learner not there yet is listed.
pub const DEFAULT_CLOSE: f64 = 0.8;

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
