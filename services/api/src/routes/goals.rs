//! `/v1/learners/{learner}/goals`: goals a learner sets. Each change is a `GoalSet` or
//! `GoalRemoved` event on `learner-events`, keyed by the learner id; the request
//! returns once the profile projection has folded it, with the outcome the fold
//! recorded. Writes need `statements/write` (or `all`), reads `statements/read` (or
//! `all/read`, `all`).

use super::appending::append_and_wait;
use super::learners::{learner, learner_example, LearnerRef, LEARNER};
use crate::auth::{Authenticated, Scope};
use crate::error::ApiError;
use crate::openapi::{
    BadRequest, Conflict, Forbidden, NotFound, NotOwner, Unauthorized, Unavailable,
};
use crate::state::AppState;
use actix_web::http::header;
use actix_web::{web, HttpResponse};
use learnlog_projector_partitioned::profiles::{self, Goal, GoalOutcome, GoalRequest, MAX_GOALS};
use learnlog_proto::topics;
use learnlog_proto::v1::Envelope;
use serde::Deserialize;
use serde_json::{Map, Value};
use utoipa::openapi::schema::{
    AnyOfBuilder, KnownFormat, ObjectBuilder, Schema, SchemaFormat, Type,
};
use utoipa::openapi::RefOr;
use utoipa::{PartialSchema, ToSchema};
use uuid::Uuid;

const FIELDS: [&str; 4] = ["description", "competency", "target", "id"];

/// The body of `POST …/goals`, for the OpenAPI document: [`goal_request`] reads it
/// field by field (a unit test keeps the two in step).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code, reason = "only its schema is used")]
pub struct GoalBody {
    /// What the learner wants to achieve.
    #[schema(min_length = 1)]
    description: String,
    /// A competency id the goal is about.
    competency: Option<String>,
    /// When: an RFC 3339 date (`YYYY-MM-DD`, midnight UTC) or date-time.
    #[schema(value_type = Option<GoalTarget>, example = "2030-05-01")]
    target: Option<String>,
    /// The goal to replace; a new goal when absent.
    id: Option<Uuid>,
}

/// A goal's `target`, for the OpenAPI document: what [`target_micros`] reads.
pub enum GoalTarget {}

impl PartialSchema for GoalTarget {
    fn schema() -> RefOr<Schema> {
        let format = |format| {
            ObjectBuilder::new()
                .schema_type(Type::String)
                .format(Some(SchemaFormat::KnownFormat(format)))
        };
        AnyOfBuilder::new()
            .item(format(KnownFormat::Date))
            .item(format(KnownFormat::DateTime))
            .into()
    }
}

impl ToSchema for GoalTarget {}

/// What the OpenAPI document says of a `{goal_id}` path segment.
const GOAL_ID: &str = "The goal's id (UUID)";

/// A string field of the body, `None` when absent or null.
fn text<'a>(fields: &'a Map<String, Value>, name: &str) -> Result<Option<&'a str>, ApiError> {
    match fields.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text)),
        Some(_) => Err(ApiError::BadRequest(format!("{name}: must be a string"))),
    }
}

/// A target date: an RFC 3339 date (`YYYY-MM-DD`, midnight UTC) or date-time.
fn target_micros(text: &str) -> Result<i64, ApiError> {
    let date = (text.len() == 10)
        .then(|| chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").ok())
        .flatten()
        .map(|date| date.and_time(chrono::NaiveTime::MIN).and_utc());
    date.or_else(|| learnlog_xapi::parse_timestamp(text).ok())
        .map(|at| at.timestamp_micros())
        .ok_or_else(|| {
            ApiError::BadRequest(format!(
                "target: {text:?} is neither an RFC 3339 date (YYYY-MM-DD) nor date-time"
            ))
        })
}

/// The body of `POST …/goals`: `{"description", "competency"?, "target"?, "id"?}`.
fn goal_request(body: &[u8]) -> Result<GoalRequest, ApiError> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|error| ApiError::BadRequest(format!("goal request body: not JSON: {error}")))?;
    let Value::Object(fields) = value else {
        return Err(ApiError::BadRequest(
            "goal request body: must be a JSON object".into(),
        ));
    };
    if let Some(unknown) = fields.keys().find(|name| !FIELDS.contains(&name.as_str())) {
        return Err(ApiError::BadRequest(format!(
            "{unknown}: not a goal field (known: {})",
            FIELDS.join(", ")
        )));
    }
    let description = text(&fields, "description")?
        .ok_or_else(|| ApiError::BadRequest("description: required".into()))?;
    let id = text(&fields, "id")?
        .map(|id| {
            learnlog_xapi::parse_uuid(id)
                .ok_or_else(|| ApiError::BadRequest(format!("id: {id:?} is not a UUID")))
        })
        .transpose()?;
    Ok(GoalRequest {
        id,
        description: description.to_owned(),
        competency: text(&fields, "competency")?.map(str::to_owned),
        target_micros: text(&fields, "target")?.map(target_micros).transpose()?,
    })
}

