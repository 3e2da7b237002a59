//! `/v1/alignments?activityId=IRI`: which competencies an activity is aligned to.
//!
//! `PUT` (body `{"competencies": ["identifier or CFItem uri", …]}`) and `DELETE` need
//! the scope `all`; each is an `AlignmentSet` event (an empty list removes) and returns
//! once the frameworks projection folded it. `GET` needs `statements/read`. A
//! reference that names an imported CFItem (identifier or URI) reads back as its
//! identifier; any other is kept as given, a competency named directly.

use super::frameworks::{append, invalid, now_micros};
use super::params::Params;
use crate::auth::{Authenticated, Scope};
use crate::error::ApiError;
use crate::openapi::{BadRequest, Forbidden, NotFound, PayloadTooLarge, Unauthorized, Unavailable};
use crate::state::AppState;
use actix_web::{web, HttpRequest, HttpResponse};
use learnlog_projector_replicated::frameworks;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

/// An activity's alignment.
#[derive(Debug, Serialize, ToSchema)]
pub struct Alignment {
    #[serde(rename = "activityId")]
    activity_id: String,
    /// The competency ids the references resolve to, in order.
    competencies: Vec<String>,
    /// The references as set.
    references: Vec<String>,
}

/// The body of `PUT`, for the OpenAPI document: [`competencies`] reads it (a unit test
/// keeps the two in step).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code, reason = "only its schema is used")]
pub struct AlignmentBody {
    /// At least one competency: a CFItem identifier or URI, or any competency id.
    #[schema(min_items = 1, example = json!(["7d0b6a52-8a7e-4c1e-a5b4-2b3c4d5e6f70"]))]
    competencies: Vec<String>,
}

/// The query of every alignment request.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ActivityQuery {
    /// The activity's IRI.
    #[param(
        rename = "activityId",
        example = "https://lms.example.org/activities/fractions"
    )]
    activity_id: String,
}

impl ActivityQuery {
    /// Reads the query: `activityId`, required, an IRI, and nothing else.
    fn read(request: &HttpRequest) -> Result<Self, ApiError> {
        let params = Params::parse(request.query_string(), &["activityId"])?;
        let id = params
            .get("activityId")
            .ok_or_else(|| ApiError::BadRequest("query parameter activityId: required".into()))?;
        frameworks::check_activity_id(id).map_err(|_| {
            ApiError::BadRequest("query parameter activityId: must be an IRI".into())
        })?;
        Ok(Self {
            activity_id: id.to_owned(),
        })
    }
}

/// The competencies of a PUT body: `{"competencies": [string, …]}` and nothing else.
/// The projector checks the strings themselves.
fn competencies(body: &[u8]) -> Result<Vec<String>, ApiError> {
    let body: Value = serde_json::from_slice(body)
        .map_err(|error| ApiError::BadRequest(format!("body: is not JSON: {error}")))?;
    let object = body.as_object().ok_or_else(|| {
        ApiError::BadRequest("body: must be an object {\"competencies\": [...]}".into())
    })?;
    if let Some(unknown) = object.keys().find(|key| *key != "competencies") {
        return Err(ApiError::BadRequest(format!(
            "{unknown}: not allowed (the body has only competencies)"
        )));
    }
    let list = match object.get("competencies") {
        Some(Value::Array(list)) => list,
        Some(_) => {
            return Err(ApiError::BadRequest(
                "competencies: must be an array of strings".into(),
            ))
        }
        None => return Err(ApiError::BadRequest("competencies: required".into())),
    };
    list.iter()
        .enumerate()
        .map(|(index, value)| {
            value.as_str().map(str::to_owned).ok_or_else(|| {
                ApiError::BadRequest(format!("competencies[{index}]: must be a string"))
            })
        })
        .collect()
}

/// The alignment of an activity as answered: resolved competency ids and the
/// references as set; 404 when none is set.
fn alignment(state: &AppState, tenant: &str, activity: &str) -> Result<Alignment, ApiError> {
    let reader = &state.framework_reader;
    let references = reader
        .alignment_references(tenant, activity)?
        .ok_or_else(|| {
            ApiError::NotFound(format!("activityId: no alignment is set for {activity}"))
        })?;
    Ok(Alignment {
        activity_id: activity.to_owned(),
        competencies: reader.alignment(tenant, activity)?,
        references,
    })
}

