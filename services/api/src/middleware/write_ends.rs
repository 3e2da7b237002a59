//! The statements partitions' ends behind a write's `X-Experience-API-Consistent-Through`
//! on a log whose ends are a round trip (Kafka): asked at most once per freshness
//! interval and shared by every write answered meanwhile. Asking them for each write cost
//! a ListOffsets request beside each single statement's append (on tansu, two fifths of
//! the broker's time under single-statement writers), for a header that clients poll
//! with reads, which still ask for their own.
//!
//! The claim stays safe: it is made from the instant taken just before the shared ends
//! were asked ([`AskedEnds::now_micros`]), never from the response's own time, so a write
//! answered later claims no more than those ends prove folded. It lags the response by
//! at most the freshness interval plus a round trip.

use crate::middleware::AskedEnds;
use learnlog_log::EventLog;
use learnlog_proto::topics;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long one answer serves the writes that follow it.
pub const WRITE_ENDS_FRESH_FOR: Duration = Duration::from_millis(100);

/// The latest ends asked for writes, shared by clones.
#[derive(Clone)]
pub struct WriteEnds {
    fresh_for: Duration,
    latest: Arc<Mutex<Option<(Instant, AskedEnds)>>>,
}

impl Default for WriteEnds {
    fn default() -> Self {
        WriteEnds::new(WRITE_ENDS_FRESH_FOR)
    }
}

impl WriteEnds {
    pub fn new(fresh_for: Duration) -> WriteEnds {
        WriteEnds {
            fresh_for,
            latest: Arc::default(),
        }
    }

    /// Ends asked less than the freshness interval ago, else asked now (concurrent
    /// callers share the log's round, see `EventLog::ask_high_watermarks`).
    pub async fn ask(&self, log: &EventLog) -> learnlog_log::Result<AskedEnds> {
        if let Some(fresh) = self.fresh() {
            return Ok(fresh);
        }
        let asked_at = Instant::now();
        let now_micros = chrono::Utc::now().timestamp_micros();
        let ends = log.ask_high_watermarks(topics::STATEMENTS).await?;
        let asked = AskedEnds { now_micros, ends };
        let mut latest = self.latest.lock().unwrap_or_else(|p| p.into_inner());
        if latest.as_ref().is_none_or(|(at, _)| *at < asked_at) {
            *latest = Some((asked_at, asked.clone()));
        }
        Ok(asked)
    }

    fn fresh(&self) -> Option<AskedEnds> {
        let latest = self.latest.lock().unwrap_or_else(|p| p.into_inner());
        (latest.as_ref())
            .filter(|(at, _)| at.elapsed() < self.fresh_for)
            .map(|(_, asked)| asked.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use learnlog_log::{EmbeddedOptions, Record};

    fn record() -> Record {
        Record {
            key: b"k".to_vec(),
            value: b"v".to_vec(),
        }
    }

    async fn log_with_statements(dir: &std::path::Path) -> EventLog {
        let log = EventLog::open_embedded(dir, EmbeddedOptions::default()).unwrap();
        log.ensure_topic(topics::STATEMENTS, 2).unwrap();
        log
    }

    #[tokio::test]
    async fn writes_within_the_interval_share_one_answer_and_later_ones_ask_again() {
        let dir = tempfile::tempdir().unwrap();
        let log = log_with_statements(dir.path()).await;
        let shared = WriteEnds::new(Duration::from_secs(3600));
        let first = shared.ask(&log).await.unwrap();
        log.append(topics::STATEMENTS, vec![record()])
            .await
            .unwrap();
        let second = shared.ask(&log).await.unwrap();
        assert_eq!(second.ends, first.ends, "the first answer is still fresh");
        assert_eq!(second.now_micros, first.now_micros);

        let asking = WriteEnds::new(Duration::ZERO);
        let before = asking.ask(&log).await.unwrap();
        log.append(topics::STATEMENTS, vec![record()])
            .await
            .unwrap();
        let after = asking.ask(&log).await.unwrap();
        let total = |asked: &AskedEnds| asked.ends.iter().sum::<u64>();
        assert_eq!(total(&after), total(&before) + 1, "asked again: {after:?}");
        assert!(after.now_micros >= before.now_micros);
    }
}
