//! Prometheus metrics of the api role, registered in the default registry.

use prometheus::{register_int_counter_vec, register_int_gauge, IntCounterVec, IntGauge};
use std::sync::LazyLock;

pub(crate) static PROJECTORS: LazyLock<IntGauge> = LazyLock::new(|| {
    register_int_gauge!(
        "learnlog_router_projectors",
        "Projectors this api process reached at its last look."
    )
    .expect("metric registers once")
});

pub(crate) static REQUESTS: LazyLock<IntCounterVec> = LazyLock::new(|| {
    register_int_counter_vec!(
        "learnlog_router_requests_total",
        "Requests routed, by how: any (a ready projector), owner (sent again to a partition's owner), scatter (every owner), stream (a subscription passed on to a ready projector), unavailable (503: no projector could answer).",
        &["route"]
    )
    .expect("metric registers once")
});
