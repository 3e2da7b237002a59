//! The stored form (§3.1 "On write") and statement identity helpers.

use chrono::{TimeZone, Utc};
use learnlog_xapi::{prepare_for_storage, statement_id, StoredFields, XapiVersion};
use serde_json::{json, Value};
use uuid::Uuid;

const ID: &str = "fd41c918-b88b-4b20-a0a5-a4c32391aaa0";

fn prepare(text: &str, version: XapiVersion) -> String {
    let mut statement: Value = serde_json::from_str(text).expect("json");
    let authority = json!({"objectType": "Agent", "account": {"homePage": "http://lrs.example.com", "name": "key"}});
    let fields = StoredFields {
        id: Uuid::parse_str(ID).expect("uuid"),
        stored: Utc.with_ymd_and_hms(2024, 1, 2, 3, 4, 5).unwrap()
            + chrono::Duration::microseconds(678_901),
        authority: &authority,
        version,
    };
    prepare_for_storage(&mut statement, &fields);
    serde_json::to_string(&statement).expect("serializes")
}

const AUTHORITY: &str = r#""authority":{"objectType":"Agent","account":{"homePage":"http://lrs.example.com","name":"key"}}"#;

#[test]
fn id_goes_first_and_added_fields_are_appended_in_order() {
    let input = r#"{"actor":{"mbox":"mailto:a@b.c"},"verb":{"id":"http://x.y/v"},"object":{"id":"http://x.y/a"},"result":{"score":{"raw":12.125,"scaled":-1.0000,"min":0.12123434,"max":45.450}}}"#;
    let expected = format!(
        r#"{{"id":"{ID}","actor":{{"mbox":"mailto:a@b.c"}},"verb":{{"id":"http://x.y/v"}},"object":{{"id":"http://x.y/a"}},"result":{{"score":{{"raw":12.125,"scaled":-1.0000,"min":0.12123434,"max":45.450}}}},"timestamp":"2024-01-02T03:04:05.678Z","stored":"2024-01-02T03:04:05.678Z",{AUTHORITY},"version":"1.0.0"}}"#
    );
    assert_eq!(prepare(input, XapiVersion::V1_0_3), expected);
}

#[test]
fn existing_keys_keep_their_position_and_version_is_kept() {
    let input = r#"{"version":"1.0.3","stored":"2000-01-01T00:00:00Z","authority":{"mbox":"mailto:x@y.z"},"id":"FD41C918-B88B-4B20-A0A5-A4C32391AAA0","timestamp":"2023-05-04T12:00:00-05:00","actor":{"mbox":"mailto:a@b.c"}}"#;
    let expected = format!(
        r#"{{"version":"1.0.3","stored":"2024-01-02T03:04:05.678Z",{AUTHORITY},"id":"FD41C918-B88B-4B20-A0A5-A4C32391AAA0","timestamp":"2023-05-04T17:00:00.000Z","actor":{{"mbox":"mailto:a@b.c"}}}}"#
    );
    assert_eq!(prepare(input, XapiVersion::V2_0_0), expected);
}

#[test]
fn missing_version_defaults_to_the_negotiated_family() {
    let out = prepare(
        r#"{"id":"fd41c918-b88b-4b20-a0a5-a4c32391aaa0"}"#,
        XapiVersion::V2_0_0,
    );
    assert!(out.ends_with(r#""version":"2.0.0"}"#), "{out}");
}

#[test]
fn context_activities_become_arrays_also_inside_substatements() {
    let input = r#"{"id":"fd41c918-b88b-4b20-a0a5-a4c32391aaa0","object":{"objectType":"SubStatement","context":{"contextActivities":{"parent":{"id":"http://x.y/p"},"other":[{"id":"http://x.y/o"}]}}},"context":{"contextActivities":{"grouping":{"id":"http://x.y/g"},"category":[]}}}"#;
    let out: Value = serde_json::from_str(&prepare(input, XapiVersion::V1_0_3)).expect("json");
    assert_eq!(
        out["context"]["contextActivities"],
        json!({"grouping": [{"id": "http://x.y/g"}], "category": []})
    );
    assert_eq!(
        out["object"]["context"]["contextActivities"],
        json!({"parent": [{"id": "http://x.y/p"}], "other": [{"id": "http://x.y/o"}]})
    );
}

#[test]
fn context_activities_in_a_non_substatement_object_are_left_alone() {
    let input = r#"{"id":"fd41c918-b88b-4b20-a0a5-a4c32391aaa0","object":{"id":"http://x.y/a","context":{"contextActivities":{"parent":{"id":"http://x.y/p"}}}}}"#;
    let out: Value = serde_json::from_str(&prepare(input, XapiVersion::V1_0_3)).expect("json");
    assert!(out["object"]["context"]["contextActivities"]["parent"].is_object());
}

#[test]
fn statement_id_reads_only_hyphenated_uuids() {
    assert_eq!(statement_id(&json!({"id": ID})), Uuid::parse_str(ID).ok());
    assert_eq!(
        statement_id(&json!({"id": "fd41c918b88b4b20a0a5a4c32391aaa0"})),
        None
    );
    assert_eq!(statement_id(&json!({"id": 5})), None);
    assert_eq!(statement_id(&json!({})), None);
    assert_eq!(statement_id(&json!([])), None);
}
