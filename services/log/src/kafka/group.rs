//! Partition ownership through a Kafka consumer group. A member subscribes to one topic
//! and never consumes from it: the partitions the group assigns are paused at once, and
//! the member only reports what it owns. Whoever joined folds those partitions through
//! its own readers, from its own checkpoints.
//!
//! A rebalance takes partitions away before it hands them out again. The member tells
//! its owner with [`Ownership::Revoking`] and holds the rebalance (librdkafka's
//! callback runs on the member's polling thread) until the owner answers through
//! [`Release::done`] — after it finished the batch in flight and checkpointed — or
//! until the release timeout passes, whichever is first. Positions given to
//! [`GroupMember::commit`] are committed to the group every few seconds, for operators'
//! lag tools only; nothing reads them back.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rdkafka::client::ClientContext;
use rdkafka::config::RDKafkaLogLevel;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer, ConsumerContext, Rebalance};
use rdkafka::error::KafkaError;
use rdkafka::{Offset, TopicPartitionList};
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver, UnboundedSender};

use super::context::LogContext;
use super::errors::from_kafka;
use super::options::KafkaOptions;
use crate::Result;

/// How often the member polls (rebalance callbacks run inside a poll).
const POLL_EVERY: Duration = Duration::from_millis(100);
/// How often positions given to [`GroupMember::commit`] are committed.
const COMMIT_EVERY: Duration = Duration::from_secs(5);

/// A change of what this member owns, in the order the group decided it.
#[derive(Debug)]
pub enum Ownership {
    /// The member now owns these partitions (all of its assignment, after a rebalance).
    Assigned(BTreeSet<u32>),
    /// The group takes these partitions away: stop working on them, then call
    /// [`Release::done`]. The rebalance waits for it (bounded by the release timeout).
    Revoking {
        partitions: BTreeSet<u32>,
        release: Release,
    },
}

/// The answer a revocation waits for.
#[derive(Debug)]
pub struct Release(mpsc::SyncSender<()>);

impl Release {
    /// Lets the rebalance go on: the partitions are no longer worked on here.
    pub fn done(self) {
        let _ = self.0.send(());
    }
}

/// How a member joins its group.
#[derive(Clone, Debug)]
pub struct GroupOptions {
    /// The consumer group (`group.id`): every process of one role shares it.
    pub group: String,
    /// The topic whose partitions are shared out.
    pub topic: String,
    /// A member missing heartbeats this long is taken out of the group and its
    /// partitions given to the others (`session.timeout.ms`).
    pub session_timeout: Duration,
    /// The longest a rebalance waits for [`Release::done`].
    pub release_timeout: Duration,
    /// A name that stays with the process across restarts (`group.instance.id`, static
    /// membership): a member that comes back under it takes its old place at once,
    /// instead of joining beside a dead member the broker has not dropped yet. A static
    /// member that stops does not leave the group: its partitions wait for it (for the
    /// session timeout) instead of moving to another member and back.
    pub instance: Option<String>,
}

/// Membership in a consumer group; leaves the group when dropped or [`GroupMember::leave`]s.
pub struct GroupMember {
    stop: Arc<AtomicBool>,
    positions: Arc<Mutex<BTreeMap<u32, u64>>>,
    thread: Option<JoinHandle<()>>,
}

impl GroupMember {
    /// Joins the group; ownership changes arrive on the returned receiver.
    pub(crate) fn join(
        options: &KafkaOptions,
        group: GroupOptions,
    ) -> Result<(GroupMember, UnboundedReceiver<Ownership>)> {
        let (events, receiver) = unbounded_channel();
        let context = GroupContext {
            events,
            release_timeout: group.release_timeout,
        };
        let consumer: BaseConsumer<GroupContext> = options
            .group_config(&group)
            .create_with_context(context)
            .map_err(|e| from_kafka("creating the consumer group member", &e))?;
        consumer
            .subscribe(&[&group.topic])
            .map_err(|e| from_kafka("subscribing the group member", &e))?;
        let stop = Arc::new(AtomicBool::new(false));
        let positions = Arc::new(Mutex::new(BTreeMap::new()));
        let thread = std::thread::Builder::new()
            .name(format!("group-{}", group.group))
            .spawn({
                let (stop, positions) = (stop.clone(), positions.clone());
                let leave = if group.instance.is_some() {
                    Leave::KeepPlace
                } else {
                    Leave::HandOver
                };
                move || poll_until_stopped(consumer, &group.topic, leave, &stop, &positions)
            })
            .map_err(|e| crate::Error::Kafka {
                context: "starting the group member's thread".to_owned(),
                reason: e.to_string(),
            })?;
        tracing::info!(group = %group.group, "joined the consumer group");
        Ok((
            GroupMember {
                stop,
                positions,
                thread: Some(thread),
            },
            receiver,
        ))
    }

    /// Records that everything before `next` of `partition` is done, to be committed
    /// to the group with the next commit (while the partition is assigned here).
    pub fn commit(&self, partition: u32, next: u64) {
        self.positions
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(partition, next);
    }

    /// Leaves the group, waiting at most `timeout` for the member's thread: a dynamic
    /// member's partitions go to the other members at once; a static member's place is
    /// kept for its next start (see [`GroupOptions::instance`]).
    pub fn leave(mut self, timeout: Duration) {
        self.stop_within(timeout);
    }

