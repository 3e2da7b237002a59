//! Prometheus metrics of the API, registered in the default registry.

use prometheus::{
    register_histogram_vec, register_int_counter, register_int_counter_vec, register_int_gauge,
    register_int_gauge_vec, HistogramVec, IntCounter, IntCounterVec, IntGauge, IntGaugeVec,
};
use std::sync::LazyLock;

pub(crate) static HTTP_REQUESTS: LazyLock<IntCounterVec> = LazyLock::new(|| {
    register_int_counter_vec!(
        "learnlog_http_requests_total",
        "HTTP requests answered, by method, route and status.",
        &["method", "route", "status"]
    )
    .expect("metric registers once")
});

pub(crate) static HTTP_SECONDS: LazyLock<HistogramVec> = LazyLock::new(|| {
    register_histogram_vec!(
        "learnlog_http_request_duration_seconds",
        "Time from request to response, by method and route.",
        &["method", "route"],
        vec![0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5]
    )
    .expect("metric registers once")
});

pub(crate) static LOG_APPENDS: LazyLock<IntCounter> = LazyLock::new(|| {
    register_int_counter!(
        "learnlog_log_appends_total",
        "Durable appends to the log made by the API."
    )
    .expect("metric registers once")
});

pub(crate) static LOG_APPENDED_RECORDS: LazyLock<IntCounter> = LazyLock::new(|| {
    register_int_counter!(
        "learnlog_log_appended_records_total",
        "Records appended to the log by the API."
    )
    .expect("metric registers once")
});

pub(crate) static LOG_APPEND_SECONDS: LazyLock<HistogramVec> = LazyLock::new(|| {
    register_histogram_vec!(
        "learnlog_log_append_duration_seconds",
        "Time for an append to become durable, by topic.",
        &["topic"],
        vec![0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0]
    )
    .expect("metric registers once")
});

pub(crate) static STATEMENTS_STORED: LazyLock<IntCounterVec> = LazyLock::new(|| {
    register_int_counter_vec!(
        "learnlog_statements_submitted_total",
        "Statements submitted through the API, by outcome.",
        &["outcome"]
    )
    .expect("metric registers once")
});

pub(crate) static RATE_LIMITED_REQUESTS: LazyLock<IntCounter> = LazyLock::new(|| {
    register_int_counter!(
        "learnlog_rate_limited_requests_total",
        "Authenticated requests refused with 429 because their credential's rate limit was exceeded."
    )
    .expect("metric registers once")
});

pub(crate) static WRITES_REFUSED_DISK_FULL: LazyLock<IntCounter> = LazyLock::new(|| {
    register_int_counter!(
        "learnlog_writes_refused_disk_full_total",
        "Writes refused with 507 because the data directory's free space was below --min-free-disk-bytes."
    )
    .expect("metric registers once")
});

pub(crate) static DISK_FREE_BYTES: LazyLock<IntGauge> = LazyLock::new(|| {
    register_int_gauge!(
        "learnlog_disk_free_bytes",
        "Free bytes on the data directory's filesystem, as the last write saw them."
    )
    .expect("metric registers once")
});

pub(crate) static OWNED_PARTITIONS: LazyLock<IntGauge> = LazyLock::new(|| {
    register_int_gauge!(
        "learnlog_owned_partitions",
        "Partitions this projector owns now (partition p of documents, learner-events and the re-publishing of statements)."
    )
    .expect("metric registers once")
});

pub(crate) static FORWARDING_DELIVERED: LazyLock<IntCounterVec> = LazyLock::new(|| {
    register_int_counter_vec!(
        "learnlog_forwarding_delivered_total",
        "Statements a forwarding delivered to its target, by tenant and forwarding.",
        &["tenant", "forwarding"]
    )
    .expect("metric registers once")
});

pub(crate) static FORWARDING_FAILURES: LazyLock<IntCounterVec> = LazyLock::new(|| {
    register_int_counter_vec!(
        "learnlog_forwarding_failures_total",
        "Failed delivery attempts of a forwarding (each is retried), by tenant and forwarding.",
        &["tenant", "forwarding"]
    )
    .expect("metric registers once")
});

