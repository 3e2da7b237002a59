//! Activities the statement store has seen, and their canonical definitions
//! (xAPI Communication §2.5 Activities Resource, and `format=canonical` of §2.1.3).
//!
//! Partitions fold concurrently, so definitions of one Activity id reach this tree in
//! an order that differs from run to run. To make the stored state independent of that
//! order, a definition is kept as *leaves* — one per language-map entry (`name`,
//! `description`), one per extension key, one per other property (`type`, `moreInfo`,
//! `interactionType`, `correctResponsesPattern`, each interaction component list) —
//! and each leaf keeps the value of the contributing occurrence with the greatest
//! [`Position`]. "Keep the greatest" is commutative and associative, so any arrival
//! order gives the same tree, and it is exactly what merging in `stored` order with
//! [`learnlog_xapi::merge_activity_definition`] gives: later text wins per language,
//! later values win for everything else.
//!
//! Tree `activities.definitions`: `tenant \0 id_len(u32 BE) id field \0 kind sub` ->
//! `stored_µs(8) partition(4) offset(8) occurrence(4)` then the leaf's JSON. `kind` is
//! `m` for an entry `sub` of a map property and `s` (with empty `sub`) for a whole
//! property.

use crate::statements::StorePosition;
use learnlog_projection::Projection;
use learnlog_projection::{FoldError, FoldTrees};
use learnlog_projector::{tenant_prefix, Error, Result};
use serde_json::{Map, Value};

pub(crate) const DEFINITIONS: &str = "activities.definitions";

/// Definition properties merged entry by entry.
const MAPS: [&str; 3] = ["name", "description", "extensions"];

/// Where a definition came from: the statement's `stored`, its log position, and the
/// Activity's place among the statement's Activities (later in a statement wins).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Position {
    stored_micros: i64,
    partition: u32,
    offset: u64,
    occurrence: u32,
}

const POSITION_LEN: usize = 8 + 4 + 8 + 4;

impl Position {
    // Fixed-width, not postcard: bytes `digest` hashes; postcard: 13 header bytes, not 24.
    fn encode(&self, json: &[u8]) -> Vec<u8> {
        let mut value = Vec::with_capacity(POSITION_LEN + json.len());
        value.extend_from_slice(&self.stored_micros.to_be_bytes());
        value.extend_from_slice(&self.partition.to_be_bytes());
        value.extend_from_slice(&self.offset.to_be_bytes());
        value.extend_from_slice(&self.occurrence.to_be_bytes());
        value.extend_from_slice(json);
        value
    }

    fn decode(value: &[u8]) -> Option<(Self, &[u8])> {
        let header = value.get(..POSITION_LEN)?;
        let position = Position {
            stored_micros: i64::from_be_bytes(header[0..8].try_into().ok()?),
            partition: u32::from_be_bytes(header[8..12].try_into().ok()?),
            offset: u64::from_be_bytes(header[12..20].try_into().ok()?),
            occurrence: u32::from_be_bytes(header[20..24].try_into().ok()?),
        };
        Some((position, &value[POSITION_LEN..]))
    }
}

fn id_prefix(tenant: &str, id: &str) -> Vec<u8> {
    let mut key = tenant_prefix(tenant);
    key.extend_from_slice(&(id.len() as u32).to_be_bytes());
    key.extend_from_slice(id.as_bytes());
    key
}

