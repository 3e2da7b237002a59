//! The scenarios and the open-loop request scheduler.

use crate::report::Report;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Scenario {
    /// Single statements, one PUT each.
    Lms,
    /// Batches of `--batch` statements, one POST each.
    Bulk,
    /// GET by statement id over a working set posted first.
    Read,
    /// Statement queries (`--query`) with limit=100 over statements loaded before
    /// (for example by `bulk`).
    Query,
    /// A learner's decisions (`GET /v1/learners/{agent}/decisions`) over `--learners`
    /// learners × 60 competencies, seeded first unless already there.
    Decisions,
}

/// Which statement query the `query` scenario sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum QueryKind {
    /// `agent=<one of the 10,000 learners>`.
    Agent,
    /// `verb=answered&since=<--since>`.
    VerbSince,
    /// `activity=<one of the 500 items>&related_activities=true`.
    RelatedActivity,
}

#[derive(Clone, Debug)]
pub struct Settings {
    pub url: String,
    pub key: String,
    pub secret: String,
    pub concurrency: usize,
    pub batch: usize,
    pub statement_bytes: usize,
    pub rate: Option<f64>,
    pub duration: Duration,
    pub max_requests: u64,
    pub query: QueryKind,
    /// `since` of the verb-since query.
    pub since: String,
    /// Learners of the decisions scenario.
    pub learners: usize,
}

const READ_WORKING_SET: usize = 2_000;

/// A statement of about `bytes` bytes with a fresh id.
pub fn statement(n: u64, bytes: usize) -> (String, String) {
    let id = uuid::Uuid::new_v4().to_string();
    let body = format!(
        concat!(
            r#"{{"id":"{id}","actor":{{"mbox":"mailto:learner{learner}@example.org","name":"Learner {learner}"}},"#,
            r#""verb":{{"id":"http://adlnet.gov/expapi/verbs/answered","display":{{"en-US":"answered"}}}},"#,
            r#""object":{{"id":"https://example.org/items/{item}","definition":{{"description":{{"en-US":"{pad}"}}}}}},"#,
            r#""result":{{"success":true,"score":{{"scaled":0.75}}}}}}"#
        ),
        id = id,
        learner = n % 10_000,
        item = n % 500,
        pad = "x".repeat(bytes.saturating_sub(330)),
    );
    (id, body)
}

/// One request of a scenario, ready to send.
struct Request {
    builder: reqwest::RequestBuilder,
    statements: u64,
    bytes: u64,
}

struct Context {
    client: reqwest::Client,
    settings: Settings,
    scenario: Scenario,
    ids: Vec<String>,
    issued: AtomicU64,
}

impl Context {
    fn xapi(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.client
            .request(method, format!("{}{path}", self.settings.url))
            .basic_auth(&self.settings.key, Some(&self.settings.secret))
            .header("X-Experience-API-Version", "2.0.0")
    }

    fn request(&self, n: u64) -> Request {
        let size = self.settings.statement_bytes;
        match self.scenario {
            Scenario::Lms => {
                let (id, body) = statement(n, size);
                Request {
                    bytes: body.len() as u64,
                    builder: self
                        .xapi(
                            reqwest::Method::PUT,
                            &format!("/xapi/statements?statementId={id}"),
                        )
                        .header("Content-Type", "application/json")
                        .body(body),
                    statements: 1,
                }
            }
            Scenario::Bulk => {
                let batch = self.settings.batch as u64;
                let bodies: Vec<String> = (0..batch)
                    .map(|i| statement(n * batch + i, size).1)
                    .collect();
                let body = format!("[{}]", bodies.join(","));
                Request {
                    bytes: body.len() as u64,
                    builder: self
                        .xapi(reqwest::Method::POST, "/xapi/statements")
                        .header("Content-Type", "application/json")
                        .body(body),
                    statements: batch,
                }
            }
            Scenario::Query => {
                // Spread the requests over learners and items with a stride prime to both.
                let pick = n.wrapping_mul(7_919);
                let params: Vec<(&str, String)> = match self.settings.query {
                    QueryKind::Agent => vec![(
                        "agent",
                        format!(
                            r#"{{"mbox":"mailto:learner{}@example.org"}}"#,
                            pick % 10_000
                        ),
                    )],
                    QueryKind::VerbSince => vec![
                        ("verb", "http://adlnet.gov/expapi/verbs/answered".into()),
                        ("since", self.settings.since.clone()),
                    ],
                    QueryKind::RelatedActivity => vec![
                        (
                            "activity",
                            format!("https://example.org/items/{}", pick % 500),
                        ),
                        ("related_activities", "true".into()),
                    ],
                };
                Request {
                    bytes: 0,
                    builder: self
                        .xapi(reqwest::Method::GET, "/xapi/statements")
                        .query(&params)
                        .query(&[("limit", "100")]),
                    statements: 1,
                }
            }
            Scenario::Decisions => {
                let path = crate::decisions::path(n.wrapping_mul(7_919), self.settings.learners);
                Request {
                    bytes: 0,
                    builder: self
                        .client
                        .get(format!("{}{path}", self.settings.url))
                        .basic_auth(&self.settings.key, Some(&self.settings.secret)),
                    statements: 1,
                }
            }
            Scenario::Read => {
                let id = &self.ids[n as usize % self.ids.len()];
                Request {
                    bytes: 0,
                    builder: self.xapi(
                        reqwest::Method::GET,
                        &format!("/xapi/statements?statementId={id}"),
                    ),
                    statements: 1,
                }
            }
        }
    }
}

