//! The scenarios and the open-loop request scheduler.

use crate::produce::RawProducer;
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
    /// The `bulk` (or, with `--batch 1`, `lms`) statements as raw records straight to the
    /// Kafka broker at `--brokers`, `--batch` records per request: the broker's own rate,
    /// for stating learnlog on that broker as a ratio of it.
    Produce,
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
    /// The Kafka broker of the produce scenario (`host:port`).
    pub brokers: Option<String>,
    /// The topic the produce scenario writes, and its partition count if it creates it.
    pub topic: String,
    pub partitions: i32,
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
    send: Send,
    statements: u64,
    bytes: u64,
}

/// What a request sends.
enum Send {
    Http(Box<reqwest::RequestBuilder>),
    /// Records (key, value) for the raw producer.
    Records(Vec<(String, String)>),
}

impl From<reqwest::RequestBuilder> for Send {
    fn from(builder: reqwest::RequestBuilder) -> Self {
        Send::Http(Box::new(builder))
    }
}

struct Context {
    client: reqwest::Client,
    settings: Settings,
    scenario: Scenario,
    ids: Vec<String>,
    issued: AtomicU64,
    producer: Option<RawProducer>,
}

impl Context {
    fn xapi(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.client
            .request(method, format!("{}{path}", self.settings.url))
            .basic_auth(&self.settings.key, Some(&self.settings.secret))
            .header("X-Experience-API-Version", "2.0.0")
    }

    /// Sends one request; the error (an HTTP status with its body, or why it failed).
    async fn deliver(&self, send: Send) -> Result<(), String> {
        match send {
            Send::Http(builder) => {
                let response = builder.send().await.map_err(|error| error.to_string())?;
                let status = response.status();
                if status.is_success() {
                    return Ok(());
                }
                Err(format!(
                    "{status}: {}",
                    response.text().await.unwrap_or_default()
                ))
            }
            Send::Records(records) => match &self.producer {
                Some(producer) => producer.send(&records).await,
                None => Err("no producer".to_owned()),
            },
        }
    }

    fn request(&self, n: u64) -> Request {
        let size = self.settings.statement_bytes;
        match self.scenario {
            Scenario::Lms => {
                let (id, body) = statement(n, size);
                Request {
                    bytes: body.len() as u64,
                    send: self
                        .xapi(
                            reqwest::Method::PUT,
                            &format!("/xapi/statements?statementId={id}"),
                        )
                        .header("Content-Type", "application/json")
                        .body(body)
                        .into(),
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
                    send: self
                        .xapi(reqwest::Method::POST, "/xapi/statements")
                        .header("Content-Type", "application/json")
                        .body(body)
                        .into(),
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
                    send: self
                        .xapi(reqwest::Method::GET, "/xapi/statements")
                        .query(&params)
                        .query(&[("limit", "100")])
                        .into(),
                    statements: 1,
                }
            }
            Scenario::Decisions => {
                let path = crate::decisions::path(n.wrapping_mul(7_919), self.settings.learners);
                Request {
                    bytes: 0,
                    send: self
                        .client
                        .get(format!("{}{path}", self.settings.url))
                        .basic_auth(&self.settings.key, Some(&self.settings.secret))
                        .into(),
                    statements: 1,
                }
            }
            Scenario::Produce => {
                let batch = self.settings.batch as u64;
                let records: Vec<(String, String)> = (0..batch)
                    .map(|i| {
                        let n = n * batch + i;
                        (format!("learner{}", n % 10_000), statement(n, size).1)
                    })
                    .collect();
                Request {
                    bytes: records.iter().map(|(_, value)| value.len() as u64).sum(),
                    send: Send::Records(records),
                    statements: batch,
                }
            }
            Scenario::Read => {
                let id = &self.ids[n as usize % self.ids.len()];
                Request {
                    bytes: 0,
                    send: self
                        .xapi(
                            reqwest::Method::GET,
                            &format!("/xapi/statements?statementId={id}"),
                        )
                        .into(),
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
        producer: None,
    };
    if scenario == Scenario::Produce {
        let brokers = (settings.brokers.as_deref())
            .ok_or_else(|| anyhow::anyhow!("the produce scenario needs --brokers"))?;
        context.producer =
            Some(RawProducer::connect(brokers, &settings.topic, settings.partitions).await?);
    }
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
        let outcome = context.deliver(request.send).await;
        let latency = scheduled.elapsed();
        report.requests += 1;
        match outcome {
            Ok(()) => {
                report.statements += request.statements;
                report.bytes += request.bytes;
                report
                    .latency
                    .saturating_record(latency.as_micros().max(1) as u64);
            }
            Err(error) => {
                report.errors += 1;
                if report.error_samples.len() < 5 {
                    report.error_samples.push(error);
                }
            }
        }
    }
    report
}
