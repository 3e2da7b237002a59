//! The xAPI document store: state, activity profile and agent profile documents.
//!
//! Every write and delete is an event on the `documents` topic keyed by the
//! document's *set* (see [`DocumentSet`]), so all events of one set — single writes
//! and a state DELETE-all alike — fold in order in one partition. The fold alone
//! decides each request's outcome (applied, 412, 409, 400; [`rules`]) and records it at
//! the event's position for the API, so several API processes writing at once get the
//! answers one serial LRS would give.
//!
//! Trees: `documents.by_key` holds each document (raw bytes, content type, ETag,
//! updated time from the event); `documents.sets` lists the ids of each set, which
//! DELETE-all needs inside the fold's transaction. A state request without
//! `registration` addresses the documents stored without one.

mod codec;
mod reader;
mod rules;

pub use codec::{etag, is_json_media_type, DocumentSet, StoredDocument};
pub use reader::{DocumentReader, DocumentSummary};

use learnlog_projection::FoldTree;
use learnlog_projection::{Fold, FoldError, FoldTrees, Folded};
use learnlog_proto::v1::document_outcome::Kind;
use learnlog_proto::v1::{envelope::Event, DocumentKind, DocumentOutcome, Envelope};
use learnlog_proto::{topics, Message};

pub(crate) const BY_KEY: &str = "documents.by_key";
pub(crate) const SETS: &str = "documents.sets";

/// The document store fold.
#[derive(Debug, Default)]
pub struct DocumentStore;

impl DocumentStore {
    /// The projection's name (its directory under `projections/`).
    pub const NAME: &'static str = "documents";
}

fn set_of(
    kind: i32,
    activity_id: &str,
    agent_key: &str,
    registration: &str,
) -> Result<DocumentSet, FoldError> {
    let set = match DocumentKind::try_from(kind) {
        Ok(DocumentKind::State) => DocumentSet::state(
            activity_id,
            agent_key,
            Some(registration).filter(|r| !r.is_empty()),
        ),
        Ok(DocumentKind::ActivityProfile) => DocumentSet::activity_profile(activity_id),
        Ok(DocumentKind::AgentProfile) => DocumentSet::agent_profile(agent_key),
        _ => {
            return Err(FoldError::BadEvent(format!(
                "kind {kind} is not a document kind"
            )))
        }
    };
    let missing = match set.kind {
        DocumentKind::AgentProfile => set.agent_key.is_empty(),
        DocumentKind::State => set.activity_id.is_empty() || set.agent_key.is_empty(),
        _ => set.activity_id.is_empty(),
    };
    if missing {
        return Err(FoldError::BadEvent(
            "document set identity is incomplete".into(),
        ));
    }
    Ok(set)
}

fn stored(tree: FoldTree<'_>, key: &[u8]) -> Result<Option<StoredDocument>, FoldError> {
    tree.get(key)?
        .map(|bytes| {
            StoredDocument::decode(&bytes)
                .ok_or_else(|| FoldError::BadEvent("stored document is corrupt".into()))
        })
        .transpose()
}

/// The ids of a set, as kept in `documents.sets`.
fn set_ids(tree: FoldTree<'_>, set_key: &[u8]) -> Result<Vec<String>, FoldError> {
    let Some(bytes) = tree.get(set_key)? else {
        return Ok(Vec::new());
    };
    let mut ids = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        let id = codec::document_id(&bytes, at)
            .ok_or_else(|| FoldError::BadEvent("document set index is corrupt".into()))?;
        at += 4 + id.len();
        ids.push(id);
    }
    Ok(ids)
}

fn put_set_ids(tree: FoldTree<'_>, set_key: &[u8], ids: &[String]) -> Result<(), FoldError> {
    if ids.is_empty() {
        tree.remove(set_key)?;
        return Ok(());
    }
    let mut bytes = Vec::new();
    for id in ids {
        bytes.extend_from_slice(&(id.len() as u32).to_be_bytes());
        bytes.extend_from_slice(id.as_bytes());
    }
    tree.insert(set_key, bytes)?;
    Ok(())
}

fn applied() -> DocumentOutcome {
    DocumentOutcome {
        kind: Kind::Applied as i32,
        message: String::new(),
    }
}

impl Fold for DocumentStore {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn topics(&self) -> &'static [&'static str] {
        &[topics::DOCUMENTS]
    }

    fn trees(&self) -> &'static [&'static str] {
        &[BY_KEY, SETS]
    }

    fn apply(
        &self,
        trees: &FoldTrees<'_>,
        _topic: &str,
        _partition: u32,
        _offset: u64,
        event: &Envelope,
    ) -> Result<Folded, FoldError> {
        let (documents, sets) = (trees.tree(BY_KEY), trees.tree(SETS));
        let outcome = match &event.event {
            Some(Event::DocumentWritten(write)) => {
                let set = set_of(
                    write.kind,
                    &write.activity_id,
                    &write.agent_key,
                    &write.registration,
                )?;
                if write.document_id.is_empty() {
                    return Err(FoldError::BadEvent("document_id is empty".into()));
                }
                let key = set.document_key(&event.tenant, &write.document_id);
                let existing = stored(documents, &key)?;
                match rules::written(existing.as_ref(), write, event.produced_at_micros) {
                    Ok(document) => {
                        documents.insert(key, document.encode())?;
                        if existing.is_none() {
                            let set_key = set.prefix(&event.tenant);
                            let mut ids = set_ids(sets, &set_key)?;
                            ids.push(write.document_id.clone());
                            put_set_ids(sets, &set_key, &ids)?;
                        }
                        applied()
                    }
                    Err(refusal) => refusal.outcome(),
                }
            }
            Some(Event::DocumentDeleted(delete)) => {
                let set = set_of(
                    delete.kind,
                    &delete.activity_id,
                    &delete.agent_key,
                    &delete.registration,
                )?;
                let set_key = set.prefix(&event.tenant);
                let mut ids = set_ids(sets, &set_key)?;
                if delete.document_id.is_empty() {
                    if set.kind != DocumentKind::State {
                        return Err(FoldError::BadEvent("document_id is empty".into()));
                    }
                    for id in ids.drain(..) {
                        documents.remove(set.document_key(&event.tenant, &id))?;
                    }
                    put_set_ids(sets, &set_key, &ids)?;
                    applied()
                } else {
                    let key = set.document_key(&event.tenant, &delete.document_id);
                    let existing = stored(documents, &key)?;
                    match rules::check_preconditions(
                        existing.as_ref(),
                        delete.if_match.as_deref(),
                        delete.if_none_match.as_deref(),
                    ) {
                        Ok(()) => {
                            if existing.is_some() {
                                documents.remove(key)?;
                                ids.retain(|id| *id != delete.document_id);
                                put_set_ids(sets, &set_key, &ids)?;
                            }
                            applied()
                        }
                        Err(refusal) => refusal.outcome(),
                    }
                }
            }
            _ => return Ok(Folded::default()),
        };
        Ok(Folded {
            outcome: Some(outcome.encode_to_vec()),
        })
    }
}

#[cfg(test)]
mod tests;
