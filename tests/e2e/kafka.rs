//! learnlog on Kafka (`--log kafka://…`): each test starts its own tansu broker
//! (`learnlog-testkit`; a missing tansu binary fails the test, it never skips) and runs
//! the real binary against it.

use crate::support::{json, new_id, statement, voiding, Learnlog};
use learnlog_log::{EmbeddedOptions, EventLog};
use learnlog_proto::topics;
use learnlog_testkit::Broker;
use reqwest::Method;
use serde_json::Value;
use std::collections::HashSet;
use std::path::Path;
use std::time::{Duration, Instant};

/// Posts `count` statements with their own ids in batches of `batch`; returns the ids.
fn post_batches(server: &Learnlog, count: usize, batch: usize, first_n: usize) -> Vec<String> {
    let mut ids = Vec::with_capacity(count);
    for start in (0..count).step_by(batch) {
        let chunk: Vec<String> = (start..(start + batch).min(count))
            .map(|_| new_id())
            .collect();
        let body: Vec<String> = chunk
            .iter()
            .enumerate()
            .map(|(i, id)| statement(id, first_n + start + i))
            .collect();
        let response = server.post_statements(&format!("[{}]", body.join(",")));
        let status = response.status();
        assert!(
            status == 200,
            "batch at {start}: {status} {}",
            response.text().unwrap()
        );
        let acknowledged: Vec<String> = serde_json::from_value(json(response)).unwrap();
        assert_eq!(acknowledged, chunk);
        ids.extend(chunk);
    }
    ids
}

/// Every statement id a query returns, following `more` to the end.
pub(crate) fn query_ids(server: &Learnlog, query: &str) -> Vec<String> {
    (query_statements(server, query).iter())
        .map(|s| s["id"].as_str().unwrap().to_owned())
        .collect()
}

/// Every statement a query returns, following `more` to the end.
fn query_statements(server: &Learnlog, query: &str) -> Vec<Value> {
    let mut seen = Vec::new();
    let mut next = query.to_owned();
    loop {
        let response = server.xapi(Method::GET, &next).send().unwrap();
        assert_eq!(response.status(), 200, "GET {next}");
        let page = json(response);
        seen.extend(page["statements"].as_array().unwrap().iter().cloned());
        match page["more"].as_str().unwrap() {
            "" => return seen,
            more => next = more.to_owned(),
        }
    }
}

/// Asserts that a query over everything returns exactly `expected`, each once.
fn assert_queried_exactly_once(server: &Learnlog, expected: &[String]) {
    let seen = query_ids(server, "/xapi/statements?limit=500");
    let unique: HashSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "no statement twice");
    let expected: HashSet<&String> = expected.iter().collect();
    assert_eq!(unique, expected, "the query returns every statement posted");
}

#[test]
fn statements_on_kafka_are_read_back_conflict_and_survive_restarts_exactly_once() {
    let broker = Broker::start();
    let url = broker.url();
    let data = tempfile::tempdir().unwrap();
    let server = Learnlog::start_with(data.path(), &["--log", &url]);
    let mut sent = post_batches(&server, 2_000, 100, 0);

    for id in &sent {
        let response = server.get_statement(id);
        assert_eq!(response.status(), 200, "GET statement {id}");
        assert_eq!(json(response)["id"], id.as_str());
    }
    assert_queried_exactly_once(&server, &sent);

    let taken = &sent[7];
    let conflicting = server.put_statement(taken, &statement(taken, 1_000_000));
    assert_eq!(conflicting.status(), 409, "same id, different content");
    let same = server.put_statement(taken, &statement(taken, 7));
    assert_eq!(
        same.status(),
        204,
        "same id, same content: acknowledged again"
    );

    // Writes share the statements' ends for their Consistent-Through for a moment
    // instead of asking the broker each; one sent well after the last write asks again
    // and claims a time after it was sent, not a stale one.
    std::thread::sleep(Duration::from_millis(500));
    let id = new_id();
    let sent_at = chrono::Utc::now() - chrono::Duration::milliseconds(1);
    let written = server.put_statement(&id, &statement(&id, 2_000));
    assert_eq!(written.status(), 204);
    let claimed = consistent_through(&written);
    assert!(
        claimed >= sent_at && claimed <= chrono::Utc::now(),
        "a write sent at {sent_at} claims {claimed}"
    );
    sent.push(id);

    // A graceful stop and a crash: both restart from the sled checkpoints over the same
    // topics, folding only what came after them.
    assert!(server.terminate().success());
    let server = Learnlog::start_with(data.path(), &["--log", &url]);
    sent.extend(post_batches(&server, 500, 100, 2_000));
    server.kill();
    let server = Learnlog::start_with(data.path(), &["--log", &url]);
    assert_queried_exactly_once(&server, &sent);
    for id in sent.iter().step_by(7) {
        assert_eq!(server.get_statement(id).status(), 200, "{id} after SIGKILL");
    }
    assert!(server.terminate().success());
    drop(broker);
}

