//! Keys and values of the statement store's trees.
//!
//! - `by_id`: `tenant \0 id(16)` -> [`StoredStatement`] encoding.
//! - `by_stored`: `tenant \0 stored_µs(8, BE) partition(4) offset(8)` -> `id(16)`; stored
//!   order with the log position as tie breaker.
//! - `voiding`: `tenant \0 target(16) voiding(16)` -> empty; every statement that claims
//!   to void the target, whichever arrived first.

use learnlog_projector::tenant_prefix;
use uuid::Uuid;

/// A statement as the store keeps it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredStatement {
    /// `stored`, µs since the Unix epoch.
    pub stored_micros: i64,
    /// Where its submission sits on the log.
    pub partition: u32,
    pub offset: u64,
    /// The statement's JSON, exactly as served.
    pub json: Vec<u8>,
}

const HEADER: usize = 8 + 4 + 8;

impl StoredStatement {
    // Fixed-width, not postcard: bytes `digest` hashes; postcard: 12 header bytes, not 20.
    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut value = Vec::with_capacity(HEADER + self.json.len());
        value.extend_from_slice(&self.stored_micros.to_be_bytes());
        value.extend_from_slice(&self.partition.to_be_bytes());
        value.extend_from_slice(&self.offset.to_be_bytes());
        value.extend_from_slice(&self.json);
        value
    }

    pub(crate) fn decode(value: &[u8]) -> Option<Self> {
        if value.len() < HEADER {
            return None;
        }
        let (header, json) = value.split_at(HEADER);
        Some(Self {
            stored_micros: i64::from_be_bytes(header[0..8].try_into().ok()?),
            partition: u32::from_be_bytes(header[8..12].try_into().ok()?),
            offset: u64::from_be_bytes(header[12..20].try_into().ok()?),
            json: json.to_vec(),
        })
    }
}

pub(crate) fn id_key(tenant: &str, id: Uuid) -> Vec<u8> {
    let mut key = tenant_prefix(tenant);
    key.extend_from_slice(id.as_bytes());
    key
}

pub(crate) fn stored_key(tenant: &str, statement: &StoredStatement) -> Vec<u8> {
    let mut key = tenant_prefix(tenant);
    key.extend_from_slice(&position_bytes(statement));
    key
}

/// Where a statement sits in stored order: `stored_µs(8 BE) partition(4 BE) offset(8 BE)`,
/// the suffix of every `by_stored` and index key.
pub(crate) fn position_bytes(statement: &StoredStatement) -> [u8; 20] {
    StorePosition::of(statement).to_bytes()
}

/// A place in stored order: ties between equal `stored` broken by the log position.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StorePosition {
    pub stored_micros: i64,
    pub partition: u32,
    pub offset: u64,
}

impl StorePosition {
    /// The smallest position with this `stored`.
    pub fn first_at(stored_micros: i64) -> Self {
        Self {
            stored_micros,
            partition: 0,
            offset: 0,
        }
    }

    /// The largest position with this `stored`.
    pub fn last_at(stored_micros: i64) -> Self {
        Self {
            stored_micros,
            partition: u32::MAX,
            offset: u64::MAX,
        }
    }

    pub fn of(statement: &StoredStatement) -> Self {
        Self {
            stored_micros: statement.stored_micros,
            partition: statement.partition,
            offset: statement.offset,
        }
    }

    pub fn to_bytes(self) -> [u8; 20] {
        let mut bytes = [0; 20];
        bytes[0..8].copy_from_slice(&self.stored_micros.to_be_bytes());
        bytes[8..12].copy_from_slice(&self.partition.to_be_bytes());
        bytes[12..20].copy_from_slice(&self.offset.to_be_bytes());
        bytes
    }

    /// Reads the position from the last 20 bytes of a key.
    pub fn from_key_suffix(key: &[u8]) -> Option<Self> {
        let bytes = key.get(key.len().checked_sub(20)?..)?;
        Some(Self {
            stored_micros: i64::from_be_bytes(bytes[0..8].try_into().ok()?),
            partition: u32::from_be_bytes(bytes[8..12].try_into().ok()?),
            offset: u64::from_be_bytes(bytes[12..20].try_into().ok()?),
        })
    }
}

pub(crate) fn voiding_key(tenant: &str, target: Uuid, voiding: Uuid) -> Vec<u8> {
    let mut key = id_key(tenant, target);
    key.extend_from_slice(voiding.as_bytes());
    key
}
