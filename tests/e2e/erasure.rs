//! Erasing a learner (ADR 17): one learner of 1,000 (10,000 statements), with
//! documents of their own, is exported, then erased with `learnlog learners erase`.
//! On the embedded log, after the erasure, a restart and a `learnlog rebuild`, their
//! identifier and name are in no API answer and in no file of the projections, the
//! keys or the repartitioner's state, and no learner's identifier or name is in a log
//! segment (statements and documents are sealed there). On Kafka, a new projector
//! folding the topics from offset 0 with the keys of the `learner-keys` topic answers
//! the same and writes neither into its files. Everyone else's statements stay.

use crate::roles::wait_ready;
use crate::support::{binary, eventually, json, percent_encode, Learnlog, KEY, SECRET};
use learnlog_testkit::Broker;
use reqwest::Method;
use serde_json::{json, Value};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

const LEARNERS: usize = 1_000;
const PER_LEARNER: usize = 10;
/// The learner who asks to be forgotten.
const ERASED: usize = 417;
const ERASED_MBOX: &str = "mailto:erase-me-417@school.example";
const ERASED_NAME: &str = "Quentin Erasable";

fn agent(n: usize) -> Value {
    if n == ERASED {
        json!({"objectType": "Agent", "name": ERASED_NAME, "mbox": ERASED_MBOX})
    } else {
        json!({"objectType": "Agent", "name": format!("Learner {n}"),
               "mbox": format!("mailto:learner-{n}@school.example")})
    }
}

fn statement(learner: usize, k: usize) -> Value {
    json!({
        "actor": agent(learner),
        "verb": {"id": "http://adlnet.gov/expapi/verbs/answered", "display": {"en-US": "answered"}},
        "object": {"id": format!("https://school.example/items/{}", (learner + k) % 97),
                   "definition": {"type": "http://adlnet.gov/expapi/activities/cmi.interaction"}},
        "result": {"success": !(learner + k).is_multiple_of(3), "score": {"scaled": 0.5}},
        "context": {"instructor": {"name": "Ms Teacher", "mbox": "mailto:teacher@school.example"}},
        "timestamp": format!("2026-09-{:02}T10:{:02}:00Z", 1 + k, learner % 60),
    })
}

/// Every statement the server returns to an unfiltered query, page by page.
fn all_statements(server: &Learnlog) -> Vec<Value> {
    let mut found = Vec::new();
    let mut next = "/xapi/statements?limit=1000".to_owned();
    loop {
        let page = json(server.xapi(Method::GET, &next).send().unwrap());
        found.extend(page["statements"].as_array().unwrap().iter().cloned());
        match page["more"].as_str() {
            Some(more) if !more.is_empty() => next = more.to_owned(),
            _ => return found,
        }
    }
}

fn learners_cli(server: &Learnlog, arguments: &[&str]) -> String {
    let output = Command::new(binary())
        .args(["learners", "--url", &server.base])
        .arg("--admin")
        .arg(format!("{KEY}:{SECRET}"))
        .args(arguments)
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    String::from_utf8(output.stdout).unwrap()
}

fn erased_agent() -> String {
    percent_encode(&json!({"mbox": ERASED_MBOX}).to_string())
}

fn put_document(server: &Learnlog, path: &str, query: &[(&str, String)], body: &str) {
    let response = (server.xapi(Method::PUT, path).query(query))
        .header("Content-Type", "application/json")
        .header("If-None-Match", "*")
        .body(body.to_owned())
        .send()
        .unwrap();
    assert_eq!(response.status(), 204, "PUT {path}: {:?}", response.text());
}

