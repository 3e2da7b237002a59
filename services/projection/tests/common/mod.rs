//! What the projection tests that watch the runtime's requests to the log share: an
//! embedded log wrapped to count the reads and watermark requests made of it and to
//! fail watermark requests at will (as Kafka's fail while the broker is down), and a
//! fold that folds nothing, so that only the runtime's own work is seen.

// Each test file that includes this module uses a part of it.
#![allow(dead_code)]

use futures::future::BoxFuture;
use learnlog_log::{
    EmbeddedOptions, Error, EventLog, LogBackend, LogStats, Position, Record, Result, StoredRecord,
};
use learnlog_projection::{Fold, FoldError, FoldTrees, Folded, Projection, ProjectionOptions};
use learnlog_proto::v1::Envelope;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

pub const TOPIC: &str = "events";

/// The embedded log, watched.
pub struct Watched {
    inner: EventLog,
    reads: AtomicU64,
    watermarks: AtomicU64,
    unreachable: AtomicBool,
}

impl Watched {
    /// An embedded log (no fsync) in `dir`, and the handle that serves it through this.
    pub fn open(dir: &Path) -> (Arc<Watched>, EventLog) {
        let options = EmbeddedOptions {
            fsync: false,
            ..EmbeddedOptions::default()
        };
        let watched = Arc::new(Watched {
            inner: EventLog::open_embedded(dir, options).unwrap(),
            reads: AtomicU64::new(0),
            watermarks: AtomicU64::new(0),
            unreachable: AtomicBool::new(false),
        });
        (watched.clone(), EventLog::with_backend(watched))
    }

    /// (reads, watermark requests) so far; asking every partition at once counts one.
    pub fn asked(&self) -> (u64, u64) {
        (
            self.reads.load(Ordering::SeqCst),
            self.watermarks.load(Ordering::SeqCst),
        )
    }

    /// Makes watermark requests fail (`true`) or answer again.
    pub fn set_unreachable(&self, unreachable: bool) {
        self.unreachable.store(unreachable, Ordering::SeqCst);
    }

    fn ask_watermark(&self) -> Result<()> {
        self.watermarks.fetch_add(1, Ordering::SeqCst);
        if self.unreachable.load(Ordering::SeqCst) {
            return Err(Error::Unavailable {
                context: "asking the partitions' ends".into(),
                reason: "the broker is down (test)".into(),
            });
        }
        Ok(())
    }
}

impl LogBackend for Watched {
    fn describe(&self) -> String {
        format!("watched {:?}", self.inner)
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
        self.ask_watermark()?;
        self.inner.high_watermark(topic, partition)
    }
    fn high_watermarks(&self, topic: &str) -> Result<Vec<u64>> {
        self.ask_watermark()?;
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

/// Folds nothing of [`TOPIC`].
pub struct Nothing;

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

/// A projection of [`Nothing`] in `dir`, over `log`, folding until the token is
/// cancelled; the folding tasks to join after.
pub fn run_nothing(
    dir: &Path,
    log: &EventLog,
    options: ProjectionOptions,
) -> (Projection, CancellationToken, JoinSet<()>) {
    let projection = Projection::open(dir, log.clone(), Arc::new(Nothing), options).unwrap();
    let cancel = CancellationToken::new();
    let tasks = projection.run(cancel.clone());
    (projection, cancel, tasks)
}
