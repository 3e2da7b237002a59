//! The activities a learner visited, for "returned": a visit to an activity on a UTC
//! day after (or, arriving late, before) every day it was seen on before.
//!
//! Bounded per learner: activities are hashed into [`BUCKETS`] records of at most
//! [`BUCKET_CAPACITY`] entries (24 bytes each), so a learner keeps at most 2,048
//! activities and a statement rewrites one record of at most 768 bytes. A full bucket
//! forgets the activity visited least recently; coming back to a forgotten activity
//! counts as a first visit.

use learnlog_projector::days::Day;
use sha2::{Digest, Sha256};

/// Records per learner.
pub const BUCKETS: u8 = 64;
/// Activities per record.
pub const BUCKET_CAPACITY: usize = 32;

const ENTRY: usize = 24;

/// Where an activity is kept: the bucket's key under the learner's key, and the
/// activity's hash inside the bucket.
pub(crate) fn locate(learner_key: &[u8], activity_id: &str) -> (Vec<u8>, u64) {
    let digest = Sha256::digest(activity_id.as_bytes());
    let hash = u64::from_be_bytes(digest[..8].try_into().expect("8 bytes"));
    let mut key = learner_key.to_vec();
    key.push(digest[8] % BUCKETS);
    (key, hash)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Seen {
    hash: u64,
    first: Day,
    last: Day,
    /// The learner's statement count at the latest visit: the recency order.
    touched: u64,
}

/// One bucket of a learner's visited activities.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Bucket {
    entries: Vec<Seen>,
}

impl Bucket {
    // Fixed-width, not postcard: 24-byte entries cap a bucket at 768 bytes; `digest` hashes them.
    pub fn decode(bytes: &[u8]) -> Option<Self> {
        if !bytes.len().is_multiple_of(ENTRY) {
            return None;
        }
        let entries = bytes
            .chunks_exact(ENTRY)
            .map(|entry| Seen {
                hash: u64::from_be_bytes(entry[0..8].try_into().expect("8 bytes")),
                first: i32::from_be_bytes(entry[8..12].try_into().expect("4 bytes")),
                last: i32::from_be_bytes(entry[12..16].try_into().expect("4 bytes")),
                touched: u64::from_be_bytes(entry[16..24].try_into().expect("8 bytes")),
            })
            .collect();
        Some(Self { entries })
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(self.entries.len() * ENTRY);
        for seen in &self.entries {
            bytes.extend_from_slice(&seen.hash.to_be_bytes());
            bytes.extend_from_slice(&seen.first.to_be_bytes());
            bytes.extend_from_slice(&seen.last.to_be_bytes());
            bytes.extend_from_slice(&seen.touched.to_be_bytes());
        }
        bytes
    }

    /// The last day the activity `hash` was visited, if this bucket remembers it.
    pub fn last_visit(&self, hash: u64) -> Option<Day> {
        (self.entries.iter())
            .find(|seen| seen.hash == hash)
            .map(|seen| seen.last)
    }

    /// Records a visit to the activity `hash` on `day`; true when it is a return.
    pub fn visit(&mut self, hash: u64, day: Day, touched: u64) -> bool {
        if let Some(seen) = self.entries.iter_mut().find(|seen| seen.hash == hash) {
            let returned = day > seen.last || day < seen.first;
            seen.first = seen.first.min(day);
            seen.last = seen.last.max(day);
            seen.touched = touched;
            return returned;
        }
        if self.entries.len() >= BUCKET_CAPACITY {
            let oldest = self
                .entries
                .iter()
                .enumerate()
                .min_by_key(|(_, seen)| (seen.touched, seen.hash))
                .map(|(at, _)| at)
                .expect("a full bucket has entries");
            self.entries.swap_remove(oldest);
        }
        self.entries.push(Seen {
            hash,
            first: day,
            last: day,
            touched,
        });
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_visit_on_a_later_or_earlier_day_is_a_return_and_the_same_day_is_not() {
        let mut bucket = Bucket::default();
        assert!(!bucket.visit(7, 10, 1));
        assert!(!bucket.visit(7, 10, 2));
        assert!(bucket.visit(7, 12, 3));
        assert!(
            !bucket.visit(7, 11, 4),
            "between known days: not a new return"
        );
        assert!(bucket.visit(7, 9, 5), "a late-arriving earlier visit");
        assert_eq!(Bucket::decode(&bucket.encode()).unwrap(), bucket);
        assert_eq!(bucket.last_visit(7), Some(12));
        assert_eq!(bucket.last_visit(8), None);
    }

    #[test]
    fn a_full_bucket_forgets_the_least_recently_visited_activity() {
        let mut bucket = Bucket::default();
        for hash in 0..BUCKET_CAPACITY as u64 {
            bucket.visit(hash, 1, hash);
        }
        bucket.visit(0, 1, 100); // 0 is now the most recent; 1 the least
        bucket.visit(999, 2, 101);
        assert_eq!(bucket.entries.len(), BUCKET_CAPACITY);
        assert!(bucket.visit(0, 3, 102));
        assert!(
            !bucket.visit(1, 3, 103),
            "forgotten, so a first visit again"
        );
    }
}
