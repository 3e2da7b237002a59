//! Topics on the cluster: creation with the requested partition count and replication
//! factor, partition counts (cached for the life of the handle, since they never change)
//! and, per partition, the highest high watermark this handle has seen.
//!
//! Every call here blocks the calling thread for at most the configured timeout: they
//! back the synchronous `ensure_topic`, `partition_count` and `high_watermark`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::{KafkaResult, RDKafkaErrorCode};
use rdkafka::{Offset, TopicPartitionList};
use tokio::sync::watch;

use super::context::LogContext;
use super::errors::{from_code, from_kafka, timed_out};
use super::options::KafkaOptions;
use super::shared_ends::SharedEnds;
use crate::topic_rules::{validate_name, validate_partition_count};
use crate::{Error, Result};

/// A topic as this handle knows it: its partition count and, per partition, the highest
/// high watermark seen (from acknowledged appends, records read and watermark queries).
/// Those only grow, which is what keeps `high_watermark` monotonic.
#[derive(Debug)]
pub(crate) struct TopicState {
    pub name: String,
    pub partitions: u32,
    watermarks: Vec<watch::Sender<u64>>,
    /// Per partition: when and why the last watermark request went unanswered
    /// ([`Error::Unavailable`]); cleared by the next answer.
    unanswered: Vec<Mutex<Option<(Instant, String)>>>,
    /// Asks for every partition's end, shared by concurrent callers.
    all_ends: SharedEnds,
}

/// After a watermark request went unanswered, further requests for that partition fail at
/// once for this long instead of each waiting the full timeout: while a leader is down,
/// every request handler and folding task would otherwise block a thread for the whole
/// timeout. One request per partition and pause probes the leader again.
const ASK_AGAIN_AFTER: Duration = Duration::from_secs(1);

impl TopicState {
    fn new(name: &str, partitions: u32) -> TopicState {
        TopicState {
            name: name.to_owned(),
            partitions,
            watermarks: (0..partitions).map(|_| watch::Sender::new(0)).collect(),
            unanswered: (0..partitions).map(|_| Mutex::new(None)).collect(),
            all_ends: SharedEnds::default(),
        }
    }

    /// The failure of a watermark request for `partition` less than [`ASK_AGAIN_AFTER`]
    /// ago, as the error to answer with now.
    fn recently_unanswered(&self, partition: u32) -> Option<Error> {
        let slot = self.unanswered.get(partition as usize)?;
        let last = slot.lock().unwrap_or_else(|p| p.into_inner());
        let (at, reason) = last.as_ref()?;
        (at.elapsed() < ASK_AGAIN_AFTER).then(|| Error::Unavailable {
            context: format!("reading the high watermark of {}/{partition}", self.name),
            reason: format!(
                "no answer {} ms ago ({reason}); asking again {} ms after that",
                at.elapsed().as_millis(),
                ASK_AGAIN_AFTER.as_millis()
            ),
        })
    }

    /// The failure of the last watermark request for `partition`, however long ago, if no
    /// answer came since: a wait that ran out reports it (the end watcher's requests each
    /// take up to the log's timeout to fail, longer than [`ASK_AGAIN_AFTER`]).
    pub fn last_unanswered(&self, partition: u32) -> Option<Error> {
        let slot = self.unanswered.get(partition as usize)?;
        let last = slot.lock().unwrap_or_else(|p| p.into_inner());
        let (at, reason) = last.as_ref()?;
        Some(Error::Unavailable {
            context: format!("waiting for records in {}/{partition}", self.name),
            reason: format!(
                "the leader left a request {} ms ago unanswered ({reason})",
                at.elapsed().as_millis()
            ),
        })
    }

    /// Records the outcome of a watermark request for `partition`.
    pub fn answered(&self, partition: u32, outcome: Option<&Error>) {
        if let Some(slot) = self.unanswered.get(partition as usize) {
            let mut last = slot.lock().unwrap_or_else(|p| p.into_inner());
            *last = match outcome {
                Some(Error::Unavailable { reason, .. }) => Some((Instant::now(), reason.clone())),
                _ => None,
            };
        }
    }

    fn watermark(&self, partition: u32) -> Result<&watch::Sender<u64>> {
        self.watermarks
            .get(partition as usize)
            .ok_or_else(|| Error::UnknownPartition {
                topic: self.name.clone(),
                partition,
                partitions: self.partitions,
            })
    }

    /// Fails with [`Error::UnknownPartition`] unless `partition` exists.
    pub fn check(&self, partition: u32) -> Result<()> {
        self.watermark(partition).map(|_| ())
    }

    /// The highest high watermark seen for `partition` (0 for an unknown partition).
    pub fn known(&self, partition: u32) -> u64 {
        self.watermark(partition).map_or(0, |w| *w.borrow())
    }

    /// Raises the known high watermark of `partition` to `end` if that is higher; true
    /// when it did.
    pub fn advance(&self, partition: u32, end: u64) -> bool {
        let Ok(watermark) = self.watermark(partition) else {
            return false;
        };
        watermark.send_if_modified(|known| {
            let raised = end > *known;
            if raised {
                *known = end;
            }
            raised
        })
    }

