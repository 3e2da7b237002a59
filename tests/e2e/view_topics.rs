//! Kafka view topics read by a client no one here wrote (confluent-kafka from PyPI,
//! `view_topic_consumer.py`): the compacted mastery topic, read from the beginning,
//! rebuilds `GET /v1/learners/{id}/mastery` of every learner — after statements, after
//! learnlog restarts, and after a voiding takes a competency away (a tombstone).

use crate::decisions::{answer, call, framework, learner_path, post};
use crate::support::{json, voiding, Learnlog};
use learnlog_testkit::Broker;
use reqwest::Method;
use serde_json::{json as value, Map, Value};
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

const LEARNERS: usize = 6;
const MASTERY_TOPIC: &str = "learnlog.view.mastery";

/// The topic as a consumer keeping the latest value per key sees it.
fn consume(broker: &Broker, topic: &str) -> Map<String, Value> {
    let script =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/e2e/view_topic_consumer.py");
    let output = Command::new("python3")
        .arg(script)
        .args([&broker.address(), topic])
        .output()
        .expect("python3 runs");
    assert!(
        output.status.success(),
        "the consumer failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("the consumer prints JSON")
}

/// Each learner's mastery rebuilt from the topic, in the API's shape without what
/// depends on the time it is read (`at`, `p_mastered`). A learner's record and its
/// competencies' records have keys of their own, so they may sit on different
/// partitions and be published apart: competencies read before their learner's record
/// are kept under that learner as `without_learner_record`, which no API answer has.
fn rebuilt(records: &Map<String, Value>) -> BTreeMap<String, Value> {
    let mut learners: BTreeMap<String, Value> = BTreeMap::new();
    let mut competencies: BTreeMap<String, BTreeMap<String, Value>> = BTreeMap::new();
    for (key, value) in records {
        let key: Vec<String> = serde_json::from_str(key).unwrap();
        let mut value = value.clone();
        let fields = value.as_object_mut().unwrap();
        assert_eq!(fields.remove("tenant"), Some(value!("default")));
        fields.remove("learner");
        match &key[..] {
            [_, learner] => {
                learners.insert(learner.clone(), value);
            }
            [_, learner, competency] => {
                competencies
                    .entry(learner.clone())
                    .or_default()
                    .insert(competency.clone(), value);
            }
            _ => panic!("unexpected key {key:?}"),
        }
    }
    for (learner, view) in learners.iter_mut() {
        let of_learner = competencies.remove(learner).unwrap_or_default();
        view["competencies"] = of_learner.into_values().collect();
        view["learner"] = value!(learner);
    }
    for (learner, orphans) in competencies {
        learners.insert(learner, value!({ "without_learner_record": orphans }));
    }
    learners
}

/// Each learner's mastery as the API answers it now, in the same shape.
fn from_api(server: &Learnlog) -> BTreeMap<String, Value> {
    let mut views = BTreeMap::new();
    for learner in 0..LEARNERS {
        let path = format!("/v1/learners/{}/mastery", learner_path(learner));
        let response = call(server, Method::GET, &path, None);
        if response.status() == 404 {
            continue;
        }
        assert_eq!(response.status(), 200, "GET {path}");
        let mut view = json(response);
        view.as_object_mut().unwrap().remove("at");
        for competency in view["competencies"].as_array_mut().unwrap() {
            competency.as_object_mut().unwrap().remove("p_mastered");
        }
        views.insert(view["learner"].as_str().unwrap().to_owned(), view);
    }
    views
}

/// Waits until the topic rebuilds exactly what the API answers.
fn assert_rebuilt(server: &Learnlog, broker: &Broker) -> Map<String, Value> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let records = consume(broker, MASTERY_TOPIC);
        let (topic, api) = (rebuilt(&records), from_api(server));
        if topic == api {
            return records;
        }
        assert!(
            Instant::now() < deadline,
            "the topic's views differ from the API's:\n{topic:#?}\n{api:#?}"
        );
        std::thread::sleep(Duration::from_millis(500));
    }
}

#[test]
fn a_confluent_kafka_consumer_rebuilds_every_learners_mastery_from_the_compacted_topic() {
    let broker = Broker::start();
    let url = broker.url();
    let data = tempfile::tempdir().unwrap();
    let server = Learnlog::start_with(data.path(), &["--log", &url]);
    let imported = call(
        &server,
        Method::PUT,
        "/v1/frameworks/fractions",
        Some(framework()),
    );
    assert_eq!(imported.status(), 201);

    let mut statements = Vec::new();
    for learner in 0..LEARNERS {
        for (seq, code) in ["A", "A", "B", "C", "A"].iter().enumerate() {
            let right = (learner + seq) % 3 != 0;
            statements.push(answer(learner, code, Some(right), seq as i64));
        }
    }
    // learner 0's only evidence on F, voided below
    let on_f = answer(0, "F", Some(true), 10);
    let on_f_id = on_f["id"].as_str().unwrap().to_owned();
    statements.push(on_f);
    post(&server, &statements);
    let records = assert_rebuilt(&server, &broker);
    assert_eq!(rebuilt(&records).len(), LEARNERS);

    // a restart resumes publishing; later evidence reaches the topic
    assert!(server.terminate().success());
    let server = Learnlog::start_with(data.path(), &["--log", &url]);
    post(
        &server,
        &[
            answer(1, "D", Some(true), 20),
            answer(2, "A", Some(false), 21),
        ],
    );
    assert_rebuilt(&server, &broker);

    // voiding learner 0's only evidence on F leaves a tombstone for it
    let f_key = |records: &Map<String, Value>| {
        records.keys().any(|key| {
            let key: Vec<String> = serde_json::from_str(key).unwrap();
            key.len() == 3 && key[2] == crate::decisions::id("F")
        })
    };
    assert!(f_key(&consume(&broker, MASTERY_TOPIC)));
    let voided = server.post_statements(&voiding(&on_f_id));
    assert_eq!(voided.status(), 200);
    let records = assert_rebuilt(&server, &broker);
    assert!(!f_key(&records), "F is gone from the topic");

    // the profiles topic has one entity per learner
    let profiles = consume(&broker, "learnlog.view.profiles");
    assert_eq!(profiles.len(), LEARNERS, "{profiles:?}");
}
