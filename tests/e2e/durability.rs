//! Acknowledged statements survive SIGKILL; projections rebuild to the same state; a
//! write whose storing is not confirmed in time names its ids for a safe retry.

use crate::support::{eventually, json, new_id, statement, voiding, Learnlog};
use reqwest::Method;
use serde_json::Value;
use std::time::Duration;

/// Checks that `served` is `sent` byte for byte, followed only by the fields the LRS
/// adds (the sent statements carry their own id, so nothing goes before them).
fn assert_served_as_sent(sent: &str, served: &str) {
    let open = &sent[..sent.len() - 1];
    assert!(
        served.starts_with(open) && served.as_bytes()[open.len()] == b',',
        "served statement does not start with the bytes sent\nsent:   {sent}\nserved: {served}"
    );
    let added: Value = serde_json::from_str(&format!("{{{}", &served[open.len() + 1..]))
        .expect("added fields form a JSON object");
    let mut names: Vec<&str> = added
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    names.sort_unstable();
    assert_eq!(names, ["authority", "stored", "timestamp", "version"]);
    assert_eq!(added["stored"], added["timestamp"]);
    assert_eq!(added["version"], "2.0.0");
}

#[test]
fn acknowledged_statements_survive_sigkill_byte_identical() {
    let data = tempfile::tempdir().unwrap();
    let server = Learnlog::start(data.path());
    let mut sent = Vec::new();
    for batch in 0..10 {
        let statements: Vec<(String, String)> = (0..100)
            .map(|i| {
                let id = new_id();
                let body = statement(&id, batch * 100 + i);
                (id, body)
            })
            .collect();
        let body = format!(
            "[{}]",
            statements
                .iter()
                .map(|(_, s)| s.as_str())
                .collect::<Vec<_>>()
                .join(",")
        );
        let response = server.post_statements(&body);
        assert_eq!(response.status(), 200);
        let ids: Vec<String> = serde_json::from_value(json(response)).unwrap();
        assert_eq!(
            ids,
            statements
                .iter()
                .map(|(id, _)| id.clone())
                .collect::<Vec<_>>()
        );
        sent.extend(statements);
    }
    server.kill();

    let server = Learnlog::start(data.path());
    for (id, body) in &sent {
        let response = server.get_statement(id);
        assert_eq!(response.status(), 200, "statement {id} after restart");
        assert_served_as_sent(body, &response.text().unwrap());
    }
}

#[test]
fn deleted_projection_state_rebuilds_to_the_same_digest() {
    let data = tempfile::tempdir().unwrap();
    let server = Learnlog::start(data.path());
    let target = new_id();
    assert_eq!(
        server
            .put_statement(&target, &statement(&target, 1))
            .status(),
        204
    );
    assert_eq!(server.post_statements(&voiding(&target)).status(), 200);
    let batch: Vec<String> = (0..300).map(|n| statement(&new_id(), n)).collect();
    assert_eq!(
        server
            .post_statements(&format!("[{}]", batch.join(",")))
            .status(),
        200
    );
    assert!(server.terminate().success());

    let before = Learnlog::run_offline(data.path(), "digest");
    assert!(
        before.contains("statements "),
        "digest lists the statement store: {before}"
    );
    std::fs::remove_dir_all(data.path().join("projections")).unwrap();
    let server = Learnlog::start(data.path());
    assert_eq!(
        server.get_statement(&target).status(),
        404,
        "still voided after rebuild"
    );
    assert!(server.terminate().success());
    assert_eq!(Learnlog::run_offline(data.path(), "digest"), before);

    Learnlog::run_offline(data.path(), "rebuild");
    assert_eq!(Learnlog::run_offline(data.path(), "digest"), before);
}

/// Every statement id a query over everything pages through; `None` while a page is
/// not served (503 while the store catches up).
pub(crate) fn all_ids(server: &Learnlog) -> Option<Vec<String>> {
    let mut seen = Vec::new();
    let mut next = "/xapi/statements".to_owned();
    loop {
        let response = server.xapi(Method::GET, &next).send().ok()?;
        if response.status() != 200 {
            return None;
        }
        let page = json(response);
        let statements = page["statements"].as_array()?;
        seen.extend(
            statements
                .iter()
                .map(|s| s["id"].as_str().unwrap().to_owned()),
        );
        match page["more"].as_str()? {
            "" => return Some(seen),
            more => next = more.to_owned(),
        }
    }
}

