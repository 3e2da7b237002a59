//! The statement store folded from a real embedded log, given/when/then.

use super::*;
use learnlog_log::Position;
use learnlog_projector::test_support::FoldHarness;
use learnlog_proto::v1::{StatementSubmitted, StatementVoided};

struct Harness {
    fold: FoldHarness,
    reader: StatementReader,
    _keys_dir: tempfile::TempDir,
}

impl Harness {
    fn new() -> Self {
        Self::over(FoldHarness::new)
    }

    /// The store over a log that reads only in batches, as Kafka does.
    fn reading_in_batches() -> Self {
        Self::over(FoldHarness::reading_in_batches)
    }

    fn over(harness: fn(Arc<dyn Fold>, &'static str) -> FoldHarness) -> Self {
        let (fold, reader, keys_dir) = running_store_over(harness);
        Self {
            fold,
            reader,
            _keys_dir: keys_dir,
        }
    }

    async fn append(&self, tenant: &str, key: Uuid, event: Event) -> Position {
        self.fold
            .append(tenant, &key.to_string(), 1_700_000_000_000_000, event)
            .await
    }

    async fn submit(&self, tenant: &str, id: Uuid, json: &str) -> Kind {
        let event = Event::StatementSubmitted(StatementSubmitted {
            statement_id: id.to_string(),
            statement_json: json.as_bytes().to_vec(),
            stored_micros: 1_700_000_000_000_000,
            xapi_version: "2.0.0".into(),
            ..StatementSubmitted::default()
        });
        let position = self.append(tenant, id, event).await;
        let outcome = (self.fold.projection)
            .outcome(topics::STATEMENTS, position.partition, position.offset)
            .unwrap();
        // an accepted statement records no outcome
        outcome.map_or(Kind::Accepted, |outcome| {
            StatementOutcome::decode(outcome.as_slice()).unwrap().kind()
        })
    }

    async fn void_claim(&self, tenant: &str, target: Uuid, voiding: Uuid) {
        let event = Event::StatementVoided(StatementVoided {
            target_statement_id: target.to_string(),
            voiding_statement_id: voiding.to_string(),
        });
        self.append(tenant, target, event).await;
    }
}

fn answered(id: Uuid, item: u32) -> String {
    format!(
        r#"{{"id":"{id}","actor":{{"mbox":"mailto:a@example.org"}},"verb":{{"id":"http://adlnet.gov/expapi/verbs/answered"}},"object":{{"id":"https://example.org/items/{item}"}},"stored":"2023-11-14T22:13:20.000Z","timestamp":"2023-11-14T22:13:20.000Z"}}"#
    )
}

fn voiding(id: Uuid, target: Uuid) -> String {
    format!(
        r#"{{"id":"{id}","actor":{{"mbox":"mailto:t@example.org"}},"verb":{{"id":"http://adlnet.gov/expapi/verbs/voided"}},"object":{{"objectType":"StatementRef","id":"{target}"}}}}"#
    )
}

#[tokio::test]
async fn bodies_are_read_from_the_log_in_place_or_kept_in_the_value_log_where_it_cannot() {
    for (store, copies) in [
        (Harness::new(), false),
        (Harness::reading_in_batches(), true),
    ] {
        let (first, second) = (Uuid::new_v4(), Uuid::new_v4());
        store.submit("t", first, &answered(first, 1)).await;
        store.submit("t", second, &answered(second, 2)).await;
        // the duplicate check reads the stored body back, wherever it is
        assert_eq!(
            store.submit("t", first, &answered(first, 1)).await,
            Kind::Duplicate
        );
        assert_eq!(
            store.submit("t", first, &answered(first, 3)).await,
            Kind::Conflict
        );
        for (id, item) in [(first, 1), (second, 2)] {
            let stored = store.reader.get("t", id).unwrap().expect("stored");
            assert_eq!(stored.json, answered(id, item).into_bytes());
        }
        let page = store.reader.query(
            "t",
            &StatementQuery::default(),
            None,
            store.reader.newest("t").unwrap().unwrap(),
        );
        assert_eq!(page.unwrap().statements.len(), 2);
        let value_log = store.fold.projection.value_log_bytes().unwrap();
        assert_eq!(value_log > 0, copies, "value log of {value_log} bytes");
    }
}

#[tokio::test]
async fn first_submission_of_an_id_is_accepted_and_stored() {
    let store = Harness::new();
    let id = Uuid::new_v4();
    assert_eq!(
        store.submit("t", id, &answered(id, 1)).await,
        Kind::Accepted
    );
    let stored = store.reader.get("t", id).unwrap().expect("stored");
    assert_eq!(stored.json, answered(id, 1).into_bytes());
    let sizes = store.fold.projection.tree_sizes().unwrap();
    let outcomes = sizes.iter().find(|tree| tree.name == "runtime.outcomes");
    assert_eq!(
        outcomes.map(|tree| tree.entries),
        Some(0),
        "no outcome kept"
    );
}

#[tokio::test]
async fn same_content_again_is_a_duplicate_and_changes_nothing() {
    let store = Harness::new();
    let id = Uuid::new_v4();
    store.submit("t", id, &answered(id, 1)).await;
    let first = store.reader.get("t", id).unwrap();
    assert_eq!(
        store.submit("t", id, &answered(id, 1)).await,
        Kind::Duplicate
    );
    assert_eq!(store.reader.get("t", id).unwrap(), first);
}

#[tokio::test]
async fn different_content_under_a_stored_id_is_a_conflict_and_keeps_the_first() {
    let store = Harness::new();
    let id = Uuid::new_v4();
    store.submit("t", id, &answered(id, 1)).await;
    assert_eq!(
        store.submit("t", id, &answered(id, 2)).await,
        Kind::Conflict
    );
    let stored = store.reader.get("t", id).unwrap().unwrap();
    assert_eq!(stored.json, answered(id, 1).into_bytes());
}

#[tokio::test]
async fn an_ids_position_is_that_of_the_submission_kept() {
    let store = Harness::new();
    let id = Uuid::new_v4();
    store.submit("t", id, &answered(id, 1)).await;
    store.submit("t", id, &answered(id, 2)).await;
    let kept = store.reader.get("t", id).unwrap().unwrap();
    let position = store.reader.position("t", id).unwrap().expect("stored");
    assert_eq!(
        (position.stored_micros, position.partition, position.offset),
        (kept.stored_micros, kept.partition, kept.offset)
    );
    assert_eq!(store.reader.position("t", Uuid::new_v4()).unwrap(), None);
    assert_eq!(store.reader.position("other", id).unwrap(), None);
}

#[tokio::test]
async fn voiding_works_whichever_event_arrives_first() {
    let store = Harness::new();
    let (target, voider) = (Uuid::new_v4(), Uuid::new_v4());
    store.void_claim("t", target, voider).await;
    store.submit("t", voider, &voiding(voider, target)).await;
    assert_eq!(store.reader.lookup("t", target).unwrap(), Lookup::Missing);
    store.submit("t", target, &answered(target, 1)).await;
    assert!(matches!(
        store.reader.lookup("t", target).unwrap(),
        Lookup::Voided(_)
    ));
}

#[tokio::test]
async fn a_voiding_claim_without_its_stored_voiding_statement_voids_nothing() {
    let store = Harness::new();
    let (target, voider) = (Uuid::new_v4(), Uuid::new_v4());
    store.submit("t", target, &answered(target, 1)).await;
    store.void_claim("t", target, voider).await;
    assert!(matches!(
        store.reader.lookup("t", target).unwrap(),
        Lookup::Found(_)
    ));
    // The claimed voider id holds an ordinary statement: still nothing is voided.
    store.submit("t", voider, &answered(voider, 2)).await;
    assert!(matches!(
        store.reader.lookup("t", target).unwrap(),
        Lookup::Found(_)
    ));
}

#[tokio::test]
async fn a_voiding_statement_is_never_voided() {
    let store = Harness::new();
    let (first, second) = (Uuid::new_v4(), Uuid::new_v4());
    let target = Uuid::new_v4();
    store.submit("t", first, &voiding(first, target)).await;
    store.submit("t", second, &voiding(second, first)).await;
    store.void_claim("t", first, second).await;
    assert!(matches!(
        store.reader.lookup("t", first).unwrap(),
        Lookup::Found(_)
    ));
}

#[tokio::test]
async fn tenants_do_not_see_each_other() {
    let store = Harness::new();
    let id = Uuid::new_v4();
    store.submit("district-a", id, &answered(id, 1)).await;
    assert_eq!(
        store.reader.lookup("district-b", id).unwrap(),
        Lookup::Missing
    );
    assert_eq!(
        store.submit("district-b", id, &answered(id, 2)).await,
        Kind::Accepted
    );
}
