//! The decisions projection folded from a real embedded log, given/when/then.

use super::*;
use crate::test_support::FoldHarness;
use learnlog_decisions::Action;
use learnlog_proto::v1::{InterventionActed, LearnerStatementVoided, ObjectiveChosen};
use std::sync::Arc;

const T: &str = "district";
const DAY: i64 = 86_400_000_000;
const START: i64 = 1_709_510_400_000_000;

fn statement(learner: Uuid, offset: u64, activity: &str, success: bool, at: i64) -> Event {
    Event::LearnerStatement(LearnerStatement {
        learner_id: learner.to_string(),
        statement_id: format!("s{offset}"),
        source_partition: 0,
        source_offset: offset,
        verb_id: "http://adlnet.gov/expapi/verbs/answered".into(),
        activity_id: activity.into(),
        activity_type: "http://adlnet.gov/expapi/activities/question".into(),
        competency_ids: vec!["fractions".into()],
        success: Some(success),
        timestamp_micros: at,
        stored_micros: at,
        ..LearnerStatement::default()
    })
}

#[tokio::test]
async fn statements_choices_and_actions_fold_into_the_learners_record() {
    let harness = FoldHarness::new(Arc::new(DecisionStore), topics::LEARNER_EVENTS);
    let reader = DecisionReader::new(harness.projection.db()).unwrap();
    let learner = Uuid::new_v4();
    let key = learner.to_string();

    // given two statements, the second finishing its activity (success)
    harness
        .append(
            T,
            &key,
            START,
            statement(learner, 1, "quiz-1", false, START),
        )
        .await;
    harness
        .append(
            T,
            &key,
            START + DAY,
            statement(learner, 2, "quiz-2", true, START + DAY),
        )
        .await;
    // re-published again: folded once
    harness
        .append(
            T,
            &key,
            START + DAY,
            statement(learner, 2, "quiz-2", true, START + DAY),
        )
        .await;
    // when the learner chooses twice and a teacher acts
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
    let acted = InterventionActed {
        learner_id: key.clone(),
        intervention_id: "i-1".into(),
        action: learnlog_proto::v1::intervention_acted::Action::Acted as i32,
        note: "small group".into(),
        by: "teacher-1".into(),
        competency_id: "fractions".into(),
        opportunities: 12,
        p_mastered: 0.3,
    };
    harness
        .append(T, &key, START + 5 * DAY, Event::InterventionActed(acted))
        .await;

    // then
    let record = reader.learner(T, learner).unwrap();
    assert_eq!(record.finished.len(), 1);
    assert_eq!(record.finished[0].activity, "quiz-2");
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
    assert_eq!(record.actions[0].opportunities, 12);
    assert_eq!(
        reader.learner("other-tenant", learner).unwrap(),
        DecisionRecord::default()
    );

    // a voided statement leaves the recently finished
    let voided = LearnerStatementVoided {
        learner_id: key.clone(),
        statement_id: "s2".into(),
        source_partition: 0,
        source_offset: 3,
    };
    harness
        .append(
            T,
            &key,
            START + 6 * DAY,
            Event::LearnerStatementVoided(voided),
        )
        .await;
    assert!(reader.learner(T, learner).unwrap().finished.is_empty());

    // and a replay folds the same record
    let replay = harness.replay("replay");
    replay
        .catch_up(std::time::Duration::from_secs(10))
        .await
        .unwrap();
    let replayed = DecisionReader::new(replay.db()).unwrap();
    assert_eq!(
        replayed.learner(T, learner).unwrap(),
        reader.learner(T, learner).unwrap()
    );
}

#[tokio::test]
async fn an_intervention_action_without_an_action_is_a_bad_event() {
    let harness = FoldHarness::new(Arc::new(DecisionStore), topics::LEARNER_EVENTS);
    let reader = DecisionReader::new(harness.projection.db()).unwrap();
    let learner = Uuid::new_v4();
    let acted = InterventionActed {
        learner_id: learner.to_string(),
        intervention_id: "i".into(),
        ..InterventionActed::default()
    };
    harness
        .append(
            T,
            &learner.to_string(),
            START,
            Event::InterventionActed(acted),
        )
        .await;
    assert!(reader.learner(T, learner).unwrap().actions.is_empty());
}
