//! A reader: one `BaseConsumer` assigned to one partition from an offset, never
//! subscribed and never committing. Consecutive reads continue where the last one
//! stopped, so the consumer's prefetch (librdkafka keeps fetching ahead of the
//! application) serves a projection's read loop without a round trip per batch. A reader
//! that reached the known end is parked (unassigned, so it stops fetching) until the next
//! read assigns it again where it stopped.
//!
//! Every method blocks the calling thread (run them on the blocking pool), for at most
//! the deadline given.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, Consumer};

use super::context::LogContext;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::Message;
use rdkafka::{Offset, TopicPartitionList};

use super::errors::{from_kafka, is_transient};
use super::options::KafkaOptions;
use crate::{Error, Result, StoredRecord};

/// The longest single poll, so that a read notices its deadline within this.
const POLL_SLICE: Duration = Duration::from_millis(50);

pub(crate) struct Reader {
    consumer: BaseConsumer<LogContext>,
    pub topic: String,
    pub partition: u32,
    /// The offset the consumer delivers next.
    next: u64,
    /// Records polled but not returned yet, contiguous and ending just before `next`.
    pending: VecDeque<StoredRecord>,
    /// The last transient error seen while polling, for the unavailable error's text.
    last_error: Option<String>,
    /// Unassigned by [`Reader::park`]: fetching nothing until the next seek.
    parked: bool,
    pub last_used: Instant,
}

impl Reader {
    /// A consumer for `topic`/`partition`, assigned at `from`.
    pub fn new(options: &KafkaOptions, topic: &str, partition: u32, from: u64) -> Result<Reader> {
        tracing::debug!(topic, partition, from, "creating a kafka reader");
        let consumer: BaseConsumer<LogContext> = options
            .reader_config()
            .create_with_context(LogContext)
            .map_err(|e| from_kafka("creating a kafka reader", &e))?;
        let mut reader = Reader {
            consumer,
            topic: topic.to_owned(),
            partition,
            next: from,
            pending: VecDeque::new(),
            last_error: None,
            parked: false,
            last_used: Instant::now(),
        };
        reader.assign(from)?;
        Ok(reader)
    }

    /// The offset of the record the next read returns first.
    pub fn position(&self) -> u64 {
        self.pending.front().map_or(self.next, |r| r.offset)
    }

    /// Moves to `from`: free if `from` is the position or among the pending records,
    /// otherwise a new assignment (dropping whatever was prefetched). A parked reader is
    /// assigned again where its pending records end.
    pub fn seek(&mut self, from: u64) -> Result<()> {
        if self.pending.front().is_some_and(|r| r.offset <= from) && from < self.next {
            while self.pending.front().is_some_and(|r| r.offset < from) {
                self.pending.pop_front();
            }
        } else if from != self.next || !self.pending.is_empty() {
            self.pending.clear();
            return self.assign(from);
        }
        if self.parked {
            self.assign(self.next)?;
        }
        Ok(())
    }

    /// Stops fetching (unassigns the partition) until the next seek. For a reader at the
    /// end: a consumer left assigned there keeps long-polling the broker for nothing.
    pub fn park(&mut self) -> Result<()> {
        if !self.parked {
            self.consumer
                .unassign()
                .map_err(|e| from_kafka(self.context(), &e))?;
            self.parked = true;
        }
        Ok(())
    }

    fn assign(&mut self, from: u64) -> Result<()> {
        let mut assignment = TopicPartitionList::new();
        assignment
            .add_partition_offset(
                &self.topic,
                self.partition as i32,
                Offset::Offset(from as i64),
            )
            .map_err(|e| from_kafka(self.context(), &e))?;
        self.consumer
            .assign(&assignment)
            .map_err(|e| from_kafka(self.context(), &e))?;
        self.next = from;
        self.parked = false;
        Ok(())
    }

    /// Reads up to `max_records` records from `from`, within `max_bytes` but at least one:
    /// the contract of `EventLog::read`. Records below `known_end` exist, so the read
    /// waits for them (until `deadline`, then [`Error::Unavailable`] if it has none);
    /// beyond it, it takes only what has already been fetched.
    pub fn read(
        &mut self,
        from: u64,
        max_records: usize,
        max_bytes: usize,
        known_end: u64,
        deadline: Instant,
    ) -> Result<Vec<StoredRecord>> {
        self.last_used = Instant::now();
        self.seek(from)?;
        let mut records: Vec<StoredRecord> = Vec::new();
        let mut bytes = 0usize;
        while records.len() < max_records {
            let must_exist = self.position() < known_end;
            let wait = if must_exist {
                deadline.saturating_duration_since(Instant::now())
            } else {
                Duration::ZERO
            };
            if must_exist && wait.is_zero() {
                if records.is_empty() {
                    return Err(self.unavailable(known_end));
                }
                break;
            }
            let Some(record) = self.next_record(wait.min(POLL_SLICE))? else {
                if must_exist {
                    continue;
                }
                break;
            };
            let size = record.key.len() + record.value.len();
            if !records.is_empty() && bytes + size > max_bytes {
                self.pending.push_front(record);
                break;
            }
            bytes += size;
            records.push(record);
        }
        Ok(records)
    }

    /// The offset after the last record this reader has received: records below it exist.
    pub fn seen_end(&self) -> u64 {
        self.next
    }

    /// The next record: a pending one, or one polled within `wait`.
    fn next_record(&mut self, wait: Duration) -> Result<Option<StoredRecord>> {
        match self.pending.pop_front() {
            Some(record) => Ok(Some(record)),
            None => self.poll(wait),
        }
    }

    /// A record from the consumer, waiting at most `wait`.
    fn poll(&mut self, wait: Duration) -> Result<Option<StoredRecord>> {
        let message = match self.consumer.poll(wait) {
            None => return Ok(None),
            Some(Ok(message)) => message,
            Some(Err(error)) => return self.polled_error(error),
        };
        let offset = message.offset();
        if offset < self.next as i64 {
            // Delivered before a re-assignment took effect: not where this reader is.
            return Ok(None);
        }
        self.next = offset as u64 + 1;
        self.last_error = None;
        Ok(Some(StoredRecord {
            offset: offset as u64,
            key: message.key().unwrap_or_default().to_vec(),
            value: message.payload().unwrap_or_default().to_vec(),
        }))
    }

    /// Transient errors (the broker went away) are remembered and polling goes on until
    /// the caller's deadline; anything else (an offset no longer retained) fails the read.
    fn polled_error(&mut self, error: KafkaError) -> Result<Option<StoredRecord>> {
        let transient = error.rdkafka_error_code().is_some_and(is_transient)
            && error.rdkafka_error_code() != Some(RDKafkaErrorCode::OffsetOutOfRange);
        if transient {
            self.last_error = Some(error.to_string());
            Ok(None)
        } else {
            Err(from_kafka(self.context(), &error))
        }
    }

    fn unavailable(&self, known_end: u64) -> Error {
        let context = format!(
            "reading {}/{} from offset {} (records up to {} exist)",
            self.topic,
            self.partition,
            self.position(),
            known_end
        );
        match &self.last_error {
            Some(reason) => Error::Unavailable {
                context,
                reason: reason.clone(),
            },
            None => Error::Unavailable {
                context,
                reason: "no record came from the cluster before the deadline".to_owned(),
            },
        }
    }

    fn context(&self) -> String {
        format!("reading {}/{}", self.topic, self.partition)
    }

    /// Gives the consumer up, for a deliberate shutdown (see `pool::shut_down`).
    pub fn into_consumer(self) -> BaseConsumer<LogContext> {
        self.consumer
    }
}
