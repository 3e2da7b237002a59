//! The document store folded from a real embedded log, given/when/then: the harness
//! and the writes every test uses. The concurrency table of XAPI.md §4 is in
//! `preconditions`, merges, deletes, listing and replay in `store`.

use super::*;
use learnlog_log::{EmbeddedOptions, EventLog, Record};
use learnlog_projection::{Projection, ProjectionOptions};
use learnlog_proto::v1::{DocumentDeleted, DocumentWritten};
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

mod preconditions;
mod store;

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
