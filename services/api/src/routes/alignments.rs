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
use crate::state::AppState;
use actix_web::{web, HttpRequest, HttpResponse};
use learnlog_projector::frameworks;
use serde_json::{json, Value};

/// The `activityId` query parameter: required, an IRI.
fn activity_id(request: &HttpRequest) -> Result<String, ApiError> {
    let params = Params::parse(request.query_string(), &["activityId"])?;
    let id = params
        .get("activityId")
        .ok_or_else(|| ApiError::BadRequest("query parameter activityId: required".into()))?;
    frameworks::check_activity_id(id)
        .map_err(|_| ApiError::BadRequest("query parameter activityId: must be an IRI".into()))?;
    Ok(id.to_owned())
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
fn alignment(state: &AppState, tenant: &str, activity: &str) -> Result<Value, ApiError> {
    let reader = &state.framework_reader;
    let references = reader
        .alignment_references(tenant, activity)?
        .ok_or_else(|| {
            ApiError::NotFound(format!("activityId: no alignment is set for {activity}"))
        })?;
    Ok(json!({
        "activityId": activity,
        "competencies": reader.alignment(tenant, activity)?,
        "references": references,
    }))
}

/// `PUT`: sets the activity's alignment; 200 with it as `GET` answers it.
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
    let activity = activity_id(&request)?;
    let competencies = competencies(&body)?;
    let envelope =
        frameworks::alignment_set(caller.tenant(), &activity, &competencies, now_micros())
            .map_err(invalid)?;
    append(&state, envelope).await?;
    Ok(HttpResponse::Ok().json(alignment(&state, caller.tenant(), &activity)?))
}

/// `GET`: the activity's alignment, or 404.
pub async fn get(
    state: web::Data<AppState>,
    request: HttpRequest,
    caller: Authenticated,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::StatementsRead)?;
    let activity = activity_id(&request)?;
    Ok(HttpResponse::Ok().json(alignment(&state, caller.tenant(), &activity)?))
}

/// `DELETE`: removes the activity's alignment; 204 whether or not one was set.
pub async fn delete(
    state: web::Data<AppState>,
    request: HttpRequest,
    caller: Authenticated,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::All)?;
    let activity = activity_id(&request)?;
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
