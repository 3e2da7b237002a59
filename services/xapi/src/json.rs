//! JSON-level checks shared by every validator: strict objects (only the
//! allowed keys, no nulls), exact types, and the formatted-string, language map
//! and extensions checks, each reporting the path of the value it rejects.

use serde_json::{Map, Value};

use crate::error::Result;
use crate::formats;
use crate::path::At;
use crate::timestamp::parse_timestamp;

/// Checks that `value` is an object (`what` names it in the error) whose keys
/// are all in `allowed` (exact case) and whose values are not `null`.
pub(crate) fn strict_object<'v>(
    value: &'v Value,
    at: &At<'_>,
    what: &str,
    allowed: &[&str],
) -> Result<&'v Map<String, Value>> {
    let map = value
        .as_object()
        .ok_or_else(|| at.error(format!("must be {what} object")))?;
    for (key, field) in map {
        if !allowed.contains(&key.as_str()) {
            return Err(at
                .key(key)
                .error(format!("is not an allowed property of {what}")));
        }
        if field.is_null() {
            return Err(at.key(key).error("must not be null"));
        }
    }
    Ok(map)
}

/// The value of a required property.
pub(crate) fn required<'v>(
    map: &'v Map<String, Value>,
    at: &At<'_>,
    key: &str,
) -> Result<&'v Value> {
    map.get(key).ok_or_else(|| at.key(key).error("is required"))
}

pub(crate) fn string<'v>(value: &'v Value, at: &At<'_>) -> Result<&'v str> {
    value.as_str().ok_or_else(|| at.error("must be a string"))
}

pub(crate) fn boolean(value: &Value, at: &At<'_>) -> Result<bool> {
    value.as_bool().ok_or_else(|| at.error("must be a boolean"))
}

/// A JSON number, as an `f64` for range checks (the text itself is kept).
pub(crate) fn number(value: &Value, at: &At<'_>) -> Result<f64> {
    match value {
        Value::Number(n) => n
            .as_f64()
            .filter(|f| f.is_finite())
            .ok_or_else(|| at.error("must be a finite number")),
        _ => Err(at.error("must be a number")),
    }
}

pub(crate) fn array<'v>(value: &'v Value, at: &At<'_>) -> Result<&'v Vec<Value>> {
    value.as_array().ok_or_else(|| at.error("must be an array"))
}

/// An absolute IRI (or IRL) string.
pub(crate) fn iri<'v>(value: &'v Value, at: &At<'_>) -> Result<&'v str> {
    let text = string(value, at)?;
    if formats::is_iri(text) {
        Ok(text)
    } else {
        Err(at.error("must be an absolute iri with a scheme"))
    }
}

/// A hyphenated UUID string.
pub(crate) fn uuid(value: &Value, at: &At<'_>) -> Result<uuid::Uuid> {
    formats::parse_uuid(string(value, at)?)
        .ok_or_else(|| at.error("must be a uuid in the hyphenated 8-4-4-4-12 form"))
}

/// A timestamp string per §2.8.
pub(crate) fn timestamp(value: &Value, at: &At<'_>) -> Result<()> {
    parse_timestamp(string(value, at)?)
        .map(|_| ())
        .map_err(|_| at.error("must be an rfc 3339 timestamp with a non-negative-zero offset"))
}

/// An RFC 5646 language tag string.
pub(crate) fn language_tag(value: &Value, at: &At<'_>) -> Result<()> {
    if formats::is_language_tag(string(value, at)?) {
        Ok(())
    } else {
        Err(at.error("must be an rfc 5646 language tag"))
    }
}

/// A language map: keys are RFC 5646 tags, values are strings.
pub(crate) fn language_map(value: &Value, at: &At<'_>) -> Result<()> {
    let map = value
        .as_object()
        .ok_or_else(|| at.error("must be a language map object"))?;
    for (tag, text) in map {
        let here = at.key(tag);
        if !formats::is_language_tag(tag) {
            return Err(here.error("is not an rfc 5646 language tag"));
        }
        string(text, &here)?;
    }
    Ok(())
}

/// An extensions object: keys are IRIs, values are anything (null included).
pub(crate) fn extensions(value: &Value, at: &At<'_>) -> Result<()> {
    let map = value
        .as_object()
        .ok_or_else(|| at.error("must be an extensions object"))?;
    for key in map.keys() {
        if !formats::is_iri(key) {
            return Err(at.key(key).error("extension keys must be absolute iris"));
        }
    }
    Ok(())
}
