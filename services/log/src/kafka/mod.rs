//! The Kafka backend (`kafka://host:port,…`): topics and partitions are Kafka's own, a
//! position's offset is the Kafka offset, and the contract of the embedded log holds
//! through librdkafka:
//!
//! - appends go through one idempotent producer (`acks=all`) with the partition our
//!   partitioner chose, and answer once the cluster acknowledged every record; when the
//!   cluster is unreachable they fail within the configured timeout with
//!   [`Error::Unavailable`](crate::Error::Unavailable), and later appends succeed once it
//!   is back, on the same handle; derived appends go the same way through a second
//!   producer that lingers longer (`derived_linger_ms`);
//! - reads come from consumers assigned to one partition each (no group membership, no
//!   committed offsets: projections keep their own), kept between reads so a read loop
//!   is served from prefetched records, and parked (fetching nothing) once at the end;
//! - high watermarks are asked of the partition leader; `wait_for_offset` is woken by
//!   this handle's own appends at once and by other processes' through the end watcher,
//!   which asks for the ends of all waited partitions together once per fetch wait.
//!
//! Partition ownership for processes that split a topic's partitions between them is
//! in [`group`] (a consumer group whose members never consume).
//!
//! Modules: [`options`] (the URL, each client's configuration), [`admin`] (topics,
//! watermarks), [`producer`] (appends), [`reader`] and [`pool`] (reads, consumer
//! shutdown), [`watcher`] (other processes' appends for waiters), [`errors`] (librdkafka
//! errors as the crate's).

mod admin;
mod context;
mod errors;
mod group;
mod options;
mod pool;
mod producer;
mod reader;
mod recent;
mod shared_ends;
mod watcher;

use std::sync::Arc;
use std::time::{Duration, Instant};

use self::admin::Topics;
use self::pool::{shut_down, ReaderPool};
use self::producer::Appender;
use self::recent::RecentAppends;
use self::watcher::EndWatcher;
use crate::stats::{Counters, LogStats};
use crate::{partition_for_key, Error, Position, Record, Result, StoredRecord};

pub use self::group::{GroupMember, GroupOptions, Ownership, Release};
pub use self::options::KafkaOptions;

pub(crate) struct KafkaLog {
    options: KafkaOptions,
    topics: Arc<Topics>,
    appender: Appender,
    /// Derived appends' own producer, lingering `derived_linger`.
    derived_appender: Appender,
    readers: Arc<ReaderPool>,
    recent: Arc<RecentAppends>,
    watcher: EndWatcher,
    counters: Counters,
}

impl KafkaLog {
    /// Creates the clients. Connecting happens in the background: an unreachable cluster
    /// shows as [`Error::Unavailable`] from the first call that needs it.
    pub(crate) fn open(options: KafkaOptions) -> Result<KafkaLog> {
        let topics = Arc::new(Topics::new(&options)?);
        let log = KafkaLog {
            watcher: EndWatcher::start(topics.clone(), options.fetch_wait, options.timeout)?,
            topics,
            appender: Appender::new(&options)?,
            derived_appender: Appender::new(&KafkaOptions {
                linger: options.derived_linger,
                ..options.clone()
            })?,
            readers: Arc::new(ReaderPool::new(&options)),
            recent: Arc::default(),
            counters: Counters::default(),
            options,
        };
        tracing::info!(brokers = %log.options.brokers, "opened the kafka log");
        Ok(log)
    }

    pub(crate) fn brokers(&self) -> &str {
        &self.options.brokers
    }

    pub(crate) fn ensure_topic(&self, topic: &str, partitions: u32) -> Result<()> {
        self.topics.ensure(topic, partitions, &[])
    }

    pub(crate) fn ensure_compacted_topic(&self, topic: &str, partitions: u32) -> Result<()> {
        self.topics
            .ensure(topic, partitions, &[("cleanup.policy", "compact")])
    }

    pub(crate) fn partition_count(&self, topic: &str) -> Result<u32> {
        Ok(self.topics.get(topic)?.partitions)
    }

    pub(crate) async fn append(&self, topic: &str, records: Vec<Record>) -> Result<Vec<Position>> {
        self.append_through(&self.appender, topic, records).await
    }

    pub(crate) async fn append_derived(
        &self,
        topic: &str,
        records: Vec<Record>,
    ) -> Result<Vec<Position>> {
        self.append_through(&self.derived_appender, topic, records)
            .await
    }

