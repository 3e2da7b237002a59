//! The xAPI document rules the fold applies in log order (xAPI Communication §2.2
//! Document Resources, §3.1 Concurrency): If-Match and
//! If-None-Match, the PUT-without-precondition rules of profiles and 2.0 state, and
//! the shallow JSON merge of POST. Pure functions of the stored document and the event.

use super::codec::{is_json_media_type, StoredDocument};
use learnlog_proto::v1::document_outcome::Kind;
use learnlog_proto::v1::{DocumentOutcome, DocumentWritten};
use serde_json::{Map, Value};

/// Why a write or delete was refused; nothing changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Refusal {
    pub kind: Kind,
    pub message: String,
}

impl Refusal {
    fn new(kind: Kind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }

    pub fn outcome(self) -> DocumentOutcome {
        DocumentOutcome {
            kind: self.kind as i32,
            message: self.message,
        }
    }
}

/// The entity tags of an If-Match / If-None-Match value: comma-separated, `W/` and
/// quotes stripped.
fn tags(header: &str) -> impl Iterator<Item = &str> {
    header.split(',').map(|tag| {
        let tag = tag.trim();
        tag.strip_prefix("W/").unwrap_or(tag).trim_matches('"')
    })
}

fn matches(header: &str, document: &StoredDocument) -> bool {
    tags(header).any(|tag| tag == "*" || tag.eq_ignore_ascii_case(&document.etag))
}

/// Checks If-Match and If-None-Match against the stored document (412 when either
/// fails).
pub(crate) fn check_preconditions(
    existing: Option<&StoredDocument>,
    if_match: Option<&str>,
    if_none_match: Option<&str>,
) -> Result<(), Refusal> {
    if let Some(header) = if_match {
        match existing {
            None => {
                return Err(Refusal::new(
                    Kind::PreconditionFailed,
                    format!("header If-Match: {header} given but the document does not exist"),
                ))
            }
            Some(document) if !matches(header, document) => {
                return Err(Refusal::new(
                    Kind::PreconditionFailed,
                    format!(
                        "header If-Match: {header} does not match the document's ETag \"{}\"",
                        document.etag
                    ),
                ))
            }
            Some(_) => {}
        }
    }
    if let (Some(header), Some(document)) = (if_none_match, existing) {
        if matches(header, document) {
            return Err(Refusal::new(
                Kind::PreconditionFailed,
                format!("header If-None-Match: {header} but the document exists"),
            ));
        }
    }
    Ok(())
}

/// The document a PUT or POST leaves behind, or why it is refused.
pub(crate) fn written(
    existing: Option<&StoredDocument>,
    write: &DocumentWritten,
    at_micros: i64,
) -> Result<StoredDocument, Refusal> {
    check_preconditions(
        existing,
        write.if_match.as_deref(),
        write.if_none_match.as_deref(),
    )?;
    let unconditional = write.if_match.is_none() && write.if_none_match.is_none();
    if unconditional && write.precondition_required {
        return Err(match existing {
            Some(_) => Refusal::new(
                Kind::Conflict,
                "the document exists: send If-Match with its ETag to replace it",
            ),
            None => Refusal::new(
                Kind::Rejected,
                "headers If-Match / If-None-Match: a profile PUT needs one of them \
                 (If-None-Match: * to create)",
            ),
        });
    }
    if unconditional && write.existing_needs_precondition && existing.is_some() {
        return Err(Refusal::new(
            Kind::Conflict,
            "the document exists: send If-Match with its ETag to replace it (xAPI 2.0)",
        ));
    }
    let posted_json = is_json_media_type(&write.content_type);
    if write.merge && posted_json && serde_json::from_slice::<Value>(&write.content).is_err() {
        return Err(Refusal::new(
            Kind::Rejected,
            "body: Content-Type is application/json but the body is not valid JSON",
        ));
    }
    match existing {
        Some(stored) if write.merge => {
            let merged = merge(stored, write)?;
            Ok(StoredDocument::new(
                merged,
                stored.content_type.clone(),
                at_micros,
            ))
        }
        _ => Ok(StoredDocument::new(
            write.content.clone(),
            write.content_type.clone(),
            at_micros,
        )),
    }
}

/// Shallow merge: each top-level key of the posted object replaces the stored one.
/// Both sides must be `application/json` objects.
fn merge(stored: &StoredDocument, write: &DocumentWritten) -> Result<Vec<u8>, Refusal> {
    let refuse = |what: &str| {
        Refusal::new(
            Kind::Rejected,
            format!("body: POST merges only JSON objects, and {what}"),
        )
    };
    if !is_json_media_type(&write.content_type) {
        return Err(refuse("the posted document is not application/json"));
    }
    let posted: Map<String, Value> = serde_json::from_slice(&write.content)
        .map_err(|_| refuse("the posted document is not a JSON object"))?;
    if !stored.is_json() {
        return Err(refuse("the stored document is not application/json"));
    }
    let mut merged: Map<String, Value> = serde_json::from_slice(&stored.content)
        .map_err(|_| refuse("the stored document is not a JSON object"))?;
    for (key, value) in posted {
        merged.insert(key, value);
    }
    serde_json::to_vec(&merged).map_err(|error| refuse(&error.to_string()))
}
