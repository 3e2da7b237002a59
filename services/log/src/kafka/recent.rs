//! This handle's own recent appends, kept so that reading them back costs no broker
//! round trip. A process that appends and then folds what it appended (one `learnlog
//! serve` on Kafka) would otherwise wait for a consumer's fetch of records it already
//! holds; on tansu that fetch, not the append, was most of a single statement's time.
//!
//! Records are kept by offset once the broker acknowledged them (so they are exactly
//! what the partition holds there), up to [`KEPT_BYTES_PER_PARTITION`] per partition,
//! the oldest dropped first. A read is served from here only from an offset kept here
//! and only while the offsets that follow are kept too: a gap is another process's
//! record, which only the broker has.
//!
//! A reader can learn of a record before its append has kept it: the end watcher's
//! round may see the partition's new end between the broker's acknowledgement and the
//! keeping. So each partition knows the appends in flight to it
//! ([`RecentAppends::begin`]), and a read that finds nothing here first lets those in
//! flight when it came end ([`RecentAppends::settle`]); only then does it go to the
//! broker. Appends end out of order (one writing several partitions ends after a later
//! one writing one of them), so it is those appends a read waits for, not a count.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use crate::{Position, Record, StoredRecord};

/// Bytes (keys and values) kept per partition.
pub(crate) const KEPT_BYTES_PER_PARTITION: usize = 4 << 20;

#[derive(Default)]
pub(crate) struct RecentAppends {
    partitions: Mutex<HashMap<(String, u32), Kept>>,
    /// The number the next append gets, in the order appends begin.
    next_append: AtomicU64,
    /// Woken whenever an append ends.
    ended: tokio::sync::Notify,
}

#[derive(Default)]
struct Kept {
    records: BTreeMap<u64, Record>,
    bytes: usize,
    /// The numbers of the appends to the partition in flight.
    in_flight: BTreeSet<u64>,
}

/// An append in flight, counted against the partitions it writes until dropped.
pub(crate) struct Appending {
    recent: Arc<RecentAppends>,
    number: u64,
    topic: String,
    partitions: BTreeSet<u32>,
}

impl Drop for Appending {
    fn drop(&mut self) {
        let mut partitions = self.recent.lock();
        for &partition in &self.partitions {
            if let Some(kept) = partitions.get_mut(&(self.topic.clone(), partition)) {
                kept.in_flight.remove(&self.number);
            }
        }
        drop(partitions);
        self.recent.ended.notify_waiters();
    }
}

impl RecentAppends {
    /// Counts an append to `partitions` of `topic` as in flight until the returned guard
    /// is dropped: after its records are kept, or once it failed.
    pub fn begin(self: &Arc<Self>, topic: &str, partitions: BTreeSet<u32>) -> Appending {
        let mut kept = self.lock();
        let number = self.next_append.fetch_add(1, Ordering::Relaxed);
        for &partition in &partitions {
            let kept = kept.entry((topic.to_owned(), partition)).or_default();
            kept.in_flight.insert(number);
        }
        Appending {
            recent: self.clone(),
            number,
            topic: topic.to_owned(),
            partitions,
        }
    }

    /// Waits, at most until `deadline`, until every append to `partition` in flight when
    /// it was called has ended. False when none was (nothing to wait for).
    pub async fn settle(&self, topic: &str, partition: u32, deadline: Instant) -> bool {
        let key = (topic.to_owned(), partition);
        let in_flight = |end: fn(&BTreeSet<u64>) -> Option<&u64>| {
            (self.lock().get(&key)).and_then(|kept| end(&kept.in_flight).copied())
        };
        // numbers grow as appends begin: those in flight now are the ones up to the newest
        let Some(newest) = in_flight(BTreeSet::last) else {
            return false;
        };
        let deadline = tokio::time::Instant::from_std(deadline);
        loop {
            let ended = self.ended.notified();
            tokio::pin!(ended);
            ended.as_mut().enable();
            if in_flight(BTreeSet::first).is_none_or(|oldest| oldest > newest) {
                return true;
            }
            if tokio::time::timeout_at(deadline, ended).await.is_err() {
                return true;
            }
        }
    }

