//! `/xapi/activities/state`, `/xapi/activities/profile` and `/xapi/agents/profile`
//! (xAPI Communication §2.2 Document Resources): GET/HEAD one document or the ids of
//! a set, PUT, POST (merge),
//! DELETE. Handlers are generic over the resource; writes go through
//! [`super::document_writes`], reads come from the documents projection.

use super::document_params::{self, Access, Resource};
use super::document_writes::{self, Write};
use crate::auth::Authenticated;
use crate::error::ApiError;
use crate::middleware::Negotiated;
use crate::state::AppState;
use actix_web::http::header::{self, HttpDate};
use actix_web::{web, HttpRequest, HttpResponse};
use std::time::{Duration, SystemTime};

/// A document resource, as a type so that one generic handler serves all three.
pub trait DocumentResource {
    const RESOURCE: Resource;
}

/// `/xapi/activities/state`.
pub struct State;
/// `/xapi/activities/profile`.
pub struct ActivityProfile;
/// `/xapi/agents/profile`.
pub struct AgentProfile;

impl DocumentResource for State {
    const RESOURCE: Resource = Resource::State;
}
impl DocumentResource for ActivityProfile {
    const RESOURCE: Resource = Resource::ActivityProfile;
}
impl DocumentResource for AgentProfile {
    const RESOURCE: Resource = Resource::AgentProfile;
}

fn http_date(micros: i64) -> HttpDate {
    let at = SystemTime::UNIX_EPOCH + Duration::from_micros(micros.max(0) as u64);
    HttpDate::from(at)
}

/// GET and HEAD: the document with its stored Content-Type, ETag and Last-Modified;
/// without an id, the JSON array of the set's ids (updated after `since`).
pub async fn get<R: DocumentResource>(
    state: web::Data<AppState>,
    request: HttpRequest,
    caller: Authenticated,
) -> Result<HttpResponse, ApiError> {
    let resource = R::RESOURCE;
    let addressed = document_params::address(resource, Access::Read, request.query_string())?;
    caller.require_read(resource.scope())?;
    let tenant = caller.tenant();
    document_writes::caught_up(&state, tenant, &addressed.set).await?;
    let reader = &state.document_reader;
    let Some(id) = addressed.document_id else {
        let found = reader.list(tenant, &addressed.set, addressed.since_micros)?;
        let mut response = HttpResponse::Ok();
        if let Some(newest) = found.iter().map(|d| d.updated_micros).max() {
            response.insert_header((header::LAST_MODIFIED, http_date(newest)));
        }
        let ids: Vec<&str> = found.iter().map(|d| d.id.as_str()).collect();
        return Ok(response.json(ids));
    };
    let document = reader
        .get(tenant, &addressed.set, &id)?
        .ok_or_else(|| ApiError::NotFound(format!("no document with id {id:?}")))?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, document.content_type))
        .insert_header((header::ETAG, format!("\"{}\"", document.etag)))
        .insert_header((header::LAST_MODIFIED, http_date(document.updated_micros)))
        .body(document.content))
}

/// PUT: replaces the document (preconditions per xAPI Communication §3.1 Concurrency) → 204.
pub async fn put<R: DocumentResource>(
    state: web::Data<AppState>,
    request: HttpRequest,
    caller: Authenticated,
    version: Negotiated,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    store::<R>(state, request, caller, version, body, false).await
}

/// POST: merges a JSON object into the stored one, or stores a new document → 204.
pub async fn post<R: DocumentResource>(
    state: web::Data<AppState>,
    request: HttpRequest,
    caller: Authenticated,
    version: Negotiated,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    store::<R>(state, request, caller, version, body, true).await
}

async fn store<R: DocumentResource>(
    state: web::Data<AppState>,
    request: HttpRequest,
    caller: Authenticated,
    version: Negotiated,
    body: web::Bytes,
    merge: bool,
) -> Result<HttpResponse, ApiError> {
    let resource = R::RESOURCE;
    let addressed = document_params::address(resource, Access::Write, request.query_string())?;
    caller.require(resource.scope())?;
    let write = Write {
        resource,
        version: version.0,
        addressed,
        request: &request,
        body: &body,
        merge,
    };
    document_writes::write(&state, caller.tenant(), write).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// DELETE: one document, or (state without `stateId`) every document of the set → 204.
pub async fn delete<R: DocumentResource>(
    state: web::Data<AppState>,
    request: HttpRequest,
    caller: Authenticated,
) -> Result<HttpResponse, ApiError> {
    let resource = R::RESOURCE;
    let addressed = document_params::address(resource, Access::Delete, request.query_string())?;
    caller.require(resource.scope())?;
    document_writes::delete(&state, caller.tenant(), addressed, &request).await?;
    Ok(HttpResponse::NoContent().finish())
}
