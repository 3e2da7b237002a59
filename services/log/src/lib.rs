//! The `EventLog` API: durable, keyed, partitioned topics — the one source of truth every
//! learnlog projection folds (docs/design.md principle 1).
//!
//! The contract is Kafka's, so that the embedded backend (append-only segment files in a
//! data directory, the default) and the Kafka backend (`kafka://…`, through librdkafka)
//! are interchangeable behind [`LogBackend`] (a test may wrap either to inject faults);
//! one conformance suite runs against both:
//!
//! - a topic has a fixed number of partitions, set when it is created;
//! - each partition is an append-only sequence of records whose offsets start at 0 and
//!   increase by one with no gaps;
//! - a record's partition is chosen from its key by Kafka's default partitioner
//!   (`(murmur2(key) & 0x7fffffff) % partitions`), so both backends place keys alike;
//! - an append is acknowledged only once every record in it is durable (fsync'd by the
//!   embedded log, `acks=all` from an idempotent producer on Kafka), and readers only
//!   ever see acknowledged records;
//! - when the storage cannot be reached (Kafka down), calls fail within a bounded time
//!   with [`Error::Unavailable`] and succeed again once it is back, on the same handle.
//!
//! This crate owns storage and ordering only. It does not interpret record bytes, keep
//! consumer offsets (projections checkpoint their own) or retry failures: every error is
//! returned to the caller, which answers 503 rather than dropping data (principle 7).

mod backend;
mod embedded;
mod error;
mod kafka;
mod partitioner;
mod stats;
pub mod ticks;
mod topic_rules;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

pub use backend::LogBackend;
pub use embedded::EmbeddedOptions;
pub use error::{Error, Result};
pub use kafka::{GroupMember, GroupOptions, KafkaOptions, Ownership, Release};
pub use partitioner::{murmur2, partition_for_key};
pub use stats::LogStats;

/// The most partitions a topic may have.
pub const MAX_PARTITIONS: u32 = 4096;
/// The most bytes of key plus value one record may carry in the embedded log. Kafka's
/// limit is lower and set per log ([`KafkaOptions::max_record_bytes`], 1,000,000 by
/// default, as the broker's `message.max.bytes` is about 1 MiB).
pub const MAX_RECORD_BYTES: usize = 16 * 1024 * 1024;

/// One record to append. Its partition is chosen from `key` (see [`partition_for_key`]).
/// Event topics never carry an empty value; on Kafka an empty value is written as a null
/// payload, a tombstone on a compacted topic (see [`EventLog::ensure_compacted_topic`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    pub key: Vec<u8>,
    pub value: Vec<u8>,
}

/// Where an appended record landed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Position {
    pub partition: u32,
    pub offset: u64,
}

/// A record read back from a partition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredRecord {
    pub offset: u64,
    pub key: Vec<u8>,
    pub value: Vec<u8>,
}

/// The log. Cheap to clone (every clone shares one backend); `Send + Sync`.
#[derive(Clone)]
pub struct EventLog {
    backend: Arc<dyn LogBackend>,
}

// Handles are shared across tasks and threads.
const _: fn() = || {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<EventLog>();
};

impl std::fmt::Debug for EventLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("EventLog")
            .field(&self.backend.describe())
            .finish()
    }
}

impl EventLog {
    /// Opens the log named by `url`: `file:///abs/path` or a plain path opens the embedded
    /// log there with `options` (see [`EventLog::open_embedded`]);
    /// `kafka://host:port[,host:port…][?option=value&…]` opens the Kafka backend (see
    /// [`KafkaOptions::from_url`] for the options; `options` does not apply). Other
    /// schemes fail with [`Error::InvalidUrl`].
    pub fn open(url: &str, options: EmbeddedOptions) -> Result<EventLog> {
        const EXPECTED: &str =
            "expected file:///path, a plain directory path or kafka://host:port[,host:port...]";
        if url.starts_with("kafka://") {
            return Self::open_kafka(KafkaOptions::from_url(url)?);
        }
        if let Some(path) = url.strip_prefix("file://") {
            if path.is_empty() {
                return Err(Error::invalid_url(url, "the file:// url has no path"));
            }
            return Self::open_embedded(Path::new(path), options);
        }
        if url.is_empty() || url.contains("://") {
            return Err(Error::invalid_url(url, EXPECTED));
        }
        Self::open_embedded(Path::new(url), options)
    }