/// What the API answers about the erased learner holds neither their identifier nor
/// their name, and everyone else's statements are all there.
fn assert_forgotten(server: &Learnlog, erased_ids: &[String]) {
    let statements = all_statements(server);
    assert_eq!(statements.len(), (LEARNERS - 1) * PER_LEARNER);
    let text = serde_json::to_string(&statements).unwrap();
    assert!(!text.contains(ERASED_MBOX) && !text.contains(ERASED_NAME));
    for id in erased_ids {
        assert_eq!(server.get_statement(id).status(), 404, "statement {id}");
    }
    let agent = erased_agent();
    let by_agent = server
        .xapi(Method::GET, &format!("/xapi/statements?agent={agent}"))
        .send()
        .unwrap();
    assert_eq!(json(by_agent)["statements"], json!([]));
    let person = server
        .xapi(Method::GET, &format!("/xapi/agents?agent={agent}"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(!person.contains(ERASED_NAME), "{person}");
    let state = (server.xapi(Method::GET, "/xapi/activities/state"))
        .query(&[
            ("activityId", "https://school.example/items/1".to_owned()),
            ("agent", json!({"mbox": ERASED_MBOX}).to_string()),
            ("stateId", "bookmark".to_owned()),
        ])
        .send()
        .unwrap();
    assert_eq!(state.status(), 404);
    let profile = server
        .xapi(Method::GET, &format!("/v1/learners/{agent}/profile"))
        .send()
        .unwrap();
    assert_eq!(profile.status(), 404);
    let export = json(
        server
            .xapi(Method::GET, &format!("/v1/learners/{agent}/export"))
            .send()
            .unwrap(),
    );
    assert_eq!(export["statements"], json!([]));
    assert_eq!(export["documents"], json!([]));
    assert_eq!(export["profile"], Value::Null);
    assert_eq!(export["goals"], json!([]));
}

/// The files under `dir` that contain `needle`.
fn files_containing(dir: &Path, needle: &[u8]) -> Vec<String> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else if std::fs::read(&path)
                .unwrap()
                .windows(needle.len())
                .any(|window| window == needle)
            {
                found.push(path.display().to_string());
            }
        }
    }
    found
}

/// Posts 10,000 statements of 1,000 learners and the erased learner's documents,
/// checks that the export holds everything of theirs, and returns the ids of their
/// statements.
fn load_and_export(server: &Learnlog, scratch: &Path) -> Vec<String> {
    let mut erased_ids = Vec::new();
    let all: Vec<(usize, usize)> = (0..LEARNERS)
        .flat_map(|learner| (0..PER_LEARNER).map(move |k| (learner, k)))
        .collect();
    for batch in all.chunks(500) {
        let statements: Vec<Value> = batch.iter().map(|&(l, k)| statement(l, k)).collect();
        let response = server.post_statements(&Value::from(statements).to_string());
        assert_eq!(response.status(), 200);
        let ids = json(response);
        for (n, &(learner, _)) in batch.iter().enumerate() {
            if learner == ERASED {
                erased_ids.push(ids[n].as_str().unwrap().to_owned());
            }
        }
    }
    let agent_json = json!({"mbox": ERASED_MBOX}).to_string();
    put_document(
        server,
        "/xapi/activities/state",
        &[
            ("activityId", "https://school.example/items/1".to_owned()),
            ("agent", agent_json.clone()),
            ("stateId", "bookmark".to_owned()),
        ],
        r#"{"page": 12}"#,
    );
    put_document(
        server,
        "/xapi/agents/profile",
        &[
            ("agent", agent_json.clone()),
            ("profileId", "preferences".to_owned()),
        ],
        r#"{"language": "fr"}"#,
    );

    // the learner's views have folded every statement of theirs
    let profile_path = format!("/v1/learners/{}/profile", erased_agent());
    let folded = eventually(Duration::from_secs(60), || {
        let response = server.xapi(Method::GET, &profile_path).send().unwrap();
        response.status() == 200 && json(response)["statements"] == PER_LEARNER as u64
    });
    assert!(folded, "the profile folds the learner's statements");

    // the access request: everything held, before the erasure
    let export_file = scratch.join("export.json");
    learners_cli(
        server,
        &[
            "export",
            &agent_json,
            "--output",
            export_file.to_str().unwrap(),
        ],
    );
    let export: Value = serde_json::from_slice(&std::fs::read(&export_file).unwrap()).unwrap();
    std::fs::remove_file(&export_file).unwrap();
    let exported_ids: Vec<&str> = (export["statements"].as_array().unwrap().iter())
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(exported_ids.len(), PER_LEARNER);
    for id in &erased_ids {
        assert!(exported_ids.contains(&id.as_str()), "{id} exported");
    }
    assert_eq!(export["statements"][0]["actor"]["name"], ERASED_NAME);
    let mut documents: Vec<(&str, &str)> = (export["documents"].as_array().unwrap().iter())
        .map(|d| (d["kind"].as_str().unwrap(), d["id"].as_str().unwrap()))
        .collect();
    documents.sort();
    assert_eq!(
        documents,
        [("agentProfile", "preferences"), ("state", "bookmark")]
    );
    assert_eq!(export["documents"][1]["content"], json!({"page": 12}));
    assert_eq!(
        export["profile"]["statements"].as_u64(),
        Some(PER_LEARNER as u64),
        "{}",
        export["profile"]
    );
    assert!(export["decisions"]["decisions"].is_array());
    erased_ids
}

