//! Reading the document store: one document, or the ids of a set.

use super::codec::{self, DocumentSet, StoredDocument};
use super::{by_agent, BY_AGENT, BY_KEY};
use learnlog_projection::Projection;
use learnlog_projector::learners::learner_key;
use learnlog_projector::{Error, Result};
use uuid::Uuid;

/// One entry of a multi-document GET.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DocumentSummary {
    pub id: String,
    pub updated_micros: i64,
}

/// One document keyed by a learner's agent (a state or agent profile document).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LearnerDocument {
    pub set: DocumentSet,
    pub id: String,
    pub document: StoredDocument,
}

/// Reads the document store's trees. Cheap to clone.
#[derive(Clone)]
pub struct DocumentReader {
    documents: learnlog_projection::StoreTree,
    by_agent: learnlog_projection::StoreTree,
}

impl DocumentReader {
    /// A reader over the document store projection's database.
    pub fn new(projection: &Projection) -> Result<Self> {
        Ok(Self {
            documents: projection.tree(BY_KEY),
            by_agent: projection.tree(BY_AGENT),
        })
    }

    /// The stored document `id` of `set`.
    pub fn get(&self, tenant: &str, set: &DocumentSet, id: &str) -> Result<Option<StoredDocument>> {
        self.documents
            .get(set.document_key(tenant, id))?
            .map(|bytes| {
                StoredDocument::decode(&bytes)
                    .ok_or_else(|| Error::Corrupt(format!("document {id}")))
            })
            .transpose()
    }

    /// The documents of `set` (updated strictly after `since_micros`, when given), in
    /// id order.
    pub fn list(
        &self,
        tenant: &str,
        set: &DocumentSet,
        since_micros: Option<i64>,
    ) -> Result<Vec<DocumentSummary>> {
        let prefix = set.prefix(tenant);
        let mut found = Vec::new();
        for entry in self.documents.scan_prefix(&prefix) {
            let (key, value) = entry?;
            let id = codec::document_id(&key, prefix.len())
                .ok_or_else(|| Error::Corrupt("document key".into()))?;
            let document = StoredDocument::decode(&value)
                .ok_or_else(|| Error::Corrupt(format!("document {id}")))?;
            if since_micros.is_none_or(|since| document.updated_micros > since) {
                found.push(DocumentSummary {
                    id,
                    updated_micros: document.updated_micros,
                });
            }
        }
        found.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(found)
    }

    /// Every state and agent profile document of `learner` of `tenant` (their agent's
    /// learner id is `learner`), by set and id.
    pub fn learner_documents(&self, tenant: &str, learner: Uuid) -> Result<Vec<LearnerDocument>> {
        let corrupt = || Error::Corrupt("documents.by_agent entry".into());
        let mut found = Vec::new();
        for entry in self.by_agent.scan_prefix(learner_key(tenant, learner)) {
            let (entry, _) = entry?;
            // the partition's prefix: the learner's key and four bytes
            let prefix_len = learner_key(tenant, learner).len() + 4;
            let prefix = entry.get(..prefix_len).ok_or_else(corrupt)?;
            let set_key = by_agent::set_key(tenant, prefix, &entry);
            let set = DocumentSet::from_key(&entry[prefix_len..]).ok_or_else(corrupt)?;
            for document in self.documents.scan_prefix(&set_key) {
                let (key, value) = document?;
                let id = codec::document_id(&key, set_key.len()).ok_or_else(corrupt)?;
                let document = StoredDocument::decode(&value)
                    .ok_or_else(|| Error::Corrupt(format!("document {id}")))?;
                found.push(LearnerDocument {
                    set: set.clone(),
                    id,
                    document,
                });
            }
        }
        Ok(found)
    }
}
