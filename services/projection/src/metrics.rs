//! Prometheus metrics of the fold runtime, registered in the default registry.

use prometheus::{
    register_histogram_vec, register_int_counter_vec, register_int_gauge_vec, HistogramVec,
    IntCounterVec, IntGaugeVec,
};
use std::sync::LazyLock;

pub(crate) static EVENTS_FOLDED: LazyLock<IntCounterVec> = LazyLock::new(|| {
    register_int_counter_vec!(
        "learnlog_projection_events_folded_total",
        "Events folded into a projection.",
        &["projection", "topic"]
    )
    .expect("metric registers once")
});

pub(crate) static EVENTS_SKIPPED: LazyLock<IntCounterVec> = LazyLock::new(|| {
    register_int_counter_vec!(
        "learnlog_projection_events_skipped_total",
        "Events a projection could not fold (undecodable or rejected) and skipped.",
        &["projection", "topic"]
    )
    .expect("metric registers once")
});

pub(crate) static LAG: LazyLock<IntGaugeVec> = LazyLock::new(|| {
    register_int_gauge_vec!(
        "learnlog_projection_lag_events",
        "Events appended to a partition and not yet folded by the projection.",
        &["projection", "topic", "partition"]
    )
    .expect("metric registers once")
});

pub(crate) static BATCH_SECONDS: LazyLock<HistogramVec> = LazyLock::new(|| {
    register_histogram_vec!(
        "learnlog_projection_batch_seconds",
        "Time to fold and commit one batch of events.",
        &["projection"],
        vec![0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0]
    )
    .expect("metric registers once")
});

pub(crate) static COMMITS: LazyLock<IntCounterVec> = LazyLock::new(|| {
    register_int_counter_vec!(
        "learnlog_projection_commits_total",
        "sled commits of a projection: batches of every partition folded together, or a \
         checkpoint alone.",
        &["projection"]
    )
    .expect("metric registers once")
});
