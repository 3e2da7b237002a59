//! How documents are addressed and stored: the set a document belongs to, sled keys
//! (length-prefixed, so any id or IRI is safe), the log key, and the stored record.

use learnlog_proto::v1::DocumentKind;
use sha1::{Digest as _, Sha1};
use sha2::Sha256;

/// The documents that share one owner and fold in order together: state documents
/// of one (activity, agent, registration), profiles of one activity or one agent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DocumentSet {
    pub kind: DocumentKind,
    /// The activity IRI; empty for agent profiles.
    pub activity_id: String,
    /// The agent's IFI key (`learnlog_xapi::agent_ifi_key`); empty for activity profiles.
    pub agent_key: String,
    /// Hyphenated lowercase UUID, or empty for none; state only.
    pub registration: String,
}

impl DocumentSet {
    /// The set of state documents of an activity, agent and registration (or none).
    pub fn state(activity_id: &str, agent_key: &str, registration: Option<&str>) -> Self {
        Self {
            kind: DocumentKind::State,
            activity_id: activity_id.to_owned(),
            agent_key: agent_key.to_owned(),
            registration: registration.unwrap_or_default().to_owned(),
        }
    }

    /// The set of profile documents of an activity.
    pub fn activity_profile(activity_id: &str) -> Self {
        Self {
            kind: DocumentKind::ActivityProfile,
            activity_id: activity_id.to_owned(),
            agent_key: String::new(),
            registration: String::new(),
        }
    }

    /// The set of profile documents of an agent.
    pub fn agent_profile(agent_key: &str) -> Self {
        Self {
            kind: DocumentKind::AgentProfile,
            activity_id: String::new(),
            agent_key: agent_key.to_owned(),
            registration: String::new(),
        }
    }

    /// Key prefix of every document of the set in `tenant`.
    pub(crate) fn prefix(&self, tenant: &str) -> Vec<u8> {
        let mut key = learnlog_projector::tenant_prefix(tenant);
        key.push(self.kind as i32 as u8);
        for part in [&self.activity_id, &self.agent_key, &self.registration] {
            push_part(&mut key, part.as_bytes());
        }
        key
    }

    /// The set whose key (without its tenant prefix) is `key`, as [`Self::prefix`]
    /// writes it.
    pub(crate) fn from_key(key: &[u8]) -> Option<Self> {
        let kind = DocumentKind::try_from(i32::from(*key.first()?)).ok()?;
        let mut rest = &key[1..];
        let mut parts = Vec::with_capacity(3);
        for _ in 0..3 {
            let len = u32::from_be_bytes(rest.get(..4)?.try_into().ok()?) as usize;
            parts.push(String::from_utf8(rest.get(4..4 + len)?.to_vec()).ok()?);
            rest = &rest[4 + len..];
        }
        let registration = parts.pop()?;
        let agent_key = parts.pop()?;
        let activity_id = parts.pop()?;
        rest.is_empty().then_some(Self {
            kind,
            activity_id,
            agent_key,
            registration,
        })
    }

    /// The key of one document of the set.
    pub(crate) fn document_key(&self, tenant: &str, document_id: &str) -> Vec<u8> {
        key_in_set(&self.prefix(tenant), document_id)
    }

    /// The log record key of every event about this set: a SHA-256 (hex) of tenant and
    /// set, so the set folds in one partition and no IFI appears in record keys.
    pub fn log_key(&self, tenant: &str) -> String {
        hex::encode(Sha256::digest(self.prefix(tenant)))
    }
}

fn push_part(key: &mut Vec<u8>, part: &[u8]) {
    key.extend_from_slice(&(part.len() as u32).to_be_bytes());
    key.extend_from_slice(part);
}

/// The key of document `document_id` of the set whose key ([`DocumentSet::prefix`])
/// is `set_key`.
pub(crate) fn key_in_set(set_key: &[u8], document_id: &str) -> Vec<u8> {
    let mut key = set_key.to_vec();
    push_part(&mut key, document_id.as_bytes());
    key
}

/// The document id at the end of a document key of `prefix`.
pub(crate) fn document_id(key: &[u8], prefix_len: usize) -> Option<String> {
    let rest = key.get(prefix_len..)?;
    let len = u32::from_be_bytes(rest.get(..4)?.try_into().ok()?) as usize;
    let id = rest.get(4..4 + len)?;
    String::from_utf8(id.to_vec()).ok()
}

/// One stored document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredDocument {
    /// When it was last written: the event's `produced_at_micros`.
    pub updated_micros: i64,
    pub content_type: String,
    /// Lowercase hex SHA-1 of `content`, without quotes.
    pub etag: String,
    pub content: Vec<u8>,
}

impl StoredDocument {
    /// A document of these bytes, its ETag computed.
    pub fn new(content: Vec<u8>, content_type: String, updated_micros: i64) -> Self {
        Self {
            updated_micros,
            content_type,
            etag: etag(&content),
            content,
        }
    }

    /// `updated (8) | content type length (4) | content type | etag (40) | content`.
    // Fixed-width, not postcard: bytes `digest` hashes; varints save ~6 bytes a document.
    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(56 + self.content_type.len() + self.content.len());
        out.extend_from_slice(&self.updated_micros.to_be_bytes());
        push_part(&mut out, self.content_type.as_bytes());
        out.extend_from_slice(self.etag.as_bytes());
        out.extend_from_slice(&self.content);
        out
    }

    pub(crate) fn decode(bytes: &[u8]) -> Option<Self> {
        let updated_micros = i64::from_be_bytes(bytes.get(..8)?.try_into().ok()?);
        let len = u32::from_be_bytes(bytes.get(8..12)?.try_into().ok()?) as usize;
        let content_type = std::str::from_utf8(bytes.get(12..12 + len)?).ok()?;
        let etag = std::str::from_utf8(bytes.get(12 + len..52 + len)?).ok()?;
        Some(Self {
            updated_micros,
            content_type: content_type.to_owned(),
            etag: etag.to_owned(),
            content: bytes.get(52 + len..)?.to_vec(),
        })
    }

    /// Whether the stored media type is `application/json` (parameters ignored).
    pub fn is_json(&self) -> bool {
        is_json_media_type(&self.content_type)
    }
}

/// Whether a Content-Type names `application/json`, ignoring parameters and case.
// Not `mime`: a parameter mime refuses (an unquoted `/` or `=`) would make a JSON document opaque.
pub fn is_json_media_type(content_type: &str) -> bool {
    content_type
        .split(';')
        .next()
        .is_some_and(|media| media.trim().eq_ignore_ascii_case("application/json"))
}

/// The ETag of document bytes: lowercase hex SHA-1, unquoted.
pub fn etag(content: &[u8]) -> String {
    hex::encode(Sha1::digest(content))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_set_reads_back_from_its_key() {
        let sets = [
            DocumentSet::state("https://example.org/a", "mbox:mailto:ada@example.org", None),
            DocumentSet::state(
                "https://example.org/a",
                "openid:x",
                Some("0f1e2d3c-aaaa-4bbb-8ccc-000000000001"),
            ),
            DocumentSet::agent_profile("mbox:mailto:ada@example.org"),
            DocumentSet::activity_profile("https://example.org/a"),
        ];
        for set in sets {
            let key = set.prefix("t");
            let without_tenant = &key[learnlog_projector::tenant_prefix("t").len()..];
            assert_eq!(DocumentSet::from_key(without_tenant), Some(set));
        }
        assert_eq!(DocumentSet::from_key(&[1, 0, 0]), None);
    }
}