fn goal_id(text: &str) -> Result<Uuid, ApiError> {
    learnlog_xapi::parse_uuid(text)
        .ok_or_else(|| ApiError::BadRequest(format!("goal_id: {text:?} is not a UUID")))
}

fn invalid(error: learnlog_projector::Error) -> ApiError {
    match error {
        learnlog_projector::Error::Invalid(message) => ApiError::BadRequest(message),
        other => other.into(),
    }
}

/// Appends a goal event, waits until the profile projection folded it, and returns the
/// outcome it recorded.
async fn append(state: &AppState, envelope: Envelope) -> Result<GoalOutcome, ApiError> {
    let position =
        append_and_wait(state, topics::LEARNER_EVENTS, envelope, &state.profiles).await?;
    state
        .profiles
        .outcome(topics::LEARNER_EVENTS, position.partition, position.offset)?
        .as_deref()
        .and_then(GoalOutcome::decode)
        .ok_or_else(|| ApiError::Internal("the profile projection rejected the goal event".into()))
}

/// `POST`: sets a goal (replaces the goal named by `id`). 201 with the goal when new,
/// 200 when it replaced one, 409 when the learner already has the most goals allowed.
#[utoipa::path(
    post,
    path = "/v1/learners/{learner}/goals",
    operation_id = "setGoal",
    tag = "learners",
    params(("learner" = LearnerRef, Path, description = LEARNER, example = learner_example)),
    request_body = GoalBody,
    responses(
        (status = 201, description = "Set, new", body = Goal,
            headers(("Location" = String, description = "The goal's URL"))),
        (status = 200, description = "Set, replacing the goal named by `id`", body = Goal,
            headers(("Location" = String, description = "The goal's URL"))),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 409, response = Conflict),
        (status = 421, response = NotOwner),
        (status = 503, response = Unavailable),
    ),
    security(("basic" = []))
)]
pub async fn set(
    state: web::Data<AppState>,
    caller: Authenticated,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::StatementsWrite)?;
    let learner = learner(&path)?;
    state.check_learner_owner(learner)?;
    let request = goal_request(&body)?;
    let now = chrono::Utc::now().timestamp_micros();
    let (envelope, goal_id) =
        profiles::goal_set(caller.tenant(), learner, &request, now).map_err(invalid)?;
    let mut response = match append(&state, envelope).await? {
        GoalOutcome::Created => HttpResponse::Created(),
        GoalOutcome::Replaced => HttpResponse::Ok(),
        GoalOutcome::TooMany => {
            return Err(ApiError::Conflict(format!(
                "goals: learner {learner} already has {MAX_GOALS} goals; remove one first"
            )))
        }
        other => {
            return Err(ApiError::Internal(format!(
                "unexpected outcome {other:?} for a goal set"
            )))
        }
    };
    let goal = state
        .profile_reader
        .goal(caller.tenant(), learner, goal_id)?
        .ok_or_else(|| {
            ApiError::Internal(format!("goal {goal_id} is not readable after it was set"))
        })?;
    Ok(response
        .insert_header((
            header::LOCATION,
            format!("/v1/learners/{learner}/goals/{goal_id}"),
        ))
        .json(goal))
}

/// `GET`: the learner's goals, in the order they were first set (`[]` when none).
#[utoipa::path(
    get,
    path = "/v1/learners/{learner}/goals",
    operation_id = "listGoals",
    tag = "learners",
    params(("learner" = LearnerRef, Path, description = LEARNER, example = learner_example)),
    responses(
        (status = 200, description = "The learner's goals, in the order first set", body = Vec<Goal>),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 421, response = NotOwner),
    ),
    security(("basic" = []))
)]
pub async fn list(
    state: web::Data<AppState>,
    caller: Authenticated,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::StatementsRead)?;
    let learner = learner(&path)?;
    state.check_learner_owner(learner)?;
    let goals = state.profile_reader.goals(caller.tenant(), learner)?;
    Ok(HttpResponse::Ok().json(goals))
}

