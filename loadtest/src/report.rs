//! Latency histograms and the report printed at the end of a run.

use crate::scenario::{Scenario, Settings};
use hdrhistogram::Histogram;
use std::time::Duration;

/// What a run measured.
pub struct Report {
    /// Latency of successful requests, µs.
    pub latency: Histogram<u64>,
    pub requests: u64,
    pub errors: u64,
    pub statements: u64,
    pub bytes: u64,
    pub elapsed: Duration,
    /// First few error descriptions, for the operator.
    pub error_samples: Vec<String>,
}

impl Report {
    pub fn new() -> Self {
        Self {
            latency: Histogram::new_with_bounds(1, 120_000_000, 3).expect("valid bounds"),
            requests: 0,
            errors: 0,
            statements: 0,
            bytes: 0,
            elapsed: Duration::ZERO,
            error_samples: Vec::new(),
        }
    }

    pub fn merge(&mut self, other: &Report) {
        self.latency.add(&other.latency).expect("same bounds");
        self.requests += other.requests;
        self.errors += other.errors;
        self.statements += other.statements;
        self.bytes += other.bytes;
        for sample in &other.error_samples {
            if self.error_samples.len() < 5 {
                self.error_samples.push(sample.clone());
            }
        }
    }

    fn per_second(&self, count: u64) -> f64 {
        count as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    fn ms(&self, quantile: f64) -> f64 {
        self.latency.value_at_quantile(quantile) as f64 / 1000.0
    }

    pub fn to_json(&self, scenario: Scenario, settings: &Settings) -> String {
        serde_json::json!({
            "scenario": format!("{scenario:?}").to_lowercase(),
            "concurrency": settings.concurrency,
            "batch": if matches!(scenario, Scenario::Bulk | Scenario::Produce) { settings.batch } else { 1 },
            "rate": settings.rate,
            "seconds": self.elapsed.as_secs_f64(),
            "requests": self.requests,
            "errors": self.errors,
            "statements": self.statements,
            "requests_per_second": self.per_second(self.requests),
            "statements_per_second": self.per_second(self.statements),
            "mb_per_second": self.per_second(self.bytes) / 1e6,
            "p50_ms": self.ms(0.50),
            "p90_ms": self.ms(0.90),
            "p99_ms": self.ms(0.99),
            "max_ms": self.latency.max() as f64 / 1000.0,
            "error_samples": self.error_samples,
        })
        .to_string()
    }

    pub fn to_text(&self, scenario: Scenario, settings: &Settings) -> String {
        format!(
            "scenario {scenario:?}, concurrency {}, {:.1}s\n\
             requests   {} ({:.0}/s), errors {}\n\
             statements {} ({:.0}/s, {:.1} MB/s)\n\
             latency ms p50 {:.2}  p90 {:.2}  p99 {:.2}  max {:.2}\n{}",
            settings.concurrency,
            self.elapsed.as_secs_f64(),
            self.requests,
            self.per_second(self.requests),
            self.errors,
            self.statements,
            self.per_second(self.statements),
            self.per_second(self.bytes) / 1e6,
            self.ms(0.50),
            self.ms(0.90),
            self.ms(0.99),
            self.latency.max() as f64 / 1000.0,
            self.error_samples
                .iter()
                .map(|sample| format!("error: {sample}\n"))
                .collect::<String>(),
        )
    }
}
