//! A backend wrapping a real log, as a fault-injecting test double does: `EventLog`
//! serves whatever implements `LogBackend`, and what the wrapper refuses never reaches
//! the log.

use futures::future::BoxFuture;
use learnlog_log::{
    EmbeddedOptions, Error, EventLog, LogBackend, LogStats, Position, Record, Result, StoredRecord,
};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// The embedded log, with appends refused while `down` is set.
struct Flaky {
    inner: EventLog,
    down: AtomicBool,
}

impl LogBackend for Flaky {
    fn describe(&self) -> String {
        format!("flaky {:?}", self.inner)
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
        if self.down.load(Ordering::SeqCst) {
            return Box::pin(async {
                Err(Error::Unavailable {
                    context: "appending".into(),
                    reason: "injected".into(),
                })
            });
        }
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

fn record(value: &str) -> Record {
    Record {
        key: b"k".to_vec(),
        value: value.as_bytes().to_vec(),
    }
}

#[tokio::test]
async fn a_wrapping_backend_decides_what_reaches_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let options = EmbeddedOptions {
        fsync: false,
        ..EmbeddedOptions::default()
    };
    let flaky = Arc::new(Flaky {
        inner: EventLog::open_embedded(dir.path(), options).unwrap(),
        down: AtomicBool::new(false),
    });
    let log = EventLog::with_backend(flaky.clone());
    log.ensure_topic("t", 1).unwrap();
    log.append("t", vec![record("one")]).await.unwrap();
    flaky.down.store(true, Ordering::SeqCst);
    let refused = log.append("t", vec![record("lost")]).await;
    assert!(
        matches!(refused, Err(Error::Unavailable { .. })),
        "{refused:?}"
    );
    flaky.down.store(false, Ordering::SeqCst);
    log.append("t", vec![record("two")]).await.unwrap();

    let values: Vec<String> = (log.read("t", 0, 0, 10, 1 << 20).await.unwrap().into_iter())
        .map(|r| String::from_utf8(r.value).unwrap())
        .collect();
    assert_eq!(values, ["one", "two"]);
    assert!(format!("{log:?}").contains("flaky"));
    log.close().await.unwrap();
}
