//! Prometheus metrics of the repartitioner, registered in the default registry.

use prometheus::{register_int_counter, register_int_gauge_vec, IntCounter, IntGaugeVec};
use std::sync::LazyLock;

pub(crate) static REPUBLISHED: LazyLock<IntCounter> = LazyLock::new(|| {
    register_int_counter!(
        "learnlog_repartition_statements_total",
        "Accepted statements re-published on learner-events."
    )
    .expect("metric registers once")
});

pub(crate) static LAG: LazyLock<IntGaugeVec> = LazyLock::new(|| {
    register_int_gauge_vec!(
        "learnlog_repartition_lag_events",
        "Events of a statements partition not yet re-published (or passed over).",
        &["partition"]
    )
    .expect("metric registers once")
});
