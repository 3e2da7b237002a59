//! `/xapi/statements` reads: GET and HEAD of one statement (`statementId`,
//! `voidedStatementId`) and statement queries with `more` paging (xAPI Communication
//! §2.1.3 GET Statements, xAPI Data §2.5 Retrieval of Statements).

use super::params::Params;
use super::statement_query::{self, QueryRequest, ALL_PARAMS};
use crate::auth::{Authenticated, Scope};
use crate::error::ApiError;
use crate::state::AppState;
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use learnlog_projector::activities::ActivityReader;
use learnlog_projector::statements::{Lookup, StoredStatement};
use learnlog_proto::topics;
use learnlog_xapi::{AttachmentPart, LanguagePreference, StatementFormat};
use serde_json::Value;
use std::collections::BTreeSet;
use uuid::Uuid;

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
        return get_one(&state, &request, &caller, &params).await;
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
    query(&state, &request, &caller, page).await
}

async fn get_one(
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
    caught_up_for(state, id).await;
    let statement = match (
        state.statement_reader.lookup(caller.tenant(), id)?,
        want_voided,
    ) {
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

async fn query(
    state: &AppState,
    request: &HttpRequest,
    caller: &Authenticated,
    page: QueryRequest,
) -> Result<HttpResponse, ApiError> {
    // Read-your-writes: everything appended before this request is folded first
    // (bounded; on timeout Consistent-Through tells how far the store is).
    let _ = state
        .statements
        .catch_up(state.limits.consistency_wait)
        .await;
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

/// Reshapes stored statements into the requested format.
struct Render {
    format: StatementFormat,
    languages: LanguagePreference,
    activities: Option<(ActivityReader, String)>,
}

impl Render {
    fn new(
        state: &AppState,
        request: &HttpRequest,
        caller: &Authenticated,
        format: StatementFormat,
    ) -> Self {
        let languages = request
            .headers()
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|value| value.to_str().ok())
            .map(LanguagePreference::parse)
            .unwrap_or_default();
        let activities = (format == StatementFormat::Canonical)
            .then(|| ActivityReader::new(state.statements.db()).ok())
            .flatten()
            .map(|reader| (reader, caller.tenant().to_owned()));
        Self {
            format,
            languages,
            activities,
        }
    }

    fn statement(&self, statement: &StoredStatement) -> Result<Vec<u8>, ApiError> {
        if self.format == StatementFormat::Exact {
            return Ok(statement.json.clone());
        }
        let value: Value = serde_json::from_slice(&statement.json)
            .map_err(|error| ApiError::Internal(format!("stored statement: {error}")))?;
        let shaped = match self.format {
            StatementFormat::Exact => value,
            StatementFormat::Ids => learnlog_xapi::to_ids_format(&value),
            StatementFormat::Canonical => {
                let lookup = |id: &str| self.canonical_activity(id);
                learnlog_xapi::to_canonical_format(&value, &self.languages, &lookup)
            }
        };
        serde_json::to_vec(&shaped).map_err(|error| ApiError::Internal(error.to_string()))
    }

    /// The canonical Activity for the `canonical` format: the activity store's merged
    /// definition, `None` (keep the statement's own) when no statement defined it.
    fn canonical_activity(&self, id: &str) -> Option<Value> {
        let (reader, tenant) = self.activities.as_ref()?;
        reader.canonical(tenant, id).ok().flatten()
    }
}

/// The response: JSON, or `multipart/mixed` with the attachment parts when asked.
fn respond(
    state: &AppState,
    caller: &Authenticated,
    statements: &[StoredStatement],
    json: Vec<u8>,
    attachments: bool,
) -> Result<HttpResponse, ApiError> {
    let mut response = HttpResponse::Ok();
    if let Some(newest) = statements.iter().map(|s| s.stored_micros).max() {
        if let Some(stored) = chrono::DateTime::from_timestamp_micros(newest) {
            response.insert_header((
                header::LAST_MODIFIED,
                stored.format("%a, %d %b %Y %H:%M:%S GMT").to_string(),
            ));
        }
    }
    if !attachments {
        return Ok(response.content_type("application/json").body(json));
    }
    let parts = stored_attachment_parts(state, caller.tenant(), statements)?;
    let boundary = Uuid::new_v4().simple().to_string();
    response.content_type(format!("multipart/mixed; boundary={boundary}"));
    Ok(response.body(learnlog_xapi::write_multipart(&boundary, &json, &parts)))
}

/// The raw attachment data the attachment store holds for the statements' `sha2`s
/// (top level and SubStatement attachments), one part per distinct hash.
fn stored_attachment_parts(
    state: &AppState,
    tenant: &str,
    statements: &[StoredStatement],
) -> Result<Vec<AttachmentPart>, ApiError> {
    let mut hashes = BTreeSet::new();
    for statement in statements {
        let Ok(value) = serde_json::from_slice::<Value>(&statement.json) else {
            continue;
        };
        let lists = [
            value.get("attachments"),
            value.pointer("/object/attachments"),
        ];
        for list in lists.into_iter().flatten().filter_map(Value::as_array) {
            hashes.extend(
                list.iter()
                    .filter_map(|a| a.get("sha2").and_then(Value::as_str))
                    .map(str::to_owned),
            );
        }
    }
    let mut parts = Vec::new();
    for sha2 in hashes {
        if let Some(data) = state.attachment_reader.get(tenant, &sha2)? {
            parts.push(AttachmentPart {
                sha2,
                content_type: data.content_type,
                data: data.data,
            });
        }
    }
    Ok(parts)
}

/// Read-your-writes: waits (bounded) until the store has folded everything appended
/// so far to the partition owning `id`. On timeout the read goes ahead; the
/// Consistent-Through header says how far the store is.
async fn caught_up_for(state: &AppState, id: Uuid) {
    let key = id.to_string();
    let Ok(partition) = state.log.partition_for(topics::STATEMENTS, key.as_bytes()) else {
        return;
    };
    let Ok(end) = crate::ingest::high_watermark(state, topics::STATEMENTS, partition).await else {
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

/// `statements/read/mine`: whether the caller's credential is the statement's authority.
fn is_own(state: &AppState, caller: &Authenticated, statement: &StoredStatement) -> bool {
    serde_json::from_slice(&statement.json)
        .is_ok_and(|json| caller.is_authority_of(&state.authority_home_page, &json))
}
