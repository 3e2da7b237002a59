//! Events a projection skipped because it could not fold them: undecodable records and
//! events its fold rejected ([`crate::FoldError::BadEvent`]).
//!
//! Skipping is the runtime's policy, chosen so that one bad event never stops a
//! partition: the event is logged, counted in `learnlog_projection_events_skipped_total`,
//! and the checkpoint moves past it, so a replay skips it again. This record keeps the
//! count since the projection opened and the last one skipped, which `/readyz` reports
//! (a process that skipped events is still ready: what it answers is complete except for
//! them).

use std::sync::Mutex;

/// How many events were skipped since the projection opened, and the last one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SkippedEvents {
    pub count: u64,
    /// `topic/partition at offset N: why`.
    pub last: String,
}

#[derive(Default)]
pub(crate) struct SkippedRecord(Mutex<Option<SkippedEvents>>);

impl SkippedRecord {
    /// Adds `count` skipped events, `last` being the latest of them.
    pub fn note(&self, count: u64, last: String) {
        let mut record = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let total = record.as_ref().map_or(0, |skipped| skipped.count) + count;
        *record = Some(SkippedEvents { count: total, last });
    }

    pub fn get(&self) -> Option<SkippedEvents> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}
