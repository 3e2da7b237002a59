//! `GET /v1/learners/{learner}/profile`: a learner's profile, read from the profile
//! projection. `{learner}` is a learner id (UUID) or the learner's agent as
//! percent-encoded JSON (the xAPI `agent` parameter). Needs `statements/read` (or
//! `all/read`, `all`); no xAPI version header.

use crate::auth::{Authenticated, Scope};
use crate::decisions::Evaluator;
use crate::error::ApiError;
use crate::state::AppState;
use actix_web::{web, HttpResponse};
use learnlog_decisions::Detail;
use learnlog_projector::learners::parse_learner;
use learnlog_projector::profiles::Profile;
use serde_json::{Map, Value};
use uuid::Uuid;

/// The learner a URL names; 400 naming the problem.
pub(super) fn learner(segment: &str) -> Result<Uuid, ApiError> {
    parse_learner(segment).map_err(ApiError::BadRequest)
}

/// The profile as the API answers it: the folded profile, with the learner's
/// competencies (`mastered` / `in_progress` / `struggling`) right after `learner` when
/// the mastery projection provides them.
pub fn profile_json(profile: &Profile, competencies: Option<Value>) -> Result<Value, ApiError> {
    let Value::Object(fields) = serde_json::to_value(profile)
        .map_err(|error| ApiError::Internal(format!("profile does not serialize: {error}")))?
    else {
        return Err(ApiError::Internal("profile is not a JSON object".into()));
    };
    let mut json = Map::with_capacity(fields.len() + 1);
    let mut competencies = competencies;
    for (name, value) in fields {
        let is_learner = name == "learner";
        json.insert(name, value);
        if is_learner {
            if let Some(competencies) = competencies.take() {
                json.insert("competencies".into(), competencies);
            }
        }
    }
    Ok(Value::Object(json))
}

/// `GET /v1/learners/{learner}/profile`: 200 with the profile, 404 when nothing is
/// known about the learner in the caller's tenant.
pub async fn profile(
    state: web::Data<AppState>,
    caller: Authenticated,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::StatementsRead)?;
    let learner = learner(&path)?;
    state.check_learner_owner(learner)?;
    let profile = state
        .profile_reader
        .profile(caller.tenant(), learner)?
        .ok_or_else(|| ApiError::NotFound(format!("nothing is known about learner {learner}")))?;
    let mut competencies = super::mastery::profile_section(&state, caller.tenant(), learner)?;
    if let Some(section) = competencies.as_mut() {
        section["advancements"] = advancements(&state, caller.tenant(), learner)?;
    }
    Ok(HttpResponse::Ok().json(profile_json(&profile, competencies)?))
}

/// What the learner earned: clusters, domains and courses whose every competency is
/// mastered (the `advancement` decisions), with when and why.
fn advancements(state: &AppState, tenant: &str, learner: Uuid) -> Result<Value, ApiError> {
    let now = chrono::Utc::now().timestamp_micros();
    let evaluated = Evaluator::new(state, tenant, now, None)?.evaluate(learner)?;
    let earned: Vec<Value> = (evaluated.decisions.iter())
        .filter_map(|d| {
            let Detail::Advancement { earned_at } = d.detail else {
                return None;
            };
            Some(serde_json::json!({
                "competency": d.competency,
                "title": d.title,
                "earned_at": chrono::DateTime::from_timestamp_micros(earned_at)
                    .map(learnlog_xapi::format_timestamp),
                "reason": d.reason,
            }))
        })
        .collect();
    Ok(Value::Array(earned))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn competencies_go_right_after_the_learner_and_are_omitted_without_them() {
        let profile = Profile::default();
        let without = profile_json(&profile, None).unwrap();
        assert!(without.get("competencies").is_none());
        let with = profile_json(&profile, Some(serde_json::json!({"mastered": []}))).unwrap();
        let names: Vec<&String> = with.as_object().unwrap().keys().take(3).collect();
        assert_eq!(names, ["learner", "competencies", "statements"]);
    }
}
