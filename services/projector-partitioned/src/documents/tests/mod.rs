//! The document store folded from a real embedded log, given/when/then: the harness
//! and the writes every test uses. The concurrency rules of xAPI Communication §3.1 are in
//! `preconditions`, merges, deletes, listing and replay in `store`, erasing a learner's
//! documents in `erasure`.

use super::*;
use learnlog_projector::test_support::FoldHarness;
use learnlog_proto::v1::{DocumentDeleted, DocumentWritten};
use std::sync::Arc;

mod erasure;
mod preconditions;
mod store;

const JSON: &str = "application/json";
const T: &str = "district";

struct Harness {
    fold: FoldHarness,
    reader: DocumentReader,
    keys: Arc<LearnerKeys>,
    _keys_dir: tempfile::TempDir,
}

impl Harness {
    fn new() -> Self {
        let keys_dir = tempfile::tempdir().unwrap();
        let keys = Arc::new(LearnerKeys::open(keys_dir.path()).unwrap());
        let fold = FoldHarness::new(
            Arc::new(DocumentStore::new(keys.clone())),
            topics::DOCUMENTS,
        );
        let reader = DocumentReader::new(&fold.projection).unwrap();
        Self {
            fold,
            reader,
            keys,
            _keys_dir: keys_dir,
        }
    }

    async fn append(&self, set: &DocumentSet, at_micros: i64, event: Event) -> Kind {
        let position = self.fold.append(T, &set.log_key(T), at_micros, event).await;
        let outcome = self.fold.outcome(position);
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
