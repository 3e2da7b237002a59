//! The decisions projection folded from a real embedded log, given/when/then.

use super::*;
use learnlog_decisions::Action;
use learnlog_projector::test_support::FoldHarness;
use learnlog_proto::v1::{InterventionActed, LearnerStatement, ObjectiveChosen};
use std::sync::Arc;

const T: &str = "district";
const DAY: i64 = 86_400_000_000;
const START: i64 = 1_709_510_400_000_000;

fn acted(learner: &str, action: learnlog_proto::v1::intervention_acted::Action) -> Event {
    Event::InterventionActed(InterventionActed {
        learner_id: learner.to_owned(),
        intervention_id: "i-1".into(),
        action: action as i32,
        note: "small group".into(),
        by: "teacher-1".into(),
        competency_id: "fractions".into(),
        opportunities: 12,
        p_mastered: 0.3,
    })
}

#[tokio::test]
async fn choices_and_teachers_actions_fold_into_the_learners_record_and_statements_do_not() {
    let harness = FoldHarness::new(Arc::new(DecisionStore), topics::LEARNER_EVENTS);
    let reader = DecisionReader::new(&harness.projection).unwrap();
    let learner = Uuid::new_v4();
    let key = learner.to_string();

    // given a statement (not this fold's), three choices and a teacher's action
    let statement = LearnerStatement {
        learner_id: key.clone(),
        activity_id: "quiz-1".into(),
        ..LearnerStatement::default()
    };
    harness
        .append(T, &key, START, Event::LearnerStatement(statement))
        .await;
    assert_eq!(
        reader.learner(T, learner).unwrap(),
        DecisionRecord::default()
    );
    for (competency, at) in [
        ("fractions", START + 2 * DAY),
        ("decimals", START + 3 * DAY),
        ("fractions", START + 4 * DAY),
    ] {
        let chosen = ObjectiveChosen {
            learner_id: key.clone(),
            competency_id: competency.into(),
        };
        harness
            .append(T, &key, at, Event::ObjectiveChosen(chosen))
            .await;
    }
    use learnlog_proto::v1::intervention_acted::Action as Wire;
    harness
        .append(T, &key, START + 5 * DAY, acted(&key, Wire::Acted))
        .await;

    // then
    let record = reader.learner(T, learner).unwrap();
    let choices: Vec<&str> = record
        .choices
        .iter()
        .map(|c| c.competency.as_str())
        .collect();
    assert_eq!(
        choices,
        ["decimals", "fractions"],
        "one per competency, latest last"
    );
    assert_eq!(record.choices[1].at, START + 4 * DAY);
    assert_eq!(record.actions.len(), 1);
    assert_eq!(record.actions[0].action, Action::Acted);
    assert_eq!(record.actions[0].at, START + 5 * DAY);
    assert_eq!(record.actions[0].opportunities, 12);
    assert_eq!(
        reader.learner("other-tenant", learner).unwrap(),
        DecisionRecord::default()
    );

    // and a replay folds the same record
    let replay = harness.replay("replay");
    replay
        .catch_up(std::time::Duration::from_secs(10))
        .await
        .unwrap();
    let replayed = DecisionReader::new(&replay).unwrap();
    assert_eq!(replayed.learner(T, learner).unwrap(), record);
}

#[tokio::test]
async fn an_intervention_action_without_an_action_is_a_bad_event() {
    use learnlog_proto::v1::intervention_acted::Action as Wire;
    let harness = FoldHarness::new(Arc::new(DecisionStore), topics::LEARNER_EVENTS);
    let reader = DecisionReader::new(&harness.projection).unwrap();
    let learner = Uuid::new_v4().to_string();
    harness
        .append(T, &learner, START, acted(&learner, Wire::Unspecified))
        .await;
    let id = learnlog_xapi::parse_uuid(&learner).unwrap();
    assert!(reader.learner(T, id).unwrap().actions.is_empty());
}

#[tokio::test]
async fn an_intervention_action_whose_p_mastered_is_no_probability_is_a_bad_event() {
    use learnlog_proto::v1::intervention_acted::Action as Wire;
    let harness = FoldHarness::new(Arc::new(DecisionStore), topics::LEARNER_EVENTS);
    let reader = DecisionReader::new(&harness.projection).unwrap();
    let learner = Uuid::new_v4().to_string();
    for p_mastered in [f64::NAN, f64::INFINITY, -0.1, 1.5] {
        let mut event = acted(&learner, Wire::Dismissed);
        if let Event::InterventionActed(acted) = &mut event {
            acted.p_mastered = p_mastered;
        }
        harness.append(T, &learner, START, event).await;
    }
    let id = learnlog_xapi::parse_uuid(&learner).unwrap();
    assert!(reader.learner(T, id).unwrap().actions.is_empty());
    harness
        .append(T, &learner, START, acted(&learner, Wire::Dismissed))
        .await;
    assert_eq!(reader.learner(T, id).unwrap().actions.len(), 1);
}

#[tokio::test]
async fn erasing_a_learner_drops_their_record_and_leaves_the_others_byte_for_byte() {
    use crate::tree_dump::{entries, trees_of};
    use learnlog_proto::v1::intervention_acted::Action as Wire;
    let harness = FoldHarness::new(Arc::new(DecisionStore), topics::LEARNER_EVENTS);
    let reader = DecisionReader::new(&harness.projection).unwrap();
    let (ann, bo) = (Uuid::new_v4(), Uuid::new_v4());
    for learner in [ann, bo] {
        let key = learner.to_string();
        let chosen = ObjectiveChosen {
            learner_id: key.clone(),
            competency_id: "fractions".into(),
        };
        harness
            .append(T, &key, START, Event::ObjectiveChosen(chosen))
            .await;
        harness
            .append(T, &key, START + DAY, acted(&key, Wire::Acted))
            .await;
    }
    let ann_key = learner_key(T, ann);
    let (of_ann, rest): (Vec<_>, Vec<_>) = entries(&harness.projection, &[LEARNERS])
        .into_iter()
        .partition(|(_, key, _)| key.starts_with(&ann_key));
    assert_eq!(trees_of(&of_ann), [LEARNERS]);
    let bo_before = reader.learner(T, bo).unwrap();

    let erased = learnlog_proto::v1::LearnerErased {
        learner_id: ann.to_string(),
    };
    harness
        .append(T, &ann.to_string(), START, Event::LearnerErased(erased))
        .await;

    assert_eq!(entries(&harness.projection, &[LEARNERS]), rest);
    assert_eq!(reader.learner(T, ann).unwrap(), DecisionRecord::default());
    assert_eq!(reader.learner(T, bo).unwrap(), bo_before);
}
