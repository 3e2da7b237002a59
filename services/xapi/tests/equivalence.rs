//! Statement comparison for duplicate detection and signatures (§3.1, §3.7).

use learnlog_xapi::{statements_equivalent, statements_equivalent_with, Equivalence};
use serde_json::{json, Value};

fn statement() -> Value {
    serde_json::from_str(
        r#"{
        "id": "fd41c918-b88b-4b20-a0a5-a4c32391aaa0",
        "actor": {"mbox": "mailto:a@b.c", "name": "Ann"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/attempted"},
        "object": {"id": "http://example.com/a"},
        "result": {"duration": "P1DT12H36M0.1237S", "score": {"raw": 1.50}},
        "context": {"contextActivities": {"parent": {"id": "http://example.com/p"}}},
        "timestamp": "2023-05-04T12:00:00-05:00",
        "attachments": [{"usageType": "http://example.com/u", "display": {"en-US": "x"}, "contentType": "text/plain", "length": 1, "sha2": "495395e777cd98da653df9615d09c0fd6bb2f8d4788394cd53c56a3bfdcd848a"}]
    }"#,
    )
    .expect("json")
}

fn edited(edit: impl FnOnce(&mut Value)) -> Value {
    let mut s = statement();
    edit(&mut s);
    s
}

#[test]
fn statements_differing_only_in_ignored_ways_are_equivalent() {
    let other = serde_json::from_str::<Value>(
        r#"{
        "timestamp": "2023-05-04T17:00:00.000Z",
        "version": "1.0.0",
        "stored": "2024-01-01T00:00:00.000Z",
        "authority": {"mbox": "mailto:lrs@example.com"},
        "actor": {"name": "Ann", "mbox": "mailto:a@b.c"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/attempted"},
        "object": {"id": "http://example.com/a"},
        "result": {"score": {"raw": 1.5}, "duration": "P1DT12H36M0.12S"},
        "context": {"contextActivities": {"parent": [{"id": "http://example.com/p"}]}},
        "attachments": [{"usageType": "http://example.com/u", "display": {"en-US": "x"}, "contentType": "text/plain", "length": 1, "sha2": "495395e777cd98da653df9615d09c0fd6bb2f8d4788394cd53c56a3bfdcd848a"}]
    }"#,
    )
    .expect("json");
    assert!(statements_equivalent(&statement(), &other));
    assert!(statements_equivalent(&other, &statement()));
    assert!(statements_equivalent(&statement(), &statement()));
}

#[test]
fn statements_differing_in_a_real_field_are_not_equivalent() {
    let changes: Vec<(&str, Value)> = vec![
        (
            "actor",
            edited(|s| s["actor"]["mbox"] = json!("mailto:z@b.c")),
        ),
        ("actor name", edited(|s| s["actor"]["name"] = json!("Bob"))),
        (
            "verb",
            edited(|s| s["verb"]["id"] = json!("http://example.com/v")),
        ),
        (
            "timestamp instant",
            edited(|s| s["timestamp"] = json!("2023-05-04T12:00:00.001-05:00")),
        ),
        (
            "duration",
            edited(|s| s["result"]["duration"] = json!("P1DT12H36M0.13S")),
        ),
        ("score", edited(|s| s["result"]["score"]["raw"] = json!(2))),
        (
            "extra result field",
            edited(|s| s["result"]["success"] = json!(true)),
        ),
        (
            "missing context",
            edited(|s| {
                s.as_object_mut().map(|m| m.remove("context"));
            }),
        ),
        (
            "two parents",
            edited(|s| {
                s["context"]["contextActivities"]["parent"] =
                    json!([{"id": "http://example.com/p"}, {"id": "http://example.com/q"}])
            }),
        ),
        ("attachments", edited(|s| s["attachments"] = json!([]))),
    ];
    for (label, changed) in changes {
        assert!(!statements_equivalent(&statement(), &changed), "{label}");
    }
}

#[test]
fn the_signature_comparison_can_ignore_attachments() {
    let without = edited(|s| {
        s.as_object_mut().map(|m| m.remove("attachments"));
    });
    assert!(!statements_equivalent(&statement(), &without));
    let options = Equivalence {
        ignore_attachments: true,
    };
    assert!(statements_equivalent_with(&statement(), &without, options));
}

#[test]
fn substatement_timestamps_and_context_activities_are_normalized_too() {
    let sub = |timestamp: &str, parent: Value| {
        json!({"actor": {"mbox": "mailto:a@b.c"}, "verb": {"id": "http://x.y/v"}, "object": {
            "objectType": "SubStatement", "actor": {"mbox": "mailto:a@b.c"}, "verb": {"id": "http://x.y/v"},
            "object": {"id": "http://x.y/a"}, "timestamp": timestamp,
            "context": {"contextActivities": {"parent": parent}}
        }})
    };
    let a = sub("2023-05-04T12:00:00-05:00", json!({"id": "http://x.y/p"}));
    let b = sub("2023-05-04T17:00:00Z", json!([{"id": "http://x.y/p"}]));
    assert!(statements_equivalent(&a, &b));
}

#[test]
fn timestamps_filled_in_by_the_lrs_are_not_compared() {
    let stored = |timestamp: Option<&str>, stored: &str| {
        let mut s = statement();
        let map = s.as_object_mut().expect("object");
        map.remove("timestamp");
        if let Some(timestamp) = timestamp {
            map.insert("timestamp".into(), json!(timestamp));
        }
        map.insert("stored".into(), json!(stored));
        s
    };
    let first = stored(Some("2024-01-01T00:00:00.000Z"), "2024-01-01T00:00:00.000Z");
    let retry = stored(Some("2024-02-02T00:00:00.000Z"), "2024-02-02T00:00:00.000Z");
    let bare = stored(None, "2024-03-03T00:00:00.000Z");
    let explicit = stored(Some("2023-05-04T17:00:00Z"), "2024-02-02T00:00:00.000Z");
    assert!(statements_equivalent(&first, &retry));
    assert!(statements_equivalent(&first, &bare));
    assert!(!statements_equivalent(&first, &explicit));
    assert!(!statements_equivalent(&bare, &explicit));
}
