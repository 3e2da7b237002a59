//! The answer to a statement read: the JSON with `Last-Modified`, or `multipart/mixed`
//! with the stored attachment data when asked.

use crate::auth::Authenticated;
use crate::error::ApiError;
use crate::state::AppState;
use actix_web::http::header;
use actix_web::HttpResponse;
use learnlog_projector_replicated::statements::StoredStatement;
use learnlog_xapi::AttachmentPart;
use serde_json::Value;
use std::collections::BTreeSet;
use uuid::Uuid;

/// The response: JSON, or `multipart/mixed` with the attachment parts when asked.
pub(super) fn respond(
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
