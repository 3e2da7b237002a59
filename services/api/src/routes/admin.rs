//! `/v1/admin/credentials`: issuing, listing and revoking the caller's tenant's
//! credentials. Needs the scope `all` (and `operator` to grant `operator`); no xAPI
//! version header. Keys are unique across tenants: HTTP Basic names only the key.
//! Each change is a credential event on the log; the request returns once the
//! credentials projection has folded it, so a new credential works (and a revoked one
//! fails) as soon as the response arrives.

use super::appending::append_and_wait;
use crate::auth::{Authenticated, Scope};
use crate::error::ApiError;
use crate::openapi::{BadRequest, Conflict, Forbidden, NotFound, Unauthorized, Unavailable};
use crate::state::AppState;
use actix_web::{web, HttpResponse};
use learnlog_projector_replicated::credentials::{self, Credential, SecretOrigin};
use learnlog_proto::topics;
use learnlog_proto::v1::Envelope;
use serde::{Deserialize, Serialize};
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::RefOr;
use utoipa::{PartialSchema, ToSchema};

/// A scope name, for the OpenAPI document: one of [`credentials::SCOPES`].
pub enum ScopeName {}

impl PartialSchema for ScopeName {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some(credentials::SCOPES))
            .into()
    }
}

impl ToSchema for ScopeName {}

/// The body of `POST /v1/admin/credentials`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCredential {
    /// At least one scope.
    #[schema(value_type = Vec<ScopeName>, min_items = 1, example = json!(["statements/read"]))]
    scopes: Vec<String>,
    /// What the credential is for.
    #[serde(default)]
    label: String,
    /// The key to issue it under: 1 to 128 printable ASCII characters without `:`; a
    /// random one when absent.
    #[schema(pattern = "^[!-9;-~]{1,128}$")]
    key: Option<String>,
}

/// A credential as `POST` answers it: with its secret, shown only this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct IssuedCredential {
    key: String,
    secret: String,
    scopes: Vec<String>,
    label: String,
}

/// A credential as `GET` lists it: without its secret.
#[derive(Debug, Serialize, ToSchema)]
pub struct ListedCredential {
    key: String,
    scopes: Vec<String>,
    label: String,
}

/// 400 for what the credential and tenant builders refuse; other errors as usual.
pub(super) fn invalid(error: learnlog_projector::Error) -> ApiError {
    match error {
        learnlog_projector::Error::Invalid(message) => ApiError::BadRequest(message),
        other => other.into(),
    }
}

fn listed(credential: &Credential) -> ListedCredential {
    ListedCredential {
        key: credential.key.clone(),
        scopes: credential.scopes.clone(),
        label: credential.label.clone(),
    }
}

/// `POST`: issues a credential; 201 with its secret, shown only this once.
#[utoipa::path(
    post,
    path = "/v1/admin/credentials",
    operation_id = "issueCredential",
    tag = "admin",
    request_body = NewCredential,
    responses(
        (status = 201, description = "Issued; the secret is shown only this once", body = IssuedCredential),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 409, response = Conflict),
        (status = 503, response = Unavailable),
    ),
    security(("basic" = []))
)]
pub async fn create(
    state: web::Data<AppState>,
    caller: Authenticated,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::All)?;
    let request: NewCredential = serde_json::from_slice(&body)
        .map_err(|error| ApiError::BadRequest(format!("credential request body: {error}")))?;
    if request
        .scopes
        .iter()
        .any(|scope| scope == credentials::OPERATOR_SCOPE)
    {
        caller.require(Scope::Operator)?;
    }
    let key = request.key.unwrap_or_else(credentials::new_key);
    let secret = credentials::new_secret();
    let envelope = credentials::issued(
        caller.tenant(),
        &key,
        &secret,
        SecretOrigin::Generated,
        &request.scopes,
        &request.label,
        now_micros(),
    )
    .map_err(invalid)?;
    if state.credential_reader.get(&key)?.is_some() {
        return Err(ApiError::Conflict(format!("key: credential {key} exists")));
    }
    append(&state, envelope).await?;
    Ok(HttpResponse::Created().json(IssuedCredential {
        key,
        secret,
        scopes: request.scopes,
        label: request.label,
    }))
}

/// `GET`: the tenant's credentials, without secrets.
#[utoipa::path(
    get,
    path = "/v1/admin/credentials",
    operation_id = "listCredentials",
    tag = "admin",
    responses(
        (status = 200, description = "The tenant's credentials", body = Vec<ListedCredential>),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
    ),
    security(("basic" = []))
)]
pub async fn list(
    state: web::Data<AppState>,
    caller: Authenticated,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::All)?;
    let credentials: Vec<ListedCredential> = state
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
#[utoipa::path(
    delete,
    path = "/v1/admin/credentials/{key}",
    operation_id = "revokeCredential",
    tag = "admin",
    params(("key" = String, Path, description = "The credential's key")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 503, response = Unavailable),
    ),
    security(("basic" = []))
)]
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

/// Appends a credential or tenant event and waits until the credentials projection
/// folded it.
pub(super) async fn append(state: &AppState, envelope: Envelope) -> Result<(), ApiError> {
    append_and_wait(state, topics::CREDENTIALS, envelope, &state.credentials).await?;
    Ok(())
}

pub(super) fn now_micros() -> i64 {
    chrono::Utc::now().timestamp_micros()
}
