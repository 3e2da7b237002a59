//! `/v1/admin/credentials`: issuing, listing and revoking credentials. Needs the scope
//! `all`; no xAPI version header. Each change is a credential event on the log; the
//! request returns once the credentials projection has folded it, so a new credential
//! works (and a revoked one fails) as soon as the response arrives.

use super::appending::append_and_wait;
use crate::auth::{Authenticated, Scope};
use crate::error::ApiError;
use crate::state::AppState;
use actix_web::{web, HttpResponse};
use learnlog_projector::credentials::{self, Credential};
use learnlog_proto::topics;
use learnlog_proto::v1::Envelope;
use serde::Deserialize;
use serde_json::{json, Value};

/// The body of `POST /v1/admin/credentials`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewCredential {
    scopes: Vec<String>,
    #[serde(default)]
    label: String,
    key: Option<String>,
}

fn invalid(error: learnlog_projector::Error) -> ApiError {
    match error {
        learnlog_projector::Error::Invalid(message) => ApiError::BadRequest(message),
        other => other.into(),
    }
}

fn listed(credential: &Credential) -> Value {
    json!({"key": credential.key, "scopes": credential.scopes, "label": credential.label})
}

/// `POST`: issues a credential; 201 with its secret, shown only this once.
pub async fn create(
    state: web::Data<AppState>,
    caller: Authenticated,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::All)?;
    let request: NewCredential = serde_json::from_slice(&body)
        .map_err(|error| ApiError::BadRequest(format!("credential request body: {error}")))?;
    let key = request.key.unwrap_or_else(credentials::new_key);
    let secret = credentials::new_secret();
    let envelope = credentials::issued(
        caller.tenant(),
        &key,
        &secret,
        &request.scopes,
        &request.label,
        now_micros(),
    )
    .map_err(invalid)?;
    if state.credential_reader.get(&key)?.is_some() {
        return Err(ApiError::Conflict(format!("key: credential {key} exists")));
    }
    append(&state, envelope).await?;
    Ok(HttpResponse::Created().json(json!({
        "key": key,
        "secret": secret,
        "scopes": request.scopes,
        "label": request.label,
    })))
}

/// `GET`: the tenant's credentials, without secrets.
pub async fn list(
    state: web::Data<AppState>,
    caller: Authenticated,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::All)?;
    let credentials: Vec<Value> = state
        .credential_reader
        .list()?
        .iter()
        .filter(|credential| credential.tenant == caller.tenant())
        .map(listed)
        .collect();
    Ok(HttpResponse::Ok().json(credentials))
}

/// `DELETE /{key}`: revokes a credential; 204, or 404 when the tenant has none by
/// that key.
pub async fn revoke(
    state: web::Data<AppState>,
    caller: Authenticated,
    key: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::All)?;
    let known = state.credential_reader.get(&key)?;
    if known.is_none_or(|credential| credential.tenant != caller.tenant()) {
        return Err(ApiError::NotFound(format!("no credential {key}")));
    }
    append(
        &state,
        credentials::revoked(caller.tenant(), &key, now_micros()),
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Appends a credential event and waits until the credentials projection folded it.
async fn append(state: &AppState, envelope: Envelope) -> Result<(), ApiError> {
    append_and_wait(state, topics::CREDENTIALS, envelope, &state.credentials).await?;
    Ok(())
}

fn now_micros() -> i64 {
    chrono::Utc::now().timestamp_micros()
}
