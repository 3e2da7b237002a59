//! Counters of what the log has done since it was opened, for the service to export as
//! Prometheus metrics (`learnlog_log_*_total`). Updated by the writer with relaxed
//! atomics; a snapshot is cheap.

use std::sync::atomic::{AtomicU64, Ordering};

/// A snapshot of the log's counters since it was opened.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LogStats {
    /// Records made durable and acknowledged.
    pub appended_records: u64,
    /// Bytes of key and value in those records (framing excluded).
    pub appended_bytes: u64,
    /// fsync calls on segment files and directories (group commit keeps this far below
    /// the number of appends under concurrency).
    pub fsyncs: u64,
    /// Records read from the Kafka brokers; reads of this handle's own recent appends
    /// are served without a fetch and not counted (always 0 on the embedded log).
    pub fetched_records: u64,
}

/// The live counters behind [`LogStats`].
#[derive(Debug, Default)]
pub(crate) struct Counters {
    appended_records: AtomicU64,
    appended_bytes: AtomicU64,
    fsyncs: AtomicU64,
    fetched_records: AtomicU64,
}

impl Counters {
    pub(crate) fn appended(&self, records: u64, bytes: u64) {
        self.appended_records.fetch_add(records, Ordering::Relaxed);
        self.appended_bytes.fetch_add(bytes, Ordering::Relaxed);
    }

    pub(crate) fn fsynced(&self) {
        self.fsyncs.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn fetched(&self, records: u64) {
        self.fetched_records.fetch_add(records, Ordering::Relaxed);
    }

    pub(crate) fn snapshot(&self) -> LogStats {
        LogStats {
            appended_records: self.appended_records.load(Ordering::Relaxed),
            appended_bytes: self.appended_bytes.load(Ordering::Relaxed),
            fsyncs: self.fsyncs.load(Ordering::Relaxed),
            fetched_records: self.fetched_records.load(Ordering::Relaxed),
        }
    }
}