    /// Opens the embedded log in `dir` (created if missing) and recovers every partition:
    /// each segment is checked (framing, CRC, offset chain); a torn or corrupt tail of a
    /// partition's last segment — bytes that were never acknowledged — is truncated at the
    /// last valid record. Damage anywhere else fails with [`Error::Corrupt`], since it
    /// would mean losing acknowledged records. Fails with [`Error::Locked`] while another
    /// open `EventLog` holds the directory. Blocking: call it before serving.
    pub fn open_embedded(dir: &Path, options: EmbeddedOptions) -> Result<EventLog> {
        let log = embedded::EmbeddedLog::open(dir, options)?;
        Ok(Self::with_backend(Arc::new(log)))
    }

    /// Opens the Kafka backend. Only creates the clients: connecting happens in the
    /// background, and an unreachable cluster shows as [`Error::Unavailable`] from the
    /// first call that needs it (typically `ensure_topic`).
    pub fn open_kafka(options: KafkaOptions) -> Result<EventLog> {
        Ok(Self::with_backend(Arc::new(kafka::KafkaLog::open(
            options,
        )?)))
    }

    /// A log over any backend: one of the two above wrapped (to inject faults in a
    /// test, say), or another implementation of the contract.
    pub fn with_backend(backend: Arc<dyn LogBackend>) -> EventLog {
        EventLog { backend }
    }

    /// Creates `topic` with `partitions` partitions if it does not exist, durably (files
    /// and directories fsync'd before returning; on Kafka, CreateTopics with the log's
    /// replication factor, then waiting until every partition has a leader). If it
    /// exists, succeeds only when the partition count matches
    /// ([`Error::PartitionCountMismatch`] otherwise). Topic names follow Kafka's rule:
    /// 1–249 characters of `[A-Za-z0-9._-]`, not `.` or `..`. Blocking (on Kafka, for at
    /// most the log's timeout): call it before serving.
    pub fn ensure_topic(&self, topic: &str, partitions: u32) -> Result<()> {
        self.backend.ensure_topic(topic, partitions)
    }

    /// Like [`EventLog::ensure_topic`], for a topic Kafka compacts (`cleanup.policy =
    /// compact`): the latest record of each key is kept, and a record with an empty value
    /// (a tombstone) eventually removes its key. For views published for other consumers;
    /// [`Error::Unsupported`] on a log without compaction (the embedded log).
    pub fn ensure_compacted_topic(&self, topic: &str, partitions: u32) -> Result<()> {
        self.backend.ensure_compacted_topic(topic, partitions)
    }

    /// The topic's partition count, or [`Error::UnknownTopic`]. On Kafka the count is
    /// asked of the cluster once per topic (blocking, bounded by the log's timeout) and
    /// then cached, since partition counts never change.
    pub fn partition_count(&self, topic: &str) -> Result<u32> {
        self.backend.partition_count(topic)
    }

    /// The partition `key` goes to in `topic` (Kafka's default partitioner). Stable for
    /// the life of the topic, since partition counts never change.
    pub fn partition_for(&self, topic: &str, key: &[u8]) -> Result<u32> {
        Ok(partition_for_key(key, self.partition_count(topic)?))
    }

