//! Class rosters:
//!
//! - `PUT /v1/classes/{id}` `{"name"?, "members": [agent | learner id…], "teachers"?: […],
//!   "frameworks"?: […]}` (scope `all`): creates (201) or replaces (200) the roster, a
//!   `ClassSet` event on the `classes` topic;
//! - `GET /v1/classes`, `GET /v1/classes/{id}`, `DELETE /v1/classes/{id}` (204, 404).
//!
//! Reads need `statements/read` (or `all/read`, `all`). The views of a class (its
//! mastery grid, decisions and groups) are in `class_views`.

use super::appending::append_and_wait;
use super::decisions::rfc3339;
use crate::auth::{Authenticated, Scope};
use crate::error::ApiError;
use crate::openapi::{BadRequest, Forbidden, NotFound, Unauthorized, Unavailable};
use crate::state::AppState;
use actix_web::http::header;
use actix_web::{web, HttpResponse};
use learnlog_projector::learners::parse_learner;
use learnlog_projector_replicated::classes::{self, Class, ClassOutcome, ClassRequest};
use learnlog_proto::topics;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

/// The body of `PUT /v1/classes/{id}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClassBody {
    #[serde(default)]
    pub name: String,
    /// xAPI agents (objects with one identifier), or learner ids.
    #[schema(value_type = Vec<Object>)]
    pub members: Vec<Value>,
    #[serde(default)]
    pub teachers: Vec<String>,
    #[serde(default)]
    pub frameworks: Vec<String>,
}

/// One member as a class view shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct MemberView {
    pub learner: String,
    /// The agent as given, when the member was given as an agent.
    #[schema(value_type = Option<Object>)]
    pub agent: Option<Value>,
    /// The agent's name, or its identifier, for people.
    pub display: String,
}

/// A class as the API answers it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ClassView {
    pub id: String,
    pub name: String,
    pub members: Vec<MemberView>,
    pub teachers: Vec<String>,
    pub frameworks: Vec<String>,
    pub updated_at: String,
}

pub(super) fn member_view(member: &classes::Member) -> MemberView {
    let agent = serde_json::from_str::<Value>(&member.given)
        .ok()
        .filter(Value::is_object);
    let display = agent
        .as_ref()
        .and_then(|a| {
            (a.get("name").and_then(Value::as_str))
                .or_else(|| a.get("mbox").and_then(Value::as_str))
                .or_else(|| a.pointer("/account/name").and_then(Value::as_str))
                .map(str::to_owned)
        })
        .unwrap_or_else(|| member.learner.to_string());
    MemberView {
        learner: member.learner.to_string(),
        agent,
        display,
    }
}

fn class_view(class: &Class) -> ClassView {
    ClassView {
        id: class.id.clone(),
        name: class.name.clone(),
        members: class.members.iter().map(member_view).collect(),
        teachers: class.teachers.clone(),
        frameworks: class.frameworks.clone(),
        updated_at: rfc3339(class.updated_micros),
    }
}

fn not_found(id: &str) -> ApiError {
    ApiError::NotFound(format!("class {id} does not exist"))
}

pub(super) fn stored(state: &AppState, tenant: &str, id: &str) -> Result<Class, ApiError> {
    state
        .class_reader
        .class(tenant, id)?
        .ok_or_else(|| not_found(id))
}

fn member_of(index: usize, value: &Value) -> Result<(uuid::Uuid, String), ApiError> {
    let given = match value {
        Value::String(id) => id.clone(),
        Value::Object(_) => value.to_string(),
        _ => {
            return Err(ApiError::BadRequest(format!(
                "members[{index}]: must be an agent object or a learner id"
            )))
        }
    };
    let learner = parse_learner(&given)
        .map_err(|e| ApiError::BadRequest(format!("members[{index}]: {e}")))?;
    Ok((learner, given))
}

/// `PUT /v1/classes/{id}`.
#[utoipa::path(
    put,
    path = "/v1/classes/{id}",
    operation_id = "putClass",
    tag = "classes",
    params(("id" = String, Path, description = "The class id")),
    request_body = ClassBody,
    responses(
        (status = 201, description = "Created", body = ClassView,
            headers(("Location" = String, description = "The class's URL"))),
        (status = 200, description = "Replaced", body = ClassView),
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
    let body: ClassBody = serde_json::from_slice(&body)
        .map_err(|e| ApiError::BadRequest(format!("class body: {e}")))?;
    let members = (body.members.iter().enumerate())
        .map(|(i, m)| member_of(i, m))
        .collect::<Result<Vec<_>, _>>()?;
    let request = ClassRequest {
        id: id.to_string(),
        name: body.name,
        members,
        teachers: body.teachers,
        frameworks: body.frameworks,
    };
    let tenant = caller.tenant();
    let envelope = classes::class_set(tenant, &request, chrono::Utc::now().timestamp_micros())
        .map_err(super::frameworks::invalid)?;
    let position = append_and_wait(&state, topics::CLASSES, envelope, &state.classes).await?;
    let outcome = outcome(&state, position)?;
    let view = class_view(&stored(&state, tenant, &id)?);
    Ok(match outcome {
        ClassOutcome::Created => HttpResponse::Created()
            .insert_header((header::LOCATION, format!("/v1/classes/{id}")))
            .json(view),
        _ => HttpResponse::Ok().json(view),
    })
}

fn outcome(state: &AppState, position: learnlog_log::Position) -> Result<ClassOutcome, ApiError> {
    state
        .classes
        .outcome(topics::CLASSES, position.partition, position.offset)?
        .as_deref()
        .and_then(ClassOutcome::decode)
        .ok_or_else(|| ApiError::Internal("the classes projection recorded no outcome".into()))
}

/// `GET /v1/classes`.
#[utoipa::path(
    get,
    path = "/v1/classes",
    operation_id = "listClasses",
    tag = "classes",
    responses(
        (status = 200, description = "The tenant's classes, by id", body = Vec<ClassView>),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
    ),
    security(("basic" = []))
)]
pub async fn list(
    state: web::Data<AppState>,
    caller: Authenticated,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::StatementsRead)?;
    let classes: Vec<ClassView> = (state.class_reader.list(caller.tenant())?.iter())
        .map(class_view)
        .collect();
    Ok(HttpResponse::Ok().json(classes))
}

/// `GET /v1/classes/{id}`.
#[utoipa::path(
    get,
    path = "/v1/classes/{id}",
    operation_id = "getClass",
    tag = "classes",
    params(("id" = String, Path, description = "The class id")),
    responses(
        (status = 200, description = "The class", body = ClassView),
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
    caller.require(Scope::StatementsRead)?;
    Ok(HttpResponse::Ok().json(class_view(&stored(&state, caller.tenant(), &id)?)))
}

/// `DELETE /v1/classes/{id}`.
#[utoipa::path(
    delete,
    path = "/v1/classes/{id}",
    operation_id = "deleteClass",
    tag = "classes",
    params(("id" = String, Path, description = "The class id")),
    responses(
        (status = 204, description = "Removed"),
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
    let envelope = classes::class_removed(tenant, &id, chrono::Utc::now().timestamp_micros())
        .map_err(super::frameworks::invalid)?;
    let position = append_and_wait(&state, topics::CLASSES, envelope, &state.classes).await?;
    match outcome(&state, position)? {
        ClassOutcome::Removed => Ok(HttpResponse::NoContent().finish()),
        _ => Err(not_found(&id)),
    }
}
