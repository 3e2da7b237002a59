//! The end watcher: how `wait_for_offset` learns of other processes' appends. One thread
//! per log handle asks the leaders for the end of every partition someone waits on, all
//! in one ListOffsets round per `fetch_wait_ms`, and raises the handle's known watermarks,
//! which wakes the waiters. Nothing is asked while nobody waits.
//!
//! A consumer long-polling each waited partition would cost the broker a fetch per
//! partition and fetch wait; on a broker whose fetch is a storage query per partition
//! (tansu) an idle process then kept a core busy.

use std::collections::HashMap;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Duration;

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::{Offset, TopicPartitionList};

use super::admin::TopicState;
use super::context::LogContext;
use super::errors::from_kafka;
use super::options::KafkaOptions;
use crate::Result;

pub(crate) struct EndWatcher {
    shared: Arc<Shared>,
}

/// A partition someone waits on, and how many wait on it.
struct Waited {
    state: Arc<TopicState>,
    waiters: usize,
}

#[derive(Default)]
struct Watchlist {
    partitions: HashMap<(String, u32), Waited>,
    stopped: bool,
}

#[derive(Default)]
struct Shared {
    watchlist: Mutex<Watchlist>,
    changed: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Watchlist> {
        self.watchlist.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl EndWatcher {
    /// Creates the client (never assigned anything) and starts the thread that asks.
    pub fn start(options: &KafkaOptions) -> Result<EndWatcher> {
        let consumer: BaseConsumer<LogContext> = options
            .watcher_config()
            .create_with_context(LogContext)
            .map_err(|e| from_kafka("creating the kafka end watcher", &e))?;
        let shared = Arc::new(Shared::default());
        let (interval, timeout) = (options.fetch_wait, options.timeout);
        let watching = shared.clone();
        std::thread::Builder::new()
            .name("learnlog-kafka-watch".to_owned())
            .spawn(move || ask_while_waited(consumer, &watching, interval, timeout))
            .map_err(|e| crate::Error::Kafka {
                context: "starting the kafka end watcher".to_owned(),
                reason: e.to_string(),
            })?;
        Ok(EndWatcher { shared })
    }

    /// Watches `partition` of `state`'s topic until the returned guard is dropped.
    pub fn watch(&self, state: &Arc<TopicState>, partition: u32) -> Watching {
        let key = (state.name.clone(), partition);
        let mut watchlist = self.shared.lock();
        let first = watchlist.partitions.is_empty();
        watchlist
            .partitions
            .entry(key.clone())
            .or_insert_with(|| Waited {
                state: state.clone(),
                waiters: 0,
            })
            .waiters += 1;
        if first {
            self.shared.changed.notify_all();
        }
        Watching {
            shared: self.shared.clone(),
            key,
        }
    }

    /// Stops the thread; it drops its client on its way out.
    pub fn stop(&self) {
        self.shared.lock().stopped = true;
        self.shared.changed.notify_all();
    }
}

impl Drop for EndWatcher {
    fn drop(&mut self) {
        self.stop();
    }
}

/// One waiter's interest in a partition; dropping it ends the interest.
pub(crate) struct Watching {
    shared: Arc<Shared>,
    key: (String, u32),
}

impl Drop for Watching {
    fn drop(&mut self) {
        let mut watchlist = self.shared.lock();
        if let Some(waited) = watchlist.partitions.get_mut(&self.key) {
            waited.waiters -= 1;
            if waited.waiters == 0 {
                watchlist.partitions.remove(&self.key);
            }
        }
    }
}

/// The watcher thread: sleeps while nothing is waited on, otherwise asks for the ends of
/// the waited partitions every `interval` until stopped.
fn ask_while_waited(
    consumer: BaseConsumer<LogContext>,
    shared: &Shared,
    interval: Duration,
    timeout: Duration,
) {
    loop {
        let waited: Vec<(Arc<TopicState>, u32)> = {
            let watchlist = shared
                .changed
                .wait_while(shared.lock(), |w| w.partitions.is_empty() && !w.stopped)
                .unwrap_or_else(|p| p.into_inner());
            if watchlist.stopped {
                break;
            }
            (watchlist.partitions.iter())
                .map(|((_, partition), waited)| (waited.state.clone(), *partition))
                .collect()
        };
        ask_ends(&consumer, &waited, timeout);
        let watchlist = shared
            .changed
            .wait_timeout_while(shared.lock(), interval, |w| !w.stopped)
            .unwrap_or_else(|p| p.into_inner())
            .0;
        if watchlist.stopped {
            break;
        }
    }
    drop(consumer);
}

/// Asks the leaders for the ends of `waited` (ListOffsets, latest) and raises the known
/// watermarks. A failure is only logged: the waiters time out as they would have, and the
/// next round asks again.
fn ask_ends(
    consumer: &BaseConsumer<LogContext>,
    waited: &[(Arc<TopicState>, u32)],
    timeout: Duration,
) {
    let mut latest = TopicPartitionList::new();
    for (state, partition) in waited {
        if let Err(error) = latest.add_partition_offset(&state.name, *partition as i32, Offset::End)
        {
            tracing::debug!(%error, topic = %state.name, partition, "could not ask for a partition's end");
        }
    }
    let ends = match consumer.offsets_for_times(latest, timeout) {
        Ok(ends) => ends,
        Err(error) => {
            tracing::debug!(%error, "asking the ends of the waited partitions failed");
            return;
        }
    };
    for end in ends.elements() {
        let Offset::Offset(offset) = end.offset() else {
            continue;
        };
        let partition = end.partition() as u32;
        let state = waited
            .iter()
            .find(|(state, p)| *p == partition && state.name == end.topic());
        if let (Some((state, _)), Ok(())) = (state, end.error()) {
            state.advance(partition, offset.max(0) as u64);
        }
    }
}