    async fn append_through(
        &self,
        appender: &Appender,
        topic: &str,
        records: Vec<Record>,
    ) -> Result<Vec<Position>> {
        let state = self.topics.get(topic)?;
        if records.is_empty() {
            return Ok(Vec::new());
        }
        let max = self.options.max_record_bytes;
        let mut bytes = 0u64;
        let placed = records
            .into_iter()
            .map(|record| {
                let size = record.key.len() + record.value.len();
                if size > max {
                    return Err(Error::RecordTooLarge { size, max });
                }
                bytes += size as u64;
                Ok((partition_for_key(&record.key, state.partitions), record))
            })
            .collect::<Result<Vec<_>>>()?;
        let _appending = (self.recent).begin(topic, placed.iter().map(|(p, _)| *p).collect());
        let positions = appender.append(topic, &placed).await?;
        // Kept before the ends are raised: raising them wakes waiters, whose reads must
        // find these records here rather than fetch them from the broker.
        let appended = positions.iter().copied().zip(placed.iter().map(|(_, r)| r));
        self.recent.remember(topic, appended);
        for position in &positions {
            state.advance(position.partition, position.offset + 1);
        }
        self.counters.appended(positions.len() as u64, bytes);
        Ok(positions)
    }

    pub(crate) async fn read(
        &self,
        topic: &str,
        partition: u32,
        from: u64,
        max_records: usize,
        max_bytes: usize,
    ) -> Result<Vec<StoredRecord>> {
        let state = self.topics.get(topic)?;
        state.check(partition)?;
        if max_records == 0 {
            return Ok(Vec::new());
        }
        if let Some(records) = (self.recent).read(topic, partition, from, max_records, max_bytes) {
            return Ok(records);
        }
        // One time bound for the whole read. An append of this handle may have the
        // record and not have kept it yet: let it end first.
        let deadline = Instant::now() + self.options.timeout;
        if (self.recent).settle(topic, partition, deadline).await {
            let kept = (self.recent).read(topic, partition, from, max_records, max_bytes);
            if let Some(records) = kept {
                return Ok(records);
            }
        }
        let (topics, readers) = (self.topics.clone(), self.readers.clone());
        let timeout = self.options.timeout;
        let fetched = blocking(move || {
            let mut known = state.known(partition);
            if from >= known {
                known = topics.fetch_high_watermark(&state, partition)?;
                if from >= known {
                    return Ok(Vec::new());
                }
            }
            let mut reader = readers.take(&state.name, partition, from)?;
            let read = reader.read(from, max_records, max_bytes, known, deadline);
            state.advance(partition, reader.seen_end());
            match read {
                Ok(_) => readers.put(reader, state.known(partition)),
                Err(_) => shut_down(vec![reader], timeout, false),
            }
            read
        })
        .await?;
        self.counters.fetched(fetched.len() as u64);
        Ok(fetched)
    }

    pub(crate) fn high_watermark(&self, topic: &str, partition: u32) -> Result<u64> {
        let state = self.topics.get(topic)?;
        self.topics.fetch_high_watermark(&state, partition)
    }

    pub(crate) fn high_watermarks(&self, topic: &str) -> Result<Vec<u64>> {
        let state = self.topics.get(topic)?;
        self.topics.fetch_high_watermarks(&state)
    }

    pub(crate) async fn wait_for_offset(
        &self,
        topic: &str,
        partition: u32,
        offset: u64,
        timeout: Duration,
    ) -> Result<u64> {
        let state = self.topics.get(topic)?;
        let mut appended = state.subscribe(partition)?;
        if state.known(partition) > offset {
            return Ok(state.known(partition));
        }
        let _watching = self.watcher.watch(&state, partition);
        // `wait_for` answers with a read guard on the watermark: drop it before reading
        // the watermark again (a writer waiting in between would deadlock the two).
        let timed_out = tokio::time::timeout(timeout, appended.wait_for(|&end| end > offset))
            .await
            .is_err();
        if timed_out {
            // nothing came: say so if it is because the leader does not answer
            if let Some(error) = state.last_unanswered(partition) {
                return Err(error);
            }
        }
        Ok(state.known(partition))
    }

    pub(crate) async fn close(&self) -> Result<()> {
        self.appender.close(self.options.timeout).await;
        self.derived_appender.close(self.options.timeout).await;
        self.watcher.stop();
        let readers = self.readers.clone();
        tokio::task::spawn_blocking(move || readers.shut_down_idle())
            .await
            .map_err(|e| Error::Kafka {
                context: "closing the kafka log".to_owned(),
                reason: e.to_string(),
            })?;
        tracing::info!(brokers = %self.options.brokers, "closed the kafka log");
        Ok(())
    }

    pub(crate) fn join_group(
        &self,
        group: GroupOptions,
    ) -> Result<(GroupMember, tokio::sync::mpsc::UnboundedReceiver<Ownership>)> {
        self.topics.get(&group.topic)?;
        GroupMember::join(&self.options, group)
    }

    pub(crate) fn stats(&self) -> LogStats {
        self.counters.snapshot()
    }
}

/// Runs `work` on the blocking pool (librdkafka's calls block).
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| Error::Kafka {
            context: "running a kafka call on the blocking pool".to_owned(),
            reason: e.to_string(),
        })?
}
