//! The stored form of a statement (§3.1 "On write"): what the LRS adds to an
//! accepted statement, and the one normalization it makes (contextActivities
//! values become arrays). Everything else stays exactly as received.

use serde_json::{Map, Value};

use crate::context::CONTEXT_ACTIVITY_KEYS;
use crate::timestamp::{format_timestamp, parse_timestamp};
use crate::version::XapiVersion;

/// What the LRS adds to a statement when it accepts it.
pub struct StoredFields<'a> {
    /// The id to give a statement that has none.
    pub id: uuid::Uuid,
    /// When the statement is stored; becomes `stored` (and `timestamp` if absent).
    pub stored: chrono::DateTime<chrono::Utc>,
    /// The authority assigned by the LRS; replaces any given one.
    pub authority: &'a Value,
    /// The negotiated version; gives the default `version` property.
    pub version: XapiVersion,
}

/// Mutates a validated statement into its stored form:
///
/// - `id` set to `fields.id` if absent, placed first;
/// - `stored` set to `fields.stored` (formatted by [`format_timestamp`]);
/// - `authority` replaced by `fields.authority`;
/// - `timestamp` set to the `stored` string if absent, otherwise converted to
///   UTC and formatted by [`format_timestamp`];
/// - `version` set to the version's default if absent (an existing value is
///   kept unchanged);
/// - contextActivities values normalized to arrays, also inside a SubStatement.
///
/// New keys other than `id` are appended at the end; existing keys keep their
/// position, and everything not listed keeps its exact bytes. A value that is
/// not an object is left alone.
pub fn prepare_for_storage(statement: &mut Value, fields: &StoredFields<'_>) {
    let Value::Object(map) = statement else {
        return;
    };
    if !map.contains_key("id") {
        let rest = std::mem::take(map);
        let mut with_id = Map::with_capacity(rest.len() + 4);
        with_id.insert("id".to_owned(), Value::String(fields.id.to_string()));
        with_id.extend(rest);
        *map = with_id;
    }
    let stored = format_timestamp(fields.stored);
    match map.get_mut("timestamp") {
        Some(Value::String(given)) => {
            if let Ok(instant) = parse_timestamp(given) {
                *given = format_timestamp(instant);
            }
        }
        Some(_) => {}
        None => {
            map.insert("timestamp".to_owned(), Value::String(stored.clone()));
        }
    }
    map.insert("stored".to_owned(), Value::String(stored));
    map.insert("authority".to_owned(), fields.authority.clone());
    if !map.contains_key("version") {
        let default = fields.version.default_statement_version();
        map.insert("version".to_owned(), Value::String(default.to_owned()));
    }
    normalize_context_activities(statement);
}

/// Turns every single-Activity contextActivities value into a one-element
/// array, in the statement's context and in a SubStatement object's context.
pub(crate) fn normalize_context_activities(statement: &mut Value) {
    normalize_in_context(statement.get_mut("context"));
    if let Some(object) = statement.get_mut("object") {
        if object.get("objectType").and_then(Value::as_str) == Some("SubStatement") {
            normalize_in_context(object.get_mut("context"));
        }
    }
}

fn normalize_in_context(context: Option<&mut Value>) {
    let Some(activities) = context
        .and_then(|c| c.get_mut("contextActivities"))
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    for key in CONTEXT_ACTIVITY_KEYS {
        if let Some(value) = activities.get_mut(key) {
            if value.is_object() {
                let single = value.take();
                *value = Value::Array(vec![single]);
            }
        }
    }
}
