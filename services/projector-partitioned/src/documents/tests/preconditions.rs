//! The concurrency rules of xAPI Communication §3.1 Concurrency (which xAPI 2.0 extends
//! to state documents), as the fold decides them.

use super::*;

#[tokio::test]
async fn a_put_stores_the_bytes_with_a_quoted_sha1_etag_and_the_event_time() {
    let store = Harness::new();
    assert_eq!(
        store.write(&state(), "s", r#"{"a":1}"#, plain).await,
        Kind::Applied
    );
    let document = store.reader.get(T, &state(), "s").unwrap().unwrap();
    assert_eq!(document.content, br#"{"a":1}"#);
    assert_eq!(document.etag, etag(br#"{"a":1}"#));
    assert_eq!(document.etag.len(), 40);
    assert_eq!(document.updated_micros, 1_000);
}

#[tokio::test]
async fn if_match_with_the_current_etag_replaces_and_a_stale_one_fails_without_change() {
    let store = Harness::new();
    store.write(&state(), "s", r#"{"v":1}"#, plain).await;
    assert_eq!(
        store
            .write(&state(), "s", r#"{"v":2}"#, stale_if_match)
            .await,
        Kind::PreconditionFailed
    );
    assert_eq!(store.content(&state(), "s").unwrap(), r#"{"v":1}"#);
    let current = format!("W/\"{}\"", store.etag(&state(), "s"));
    let kind = store
        .write(&state(), "s", r#"{"v":3}"#, |write| {
            write.if_match = Some(current)
        })
        .await;
    assert_eq!(kind, Kind::Applied);
    assert_eq!(store.content(&state(), "s").unwrap(), r#"{"v":3}"#);
}

#[tokio::test]
async fn if_match_on_a_missing_document_fails() {
    let store = Harness::new();
    assert_eq!(
        store.write(&state(), "s", "{}", stale_if_match).await,
        Kind::PreconditionFailed
    );
    assert_eq!(store.content(&state(), "s"), None);
}

#[tokio::test]
async fn if_none_match_star_creates_once_and_then_fails() {
    let store = Harness::new();
    let set = activity_profile();
    assert_eq!(
        store.write(&set, "p", r#"{"v":1}"#, create_only).await,
        Kind::Applied
    );
    assert_eq!(
        store.write(&set, "p", r#"{"v":2}"#, create_only).await,
        Kind::PreconditionFailed
    );
    assert_eq!(store.content(&set, "p").unwrap(), r#"{"v":1}"#);
}

#[tokio::test]
async fn a_profile_put_without_preconditions_is_rejected_when_missing_and_conflicts_when_present() {
    let store = Harness::new();
    let set = activity_profile();
    assert_eq!(
        store.write(&set, "p", "{}", profile_put).await,
        Kind::Rejected
    );
    store.write(&set, "p", r#"{"v":1}"#, create_only).await;
    assert_eq!(
        store.write(&set, "p", r#"{"v":2}"#, profile_put).await,
        Kind::Conflict
    );
    assert_eq!(store.content(&set, "p").unwrap(), r#"{"v":1}"#);
}

#[tokio::test]
async fn a_2_0_state_put_without_preconditions_conflicts_only_with_an_existing_document() {
    let store = Harness::new();
    assert_eq!(
        store
            .write(&state(), "s", r#"{"v":1}"#, state_put_2_0)
            .await,
        Kind::Applied
    );
    assert_eq!(
        store
            .write(&state(), "s", r#"{"v":2}"#, state_put_2_0)
            .await,
        Kind::Conflict
    );
    // The 1.0.3 rule: the same PUT without the flag replaces.
    assert_eq!(
        store.write(&state(), "s", r#"{"v":3}"#, plain).await,
        Kind::Applied
    );
    assert_eq!(store.content(&state(), "s").unwrap(), r#"{"v":3}"#);
}

#[tokio::test]
async fn if_none_match_with_another_etag_lets_the_write_through() {
    let store = Harness::new();
    store.write(&state(), "s", r#"{"v":1}"#, plain).await;
    let current = store.etag(&state(), "s");
    assert_eq!(
        store
            .write(&state(), "s", r#"{"v":2}"#, |w| {
                w.if_none_match = Some("\"0000\"".into())
            })
            .await,
        Kind::Applied
    );
    assert_eq!(
        store
            .write(&state(), "s", r#"{"v":3}"#, move |w| {
                w.if_none_match = Some(format!("\"{current}\", \"abcd\""))
            })
            .await,
        Kind::Applied,
        "the ETag of {{\"v\":1}} no longer matches"
    );
    let now = store.etag(&state(), "s");
    assert_eq!(
        store
            .write(&state(), "s", r#"{"v":4}"#, move |w| {
                w.if_none_match = Some(format!("\"abcd\", W/\"{now}\""))
            })
            .await,
        Kind::PreconditionFailed
    );
    assert_eq!(store.content(&state(), "s").unwrap(), r#"{"v":3}"#);
}
