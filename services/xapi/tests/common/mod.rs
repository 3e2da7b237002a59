//! Shared helpers for the integration tests: a valid base statement, edits by
//! JSON pointer, and table runners that report every failing case.
#![allow(dead_code)]

use learnlog_xapi::{validate_statement, XapiVersion};
use serde_json::{json, Value};

/// A small valid statement.
pub fn base() -> Value {
    json!({
        "actor": {"objectType": "Agent", "name": "Ann", "mbox": "mailto:ann@example.com"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/attempted", "display": {"en-US": "attempted"}},
        "object": {"objectType": "Activity", "id": "http://example.com/activities/a"}
    })
}

/// A SubStatement object usable as a statement's `object`.
pub fn substatement() -> Value {
    json!({
        "objectType": "SubStatement",
        "actor": {"mbox": "mailto:sub@example.com"},
        "verb": {"id": "http://example.com/verbs/planned"},
        "object": {"id": "http://example.com/activities/b"}
    })
}

/// `base()` with the value at `pointer` set (intermediate objects created).
pub fn with(pointer: &str, value: Value) -> Value {
    let mut statement = base();
    set(&mut statement, pointer, value);
    statement
}

/// `base()` with the value at `pointer` removed.
pub fn without(pointer: &str) -> Value {
    let mut statement = base();
    remove(&mut statement, pointer);
    statement
}

/// Sets the value at a JSON pointer, creating objects on the way.
pub fn set(target: &mut Value, pointer: &str, value: Value) {
    let mut current = target;
    let parts: Vec<&str> = pointer.trim_start_matches('/').split('/').collect();
    let (last, parents) = parts.split_last().expect("non-empty pointer");
    for part in parents {
        current = match current {
            Value::Array(items) => &mut items[part.parse::<usize>().expect("index")],
            Value::Object(map) => map.entry(part.to_string()).or_insert_with(|| json!({})),
            _ => panic!("cannot descend into {part}"),
        };
    }
    match current {
        Value::Array(items) => items[last.parse::<usize>().expect("index")] = value,
        Value::Object(map) => {
            map.insert(last.to_string(), value);
        }
        _ => panic!("cannot set {last}"),
    }
}

/// Removes the value at a JSON pointer.
pub fn remove(target: &mut Value, pointer: &str) {
    let (parent, last) = pointer.rsplit_once('/').expect("pointer with a slash");
    if let Some(Value::Object(map)) = target.pointer_mut(parent) {
        map.remove(last);
    }
}

/// Asserts every statement is valid in `version`.
pub fn assert_accepted(cases: &[(&str, Value)], version: XapiVersion) {
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|(label, statement)| {
            validate_statement(statement, version)
                .err()
                .map(|e| format!("{label}: unexpectedly rejected ({e})"))
        })
        .collect();
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

/// Asserts every statement is rejected in `version`, with an error at the
/// expected path.
pub fn assert_rejected(cases: &[(&str, Value, &str)], version: XapiVersion) {
    let failures: Vec<String> = cases
        .iter()
        .filter_map(
            |(label, statement, path)| match validate_statement(statement, version) {
                Ok(()) => Some(format!("{label}: unexpectedly accepted")),
                Err(e) if e.path != *path => Some(format!(
                    "{label}: error at {} ({}), expected at {path}",
                    e.path, e.rule
                )),
                Err(_) => None,
            },
        )
        .collect();
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

/// Both versions.
pub const BOTH: [XapiVersion; 2] = [XapiVersion::V1_0_3, XapiVersion::V2_0_0];
