//! The statement resource: storing, conflicts, atomic batches, voiding.

use crate::support::{json, new_id, statement, voiding, Learnlog};
use reqwest::Method;

#[test]
fn conflicting_statement_id_is_rejected_with_409_and_changes_nothing() {
    let data = tempfile::tempdir().unwrap();
    let server = Learnlog::start(data.path());
    let id = new_id();
    assert_eq!(server.put_statement(&id, &statement(&id, 1)).status(), 204);
    let original = server.get_statement(&id).text().unwrap();

    let conflict = server.put_statement(&id, &statement(&id, 2));
    assert_eq!(conflict.status(), 409);
    assert!(conflict.text().unwrap().contains(&id), "409 names the id");
    let in_batch = server.post_statements(&format!("[{}]", statement(&id, 3)));
    assert_eq!(in_batch.status(), 409);

    assert_eq!(server.get_statement(&id).text().unwrap(), original);
    assert_eq!(
        server.put_statement(&id, &statement(&id, 1)).status(),
        204,
        "same content is a no-op"
    );
    assert_eq!(server.get_statement(&id).text().unwrap(), original);
}

#[test]
fn batch_with_one_conflict_stores_none_of_it() {
    let data = tempfile::tempdir().unwrap();
    let server = Learnlog::start(data.path());
    let stored = new_id();
    assert_eq!(
        server
            .put_statement(&stored, &statement(&stored, 1))
            .status(),
        204
    );
    let fresh = new_id();
    let body = format!("[{},{}]", statement(&fresh, 5), statement(&stored, 6));
    assert_eq!(server.post_statements(&body).status(), 409);
    assert_eq!(server.get_statement(&fresh).status(), 404);
}

#[test]
fn batch_with_one_invalid_statement_is_rejected_whole_naming_the_problem() {
    let data = tempfile::tempdir().unwrap();
    let server = Learnlog::start(data.path());
    let valid = new_id();
    let invalid = new_id();
    let broken = statement(&invalid, 2).replace("mailto:", "");
    let response = server.post_statements(&format!("[{},{}]", statement(&valid, 1), broken));
    assert_eq!(response.status(), 400);
    let message = json(response)["message"].as_str().unwrap().to_owned();
    assert!(
        message.contains("[1]") && message.contains("mbox"),
        "names the field: {message}"
    );
    assert_eq!(server.get_statement(&valid).status(), 404);
    assert_eq!(server.get_statement(&invalid).status(), 404);
}

#[test]
fn post_assigns_ids_and_get_returns_stored_fields() {
    let data = tempfile::tempdir().unwrap();
    let server = Learnlog::start(data.path());
    let body = r#"{"actor":{"mbox":"mailto:a@example.org"},"verb":{"id":"http://adlnet.gov/expapi/verbs/experienced"},"object":{"id":"https://example.org/a"}}"#;
    let ids = json(server.post_statements(body));
    let id = ids[0].as_str().expect("one id").to_owned();
    let response = server.get_statement(&id);
    assert_eq!(response.status(), 200);
    assert!(response.headers().contains_key("last-modified"));
    let stored = json(response);
    assert_eq!(stored["id"], id.as_str());
    assert_eq!(stored["authority"]["account"]["name"], crate::support::KEY);
    assert!(stored["stored"].as_str().unwrap().ends_with('Z'));
    assert_eq!(stored["timestamp"], stored["stored"]);
}

#[test]
fn voided_statement_is_hidden_whichever_arrives_first() {
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
    assert_eq!(server.get_statement(&target).status(), 404);
    let voided = server
        .xapi(
            Method::GET,
            &format!("/xapi/statements?voidedStatementId={target}"),
        )
        .send()
        .unwrap();
    assert_eq!(voided.status(), 200);

    let late = new_id();
    assert_eq!(
        server.post_statements(&voiding(&late)).status(),
        200,
        "unknown target is fine"
    );
    assert_eq!(
        server.put_statement(&late, &statement(&late, 2)).status(),
        204
    );
    assert_eq!(server.get_statement(&late).status(), 404);
}

#[test]
fn voiding_requires_a_statement_ref_object() {
    let data = tempfile::tempdir().unwrap();
    let server = Learnlog::start(data.path());
    let body = r#"{"actor":{"mbox":"mailto:a@example.org"},"verb":{"id":"http://adlnet.gov/expapi/verbs/voided"},"object":{"id":"https://example.org/a"}}"#;
    assert_eq!(server.post_statements(body).status(), 400);
}

#[test]
fn two_writers_racing_with_one_id_leave_nothing_of_the_losing_batch() {
    let data = tempfile::tempdir().unwrap();
    let server = Learnlog::start(data.path());
    for round in 0..20 {
        let shared = new_id();
        let others = [new_id(), new_id()];
        // the same id with different content (object and learner differ by n)
        let batches: Vec<String> = others
            .iter()
            .enumerate()
            .map(|(n, other)| {
                let n = 10 * round + n;
                format!("[{},{}]", statement(&shared, n), statement(other, n + 5))
            })
            .collect();
        let barrier = std::sync::Barrier::new(2);
        let statuses: Vec<u16> = std::thread::scope(|scope| {
            let writers: Vec<_> = batches
                .iter()
                .map(|batch| {
                    let (server, barrier) = (&server, &barrier);
                    scope.spawn(move || {
                        barrier.wait();
                        server.post_statements(batch).status().as_u16()
                    })
                })
                .collect();
            writers.into_iter().map(|w| w.join().unwrap()).collect()
        });
        let mut sorted = statuses.clone();
        sorted.sort();
        assert_eq!(sorted, [200, 409], "round {round}");
        let (winner, loser) = match statuses[0] {
            200 => (&others[0], &others[1]),
            _ => (&others[1], &others[0]),
        };
        assert_eq!(server.get_statement(winner).status(), 200, "round {round}");
        assert_eq!(
            server.get_statement(loser).status(),
            404,
            "round {round}: the losing batch's other statement is stored"
        );
    }
}
