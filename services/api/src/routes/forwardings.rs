//! Statement forwardings (scope `all`):
//!
//! - `PUT /v1/forwardings/{id}` `{"target": {"kind": "xapi"|"webhook", "url",
//!   "auth"?: {"type": "basic", "username", "password"} | {"type": "bearer", "token"}},
//!   "filter"?: {"verb"?, "activity"?, "agent"?}, "from"?: "now"|"start"}`: creates (201)
//!   or replaces (200) a forwarding, a `ForwardingSet` event on the `forwardings` topic.
//!   `from` (default `now`) says where a new forwarding starts: with the statements
//!   stored from now on, or with every statement the tenant ever stored. A replaced
//!   forwarding keeps its start and its progress.
//! - `GET /v1/forwardings`, `GET /v1/forwardings/{id}` (with `delivery`, how it is doing,
//!   when this process delivers it), `DELETE /v1/forwardings/{id}` (204, 404).
//!
//! Answers never show the target's password or token. Delivery is `crate::forwarding`.

use super::appending::append_and_wait;
use super::decisions::rfc3339;
use crate::auth::{Authenticated, Scope};
use crate::error::ApiError;
use crate::forwarding::DeliveryStatus;
use crate::openapi::{BadRequest, Forbidden, NotFound, Unauthorized, Unavailable};
use crate::state::AppState;
use crate::streams::StreamPosition;
use actix_web::http::header;
use actix_web::{web, HttpResponse};
use learnlog_projector::learners::parse_learner;
use learnlog_projector_replicated::forwardings::{
    self, Forwarding, ForwardingFilter, ForwardingOutcome, Target, TargetAuth,
};
use learnlog_proto::topics;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

/// The body of `PUT /v1/forwardings/{id}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ForwardingBody {
    /// `{"kind": "xapi"|"webhook", "url", "auth"?}`.
    #[schema(value_type = Object)]
    pub target: Target,
    /// `{"verb"?, "activity"?, "agent"?}`: only statements with this verb id, object
    /// activity id, or actor (an agent, or a learner id).
    #[serde(default)]
    pub filter: FilterBody,
    /// `now` (the default) or `start`; only read when the forwarding is created.
    pub from: Option<String>,
}

/// The filter of a forwarding as given.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FilterBody {
    pub verb: Option<String>,
    pub activity: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub agent: Option<Value>,
}

/// A forwarding as the API answers it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ForwardingView {
    pub id: String,
    /// The target, its secret left out.
    #[schema(value_type = Object)]
    pub target: Value,
    #[schema(value_type = Object)]
    pub filter: Value,
    /// The stream position delivery started from.
    pub start: String,
    pub created_at: String,
    pub updated_at: String,
    /// How delivery is going, when this process delivers the forwarding.
    pub delivery: Option<DeliveryStatus>,
}

fn redacted(target: &Target) -> Value {
    let auth = match &target.auth {
        Some(TargetAuth::Basic { username, .. }) => {
            serde_json::json!({"type": "basic", "username": username})
        }
        Some(TargetAuth::Bearer { .. }) => serde_json::json!({"type": "bearer"}),
        None => Value::Null,
    };
    serde_json::json!({"kind": target.kind, "url": target.url, "auth": auth})
}

fn view(state: &AppState, tenant: &str, forwarding: &Forwarding) -> ForwardingView {
    let filter = &forwarding.filter;
    ForwardingView {
        id: forwarding.id.clone(),
        target: redacted(&forwarding.target),
        filter: serde_json::json!({"verb": filter.verb, "activity": filter.activity,
            "agent": filter.agent}),
        start: StreamPosition(forwarding.start.clone()).to_string(),
        created_at: rfc3339(forwarding.created_micros),
        updated_at: rfc3339(forwarding.updated_micros),
        delivery: state.forwarding_status.get(tenant, &forwarding.id),
    }
}

fn not_found(id: &str) -> ApiError {
    ApiError::NotFound(format!("forwarding {id} does not exist"))
}

fn stored(state: &AppState, tenant: &str, id: &str) -> Result<Forwarding, ApiError> {
    (state.forwarding_reader.get(tenant, id)?).ok_or_else(|| not_found(id))
}

/// The filter as stored: the agent resolved to its learner id.
fn filter_of(body: FilterBody) -> Result<ForwardingFilter, ApiError> {
    let learner = match &body.agent {
        None => None,
        Some(Value::String(id)) => Some(parse_learner(id)),
        Some(agent @ Value::Object(_)) => Some(parse_learner(&agent.to_string())),
        Some(_) => {
            return Err(ApiError::BadRequest(
                "filter.agent: must be an agent object or a learner id".into(),
            ))
        }
    };
    let learner = learner
        .transpose()
        .map_err(|e| ApiError::BadRequest(format!("filter.agent: {e}")))?;
    Ok(ForwardingFilter {
        verb: body.verb,
        activity: body.activity,
        agent: body.agent,
        learner,
    })
}