/// Copies every record of `topic`, partition by partition in offset order, from the
/// embedded log to Kafka with the same keys, and checks each lands at the same position.
async fn copy_topic(from: &EventLog, to: &EventLog, topic: &str) -> u64 {
    let partitions = from.partition_count(topic).unwrap();
    to.ensure_topic(topic, partitions).unwrap();
    let mut copied = 0;
    for partition in 0..partitions {
        let mut next = 0;
        loop {
            let records = from
                .read(topic, partition, next, 500, 4 << 20)
                .await
                .unwrap();
            let Some(last) = records.last().map(|r| r.offset) else {
                break;
            };
            let expected: Vec<(u32, u64)> = records.iter().map(|r| (partition, r.offset)).collect();
            let batch = records
                .into_iter()
                .map(|r| learnlog_log::Record {
                    key: r.key,
                    value: r.value,
                })
                .collect();
            let positions = to.append(topic, batch).await.unwrap();
            let landed: Vec<(u32, u64)> =
                positions.iter().map(|p| (p.partition, p.offset)).collect();
            assert_eq!(
                landed, expected,
                "{topic}/{partition} copied to the same positions"
            );
            copied += landed.len() as u64;
            next = last + 1;
        }
        assert_eq!(
            to.high_watermark(topic, partition).unwrap(),
            from.high_watermark(topic, partition).unwrap(),
            "{topic}/{partition} has as many records on Kafka"
        );
    }
    copied
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

#[test]
fn the_same_events_fold_to_the_same_projections_on_the_embedded_log_and_on_kafka() {
    // The embedded node assigns ids, `stored` and event times; its log is the input.
    let embedded = tempfile::tempdir().unwrap();
    let server = Learnlog::start(embedded.path());
    let target = new_id();
    assert_eq!(
        server
            .put_statement(&target, &statement(&target, 1))
            .status(),
        204
    );
    assert_eq!(server.post_statements(&voiding(&target)).status(), 200);
    post_batches(&server, 600, 200, 10);
    let document = server
        .xapi(Method::PUT, "/xapi/activities/state")
        .query(&[
            ("activityId", "http://example.org/activities/quiz"),
            (
                "agent",
                r#"{"objectType":"Agent","mbox":"mailto:learner3@example.org"}"#,
            ),
            ("stateId", "bookmark"),
        ])
        .header("Content-Type", "application/json")
        .body(r#"{"page":12}"#)
        .send()
        .unwrap();
    assert_eq!(document.status(), 204);
    // SIGTERM drains: the repartitioner has re-published every accepted statement to
    // learner-events and every projection has folded everything.
    assert!(server.terminate().success());
    let expected = Learnlog::run_offline(embedded.path(), "digest");
    for name in [
        "statements",
        "credentials",
        "documents",
        "mastery",
        "profiles",
    ] {
        assert!(
            expected
                .lines()
                .any(|line| line.starts_with(&format!("{name} "))),
            "the digest lists {name}: {expected}"
        );
    }

    // The same events on Kafka: every topic, learner-events included. The repartitioner
    // is not a projection (it appends to the log), and its output carries fresh event ids
    // and times, so re-running it would give other learner events. Its checkpoints
    // (`DATA/repartition`, "re-published up to here") go with the copied learner-events:
    // the Kafka node then starts at the end of statements and publishes nothing again,
    // and the learner projections fold exactly the copied learner events.
    let broker = Broker::start();
    let url = broker.url();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let from =
            EventLog::open_embedded(&embedded.path().join("log"), EmbeddedOptions::default())
                .unwrap();
        let to = EventLog::open(&url, EmbeddedOptions::default()).unwrap();
        let mut copied = 0;
        for topic in [
            topics::STATEMENTS,
            topics::CREDENTIALS,
            topics::DOCUMENTS,
            topics::LEARNER_EVENTS,
            topics::FRAMEWORKS,
        ] {
            copied += copy_topic(&from, &to, topic).await;
        }
        assert!(
            copied > 1_200,
            "statements, learner events, a credential, a document: {copied}"
        );
        to.close().await.unwrap();
        from.close().await.unwrap();
    });
    let on_kafka = tempfile::tempdir().unwrap();
    // the learners' data keys go with the log: the statements and the document are
    // sealed with them
    for dir in ["repartition", "keys"] {
        copy_dir(&embedded.path().join(dir), &on_kafka.path().join(dir));
    }
    Learnlog::run_offline_with(on_kafka.path(), "rebuild", &["--log", &url]);
    let digest = Learnlog::run_offline_with(on_kafka.path(), "digest", &["--log", &url]);
    // The statement store reads bodies from the embedded log in place and keeps copies
    // of them on Kafka, where each entry names its copy (ADR 23): its bytes differ by
    // design, so it is compared by what it serves; every other projection byte for byte.
    let but_statements = |digest: &str| -> Vec<String> {
        (digest.lines())
            .filter(|line| !line.starts_with("statements "))
            .map(str::to_owned)
            .collect()
    };
    assert_eq!(
        but_statements(&digest),
        but_statements(&expected),
        "every other projection digest matches"
    );
    assert_eq!(digest.lines().count(), expected.lines().count());
    let on_embedded = Learnlog::start(embedded.path());
    let on_kafka = Learnlog::start_with(on_kafka.path(), &["--log", &url]);
    for query in [
        "/xapi/statements?limit=90",
        "/xapi/statements?limit=40&ascending=true",
        "/xapi/statements?agent=%7B%22mbox%22%3A%22mailto%3Alearner3%40example.org%22%7D",
        "/xapi/statements?activity=https%3A%2F%2Fexample.org%2Fitems%2F17&related_activities=true",
        "/xapi/statements?verb=http%3A%2F%2Fadlnet.gov%2Fexpapi%2Fverbs%2Fvoided",
    ] {
        let served = query_statements(&on_kafka, query);
        assert!(!served.is_empty(), "{query} finds statements");
        assert_eq!(served, query_statements(&on_embedded, query), "{query}");
    }
    let voided = format!("/xapi/statements?voidedStatementId={target}");
    let voided = |server: &Learnlog| json(server.xapi(Method::GET, &voided).send().unwrap());
    assert_eq!(voided(&on_kafka), voided(&on_embedded));
    assert_eq!(voided(&on_kafka)["id"], target.as_str());
    drop((on_embedded, on_kafka));
    drop(broker);
}

