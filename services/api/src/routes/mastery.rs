//! A learner's mastery:
//!
//! - `GET /v1/learners/{learner}/mastery[?at=RFC 3339]`: P(mastered) of every
//!   competency the learner has evidence on (forgetting applied up to `at`, default
//!   now), with evidence counts, when mastery was reached and the last evidence ids;
//!
//! and the same views for learner profiles, streams and view topics, and the `at`
//! query parameter other learner views share. `{learner}` is a learner id or a
//! percent-encoded agent JSON. Reads need `all/read`.

use super::params::Params;
use crate::auth::{Authenticated, Scope};
use crate::error::ApiError;
use crate::openapi::{BadRequest, Forbidden, NotFound, NotOwner, Unauthorized};
use crate::state::AppState;
use actix_web::{web, HttpRequest, HttpResponse};
use learnlog_projector::learners::parse_learner;
use learnlog_projector_partitioned::mastery::CompetencyMastery;
use learnlog_projector_partitioned::profiles::CompetencySummary;
use serde::Serialize;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

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

/// `micros` as RFC 3339, as mastery views give times.
pub(super) fn time(micros: i64) -> Option<String> {
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
