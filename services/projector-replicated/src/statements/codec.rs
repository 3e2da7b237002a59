//! Keys and values of the statement store's trees, and of its bodies.
//!
//! A statement's body is its submission event in the log where the log reads events in
//! place; elsewhere it is kept once (`id(16)` then its JSON, plain or sealed, see
//! [`body`]) in the value log of the partition it was folded from (see `bodies`). The
//! trees hold where it is.
//!
//! - `by_id`: `tenant \0 id(16)` -> [`Record`]: position and body offset (28 bytes).
//! - `by_stored`: every statement of a tenant, in runs ([`POSITIONS`]) under
//!   `tenant \0`: stored order with the log position as tie breaker, the order of every
//!   index too.
//! - `voiding`: `tenant \0 target(16) voiding(16)` -> empty; every statement that claims
//!   to void the target, whichever arrived first; and `tenant \0 target(16)` -> empty,
//!   the target of any claim (a get answers whether there is one: a scan copies the
//!   sled node it starts in, whose neighbours may be large blocks).
//! - `by_learner`: see [`LEARNER_STATEMENTS`].

use super::runs::Layout;
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

/// A statement's body as the value log keeps it: `id(16)` then its JSON, or, for a
/// statement sealed for its actor learner, `id(16) 0x01 learner(16)` then the sealed
/// JSON (a JSON body starts with `{`, never 0x01).
pub(crate) fn body(id: Uuid, json: &[u8]) -> Vec<u8> {
    let mut body = Vec::with_capacity(16 + json.len());
    body.extend_from_slice(id.as_bytes());
    body.extend_from_slice(json);
    body
}

/// The body of statement `id` whose JSON is sealed for `learner` (see [`body`]).
pub(crate) fn sealed_body(id: Uuid, learner: Uuid, sealed: &[u8]) -> Vec<u8> {
    let mut body = Vec::with_capacity(33 + sealed.len());
    body.extend_from_slice(id.as_bytes());
    body.push(SEALED);
    body.extend_from_slice(learner.as_bytes());
    body.extend_from_slice(sealed);
    body
}

const SEALED: u8 = 1;

/// What a body holds after its id.
pub(crate) enum BodyJson<'a> {
    Plain(&'a [u8]),
    Sealed { learner: Uuid, sealed: &'a [u8] },
}

/// The id and JSON (plain or sealed) of a body.
pub(crate) fn split_body(body: &[u8]) -> Option<(Uuid, BodyJson<'_>)> {
    let id = Uuid::from_slice(body.get(..16)?).ok()?;
    let rest = &body[16..];
    if rest.first() != Some(&SEALED) {
        return Some((id, BodyJson::Plain(rest)));
    }
    let learner = Uuid::from_slice(rest.get(1..17)?).ok()?;
    let sealed = &rest[17..];
    Some((id, BodyJson::Sealed { learner, sealed }))
}

/// The entries of a run of statements in stored order (`by_stored` and every index):
/// a [`Record`] each, ordered by its position.
pub(crate) const POSITIONS: Layout = Layout {
    entry_len: 28,
    order_len: 20,
};

/// The run of statements filed under `value_prefix` in `shard` (a partition, or 0 for
/// a value whose runs are one, see `IndexKind::shard`).
pub(crate) fn run(value_prefix: &[u8], shard: u32) -> Vec<u8> {
    let mut run = value_prefix.to_vec();
    run.extend_from_slice(&shard.to_be_bytes());
    run
}

/// `by_learner`: every statement sealed for a learner, for erasing them: a run under
/// [`learner_prefix`] of entries `offset(8) id(16)`, ordered by offset.
pub(crate) const LEARNER_STATEMENTS: Layout = Layout {
    entry_len: 24,
    order_len: 8,
};

/// The run of the statements of `learner` sealed on `partition` (and the prefix of
/// what they told of their actor, see `agents`).
pub(crate) fn learner_prefix(tenant: &str, learner: Uuid, partition: u32) -> Vec<u8> {
    run(
        &learnlog_projector::learners::learner_key(tenant, learner),
        partition,
    )
}

/// The `by_learner` entry of statement `id` at log `offset`.
pub(crate) fn learner_entry(offset: u64, id: Uuid) -> [u8; 24] {
    let mut entry = [0; 24];
    entry[..8].copy_from_slice(&offset.to_be_bytes());
    entry[8..].copy_from_slice(id.as_bytes());
    entry
}

/// The statement ids of a `by_learner` block's entries.
pub(crate) fn learner_entry_ids(entries: &[u8]) -> impl Iterator<Item = Uuid> + '_ {
    (entries.chunks_exact(LEARNER_STATEMENTS.entry_len))
        .filter_map(|entry| Uuid::from_slice(&entry[8..]).ok())
}

/// What `by_id` holds for a statement: where it sits in stored order and where its
/// body is in its partition's value log (`bodies::IN_LOG` when the body is the
/// statement's submission event, at its position in the log).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Record {
    pub(crate) position: StorePosition,
    pub(crate) body_at: u64,
}

impl Record {
    // Fixed-width: bytes `digest` hashes, and a [`POSITIONS`] entry.
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

/// A body offset as [`Record`] holds it (8 bytes, big-endian).
pub(crate) fn body_at(value: &[u8]) -> Option<u64> {
    Some(u64::from_be_bytes(value.try_into().ok()?))
}

pub(crate) fn id_key(tenant: &str, id: Uuid) -> Vec<u8> {
    let mut key = tenant_prefix(tenant);
    key.extend_from_slice(id.as_bytes());
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

    /// Reads the position from the last 20 bytes of `key` ([`StorePosition::to_bytes`]).
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
