//! A page of a statement query, read once the store has folded everything appended
//! before the request; `more` links to the next page.

use super::render::Render;
use super::response::respond;
use crate::auth::Authenticated;
use crate::error::ApiError;
use crate::routes::statement_query::QueryRequest;
use crate::state::AppState;
use actix_web::{HttpRequest, HttpResponse};

pub(super) async fn query(
    state: &AppState,
    request: &HttpRequest,
    caller: &Authenticated,
    page: QueryRequest,
) -> Result<HttpResponse, ApiError> {
    // Read-your-writes: everything appended before this request is folded first
    // (bounded; on timeout Consistent-Through tells how far the store is).
    super::caught_up(state, request, None).await;
    if page.attachments {
        let _ = state
            .attachments
            .catch_up(state.limits.consistency_wait)
            .await;
    }
    let tenant = caller.tenant();
    let reader = &state.statement_reader;
    let bound = match page.bound {
        Some(bound) => Some(bound),
        None => reader.newest(tenant)?,
    };
    let (statements, more) = match bound {
        Some(bound) => {
            let found = reader.query(tenant, &page.query, page.after, bound)?;
            let more = found
                .more
                .map(|last| format!("{}?more={}", request.path(), page.next_token(last, bound)));
            (found.statements, more)
        }
        None => (Vec::new(), None),
    };
    let render = Render::new(state, request, caller, page.format);
    let mut json =
        Vec::with_capacity(statements.iter().map(|s| s.json.len() + 1).sum::<usize>() + 64);
    json.extend_from_slice(b"{\"statements\":[");
    for (n, statement) in statements.iter().enumerate() {
        if n > 0 {
            json.push(b',');
        }
        json.extend_from_slice(&render.statement(statement)?);
    }
    json.extend_from_slice(b"],\"more\":");
    json.extend_from_slice(&serde_json::to_vec(&more.unwrap_or_default()).unwrap_or_default());
    json.push(b'}');
    respond(state, caller, &statements, json, page.attachments)
}