    /// Keeps the records of an acknowledged append, each at its position.
    pub fn remember<'a>(
        &self,
        topic: &str,
        appended: impl IntoIterator<Item = (Position, &'a Record)>,
    ) {
        let mut partitions = self.lock();
        for (position, record) in appended {
            let kept = (partitions)
                .entry((topic.to_owned(), position.partition))
                .or_default();
            kept.bytes += record.key.len() + record.value.len();
            kept.records.insert(position.offset, record.clone());
            while kept.bytes > KEPT_BYTES_PER_PARTITION {
                let Some((_, oldest)) = kept.records.pop_first() else {
                    break;
                };
                kept.bytes -= oldest.key.len() + oldest.value.len();
            }
        }
    }

    /// The records from `from` on, in order, while their offsets follow each other, at
    /// most `max_records` and, past the first, `max_bytes`; `None` unless `from` is kept.
    pub fn read(
        &self,
        topic: &str,
        partition: u32,
        from: u64,
        max_records: usize,
        max_bytes: usize,
    ) -> Option<Vec<StoredRecord>> {
        let partitions = self.lock();
        let kept = partitions.get(&(topic.to_owned(), partition))?;
        if !kept.records.contains_key(&from) {
            return None;
        }
        let mut records = Vec::new();
        let mut bytes = 0;
        for ((offset, record), expected) in kept.records.range(from..).zip(from..) {
            let size = record.key.len() + record.value.len();
            let full =
                records.len() >= max_records || (!records.is_empty() && bytes + size > max_bytes);
            if *offset != expected || full {
                break;
            }
            bytes += size;
            records.push(StoredRecord {
                offset: *offset,
                key: record.key.clone(),
                value: record.value.clone(),
            });
        }
        Some(records)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(String, u32), Kept>> {
        self.partitions.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// Settles `partition` of topic `t`, waiting 5 s at most.
    async fn settle(recent: &RecentAppends, partition: u32) -> bool {
        let deadline = Instant::now() + Duration::from_secs(5);
        recent.settle("t", partition, deadline).await
    }

    /// [`settle`] on a task of its own, started now.
    fn settling(recent: &Arc<RecentAppends>, partition: u32) -> tokio::task::JoinHandle<bool> {
        let recent = recent.clone();
        tokio::spawn(async move { settle(&recent, partition).await })
    }

    /// A read that finds nothing waits for the appends in flight when it came, and not
    /// for those begun after it, nor on partitions nobody appends to.
    #[tokio::test(flavor = "current_thread")]
    async fn a_read_settles_the_appends_in_flight_when_it_came() {
        let recent = Arc::new(RecentAppends::default());
        assert!(!settle(&recent, 0).await, "none in flight");
        let first = recent.begin("t", BTreeSet::from([0, 1]));
        let settled = settling(&recent, 0);
        tokio::task::yield_now().await;
        let later = recent.begin("t", BTreeSet::from([0]));
        assert!(
            !settled.is_finished(),
            "waits while the first append is in flight"
        );
        let kept = record("a");
        recent.remember("t", [(at(0, 0), &kept)]);
        drop(first);
        let waited = tokio::time::timeout(Duration::from_secs(1), settled).await;
        assert!(
            waited.unwrap().unwrap(),
            "settled once the first append ended"
        );
        assert!(recent.read("t", 0, 0, 10, usize::MAX).is_some());
        assert!(!settle(&recent, 2).await, "another partition");
        drop(later);
        assert!(!settle(&recent, 0).await);
    }

    /// An append writing two partitions may end after a later one writing one of them:
    /// the read waits for the first, though as many appends have ended as had begun.
    #[tokio::test(flavor = "current_thread")]
    async fn a_read_waits_for_an_older_append_that_ends_after_a_newer_one() {
        let recent = Arc::new(RecentAppends::default());
        let older = recent.begin("t", BTreeSet::from([0, 1]));
        let newer = recent.begin("t", BTreeSet::from([0]));
        let settled = settling(&recent, 0);
        tokio::task::yield_now().await;
        let newest = recent.begin("t", BTreeSet::from([0]));
        drop(newer);
        drop(newest);
        tokio::task::yield_now().await;
        assert!(
            !settled.is_finished(),
            "the older append is still in flight"
        );
        drop(older);
        let waited = tokio::time::timeout(Duration::from_secs(1), settled).await;
        assert!(waited.unwrap().unwrap());
    }

    #[tokio::test(flavor = "current_thread")]
    async fn settling_gives_up_after_the_timeout() {
        let recent = Arc::new(RecentAppends::default());
        let _stuck = recent.begin("t", BTreeSet::from([0]));
        let started = std::time::Instant::now();
        assert!(
            (recent)
                .settle("t", 0, started + Duration::from_millis(100))
                .await
        );
        assert!(started.elapsed() >= Duration::from_millis(100));
    }

    fn record(value: &str) -> Record {
        Record {
            key: b"k".to_vec(),
            value: value.as_bytes().to_vec(),
        }
    }

    fn at(partition: u32, offset: u64) -> Position {
        Position { partition, offset }
    }

    fn values(records: &[StoredRecord]) -> Vec<(u64, &[u8])> {
        records
            .iter()
            .map(|r| (r.offset, r.value.as_slice()))
            .collect()
    }

    #[test]
    fn a_read_stops_at_the_first_offset_another_process_wrote() {
        let recent = RecentAppends::default();
        let (a, b, d) = (record("a"), record("b"), record("d"));
        recent.remember("t", [(at(0, 5), &a), (at(0, 6), &b), (at(0, 8), &d)]);
        let read = recent.read("t", 0, 5, 10, usize::MAX).unwrap();
        assert_eq!(values(&read), vec![(5, &b"a"[..]), (6, &b"b"[..])]);
        assert!(
            recent.read("t", 0, 7, 10, usize::MAX).is_none(),
            "7 is not ours"
        );
        assert!(recent.read("t", 0, 4, 10, usize::MAX).is_none());
        assert!(
            recent.read("t", 1, 5, 10, usize::MAX).is_none(),
            "other partition"
        );
        assert!(
            recent.read("u", 0, 5, 10, usize::MAX).is_none(),
            "other topic"
        );
    }

    #[test]
    fn acknowledgements_out_of_order_still_read_in_order_within_the_bounds() {
        let recent = RecentAppends::default();
        let (c, a, b) = (record("c"), record("a"), record("b"));
        recent.remember("t", [(at(0, 2), &c)]);
        recent.remember("t", [(at(0, 0), &a), (at(0, 1), &b)]);
        let read = recent.read("t", 0, 0, 2, usize::MAX).unwrap();
        assert_eq!(values(&read), vec![(0, &b"a"[..]), (1, &b"b"[..])]);
        let read = recent.read("t", 0, 0, 10, 3).unwrap();
        assert_eq!(
            values(&read),
            vec![(0, &b"a"[..])],
            "a second record passes max_bytes"
        );
    }

    #[test]
    fn the_oldest_records_go_past_the_byte_bound() {
        let recent = RecentAppends::default();
        let big = Record {
            key: Vec::new(),
            value: vec![0; KEPT_BYTES_PER_PARTITION / 2],
        };
        recent.remember("t", (0..3).map(|offset| (at(0, offset), &big)));
        assert!(recent.read("t", 0, 0, 10, usize::MAX).is_none());
        let read = recent.read("t", 0, 1, 10, usize::MAX).unwrap();
        assert_eq!(read.len(), 2);
    }
}
