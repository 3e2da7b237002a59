//! `learnlog-loadtest`: an open-loop load generator for learnlog's xAPI API.
//!
//! Scenarios:
//! - `lms`: an LMS posting single statements (PUT with an id);
//! - `bulk`: a bulk importer posting batches (POST of an array);
//! - `read`: a reader fetching statements by id (posts a working set first);
//! - `query`: statement queries (`--query agent|verb-since|related-activity`, limit=100)
//!   over statements loaded before, e.g. by `bulk`;
//! - `decisions`: learners' decisions over `--learners` learners × 60 competencies
//!   (seeded first unless already there);
//! - `produce`: the `bulk` statements as raw records straight to a Kafka broker
//!   (`--brokers`), the broker's own rate to compare learnlog on it with.
//!
//! With `--rate`, requests start on a fixed schedule whatever the server does, and
//! latency is measured from the scheduled start (no coordinated omission). Without
//! it, `--concurrency` workers send back to back (closed loop, for peak throughput).
//! Every run is bounded by `--duration` and `--max-requests`, and only loopback
//! targets are allowed.

mod decisions;
mod produce;
mod report;
mod scenario;

use clap::Parser;
use scenario::{QueryKind, Scenario, Settings};
use std::time::Duration;

/// Load generator for learnlog.
#[derive(Debug, Parser)]
struct Args {
    /// Which traffic to send.
    #[arg(value_enum)]
    scenario: Scenario,
    /// Base URL of learnlog (loopback only).
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    url: String,
    /// Credential key.
    #[arg(long, env = "LEARNLOG_LOADTEST_KEY")]
    key: String,
    /// Credential secret.
    #[arg(long, env = "LEARNLOG_LOADTEST_SECRET", hide_env_values = true)]
    secret: String,
    /// Concurrent requests in flight at most.
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// Statements per request (bulk scenario).
    #[arg(long, default_value_t = 100)]
    batch: usize,
    /// Approximate size of each statement in bytes.
    #[arg(long, default_value_t = 1024)]
    statement_bytes: usize,
    /// Requests per second to start (open loop); omit for closed loop.
    #[arg(long)]
    rate: Option<f64>,
    /// How long to send.
    #[arg(long, default_value = "20", value_parser = parse_seconds)]
    duration: Duration,
    /// Stop after this many requests.
    #[arg(long, default_value_t = 1_000_000)]
    max_requests: u64,
    /// Which query the `query` scenario sends.
    #[arg(long, value_enum, default_value = "agent")]
    query: QueryKind,
    /// `since` of the verb-since query (an xAPI timestamp).
    #[arg(long, default_value = "2020-01-01T00:00:00Z")]
    since: String,
    /// Learners of the decisions scenario.
    #[arg(long, default_value_t = 10_000)]
    learners: usize,
    /// The Kafka broker of the produce scenario (`host:port`, loopback only).
    #[arg(long)]
    brokers: Option<String>,
    /// The topic the produce scenario writes (created with `--partitions` if missing).
    #[arg(long, default_value = "learnlog-loadtest-raw")]
    topic: String,
    /// Partitions of the produce scenario's topic when it creates it.
    #[arg(long, default_value_t = 8)]
    partitions: i32,
    /// Print the report as one JSON line instead of text.
    #[arg(long)]
    json: bool,
}

fn parse_seconds(value: &str) -> Result<Duration, String> {
    value
        .trim_end_matches('s')
        .parse::<f64>()
        .map(Duration::from_secs_f64)
        .map_err(|error| format!("duration in seconds: {error}"))
}

fn is_loopback(host: &str) -> bool {
    host == "localhost" || host.starts_with("127.") || host == "[::1]"
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let host = reqwest::Url::parse(&args.url)?
        .host_str()
        .unwrap_or_default()
        .to_owned();
    anyhow::ensure!(
        is_loopback(&host),
        "load tests target loopback only, not {host}"
    );
    if let Some(brokers) = &args.brokers {
        anyhow::ensure!(
            brokers.split(',').all(|broker| is_loopback(
                broker.rsplit_once(':').map_or(broker, |(host, _)| host)
            )),
            "load tests target loopback only, not {brokers}"
        );
    }
    let settings = Settings {
        url: args.url.trim_end_matches('/').to_owned(),
        key: args.key,
        secret: args.secret,
        concurrency: args.concurrency.max(1),
        batch: args.batch.max(1),
        statement_bytes: args.statement_bytes,
        rate: args.rate,
        duration: args.duration,
        max_requests: args.max_requests,
        query: args.query,
        since: args.since,
        learners: args.learners.max(1),
        brokers: args.brokers,
        topic: args.topic,
        partitions: args.partitions.max(1),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let report = runtime.block_on(scenario::run(args.scenario, &settings))?;
    if args.json {
        println!("{}", report.to_json(args.scenario, &settings));
    } else {
        print!("{}", report.to_text(args.scenario, &settings));
    }
    Ok(())
}
