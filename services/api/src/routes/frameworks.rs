//! `/v1/frameworks`: competency frameworks imported from IMS CASE 1.0 packages.
//!
//! `PUT /v1/frameworks/{id}` (scope `all`) checks the CFPackage, appends it as a
//! `FrameworkImported` event keyed by the id and waits, bounded, for the frameworks
//! projection to fold it; it answers the outcome the fold recorded: 201 (new), 200
//! (replaced), 409 (an item belongs to another framework of the tenant) or 400. Reads
//! (`GET /v1/frameworks`, `/{id}` with the competency tree, `/{id}/competencies/{cid}`)
//! need `statements/read`, `all/read` or `all`. No xAPI version header.

use super::appending::append_and_wait;
use crate::auth::{Authenticated, Scope};
use crate::error::ApiError;
use crate::state::AppState;
use actix_web::http::header;
use actix_web::{web, HttpResponse};
use learnlog_log::{Position, MAX_RECORD_BYTES};
use learnlog_projector::frameworks::{self, Framework};
use learnlog_proto::v1::framework_outcome::Kind;
use learnlog_proto::v1::{Envelope, FrameworkOutcome};
use learnlog_proto::{topics, Message};
use serde_json::{json, Value};

/// Room left in a log record for the envelope around a package.
const ENVELOPE_ROOM: usize = 64 << 10;

/// A request-building error of the projector crate as an HTTP error: broken rules are
/// 400s, anything else is internal.
pub(super) fn invalid(error: learnlog_projector::Error) -> ApiError {
    match error {
        learnlog_projector::Error::Invalid(message) => ApiError::BadRequest(message),
        other => other.into(),
    }
}

pub(super) fn now_micros() -> i64 {
    chrono::Utc::now().timestamp_micros()
}

/// Appends a framework or alignment event and waits until the frameworks projection
/// folded it.
pub(super) async fn append(state: &AppState, envelope: Envelope) -> Result<Position, ApiError> {
    append_and_wait(state, topics::FRAMEWORKS, envelope, &state.frameworks).await
}

fn summary(framework: &Framework) -> Value {
    let imported_at = chrono::DateTime::from_timestamp_micros(framework.imported_micros)
        .map(learnlog_xapi::format_timestamp);
    json!({
        "id": framework.id,
        "document": framework.document,
        "competencyCount": framework.items.len(),
        "importedAt": imported_at,
    })
}

fn not_found(id: &str) -> ApiError {
    ApiError::NotFound(format!("framework {id} does not exist"))
}

/// `PUT /{id}`: imports (or replaces) a framework from a CFPackage body.
pub async fn put(
    state: web::Data<AppState>,
    caller: Authenticated,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::All)?;
    let limit = state
        .limits
        .max_body_bytes
        .min(MAX_RECORD_BYTES - ENVELOPE_ROOM);
    if body.len() > limit {
        return Err(ApiError::PayloadTooLarge { limit });
    }
    let envelope =
        frameworks::imported(caller.tenant(), &id, &body, now_micros()).map_err(invalid)?;
    let position = append(&state, envelope).await?;
    let outcome = state
        .frameworks
        .outcome(topics::FRAMEWORKS, position.partition, position.offset)?
        .ok_or_else(|| {
            ApiError::Internal("the frameworks projection recorded no outcome".into())
        })?;
    let outcome = FrameworkOutcome::decode(outcome.as_slice())
        .map_err(|error| ApiError::Internal(format!("framework outcome: {error}")))?;
    let stored = || -> Result<Value, ApiError> {
        let framework = state.framework_reader.framework(caller.tenant(), &id)?;
        Ok(summary(&framework.ok_or_else(|| not_found(&id))?))
    };
    match Kind::try_from(outcome.kind) {
        Ok(Kind::Created) => Ok(HttpResponse::Created()
            .insert_header((header::LOCATION, format!("/v1/frameworks/{id}")))
            .json(stored()?)),
        Ok(Kind::Replaced) => Ok(HttpResponse::Ok().json(stored()?)),
        Ok(Kind::Conflict) => Err(ApiError::Conflict(outcome.message)),
        Ok(Kind::Rejected) => Err(ApiError::BadRequest(outcome.message)),
        Ok(Kind::Unspecified) | Err(_) => Err(ApiError::Internal(format!(
            "unknown framework outcome {}",
            outcome.kind
        ))),
    }
}

/// `GET`: the tenant's frameworks (document, competency count, import time), by id.
pub async fn list(
    state: web::Data<AppState>,
    caller: Authenticated,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::StatementsRead)?;
    let frameworks = state.framework_reader.list(caller.tenant())?;
    Ok(HttpResponse::Ok().json(frameworks.iter().map(summary).collect::<Vec<_>>()))
}

/// `GET /{id}`: one framework with its competency tree.
pub async fn get(
    state: web::Data<AppState>,
    caller: Authenticated,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::StatementsRead)?;
    let reader = &state.framework_reader;
    let framework = reader
        .framework(caller.tenant(), &id)?
        .ok_or_else(|| not_found(&id))?;
    let mut body = summary(&framework);
    body["competencies"] = serde_json::to_value(reader.tree(caller.tenant(), &framework)?)
        .map_err(|error| ApiError::Internal(error.to_string()))?;
    Ok(HttpResponse::Ok().json(body))
}

/// `GET /{id}/competencies/{cid}`: one competency of a framework (by CFItem identifier
/// or URI), its parents, children, prerequisites and dependents with their statements.
pub async fn competency(
    state: web::Data<AppState>,
    caller: Authenticated,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::StatementsRead)?;
    let (id, reference) = path.into_inner();
    let (reader, tenant) = (&state.framework_reader, caller.tenant());
    reader
        .framework(tenant, &id)?
        .ok_or_else(|| not_found(&id))?;
    let competency = match reader.resolve(tenant, &reference)? {
        Some(identifier) => reader.competency(tenant, &identifier)?,
        None => None,
    }
    .filter(|competency| competency.framework_id == id)
    .ok_or_else(|| {
        ApiError::NotFound(format!("competency {reference} is not in framework {id}"))
    })?;
    let internal = |error: serde_json::Error| ApiError::Internal(error.to_string());
    let mut body = serde_json::to_value(&competency).map_err(internal)?;
    for (field, identifiers) in [
        ("parents", &competency.parents),
        ("children", &competency.children),
        ("prerequisites", &competency.prerequisites),
        ("dependents", &competency.dependents),
    ] {
        body[field] = serde_json::to_value(reader.refs(tenant, identifiers)?).map_err(internal)?;
    }
    Ok(HttpResponse::Ok().json(body))
}
