//! The `decisions` scenario: a teacher dashboard reading learners' decisions.
//!
//! Seeds once (skipped when the framework is already there): a framework of
//! [`COMPETENCIES`] competencies in chains of up to 6, one activity aligned to each, and
//! one scored answer per learner and competency for `--learners` learners (the
//! `query` scenario's `learnerN@example.org`), posted in batches of 500 and waited for
//! until folded. Then each request is `GET /v1/learners/{agent}/decisions` of a learner
//! picked with a stride prime to the count.

use learnlog_projector_replicated::frameworks::{
    synthetic_identifier, synthetic_package, SyntheticItem,
};
use serde_json::{json, Value};
use std::time::Duration;

/// Competencies of the seeded framework.
pub const COMPETENCIES: usize = 60;
const FRAMEWORK: &str = "loadtest-decisions";
const CHAIN: usize = 6;
const SKILLS: &str = "https://example.org/xapi/extensions/skills";

fn code(c: usize) -> String {
    format!("C{c:02}")
}

/// Chains of `CHAIN`: each competency needs the one before it in its chain.
fn framework() -> Value {
    let items: Vec<SyntheticItem> = (0..COMPETENCIES)
        .map(|c| SyntheticItem {
            code: code(c),
            title: format!("Competency {c}"),
            parent: None,
            prerequisites: if c.is_multiple_of(CHAIN) {
                vec![]
            } else {
                vec![code(c - 1)]
            },
        })
        .collect();
    synthetic_package(FRAMEWORK, &items)
}

/// The answer of `learner` on competency `c`: right for most, wrong for some.
fn answer(learner: usize, c: usize) -> Value {
    let success = !(learner * 31 + c * 17).is_multiple_of(7);
    let minute = learner * COMPETENCIES + c;
    let timestamp = format!(
        "2025-01-{:02}T{:02}:{:02}:00Z",
        1 + minute / 1440 % 28,
        minute / 60 % 24,
        minute % 60
    );
    json!({
        "actor": {"mbox": format!("mailto:learner{learner}@example.org")},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/answered"},
        "object": {"id": format!("https://example.org/loadtest/activities/{c}"),
            "definition": {"type": "http://adlnet.gov/expapi/activities/question",
                "extensions": {SKILLS: [synthetic_identifier(FRAMEWORK, &code(c))]}}},
        "result": {"success": success},
        "timestamp": timestamp,
    })
}

/// The path of one request.
pub fn path(pick: u64, learners: usize) -> String {
    let agent = format!(
        r#"{{"mbox":"mailto:learner{}@example.org"}}"#,
        pick % learners as u64
    );
    let encoded: String = agent
        .bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'.' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect();
    format!("/v1/learners/{encoded}/decisions")
}

/// Seeds the framework and answers unless the framework exists; waits until the last
/// learner's answers are folded.
pub async fn seed(
    client: &reqwest::Client,
    url: &str,
    credential: (&str, &str),
    learners: usize,
) -> anyhow::Result<()> {
    let request = |method: reqwest::Method, path: &str| {
        client
            .request(method, format!("{url}{path}"))
            .basic_auth(credential.0, Some(credential.1))
    };
    let existing = request(reqwest::Method::GET, &format!("/v1/frameworks/{FRAMEWORK}"))
        .send()
        .await?;
    if existing.status().is_success() {
        return Ok(());
    }
    let imported = request(reqwest::Method::PUT, &format!("/v1/frameworks/{FRAMEWORK}"))
        .json(&framework())
        .send()
        .await?;
    anyhow::ensure!(
        imported.status().is_success(),
        "importing the framework: {}",
        imported.status()
    );
    let answers: Vec<Value> = (0..learners)
        .flat_map(|l| (0..COMPETENCIES).map(move |c| answer(l, c)))
        .collect();
    for (i, batch) in answers.chunks(500).enumerate() {
        let posted = request(reqwest::Method::POST, "/xapi/statements")
            .header("X-Experience-API-Version", "2.0.0")
            .json(&batch)
            .send()
            .await?;
        anyhow::ensure!(posted.status().is_success(), "seeding: {}", posted.status());
        if i % 100 == 0 {
            eprintln!("seeded {} of {} answers", i * 500, answers.len());
        }
    }
    let last = path(learners as u64 - 1, learners).replace("/decisions", "/mastery");
    for _ in 0..3_600 {
        let view = request(reqwest::Method::GET, &last).send().await?;
        if view.status().is_success() {
            let view: Value = view.json().await?;
            if view["responses"].as_u64() == Some(COMPETENCIES as u64) {
                return Ok(());
            }
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    anyhow::bail!("the seeded answers were not folded within an hour")
}
