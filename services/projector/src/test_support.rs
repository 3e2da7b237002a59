//! A fold running over a real embedded log in a temporary directory: the harness of
//! this crate's given/when/then tests.

use learnlog_log::{EmbeddedOptions, EventLog, Position, Record};
use learnlog_projection::{Fold, Projection, ProjectionOptions};
use learnlog_proto::v1::{envelope::Event, Envelope};
use learnlog_proto::Message;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// A running projection of one fold, over a log with one topic (three partitions
/// unless told otherwise).
pub struct FoldHarness {
    pub dir: tempfile::TempDir,
    pub log: EventLog,
    pub projection: Projection,
    pub cancel: CancellationToken,
    fold: Arc<dyn Fold>,
    topic: &'static str,
}

impl FoldHarness {
    pub fn new(fold: Arc<dyn Fold>, topic: &'static str) -> Self {
        Self::with_partitions(fold, topic, 3)
    }

    /// A harness whose topic (and the fold's other topics) has `partitions` partitions
    /// (1 for folds that rely on one total order, such as frameworks).
    pub fn with_partitions(fold: Arc<dyn Fold>, topic: &'static str, partitions: u32) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let options = EmbeddedOptions {
            fsync: false,
            ..EmbeddedOptions::default()
        };
        let log = EventLog::open_embedded(&dir.path().join("log"), options).unwrap();
        log.ensure_topic(topic, partitions).unwrap();
        // the fold's other topics, empty
        for other in fold.topics() {
            log.ensure_topic(other, partitions).unwrap();
        }
        let cancel = CancellationToken::new();
        let projection = run_projection(&dir.path().join("store"), &log, &fold, &cancel);
        Self {
            dir,
            log,
            projection,
            cancel,
            fold,
            topic,
        }
    }

    /// A second projection of the same fold in `name`, folding the same log from zero.
    pub fn replay(&self, name: &str) -> Projection {
        run_projection(
            &self.dir.path().join(name),
            &self.log,
            &self.fold,
            &self.cancel,
        )
    }

    /// Appends one event under `key` and waits until it is folded.
    pub async fn append(&self, tenant: &str, key: &str, at_micros: i64, event: Event) -> Position {
        let envelope = Envelope {
            event_id: uuid::Uuid::new_v4().to_string(),
            tenant: tenant.into(),
            key: key.into(),
            produced_at_micros: at_micros,
            event: Some(event),
        };
        self.append_envelope(envelope).await
    }

    /// Appends `envelope` under its key and waits until it is folded.
    pub async fn append_envelope(&self, envelope: Envelope) -> Position {
        let record = Record {
            key: envelope.key.as_bytes().to_vec(),
            value: envelope.encode_to_vec(),
        };
        let position = self.log.append(self.topic, vec![record]).await.unwrap()[0];
        self.projection
            .wait_folded(
                self.topic,
                position.partition,
                position.offset,
                Duration::from_secs(10),
            )
            .await
            .unwrap();
        position
    }

    /// The outcome the fold recorded at `position`.
    pub fn outcome(&self, position: Position) -> Vec<u8> {
        self.projection
            .outcome(self.topic, position.partition, position.offset)
            .unwrap()
            .expect("the fold records an outcome")
    }
}

impl Drop for FoldHarness {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

fn run_projection(
    dir: &Path,
    log: &EventLog,
    fold: &Arc<dyn Fold>,
    cancel: &CancellationToken,
) -> Projection {
    let projection =
        Projection::open(dir, log.clone(), fold.clone(), ProjectionOptions::default()).unwrap();
    projection.run(cancel.clone()).detach_all();
    projection
}
