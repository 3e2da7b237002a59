//! Idle readers kept for the next read of their partition. A projection reads each
//! partition in a loop from where it stopped, so the reader whose position is the
//! requested offset is handed back with its prefetched records; a read elsewhere reuses
//! (re-assigns) another reader of the partition or creates one.
//!
//! A reader handed back at the known end of its partition is parked (it stops fetching)
//! until taken again: nothing more is known to exist there, and waiting for more is the
//! end watcher's job (`watcher`). One still behind keeps prefetching for its next read.
//!
//! The pool is bounded (per partition and in total) and drops readers left idle for a
//! minute. Consumers are always shut down deliberately — unassigned, then dropped on a
//! thread of their own that the closer waits for with a timeout — never dropped on a
//! caller's task.

use std::sync::mpsc;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rdkafka::consumer::Consumer;

use super::options::KafkaOptions;
use super::reader::Reader;
use crate::Result;

/// Idle readers kept for one partition (several projections may read it at different
/// positions).
const MAX_IDLE_PER_PARTITION: usize = 4;
/// Idle readers kept in all.
const MAX_IDLE: usize = 256;
/// A reader idle this long is shut down.
const IDLE_FOR: Duration = Duration::from_secs(60);

pub(crate) struct ReaderPool {
    options: KafkaOptions,
    idle: Mutex<Vec<Reader>>,
}

impl ReaderPool {
    pub fn new(options: &KafkaOptions) -> ReaderPool {
        ReaderPool {
            options: options.clone(),
            idle: Mutex::new(Vec::new()),
        }
    }

    /// A reader of `topic`/`partition`, preferably one already positioned at `from`.
    /// Blocking (creating a consumer is).
    pub fn take(&self, topic: &str, partition: u32, from: u64) -> Result<Reader> {
        let reused = {
            let mut idle = self.lock();
            let same = |r: &Reader| r.topic == topic && r.partition == partition;
            idle.iter()
                .position(|r| same(r) && r.position() == from)
                .or_else(|| idle.iter().position(same))
                .map(|at| idle.swap_remove(at))
        };
        match reused {
            Some(reader) => Ok(reader),
            None => Reader::new(&self.options, topic, partition, from),
        }
    }

    /// Keeps `reader` for later, parked if it is at `known_end` (or beyond), shutting down
    /// whatever the bounds push out.
    pub fn put(&self, mut reader: Reader, known_end: u64) {
        if reader.position() >= known_end {
            if let Err(error) = reader.park() {
                tracing::debug!(%error, "could not park a kafka reader; shutting it down");
                shut_down(vec![reader], self.options.timeout, false);
                return;
            }
        }
        let evicted = {
            let mut idle = self.lock();
            idle.push(reader);
            evict(&mut idle)
        };
        if !evicted.is_empty() {
            shut_down(evicted, self.options.timeout, false);
        }
    }

    /// Shuts down every idle reader, waiting at most the configured timeout.
    pub fn shut_down_idle(&self) {
        let idle = std::mem::take(&mut *self.lock());
        shut_down(idle, self.options.timeout, true);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Reader>> {
        self.idle.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Drop for ReaderPool {
    fn drop(&mut self) {
        self.shut_down_idle();
    }
}

/// Removes the readers beyond the bounds: idle too long, then the least recently used
/// of a partition with too many, then the least recently used overall.
fn evict(idle: &mut Vec<Reader>) -> Vec<Reader> {
    let now = Instant::now();
    let mut evicted = Vec::new();
    let mut i = 0;
    while i < idle.len() {
        if now.duration_since(idle[i].last_used) > IDLE_FOR {
            evicted.push(idle.swap_remove(i));
        } else {
            i += 1;
        }
    }
    idle.sort_by_key(|r| std::cmp::Reverse(r.last_used));
    let mut i = 0;
    while i < idle.len() {
        let (topic, partition) = (&idle[i].topic, idle[i].partition);
        let newer = idle[..i]
            .iter()
            .filter(|r| &r.topic == topic && r.partition == partition)
            .count();
        if newer >= MAX_IDLE_PER_PARTITION || i >= MAX_IDLE {
            evicted.push(idle.remove(i));
        } else {
            i += 1;
        }
    }
    evicted
}

/// Unassigns and drops the readers' consumers on a thread of their own. With `wait`, waits
/// for that at most `timeout` and logs if it took longer (the thread then finishes in the
/// background); without, returns at once.
pub(crate) fn shut_down(readers: Vec<Reader>, timeout: Duration, wait: bool) {
    if readers.is_empty() {
        return;
    }
    let count = readers.len();
    let (done, finished) = mpsc::channel();
    let spawned = std::thread::Builder::new()
        .name("learnlog-kafka-close".to_owned())
        .spawn(move || {
            for reader in readers {
                let consumer = reader.into_consumer();
                let _ = consumer.unassign();
                drop(consumer);
            }
            let _ = done.send(());
        });
    if let Err(error) = spawned {
        tracing::error!(%error, "could not start a thread to shut kafka readers down");
        return;
    }
    if wait && finished.recv_timeout(timeout).is_err() {
        tracing::warn!(
            readers = count,
            timeout_ms = timeout.as_millis() as u64,
            "kafka readers did not shut down in time; leaving them to finish in the background"
        );
    }
}
