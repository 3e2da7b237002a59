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

use rdkafka::Offset;

use super::admin::{TopicState, Topics};
use super::errors::from_kafka;
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
    /// Starts the thread that asks, through `topics`, every `interval` while someone waits;
    /// each round waits at most `timeout` for its answer.
    pub fn start(topics: Arc<Topics>, interval: Duration, timeout: Duration) -> Result<EndWatcher> {
        let shared = Arc::new(Shared::default());
        let watching = shared.clone();
        std::thread::Builder::new()
            .name("learnlog-kafka-watch".to_owned())
            .spawn(move || ask_while_waited(&topics, &watching, interval, timeout))
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

    /// Stops the thread.
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
fn ask_while_waited(topics: &Topics, shared: &Shared, interval: Duration, timeout: Duration) {
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
        ask_ends(topics, &waited, timeout);
        let watchlist = shared
            .changed
            .wait_timeout_while(shared.lock(), interval, |w| !w.stopped)
            .unwrap_or_else(|p| p.into_inner())
            .0;
        if watchlist.stopped {
            break;
        }
    }
}

/// Asks the leaders for the ends of `waited`, raises the known watermarks and records
/// each partition's answer (or its absence), which `wait_for_offset` reports once its
/// wait runs out: a waiter learns that the leader is away, not just that nothing came.
fn ask_ends(topics: &Topics, waited: &[(Arc<TopicState>, u32)], timeout: Duration) {
    let asked: Vec<(&TopicState, u32)> = waited.iter().map(|(s, p)| (&**s, *p)).collect();
    let ends = match topics.ask_ends(&asked, timeout) {
        Ok(ends) => ends,
        Err(error) => {
            tracing::debug!(%error, "asking the ends of the waited partitions failed");
            let error = from_kafka("asking the ends of the waited partitions", &error);
            for (state, partition) in waited {
                state.answered(*partition, Some(&error));
            }
            return;
        }
    };
    for end in ends.elements() {
        let partition = end.partition() as u32;
        let Some((state, _)) =
            (waited.iter()).find(|(state, p)| *p == partition && state.name == end.topic())
        else {
            continue;
        };
        match (end.error(), end.offset()) {
            (Ok(()), Offset::Offset(offset)) => {
                state.answered(partition, None);
                state.advance(partition, offset.max(0) as u64);
            }
            (Err(error), _) => {
                let context = format!("asking the end of {}/{partition}", state.name);
                state.answered(partition, Some(&from_kafka(context, &error)));
            }
            _ => {}
        }
    }
}
