//! `/xapi/statements` writes: POST (one statement or a batch) and PUT (one, by id).

use super::params::Params;
use crate::auth::{Authenticated, Scope};
use crate::error::ApiError;
use crate::ingest;
use crate::middleware::Negotiated;
use crate::state::AppState;
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};

/// `POST /xapi/statements`: one statement or an array; answers the ids in order.
pub async fn post(
    state: web::Data<AppState>,
    request: HttpRequest,
    caller: Authenticated,
    version: Negotiated,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    Params::parse(request.query_string(), &[])?;
    caller.require(Scope::StatementsWrite)?;
    let statements = parse_body(&state, &request, &body, version)?;
    if statements.len() > state.limits.max_batch_statements {
        return Err(ApiError::PayloadTooLarge {
            limit: state.limits.max_batch_statements,
        });
    }
    let ids = ingest::submit(&state, &caller, version.0, statements, None).await?;
    Ok(HttpResponse::Ok().json(ids))
}

/// `PUT /xapi/statements?statementId=…`: one statement under the given id.
pub async fn put(
    state: web::Data<AppState>,
    request: HttpRequest,
    caller: Authenticated,
    version: Negotiated,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let params = Params::parse(request.query_string(), &["statementId"])?;
    let id = params
        .uuid("statementId")?
        .ok_or_else(|| ApiError::BadRequest("query parameter statementId: required".into()))?;
    caller.require(Scope::StatementsWrite)?;
    if body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[') {
        return Err(ApiError::BadRequest(
            "body: PUT takes one statement object, not an array".into(),
        ));
    }
    let statements = parse_body(&state, &request, &body, version)?;
    if let Some(body_id) = statements.first().and_then(learnlog_xapi::statement_id) {
        if body_id != id {
            return Err(ApiError::BadRequest(format!(
                "id: {body_id} differs from query parameter statementId {id}"
            )));
        }
    }
    ingest::submit(&state, &caller, version.0, statements, Some(id)).await?;
    Ok(HttpResponse::NoContent().finish())
}

fn parse_body(
    state: &AppState,
    request: &HttpRequest,
    body: &[u8],
    version: Negotiated,
) -> Result<Vec<serde_json::Value>, ApiError> {
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("");
    let media_type = content_type.split(';').next().unwrap_or("").trim();
    if !media_type.eq_ignore_ascii_case("application/json") {
        return Err(ApiError::UnsupportedMediaType(format!(
            "header Content-Type: must be application/json, not {content_type:?}"
        )));
    }
    if body.len() > state.limits.max_body_bytes {
        return Err(ApiError::PayloadTooLarge {
            limit: state.limits.max_body_bytes,
        });
    }
    Ok(learnlog_xapi::parse_statement_batch(body, version.0)?)
}
