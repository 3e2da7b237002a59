//! `/xapi/statements` reads: GET and HEAD.

use super::params::Params;
use crate::auth::{Authenticated, Scope};
use crate::error::ApiError;
use crate::state::AppState;
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use learnlog_projector::statements::{Lookup, StoredStatement};
use learnlog_proto::topics;
use uuid::Uuid;

/// `GET /xapi/statements?statementId=…` or `?voidedStatementId=…`.
pub async fn get(
    state: web::Data<AppState>,
    request: HttpRequest,
    caller: Authenticated,
) -> Result<HttpResponse, ApiError> {
    let params = Params::parse(
        request.query_string(),
        &["statementId", "voidedStatementId", "format", "attachments"],
    )?;
    caller.require(Scope::StatementsRead)?;
    if let Some(format) = params.get("format") {
        if format != "exact" {
            return Err(ApiError::BadRequest(format!(
                "query parameter format: {format:?} is not served yet; use exact"
            )));
        }
    }
    if let Some(attachments) = params.get("attachments") {
        if attachments != "false" {
            return Err(ApiError::BadRequest(
                "query parameter attachments: only false is served yet".into(),
            ));
        }
    }
    let (id, want_voided) = match (
        params.uuid("statementId")?,
        params.uuid("voidedStatementId")?,
    ) {
        (Some(id), None) => (id, false),
        (None, Some(id)) => (id, true),
        (Some(_), Some(_)) => {
            return Err(ApiError::BadRequest(
                "query parameters statementId and voidedStatementId: give one, not both".into(),
            ))
        }
        (None, None) => {
            return Err(ApiError::BadRequest(
                "query parameter statementId or voidedStatementId: required".into(),
            ))
        }
    };
    caught_up_for(&state, id).await;
    match (
        state.statement_reader.lookup(caller.tenant(), id)?,
        want_voided,
    ) {
        (Lookup::Found(statement), false) | (Lookup::Voided(statement), true) => {
            Ok(statement_response(&statement))
        }
        (Lookup::Voided(_), false) => Err(ApiError::NotFound(format!(
            "statement {id} is voided; ask with voidedStatementId"
        ))),
        (Lookup::Found(_), true) => Err(ApiError::NotFound(format!(
            "statement {id} is not voided; ask with statementId"
        ))),
        (Lookup::Missing, _) => Err(ApiError::NotFound(format!("no statement {id}"))),
    }
}

/// Read-your-writes: waits (bounded) until the store has folded everything appended
/// so far to the partition owning `id`. On timeout the read goes ahead; the
/// Consistent-Through header says how far the store is.
async fn caught_up_for(state: &AppState, id: Uuid) {
    let key = id.to_string();
    let Ok(partition) = state.log.partition_for(topics::STATEMENTS, key.as_bytes()) else {
        return;
    };
    let Ok(end) = state.log.high_watermark(topics::STATEMENTS, partition) else {
        return;
    };
    if end > 0 {
        let wait = state.limits.consistency_wait;
        let _ = state
            .statements
            .wait_folded(topics::STATEMENTS, partition, end - 1, wait)
            .await;
    }
}

fn statement_response(statement: &StoredStatement) -> HttpResponse {
    let mut response = HttpResponse::Ok();
    response.content_type("application/json");
    if let Some(stored) = chrono::DateTime::from_timestamp_micros(statement.stored_micros) {
        response.insert_header((
            header::LAST_MODIFIED,
            stored.format("%a, %d %b %Y %H:%M:%S GMT").to_string(),
        ));
    }
    response.body(statement.json.clone())
}
