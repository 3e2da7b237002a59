//! The document store folded from a real embedded log, given/when/then, covering the
//! concurrency table of XAPI.md §4.

use super::*;
use learnlog_log::{EmbeddedOptions, EventLog, Record};
use learnlog_projection::{Projection, ProjectionOptions};
use learnlog_proto::v1::{DocumentDeleted, DocumentWritten};
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

const JSON: &str = "application/json";
const T: &str = "district";

struct Harness {
    _dir: tempfile::TempDir,
    log: EventLog,
    projection: Projection,
    reader: DocumentReader,
    cancel: CancellationToken,
}

impl Harness {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let options = EmbeddedOptions {
            fsync: false,
            ..EmbeddedOptions::default()
        };
        let log = EventLog::open_embedded(&dir.path().join("log"), options).unwrap();
        log.ensure_topic(topics::DOCUMENTS, 3).unwrap();
        let projection = Projection::open(
            &dir.path().join("store"),
            log.clone(),
            Arc::new(DocumentStore),
            ProjectionOptions::default(),
        )
        .unwrap();
        let cancel = CancellationToken::new();
        projection.run(cancel.clone()).detach_all();
        let reader = DocumentReader::new(projection.db()).unwrap();
        Self {
            _dir: dir,
            log,
            projection,
            reader,
            cancel,
        }
    }

    async fn append(&self, set: &DocumentSet, at_micros: i64, event: Event) -> Kind {
        let key = set.log_key(T);
        let envelope = Envelope {
            event_id: uuid::Uuid::new_v4().to_string(),
            tenant: T.into(),
            key: key.clone(),
            produced_at_micros: at_micros,
            event: Some(event),
        };
        let record = Record {
            key: key.into_bytes(),
            value: envelope.encode_to_vec(),
        };
        let position = self
            .log
            .append(topics::DOCUMENTS, vec![record])
            .await
            .unwrap()[0];
        let (partition, offset) = (position.partition, position.offset);
        self.projection
            .wait_folded(
                topics::DOCUMENTS,
                partition,
                offset,
                Duration::from_secs(10),
            )
            .await
            .unwrap();
        let outcome = self
            .projection
            .outcome(topics::DOCUMENTS, partition, offset)
            .unwrap()
            .expect("the fold records an outcome");
        let outcome = DocumentOutcome::decode(outcome.as_slice()).unwrap();
        Kind::try_from(outcome.kind).unwrap()
    }

    async fn write(
        &self,
        set: &DocumentSet,
        id: &str,
        body: &str,
        change: impl FnOnce(&mut DocumentWritten),
    ) -> Kind {
        let mut write = DocumentWritten {
            kind: set.kind as i32,
            activity_id: set.activity_id.clone(),
            agent_key: set.agent_key.clone(),
            registration: set.registration.clone(),
            document_id: id.into(),
            content_type: JSON.into(),
            content: body.as_bytes().to_vec(),
            ..DocumentWritten::default()
        };
        change(&mut write);
        self.append(set, 1_000, Event::DocumentWritten(write)).await
    }

    async fn delete(&self, set: &DocumentSet, id: &str, if_match: Option<&str>) -> Kind {
        let delete = DocumentDeleted {
            kind: set.kind as i32,
            activity_id: set.activity_id.clone(),
            agent_key: set.agent_key.clone(),
            registration: set.registration.clone(),
            document_id: id.into(),
            if_match: if_match.map(str::to_owned),
            if_none_match: None,
        };
        self.append(set, 2_000, Event::DocumentDeleted(delete))
            .await
    }

    fn content(&self, set: &DocumentSet, id: &str) -> Option<String> {
        let document = self.reader.get(T, set, id).unwrap()?;
        Some(String::from_utf8(document.content).unwrap())
    }

    fn etag(&self, set: &DocumentSet, id: &str) -> String {
        self.reader.get(T, set, id).unwrap().expect("stored").etag
    }
}

impl Drop for Harness {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

fn plain(_: &mut DocumentWritten) {}
fn merge(write: &mut DocumentWritten) {
    write.merge = true;
}
fn profile_put(write: &mut DocumentWritten) {
    write.precondition_required = true;
}
fn state_put_2_0(write: &mut DocumentWritten) {
    write.existing_needs_precondition = true;
}
fn create_only(write: &mut DocumentWritten) {
    write.if_none_match = Some("*".into());
}
fn stale_if_match(write: &mut DocumentWritten) {
    write.if_match = Some("\"1234\"".into());
}
fn octet_stream(write: &mut DocumentWritten) {
    write.content_type = "application/octet-stream".into();
}

fn state() -> DocumentSet {
    DocumentSet::state("http://example.org/a", "mbox:mailto:a@example.org", None)
}

fn activity_profile() -> DocumentSet {
    DocumentSet::activity_profile("http://example.org/a")
}

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
    let replayed = Projection::open(
        &store._dir.path().join("replay"),
        store.log.clone(),
        Arc::new(DocumentStore),
        ProjectionOptions::default(),
    )
    .unwrap();
    let cancel = CancellationToken::new();
    replayed.run(cancel.clone()).detach_all();
    replayed.catch_up(Duration::from_secs(10)).await.unwrap();
    store
        .projection
        .catch_up(Duration::from_secs(10))
        .await
        .unwrap();
    cancel.cancel();
    assert_eq!(
        replayed.digest().unwrap(),
        store.projection.digest().unwrap()
    );
}

#[test]
fn log_keys_differ_by_set_and_tenant_and_hide_the_agent() {
    let a = state().log_key("x");
    assert_ne!(a, state().log_key("y"));
    assert_ne!(a, activity_profile().log_key("x"));
    assert!(!a.contains("example.org"));
}
