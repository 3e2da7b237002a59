//! `/xapi/statements` writes: POST (one statement or a batch) and PUT (one, by id).

use super::params::Params;
use crate::auth::{Authenticated, Scope};
use crate::error::ApiError;
use crate::ingest;
use crate::middleware::Negotiated;
use crate::state::AppState;
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use learnlog_xapi::AttachmentPart;

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
    let body = parse_body(&state, &request, &body, version)?;
    let limit = state.limits.max_batch_statements;
    if body.statements.len() > limit {
        return Err(ApiError::TooLarge(format!(
            "body: {} statements, more than {limit} in one request (the limit --max-batch)",
            body.statements.len()
        )));
    }
    let ids = ingest::submit(
        &state,
        &caller,
        version.0,
        body.statements,
        &body.parts,
        None,
    )
    .await?;
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
    let body = parse_body(&state, &request, &body, version)?;
    if body.statements.len() != 1 {
        return Err(ApiError::BadRequest(
            "body: PUT takes one statement object, not an array".into(),
        ));
    }
    if let Some(body_id) = body
        .statements
        .first()
        .and_then(learnlog_xapi::statement_id)
    {
        if body_id != id {
            return Err(ApiError::BadRequest(format!(
                "id: {body_id} differs from query parameter statementId {id}"
            )));
        }
    }
    ingest::submit(
        &state,
        &caller,
        version.0,
        body.statements,
        &body.parts,
        Some(id),
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A statement request body, split: the statements and any attachment parts.
struct Body {
    statements: Vec<serde_json::Value>,
    parts: Vec<AttachmentPart>,
}

/// Parses `application/json` or `multipart/mixed` bodies (xAPI Communication §1.5 Content Types), checking
/// the limits on the JSON's shape before parsing it and on each attachment part's size,
/// that attachments and parts match and that signatures hold.
fn parse_body(
    state: &AppState,
    request: &HttpRequest,
    body: &[u8],
    version: Negotiated,
) -> Result<Body, ApiError> {
    if body.len() > state.limits.max_body_bytes {
        return Err(ApiError::PayloadTooLarge {
            limit: state.limits.max_body_bytes,
        });
    }
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("");
    // Not `mime`: it refuses the unquoted boundary of xAPI's multipart example (`=`, `/`, `?`).
    let media_type = content_type.split(';').next().unwrap_or("").trim();
    if media_type.eq_ignore_ascii_case("application/json") {
        learnlog_xapi::check_json_limits(body, state.limits.json())?;
        let statements = learnlog_xapi::parse_statement_batch(body, version.0)?;
        for (index, statement) in statements.iter().enumerate() {
            require_file_urls(statement, index)?;
        }
        return Ok(Body {
            statements,
            parts: Vec::new(),
        });
    }
    if media_type.eq_ignore_ascii_case("multipart/mixed") {
        let multipart = learnlog_xapi::parse_multipart(content_type, body)?;
        check_attachment_sizes(&multipart.parts, state.limits.max_attachment_bytes)?;
        learnlog_xapi::check_json_limits(&multipart.statements_json, state.limits.json())?;
        let statements =
            learnlog_xapi::parse_statement_batch(&multipart.statements_json, version.0)?;
        learnlog_xapi::check_attachments(&statements, &multipart.parts)?;
        for statement in &statements {
            learnlog_xapi::check_signatures(statement, &multipart.parts)?;
        }
        return Ok(Body {
            statements,
            parts: multipart.parts,
        });
    }
    Err(ApiError::UnsupportedMediaType(format!(
        "header Content-Type: must be application/json or multipart/mixed, not {content_type:?}"
    )))
}

/// Refuses a multipart request with an attachment part above `limit` bytes.
fn check_attachment_sizes(parts: &[AttachmentPart], limit: usize) -> Result<(), ApiError> {
    match parts.iter().find(|part| part.data.len() > limit) {
        Some(part) => Err(ApiError::TooLarge(format!(
            "attachment part {}: {} bytes, more than {limit} (the limit --max-attachment-bytes)",
            part.sha2,
            part.data.len()
        ))),
        None => Ok(()),
    }
}

/// With `application/json` there is no room for raw data: every attachment must
/// point to it with `fileUrl`.
fn require_file_urls(statement: &serde_json::Value, index: usize) -> Result<(), ApiError> {
    let attachments = statement["attachments"].as_array().into_iter().flatten();
    for (position, attachment) in attachments.enumerate() {
        if attachment.get("fileUrl").is_none() {
            return Err(ApiError::BadRequest(format!(
                "statements[{index}].attachments[{position}].fileUrl: required unless the \
                 data is sent as a multipart/mixed part"
            )));
        }
    }
    Ok(())
}
