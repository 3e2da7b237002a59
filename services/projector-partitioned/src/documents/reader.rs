//! Reading the document store: one document, or the ids of a set.

use super::codec::{self, DocumentSet, StoredDocument};
use super::BY_KEY;
use learnlog_projection::Projection;
use learnlog_projector::{Error, Result};

/// One entry of a multi-document GET.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DocumentSummary {
    pub id: String,
    pub updated_micros: i64,
}

/// Reads the document store's trees. Cheap to clone.
#[derive(Clone)]
pub struct DocumentReader {
    documents: sled::Tree,
}

impl DocumentReader {
    /// A reader over the document store projection's database.
    pub fn new(projection: &Projection) -> Result<Self> {
        let db = projection.db();
        Ok(Self {
            documents: db.open_tree(BY_KEY)?,
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
}
