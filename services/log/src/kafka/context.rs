//! The context every librdkafka client of the backend is created with. librdkafka
//! reports a lost connection from every client (the producer, each pooled reader, the
//! admin client), as a log line and as a global error, several times a second while a
//! broker is away. Here they are summarised: at most one line per [`REPEAT_EVERY`] for
//! the whole process, carrying how many were left out since the last one. The crate's
//! callers still see every failure as an error of the call that met it.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rdkafka::client::ClientContext;
use rdkafka::config::RDKafkaLogLevel;
use rdkafka::consumer::ConsumerContext;
use rdkafka::error::KafkaError;

/// The most one warning or error line of librdkafka is repeated.
const REPEAT_EVERY: Duration = Duration::from_secs(10);

static LAST_REPORTED: Mutex<Option<Instant>> = Mutex::new(None);
static LEFT_OUT: AtomicU64 = AtomicU64::new(0);

/// Runs `report` with the number of lines left out since the last report, unless one
/// was reported less than [`REPEAT_EVERY`] ago (then only counts this one).
fn summarised(report: impl FnOnce(u64)) {
    let mut last = LAST_REPORTED.lock().unwrap_or_else(|p| p.into_inner());
    if last.is_some_and(|at| at.elapsed() < REPEAT_EVERY) {
        LEFT_OUT.fetch_add(1, Ordering::Relaxed);
        return;
    }
    *last = Some(Instant::now());
    drop(last);
    report(LEFT_OUT.swap(0, Ordering::Relaxed));
}

/// The client context of the backend's producers, readers and admin client.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct LogContext;

impl ClientContext for LogContext {
    fn log(&self, level: RDKafkaLogLevel, facility: &str, message: &str) {
        use RDKafkaLogLevel::*;
        match level {
            Emerg | Alert | Critical | Error => summarised(
                |left_out| tracing::error!(target: "librdkafka", facility, left_out, "{message}"),
            ),
            Warning => summarised(
                |left_out| tracing::warn!(target: "librdkafka", facility, left_out, "{message}"),
            ),
            Notice | Info => tracing::info!(target: "librdkafka", facility, "{message}"),
            Debug => tracing::debug!(target: "librdkafka", facility, "{message}"),
        }
    }

    fn error(&self, error: KafkaError, reason: &str) {
        summarised(|left_out| tracing::error!(target: "librdkafka", %error, left_out, "{reason}"));
    }
}

impl ConsumerContext for LogContext {}
