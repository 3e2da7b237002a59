//! The embedded backend: topics as directories of append-only segment files in one data
//! directory, written by one group-committing writer thread, read with `pread` (on the
//! calling task for the hot tail of a partition, on the blocking pool otherwise). Needs
//! no server; the default for `learnlog serve`.
//!
//! - [`frame`]: record framing and the frame reader.
//! - [`segment`]: segment files and their sparse index.
//! - [`partition`]: a partition's segments, high watermark and read path.
//! - [`topic`]: topic names, `meta`, durable creation.
//! - [`recovery`]: rebuilding partitions on open, torn-tail truncation, cutting a group
//!   the process died in the middle of.
//! - [`intent`]: the partitions the group being written extends.
//! - [`writer`]: the writer thread and group commit.

mod frame;
mod intent;
mod partition;
mod recovery;
mod segment;
mod topic;
mod writer;

use std::collections::HashMap;
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};

use self::intent::IntentSlot;
use self::topic::Topic;
use self::writer::{AppendRequest, Command, Writer};
use crate::stats::{Counters, LogStats};
use crate::{partition_for_key, Error, Position, Record, Result, StoredRecord, MAX_RECORD_BYTES};

/// How long derived appends ([`crate::EventLog::append_derived`]) gather: they are
/// written at the next tick of this period, together.
const DERIVED_GATHER: Duration = Duration::from_millis(20);

/// Settings of the embedded log.
#[derive(Clone, Debug)]
pub struct EmbeddedOptions {
    /// A partition's active segment is closed and a new one started once it would grow
    /// past this many bytes (a single larger record still gets a segment of its own).
    /// Default 64 MiB.
    pub segment_bytes: u64,
    /// fsync segment files and directories before acknowledging. Default `true`; turning
    /// it off keeps the format and recovery but loses acknowledged records on power loss
    /// (only for tests and throwaway data).
    pub fsync: bool,
}

impl Default for EmbeddedOptions {
    fn default() -> Self {
        EmbeddedOptions {
            segment_bytes: 64 * 1024 * 1024,
            fsync: true,
        }
    }
}

pub(crate) struct EmbeddedLog {
    dir: PathBuf,
    options: EmbeddedOptions,
    topics: RwLock<HashMap<String, Arc<Topic>>>,
    /// Serializes topic creation.
    creating: Mutex<()>,
    requests: mpsc::UnboundedSender<Command>,
    counters: Arc<Counters>,
    /// The locked `DIR/lock` file, held until `close`.
    lock: Mutex<Option<File>>,
}