    /// Changes of the known high watermark of `partition`.
    pub fn subscribe(&self, partition: u32) -> Result<watch::Receiver<u64>> {
        Ok(self.watermark(partition)?.subscribe())
    }
}

/// Topic administration and metadata through one admin client.
pub(crate) struct Topics {
    admin: AdminClient<LogContext>,
    /// Asks partitions' ends (ListOffsets, latest), one request per leader for any number
    /// of partitions; never assigned anything.
    ends: BaseConsumer<LogContext>,
    timeout: Duration,
    replication: i32,
    cache: RwLock<HashMap<String, Arc<TopicState>>>,
}

impl Topics {
    pub fn new(options: &KafkaOptions) -> Result<Topics> {
        let admin: AdminClient<LogContext> = options
            .admin_config()
            .create_with_context(LogContext)
            .map_err(|e| from_kafka("creating the kafka admin client", &e))?;
        let ends: BaseConsumer<LogContext> = options
            .ends_config()
            .create_with_context(LogContext)
            .map_err(|e| from_kafka("creating the kafka watermark client", &e))?;
        Ok(Topics {
            admin,
            ends,
            timeout: options.timeout,
            replication: options.replication,
            cache: RwLock::new(HashMap::new()),
        })
    }

    /// The topic, from the cache or else from the cluster's metadata;
    /// [`Error::UnknownTopic`] if the cluster does not have it.
    pub fn get(&self, name: &str) -> Result<Arc<TopicState>> {
        if let Some(state) = self.cached(name) {
            return Ok(state);
        }
        match self.describe(name)? {
            Some(partitions) => Ok(self.remember(name, partitions)),
            None => Err(Error::UnknownTopic(name.to_owned())),
        }
    }

    /// Creates the topic (CreateTopics with the partition count and replication factor)
    /// unless it exists, then waits until the cluster's metadata shows it with a leader for
    /// every partition. An existing topic must have `partitions` partitions. `config` is
    /// set on a topic this creates (an existing one keeps its own).
    pub fn ensure(&self, name: &str, partitions: u32, config: &[(&str, &str)]) -> Result<()> {
        validate_name(name)?;
        validate_partition_count(partitions)?;
        if let Some(state) = self.cached(name) {
            return same_count(name, state.partitions, partitions);
        }
        let context = || format!("creating topic {name:?}");
        let topic = config.iter().fold(
            NewTopic::new(
                name,
                partitions as i32,
                TopicReplication::Fixed(self.replication),
            ),
            |topic, (key, value)| topic.set(key, value),
        );
        let options = AdminOptions::new()
            .request_timeout(Some(self.timeout))
            .operation_timeout(Some(self.timeout));
        // The admin client's own thread completes this future; no async runtime needed.
        let results = futures::executor::block_on(self.admin.create_topics([&topic], &options))
            .map_err(|e| from_kafka(context(), &e))?;
        match results.into_iter().next() {
            Some(Ok(_)) => {
                tracing::info!(
                    topic = name,
                    partitions,
                    replication = self.replication,
                    "created a kafka topic"
                );
            }
            Some(Err((_, RDKafkaErrorCode::TopicAlreadyExists))) => {}
            Some(Err((_, code))) => {
                return Err(from_code(context(), code, "the cluster refused"));
            }
            None => {
                return Err(Error::Kafka {
                    context: context(),
                    reason: "the cluster answered without a result for the topic".to_owned(),
                })
            }
        }
        let existing = self.wait_until_visible(name)?;
        same_count(name, existing, partitions)?;
        self.remember(name, existing);
        Ok(())
    }

    /// Asks the partition's leader for its high watermark and returns the highest one
    /// seen, so that the answer never decreases.
    pub fn fetch_high_watermark(&self, topic: &TopicState, partition: u32) -> Result<u64> {
        self.fetch_high_watermark_within(topic, partition, self.timeout)
    }

    /// [`Topics::fetch_high_watermark`] waiting at most `timeout` for the answer. Fails
    /// at once with [`Error::Unavailable`] if the partition's leader left a request
    /// unanswered (within the log's full timeout) less than a second ago.
    pub fn fetch_high_watermark_within(
        &self,
        topic: &TopicState,
        partition: u32,
        timeout: Duration,
    ) -> Result<u64> {
        Ok(self.fetch_ends(topic, &[partition], timeout)?[0])
    }

    /// [`Topics::fetch_high_watermark`] of every partition of `topic`, in one request
    /// shared with the callers asking at the same time (see `shared_ends`).
    pub fn fetch_high_watermarks(&self, topic: &TopicState) -> Result<Vec<u64>> {
        let partitions: Vec<u32> = (0..topic.partitions).collect();
        (topic.all_ends).ask(&topic.name, || {
            self.fetch_ends(topic, &partitions, self.timeout)
        })
    }