#[test]
fn a_write_whose_storing_is_not_confirmed_in_time_names_its_ids_for_a_safe_retry() {
    let data = tempfile::tempdir().unwrap();
    // 1 ms: far less than folding 1,000 statements takes
    let server = Learnlog::start_with(data.path(), &["--consistency-wait-ms", "1"]);
    let statements: Vec<Value> = (0..1000)
        .map(|n| {
            let mut statement: Value = serde_json::from_str(&statement(&new_id(), n)).unwrap();
            statement.as_object_mut().unwrap().remove("id");
            statement
        })
        .collect();
    let response = server.post_statements(&Value::from(statements.clone()).to_string());
    assert_eq!(response.status(), 503);
    assert_eq!(response.headers()["retry-after"], "1");
    let answer = json(response);
    assert!(
        answer["message"].as_str().unwrap().contains("statementIds"),
        "{answer}"
    );
    let ids: Vec<String> = serde_json::from_value(answer["statementIds"].clone()).unwrap();
    let distinct: std::collections::HashSet<&String> = ids.iter().collect();
    assert_eq!((ids.len(), distinct.len()), (1000, 1000));

    // stored after all, under the ids the answer named
    let last = &ids[999];
    let stored = eventually(Duration::from_secs(60), || {
        server.get_statement(last).status() == 200
    });
    assert!(stored, "statement {last} was never stored");

    // the retry the answer asks for stores none of them twice
    let with_ids: Vec<Value> = statements
        .into_iter()
        .zip(&ids)
        .map(|(mut statement, id)| {
            statement["id"] = Value::from(id.as_str());
            statement
        })
        .collect();
    let body = Value::from(with_ids).to_string();
    let retried = eventually(Duration::from_secs(60), || {
        server.post_statements(&body).status() == 200
    });
    assert!(retried, "the retry was never acknowledged");
    let mut served = None;
    eventually(Duration::from_secs(60), || {
        served = all_ids(&server);
        served.is_some()
    });
    let mut served = served.expect("the store answers a query");
    let mut expected = ids.clone();
    served.sort();
    expected.sort();
    assert_eq!(served, expected, "every statement stored exactly once");
}

#[test]
fn a_batch_the_process_died_in_the_middle_of_appending_leaves_nothing_visible() {
    let data = tempfile::tempdir().unwrap();
    let server = Learnlog::start(data.path());
    let acknowledged: Vec<(String, String)> = (0..300)
        .map(|n| {
            let id = new_id();
            let body = statement(&id, n);
            (id, body)
        })
        .collect();
    for chunk in acknowledged.chunks(100) {
        let bodies: Vec<&str> = chunk.iter().map(|(_, body)| body.as_str()).collect();
        let response = server.post_statements(&format!("[{}]", bodies.join(",")));
        assert_eq!(response.status(), 200);
    }
    assert!(server.terminate().success());

    // the log writer dies (abort: no cleanup, as with SIGKILL) after writing the first
    // three partitions of the next group commit, before the fourth
    let fault = "LEARNLOG_FAULT_DIE_AFTER_PARTITION_WRITES=3";
    let server = Learnlog::start_wrapped(&["env", fault], data.path(), &[]);
    let lost: Vec<String> = (0..100).map(|_| new_id()).collect();
    let bodies: Vec<String> = lost
        .iter()
        .enumerate()
        .map(|(n, id)| statement(id, 1000 + n))
        .collect();
    let answer = server
        .xapi(Method::POST, "/xapi/statements")
        .header("Content-Type", "application/json")
        .body(format!("[{}]", bodies.join(",")))
        .send();
    assert!(answer.is_err(), "the batch was answered: {answer:?}");
    server.kill();

    let server = Learnlog::start(data.path());
    for (id, body) in &acknowledged {
        let response = server.get_statement(id);
        assert_eq!(response.status(), 200, "acknowledged statement {id}");
        assert_served_as_sent(body, &response.text().unwrap());
    }
    let visible: Vec<&String> = lost
        .iter()
        .filter(|id| server.get_statement(id).status() != 404)
        .collect();
    assert!(
        visible.is_empty(),
        "part of the unacknowledged batch is visible: {visible:?}"
    );
    let mut served = all_ids(&server).expect("queries are served");
    let mut expected: Vec<String> = acknowledged.into_iter().map(|(id, _)| id).collect();
    served.sort();
    expected.sort();
    assert_eq!(served, expected);
}
