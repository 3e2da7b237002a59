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
