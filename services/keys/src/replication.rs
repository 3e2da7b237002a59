//! Carrying learner keys between the processes of a shared log (Kafka).
//!
//! Each key travels as one record of a compacted topic: the record key names the
//! tenant, the learner and the key id (`<tenant hex>/<learner>/<key id hex>`), the
//! value is the 48 key bytes sealed with a key-encryption key every process is given
//! (AES-256-GCM, the record key as associated data), and a destroyed key is a
//! tombstone (an empty value) for its record key. Compaction keeps each live key and
//! eventually drops destroyed ones.
//!
//! Because a key is published before anything is sealed with it, a process that meets
//! a value sealed with a key it does not know reads the topic to its end: if the key is
//! not there then, it was destroyed, and the value is erased for good.

use crate::sealed::{self, Opened};
use crate::{hex, DataKey, Error, LearnerKeys, Result, KEY_BYTES};
use aes_gcm::aead::KeyInit;
use aes_gcm::Aes256Gcm;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::Path;
use uuid::Uuid;

/// How keys reach the other processes of a shared log, and theirs reach this one.
/// Every method blocks the calling thread for the round trips it needs.
pub trait KeyReplication: Send + Sync {
    /// Publishes new keys of learners of `tenant` (48 bytes each: id and key),
    /// returning once they are durable in the shared log.
    fn publish(&self, tenant: &str, keys: &[(Uuid, [u8; KEY_BYTES])]) -> Result<()>;

    /// Publishes that these keys of `learner` of `tenant` are destroyed.
    fn publish_destroyed(&self, tenant: &str, learner: Uuid, ids: &[[u8; 16]]) -> Result<()>;

    /// Applies to `keys` every key published and destroyed before this call.
    fn catch_up(&self, keys: &LearnerKeys) -> Result<()>;
}

/// The key every process of a shared log is given to seal the learner keys it
/// publishes: 32 random bytes, written as 64 hex digits.
pub struct KeyEncryptionKey {
    key: DataKey,
}

impl KeyEncryptionKey {
    /// Reads 64 hex digits (surrounding white space ignored) from `path`.
    pub fn read(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|error| {
            Error::Replication(format!(
                "reading the key-encryption key {}: {error}",
                path.display()
            ))
        })?;
        Self::from_hex(text.trim()).ok_or_else(|| {
            Error::Replication(format!(
                "{} must hold a key-encryption key of 64 hex digits (for example from \
                 `openssl rand -hex 32`)",
                path.display()
            ))
        })
    }

    /// The key of 64 hex digits.
    pub fn from_hex(text: &str) -> Option<Self> {
        let bytes: [u8; 32] = ::hex::decode(text).ok()?.try_into().ok()?;
        // the id names the key-encryption key, so a wrong one is told apart from damage
        let id: [u8; 16] = Sha256::digest(bytes)[..16].try_into().expect("16 bytes");
        let cipher = Aes256Gcm::new_from_slice(&bytes).ok()?;
        Some(Self {
            key: DataKey { id, cipher },
        })
    }

    /// The record value publishing `key` under `record_key`.
    pub fn wrap(&self, record_key: &[u8], key: &[u8; KEY_BYTES]) -> Vec<u8> {
        sealed::seal(&self.key, record_key, key)
    }

    /// The key a record value holds.
    pub fn unwrap(&self, record_key: &[u8], value: &[u8]) -> Result<[u8; KEY_BYTES]> {
        match sealed::open(&self.key, record_key, value)? {
            Opened::Plain(bytes) => bytes
                .try_into()
                .map_err(|_| Error::Malformed("a replicated key is not 48 bytes")),
            Opened::Erased => Err(Error::Replication(
                "a learner key on the key topic was sealed with another key-encryption key: \
                 every process must be given the same one"
                    .into(),
            )),
        }
    }
}

/// The record key of one learner key on the key topic.
pub fn record_key(tenant: &str, learner: Uuid, id: &[u8; 16]) -> Vec<u8> {
    format!("{}/{learner}/{}", hex(tenant.as_bytes()), hex(id)).into_bytes()
}

/// The tenant, learner and key id a record key names.
fn parse_record_key(record_key: &[u8]) -> Option<(String, Uuid, [u8; 16])> {
    let text = std::str::from_utf8(record_key).ok()?;
    let mut parts = text.split('/');
    let tenant = String::from_utf8(::hex::decode(parts.next()?).ok()?).ok()?;
    let learner = Uuid::parse_str(parts.next()?).ok()?;
    let id: [u8; 16] = ::hex::decode(parts.next()?).ok()?.try_into().ok()?;
    parts.next().is_none().then_some((tenant, learner, id))
}

/// Applies records read from the key topic, in their order, to `keys`: a value installs
/// its key, a tombstone removes it. Of several records for one key only the last
/// counts, so a key published and destroyed within `records` never appears. Without
/// a key-encryption key, a published key is an error.
pub fn apply(
    keys: &LearnerKeys,
    encryption: Option<&KeyEncryptionKey>,
    records: impl IntoIterator<Item = (Vec<u8>, Vec<u8>)>,
) -> Result<()> {
    let mut last: HashMap<Vec<u8>, Vec<u8>> = HashMap::new();
    let mut order = Vec::new();
    for (record_key, value) in records {
        if last.insert(record_key.clone(), value).is_none() {
            order.push(record_key);
        }
    }
    for record_key in order {
        let value = &last[&record_key];
        let (tenant, learner, id) = parse_record_key(&record_key).ok_or(Error::Malformed(
            "a record key on the key topic is not <tenant hex>/<learner>/<key id hex>",
        ))?;
        if value.is_empty() {
            keys.remove(&tenant, learner, id)?;
            continue;
        }
        let encryption = encryption.ok_or_else(|| {
            Error::Replication(
                "the key topic holds learner keys, and this process was given no \
                 key-encryption key to open them (--key-encryption-key-file)"
                    .into(),
            )
        })?;
        keys.install(&tenant, learner, &encryption.unwrap(&record_key, value)?)?;
    }
    Ok(())
}
