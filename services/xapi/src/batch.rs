//! Request bodies: strict JSON parsing (UTF-8, no duplicate keys) and batches
//! of statements (one object or a non-empty array, ids unique in the batch).

use std::collections::{HashMap, HashSet};
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use crate::error::{Result, ValidationError};
use crate::formats::parse_uuid;
use crate::path::At;
use crate::statement::validate_statement_at;
use crate::version::XapiVersion;

/// Parses a request body that holds one Statement object or an array of
/// Statements, and validates every statement for `version`.
///
/// The body must be UTF-8 JSON without duplicate object keys (otherwise an
/// error at `$`). An empty array, or two statements with the same `id`, are
/// errors. Each statement is returned exactly as received: key order and
/// number text are preserved. Error paths are relative to the statement for a
/// single object and start with `statements[i]` for an array.
pub fn parse_statement_batch(body: &[u8], version: XapiVersion) -> Result<Vec<Value>> {
    let document = parse_json(body).map_err(|rule| ValidationError::new("$", rule))?;
    match document {
        Value::Object(_) => {
            validate_statement_at(&document, &At::root(""), version)?;
            Ok(vec![document])
        }
        Value::Array(statements) => {
            if statements.is_empty() {
                return Err(ValidationError::new(
                    "$",
                    "must contain at least one statement",
                ));
            }
            let root = At::root("statements");
            let mut seen: HashMap<uuid::Uuid, usize> = HashMap::new();
            for (i, statement) in statements.iter().enumerate() {
                let at = root.index(i);
                validate_statement_at(statement, &at, version)?;
                let id = statement
                    .get("id")
                    .and_then(Value::as_str)
                    .and_then(parse_uuid);
                if let Some(id) = id {
                    if let Some(first) = seen.insert(id, i) {
                        return Err(at
                            .key("id")
                            .error(format!("duplicates the id of statements[{first}]")));
                    }
                }
            }
            Ok(statements)
        }
        _ => Err(ValidationError::new(
            "$",
            "must be a statement object or an array of statements",
        )),
    }
}

/// Parses strict JSON: valid UTF-8 throughout, no duplicate keys in any object.
pub(crate) fn parse_json(body: &[u8]) -> std::result::Result<Value, String> {
    std::str::from_utf8(body).map_err(|_| "must be valid utf-8".to_string())?;
    serde_json::from_slice::<UniqueKeys>(body)
        .map_err(|error| format!("must be valid json without duplicate keys ({error})"))?;
    serde_json::from_slice(body).map_err(|error| format!("must be valid json ({error})"))
}

/// A deserialization target that accepts any JSON but fails on an object with
/// a repeated key.
struct UniqueKeys;

impl<'de> Deserialize<'de> for UniqueKeys {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        deserializer.deserialize_any(UniqueKeysVisitor)
    }
}

struct UniqueKeysVisitor;

impl<'de> Visitor<'de> for UniqueKeysVisitor {
    type Value = UniqueKeys;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any json value")
    }

    fn visit_bool<E>(self, _: bool) -> std::result::Result<UniqueKeys, E> {
        Ok(UniqueKeys)
    }
    fn visit_i64<E>(self, _: i64) -> std::result::Result<UniqueKeys, E> {
        Ok(UniqueKeys)
    }
    fn visit_u64<E>(self, _: u64) -> std::result::Result<UniqueKeys, E> {
        Ok(UniqueKeys)
    }
    fn visit_f64<E>(self, _: f64) -> std::result::Result<UniqueKeys, E> {
        Ok(UniqueKeys)
    }
    fn visit_str<E>(self, _: &str) -> std::result::Result<UniqueKeys, E> {
        Ok(UniqueKeys)
    }
    fn visit_unit<E>(self) -> std::result::Result<UniqueKeys, E> {
        Ok(UniqueKeys)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<UniqueKeys, A::Error> {
        while seq.next_element::<UniqueKeys>()?.is_some() {}
        Ok(UniqueKeys)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<UniqueKeys, A::Error> {
        let mut keys = HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            map.next_value::<UniqueKeys>()?;
            if !keys.insert(key.clone()) {
                return Err(de::Error::custom(format!("duplicate key {key:?}")));
            }
        }
        Ok(UniqueKeys)
    }
}
