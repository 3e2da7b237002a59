//! The document against itself and against the routes `routes/mod.rs` mounts: every
//! `/v1/` route documented and no other, references resolve, operation ids unique,
//! credentials required.

use super::mounted_routes::{mounted, normalized, Operation, METHODS};
use super::*;
use serde_json::Value;
use std::collections::BTreeSet;

fn document() -> Value {
    serde_json::from_str(json()).expect("the document is JSON")
}

fn documented(document: &Value) -> BTreeSet<Operation> {
    let paths = document["paths"].as_object().expect("paths");
    paths
        .iter()
        .flat_map(|(path, item)| {
            METHODS
                .iter()
                .filter(|method| item.get(**method).is_some())
                .map(|method| (method.to_uppercase(), normalized(path)))
        })
        .collect()
}

#[test]
fn the_document_is_openapi_3_1_titled_learnlog_with_basic_auth() {
    let document = document();
    assert_eq!(document["openapi"], "3.1.0");
    assert_eq!(document["info"]["title"], "learnlog");
    assert_eq!(document["info"]["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(
        document["components"]["securitySchemes"][BASIC],
        serde_json::json!({"type": "http", "scheme": "basic"})
    );
}

#[test]
fn every_v1_route_mounted_in_routes_mod_rs_is_documented_and_no_other() {
    let mounted: BTreeSet<Operation> = mounted(include_str!("../routes/mod.rs"))
        .into_iter()
        .filter(|(_, path)| path.starts_with("/v1/"))
        .collect();
    assert!(mounted.len() > 15, "read {mounted:?} from routes/mod.rs");
    let documented = documented(&document());
    let missing: Vec<_> = mounted.difference(&documented).collect();
    assert!(
        missing.is_empty(),
        "mounted but not in the document (annotate them and list them in ApiDoc): {missing:?}"
    );
    let unmounted: Vec<_> = documented.difference(&mounted).collect();
    assert!(
        unmounted.is_empty(),
        "documented but not mounted: {unmounted:?}"
    );
}

/// Every `$ref` string in `value`.
fn references(value: &Value, found: &mut Vec<String>) {
    match value {
        Value::Object(fields) => {
            for (name, field) in fields {
                match (name.as_str(), field) {
                    ("$ref", Value::String(target)) => found.push(target.clone()),
                    _ => references(field, found),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| references(item, found)),
        _ => {}
    }
}

#[test]
fn every_reference_resolves() {
    let document = document();
    let mut found = Vec::new();
    references(&document, &mut found);
    assert!(!found.is_empty());
    for target in found {
        let pointer = target
            .strip_prefix('#')
            .unwrap_or_else(|| panic!("{target} is not local"));
        assert!(
            document.pointer(pointer).is_some(),
            "{target} names nothing (list the type in components(schemas(...)))"
        );
    }
}

#[test]
fn operation_ids_are_unique() {
    let document = document();
    let mut seen = BTreeSet::new();
    for item in document["paths"].as_object().expect("paths").values() {
        for operation in item.as_object().expect("a path item").values() {
            let id = operation["operationId"].as_str().expect("an operationId");
            assert!(
                seen.insert(id.to_owned()),
                "operationId {id} is given twice"
            );
        }
    }
}

#[test]
fn every_operation_but_the_document_needs_basic_credentials_and_says_401() {
    let document = document();
    for (path, item) in document["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("a path item") {
            let name = format!("{method} {path}");
            if path == "/v1/openapi.json" {
                assert!(operation.get("security").is_none(), "{name}");
                continue;
            }
            assert_eq!(
                operation["security"],
                serde_json::json!([{BASIC: []}]),
                "{name}"
            );
            assert!(
                operation["responses"].get("401").is_some(),
                "{name} does not document 401"
            );
        }
    }
}