    /// Asks the ends of `partitions` of `topic` in one request, records each answer (see
    /// [`TopicState::answered`]) and returns the highest end seen of each, in order.
    fn fetch_ends(
        &self,
        topic: &TopicState,
        partitions: &[u32],
        timeout: Duration,
    ) -> Result<Vec<u64>> {
        for &partition in partitions {
            topic.check(partition)?;
            if let Some(error) = topic.recently_unanswered(partition) {
                return Err(error);
            }
        }
        let context =
            |partition: u32| format!("reading the high watermark of {}/{partition}", topic.name);
        // A wait shorter than the log's timeout (a waiter with little time left) proves
        // nothing about the leader when it runs out; only a full-length one counts.
        let full_length = timeout >= self.timeout;
        let asked: Vec<(&TopicState, u32)> = partitions.iter().map(|&p| (topic, p)).collect();
        let answer = match self.ask_ends(&asked, timeout) {
            Ok(answer) => answer,
            Err(error) => {
                let error = from_kafka(context(partitions[0]), &error);
                for &partition in partitions.iter().filter(|_| full_length) {
                    topic.answered(partition, Some(&error));
                }
                return Err(error);
            }
        };
        let mut ends = Vec::with_capacity(partitions.len());
        for &partition in partitions {
            let element = answer.find_partition(&topic.name, partition as i32);
            let fetched = match element.map(|end| (end.error(), end.offset())) {
                Some((Ok(()), Offset::Offset(end))) => Ok(end),
                Some((Err(error), _)) => Err(from_kafka(context(partition), &error)),
                _ => Err(from_kafka(
                    context(partition),
                    &rdkafka::error::KafkaError::OffsetFetch(RDKafkaErrorCode::OffsetNotAvailable),
                )),
            };
            if fetched.is_ok() || full_length {
                topic.answered(partition, fetched.as_ref().err());
            }
            topic.advance(partition, fetched?.max(0) as u64);
            ends.push(topic.known(partition));
        }
        Ok(ends)
    }

    /// Asks the leaders for the ends of `partitions` (ListOffsets for the latest offset,
    /// one request per leader however many partitions), waiting at most `timeout`. Each
    /// element of the answer carries its own error or offset.
    pub fn ask_ends(
        &self,
        partitions: &[(&TopicState, u32)],
        timeout: Duration,
    ) -> KafkaResult<TopicPartitionList> {
        let mut latest = TopicPartitionList::new();
        for (topic, partition) in partitions {
            latest.add_partition_offset(&topic.name, *partition as i32, Offset::End)?;
        }
        self.ends.offsets_for_times(latest, timeout)
    }

    fn cached(&self, name: &str) -> Option<Arc<TopicState>> {
        let cache = self.cache.read().unwrap_or_else(|p| p.into_inner());
        cache.get(name).cloned()
    }

    fn remember(&self, name: &str, partitions: u32) -> Arc<TopicState> {
        let mut cache = self.cache.write().unwrap_or_else(|p| p.into_inner());
        cache
            .entry(name.to_owned())
            .or_insert_with(|| Arc::new(TopicState::new(name, partitions)))
            .clone()
    }

    /// The topic's partition count according to the cluster's metadata, `None` if the
    /// cluster does not know the topic.
    fn describe(&self, name: &str) -> Result<Option<u32>> {
        Ok(self.metadata(name)?.map(|(count, _)| count))
    }

    /// `(partition count, every partition has a leader)`, or `None` for an unknown topic.
    fn metadata(&self, name: &str) -> Result<Option<(u32, bool)>> {
        let context = || format!("reading the metadata of topic {name:?}");
        let metadata = self
            .admin
            .inner()
            .fetch_metadata(Some(name), self.timeout)
            .map_err(|e| from_kafka(context(), &e))?;
        let Some(topic) = metadata.topics().iter().find(|t| t.name() == name) else {
            return Ok(None);
        };
        match topic.error().map(RDKafkaErrorCode::from) {
            None => {}
            Some(RDKafkaErrorCode::UnknownTopicOrPartition | RDKafkaErrorCode::UnknownTopic) => {
                return Ok(None)
            }
            Some(code) => return Err(from_code(context(), code, "the cluster reported")),
        }
        let partitions = topic.partitions();
        let led = partitions
            .iter()
            .all(|p| p.leader() >= 0 && p.error().is_none());
        Ok(Some((partitions.len() as u32, led)))
    }

    /// Polls the metadata until the topic shows with a leader for every partition.
    fn wait_until_visible(&self, name: &str) -> Result<u32> {
        let started = Instant::now();
        loop {
            if let Some((count, true)) = self.metadata(name)? {
                if count > 0 {
                    return Ok(count);
                }
            }
            if started.elapsed() >= self.timeout {
                return Err(timed_out(
                    format!("waiting for topic {name:?} to appear in the cluster's metadata"),
                    self.timeout,
                ));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

fn same_count(name: &str, existing: u32, requested: u32) -> Result<()> {
    if existing == requested {
        Ok(())
    } else {
        Err(Error::PartitionCountMismatch {
            topic: name.to_owned(),
            existing,
            requested,
        })
    }
}
