//! A caught-up folding task waits without asking the log anything else: on Kafka every
//! read at a partition's end and every watermark is a request to the broker, and one
//! folding task per projection and partition asking twice per idle poll kept a broker
//! busy while nothing happened.

use futures::future::BoxFuture;
use learnlog_log::{
    EmbeddedOptions, EventLog, LogBackend, LogStats, Position, Record, Result, StoredRecord,
};
use learnlog_projection::{Fold, FoldError, FoldTrees, Folded, Projection, ProjectionOptions};
use learnlog_proto::v1::Envelope;
use learnlog_proto::Message;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

const TOPIC: &str = "events";

/// The embedded log, counting the reads and watermark requests made of it.
struct Counting {
    inner: EventLog,
    reads: AtomicU64,
    watermarks: AtomicU64,
}

impl Counting {
    fn asked(&self) -> (u64, u64) {
        (
            self.reads.load(Ordering::SeqCst),
            self.watermarks.load(Ordering::SeqCst),
        )
    }
}

impl LogBackend for Counting {
    fn describe(&self) -> String {
        format!("counting {:?}", self.inner)
    }
    fn ensure_topic(&self, topic: &str, partitions: u32) -> Result<()> {
        self.inner.ensure_topic(topic, partitions)
    }
    fn partition_count(&self, topic: &str) -> Result<u32> {
        self.inner.partition_count(topic)
    }
    fn append<'a>(
        &'a self,
        topic: &'a str,
        records: Vec<Record>,
    ) -> BoxFuture<'a, Result<Vec<Position>>> {
        Box::pin(self.inner.append(topic, records))
    }
    fn read<'a>(
        &'a self,
        topic: &'a str,
        partition: u32,
        from: u64,
        max_records: usize,
        max_bytes: usize,
    ) -> BoxFuture<'a, Result<Vec<StoredRecord>>> {
        self.reads.fetch_add(1, Ordering::SeqCst);
        Box::pin(
            self.inner
                .read(topic, partition, from, max_records, max_bytes),
        )
    }
    fn high_watermark(&self, topic: &str, partition: u32) -> Result<u64> {
        self.watermarks.fetch_add(1, Ordering::SeqCst);
        self.inner.high_watermark(topic, partition)
    }
    fn wait_for_offset<'a>(
        &'a self,
        topic: &'a str,
        partition: u32,
        offset: u64,
        timeout: Duration,
    ) -> BoxFuture<'a, Result<u64>> {
        Box::pin(
            self.inner
                .wait_for_offset(topic, partition, offset, timeout),
        )
    }
    fn close(&self) -> BoxFuture<'_, Result<()>> {
        Box::pin(self.inner.close())
    }
    fn stats(&self) -> LogStats {
        self.inner.stats()
    }
}

/// Folds nothing: only the folding task's requests matter here.
struct Nothing;

impl Fold for Nothing {
    fn name(&self) -> &'static str {
        "nothing"
    }
    fn topics(&self) -> &'static [&'static str] {
        &[TOPIC]
    }
    fn trees(&self) -> &'static [&'static str] {
        &[]
    }
    fn apply(
        &self,
        _trees: &FoldTrees<'_>,
        _topic: &str,
        _partition: u32,
        _offset: u64,
        _event: &Envelope,
    ) -> Result<Folded, FoldError> {
        Ok(Folded::default())
    }
}

fn event(key: &str) -> Record {
    Record {
        key: key.as_bytes().to_vec(),
        value: Envelope {
            key: key.to_owned(),
            ..Envelope::default()
        }
        .encode_to_vec(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_caught_up_folding_task_only_waits_and_still_folds_what_comes_next() {
    let dir = tempfile::tempdir().unwrap();
    let options = EmbeddedOptions {
        fsync: false,
        ..EmbeddedOptions::default()
    };
    let counting = Arc::new(Counting {
        inner: EventLog::open_embedded(&dir.path().join("log"), options).unwrap(),
        reads: AtomicU64::new(0),
        watermarks: AtomicU64::new(0),
    });
    let log = EventLog::with_backend(counting.clone());
    log.ensure_topic(TOPIC, 1).unwrap();
    log.append(TOPIC, (0..10).map(|_| event("a")).collect())
        .await
        .unwrap();
    let idle_poll = Duration::from_millis(5);
    let projection = Projection::open(
        &dir.path().join("nothing"),
        log.clone(),
        Arc::new(Nothing),
        ProjectionOptions {
            idle_poll,
            ..ProjectionOptions::default()
        },
    )
    .unwrap();
    let cancel = CancellationToken::new();
    let tasks = projection.run(cancel.clone());
    projection.catch_up(Duration::from_secs(10)).await.unwrap();

    // Some 100 idle polls: one read and one watermark request at most while settling.
    tokio::time::sleep(idle_poll * 10).await;
    let settled = counting.asked();
    tokio::time::sleep(idle_poll * 100).await;
    assert_eq!(counting.asked(), settled, "(reads, watermarks) while idle");

    let position = log.append(TOPIC, vec![event("b")]).await.unwrap()[0];
    projection
        .wait_folded(TOPIC, 0, position.offset, Duration::from_secs(10))
        .await
        .unwrap();
    cancel.cancel();
    tasks.join_all().await;
}
