//! One statement by `statementId` or `voidedStatementId`, read once the store has
//! folded what was appended to its partition.

use super::render::Render;
use super::response::respond;
use crate::auth::{Authenticated, Scope};
use crate::error::ApiError;
use crate::routes::params::Params;
use crate::routes::statement_query;
use crate::state::AppState;
use actix_web::{HttpRequest, HttpResponse};
use learnlog_projector_replicated::statements::{Lookup, StoredStatement};
use learnlog_proto::topics;

pub(super) async fn get_one(
    state: &AppState,
    request: &HttpRequest,
    caller: &Authenticated,
    params: &Params,
) -> Result<HttpResponse, ApiError> {
    let format = statement_query::format(params)?;
    let attachments = statement_query::boolean(params, "attachments")?;
    let (id, want_voided) = match (
        params.uuid("statementId")?,
        params.uuid("voidedStatementId")?,
    ) {
        (Some(id), None) => (id, false),
        (None, Some(id)) => (id, true),
        _ => {
            return Err(ApiError::BadRequest(
                "query parameters statementId and voidedStatementId: give one, not both".into(),
            ))
        }
    };
    let key = id.to_string();
    let partition = (state.log).partition_for(topics::STATEMENTS, key.as_bytes())?;
    super::caught_up(state, request, Some(partition)).await;
    let reader = &state.statement_reader;
    let mut lookup = reader.lookup(caller.tenant(), id)?;
    if matches!(lookup, Lookup::Found(_)) && !reader.voiding_claims(caller.tenant(), id)?.is_empty()
    {
        // A claim to void it, whose voiding statement is on another partition that may
        // not be folded as far yet (a store folding the log again, say): wait for all.
        super::caught_up(state, request, None).await;
        lookup = reader.lookup(caller.tenant(), id)?;
    }
    let statement = match (lookup, want_voided) {
        (Lookup::Found(statement), false) | (Lookup::Voided(statement), true) => statement,
        (Lookup::Voided(_), false) => {
            return Err(ApiError::NotFound(format!(
                "statement {id} is voided; ask with voidedStatementId"
            )))
        }
        (Lookup::Found(_), true) => {
            return Err(ApiError::NotFound(format!(
                "statement {id} is not voided; ask with statementId"
            )))
        }
        (Lookup::Missing, _) => return Err(ApiError::NotFound(format!("no statement {id}"))),
    };
    if !caller.has(Scope::StatementsRead) && !is_own(state, caller, &statement) {
        return Err(ApiError::Forbidden(Scope::StatementsRead.name()));
    }
    if attachments {
        let _ = state
            .attachments
            .catch_up(state.limits.consistency_wait)
            .await;
    }
    let render = Render::new(state, request, caller, format);
    let json = render.statement(&statement)?;
    let statements = [statement];
    respond(state, caller, &statements, json, attachments)
}

/// `statements/read/mine`: whether the caller's credential is the statement's authority.
fn is_own(state: &AppState, caller: &Authenticated, statement: &StoredStatement) -> bool {
    serde_json::from_slice(&statement.json)
        .is_ok_and(|json| caller.is_authority_of(&state.authority_home_page, &json))
}