impl EmbeddedLog {
    pub(crate) fn open(dir: &Path, options: EmbeddedOptions) -> Result<EmbeddedLog> {
        let topics_dir = dir.join("topics");
        fs::create_dir_all(&topics_dir)
            .map_err(|e| Error::io(format!("creating {}", topics_dir.display()), e))?;
        let lock_path = dir.join("lock");
        let lock = File::create(&lock_path)
            .map_err(|e| Error::io(format!("creating {}", lock_path.display()), e))?;
        lock.try_lock().map_err(|e| match e {
            std::fs::TryLockError::WouldBlock => Error::Locked(dir.to_owned()),
            std::fs::TryLockError::Error(e) => {
                Error::io(format!("locking {}", lock_path.display()), e)
            }
        })?;
        if options.fsync {
            topic::sync_dir(dir)?;
        }
        let topics = recovery::load_topics(dir, &topics_dir, options.fsync)?;
        let counters = Arc::new(Counters::default());
        let (requests, receiver) = mpsc::unbounded_channel();
        let writer = Writer {
            segment_bytes: options.segment_bytes.max(1),
            fsync: options.fsync,
            counters: counters.clone(),
            intent: IntentSlot::open(dir)?,
            die_after_partition_writes: std::env::var(writer::DIE_AFTER_PARTITION_WRITES)
                .ok()
                .and_then(|n| n.parse().ok()),
        };
        std::thread::Builder::new()
            .name("learnlog-log-writer".to_owned())
            .spawn(move || writer.run(receiver))
            .map_err(|e| Error::io("starting the log writer thread", e))?;
        tracing::info!(dir = %dir.display(), topics = topics.len(), "opened the embedded log");
        Ok(EmbeddedLog {
            dir: dir.to_owned(),
            options,
            topics: RwLock::new(topics),
            creating: Mutex::new(()),
            requests,
            counters,
            lock: Mutex::new(Some(lock)),
        })
    }

    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }

    fn topic(&self, name: &str) -> Result<Arc<Topic>> {
        let topics = self.topics.read().unwrap_or_else(|p| p.into_inner());
        topics
            .get(name)
            .cloned()
            .ok_or_else(|| Error::UnknownTopic(name.to_owned()))
    }

    pub(crate) fn ensure_topic(&self, name: &str, partitions: u32) -> Result<()> {
        topic::validate_name(name)?;
        topic::validate_partition_count(partitions)?;
        let _creating = self.creating.lock().unwrap_or_else(|p| p.into_inner());
        if let Ok(existing) = self.topic(name) {
            return match existing.partition_count() {
                count if count == partitions => Ok(()),
                count => Err(Error::PartitionCountMismatch {
                    topic: name.to_owned(),
                    existing: count,
                    requested: partitions,
                }),
            };
        }
        let created = topic::create(
            &self.dir.join("topics"),
            name,
            partitions,
            self.options.fsync,
        )?;
        tracing::info!(topic = name, partitions, "created a topic");
        let mut topics = self.topics.write().unwrap_or_else(|p| p.into_inner());
        topics.insert(name.to_owned(), Arc::new(created));
        Ok(())
    }

    pub(crate) fn partition_count(&self, topic: &str) -> Result<u32> {
        Ok(self.topic(topic)?.partition_count())
    }

    pub(crate) async fn append(&self, topic: &str, records: Vec<Record>) -> Result<Vec<Position>> {
        let topic = self.topic(topic)?;
        if records.is_empty() {
            return Ok(Vec::new());
        }
        let partitions = topic.partition_count();
        let records = records
            .into_iter()
            .map(|record| {
                let size = record.key.len() + record.value.len();
                if size > MAX_RECORD_BYTES {
                    return Err(Error::RecordTooLarge {
                        size,
                        max: MAX_RECORD_BYTES,
                    });
                }
                Ok((partition_for_key(&record.key, partitions), record))
            })
            .collect::<Result<Vec<_>>>()?;
        let (reply, answer) = oneshot::channel();
        self.requests
            .send(Command::Append(AppendRequest {
                topic,
                records,
                reply,
            }))
            .map_err(|_| Error::Closed)?;
        answer.await.map_err(|_| Error::Closed)?
    }

    /// Appends at the next tick of [`DERIVED_GATHER`] (see [`crate::ticks`]): derived
    /// appends of one tick reach the writer together and share its write and fsync of
    /// each partition file instead of one group each.
    pub(crate) async fn append_derived(
        &self,
        topic: &str,
        records: Vec<Record>,
    ) -> Result<Vec<Position>> {
        let tick = crate::ticks::next_tick(tokio::time::Instant::now(), DERIVED_GATHER);
        tokio::time::sleep_until(tick).await;
        self.append(topic, records).await
    }

    pub(crate) async fn read(
        &self,
        topic: &str,
        partition: u32,
        from: u64,
        max_records: usize,
        max_bytes: usize,
    ) -> Result<Vec<StoredRecord>> {
        let topic = self.topic(topic)?;
        let part = topic.partition(partition)?;
        if from >= part.high_watermark() || max_records == 0 {
            return Ok(Vec::new());
        }
        if part.is_hot(from) {
            return part.read(from, max_records, max_bytes);
        }
        tokio::task::spawn_blocking(move || {
            topic.partitions[partition as usize].read(from, max_records, max_bytes)
        })
        .await
        .map_err(|e| Error::io("reading the log", std::io::Error::other(e.to_string())))?
    }

    /// The durable record at `offset`, if any; blocking (one positional read, mostly).
    pub(crate) fn read_in_place(
        &self,
        topic: &str,
        partition: u32,
        offset: u64,
    ) -> Result<Option<StoredRecord>> {
        let topic = self.topic(topic)?;
        let part = topic.partition(partition)?;
        if offset >= part.high_watermark() {
            return Ok(None);
        }
        part.read_one(offset).map(Some)
    }

    pub(crate) fn high_watermark(&self, topic: &str, partition: u32) -> Result<u64> {
        Ok(self.topic(topic)?.partition(partition)?.high_watermark())
    }

    pub(crate) async fn wait_for_offset(
        &self,
        topic: &str,
        partition: u32,
        offset: u64,
        timeout: Duration,
    ) -> Result<u64> {
        let topic = self.topic(topic)?;
        let partition = topic.partition(partition)?;
        let mut watermark = partition.subscribe();
        // The sender lives as long as the partition, so `wait_for` only ends by success.
        let _ = tokio::time::timeout(timeout, watermark.wait_for(|&hw| hw > offset)).await;
        Ok(partition.high_watermark())
    }

    pub(crate) async fn close(&self) -> Result<()> {
        let (reply, done) = oneshot::channel();
        if self.requests.send(Command::Close(reply)).is_ok() {
            let _ = done.await;
        }
        self.lock.lock().unwrap_or_else(|p| p.into_inner()).take();
        tracing::info!(dir = %self.dir.display(), "closed the embedded log");
        Ok(())
    }

    pub(crate) fn stats(&self) -> LogStats {
        self.counters.snapshot()
    }
}
