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
use crate::openapi::{
    BadRequest, Conflict, Forbidden, NotFound, PayloadTooLarge, Unauthorized, Unavailable,
};
use crate::state::AppState;
use actix_web::http::header;
use actix_web::{web, HttpResponse};
use learnlog_log::{Position, MAX_RECORD_BYTES};
use learnlog_projector_replicated::frameworks::{
    self, CaseDocument, Competency, CompetencyRef, Framework, RelatedLink, TreeNode,
};
use learnlog_proto::v1::framework_outcome::Kind;
use learnlog_proto::v1::{Envelope, FrameworkOutcome};
use learnlog_proto::{topics, Message};
use serde::Serialize;
use utoipa::ToSchema;

/// A framework as listed, and as `PUT` answers it.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FrameworkSummary {
    id: String,
    /// The package's CFDocument.
    document: CaseDocument,
    /// Its CFItems.
    competency_count: usize,
    /// When it was imported, RFC 3339.
    imported_at: Option<String>,
}

/// A framework with its competency tree.
#[derive(Debug, Serialize, ToSchema)]
pub struct FrameworkDetail {
    #[serde(flatten)]
    summary: FrameworkSummary,
    /// The top-level competencies, each with its children.
    competencies: Vec<TreeNode>,
}

/// One competency of a framework with the competencies it names, each as a reference
/// (what is known of it when it was imported).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CompetencyDetail {
    /// The CFItem identifier: the competency id everywhere in learnlog.
    identifier: String,
    uri: String,
    framework_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    human_coding_scheme: Option<String>,
    full_statement: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    abbreviated_statement: Option<String>,
    #[serde(rename = "CFItemType", skip_serializing_if = "Option::is_none")]
    item_type: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    education_level: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    language: Option<String>,
    parents: Vec<CompetencyRef>,
    /// By `sequenceNumber`, then association order.
    children: Vec<CompetencyRef>,
    /// What must be mastered first; may name items of other frameworks.
    prerequisites: Vec<CompetencyRef>,
    /// What this is a prerequisite of.
    dependents: Vec<CompetencyRef>,
    /// Every other association with this item at one end.
    related: Vec<RelatedLink>,
}

/// An example CFPackage for the OpenAPI document.
fn example_package() -> serde_json::Value {
    let document = "https://case.example.org/ims/case/v1p0/CFDocuments";
    let item = "https://case.example.org/ims/case/v1p0/CFItems";
    serde_json::json!({
        "CFDocument": {
            "identifier": "0c5f7f4e-2f43-4d55-9a43-5d1f4c2b8a11",
            "uri": format!("{document}/0c5f7f4e-2f43-4d55-9a43-5d1f4c2b8a11"),
            "creator": "learnlog",
            "title": "Fractions (example)",
            "lastChangeDateTime": "2024-05-14T09:30:00+00:00"
        },
        "CFItems": [{
            "identifier": "7d0b6a52-8a7e-4c1e-a5b4-2b3c4d5e6f70",
            "uri": format!("{item}/7d0b6a52-8a7e-4c1e-a5b4-2b3c4d5e6f70"),
            "fullStatement": "Understand a fraction as a number on the number line.",
            "humanCodingScheme": "3.NF.A.2",
            "lastChangeDateTime": "2024-05-14T09:30:00+00:00"
        }],
        "CFAssociations": []
    })
}

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

fn summary(framework: &Framework) -> FrameworkSummary {
    FrameworkSummary {
        id: framework.id.clone(),
        document: framework.document.clone(),
        competency_count: framework.items.len(),
        imported_at: chrono::DateTime::from_timestamp_micros(framework.imported_micros)
            .map(learnlog_xapi::format_timestamp),
    }
}

fn not_found(id: &str) -> ApiError {
    ApiError::NotFound(format!("framework {id} does not exist"))
}

/// `PUT /{id}`: imports (or replaces) a framework from a CFPackage body.
#[utoipa::path(
    put,
    path = "/v1/frameworks/{id}",
    operation_id = "putFramework",
    tag = "frameworks",
    params(("id" = String, Path, description = "The id to store the framework under",
        example = "fractions")),
    request_body(content = Object, description = "An IMS CASE 1.0 CFPackage: `CFDocument`, \
        `CFItems`, `CFAssociations` (other members are ignored)", example = example_package),
    responses(
        (status = 201, description = "Imported", body = FrameworkSummary,
            headers(("Location" = String, description = "The framework's URL"))),
        (status = 200, description = "Replaced the framework stored under the id", body = FrameworkSummary),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 409, response = Conflict),
        (status = 413, response = PayloadTooLarge),
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
    let stored = || -> Result<FrameworkSummary, ApiError> {
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
#[utoipa::path(
    get,
    path = "/v1/frameworks",
    operation_id = "listFrameworks",
    tag = "frameworks",
    responses(
        (status = 200, description = "The tenant's frameworks, by id", body = Vec<FrameworkSummary>),
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
    let frameworks = state.framework_reader.list(caller.tenant())?;
    Ok(HttpResponse::Ok().json(frameworks.iter().map(summary).collect::<Vec<_>>()))
}

/// `GET /{id}`: one framework with its competency tree.
#[utoipa::path(
    get,
    path = "/v1/frameworks/{id}",
    operation_id = "getFramework",
    tag = "frameworks",
    params(("id" = String, Path, description = "The framework's id", example = "fractions")),
    responses(
        (status = 200, description = "The framework with its competency tree", body = FrameworkDetail),
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
    let reader = &state.framework_reader;
    let framework = reader
        .framework(caller.tenant(), &id)?
        .ok_or_else(|| not_found(&id))?;
    Ok(HttpResponse::Ok().json(FrameworkDetail {
        summary: summary(&framework),
        competencies: reader.tree(caller.tenant(), &framework)?,
    }))
}

/// `GET /{id}/competencies/{cid}`: one competency of a framework (by CFItem identifier
/// or URI), its parents, children, prerequisites and dependents with their statements.
#[utoipa::path(
    get,
    path = "/v1/frameworks/{id}/competencies/{cid}",
    operation_id = "getFrameworkCompetency",
    tag = "frameworks",
    params(
        ("id" = String, Path, description = "The framework's id", example = "fractions"),
        ("cid" = String, Path, description = "A CFItem of the framework, by identifier or URI",
            example = "7d0b6a52-8a7e-4c1e-a5b4-2b3c4d5e6f70"),
    ),
    responses(
        (status = 200, description = "The competency", body = CompetencyDetail),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    ),
    security(("basic" = []))
)]
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
    let Competency {
        identifier,
        uri,
        framework_id,
        human_coding_scheme,
        full_statement,
        abbreviated_statement,
        item_type,
        education_level,
        language,
        parents,
        children,
        prerequisites,
        dependents,
        related,
    } = competency;
    Ok(HttpResponse::Ok().json(CompetencyDetail {
        identifier,
        uri,
        framework_id,
        human_coding_scheme,
        full_statement,
        abbreviated_statement,
        item_type,
        education_level,
        language,
        parents: reader.refs(tenant, &parents)?,
        children: reader.refs(tenant, &children)?,
        prerequisites: reader.refs(tenant, &prerequisites)?,
        dependents: reader.refs(tenant, &dependents)?,
        related,
    }))
}
