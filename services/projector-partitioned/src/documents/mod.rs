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
//! DELETE-all needs inside the fold (which cannot scan); `documents.by_agent` lists the sets
//! of each agent (as a learner id) per partition (`by_agent`). A state request
//! without `registration` addresses the documents stored without one.
//!
//! An event about a set keyed by a learner's agent comes sealed with the learner's
//! data key (`SealedEvent`, see `learnlog_projector::sealing`) when the API seals;
//! once the learner is erased it opens to nothing and is folded as never appended (its
//! outcome: applied). `LearnerErased`, appended to every partition, drops the learner's
//! agent profile and state documents that the partition folds (`erasure`).

mod by_agent;
mod codec;
mod erasure;
mod reader;
mod rules;

pub use codec::{etag, is_json_media_type, DocumentSet, StoredDocument};
pub use reader::{DocumentReader, DocumentSummary, LearnerDocument};

use learnlog_keys::LearnerKeys;
use learnlog_projection::FoldTree;
use learnlog_projection::{Fold, FoldError, FoldTrees, Folded};
use learnlog_projector::sealing::open_event;
use learnlog_proto::v1::document_outcome::Kind;
use learnlog_proto::v1::{envelope::Event, DocumentKind, DocumentOutcome, Envelope};
use learnlog_proto::{topics, Message};
use std::sync::Arc;

pub(crate) const BY_KEY: &str = "documents.by_key";
pub(crate) const SETS: &str = "documents.sets";
pub(crate) const BY_AGENT: &str = "documents.by_agent";

/// The document store fold.
pub struct DocumentStore {
    /// Opens the events sealed for a learner.
    keys: Arc<LearnerKeys>,
}

impl DocumentStore {
    /// The projection's name (its directory under `projections/`).
    pub const NAME: &'static str = "documents";

    /// The fold, opening sealed events with `keys`.
    pub fn new(keys: Arc<LearnerKeys>) -> Self {
        Self { keys }
    }
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

/// Stores the ids of `set` (folded by `partition`), and lists the set in
/// `documents.by_agent` while it holds documents.
fn put_set_ids(
    trees: &FoldTrees<'_>,
    tenant: &str,
    partition: u32,
    set: &DocumentSet,
    ids: &[String],
) -> Result<(), FoldError> {
    let (sets, listed) = (trees.tree(SETS), trees.tree(BY_AGENT));
    let set_key = set.prefix(tenant);
    let entry = by_agent::entry(tenant, set, partition);
    if ids.is_empty() {
        sets.remove(set_key)?;
        if let Some(entry) = entry {
            listed.remove(entry)?;
        }
        return Ok(());
    }
    let mut bytes = Vec::new();
    for id in ids {
        bytes.extend_from_slice(&(id.len() as u32).to_be_bytes());
        bytes.extend_from_slice(id.as_bytes());
    }
    sets.insert(set_key, bytes)?;
    if let Some(entry) = entry {
        listed.insert(entry, &[])?;
    }
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
        &[BY_KEY, SETS, BY_AGENT]
    }

    fn reads_committed(&self, partition: u32, event: &Envelope) -> Vec<(&'static str, Vec<u8>)> {
        erasure::ranges(partition, event)
    }

    fn apply(
        &self,
        trees: &FoldTrees<'_>,
        _topic: &str,
        partition: u32,
        _offset: u64,
        event: &Envelope,
    ) -> Result<Folded, FoldError> {
        if let Some(erased) = crate::erasure::erased_learner(event) {
            erasure::erase(trees, &event.tenant, erased?, partition)?;
            return Ok(Folded::default());
        }
        let opened =
            open_event(&self.keys, event).map_err(|e| e.into_fold_error("sealed event"))?;
        let Some(event) = opened else {
            // sealed for a learner erased since: as if written and then erased
            return Ok(Folded {
                outcome: Some(applied().encode_to_vec()),
            });
        };
        let event = event.as_ref();
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
                            let mut ids = set_ids(sets, &set.prefix(&event.tenant))?;
                            ids.push(write.document_id.clone());
                            put_set_ids(trees, &event.tenant, partition, &set, &ids)?;
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
                    put_set_ids(trees, &event.tenant, partition, &set, &ids)?;
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
                                put_set_ids(trees, &event.tenant, partition, &set, &ids)?;
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
