//! A learner's decisions, choices and the teachers' actions on interventions:
//!
//! - `GET /v1/learners/{learner}/decisions[?kind=…&at=RFC 3339]`: every decision (next
//!   objectives, plans, reviews, interventions, progress notes, advancements), or one
//!   kind, evaluated at `at` (default now);
//! - `POST /v1/learners/{learner}/choices` `{"competency": …}`: the learner chooses a
//!   next objective; later rankings put it first (201 with the new objectives);
//! - `POST /v1/learners/{learner}/interventions/{id}` `{"action": "acknowledged" |
//!   "acted" | "dismissed", "note"?, "by"?}`: a teacher's action on an intervention
//!   (200 with the intervention as it now reads; 404 when the learner has no such
//!   intervention now).
//!
//! Reads need `statements/read` (or `all/read`, `all`), writes `statements/write` (or
//! `all`). Writes are events on `learner-events` and return once the decisions
//! projection has folded them.

use super::appending::append_and_wait;
use super::learners::{learner, learner_example, LearnerRef, LEARNER};
use super::mastery::parse_at;
use super::params::Params;
use crate::auth::{Authenticated, Scope};
use crate::decisions::Evaluator;
use crate::error::ApiError;
use crate::openapi::{BadRequest, Forbidden, NotFound, NotOwner, Unauthorized, Unavailable};
use crate::state::AppState;
use actix_web::{web, HttpRequest, HttpResponse};
use learnlog_decisions::{Action, Decision, Kind};
use learnlog_projector_partitioned::decisions::{self, InterventionRequest};
use learnlog_proto::topics;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// The query of decision reads.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DecisionQuery {
    /// Only decisions of this kind: `objective`, `plan`, `review`, `intervention`,
    /// `progress` or `advancement`.
    #[param(value_type = Option<Kind>)]
    pub kind: Option<String>,
    /// The RFC 3339 instant to decide at (reviews, inactivity, forgetting); default now.
    #[param(format = DateTime)]
    pub at: Option<String>,
}

impl DecisionQuery {
    /// Reads a query string: `kind` and `at` at most once each, nothing else.
    pub fn read(query: &str) -> Result<Self, ApiError> {
        let params = Params::parse(query, &["kind", "at"])?;
        Ok(Self {
            kind: params.get("kind").map(str::to_owned),
            at: params.get("at").map(str::to_owned),
        })
    }

    /// The kind asked for; 400 naming the kinds for an unknown one.
    pub fn kind(&self) -> Result<Option<Kind>, ApiError> {
        self.kind
            .as_deref()
            .map(|text| {
                Kind::parse(text).ok_or_else(|| {
                    let known: Vec<&str> = Kind::ALL.iter().map(|k| k.as_str()).collect();
                    ApiError::BadRequest(format!(
                        "kind: {text:?} is not a kind of decision (known: {})",
                        known.join(", ")
                    ))
                })
            })
            .transpose()
    }
}

/// A learner's decisions as the API answers them.
#[derive(Debug, Serialize, ToSchema)]
pub struct LearnerDecisions {
    pub learner: String,
    pub at: String,
    pub decisions: Vec<Decision>,
}

pub(super) fn rfc3339(micros: i64) -> String {
    chrono::DateTime::from_timestamp_micros(micros)
        .map(learnlog_xapi::format_timestamp)
        .unwrap_or_default()
}

pub(super) fn of_kind(decisions: Vec<Decision>, kind: Option<Kind>) -> Vec<Decision> {
    match kind {
        Some(kind) => decisions.into_iter().filter(|d| d.kind == kind).collect(),
        None => decisions,
    }
}

pub(crate) fn learner_decisions(
    state: &AppState,
    tenant: &str,
    id: Uuid,
    at: i64,
    kind: Option<Kind>,
) -> Result<LearnerDecisions, ApiError> {
    let evaluated = Evaluator::new(state, tenant, at, None)?.evaluate(id)?;
    Ok(LearnerDecisions {
        learner: id.to_string(),
        at: rfc3339(at),
        decisions: of_kind(evaluated.decisions, kind),
    })
}

/// `GET /v1/learners/{learner}/decisions`.
#[utoipa::path(
    get,
    path = "/v1/learners/{learner}/decisions",
    operation_id = "getLearnerDecisions",
    tag = "decisions",
    params(("learner" = LearnerRef, Path, description = LEARNER, example = learner_example), DecisionQuery),
    responses(
        (status = 200, description = "Every decision about the learner, or those of one kind", body = LearnerDecisions),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 421, response = NotOwner),
    ),
    security(("basic" = []))
)]
pub async fn get(
    state: web::Data<AppState>,
    caller: Authenticated,
    path: web::Path<String>,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::StatementsRead)?;
    let query = DecisionQuery::read(request.query_string())?;
    let id = learner(&path)?;
    state.check_learner_owner(id)?;
    let kind = query.kind()?;
    let at = parse_at(query.at.as_deref())?;
    let answer = learner_decisions(&state, caller.tenant(), id, at, kind)?;
    Ok(HttpResponse::Ok().json(answer))
}

