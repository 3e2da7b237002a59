//! Operational endpoints: liveness, readiness, Prometheus metrics, and the partitions
//! this process owns.

use crate::error::ApiError;
use crate::state::AppState;
use actix_web::{web, HttpResponse};
use learnlog_cluster::Ownership;
use learnlog_proto::topics;
use prometheus::Encoder;

/// Alive as long as the process answers.
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().body("ok")
}

/// Ready once every projection has folded what the log held at start, and while every
/// projection can read the log (on Kafka: while the cluster answers). Costs no I/O: the
/// folding tasks probe the log continuously and record their last failure. Events a
/// projection skipped because it could not fold them are listed after `ready`, one line
/// per projection: they do not make the process unready, but what it answers lacks them.
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    match readiness(&state) {
        Ok(()) => HttpResponse::Ok().body(format!("ready{}", skipped_events(&state))),
        Err(reason) => HttpResponse::ServiceUnavailable().body(reason),
    }
}

/// One line per projection that skipped events since it opened.
fn skipped_events(state: &AppState) -> String {
    (state.projections().into_iter())
        .filter_map(|projection| {
            let skipped = projection.skipped()?;
            Some(format!(
                "\n{}: skipped {} events it could not fold (learnlog_projection_events_skipped_total); last: {}",
                projection.name(),
                skipped.count,
                skipped.last
            ))
        })
        .collect()
}

/// Why the process is not ready, if it is not. A projector judges its partitioned
/// projections by the partitions it owns.
fn readiness(state: &AppState) -> Result<(), String> {
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
        return Err(format!("folding fails (is the log reachable?): {first}"));
    }
    let owned = state.owned.as_ref().map(|owned| owned.snapshot());
    let partitioned: Vec<&str> = state.partitioned().iter().map(|p| p.name()).collect();
    let pending: Vec<&str> = state
        .projections()
        .into_iter()
        .filter(|projection| match &owned {
            Some(owned) if partitioned.contains(&projection.name()) => !owned
                .iter()
                .all(|partition| projection.is_partition_ready(*partition)),
            _ => !projection.is_ready(),
        })
        .map(|projection| projection.name())
        .collect();
    if pending.is_empty() {
        Ok(())
    } else {
        Err(format!("catching up: {}", pending.join(", ")))
    }
}

/// `GET /internal/v1/ownership`: the partitions this process answers for and whether it
/// is ready, for the api processes that route requests (ADR 10).
pub async fn ownership(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let partition_count = state.log.partition_count(topics::STATEMENTS)?;
    let partitions = match &state.owned {
        Some(owned) => owned.snapshot(),
        None => (0..partition_count).collect(),
    };
    Ok(HttpResponse::Ok().json(Ownership {
        partitions,
        partition_count,
        ready: readiness(&state).is_ok(),
    }))
}

/// Every metric of the process, in the Prometheus text format.
pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    crate::metrics::export_log_stats(state.log.stats());
    let encoder = prometheus::TextEncoder::new();
    let mut body = Vec::new();
    match encoder.encode(&prometheus::gather(), &mut body) {
        Ok(()) => HttpResponse::Ok()
            .content_type(encoder.format_type())
            .body(body),
        Err(error) => HttpResponse::InternalServerError().body(error.to_string()),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_ownership_route_is_mounted_where_the_router_asks() {
        let mounted = include_str!("mod.rs");
        let route = format!(".route(\"{}\",", learnlog_cluster::OWNERSHIP_PATH);
        assert!(mounted.contains(&route), "routes/mod.rs mounts {route}");
    }
}