/// `PUT`: sets the activity's alignment; 200 with it as `GET` answers it.
#[utoipa::path(
    put,
    path = "/v1/alignments",
    operation_id = "putAlignment",
    tag = "alignments",
    params(ActivityQuery),
    request_body = AlignmentBody,
    responses(
        (status = 200, description = "Set; the alignment as `GET` answers it", body = Alignment),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 413, response = PayloadTooLarge),
        (status = 503, response = Unavailable),
    ),
    security(("basic" = []))
)]
pub async fn put(
    state: web::Data<AppState>,
    request: HttpRequest,
    caller: Authenticated,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::All)?;
    if body.len() > state.limits.max_body_bytes {
        return Err(ApiError::PayloadTooLarge {
            limit: state.limits.max_body_bytes,
        });
    }
    let activity = ActivityQuery::read(&request)?.activity_id;
    let competencies = competencies(&body)?;
    let envelope =
        frameworks::alignment_set(caller.tenant(), &activity, &competencies, now_micros())
            .map_err(invalid)?;
    append(&state, envelope).await?;
    Ok(HttpResponse::Ok().json(alignment(&state, caller.tenant(), &activity)?))
}

/// `GET`: the activity's alignment, or 404.
#[utoipa::path(
    get,
    path = "/v1/alignments",
    operation_id = "getAlignment",
    tag = "alignments",
    params(ActivityQuery),
    responses(
        (status = 200, description = "The activity's alignment", body = Alignment),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    ),
    security(("basic" = []))
)]
pub async fn get(
    state: web::Data<AppState>,
    request: HttpRequest,
    caller: Authenticated,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::StatementsRead)?;
    let activity = ActivityQuery::read(&request)?.activity_id;
    Ok(HttpResponse::Ok().json(alignment(&state, caller.tenant(), &activity)?))
}

/// `DELETE`: removes the activity's alignment; 204 whether or not one was set.
#[utoipa::path(
    delete,
    path = "/v1/alignments",
    operation_id = "deleteAlignment",
    tag = "alignments",
    params(ActivityQuery),
    responses(
        (status = 204, description = "Removed, or none was set"),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 503, response = Unavailable),
    ),
    security(("basic" = []))
)]
pub async fn delete(
    state: web::Data<AppState>,
    request: HttpRequest,
    caller: Authenticated,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::All)?;
    let activity = ActivityQuery::read(&request)?.activity_id;
    let set = state
        .framework_reader
        .alignment_references(caller.tenant(), &activity)?;
    if set.is_some() {
        let envelope = frameworks::alignment_removed(caller.tenant(), &activity, now_micros())
            .map_err(invalid)?;
        append(&state, envelope).await?;
    }
    Ok(HttpResponse::NoContent().finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(body: &str) -> String {
        competencies(body.as_bytes()).unwrap_err().to_string()
    }

    #[test]
    fn the_documented_body_and_query_are_the_ones_read() {
        let schema =
            serde_json::to_value(<AlignmentBody as utoipa::PartialSchema>::schema()).unwrap();
        assert_eq!(schema["required"], serde_json::json!(["competencies"]));
        assert_eq!(schema["additionalProperties"], false);
        let params = <ActivityQuery as IntoParams>::into_params(|| None);
        let names: Vec<&str> = params.iter().map(|param| param.name.as_str()).collect();
        assert_eq!(names, ["activityId"]);
        let request = actix_web::test::TestRequest::with_uri("/v1/alignments?activityId=x");
        let refused = ActivityQuery::read(&request.to_http_request()).err();
        assert_eq!(
            refused.map(|error| error.to_string()),
            Some("query parameter activityId: must be an IRI".to_owned())
        );
    }

    #[test]
    fn a_body_of_strings_is_read_in_order() {
        let read = competencies(br#"{"competencies": ["b", "https://example.org/a"]}"#);
        assert_eq!(read.unwrap(), ["b", "https://example.org/a"]);
    }

    #[test]
    fn bodies_that_are_not_a_list_of_strings_are_refused_naming_the_field() {
        assert_eq!(
            message(r#"{"competencies": ["a", 3]}"#),
            "competencies[1]: must be a string"
        );
        assert_eq!(
            message(r#"{"competencies": "a"}"#),
            "competencies: must be an array of strings"
        );
        assert_eq!(message("{}"), "competencies: required");
        assert!(message(r#"{"competencies": [], "x": 1}"#).starts_with("x: not allowed"));
        assert!(message("[]").starts_with("body: must be an object"));
        assert!(message("{").starts_with("body: is not JSON"));
    }
}