/// The body of `POST …/choices`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChoiceBody {
    /// The competency chosen: a CFItem identifier or URI of an imported framework.
    pub competency: String,
}

fn json_body<T: serde::de::DeserializeOwned>(body: &[u8], what: &str) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|e| ApiError::BadRequest(format!("{what}: {e}")))
}

fn now_micros() -> i64 {
    chrono::Utc::now().timestamp_micros()
}

/// `POST /v1/learners/{learner}/choices`: 201 with the learner's objectives after the
/// choice. The competency must be one of an imported framework (by identifier or URI).
#[utoipa::path(
    post,
    path = "/v1/learners/{learner}/choices",
    operation_id = "chooseObjective",
    tag = "decisions",
    params(("learner" = LearnerRef, Path, description = LEARNER, example = learner_example)),
    request_body = ChoiceBody,
    responses(
        (status = 201, description = "Chosen; the learner's next objectives now", body = LearnerDecisions),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 421, response = NotOwner),
        (status = 503, response = Unavailable),
    ),
    security(("basic" = []))
)]
pub async fn choose(
    state: web::Data<AppState>,
    caller: Authenticated,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::StatementsWrite)?;
    let id = learner(&path)?;
    state.check_learner_owner(id)?;
    let choice: ChoiceBody = json_body(&body, "choice body")?;
    let tenant = caller.tenant();
    let competency = state
        .framework_reader
        .resolve(tenant, &choice.competency)?
        .ok_or_else(|| {
            ApiError::BadRequest(format!(
                "competency: {:?} is not a competency of an imported framework",
                choice.competency
            ))
        })?;
    let now = now_micros();
    let envelope = decisions::objective_chosen(tenant, id, &competency, now)
        .map_err(super::frameworks::invalid)?;
    append_and_wait(&state, topics::LEARNER_EVENTS, envelope, &state.decisions).await?;
    let answer = learner_decisions(&state, tenant, id, now, Some(Kind::Objective))?;
    Ok(HttpResponse::Created().json(answer))
}

/// The body of `POST …/interventions/{id}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionBody {
    pub action: Action,
    /// What was done, for the record.
    #[serde(default)]
    pub note: String,
    /// Who acted; the credential's key when absent.
    pub by: Option<String>,
}

/// `POST /v1/learners/{learner}/interventions/{id}`.
#[utoipa::path(
    post,
    path = "/v1/learners/{learner}/interventions/{intervention}",
    operation_id = "actOnIntervention",
    tag = "decisions",
    params(
        ("learner" = LearnerRef, Path, description = LEARNER, example = learner_example),
        ("intervention" = String, Path, description = "The intervention's id (the decision's `id`)"),
    ),
    request_body = ActionBody,
    responses(
        (status = 200, description = "Recorded; the intervention as it now reads", body = Decision),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 421, response = NotOwner),
        (status = 503, response = Unavailable),
    ),
    security(("basic" = []))
)]
pub async fn act(
    state: web::Data<AppState>,
    caller: Authenticated,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::StatementsWrite)?;
    let (segment, intervention) = path.into_inner();
    let id = learner(&segment)?;
    state.check_learner_owner(id)?;
    let action: ActionBody = json_body(&body, "intervention action body")?;
    let tenant = caller.tenant();
    let now = now_micros();
    let evaluated = Evaluator::new(&state, tenant, now, None)?.evaluate(id)?;
    let found = (evaluated.decisions.iter())
        .find(|d| d.kind == Kind::Intervention && d.id == intervention)
        .ok_or_else(|| {
            ApiError::NotFound(format!(
                "learner {id} has no intervention {intervention} now"
            ))
        })?;
    let competency = found.competency.clone();
    let state_now = competency
        .as_ref()
        .and_then(|c| evaluated.learner.competencies.get(c));
    let request = InterventionRequest {
        intervention: intervention.clone(),
        action: action.action,
        note: action.note,
        by: action.by.unwrap_or_else(|| caller.key().to_owned()),
        competency,
        opportunities: state_now.map_or(0, |c| c.opportunities),
        p_mastered: state_now.map_or(0.0, |c| c.p_last),
    };
    let envelope = decisions::intervention_acted(tenant, id, &request, now)
        .map_err(super::frameworks::invalid)?;
    append_and_wait(&state, topics::LEARNER_EVENTS, envelope, &state.decisions).await?;
    let after = learner_decisions(&state, tenant, id, now_micros(), Some(Kind::Intervention))?;
    let decision = (after.decisions.into_iter())
        .find(|d| d.id == intervention)
        .ok_or_else(|| ApiError::Internal("the intervention is gone after the action".into()))?;
    Ok(HttpResponse::Ok().json(decision))
}