pub(crate) static FORWARDING_LAG: LazyLock<IntGaugeVec> = LazyLock::new(|| {
    register_int_gauge_vec!(
        "learnlog_forwarding_lag_records",
        "Records of the statements topic a forwarding has not looked at yet, by tenant and forwarding.",
        &["tenant", "forwarding"]
    )
    .expect("metric registers once")
});

/// The log handle's own counters (every writer of the process: the API, the
/// repartitioner, the key topic), brought up to date at each scrape by
/// [`export_log_stats`] from the totals the handle keeps since it opened.
struct LogCounters {
    written_records: IntCounter,
    written_bytes: IntCounter,
    fsyncs: IntCounter,
    fetched_records: IntCounter,
    /// The totals exported last.
    exported: learnlog_log::LogStats,
}

static LOG_COUNTERS: LazyLock<std::sync::Mutex<LogCounters>> = LazyLock::new(|| {
    let counter =
        |name: &str, help: &str| register_int_counter!(name, help).expect("metric registers once");
    std::sync::Mutex::new(LogCounters {
        written_records: counter(
            "learnlog_log_written_records_total",
            "Records this process made durable in the log (every writer, not only the API).",
        ),
        written_bytes: counter(
            "learnlog_log_written_bytes_total",
            "Key and value bytes of those records.",
        ),
        fsyncs: counter(
            "learnlog_log_fsyncs_total",
            "fsync calls of the embedded log (files and directories); 0 on Kafka, whose brokers sync.",
        ),
        fetched_records: counter(
            "learnlog_log_fetched_records_total",
            "Records fetched from the Kafka brokers (reads of this process's own recent appends are not fetched); 0 on the embedded log.",
        ),
        exported: learnlog_log::LogStats::default(),
    })
});

/// Adds what the log did since the last scrape: `stats` are the handle's totals since
/// it opened (a total below the last one exported means a log opened again in this
/// process, whose totals count from zero).
pub(crate) fn export_log_stats(stats: learnlog_log::LogStats) {
    let mut counters = LOG_COUNTERS.lock().unwrap_or_else(|p| p.into_inner());
    let last = counters.exported;
    let since = |total: u64, last: u64| total.checked_sub(last).unwrap_or(total);
    (counters.written_records).inc_by(since(stats.appended_records, last.appended_records));
    (counters.written_bytes).inc_by(since(stats.appended_bytes, last.appended_bytes));
    (counters.fsyncs).inc_by(since(stats.fsyncs, last.fsyncs));
    (counters.fetched_records).inc_by(since(stats.fetched_records, last.fetched_records));
    counters.exported = stats;
}

#[cfg(test)]
mod tests {
    use super::*;
    use learnlog_log::LogStats;

    fn exported() -> [u64; 4] {
        let counters = LOG_COUNTERS.lock().unwrap();
        [
            counters.written_records.get(),
            counters.written_bytes.get(),
            counters.fsyncs.get(),
            counters.fetched_records.get(),
        ]
    }

    /// Scrapes add what the log did since the last one; a log opened again (its totals
    /// from zero) adds its own totals, and no counter ever goes down.
    #[test]
    fn the_log_totals_are_exported_as_counters_that_never_go_down() {
        let stats = |records, bytes, fsyncs, fetched| LogStats {
            appended_records: records,
            appended_bytes: bytes,
            fsyncs,
            fetched_records: fetched,
        };
        export_log_stats(stats(10, 1000, 3, 0));
        assert_eq!(exported(), [10, 1000, 3, 0]);
        export_log_stats(stats(15, 1500, 4, 2));
        assert_eq!(exported(), [15, 1500, 4, 2]);
        export_log_stats(stats(15, 1500, 4, 2));
        assert_eq!(exported(), [15, 1500, 4, 2], "nothing new, nothing added");
        export_log_stats(stats(1, 100, 1, 0));
        assert_eq!(
            exported(),
            [16, 1600, 5, 2],
            "a reopened log counts from zero"
        );
    }
}
