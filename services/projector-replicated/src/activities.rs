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
//! Tree `activities.definitions`: `tenant \0 id_len(u32 BE) id` -> the Activity's
//! leaves in key order, each `leaf_len(u32 BE) field \0 kind sub
//! stored_µs(8) partition(4) offset(8) occurrence(4) json_len(u32 BE) json`. `kind` is
//! `m` for an entry `sub` of a map property and `s` (with empty `sub`) for a whole
//! property. One key per Activity, so a statement naming an Activity reads and writes
//! one key, not one per leaf.

use crate::statements::StorePosition;
use learnlog_projection::Projection;
use learnlog_projection::{FoldError, FoldTrees};
use learnlog_projector::{tenant_prefix, Error, Result};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

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

/// An Activity's leaves: leaf key -> the greatest contributing position and its JSON.
#[derive(Default)]
struct Leaves(BTreeMap<Vec<u8>, (Position, Vec<u8>)>);

impl Leaves {
    // Encoded by hand, not with postcard: these are bytes `digest` hashes. Leaves go in
    // key order, so equal leaves give equal bytes.
    fn encode(&self) -> Vec<u8> {
        let mut value = Vec::new();
        for (leaf, (at, json)) in &self.0 {
            value.extend_from_slice(&(leaf.len() as u32).to_be_bytes());
            value.extend_from_slice(leaf);
            value.extend_from_slice(&at.stored_micros.to_be_bytes());
            value.extend_from_slice(&at.partition.to_be_bytes());
            value.extend_from_slice(&at.offset.to_be_bytes());
            value.extend_from_slice(&at.occurrence.to_be_bytes());
            value.extend_from_slice(&(json.len() as u32).to_be_bytes());
            value.extend_from_slice(json);
        }
        value
    }

    fn decode(mut value: &[u8]) -> Option<Self> {
        fn take<'a>(value: &mut &'a [u8], len: usize) -> Option<&'a [u8]> {
            let (head, rest) = value.split_at_checked(len)?;
            *value = rest;
            Some(head)
        }
        fn number<const N: usize>(value: &mut &[u8]) -> Option<[u8; N]> {
            take(value, N)?.try_into().ok()
        }
        let mut leaves = BTreeMap::new();
        while !value.is_empty() {
            let len = u32::from_be_bytes(number(&mut value)?) as usize;
            let leaf = take(&mut value, len)?.to_vec();
            let at = Position {
                stored_micros: i64::from_be_bytes(number(&mut value)?),
                partition: u32::from_be_bytes(number(&mut value)?),
                offset: u64::from_be_bytes(number(&mut value)?),
                occurrence: u32::from_be_bytes(number(&mut value)?),
            };
            let len = u32::from_be_bytes(number(&mut value)?) as usize;
            let json = take(&mut value, len)?.to_vec();
            leaves.insert(leaf, (at, json));
        }
        Some(Self(leaves))
    }
}

fn activity_key(tenant: &str, id: &str) -> Vec<u8> {
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
        let key = activity_key(tenant, id);
        // an undecodable value (none is written) is replaced, as a missing one
        let mut stored = (tree.get(&key)?)
            .and_then(|value| Leaves::decode(&value))
            .unwrap_or_default();
        let mut changed = false;
        for (leaf, value) in leaves(definition) {
            if stored.0.get(&leaf).is_some_and(|(at, _)| *at >= position) {
                continue;
            }
            let json = serde_json::to_vec(value)
                .map_err(|error| FoldError::BadEvent(format!("definition: {error}")))?;
            stored.0.insert(leaf, (position, json));
            changed = true;
        }
        if changed {
            tree.insert(key, stored.encode())?;
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
        let corrupt = || Error::Corrupt(format!("definition of activity {id}"));
        let Some(value) = self.definitions.get(activity_key(tenant, id))? else {
            return Ok(None);
        };
        let mut definition = Map::new();
        for (leaf, (_, json)) in Leaves::decode(&value).ok_or_else(corrupt)?.0 {
            let leaf = std::str::from_utf8(&leaf).map_err(|_| corrupt())?;
            let (field, rest) = leaf.split_once('\0').ok_or_else(corrupt)?;
            let json: Value = serde_json::from_slice(&json).map_err(|_| corrupt())?;
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

#[cfg(test)]
mod tests {
    use super::*;

    fn at(stored_micros: i64, occurrence: u32) -> Position {
        Position {
            stored_micros,
            partition: 3,
            offset: 7,
            occurrence,
        }
    }

    #[test]
    fn leaves_round_trip_in_key_order_and_truncated_bytes_do_not_decode() {
        let mut leaves = Leaves::default();
        leaves
            .0
            .insert(leaf_key("type", b's', ""), (at(2, 0), b"\"t\"".to_vec()));
        leaves
            .0
            .insert(leaf_key("name", b'm', "en"), (at(1, 1), b"\"n\"".to_vec()));
        let bytes = leaves.encode();
        let name_first = bytes.windows(4).position(|w| w == b"name").unwrap();
        let type_after = bytes.windows(4).position(|w| w == b"type").unwrap();
        assert!(name_first < type_after, "leaves are written in key order");

        let decoded = Leaves::decode(&bytes).unwrap();
        assert_eq!(decoded.encode(), bytes);
        assert_eq!(
            decoded.0[&leaf_key("name", b'm', "en")],
            (at(1, 1), b"\"n\"".to_vec())
        );
        assert!(Leaves::decode(&bytes[..bytes.len() - 1]).is_none());
        assert!(Leaves::decode(&[]).unwrap().0.is_empty());
    }
}
