//! Attachment data: the raw bytes received with statements (multipart/mixed), kept
//! once per tenant and sha2, for `GET /statements?attachments=true`.
//!
//! Content-addressed: the first bytes folded for a hash are kept, later copies of the
//! same hash are the same bytes. The fold is therefore independent of the order in
//! which partitions are folded.

use learnlog_projection::Projection;
use learnlog_projection::{Fold, FoldError, FoldTrees, Folded};
use learnlog_projector::{tenant_prefix, Error, Result};
use learnlog_proto::topics;
use learnlog_proto::v1::{envelope::Event, Envelope};

const BY_SHA2: &str = "attachments.by_sha2";

/// The attachment data fold.
#[derive(Debug, Default)]
pub struct AttachmentStore;

impl AttachmentStore {
    /// The projection's name (its directory under `projections/`).
    pub const NAME: &'static str = "attachments";
}

fn sha2_key(tenant: &str, sha2: &str) -> Vec<u8> {
    let mut key = tenant_prefix(tenant);
    key.extend_from_slice(sha2.to_ascii_lowercase().as_bytes());
    key
}

impl Fold for AttachmentStore {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn topics(&self) -> &'static [&'static str] {
        &[topics::STATEMENTS]
    }

    fn trees(&self) -> &'static [&'static str] {
        &[BY_SHA2]
    }

    /// Only statements that carry attachment data: a batch of statements without any
    /// costs no commit (sled applies one commit at a time in a process, so an empty one
    /// held up every other projection's).
    fn wants(&self, event: &Envelope) -> bool {
        matches!(&event.event, Some(Event::StatementSubmitted(submitted)) if !submitted.attachments.is_empty())
    }

    fn apply(
        &self,
        trees: &FoldTrees<'_>,
        _topic: &str,
        _partition: u32,
        _offset: u64,
        event: &Envelope,
    ) -> Result<Folded, FoldError> {
        let Some(Event::StatementSubmitted(submitted)) = &event.event else {
            return Ok(Folded::default());
        };
        let by_sha2 = trees.tree(BY_SHA2);
        for attachment in &submitted.attachments {
            let key = sha2_key(&event.tenant, &attachment.sha2);
            if by_sha2.get(&key)?.is_none() {
                by_sha2.insert(key, encode(&attachment.content_type, &attachment.data))?;
            }
        }
        Ok(Folded::default())
    }
}

/// Value: content type length (u16 BE), content type, data.
// Kept, not postcard: bytes `digest` hashes; postcard would save one byte of the length.
fn encode(content_type: &str, data: &[u8]) -> Vec<u8> {
    let mut value = Vec::with_capacity(2 + content_type.len() + data.len());
    value.extend_from_slice(&(content_type.len() as u16).to_be_bytes());
    value.extend_from_slice(content_type.as_bytes());
    value.extend_from_slice(data);
    value
}

/// Stored attachment data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttachmentData {
    pub content_type: String,
    pub data: Vec<u8>,
}

/// Reads attachment data. Cheap to clone.
#[derive(Clone)]
pub struct AttachmentReader {
    by_sha2: learnlog_projection::StoreTree,
}

impl AttachmentReader {
    /// A reader over the attachment projection's database.
    pub fn new(projection: &Projection) -> Result<Self> {
        Ok(Self {
            by_sha2: projection.tree(BY_SHA2),
        })
    }

    /// The data stored for `sha2`, if any statement brought it.
    pub fn get(&self, tenant: &str, sha2: &str) -> Result<Option<AttachmentData>> {
        let Some(value) = self.by_sha2.get(sha2_key(tenant, sha2))? else {
            return Ok(None);
        };
        let corrupt = || Error::Corrupt(format!("attachment {sha2}"));
        let length = u16::from_be_bytes(
            value
                .get(..2)
                .ok_or_else(corrupt)?
                .try_into()
                .map_err(|_| corrupt())?,
        ) as usize;
        let content_type = value.get(2..2 + length).ok_or_else(corrupt)?;
        Ok(Some(AttachmentData {
            content_type: String::from_utf8_lossy(content_type).into_owned(),
            data: value[2 + length..].to_vec(),
        }))
    }
}