    /// Appends `records`, each to its key's partition, and returns their positions in input
    /// order once every one of them is durable (written and fsync'd; on Kafka,
    /// acknowledged by the cluster with `acks=all`).
    ///
    /// Records of one call that land on one partition get contiguous offsets in input
    /// order. Concurrent callers are group-committed: one write and one fsync per touched
    /// segment file serve every caller waiting at that moment (on Kafka, the producer
    /// batches them). On Kafka, contiguity holds among the appends of one `EventLog`
    /// (one producer); another process's records may come between a call's records only
    /// if the producer split them over two produce requests.
    ///
    /// On error nothing is acknowledged, but some records may have been written and may
    /// become visible later (after recovery, or to readers once a later fsync succeeds,
    /// or once Kafka's retries land them): callers must treat the outcome as unknown,
    /// never as "not written". After an I/O failure the embedded writer stops and every
    /// later append fails with [`Error::WriterFailed`]. On Kafka, an append not
    /// acknowledged within the log's timeout fails with [`Error::Unavailable`] and later
    /// appends succeed once the cluster is back. After [`EventLog::close`] appends fail
    /// with [`Error::Closed`]. An empty `records` returns an empty vector without
    /// touching the storage.
    pub async fn append(&self, topic: &str, records: Vec<Record>) -> Result<Vec<Position>> {
        self.backend.append(topic, records).await
    }

    /// Appends records derived from others already in the log, which no caller waits on
    /// promptly (the learner events re-published from statements): as
    /// [`EventLog::append`], but gathered. On Kafka they go through a producer of their
    /// own that lets records gather for `derived_linger_ms` (see [`KafkaOptions`]), so
    /// that one produce request per partition carries many of them instead of one each.
    /// Records of one call that land on one partition get offsets in input order, and
    /// contiguous ones among the derived appends of this `EventLog`; records of
    /// [`EventLog::append`] may come between them. The embedded log holds them until
    /// the next tick of a 20 ms clock the process shares ([`ticks`]), so the derived
    /// appends of one tick share one write and fsync of each partition file.
    pub async fn append_derived(&self, topic: &str, records: Vec<Record>) -> Result<Vec<Position>> {
        self.backend.append_derived(topic, records).await
    }

    /// Reads up to `max_records` records of `partition` with offsets from `from`
    /// (inclusive), in offset order, stopping before the record that would take the total
    /// of key and value bytes past `max_bytes` — but always returning at least one record
    /// when one exists at `from`. Returns an empty vector when `from` is at or beyond the
    /// high watermark. Only acknowledged (durable) records are ever returned. Fails with
    /// [`Error::Corrupt`] if a stored record fails its CRC (on Kafka, librdkafka checks
    /// CRCs and a failure is [`Error::Kafka`]). On Kafka a read continuing where the last
    /// one stopped is served from records already fetched; a read that cannot get records
    /// known to exist within the log's timeout fails with [`Error::Unavailable`].
    pub async fn read(
        &self,
        topic: &str,
        partition: u32,
        from: u64,
        max_records: usize,
        max_bytes: usize,
    ) -> Result<Vec<StoredRecord>> {
        self.backend
            .read(topic, partition, from, max_records, max_bytes)
            .await
    }

    /// Whether [`EventLog::read_in_place`] reads a record at the cost of a file read (the
    /// embedded log). Kafka reads in batches from where a consumer stands, so one record
    /// here and one there would each cost a fetch: it does not.
    pub fn reads_in_place(&self) -> bool {
        self.backend.reads_in_place()
    }

    /// The durable record at `offset` of `partition`, read in place; blocking. `None` when
    /// no durable record is there (at or past the high watermark). Fails with
    /// [`Error::Unsupported`] where [`EventLog::reads_in_place`] is false, and with
    /// [`Error::Corrupt`] if the record fails its CRC.
    pub fn read_in_place(
        &self,
        topic: &str,
        partition: u32,
        offset: u64,
    ) -> Result<Option<StoredRecord>> {
        self.backend.read_in_place(topic, partition, offset)
    }

    /// The next offset to be written in `partition`, which is also the number of durable
    /// records in it. Never decreases while the log is open. On Kafka it is asked of the
    /// partition's leader on every call (one round trip, blocking for at most the log's
    /// timeout, then [`Error::Unavailable`]), so it also counts other processes' appends.
    pub fn high_watermark(&self, topic: &str, partition: u32) -> Result<u64> {
        self.backend.high_watermark(topic, partition)
    }

