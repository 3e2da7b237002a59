//! Acknowledged statements survive SIGKILL; projections rebuild to the same state.

use crate::support::{json, new_id, statement, voiding, Learnlog};
use serde_json::Value;

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
