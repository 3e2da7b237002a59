//! `GET /v1/learners/{learner}/profile`: a learner's profile, read from the profile
//! projection. `{learner}` is a learner id (UUID) or the learner's agent as
//! percent-encoded JSON (the xAPI `agent` parameter). Needs `statements/read` (or
//! `all/read`, `all`); no xAPI version header.

use crate::auth::{Authenticated, Scope};
use crate::decisions::Evaluator;
use crate::error::ApiError;
use crate::openapi::{BadRequest, Forbidden, NotFound, NotOwner, Unauthorized};
use crate::state::AppState;
use actix_web::{web, HttpResponse};
use learnlog_decisions::Detail;
use learnlog_projector::learners::parse_learner;
use learnlog_projector_partitioned::profiles::{Advancement, Profile};
use utoipa::openapi::schema::{
    AnyOfBuilder, KnownFormat, ObjectBuilder, Schema, SchemaFormat, Type,
};
use utoipa::openapi::RefOr;
use utoipa::{PartialSchema, ToSchema};
use uuid::Uuid;

/// What the OpenAPI document says of a `{learner}` path segment.
pub const LEARNER: &str = "A learner id (UUID), or the learner's xAPI agent as \
                           percent-encoded JSON, e.g. `{\"mbox\":\"mailto:ada@example.org\"}`";

/// A `{learner}` path segment, for the OpenAPI document: a learner id or an agent
/// (JSON, an object).
pub enum LearnerRef {}

impl PartialSchema for LearnerRef {
    fn schema() -> RefOr<Schema> {
        let id = ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Uuid)));
        let agent = ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some(r"^\s*\{[\s\S]*\}\s*$"))
            .content_media_type("application/json");
        AnyOfBuilder::new().item(id).item(agent).into()
    }
}

impl ToSchema for LearnerRef {}

/// The example learner of the OpenAPI document: an agent.
pub fn learner_example() -> &'static str {
    r#"{"mbox":"mailto:ada@example.org"}"#
}

/// The learner a URL names; 400 naming the problem.
pub(super) fn learner(segment: &str) -> Result<Uuid, ApiError> {
    parse_learner(segment).map_err(ApiError::BadRequest)
}

/// `GET /v1/learners/{learner}/profile`: 200 with the profile (with the learner's
/// competencies when the mastery projection has evidence on them), 404 when nothing is
/// known about the learner in the caller's tenant.
#[utoipa::path(
    get,
    path = "/v1/learners/{learner}/profile",
    operation_id = "getLearnerProfile",
    tag = "learners",
    params(("learner" = LearnerRef, Path, description = LEARNER, example = learner_example)),
    responses(
        (status = 200, description = "The learner's profile", body = Profile),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 421, response = NotOwner),
    ),
    security(("basic" = []))
)]
pub async fn profile(
    state: web::Data<AppState>,
    caller: Authenticated,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::StatementsRead)?;
    let learner = learner(&path)?;
    state.check_learner_owner(learner)?;
    let profile = learner_profile(&state, caller.tenant(), learner)?
        .ok_or_else(|| ApiError::NotFound(format!("nothing is known about learner {learner}")))?;
    Ok(HttpResponse::Ok().json(profile))
}

/// A learner's profile as the API answers it; `None` when nothing is known.
pub fn learner_profile(
    state: &AppState,
    tenant: &str,
    learner: Uuid,
) -> Result<Option<Profile>, ApiError> {
    let Some(mut profile) = state.profile_reader.profile(tenant, learner)? else {
        return Ok(None);
    };
    let mut competencies = super::mastery::profile_section(state, tenant, learner)?;
    if let Some(section) = competencies.as_mut() {
        section.advancements = advancements(state, tenant, learner)?;
    }
    profile.competencies = competencies;
    Ok(Some(profile))
}

/// What the learner earned: clusters, domains and courses whose every competency is
/// mastered (the `advancement` decisions), with when and why.
fn advancements(
    state: &AppState,
    tenant: &str,
    learner: Uuid,
) -> Result<Vec<Advancement>, ApiError> {
    let now = chrono::Utc::now().timestamp_micros();
    let earned = Evaluator::new(state, tenant, now, None)?.advancements(learner)?;
    Ok((earned.into_iter())
        .filter_map(|d| {
            let Detail::Advancement { earned_at } = d.detail else {
                return None;
            };
            Some(Advancement {
                competency: d.competency.unwrap_or_default(),
                title: d.title,
                earned_at: chrono::DateTime::from_timestamp_micros(earned_at)
                    .map(learnlog_xapi::format_timestamp)
                    .unwrap_or_default(),
                reason: d.reason,
            })
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use learnlog_projector_partitioned::profiles::CompetencySummary;

    #[test]
    fn competencies_go_right_after_the_learner_and_are_omitted_without_them() {
        let mut profile = Profile::default();
        let without = serde_json::to_value(&profile).unwrap();
        assert!(without.get("competencies").is_none());
        profile.competencies = Some(CompetencySummary::default());
        let with = serde_json::to_value(&profile).unwrap();
        let names: Vec<&String> = with.as_object().unwrap().keys().take(3).collect();
        assert_eq!(names, ["learner", "competencies", "statements"]);
        assert_eq!(
            with["competencies"],
            serde_json::json!({"mastered": [], "in_progress": [], "struggling": [], "advancements": []})
        );
    }
}