    /// [`EventLog::high_watermark`] of every partition of `topic`, in partition order. On
    /// Kafka one ListOffsets round trip asks them all (per partition leader), where asking
    /// each partition would cost one round trip each.
    pub fn high_watermarks(&self, topic: &str) -> Result<Vec<u64>> {
        self.backend.high_watermarks(topic)
    }

    /// Whether asking the ends is a memory read (the embedded log) rather than a round
    /// trip to the brokers (Kafka).
    pub fn watermarks_are_local(&self) -> bool {
        self.backend.watermarks_are_local()
    }

    /// [`EventLog::high_watermark`] for async code. Where the answer is a round trip
    /// (Kafka) the call runs on the blocking pool, so the caller's worker thread serves
    /// its other tasks meanwhile; where it is a memory read (the embedded log) it runs
    /// inline, without a thread hop.
    pub async fn ask_high_watermark(&self, topic: &str, partition: u32) -> Result<u64> {
        if self.backend.watermarks_are_local() {
            return self.high_watermark(topic, partition);
        }
        let (log, topic) = (self.clone(), topic.to_owned());
        off_thread(move || log.high_watermark(&topic, partition)).await
    }

    /// [`EventLog::high_watermarks`] for async code, as [`EventLog::ask_high_watermark`].
    pub async fn ask_high_watermarks(&self, topic: &str) -> Result<Vec<u64>> {
        if self.backend.watermarks_are_local() {
            return self.high_watermarks(topic);
        }
        let (log, topic) = (self.clone(), topic.to_owned());
        off_thread(move || log.high_watermarks(&topic)).await
    }

    /// Resolves as soon as `high_watermark(topic, partition) > offset` (the record at
    /// `offset` is durable and readable), or when `timeout` has passed, returning the high
    /// watermark at that moment either way; the caller compares it with `offset`. On Kafka
    /// this handle's own appends wake it at once, other processes' within about a fetch
    /// wait (`fetch_wait_ms`); the watermark returned is the highest this handle has seen.
    /// A Kafka wait that runs out while the partition's leader leaves the end watcher's
    /// requests unanswered fails with [`Error::Unavailable`] instead.
    pub async fn wait_for_offset(
        &self,
        topic: &str,
        partition: u32,
        offset: u64,
        timeout: Duration,
    ) -> Result<u64> {
        self.backend
            .wait_for_offset(topic, partition, offset, timeout)
            .await
    }

    /// Finishes every append queued before it (their callers get their answers), then stops
    /// the writer and releases the directory, so it can be opened again (on Kafka: flushes
    /// the producer for at most the log's timeout, drops it and shuts the idle readers
    /// down). Later appends fail with [`Error::Closed`]; reads of durable records keep
    /// working on this handle. Closing twice is harmless.
    pub async fn close(&self) -> Result<()> {
        self.backend.close().await
    }

    /// Joins a consumer group over `group.topic` to share its partitions with the group's
    /// other members (see [`GroupMember`]): ownership changes arrive on the receiver,
    /// revocations wait for their [`Release`]. Kafka only: the embedded log belongs to one
    /// process, which owns every partition, so it fails with [`Error::Unsupported`].
    pub fn join_group(
        &self,
        group: GroupOptions,
    ) -> Result<(GroupMember, tokio::sync::mpsc::UnboundedReceiver<Ownership>)> {
        self.backend.join_group(group)
    }

    /// Counters since the log was opened, for metrics (`fsyncs` stays 0 on Kafka, where
    /// the brokers decide when to sync).
    pub fn stats(&self) -> LogStats {
        self.backend.stats()
    }
}

/// Runs a blocking call on the blocking pool; its panic resumes here.
async fn off_thread<T: Send + 'static>(
    call: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T> {
    match tokio::task::spawn_blocking(call).await {
        Ok(result) => result,
        Err(error) if error.is_panic() => std::panic::resume_unwind(error.into_panic()),
        Err(error) => Err(Error::Unavailable {
            context: "asking the log's high watermarks".to_owned(),
            reason: error.to_string(),
        }),
    }
}