/// `GET /{goal_id}`: one goal; 404 when the learner has none by that id.
#[utoipa::path(
    get,
    path = "/v1/learners/{learner}/goals/{goal_id}",
    operation_id = "getGoal",
    tag = "learners",
    params(
        ("learner" = LearnerRef, Path, description = LEARNER, example = learner_example),
        ("goal_id" = Uuid, Path, description = GOAL_ID),
    ),
    responses(
        (status = 200, description = "The goal", body = Goal),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 421, response = NotOwner),
    ),
    security(("basic" = []))
)]
pub async fn get(
    state: web::Data<AppState>,
    caller: Authenticated,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::StatementsRead)?;
    let (learner, goal_id) = (learner(&path.0)?, goal_id(&path.1)?);
    state.check_learner_owner(learner)?;
    let goal = state
        .profile_reader
        .goal(caller.tenant(), learner, goal_id)?
        .ok_or_else(|| ApiError::NotFound(format!("learner {learner} has no goal {goal_id}")))?;
    Ok(HttpResponse::Ok().json(goal))
}

/// `DELETE /{goal_id}`: removes a goal; 204, or 404 when the learner has none by that id.
#[utoipa::path(
    delete,
    path = "/v1/learners/{learner}/goals/{goal_id}",
    operation_id = "removeGoal",
    tag = "learners",
    params(
        ("learner" = LearnerRef, Path, description = LEARNER, example = learner_example),
        ("goal_id" = Uuid, Path, description = GOAL_ID),
    ),
    responses(
        (status = 204, description = "Removed"),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 421, response = NotOwner),
        (status = 503, response = Unavailable),
    ),
    security(("basic" = []))
)]
pub async fn remove(
    state: web::Data<AppState>,
    caller: Authenticated,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::StatementsWrite)?;
    let (learner, goal_id) = (learner(&path.0)?, goal_id(&path.1)?);
    state.check_learner_owner(learner)?;
    let not_found = || ApiError::NotFound(format!("learner {learner} has no goal {goal_id}"));
    if state
        .profile_reader
        .goal(caller.tenant(), learner, goal_id)?
        .is_none()
    {
        return Err(not_found());
    }
    let now = chrono::Utc::now().timestamp_micros();
    let envelope = profiles::goal_removed(caller.tenant(), learner, goal_id, now);
    match append(&state, envelope).await? {
        GoalOutcome::Removed => Ok(HttpResponse::NoContent().finish()),
        GoalOutcome::NotFound => Err(not_found()),
        other => Err(ApiError::Internal(format!(
            "unexpected outcome {other:?} for a goal removal"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(body: &str) -> String {
        goal_request(body.as_bytes()).unwrap_err().to_string()
    }

    #[test]
    fn goal_bodies_are_checked_field_by_field() {
        assert!(message("[]").contains("JSON object"));
        assert!(message(r#"{"competency":"x"}"#).starts_with("description: required"));
        assert!(message(r#"{"description":5}"#).starts_with("description: must be a string"));
        assert!(message(r#"{"description":"d","when":"x"}"#).starts_with("when: not a goal field"));
        assert!(message(r#"{"description":"d","id":"nope"}"#).starts_with("id:"));
        assert!(message(r#"{"description":"d","target":"May"}"#).starts_with("target:"));
        let request =
            goal_request(br#"{"description":"d","target":"2025-05-01","competency":null}"#)
                .unwrap();
        assert_eq!(request.target_micros, Some(1_746_057_600_000_000));
        assert_eq!(request.competency, None);
    }

    #[test]
    fn the_documented_body_has_exactly_the_fields_read() {
        let schema = serde_json::to_value(<GoalBody as utoipa::PartialSchema>::schema()).unwrap();
        let documented: Vec<&str> = schema["properties"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(documented, FIELDS);
        assert_eq!(schema["required"], serde_json::json!(["description"]));
    }

    #[test]
    fn targets_are_dates_or_date_times() {
        assert_eq!(target_micros("1970-01-02").unwrap(), 86_400_000_000);
        assert_eq!(
            target_micros("1970-01-02T01:00:00+01:00").unwrap(),
            86_400_000_000
        );
        assert!(target_micros("1970-13-02").is_err());
    }
}