/// POSTs `body` until it answers 200, for at most `within`; returns the response body.
/// A failure names the broker's panic, if it had one.
fn post_until_accepted(server: &Learnlog, broker: &Broker, body: &str, within: Duration) -> Value {
    let started = Instant::now();
    loop {
        let response = server.post_statements(body);
        if response.status() == 200 {
            return json(response);
        }
        // while librdkafka reconnects a write may also meet a transient refusal
        // (a 500 that names it); what must hold is that writes succeed again
        assert!(
            response.status().is_server_error(),
            "while the broker comes back: {}",
            response.status()
        );
        assert!(
            started.elapsed() < within,
            "writes still refused {within:?} after the broker restarted (broker panic: {:?})",
            broker.panic()
        );
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// Polls `/readyz` until its status is `status`, for at most `within`.
fn wait_for_readyz(server: &Learnlog, status: u16, within: Duration) {
    let started = Instant::now();
    loop {
        let response = server.raw(Method::GET, "/readyz").send().unwrap();
        if response.status() == status {
            return;
        }
        assert!(
            started.elapsed() < within,
            "/readyz still {} ({}) after {within:?}",
            response.status(),
            response.text().unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Posts 300 statements, stops the broker and checks what an outage looks like: 503 with
/// `Retry-After` within the log's timeout, `/healthz` up, `/readyz` down. Returns the
/// server and the acknowledged ids.
fn outage(broker: &mut Broker, data: &Path) -> (Learnlog, Vec<String>) {
    let server = Learnlog::start_with(data, &["--log", &broker.url()]);
    let acknowledged = post_batches(&server, 300, 100, 0);
    wait_for_readyz(&server, 200, Duration::from_secs(30));

    broker.stop();
    for body in [statement(&new_id(), 1), voiding(&acknowledged[0])] {
        let started = Instant::now();
        let response = server.post_statements(&body);
        assert_eq!(response.status(), 503, "POST while the broker is down");
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "503 within the log's timeout, not {:?}",
            started.elapsed()
        );
        let retry_after = response.headers().get("retry-after").cloned();
        assert!(retry_after.is_some(), "503 carries Retry-After");
        assert!(json(response)["message"]
            .as_str()
            .unwrap()
            .contains("unavailable"));
    }
    assert_eq!(
        server.raw(Method::GET, "/healthz").send().unwrap().status(),
        200,
        "alive while the log is down"
    );
    wait_for_readyz(&server, 503, Duration::from_secs(20));
    (server, acknowledged)
}

/// `X-Experience-API-Consistent-Through` of a /statements response, parsed.
fn consistent_through(response: &reqwest::blocking::Response) -> chrono::DateTime<chrono::Utc> {
    let value = response.headers()["x-experience-api-consistent-through"]
        .to_str()
        .unwrap();
    chrono::DateTime::parse_from_rfc3339(value)
        .unwrap()
        .with_timezone(&chrono::Utc)
}

/// While the broker is down the log's ends cannot be asked, so nothing appended since
/// is known to be folded: Consistent-Through stays before the outage, on a 503 (which
/// does not ask) and on a GET answered from the projections (which asks and fails),
/// instead of claiming the time of the response.
#[test]
fn a_stopped_broker_gives_503_with_retry_after_and_no_consistency_claimed_past_it() {
    let mut broker = Broker::start();
    let data = tempfile::tempdir().unwrap();
    let (server, _) = outage(&mut broker, data.path());
    let asked_at = chrono::Utc::now();
    let refused = server.post_statements(&statement(&new_id(), 2));
    assert_eq!(refused.status(), 503);
    assert!(
        consistent_through(&refused) < asked_at,
        "a 503 during the outage claims {} (asked at {asked_at})",
        consistent_through(&refused)
    );
    let read = server
        .xapi(Method::GET, "/xapi/statements?limit=1")
        .send()
        .unwrap();
    assert!(
        consistent_through(&read) < asked_at,
        "a GET ({}) during the outage claims {} (asked at {asked_at})",
        read.status(),
        consistent_through(&read)
    );
    server.kill();
}

/// Recovery without restarting learnlog. It used to fail about one run in three: a
/// producer replaced during the outage still held records and sent them under an epoch
/// librdkafka had raised on its own, tansu's storage panicked on them and the broker
/// failed every request after that (see `learnlog_log`'s kafka producer).
#[test]
fn a_stopped_broker_gives_503_with_retry_after_and_writes_resume_when_it_returns() {
    let mut broker = Broker::start();
    let data = tempfile::tempdir().unwrap();
    let (server, mut acknowledged) = outage(&mut broker, data.path());

    broker.restart();
    let id = new_id();
    let ids = post_until_accepted(
        &server,
        &broker,
        &statement(&id, 5),
        Duration::from_secs(60),
    );
    assert_eq!(ids, serde_json::json!([id]));
    acknowledged.push(id);
    // Two batches more; right after the outage a read of the log may still answer with
    // the failure it met a moment ago (503, asked again within a second), which a client
    // retries.
    for first_n in [300, 400] {
        let chunk: Vec<String> = (0..100).map(|_| new_id()).collect();
        let body: Vec<String> = (chunk.iter().enumerate())
            .map(|(i, id)| statement(id, first_n + i))
            .collect();
        let body = format!("[{}]", body.join(","));
        let ids = post_until_accepted(&server, &broker, &body, Duration::from_secs(30));
        assert_eq!(ids, serde_json::json!(chunk));
        acknowledged.extend(chunk);
    }
    wait_for_readyz(&server, 200, Duration::from_secs(30));
    for id in &acknowledged {
        assert_eq!(
            server.get_statement(id).status(),
            200,
            "{id} after the outage"
        );
    }
    assert!(server.terminate().success());
}

#[test]
fn serve_refuses_a_split_role_without_what_it_needs() {
    let data = tempfile::tempdir().unwrap();
    for (role, says) in [
        ("api", "--role api needs --projectors"),
        ("projector", "--role projector needs --log kafka://"),
    ] {
        let output = std::process::Command::new(crate::support::binary())
            .args(["serve", "--listen", "127.0.0.1:0", "--role", role])
            .arg("--data-dir")
            .arg(data.path())
            .env("RUST_LOG", "warn")
            .env("RUST_BACKTRACE", "0")
            .output()
            .unwrap();
        assert!(!output.status.success(), "--role {role} is refused");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(says), "the refusal says why: {stderr}");
    }
    assert_eq!(
        std::fs::read_dir(data.path()).unwrap().count(),
        0,
        "nothing was opened"
    );
}

/// An event no projection can fold (here: bytes that are not an event, appended to the
/// statements topic by another producer) is skipped, not retried forever: the process
/// stays ready, folds what follows, and says in `/readyz` what it skipped and where.
#[test]
fn an_event_that_cannot_be_folded_is_skipped_and_reported_by_readyz() {
    let broker = Broker::start();
    let data = tempfile::tempdir().unwrap();
    let server = Learnlog::start_with(data.path(), &["--log", &broker.url()]);
    wait_for_readyz(&server, 200, Duration::from_secs(60));
    let ready = server.raw(Method::GET, "/readyz").send().unwrap();
    assert_eq!(ready.text().unwrap(), "ready", "nothing skipped yet");

    let writer = EventLog::open(&broker.url(), EmbeddedOptions::default()).unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let garbage = learnlog_log::Record {
        key: b"not-an-event".to_vec(),
        value: b"\xff\xff not protobuf".to_vec(),
    };
    let position = runtime
        .block_on(writer.append(topics::STATEMENTS, vec![garbage]))
        .unwrap()[0];
    let id = new_id();
    assert_eq!(server.put_statement(&id, &statement(&id, 1)).status(), 204);

    let expected = format!(
        "{}/{} at offset {}: undecodable",
        topics::STATEMENTS,
        position.partition,
        position.offset
    );
    let started = Instant::now();
    let body = loop {
        let response = server.raw(Method::GET, "/readyz").send().unwrap();
        assert_eq!(
            response.status(),
            200,
            "skipping an event keeps the process ready"
        );
        let body = response.text().unwrap();
        if body.contains(&expected) {
            break body;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "/readyz never reported the skipped event: {body}"
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    assert!(body.starts_with("ready\n"), "{body}");
    assert!(body.contains("statements: skipped 1 events"), "{body}");
    assert_eq!(
        server.get_statement(&id).status(),
        200,
        "what follows is folded"
    );
    server.kill();
}
