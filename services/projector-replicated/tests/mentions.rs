//! Canonical Activities and Persons folded from a real embedded log do not depend on
//! the order in which partitions deliver the statements.

use learnlog_keys::LearnerKeys;
use learnlog_log::{EmbeddedOptions, EventLog, Record};
use learnlog_projection::{Projection, ProjectionOptions};
use learnlog_projector_replicated::activities::ActivityReader;
use learnlog_projector_replicated::agents::AgentReader;
use learnlog_projector_replicated::statements::StatementStore;
use learnlog_proto::v1::{envelope::Event, Envelope, StatementSubmitted};
use learnlog_proto::{topics, Message};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

const ACTIVITY: &str = "https://example.org/a";

/// `(stored_µs, statement)`: three definitions of one Activity by one agent.
fn statements() -> Vec<(i64, Value)> {
    let statement = |name: Value, kind: &str, agent_name: &str| {
        json!({
            "id": uuid::Uuid::new_v4().to_string(),
            "actor": {"name": agent_name, "mbox": "mailto:ada@example.org"},
            "verb": {"id": "http://adlnet.gov/expapi/verbs/answered"},
            "object": {"id": ACTIVITY, "definition": {"name": name, "type": kind}},
        })
    };
    vec![
        (
            1_000,
            statement(json!({"en-US": "one"}), "https://example.org/t/1", "Ada"),
        ),
        (
            2_000,
            statement(
                json!({"fr-FR": "deux"}),
                "https://example.org/t/2",
                "Ada L.",
            ),
        ),
        (
            3_000,
            statement(json!({"en-US": "three"}), "https://example.org/t/3", "Ada"),
        ),
    ]
}

/// Folds `statements` appended in the given order; returns the canonical Activity and
/// the Person.
async fn fold(statements: &[(i64, Value)]) -> (Value, Value) {
    let dir = tempfile::tempdir().unwrap();
    let options = EmbeddedOptions {
        fsync: false,
        ..EmbeddedOptions::default()
    };
    let log = EventLog::open_embedded(&dir.path().join("log"), options).unwrap();
    log.ensure_topic(topics::STATEMENTS, 3).unwrap();
    let projection = Projection::open(
        &dir.path().join("store"),
        log.clone(),
        Arc::new(StatementStore::new(Arc::new(
            LearnerKeys::open(dir.path().join("keys")).unwrap(),
        ))),
        ProjectionOptions::default(),
    )
    .unwrap();
    let cancel = CancellationToken::new();
    projection.run(cancel.clone()).detach_all();
    for (stored_micros, statement) in statements {
        let id = statement["id"].as_str().unwrap().to_owned();
        let envelope = Envelope {
            event_id: uuid::Uuid::new_v4().to_string(),
            tenant: "t".into(),
            key: id.clone(),
            produced_at_micros: *stored_micros,
            event: Some(Event::StatementSubmitted(StatementSubmitted {
                statement_id: id.clone(),
                statement_json: serde_json::to_vec(statement).unwrap(),
                stored_micros: *stored_micros,
                ..StatementSubmitted::default()
            })),
        };
        let record = Record {
            key: id.into_bytes(),
            value: envelope.encode_to_vec(),
        };
        log.append(topics::STATEMENTS, vec![record]).await.unwrap();
    }
    projection.catch_up(Duration::from_secs(30)).await.unwrap();
    let activity = ActivityReader::new(&projection)
        .unwrap()
        .activity("t", ACTIVITY)
        .unwrap();
    let person = AgentReader::new(&projection)
        .unwrap()
        .person("t", &json!({"mbox": "mailto:ada@example.org"}))
        .unwrap()
        .to_json();
    cancel.cancel();
    (activity, person)
}

#[tokio::test]
async fn definitions_merge_by_stored_time_whatever_order_the_log_delivers_them() {
    let in_order = statements();
    let mut reversed = in_order.clone();
    reversed.reverse();
    let (activity, person) = fold(&in_order).await;
    assert_eq!(
        activity,
        json!({"objectType": "Activity", "id": ACTIVITY, "definition": {
            "name": {"en-US": "three", "fr-FR": "deux"},
            "type": "https://example.org/t/3",
        }})
    );
    assert_eq!(fold(&reversed).await, (activity, person.clone()));
    assert_eq!(person["name"], json!(["Ada", "Ada L."]));
}
