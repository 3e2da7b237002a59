//! Keys and values of the statement store's trees, and of its bodies.
//!
//! A statement's body (`id(16)` then its JSON, see [`body`]) is kept once, in the value
//! log of the partition it was folded from; the trees hold where it is.
//!
//! - `by_id`: `tenant \0 id(16)` -> [`Record`]: position and body offset (28 bytes).
//! - `by_stored`: `tenant \0 stored_µs(8, BE) partition(4) offset(8)` -> body offset
//!   (8 bytes); stored order with the log position as tie breaker. The position is
//!   the suffix of every index key too.
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

impl StoredStatement {
    /// The statement read back from its body in the value log at `position`.
    pub(crate) fn from_body(position: StorePosition, body: &[u8]) -> Option<(Uuid, Self)> {
        let (id, json) = split_body(body)?;
        Some((
            id,
            Self {
                stored_micros: position.stored_micros,
                partition: position.partition,
                offset: position.offset,
                json: json.to_vec(),
            },
        ))
    }
}

/// A statement's body as the value log keeps it: `id(16)` then its JSON.
pub(crate) fn body(id: Uuid, json: &[u8]) -> Vec<u8> {
    let mut body = Vec::with_capacity(16 + json.len());
    body.extend_from_slice(id.as_bytes());
    body.extend_from_slice(json);
    body
}

fn split_body(body: &[u8]) -> Option<(Uuid, &[u8])> {
    let id = Uuid::from_slice(body.get(..16)?).ok()?;
    Some((id, &body[16..]))
}

/// What `by_id` holds for a statement: where it sits in stored order and where its
/// body is in its partition's value log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Record {
    pub(crate) position: StorePosition,
    pub(crate) body_at: u64,
}

impl Record {
    // Fixed-width: bytes `digest` hashes.
    pub(crate) fn encode(&self) -> [u8; 28] {
        let mut value = [0; 28];
        value[..20].copy_from_slice(&self.position.to_bytes());
        value[20..].copy_from_slice(&self.body_at.to_be_bytes());
        value
    }

    pub(crate) fn decode(value: &[u8]) -> Option<Self> {
        if value.len() != 28 {
            return None;
        }
        Some(Self {
            position: StorePosition::from_key_suffix(&value[..20])?,
            body_at: body_at(&value[20..])?,
        })
    }
}

/// The body offset an index or `by_stored` value holds (8 bytes, big-endian).
pub(crate) fn body_at(value: &[u8]) -> Option<u64> {
    Some(u64::from_be_bytes(value.try_into().ok()?))
}

pub(crate) fn id_key(tenant: &str, id: Uuid) -> Vec<u8> {
    let mut key = tenant_prefix(tenant);
    key.extend_from_slice(id.as_bytes());
    key
}

pub(crate) fn stored_key(tenant: &str, position: StorePosition) -> Vec<u8> {
    let mut key = tenant_prefix(tenant);
    key.extend_from_slice(&position.to_bytes());
    key
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
