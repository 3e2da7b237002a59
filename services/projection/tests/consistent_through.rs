//! `consistent_through_micros` never claims more than is folded: when the log cannot be
//! asked for its partitions' ends (a broker down), it answers the newest instant known
//! to be folded, not the `now` it was given.

use futures::future::BoxFuture;
use learnlog_log::{
    EmbeddedOptions, Error, EventLog, LogBackend, LogStats, Position, Record, Result, StoredRecord,
};
use learnlog_projection::{Fold, FoldError, FoldTrees, Folded, Projection, ProjectionOptions};
use learnlog_proto::v1::Envelope;
use learnlog_proto::Message;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

const TOPIC: &str = "events";
const PARTITIONS: u32 = 2;

/// The embedded log, whose watermark requests fail while `unreachable` is set, as
/// Kafka's do while the broker is down.
struct Unreachable {
    inner: EventLog,
    unreachable: AtomicBool,
}

impl Unreachable {
    fn set(&self, unreachable: bool) {
        self.unreachable.store(unreachable, Ordering::SeqCst);
    }

    fn check(&self) -> Result<()> {
        if self.unreachable.load(Ordering::SeqCst) {
            return Err(Error::Unavailable {
                context: "asking the partitions' ends".into(),
                reason: "the broker is down (test)".into(),
            });
        }
        Ok(())
    }
}

impl LogBackend for Unreachable {
    fn describe(&self) -> String {
        format!("unreachable at will {:?}", self.inner)
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
        Box::pin(
            self.inner
                .read(topic, partition, from, max_records, max_bytes),
        )
    }
    fn high_watermark(&self, topic: &str, partition: u32) -> Result<u64> {
        self.check()?;
        self.inner.high_watermark(topic, partition)
    }
    fn high_watermarks(&self, topic: &str) -> Result<Vec<u64>> {
        self.check()?;
        self.inner.high_watermarks(topic)
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

/// Folds nothing: the runtime's own progress is what is claimed.
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

fn event(key: &str, produced_at_micros: i64) -> Record {
    Record {
        key: key.as_bytes().to_vec(),
        value: Envelope {
            event_id: format!("{key}-{produced_at_micros}"),
            key: key.to_owned(),
            produced_at_micros,
            ..Envelope::default()
        }
        .encode_to_vec(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_log_gets_the_newest_instant_known_folded_never_now() {
    let dir = tempfile::tempdir().unwrap();
    let options = EmbeddedOptions {
        fsync: false,
        ..EmbeddedOptions::default()
    };
    let backend = Arc::new(Unreachable {
        inner: EventLog::open_embedded(&dir.path().join("log"), options).unwrap(),
        unreachable: AtomicBool::new(false),
    });
    let log = EventLog::with_backend(backend.clone());
    log.ensure_topic(TOPIC, PARTITIONS).unwrap();
    // Events produced 1,000 µs apart, appended in that order over both partitions.
    let records = (0..16i64)
        .map(|i| event(&format!("key-{i}"), 1_000 * (i + 1)))
        .collect();
    let positions = log.append(TOPIC, records).await.unwrap();
    let mut last_per_partition = vec![None; PARTITIONS as usize];
    for (i, position) in positions.iter().enumerate() {
        last_per_partition[position.partition as usize] = Some(1_000 * (i as i64 + 1));
    }
    let oldest_last_folded = last_per_partition
        .iter()
        .map(|last| last.expect("the keys spread over both partitions"))
        .min()
        .unwrap();

    let projection = Projection::open(
        &dir.path().join("nothing"),
        log.clone(),
        Arc::new(Nothing),
        ProjectionOptions::default(),
    )
    .unwrap();
    let cancel = CancellationToken::new();
    let tasks = projection.run(cancel.clone());
    projection.catch_up(Duration::from_secs(10)).await.unwrap();
    cancel.cancel();
    tasks.join_all().await;

    let now = 1_000_000;
    backend.set(true);
    assert_eq!(
        projection.consistent_through_micros(TOPIC, now).unwrap(),
        oldest_last_folded,
        "no claim made yet: the oldest of the partitions' last folded events"
    );

    backend.set(false);
    assert_eq!(
        projection.consistent_through_micros(TOPIC, now).unwrap(),
        now,
        "caught up, and the log said so"
    );

    backend.set(true);
    assert_eq!(
        projection
            .consistent_through_micros(TOPIC, 2 * now)
            .unwrap(),
        now,
        "the last claim the log's ends backed, not the later now"
    );
    assert_eq!(projection.known_folded_through_micros(TOPIC).unwrap(), now);
}