/// Records what an accepted statement tells about the Activities and Agents it
/// mentions. Called by the statement store inside its fold.
pub(crate) fn record_statement(
    trees: &FoldTrees<'_>,
    tenant: &str,
    statement: StorePosition,
    json: &Value,
) -> Result<(), FoldError> {
    let tree = trees.tree(DEFINITIONS);
    for (occurrence, activity) in learnlog_xapi::activities_in(json).into_iter().enumerate() {
        let (Some(id), Some(definition)) = (
            activity.get("id").and_then(Value::as_str),
            activity.get("definition").and_then(Value::as_object),
        ) else {
            continue;
        };
        let position = Position {
            stored_micros: statement.stored_micros,
            partition: statement.partition,
            offset: statement.offset,
            occurrence: occurrence as u32,
        };
        let prefix = id_prefix(tenant, id);
        for (leaf, value) in leaves(definition) {
            let mut key = prefix.clone();
            key.extend_from_slice(&leaf);
            let newer = match tree.get(&key)? {
                Some(existing) => Position::decode(&existing).is_none_or(|(at, _)| at < position),
                None => true,
            };
            if newer {
                let json = serde_json::to_vec(value)
                    .map_err(|error| FoldError::BadEvent(format!("definition: {error}")))?;
                tree.insert(key, position.encode(&json))?;
            }
        }
    }
    crate::agents::record(trees, tenant, json)
}

/// The leaves of a definition: `(field \0 kind sub, value)`.
fn leaves(definition: &Map<String, Value>) -> Vec<(Vec<u8>, &Value)> {
    let mut out = Vec::new();
    for (field, value) in definition {
        match value {
            Value::Object(entries) if MAPS.contains(&field.as_str()) => {
                for (sub, entry) in entries {
                    out.push((leaf_key(field, b'm', sub), entry));
                }
            }
            _ => out.push((leaf_key(field, b's', ""), value)),
        }
    }
    out
}

fn leaf_key(field: &str, kind: u8, sub: &str) -> Vec<u8> {
    let mut key = Vec::with_capacity(field.len() + 2 + sub.len());
    key.extend_from_slice(field.as_bytes());
    key.push(0);
    key.push(kind);
    key.extend_from_slice(sub.as_bytes());
    key
}

/// Reads canonical Activities. Cheap to clone.
#[derive(Clone)]
pub struct ActivityReader {
    definitions: learnlog_projection::StoreTree,
}

impl ActivityReader {
    /// A reader over the statement store projection's database.
    pub fn new(projection: &Projection) -> Result<Self> {
        Ok(Self {
            definitions: projection.tree(DEFINITIONS),
        })
    }

    /// The canonical Activity `{"objectType":"Activity","id","definition"}` merged from
    /// every stored statement that defined `id`; `None` when none did.
    pub fn canonical(&self, tenant: &str, id: &str) -> Result<Option<Value>> {
        let prefix = id_prefix(tenant, id);
        let mut definition = Map::new();
        for leaf in self.definitions.scan_prefix(&prefix) {
            let (key, value) = leaf?;
            let corrupt = || Error::Corrupt(format!("definition of activity {id}"));
            let leaf = std::str::from_utf8(&key[prefix.len()..]).map_err(|_| corrupt())?;
            let (field, rest) = leaf.split_once('\0').ok_or_else(corrupt)?;
            let (_, json) = Position::decode(&value).ok_or_else(corrupt)?;
            let json: Value = serde_json::from_slice(json).map_err(|_| corrupt())?;
            match rest.split_at_checked(1) {
                Some(("m", sub)) => {
                    let entries = definition
                        .entry(field)
                        .or_insert_with(|| Value::Object(Map::new()));
                    if let Value::Object(entries) = entries {
                        entries.insert(sub.to_owned(), json);
                    }
                }
                Some(("s", _)) => {
                    definition.insert(field.to_owned(), json);
                }
                _ => return Err(corrupt()),
            }
        }
        if definition.is_empty() {
            return Ok(None);
        }
        let mut incoming = Map::new();
        incoming.insert("id".into(), Value::from(id));
        incoming.insert("definition".into(), Value::Object(definition));
        Ok(Some(learnlog_xapi::merge_activity_definition(
            None,
            &Value::Object(incoming),
        )))
    }

    /// The canonical Activity for `id`, or `{"objectType":"Activity","id"}` when no
    /// stored statement defined it.
    pub fn activity(&self, tenant: &str, id: &str) -> Result<Value> {
        Ok(self
            .canonical(tenant, id)?
            .unwrap_or_else(|| learnlog_xapi::unknown_activity(id)))
    }
}
