//! `/xapi/statements` reads: GET and HEAD of one statement (`statementId`,
//! `voidedStatementId`) and statement queries with `more` paging (xAPI Communication
//! §2.1.3 GET Statements, xAPI Data §2.5 Retrieval of Statements).
//!
//! This file checks the parameters and picks one of the two reads: [`by_id`] or
//! [`query`]; both answer through [`render`] (the requested format) and [`response`]
//! (JSON or `multipart/mixed` with the attachments).

mod by_id;
mod query;
mod render;
mod response;

use super::params::Params;
use super::statement_query::{QueryRequest, ALL_PARAMS};
use crate::auth::{Authenticated, Scope};
use crate::error::ApiError;
use crate::middleware::AskedEnds;
use crate::state::AppState;
use actix_web::{web, HttpMessage, HttpRequest, HttpResponse};
use learnlog_proto::topics;

/// Parameters allowed beside `statementId` / `voidedStatementId` (and beside `more`).
const WITH_ID: &[&str] = &["statementId", "voidedStatementId", "format", "attachments"];

/// `GET /xapi/statements`: one statement by id, or a page of a query.
pub async fn get(
    state: web::Data<AppState>,
    request: HttpRequest,
    caller: Authenticated,
) -> Result<HttpResponse, ApiError> {
    let params = Params::parse(request.query_string(), ALL_PARAMS)?;
    let own_only = caller.statement_reads_limited_to_own()?;
    let by_id = params.get("statementId").is_some() || params.get("voidedStatementId").is_some();
    if by_id {
        if let Some(name) = params.names().find(|name| !WITH_ID.contains(name)) {
            return Err(ApiError::BadRequest(format!(
                "query parameter {name}: not allowed with statementId or voidedStatementId"
            )));
        }
        return by_id::get_one(&state, &request, &caller, &params).await;
    }
    let mut page = match params.get("more") {
        Some(token) => {
            if let Some(name) = params.names().find(|name| *name != "more") {
                return Err(ApiError::BadRequest(format!(
                    "query parameter {name}: not allowed with more"
                )));
            }
            QueryRequest::from_token(token)?
        }
        None => QueryRequest::from_params(&params)?,
    };
    // statements/read/mine: only statements this credential is the authority of.
    if own_only {
        let own = learnlog_xapi::agent_ifi_key(&caller.authority(&state.authority_home_page));
        page.query.authority = Some(own.ok_or(ApiError::Forbidden(Scope::StatementsRead.name()))?);
    }
    query::query(&state, &request, &caller, page).await
}

/// Read-your-writes: waits (bounded) until the store has folded everything appended
/// before the request to the partitions `wanted` names (all of them for `None`). The
/// ends are asked once for every partition, and kept in the request's extensions
/// ([`AskedEnds`]) so that `X-Experience-API-Consistent-Through` is computed from them
/// without a second round trip to the log. On a timeout or an unreachable log the read
/// goes ahead; the header says how far the store is.
async fn caught_up(state: &AppState, request: &HttpRequest, wanted: Option<u32>) {
    let now_micros = chrono::Utc::now().timestamp_micros();
    let Ok(ends) = crate::ingest::statement_ends(state).await else {
        return;
    };
    let deadline = tokio::time::Instant::now() + state.limits.consistency_wait;
    for (partition, &end) in ends.iter().enumerate() {
        let partition = partition as u32;
        if end == 0 || wanted.is_some_and(|wanted| wanted != partition) {
            continue;
        }
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let folded = (state.statements)
            .wait_folded(topics::STATEMENTS, partition, end - 1, left)
            .await;
        if folded.is_err() {
            break;
        }
    }
    request
        .extensions_mut()
        .insert(AskedEnds { now_micros, ends });
}
