//! `LearnerErased` on every partition: the learner's agent profile and state documents
//! go, everything else stays, and a document of the learner's new life stays whatever
//! order the partitions fold in.

use super::*;
use crate::tree_dump::{entries, trees_of};
use learnlog_projector::learners::{broadcast_keys, learner_id};
use learnlog_projector::sealing::seal_event;
use learnlog_proto::v1::{Envelope, LearnerErased};
use std::time::Duration;
use uuid::Uuid;

const TREES: [&str; 3] = [BY_KEY, SETS, BY_AGENT];

fn agent(mbox: &str) -> (String, Uuid) {
    let agent = serde_json::json!({ "mbox": format!("mailto:{mbox}") });
    let key = learnlog_xapi::agent_ifi_key(&agent).unwrap();
    (key, learner_id(&agent).unwrap())
}

/// The sets of `agent_key` the tests write: states of several activities, with and
/// without a registration, and the agent's profiles.
fn sets_of(agent_key: &str) -> Vec<DocumentSet> {
    let mut sets: Vec<DocumentSet> = (0..4)
        .map(|n| DocumentSet::state(&format!("http://example.org/a{n}"), agent_key, None))
        .collect();
    sets.push(DocumentSet::state(
        "http://example.org/a0",
        agent_key,
        Some("6e3f8b4a-6c39-4e0e-9d8e-2b5d9e2f3a11"),
    ));
    sets.push(DocumentSet::agent_profile(agent_key));
    sets
}

fn erased(learner: Uuid) -> Event {
    Event::LearnerErased(LearnerErased {
        learner_id: learner.to_string(),
    })
}

#[tokio::test]
async fn erasing_a_learner_drops_their_documents_on_every_partition_and_nothing_else() {
    let store = Harness::new();
    let (ann_key, ann) = agent("ann@example.org");
    let (bo_key, _) = agent("bo@example.org");
    for agent_key in [&ann_key, &bo_key] {
        for set in sets_of(agent_key) {
            store.write(&set, "one", r#"{"a":1}"#, plain).await;
            store.write(&set, "two", "{}", plain).await;
        }
    }
    store
        .write(&activity_profile(), "p", "{}", create_only)
        .await;
    let (of_ann, rest): (Vec<_>, Vec<_>) = entries(&store.fold.projection, &TREES)
        .into_iter()
        .partition(|(_, key, _)| key.windows(ann_key.len()).any(|w| w == ann_key.as_bytes()));
    assert_eq!(trees_of(&of_ann), TREES);
    // what an export lists: every document of hers, each with its set, and no other
    let mut listed: Vec<(DocumentSet, String)> = (store.reader.learner_documents(T, ann))
        .unwrap()
        .into_iter()
        .map(|found| (found.set, found.id))
        .collect();
    listed.sort_by(|a, b| format!("{a:?}").cmp(&format!("{b:?}")));
    let mut expected: Vec<(DocumentSet, String)> = sets_of(&ann_key)
        .into_iter()
        .flat_map(|set| [(set.clone(), "one".to_owned()), (set, "two".to_owned())])
        .collect();
    expected.sort_by(|a, b| format!("{a:?}").cmp(&format!("{b:?}")));
    assert_eq!(listed, expected);

    for key in broadcast_keys(3) {
        store.fold.append(T, &key, 3_000, erased(ann)).await;
    }

    assert_eq!(entries(&store.fold.projection, &TREES), rest);
    assert!(store.reader.learner_documents(T, ann).unwrap().is_empty());
    for set in sets_of(&ann_key) {
        assert!(store.reader.list(T, &set, None).unwrap().is_empty());
    }
    for set in sets_of(&bo_key) {
        assert_eq!(store.reader.list(T, &set, None).unwrap().len(), 2);
    }
    assert!(store.content(&activity_profile(), "p").is_some());
}

#[tokio::test]
async fn a_document_written_after_the_erasure_on_its_partition_stays_whatever_the_others_do() {
    let store = Harness::new();
    let (ann_key, ann) = agent("ann@example.org");
    let set = DocumentSet::state("http://example.org/a", &ann_key, None);
    let old = DocumentWritten {
        kind: set.kind as i32,
        activity_id: set.activity_id.clone(),
        agent_key: set.agent_key.clone(),
        document_id: "old".into(),
        content_type: JSON.into(),
        content: b"{}".to_vec(),
        ..DocumentWritten::default()
    };
    let at = store
        .fold
        .append(T, &set.log_key(T), 1_000, Event::DocumentWritten(old))
        .await;
    // the erasure reaches the set's partition first, the learner comes back, and only
    // then do the other partitions fold their copy of the erasure
    let keys = broadcast_keys(3);
    let own = at.partition as usize;
    store.fold.append(T, &keys[own], 2_000, erased(ann)).await;
    store.write(&set, "new", r#"{"b":2}"#, plain).await;
    for (partition, key) in keys.iter().enumerate().filter(|(p, _)| *p != own) {
        let folded = store.fold.append(T, key, 3_000, erased(ann)).await;
        assert_eq!(folded.partition as usize, partition);
    }

    assert_eq!(store.content(&set, "old"), None);
    assert_eq!(store.content(&set, "new").as_deref(), Some(r#"{"b":2}"#));
    let replay = store.fold.replay("replay");
    replay.catch_up(Duration::from_secs(10)).await.unwrap();
    assert_eq!(
        replay.digest().unwrap(),
        store.fold.projection.digest().unwrap()
    );
    let replayed = DocumentReader::new(&replay).unwrap();
    let ids: Vec<String> = (replayed.list(T, &set, None).unwrap().into_iter())
        .map(|found| found.id)
        .collect();
    assert_eq!(ids, ["new"]);
}

#[tokio::test]
async fn a_sealed_write_folds_as_a_plain_one_and_not_at_all_once_the_key_is_destroyed() {
    let store = Harness::new();
    let (ann_key, ann) = agent("ann@example.org");
    let set = DocumentSet::state("http://example.org/a", &ann_key, None);
    let write = DocumentWritten {
        kind: set.kind as i32,
        activity_id: set.activity_id.clone(),
        agent_key: set.agent_key.clone(),
        document_id: "bookmark".into(),
        content_type: JSON.into(),
        content: br#"{"page":3}"#.to_vec(),
        ..DocumentWritten::default()
    };
    let event_id = Uuid::new_v4().to_string();
    let sealed = seal_event(
        &store.keys,
        T,
        ann,
        &event_id,
        Event::DocumentWritten(write),
    )
    .unwrap();
    let at = (store.fold)
        .append_envelope(Envelope {
            event_id,
            tenant: T.into(),
            key: set.log_key(T),
            produced_at_micros: 1_000,
            event: Some(sealed),
        })
        .await;
    let outcome = DocumentOutcome::decode(store.fold.outcome(at).as_slice()).unwrap();
    assert_eq!(outcome.kind, Kind::Applied as i32);
    assert_eq!(
        store.content(&set, "bookmark").as_deref(),
        Some(r#"{"page":3}"#)
    );

    assert!(store.keys.erase(T, ann).unwrap());
    let replay = store.fold.replay("replay");
    replay.catch_up(Duration::from_secs(10)).await.unwrap();
    assert_eq!(entries(&replay, &TREES), []);
}
