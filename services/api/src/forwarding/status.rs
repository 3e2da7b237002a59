//! How each forwarding delivered by this process is doing: a board the API reads for
//! `GET /v1/forwardings/{id}`, and the Prometheus series per forwarding.

use crate::metrics::{FORWARDING_DELIVERED, FORWARDING_FAILURES, FORWARDING_LAG};
use prometheus::{IntCounter, IntGauge};
use serde::Serialize;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use utoipa::ToSchema;

/// The delivery of one forwarding, as this process sees it.
#[derive(Clone, Debug, Default, Serialize, ToSchema)]
pub struct DeliveryStatus {
    /// The stream position after the last statement delivered (as in
    /// `/v1/streams/statements`).
    pub position: String,
    /// Statements delivered since the forwarding was created.
    pub delivered: u64,
    /// Records of the statements topic not yet looked at (of every tenant, so an upper
    /// bound of the statements still to deliver).
    pub lag: u64,
    /// Failed delivery attempts since this process started delivering it.
    pub failures: u64,
    /// Why the last attempt failed, until one succeeds.
    pub last_error: Option<String>,
    /// When a batch was last delivered, microseconds since the Unix epoch.
    #[serde(skip)]
    pub last_delivered_micros: Option<i64>,
}

/// The deliveries this process runs, by tenant and forwarding id. Cheap to clone.
#[derive(Clone, Debug, Default)]
pub struct StatusBoard(Arc<Mutex<HashMap<(String, String), DeliveryStatus>>>);

impl StatusBoard {
    pub fn get(&self, tenant: &str, id: &str) -> Option<DeliveryStatus> {
        let board = self.0.lock().unwrap_or_else(|e| e.into_inner());
        board.get(&(tenant.to_owned(), id.to_owned())).cloned()
    }

    pub(super) fn update(&self, tenant: &str, id: &str, change: impl FnOnce(&mut DeliveryStatus)) {
        let mut board = self.0.lock().unwrap_or_else(|e| e.into_inner());
        change(board.entry((tenant.to_owned(), id.to_owned())).or_default());
    }

    pub(super) fn remove(&self, tenant: &str, id: &str) {
        let mut board = self.0.lock().unwrap_or_else(|e| e.into_inner());
        board.remove(&(tenant.to_owned(), id.to_owned()));
        let labels = [tenant, id];
        let _ = FORWARDING_DELIVERED.remove_label_values(&labels);
        let _ = FORWARDING_FAILURES.remove_label_values(&labels);
        let _ = FORWARDING_LAG.remove_label_values(&labels);
    }
}

/// The series of one forwarding.
pub(super) struct Metrics {
    pub delivered: IntCounter,
    pub failures: IntCounter,
    pub lag: IntGauge,
}

impl Metrics {
    pub fn of(tenant: &str, id: &str) -> Self {
        let labels = [tenant, id];
        Self {
            delivered: FORWARDING_DELIVERED.with_label_values(&labels),
            failures: FORWARDING_FAILURES.with_label_values(&labels),
            lag: FORWARDING_LAG.with_label_values(&labels),
        }
    }
}
