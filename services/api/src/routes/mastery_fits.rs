//! Mastery-model fits:
//!
//! - `POST /v1/admin/mastery/fits`: fit parameters from the log (or publish given
//!   pyBKT parameters) for the caller's tenant, with `learnlog_fitting`.
//!
//! Fitting needs `all`.

use crate::auth::{Authenticated, Scope};
use crate::error::ApiError;
use crate::openapi::{BadRequest, Conflict, Forbidden, Unauthorized, Unavailable};
use crate::state::AppState;
use actix_web::{web, HttpResponse};
use learnlog_fitting::FitReport;
use learnlog_mastery::harness::ModelKind;
use learnlog_mastery::ParameterSet;
use serde::Deserialize;
use serde_json::Value;
use utoipa::ToSchema;

/// The body of `POST /v1/admin/mastery/fits` (optional: no body, or `null`, fits the
/// default model).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FitRequest {
    /// `irt-forget` (default) or `bkt`.
    #[schema(example = "bkt")]
    model: Option<String>,
    /// Parameters to publish as they are (pyBKT's JSON), instead of fitting; only with
    /// `bkt`.
    #[schema(value_type = Option<Object>)]
    parameters: Option<Value>,
}

/// `POST /v1/admin/mastery/fits`: 201 with what was published.
#[utoipa::path(
    post,
    path = "/v1/admin/mastery/fits",
    operation_id = "fitMasteryModel",
    tag = "admin",
    request_body(content = Option<FitRequest>, description = "What to fit; none (or `null`) fits `irt-forget`"),
    responses(
        (status = 201, description = "Fitted (or given) and published", body = FitReport),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 409, response = Conflict),
        (status = 503, response = Unavailable),
    ),
    security(("basic" = []))
)]
pub async fn fit(
    state: web::Data<AppState>,
    caller: Authenticated,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::All)?;
    // No body, or `null`, fits the default model.
    let request: FitRequest = if body.is_empty() {
        FitRequest::default()
    } else {
        serde_json::from_slice::<Option<FitRequest>>(&body)
            .map_err(|e| ApiError::BadRequest(format!("fit request body: {e}")))?
            .unwrap_or_default()
    };
    let kind: ModelKind = request
        .model
        .as_deref()
        .unwrap_or("irt-forget")
        .parse()
        .map_err(|e: learnlog_mastery::Error| ApiError::BadRequest(format!("model: {e}")))?;
    let report = match request.parameters {
        Some(parameters) => {
            if kind != ModelKind::Bkt {
                return Err(ApiError::BadRequest(
                    "parameters: given parameters are pyBKT's, so model must be bkt".into(),
                ));
            }
            let set = ParameterSet::from_pybkt_json(&parameters.to_string())
                .map_err(|e| ApiError::BadRequest(format!("parameters: {e}")))?;
            learnlog_fitting::publish_given(state.fit_target(), caller.tenant(), &set).await?
        }
        None => {
            learnlog_fitting::fit_and_publish(state.fit_target(), caller.tenant(), kind).await?
        }
    };
    Ok(HttpResponse::Created().json(report))
}
