//! A fold running over a real embedded log in a temporary directory: the harness of
//! this crate's given/when/then tests.

use futures::future::BoxFuture;
use learnlog_log::{
    EmbeddedOptions, EventLog, LogBackend, LogStats, Position, Record, StoredRecord,
};
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
        Self::over(fold, topic, partitions, Reads::InPlace)
    }

    /// A harness over a log that reads only in batches from an offset on, as Kafka
    /// does: folds that would read events back in place keep copies instead.
    pub fn reading_in_batches(fold: Arc<dyn Fold>, topic: &'static str) -> Self {
        Self::over(fold, topic, 3, Reads::InBatches)
    }

    fn over(fold: Arc<dyn Fold>, topic: &'static str, partitions: u32, reads: Reads) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let options = EmbeddedOptions {
            fsync: false,
            ..EmbeddedOptions::default()
        };
        let log = EventLog::open_embedded(&dir.path().join("log"), options).unwrap();
        let log = match reads {
            Reads::InPlace => log,
            Reads::InBatches => EventLog::with_backend(Arc::new(InBatches(log))),
        };
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

/// How the harness's log reads.
enum Reads {
    /// As the embedded log does: also one record in place.
    InPlace,
    /// Only in batches from an offset on, as Kafka does.
    InBatches,
}

/// The embedded log, reading only as Kafka reads.
struct InBatches(EventLog);

impl LogBackend for InBatches {
    fn describe(&self) -> String {
        format!("{:?}, read in batches", self.0)
    }
    fn ensure_topic(&self, topic: &str, partitions: u32) -> learnlog_log::Result<()> {
        self.0.ensure_topic(topic, partitions)
    }
    fn partition_count(&self, topic: &str) -> learnlog_log::Result<u32> {
        self.0.partition_count(topic)
    }
    fn append<'a>(
        &'a self,
        topic: &'a str,
        records: Vec<Record>,
    ) -> BoxFuture<'a, learnlog_log::Result<Vec<Position>>> {
        Box::pin(self.0.append(topic, records))
    }
    fn read<'a>(
        &'a self,
        topic: &'a str,
        partition: u32,
        from: u64,
        max_records: usize,
        max_bytes: usize,
    ) -> BoxFuture<'a, learnlog_log::Result<Vec<StoredRecord>>> {
        Box::pin(self.0.read(topic, partition, from, max_records, max_bytes))
    }
    fn high_watermark(&self, topic: &str, partition: u32) -> learnlog_log::Result<u64> {
        self.0.high_watermark(topic, partition)
    }
    fn wait_for_offset<'a>(
        &'a self,
        topic: &'a str,
        partition: u32,
        offset: u64,
        timeout: Duration,
    ) -> BoxFuture<'a, learnlog_log::Result<u64>> {
        Box::pin(self.0.wait_for_offset(topic, partition, offset, timeout))
    }
    fn close(&self) -> BoxFuture<'_, learnlog_log::Result<()>> {
        Box::pin(self.0.close())
    }
    fn stats(&self) -> LogStats {
        self.0.stats()
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