/// Runs a scenario to its duration or request bound.
pub async fn run(scenario: Scenario, settings: &Settings) -> anyhow::Result<Report> {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(settings.concurrency)
        .timeout(Duration::from_secs(60))
        .build()?;
    let mut context = Context {
        client,
        settings: settings.clone(),
        scenario,
        ids: Vec::new(),
        issued: AtomicU64::new(0),
    };
    if scenario == Scenario::Read {
        context.ids = seed(&context).await?;
    }
    if scenario == Scenario::Decisions {
        let credential = (settings.key.as_str(), settings.secret.as_str());
        crate::decisions::seed(
            &context.client,
            &settings.url,
            credential,
            settings.learners,
        )
        .await?;
    }
    let context = Arc::new(context);
    let start = Instant::now();
    let workers: Vec<_> = (0..settings.concurrency)
        .map(|_| tokio::spawn(worker(context.clone(), start)))
        .collect();
    let mut report = Report::new();
    for worker in workers {
        report.merge(&worker.await?);
    }
    report.elapsed = start.elapsed();
    Ok(report)
}

/// Posts the working set of the read scenario; returns its ids.
async fn seed(context: &Context) -> anyhow::Result<Vec<String>> {
    let mut ids = Vec::with_capacity(READ_WORKING_SET);
    for chunk in 0..(READ_WORKING_SET / 100) as u64 {
        let statements: Vec<(String, String)> = (0..100)
            .map(|i| statement(chunk * 100 + i, context.settings.statement_bytes))
            .collect();
        let body = format!(
            "[{}]",
            statements
                .iter()
                .map(|(_, s)| s.as_str())
                .collect::<Vec<_>>()
                .join(",")
        );
        let response = context
            .xapi(reqwest::Method::POST, "/xapi/statements")
            .header("Content-Type", "application/json")
            .body(body)
            .send()
            .await?;
        anyhow::ensure!(
            response.status().is_success(),
            "seeding: {}",
            response.status()
        );
        ids.extend(statements.into_iter().map(|(id, _)| id));
    }
    Ok(ids)
}

async fn worker(context: Arc<Context>, start: Instant) -> Report {
    let settings = &context.settings;
    let deadline = start + settings.duration;
    let mut report = Report::new();
    loop {
        let n = context.issued.fetch_add(1, Ordering::Relaxed);
        if n >= settings.max_requests {
            break;
        }
        let scheduled = match settings.rate {
            Some(rate) => start + Duration::from_secs_f64(n as f64 / rate),
            None => Instant::now(),
        };
        if scheduled >= deadline {
            break;
        }
        tokio::time::sleep_until(scheduled).await;
        let request = context.request(n);
        let outcome = request.builder.send().await;
        let latency = scheduled.elapsed();
        report.requests += 1;
        match outcome {
            Ok(response) if response.status().is_success() => {
                report.statements += request.statements;
                report.bytes += request.bytes;
                report
                    .latency
                    .saturating_record(latency.as_micros().max(1) as u64);
            }
            Ok(response) => {
                report.errors += 1;
                if report.error_samples.len() < 5 {
                    let status = response.status();
                    let body = response.text().await.unwrap_or_default();
                    report.error_samples.push(format!("{status}: {body}"));
                }
            }
            Err(error) => {
                report.errors += 1;
                if report.error_samples.len() < 5 {
                    report.error_samples.push(error.to_string());
                }
            }
        }
    }
    report
}