/// Where a new forwarding starts: zeros, or the statements topic's end now.
async fn start_of(state: &AppState, from: Option<&str>) -> Result<Vec<u64>, ApiError> {
    let partitions = state.log.partition_count(topics::STATEMENTS)?;
    match from.unwrap_or("now") {
        "start" => Ok(vec![0; partitions as usize]),
        "now" => Ok(state.log.ask_high_watermarks(topics::STATEMENTS).await?),
        other => Err(ApiError::BadRequest(format!(
            "from: {other:?} must be \"now\" or \"start\""
        ))),
    }
}

/// `PUT /v1/forwardings/{id}`.
#[utoipa::path(
    put,
    path = "/v1/forwardings/{id}",
    operation_id = "putForwarding",
    tag = "forwardings",
    params(("id" = String, Path, description = "The forwarding id")),
    request_body = ForwardingBody,
    responses(
        (status = 201, description = "Created", body = ForwardingView,
            headers(("Location" = String, description = "The forwarding's URL"))),
        (status = 200, description = "Replaced", body = ForwardingView),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 503, response = Unavailable),
    ),
    security(("basic" = []))
)]
pub async fn put(
    state: web::Data<AppState>,
    caller: Authenticated,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::All)?;
    let body: ForwardingBody = serde_json::from_slice(&body)
        .map_err(|e| ApiError::BadRequest(format!("forwarding body: {e}")))?;
    let tenant = caller.tenant();
    let now = chrono::Utc::now().timestamp_micros();
    let previous = state.forwarding_reader.get(tenant, &id)?;
    let (start, created_micros) = match &previous {
        Some(previous) => (previous.start.clone(), previous.created_micros),
        None => (start_of(&state, body.from.as_deref()).await?, now),
    };
    let forwarding = Forwarding {
        id: id.to_string(),
        target: body.target,
        filter: filter_of(body.filter)?,
        start,
        created_micros,
        updated_micros: now,
    };
    let envelope = forwardings::forwarding_set(tenant, &forwarding, now)
        .map_err(super::frameworks::invalid)?;
    let position =
        append_and_wait(&state, topics::FORWARDINGS, envelope, &state.forwardings).await?;
    let outcome = outcome(&state, position)?;
    let answer = view(&state, tenant, &stored(&state, tenant, &id)?);
    Ok(match outcome {
        ForwardingOutcome::Created => HttpResponse::Created()
            .insert_header((header::LOCATION, format!("/v1/forwardings/{id}")))
            .json(answer),
        _ => HttpResponse::Ok().json(answer),
    })
}

fn outcome(
    state: &AppState,
    position: learnlog_log::Position,
) -> Result<ForwardingOutcome, ApiError> {
    (state.forwardings)
        .outcome(topics::FORWARDINGS, position.partition, position.offset)?
        .as_deref()
        .and_then(ForwardingOutcome::decode)
        .ok_or_else(|| ApiError::Internal("the forwardings projection recorded no outcome".into()))
}

/// `GET /v1/forwardings`.
#[utoipa::path(
    get,
    path = "/v1/forwardings",
    operation_id = "listForwardings",
    tag = "forwardings",
    responses(
        (status = 200, description = "The tenant's forwardings, by id", body = Vec<ForwardingView>),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
    ),
    security(("basic" = []))
)]
pub async fn list(
    state: web::Data<AppState>,
    caller: Authenticated,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::All)?;
    let tenant = caller.tenant();
    let views: Vec<ForwardingView> = (state.forwarding_reader.list(tenant)?.iter())
        .map(|forwarding| view(&state, tenant, forwarding))
        .collect();
    Ok(HttpResponse::Ok().json(views))
}

/// `GET /v1/forwardings/{id}`.
#[utoipa::path(
    get,
    path = "/v1/forwardings/{id}",
    operation_id = "getForwarding",
    tag = "forwardings",
    params(("id" = String, Path, description = "The forwarding id")),
    responses(
        (status = 200, description = "The forwarding", body = ForwardingView),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    ),
    security(("basic" = []))
)]
pub async fn get(
    state: web::Data<AppState>,
    caller: Authenticated,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::All)?;
    let tenant = caller.tenant();
    Ok(HttpResponse::Ok().json(view(&state, tenant, &stored(&state, tenant, &id)?)))
}

/// `DELETE /v1/forwardings/{id}`.
#[utoipa::path(
    delete,
    path = "/v1/forwardings/{id}",
    operation_id = "deleteForwarding",
    tag = "forwardings",
    params(("id" = String, Path, description = "The forwarding id")),
    responses(
        (status = 204, description = "Removed: delivery stops"),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 503, response = Unavailable),
    ),
    security(("basic" = []))
)]
pub async fn delete(
    state: web::Data<AppState>,
    caller: Authenticated,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::All)?;
    let tenant = caller.tenant();
    stored(&state, tenant, &id)?;
    let now = chrono::Utc::now().timestamp_micros();
    let envelope =
        forwardings::forwarding_removed(tenant, &id, now).map_err(super::frameworks::invalid)?;
    let position =
        append_and_wait(&state, topics::FORWARDINGS, envelope, &state.forwardings).await?;
    match outcome(&state, position)? {
        ForwardingOutcome::Removed => Ok(HttpResponse::NoContent().finish()),
        _ => Err(not_found(&id)),
    }
}
