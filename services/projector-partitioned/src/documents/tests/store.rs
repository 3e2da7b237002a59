//! Stored bytes, POST merges, deletes, listing with `since`, tenants and replay.

use super::*;
use std::time::Duration;

#[tokio::test]
async fn post_merges_top_level_keys_shallowly() {
    let store = Harness::new();
    store
        .write(&state(), "s", r#"{"a":1,"n":{"x":1,"y":2}}"#, plain)
        .await;
    assert_eq!(
        store
            .write(&state(), "s", r#"{"b":2,"n":{"z":3}}"#, merge)
            .await,
        Kind::Applied
    );
    assert_eq!(
        store.content(&state(), "s").unwrap(),
        r#"{"a":1,"n":{"z":3},"b":2}"#
    );
}

#[tokio::test]
async fn post_with_a_non_json_side_is_rejected_and_changes_nothing() {
    let store = Harness::new();
    store.write(&state(), "s", r#"{"a":1}"#, plain).await;
    assert_eq!(
        store
            .write(&state(), "s", "abc", |w| {
                w.merge = true;
                w.content_type = "application/x-www-form-urlencoded".into();
            })
            .await,
        Kind::Rejected
    );
    store
        .write(&state(), "bin", "\u{1}\u{2}", octet_stream)
        .await;
    assert_eq!(
        store.write(&state(), "bin", r#"{"a":1}"#, merge).await,
        Kind::Rejected
    );
    assert_eq!(
        store.write(&state(), "s", "{...}[", merge).await,
        Kind::Rejected
    );
    assert_eq!(store.content(&state(), "s").unwrap(), r#"{"a":1}"#);
    assert_eq!(store.content(&state(), "bin").unwrap(), "\u{1}\u{2}");
}

#[tokio::test]
async fn post_of_a_missing_document_stores_it_as_new() {
    let store = Harness::new();
    assert_eq!(
        store.write(&state(), "s", r#"{"a":1}"#, merge).await,
        Kind::Applied
    );
    assert_eq!(store.content(&state(), "s").unwrap(), r#"{"a":1}"#);
}

#[tokio::test]
async fn delete_with_a_stale_if_match_fails_and_without_one_removes() {
    let store = Harness::new();
    let set = activity_profile();
    store.write(&set, "p", "{}", create_only).await;
    assert_eq!(
        store.delete(&set, "p", Some("\"1234\"")).await,
        Kind::PreconditionFailed
    );
    assert!(store.content(&set, "p").is_some());
    assert_eq!(store.delete(&set, "p", None).await, Kind::Applied);
    assert_eq!(store.content(&set, "p"), None);
    assert_eq!(store.delete(&set, "p", None).await, Kind::Applied);
}

#[tokio::test]
async fn delete_all_removes_every_state_of_the_set_and_only_that_set() {
    let store = Harness::new();
    let other = DocumentSet::state(
        "http://example.org/a",
        "mbox:mailto:a@example.org",
        Some("6e3f8b4a-6c39-4e0e-9d8e-2b5d9e2f3a11"),
    );
    store.write(&state(), "one", "{}", plain).await;
    store.write(&state(), "two", "{}", plain).await;
    store.write(&other, "one", "{}", plain).await;
    assert_eq!(store.delete(&state(), "", None).await, Kind::Applied);
    assert!(store.reader.list(T, &state(), None).unwrap().is_empty());
    let left = store.reader.list(T, &other, None).unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].id, "one");
    // The set can be written again afterwards.
    store.write(&state(), "three", "{}", plain).await;
    let ids: Vec<String> = store
        .reader
        .list(T, &state(), None)
        .unwrap()
        .into_iter()
        .map(|s| s.id)
        .collect();
    assert_eq!(ids, ["three"]);
}

#[tokio::test]
async fn list_since_keeps_only_documents_updated_strictly_after() {
    let store = Harness::new();
    store.write(&state(), "early", "{}", plain).await;
    let later = DocumentWritten {
        kind: DocumentKind::State as i32,
        activity_id: state().activity_id,
        agent_key: state().agent_key,
        document_id: "late".into(),
        content_type: JSON.into(),
        content: b"{}".to_vec(),
        ..DocumentWritten::default()
    };
    store
        .append(&state(), 5_000, Event::DocumentWritten(later))
        .await;
    let since = |micros| -> Vec<String> {
        let found = store.reader.list(T, &state(), Some(micros)).unwrap();
        found.into_iter().map(|s| s.id).collect()
    };
    assert_eq!(since(999), ["early", "late"]);
    assert_eq!(since(1_000), ["late"]);
    assert!(since(5_000).is_empty());
}

#[tokio::test]
async fn replaying_the_log_from_zero_gives_the_same_trees() {
    let store = Harness::new();
    store.write(&state(), "s", r#"{"a":1}"#, plain).await;
    store.write(&state(), "s", r#"{"b":2}"#, merge).await;
    store.write(&state(), "t", "{}", plain).await;
    store.delete(&state(), "t", None).await;
    let replayed = store.fold.replay("replay");
    replayed.catch_up(Duration::from_secs(10)).await.unwrap();
    assert_eq!(
        replayed.digest().unwrap(),
        store.fold.projection.digest().unwrap()
    );
}

#[test]
fn log_keys_differ_by_set_and_tenant_and_hide_the_agent() {
    let a = state().log_key("x");
    assert_ne!(a, state().log_key("y"));
    assert_ne!(a, activity_profile().log_key("x"));
    assert!(!a.contains("example.org"));
}

#[tokio::test]
async fn tenants_do_not_see_each_other_documents() {
    let store = Harness::new();
    store.write(&state(), "s", r#"{"a":1}"#, plain).await;
    assert!(store.reader.get("other", &state(), "s").unwrap().is_none());
    assert!(store
        .reader
        .list("other", &state(), None)
        .unwrap()
        .is_empty());
}