    fn stop_within(&mut self, timeout: Duration) {
        self.stop.store(true, Ordering::Relaxed);
        let Some(thread) = self.thread.take() else {
            return;
        };
        let deadline = Instant::now() + timeout;
        while !thread.is_finished() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        if thread.is_finished() {
            let _ = thread.join();
        } else {
            tracing::warn!("the group member did not leave in time; abandoning its thread");
        }
    }
}

impl Drop for GroupMember {
    fn drop(&mut self) {
        self.stop_within(Duration::from_secs(10));
    }
}

/// What stopping does to the member's place in the group.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Leave {
    /// A dynamic member leaves (LeaveGroup): its partitions go to the others at once.
    HandOver,
    /// A static member (`group.instance.id`) closes without leaving, as KIP-345 has it:
    /// the group keeps its place and its partitions for the session timeout, and the
    /// same name coming back takes them again without a rebalance. A rolling restart
    /// then moves no partition, and no other member folds one from an old checkpoint
    /// only to give it back; a member that does not come back is dropped after the
    /// session timeout.
    KeepPlace,
}

fn poll_until_stopped(
    consumer: BaseConsumer<GroupContext>,
    topic: &str,
    leave: Leave,
    stop: &AtomicBool,
    positions: &Mutex<BTreeMap<u32, u64>>,
) {
    let mut last_commit = Instant::now();
    while !stop.load(Ordering::Relaxed) {
        // Partitions are paused, so a message is not expected; errors are reported by
        // the context and retried by librdkafka.
        let _ = consumer.poll(POLL_EVERY);
        if last_commit.elapsed() >= COMMIT_EVERY {
            last_commit = Instant::now();
            commit_positions(&consumer, topic, positions);
        }
    }
    commit_positions(&consumer, topic, positions);
    // Leaving or closing runs the revoke callback once more; its owner has stopped by
    // now, so the release is not waited for (its channel is closed).
    if leave == Leave::HandOver {
        consumer.unsubscribe();
        let deadline = Instant::now() + Duration::from_secs(2);
        while Instant::now() < deadline && consumer.assignment().is_ok_and(|a| a.count() > 0) {
            let _ = consumer.poll(POLL_EVERY);
        }
    }
    // Dropping closes the consumer; librdkafka sends no LeaveGroup for a static member
    // that closes.
    drop(consumer);
    match leave {
        Leave::HandOver => tracing::info!(topic, "left the consumer group"),
        Leave::KeepPlace => tracing::info!(
            topic,
            "closed the static group member; its place is kept for the session timeout"
        ),
    }
}

/// Commits the recorded positions of the partitions assigned now.
fn commit_positions(
    consumer: &BaseConsumer<GroupContext>,
    topic: &str,
    positions: &Mutex<BTreeMap<u32, u64>>,
) {
    let Ok(assigned) = consumer.assignment() else {
        return;
    };
    let owned = partitions_of(&assigned);
    let positions = positions.lock().unwrap_or_else(|p| p.into_inner()).clone();
    let mut list = TopicPartitionList::new();
    for (partition, next) in positions.iter().filter(|(p, _)| owned.contains(p)) {
        let _ = list.add_partition_offset(topic, *partition as i32, Offset::Offset(*next as i64));
    }
    if list.count() > 0 {
        if let Err(error) = consumer.commit(&list, CommitMode::Async) {
            tracing::debug!(%error, "committing group positions failed; next time");
        }
    }
}

fn partitions_of(list: &TopicPartitionList) -> BTreeSet<u32> {
    list.elements()
        .iter()
        .filter_map(|element| u32::try_from(element.partition()).ok())
        .collect()
}

/// Carries rebalances to the member's owner; logs like every client of the backend.
struct GroupContext {
    events: UnboundedSender<Ownership>,
    release_timeout: Duration,
}

impl ClientContext for GroupContext {
    fn log(&self, level: RDKafkaLogLevel, facility: &str, message: &str) {
        LogContext.log(level, facility, message);
    }

    fn error(&self, error: KafkaError, reason: &str) {
        LogContext.error(error, reason);
    }
}

impl ConsumerContext for GroupContext {
    fn pre_rebalance(&self, _consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        let Rebalance::Revoke(list) = rebalance else {
            return;
        };
        let partitions = partitions_of(list);
        if partitions.is_empty() {
            return;
        }
        tracing::info!(
            ?partitions,
            "the group takes partitions away; releasing them"
        );
        let (done, released) = mpsc::sync_channel(1);
        let revoking = Ownership::Revoking {
            partitions,
            release: Release(done),
        };
        if self.events.send(revoking).is_err() {
            return;
        }
        match released.recv_timeout(self.release_timeout) {
            Ok(()) | Err(mpsc::RecvTimeoutError::Disconnected) => {}
            Err(mpsc::RecvTimeoutError::Timeout) => tracing::warn!(
                timeout_ms = self.release_timeout.as_millis() as u64,
                "partitions not released in time; the rebalance goes on"
            ),
        }
    }

    fn post_rebalance(&self, consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        match rebalance {
            Rebalance::Assign(list) => {
                // Ownership only: the owner reads through its own readers.
                if let Err(error) = consumer.pause(list) {
                    tracing::warn!(%error, "pausing assigned partitions failed");
                }
                let partitions = partitions_of(list);
                tracing::info!(?partitions, "the group assigned partitions");
                let _ = self.events.send(Ownership::Assigned(partitions));
            }
            Rebalance::Revoke(_) => {}
            Rebalance::Error(error) => tracing::warn!(%error, "rebalance failed"),
        }
    }
}
