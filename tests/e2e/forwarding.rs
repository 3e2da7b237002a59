//! Statement forwarding over real HTTP: to a second `learnlog serve` that is stopped
//! mid-run (and a source that restarts), and to a webhook with a filter and a token.

use crate::kafka::query_ids;
use crate::support::{eventually, free_port, json, new_id, statement, Learnlog, KEY, SECRET};
use reqwest::Method;
use serde_json::{json, Value};
use std::collections::HashSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const BATCHES: usize = 20;
const BATCH: usize = 100;

fn put_forwarding(server: &Learnlog, id: &str, body: &Value) -> reqwest::blocking::Response {
    server
        .xapi(Method::PUT, &format!("/v1/forwardings/{id}"))
        .json(body)
        .send()
        .unwrap()
}

/// Posts one batch of new statements under `version`; returns their ids.
fn post_batch(server: &Learnlog, first: usize, version: &str) -> Vec<String> {
    let ids: Vec<String> = (0..BATCH).map(|_| new_id()).collect();
    let body: Vec<String> = (ids.iter().enumerate())
        .map(|(i, id)| statement(id, first + i))
        .collect();
    let response = server
        .xapi(Method::POST, "/xapi/statements")
        .header("X-Experience-API-Version", version)
        .header("Content-Type", "application/json")
        .body(format!("[{}]", body.join(",")))
        .send()
        .unwrap();
    assert_eq!(response.status(), 200, "{}", response.text().unwrap());
    ids
}

#[test]
fn a_forwarding_delivers_every_statement_to_a_second_lrs_stopped_mid_run() {
    let source_dir = tempfile::tempdir().unwrap();
    let target_dir = tempfile::tempdir().unwrap();
    let listen = format!("127.0.0.1:{}", free_port());
    let start_target = || Learnlog::start_with(target_dir.path(), &["--listen", &listen]);
    let mut target = Some(start_target());
    let mut source = Learnlog::start(source_dir.path());

    let endpoint = format!("http://{listen}/xapi");
    let definition = json!({
        "target": {"kind": "xapi", "url": endpoint,
            "auth": {"type": "basic", "username": KEY, "password": SECRET}},
        "from": "start",
    });
    let created = put_forwarding(&source, "to-lrs", &definition);
    assert_eq!(created.status(), 201);
    let created = json(created);
    assert_eq!(
        created["target"]["auth"],
        json!({"type": "basic", "username": KEY})
    );
    assert!(
        !created.to_string().contains(SECRET),
        "the secret is never shown"
    );

    let mut posted: Vec<String> = Vec::new();
    for batch in 0..BATCHES {
        match batch {
            5 => target.take().unwrap().terminate(),
            10 => {
                // the source restarts while the target is away: it resumes from its
                // own progress
                assert!(source.terminate().success());
                source = Learnlog::start(source_dir.path());
                Default::default()
            }
            15 => {
                target = Some(start_target());
                Default::default()
            }
            _ => Default::default(),
        };
        // some batches in xAPI 1.0.3, the others in 2.0
        let version = if batch % 4 == 1 { "1.0.3" } else { "2.0.0" };
        posted.extend(post_batch(&source, batch * BATCH, version));
    }
    let target = target.unwrap();
    let delivered = eventually(Duration::from_secs(90), || {
        query_ids(&target, "/xapi/statements?limit=500").len() >= posted.len()
    });
    let on_target = query_ids(&target, "/xapi/statements?limit=500");
    assert!(
        delivered,
        "{} of {} statements delivered",
        on_target.len(),
        posted.len()
    );
    assert_eq!(on_target.len(), posted.len(), "each statement stored once");
    let on_target: HashSet<String> = on_target.into_iter().collect();
    let on_source: HashSet<String> = query_ids(&source, "/xapi/statements?limit=500")
        .into_iter()
        .collect();
    assert_eq!(on_source, posted.iter().cloned().collect::<HashSet<_>>());
    assert_eq!(on_target, on_source, "the same ids on both sides");

    let one = &posted[BATCH + 3];
    let forwarded = json(target.get_statement(one));
    let original = json(source.get_statement(one));
    assert_eq!(forwarded["object"], original["object"]);
    assert_eq!(forwarded["result"], original["result"]);

    let status = json(
        source
            .xapi(Method::GET, "/v1/forwardings/to-lrs")
            .send()
            .unwrap(),
    );
    let delivery = &status["delivery"];
    assert!(
        delivery["delivered"].as_u64().unwrap() >= posted.len() as u64,
        "{status}"
    );
    assert!(
        delivery["failures"].as_u64().unwrap() >= 1,
        "the target was away: {status}"
    );
    assert_eq!(delivery["last_error"], Value::Null, "{status}");
    let metrics = source.metrics();
    assert!(
        metrics.contains(
            r#"learnlog_forwarding_delivered_total{forwarding="to-lrs",tenant="default"}"#
        ),
        "{metrics}"
    );
    assert!(metrics
        .contains(r#"learnlog_forwarding_lag_records{forwarding="to-lrs",tenant="default"} 0"#));
}

/// A webhook on loopback that records each request's `Authorization` header and body.
struct Webhook {
    url: String,
    received: Arc<Mutex<Vec<(String, Value)>>>,
}

impl Webhook {
    fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        let received = Arc::new(Mutex::new(Vec::new()));
        let sink = received.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { return };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let (mut length, mut authorization) = (0, String::new());
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                    let (name, value) = line.split_once(':').unwrap_or((&line, ""));
                    match name.to_ascii_lowercase().as_str() {
                        "content-length" => length = value.trim().parse().unwrap(),
                        "authorization" => authorization = value.trim().to_owned(),
                        _ => {}
                    }
                }
                let mut body = vec![0; length];
                reader.read_exact(&mut body).unwrap();
                let body: Value = serde_json::from_slice(&body).unwrap();
                sink.lock().unwrap().push((authorization, body));
                let _ = stream.write_all(
                    b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                );
            }
        });
        Self { url, received }
    }

    /// Every statement received, with the `Authorization` it came with.
    fn statements(&self) -> Vec<(String, Value)> {
        let received = self.received.lock().unwrap();
        (received.iter())
            .flat_map(|(auth, body)| {
                body.as_array()
                    .unwrap()
                    .iter()
                    .map(move |s| (auth.clone(), s.clone()))
            })
            .collect()
    }
}