/// Erases the learner with `learnlog learners erase`, and checks that asking again
/// finds no key left.
fn erase(server: &Learnlog) {
    let agent_json = json!({"mbox": ERASED_MBOX}).to_string();
    let said = learners_cli(server, &["erase", &agent_json]);
    assert!(said.contains("data key is destroyed"), "{said}");
    let again = learners_cli(server, &["erase", &agent_json]);
    assert!(again.contains("had no data key"), "{again}");
}

/// No file under `dir`'s `subdirs` holds the erased learner's identifier or name.
fn assert_no_file_names_the_erased_learner(dir: &Path, subdirs: &[&str]) {
    for subdir in subdirs {
        for needle in [ERASED_MBOX, ERASED_NAME] {
            let found = files_containing(&dir.join(subdir), needle.as_bytes());
            assert!(found.is_empty(), "{needle} in {found:?}");
        }
    }
}

#[test]
fn an_erased_learner_is_gone_from_every_answer_and_file_after_a_restart_and_a_rebuild() {
    let data = tempfile::tempdir().unwrap();
    let server = Learnlog::start(data.path());
    let erased_ids = load_and_export(&server, data.path());
    erase(&server);
    assert_forgotten(&server, &erased_ids);
    assert!(server.terminate().success());

    let server = Learnlog::start(data.path());
    assert_forgotten(&server, &erased_ids);
    assert!(server.terminate().success());

    Learnlog::run_offline(data.path(), "rebuild");
    let server = Learnlog::start(data.path());
    assert_forgotten(&server, &erased_ids);
    assert!(server.terminate().success());

    assert_no_file_names_the_erased_learner(data.path(), &["projections", "keys", "repartition"]);
    // the statements and documents are sealed in the log segments; what the
    // repartitioner re-published from them (activity ids, no one's identifier) is in the
    // clear, which shows the search reads the segments
    let log = data.path().join("log");
    for needle in [ERASED_MBOX, ERASED_NAME, "Learner 1", "learner-1@"] {
        let found = files_containing(&log, needle.as_bytes());
        assert!(found.is_empty(), "{needle} in {found:?}");
    }
    assert!(!files_containing(&log, b"https://school.example/items/").is_empty());
}

#[test]
fn on_kafka_an_erased_learner_stays_gone_for_a_fresh_projector_folding_from_the_start() {
    let broker = Broker::start();
    let url = broker.url();
    let data = tempfile::tempdir().unwrap();
    let key_file = data.path().join("key-encryption-key");
    std::fs::write(&key_file, format!("{}\n", "5a".repeat(32))).unwrap();
    let key_file = key_file.to_str().unwrap();
    let first = data.path().join("first");
    let kafka = ["--log", &url, "--key-encryption-key-file", key_file];
    let server = Learnlog::start_with(&first, &kafka);
    let erased_ids = load_and_export(&server, data.path());
    erase(&server);
    assert_forgotten(&server, &erased_ids);
    assert!(server.terminate().success());

    // without the key-encryption key, a new process cannot open the learners' keys
    // and refuses to start, saying why
    let output = Command::new(binary())
        .args(["rebuild", "--log", &url, "--partitions", "4", "--data-dir"])
        .arg(data.path().join("no-key"))
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{said}");
    assert!(said.contains("--key-encryption-key-file"), "{said}");

    // a new projector, alone in its group, folds every topic from offset 0 with the
    // keys it reads from the learner-keys topic: everyone else's statements open, the
    // erased learner's never do
    let fresh = data.path().join("fresh");
    let projector_args = [&kafka[..], &["--role", "projector"]].concat();
    let projector = Learnlog::start_with(&fresh, &projector_args);
    wait_ready(&projector, Duration::from_secs(180));
    assert_forgotten(&projector, &erased_ids);
    assert!(projector.terminate().success());
    assert_no_file_names_the_erased_learner(&fresh, &["projections", "keys", "repartition"]);
}
