//! The classes projection folded from a real embedded log, given/when/then.

use super::*;
use learnlog_projector::test_support::FoldHarness;
use learnlog_proto::v1::LearnerStatement;
use std::sync::Arc;

const T: &str = "district";

fn request(id: &str, members: &[Uuid]) -> ClassRequest {
    ClassRequest {
        id: id.into(),
        name: format!("Class {id}"),
        members: members.iter().map(|m| (*m, m.to_string())).collect(),
        teachers: vec!["ms-rivera".into()],
        frameworks: vec!["math".into()],
    }
}

#[tokio::test]
async fn rosters_are_set_replaced_and_removed_with_their_member_index() {
    let harness = FoldHarness::with_partitions(Arc::new(ClassStore), topics::CLASSES, 1);
    let reader = ClassReader::new(&harness.projection).unwrap();
    let (a, b, c) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
    let event = |request: &ClassRequest| class_set(T, request, 1).unwrap().event.unwrap();

    let created = harness
        .append(T, "5a", 1, event(&request("5a", &[a, b])))
        .await;
    assert_eq!(
        ClassOutcome::decode(&harness.outcome(created)),
        Some(ClassOutcome::Created)
    );
    assert_eq!(reader.classes_of(T, a).unwrap(), ["5a"]);

    let replaced = harness
        .append(T, "5a", 2, event(&request("5a", &[b, c])))
        .await;
    assert_eq!(
        ClassOutcome::decode(&harness.outcome(replaced)),
        Some(ClassOutcome::Replaced)
    );
    assert!(
        reader.classes_of(T, a).unwrap().is_empty(),
        "a left the class"
    );
    assert_eq!(reader.classes_of(T, c).unwrap(), ["5a"]);
    let class = reader.class(T, "5a").unwrap().unwrap();
    assert_eq!(class.members.len(), 2);
    assert_eq!(class.teachers, ["ms-rivera"]);
    assert!(reader.class("other", "5a").unwrap().is_none());

    let removed = class_removed(T, "5a", 3).unwrap().event.unwrap();
    let at = harness.append(T, "5a", 3, removed.clone()).await;
    assert_eq!(
        ClassOutcome::decode(&harness.outcome(at)),
        Some(ClassOutcome::Removed)
    );
    assert!(reader.class(T, "5a").unwrap().is_none());
    assert!(reader.classes_of(T, b).unwrap().is_empty());
    let again = harness.append(T, "5a", 4, removed).await;
    assert_eq!(
        ClassOutcome::decode(&harness.outcome(again)),
        Some(ClassOutcome::NotFound)
    );
}

#[tokio::test]
async fn peers_last_activity_is_the_latest_day_of_the_other_members() {
    let harness = FoldHarness::with_partitions(Arc::new(ClassStore), topics::LEARNER_EVENTS, 1);
    let reader = ClassReader::new(&harness.projection).unwrap();
    let (a, b, c) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
    let set = class_set(T, &request("5a", &[a, b]), 1)
        .unwrap()
        .event
        .unwrap();
    harness.append(T, "5a", 1, set).await;
    const DAY: i64 = 86_400_000_000;
    for (learner, at) in [(b, 5 * DAY), (b, 3 * DAY), (c, 9 * DAY), (a, DAY)] {
        let statement = LearnerStatement {
            learner_id: learner.to_string(),
            timestamp_micros: at,
            stored_micros: at,
            ..LearnerStatement::default()
        };
        harness
            .append(
                T,
                &learner.to_string(),
                at,
                Event::LearnerStatement(statement),
            )
            .await;
    }
    assert_eq!(
        reader.last_active(T, b).unwrap(),
        Some(5),
        "the latest day, not the last folded"
    );
    assert_eq!(
        reader.peers_last_active(T, a).unwrap(),
        Some(5),
        "c is in no class with a"
    );
    assert_eq!(reader.peers_last_active(T, c).unwrap(), None);
}

#[test]
fn rosters_are_checked_before_they_are_appended() {
    let a = Uuid::new_v4();
    let invalid = |request: &ClassRequest| class_set(T, request, 1).unwrap_err().to_string();
    assert!(invalid(&request("has space", &[])).starts_with("class id:"));
    assert!(invalid(&request("5a", &[a, a])).starts_with("members:"));
    let mut many = request("5a", &[]);
    many.teachers = vec![String::new()];
    assert!(invalid(&many).starts_with("teachers:"));
}
