//! The end watcher: how `wait_for_offset` learns of other processes' appends. One thread
//! per log handle asks the leaders for the end of every partition someone waits on, all
//! in one ListOffsets round per `fetch_wait_ms`, and raises the handle's known watermarks,
//! which wakes the waiters. Nothing is asked while nobody waits. After
//! [`QUIET_ROUNDS`] rounds in a row that found nothing new, the pause doubles up to
//! [`IDLE_PAUSE`], and the first round that finds something brings it back to
//! `fetch_wait_ms`: an idle process costs the broker a round a second, and another
//! process's first append after a quiet spell is seen within that second (this
//! process's own appends, and ends a reader asks for, wake waiters at once).
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
    let mut quiet_rounds = 0u32;
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
        quiet_rounds = match ask_ends(topics, &waited, timeout) {
            true => 0,
            false => quiet_rounds.saturating_add(1),
        };
        let watchlist = shared
            .changed
            .wait_timeout_while(shared.lock(), pause(interval, quiet_rounds), |w| !w.stopped)
            .unwrap_or_else(|p| p.into_inner())
            .0;
        if watchlist.stopped {
            break;
        }
    }
}

/// Rounds in a row that find nothing new before the watcher slows down.
const QUIET_ROUNDS: u32 = 10;
/// The longest pause between rounds, reached after a quiet spell.
const IDLE_PAUSE: Duration = Duration::from_secs(1);

/// The pause after `quiet_rounds` rounds in a row found nothing new: `interval`, then
/// doubling up to [`IDLE_PAUSE`] (never below `interval`).
fn pause(interval: Duration, quiet_rounds: u32) -> Duration {
    let doublings = quiet_rounds.saturating_sub(QUIET_ROUNDS).min(16);
    (interval * 2u32.pow(doublings)).min(IDLE_PAUSE.max(interval))
}

/// Asks the leaders for the ends of `waited`, raises the known watermarks and records
/// each partition's answer (or its absence), which `wait_for_offset` reports once its
/// wait runs out: a waiter learns that the leader is away, not just that nothing came.
/// True when some end was past what this handle knew.
fn ask_ends(topics: &Topics, waited: &[(Arc<TopicState>, u32)], timeout: Duration) -> bool {
    let asked: Vec<(&TopicState, u32)> = waited.iter().map(|(s, p)| (&**s, *p)).collect();
    let ends = match topics.ask_ends(&asked, timeout) {
        Ok(ends) => ends,
        Err(error) => {
            tracing::debug!(%error, "asking the ends of the waited partitions failed");
            let error = from_kafka("asking the ends of the waited partitions", &error);
            for (state, partition) in waited {
                state.answered(*partition, Some(&error));
            }
            return false;
        }
    };
    let mut raised = false;
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
                raised |= state.advance(partition, offset.max(0) as u64);
            }
            (Err(error), _) => {
                let context = format!("asking the end of {}/{partition}", state.name);
                state.answered(partition, Some(&from_kafka(context, &error)));
            }
            _ => {}
        }
    }
    raised
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pause_grows_after_a_quiet_spell_up_to_a_second_and_never_below_the_interval() {
        let interval = Duration::from_millis(100);
        assert_eq!(pause(interval, 0), interval);
        assert_eq!(pause(interval, QUIET_ROUNDS), interval);
        assert_eq!(pause(interval, QUIET_ROUNDS + 1), interval * 2);
        assert_eq!(pause(interval, QUIET_ROUNDS + 3), interval * 8);
        assert_eq!(pause(interval, QUIET_ROUNDS + 4), IDLE_PAUSE);
        assert_eq!(pause(interval, u32::MAX), IDLE_PAUSE);
        let slow = Duration::from_secs(5);
        assert_eq!(pause(slow, u32::MAX), slow, "never shorter than asked");
    }
}
