//! Operational endpoints: liveness, readiness, Prometheus metrics.

use crate::state::AppState;
use actix_web::{web, HttpResponse};
use prometheus::Encoder;

/// Alive as long as the process answers.
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().body("ok")
}

/// Ready once every projection has folded what the log held at start, and while every
/// projection can read the log (on Kafka: while the cluster answers). Costs no I/O: the
/// folding tasks probe the log continuously and record their last failure.
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let failing: Vec<String> = state
        .projections()
        .into_iter()
        .filter_map(|projection| {
            projection
                .failure()
                .map(|reason| format!("{}: {reason}", projection.name()))
        })
        .collect();
    if let Some(first) = failing.first() {
        return HttpResponse::ServiceUnavailable()
            .body(format!("folding fails (is the log reachable?): {first}"));
    }
    let pending: Vec<&str> = state
        .projections()
        .into_iter()
        .filter(|projection| !projection.is_ready())
        .map(|projection| projection.name())
        .collect();
    if pending.is_empty() {
        HttpResponse::Ok().body("ready")
    } else {
        HttpResponse::ServiceUnavailable().body(format!("catching up: {}", pending.join(", ")))
    }
}

/// Every metric of the process, in the Prometheus text format.
pub async fn metrics() -> HttpResponse {
    let encoder = prometheus::TextEncoder::new();
    let mut body = Vec::new();
    match encoder.encode(&prometheus::gather(), &mut body) {
        Ok(()) => HttpResponse::Ok()
            .content_type(encoder.format_type())
            .body(body),
        Err(error) => HttpResponse::InternalServerError().body(error.to_string()),
    }
}
