//! `/v1/admin/tenants`: creating, listing, disabling and enabling tenants. Needs the
//! scope `operator` (the `--admin-credential` holds it). Creating a tenant also issues
//! its first admin credential (scope `all` within the tenant), shown once; that
//! credential manages the tenant's own credentials under `/v1/admin/credentials`.
//! Each change is a `TenantSet` event on the credentials topic, folded before the
//! answer, so a disabled tenant's credentials are refused as soon as it arrives.

use super::admin::{append, invalid, now_micros};
use super::appending::append_all_and_wait;
use crate::auth::{Authenticated, Scope};
use crate::error::ApiError;
use crate::openapi::{BadRequest, Conflict, Forbidden, NotFound, Unauthorized, Unavailable};
use crate::state::AppState;
use actix_web::{web, HttpResponse};
use learnlog_projector_replicated::credentials::{self, SecretOrigin, Tenant};
use learnlog_proto::topics;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The body of `POST /v1/admin/tenants`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTenant {
    /// 1 to 63 lowercase letters, digits and `-`, starting with a letter or digit.
    #[schema(pattern = "^[a-z0-9][a-z0-9-]{0,62}$", example = "springfield")]
    id: String,
    /// What people call it; the id when absent.
    #[serde(default)]
    #[schema(max_length = 256)]
    name: Option<String>,
}

/// A tenant as the operator sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct TenantView {
    id: String,
    name: String,
    /// A disabled tenant's credentials are refused (401); its data stays.
    disabled: bool,
}

/// The tenant's first admin credential, shown only in the answer that created it.
#[derive(Debug, Serialize, ToSchema)]
pub struct TenantAdmin {
    key: String,
    secret: String,
    scopes: Vec<String>,
}

/// `POST /v1/admin/tenants` answers the tenant and its first admin credential.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedTenant {
    #[serde(flatten)]
    tenant: TenantView,
    admin: TenantAdmin,
}

fn view(tenant: Tenant) -> TenantView {
    TenantView {
        id: tenant.id,
        name: tenant.name,
        disabled: tenant.disabled,
    }
}

/// `POST`: creates a tenant and its first admin credential; 201, 409 when the id is
/// taken.
#[utoipa::path(
    post,
    path = "/v1/admin/tenants",
    operation_id = "createTenant",
    tag = "tenants",
    request_body = NewTenant,
    responses(
        (status = 201, description = "Created; the admin secret is shown only this once", body = CreatedTenant),
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
    caller.require(Scope::Operator)?;
    let request: NewTenant = serde_json::from_slice(&body)
        .map_err(|error| ApiError::BadRequest(format!("tenant request body: {error}")))?;
    let name = request.name.unwrap_or_else(|| request.id.clone());
    let envelope =
        credentials::tenant_set(&request.id, &name, false, now_micros()).map_err(invalid)?;
    let _one_at_a_time = state.tenant_creation.lock().await;
    if state.credential_reader.tenant(&request.id)?.is_some() {
        return Err(ApiError::Conflict(format!(
            "id: tenant {} exists",
            request.id
        )));
    }
    let (key, secret) = (credentials::new_key(), credentials::new_secret());
    let scopes = vec!["all".to_owned()];
    let origin = SecretOrigin::Generated;
    let issued = credentials::issued(
        &request.id,
        &key,
        &secret,
        origin,
        &scopes,
        "admin",
        now_micros(),
    )
    .map_err(invalid)?;
    // one append: a tenant is never left without its admin credential
    let both = vec![envelope, issued];
    append_all_and_wait(&state, topics::CREDENTIALS, both, &state.credentials).await?;
    Ok(HttpResponse::Created().json(CreatedTenant {
        tenant: TenantView {
            id: request.id,
            name,
            disabled: false,
        },
        admin: TenantAdmin {
            key,
            secret,
            scopes,
        },
    }))
}

/// `GET`: every tenant, `default` among them.
#[utoipa::path(
    get,
    path = "/v1/admin/tenants",
    operation_id = "listTenants",
    tag = "tenants",
    responses(
        (status = 200, description = "Every tenant, by id", body = Vec<TenantView>),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
    ),
    security(("basic" = []))
)]
pub async fn list(
    state: web::Data<AppState>,
    caller: Authenticated,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::Operator)?;
    let tenants: Vec<TenantView> = state
        .credential_reader
        .tenants()?
        .into_iter()
        .map(view)
        .collect();
    Ok(HttpResponse::Ok().json(tenants))
}

/// `GET /{tenant}`: one tenant.
#[utoipa::path(
    get,
    path = "/v1/admin/tenants/{tenant}",
    operation_id = "getTenant",
    tag = "tenants",
    params(("tenant" = String, Path, description = "The tenant's id")),
    responses(
        (status = 200, description = "The tenant", body = TenantView),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    ),
    security(("basic" = []))
)]
pub async fn get(
    state: web::Data<AppState>,
    caller: Authenticated,
    tenant: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::Operator)?;
    Ok(HttpResponse::Ok().json(view(known(&state, &tenant)?)))
}

/// `POST /{tenant}/disable`: refuses the tenant's credentials from now on (its data
/// stays); 409 for the caller's own tenant, which would lock the operator out.
#[utoipa::path(
    post,
    path = "/v1/admin/tenants/{tenant}/disable",
    operation_id = "disableTenant",
    tag = "tenants",
    params(("tenant" = String, Path, description = "The tenant's id")),
    responses(
        (status = 200, description = "Disabled", body = TenantView),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 503, response = Unavailable),
    ),
    security(("basic" = []))
)]
pub async fn disable(
    state: web::Data<AppState>,
    caller: Authenticated,
    tenant: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::Operator)?;
    if tenant.as_str() == caller.tenant() {
        return Err(ApiError::Conflict(format!(
            "tenant {tenant} is the operator's own: disabling it would refuse the operator too"
        )));
    }
    set_disabled(&state, &tenant, true).await
}

/// `POST /{tenant}/enable`: accepts the tenant's credentials again.
#[utoipa::path(
    post,
    path = "/v1/admin/tenants/{tenant}/enable",
    operation_id = "enableTenant",
    tag = "tenants",
    params(("tenant" = String, Path, description = "The tenant's id")),
    responses(
        (status = 200, description = "Enabled", body = TenantView),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 503, response = Unavailable),
    ),
    security(("basic" = []))
)]
pub async fn enable(
    state: web::Data<AppState>,
    caller: Authenticated,
    tenant: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::Operator)?;
    set_disabled(&state, &tenant, false).await
}

async fn set_disabled(
    state: &AppState,
    id: &str,
    disabled: bool,
) -> Result<HttpResponse, ApiError> {
    let mut tenant = known(state, id)?;
    if tenant.disabled != disabled {
        let envelope =
            credentials::tenant_set(id, &tenant.name, disabled, now_micros()).map_err(invalid)?;
        append(state, envelope).await?;
        tenant.disabled = disabled;
    }
    Ok(HttpResponse::Ok().json(view(tenant)))
}

fn known(state: &AppState, id: &str) -> Result<Tenant, ApiError> {
    state
        .credential_reader
        .tenant(id)?
        .ok_or_else(|| ApiError::NotFound(format!("no tenant {id}")))
}