const COMPLETED: &str = "http://adlnet.gov/expapi/verbs/completed";

fn completed(id: &str) -> String {
    format!(
        r#"{{"id":"{id}","actor":{{"mbox":"mailto:ada@example.org"}},"verb":{{"id":"{COMPLETED}"}},"object":{{"id":"https://example.org/courses/1"}}}}"#
    )
}

#[test]
fn a_webhook_gets_only_what_its_filter_passes_until_the_forwarding_is_removed() {
    let dir = tempfile::tempdir().unwrap();
    let server = Learnlog::start(dir.path());
    let hook = Webhook::start();

    // refused definitions store nothing
    for (body, why) in [
        (
            json!({"target": {"kind": "webhook", "url": "ftp://127.0.0.1/"}}),
            "url",
        ),
        (
            json!({"target": {"kind": "webhook", "url": hook.url}, "from": "yesterday"}),
            "from",
        ),
        (
            json!({"target": {"kind": "email", "url": hook.url}}),
            "kind",
        ),
        (
            json!({"target": {"kind": "webhook", "url": hook.url}, "filter": {"agent": 7}}),
            "agent",
        ),
    ] {
        let refused = put_forwarding(&server, "hook", &body);
        assert_eq!(refused.status(), 400, "{why}: {}", refused.text().unwrap());
    }
    let none = json(server.xapi(Method::GET, "/v1/forwardings").send().unwrap());
    assert_eq!(none, json!([]));

    // statements stored before the forwarding are not sent (it starts now)
    let before = new_id();
    assert_eq!(server.post_statements(&completed(&before)).status(), 200);
    let definition = json!({
        "target": {"kind": "webhook", "url": hook.url, "auth": {"type": "bearer", "token": "t0k"}},
        "filter": {"verb": COMPLETED, "agent": {"mbox": "mailto:ada@example.org"}},
    });
    assert_eq!(put_forwarding(&server, "hook", &definition).status(), 201);
    let listed = json(server.xapi(Method::GET, "/v1/forwardings").send().unwrap());
    assert_eq!(listed[0]["id"], "hook");
    assert_eq!(listed[0]["target"]["auth"], json!({"type": "bearer"}));

    let mut wanted = Vec::new();
    for n in 0..10 {
        let id = new_id();
        if n % 2 == 0 {
            assert_eq!(server.post_statements(&completed(&id)).status(), 200);
            wanted.push(id);
        } else {
            // another verb: filtered out
            assert_eq!(
                server
                    .post_statements(&format!("[{}]", statement(&id, n)))
                    .status(),
                200
            );
        }
    }
    assert!(eventually(Duration::from_secs(30), || hook
        .statements()
        .len()
        >= wanted.len()));
    let received = hook.statements();
    let ids: Vec<&str> = received
        .iter()
        .map(|(_, s)| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, wanted, "the filtered statements, in order, once");
    assert!(received.iter().all(|(auth, _)| auth == "Bearer t0k"));

    let removed = server
        .xapi(Method::DELETE, "/v1/forwardings/hook")
        .send()
        .unwrap();
    assert_eq!(removed.status(), 204);
    let gone = server
        .xapi(Method::GET, "/v1/forwardings/hook")
        .send()
        .unwrap();
    assert_eq!(gone.status(), 404);
    assert_eq!(server.post_statements(&completed(&new_id())).status(), 200);
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(
        hook.statements().len(),
        wanted.len(),
        "nothing after removal"
    );
}
