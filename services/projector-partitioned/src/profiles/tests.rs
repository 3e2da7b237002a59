//! The profile projection folded from a real embedded log, given/when/then.

use super::*;
use learnlog_projector::test_support::FoldHarness;
use learnlog_proto::v1::MasteryModelPublished;
use std::cell::Cell;
use std::sync::Arc;
use std::time::Duration;

const T: &str = "district";
/// 2024-03-04T00:00:00Z, a Monday.
const MONDAY: i64 = 1_709_510_400_000_000;
const HOUR: i64 = 3_600_000_000;
const DAY: i64 = 24 * HOUR;

const VIDEO: &str = "https://w3id.org/xapi/video/activity-type/video";
const QUESTION: &str = "http://adlnet.gov/expapi/activities/question";
const LESSON: &str = "http://adlnet.gov/expapi/activities/lesson";
const PLAYED: &str = "https://w3id.org/xapi/video/verbs/played";
const ANSWERED: &str = "http://adlnet.gov/expapi/verbs/answered";
const COMPLETED: &str = "http://adlnet.gov/expapi/verbs/completed";
const EXPERIENCED: &str = "http://adlnet.gov/expapi/verbs/experienced";

struct Harness {
    fold: FoldHarness,
    reader: ProfileReader,
    source_offset: Cell<u64>,
}

impl Harness {
    fn new() -> Self {
        let fold = FoldHarness::new(Arc::new(ProfileStore), topics::LEARNER_EVENTS);
        let reader = ProfileReader::new(&fold.projection).unwrap();
        Self {
            fold,
            reader,
            source_offset: Cell::new(0),
        }
    }

    /// A statement by `learner` on `activity` at `at`, from the next source offset.
    fn statement(
        &self,
        learner: Uuid,
        activity: &str,
        activity_type: &str,
        verb: &str,
        at: i64,
    ) -> LearnerStatement {
        let offset = self.source_offset.get();
        self.source_offset.set(offset + 1);
        LearnerStatement {
            learner_id: learner.to_string(),
            statement_id: Uuid::new_v4().to_string(),
            source_partition: 0,
            source_offset: offset,
            verb_id: verb.into(),
            activity_id: activity.into(),
            activity_type: activity_type.into(),
            timestamp_micros: at,
            stored_micros: at + 1_000,
            ..LearnerStatement::default()
        }
    }

    async fn fold(&self, learner: Uuid, statement: LearnerStatement) {
        self.fold
            .append(
                T,
                &learner.to_string(),
                statement.stored_micros,
                Event::LearnerStatement(statement),
            )
            .await;
    }

    async fn goal(&self, learner: Uuid, at: i64, event: Event) -> GoalOutcome {
        let position = self.fold.append(T, &learner.to_string(), at, event).await;
        GoalOutcome::decode(&self.fold.outcome(position)).unwrap()
    }

    fn profile(&self, learner: Uuid) -> Profile {
        self.reader.profile(T, learner).unwrap().expect("a profile")
    }
}

fn set(learner: Uuid, goal: Uuid, description: &str, competency: &str) -> Event {
    Event::GoalSet(GoalSet {
        learner_id: learner.to_string(),
        goal_id: goal.to_string(),
        competency_id: competency.into(),
        description: description.into(),
        target_micros: None,
    })
}

fn removed(learner: Uuid, goal: Uuid) -> Event {
    Event::GoalRemoved(GoalRemoved {
        learner_id: learner.to_string(),
        goal_id: goal.to_string(),
    })
}

#[tokio::test]
async fn interests_count_choices_finishes_and_returns_on_a_later_day() {
    let h = Harness::new();
    let ann = Uuid::new_v4();
    let mut first = h.statement(ann, "https://ex.org/q1", QUESTION, ANSWERED, MONDAY + HOUR);
    first.category_ids = vec!["https://ex.org/cat/math".into()];
    first.success = Some(true);
    h.fold(ann, first).await;
    // same activity, same day: chosen again, not a return
    let again = h.statement(
        ann,
        "https://ex.org/q1",
        QUESTION,
        ANSWERED,
        MONDAY + 2 * HOUR,
    );
    h.fold(ann, again).await;
    // same activity on Wednesday: a return
    let mut back = h.statement(
        ann,
        "https://ex.org/q1",
        QUESTION,
        COMPLETED,
        MONDAY + 2 * DAY,
    );
    back.category_ids = vec!["https://ex.org/cat/math".into()];
    h.fold(ann, back).await;
    // another question on Wednesday: chosen, not a return (first visit)
    let other = h.statement(
        ann,
        "https://ex.org/q2",
        QUESTION,
        ANSWERED,
        MONDAY + 2 * DAY,
    );
    h.fold(ann, other).await;
    let lesson = h.statement(
        ann,
        "https://ex.org/l1",
        LESSON,
        EXPERIENCED,
        MONDAY + 3 * DAY,
    );
    h.fold(ann, lesson).await;

    let profile = h.profile(ann);
    assert_eq!(profile.statements, 5);
    assert_eq!(profile.finished, 2);
    let question = &profile.interests.activity_types[0];
    assert_eq!(
        (
            question.id.as_str(),
            question.chosen,
            question.finished,
            question.returned
        ),
        (QUESTION, 4, 2, 1)
    );
    assert_eq!(question.last_chosen, "2024-03-06");
    let math = &profile.interests.categories[0];
    assert_eq!((math.chosen, math.finished, math.returned), (2, 2, 1));
    assert_eq!(profile.interests.top_activity_types, [QUESTION, LESSON]);
    assert_eq!(
        profile.interests.top_categories,
        ["https://ex.org/cat/math"]
    );
}

#[tokio::test]
async fn modalities_come_from_types_then_verbs_and_time_from_durations() {
    let h = Harness::new();
    let bo = Uuid::new_v4();
    let mut watched = h.statement(bo, "https://ex.org/v1", VIDEO, PLAYED, MONDAY);
    watched.duration_millis = Some(600_000);
    h.fold(bo, watched).await;
    // no activity type: the verb places it
    let mut answered = h.statement(bo, "https://ex.org/q1", "", ANSWERED, MONDAY + HOUR);
    answered.duration_millis = Some(200_000);
    h.fold(bo, answered).await;
    let mut answered = h.statement(bo, "https://ex.org/q2", "", ANSWERED, MONDAY + DAY);
    answered.duration_millis = Some(200_000);
    h.fold(bo, answered).await;
    let untimed = h.statement(bo, "https://ex.org/c", "", EXPERIENCED, MONDAY + DAY);
    h.fold(bo, untimed).await;

    let profile = h.profile(bo);
    let time = &profile.time_on_task;
    assert_eq!(time.total_millis, 1_000_000);
    assert_eq!(time.statements_with_duration, 3);
    assert_eq!(
        (
            time.by_modality.video,
            time.by_modality.practice,
            time.by_modality.other
        ),
        (600_000, 400_000, 0)
    );
    let by_day: Vec<_> = time
        .by_day
        .iter()
        .map(|d| (d.day.as_str(), d.statements, d.duration_millis))
        .collect();
    assert_eq!(
        by_day,
        [("2024-03-05", 2, 200_000), ("2024-03-04", 2, 800_000)]
    );
    let shares = &profile.modalities.by_modality;
    assert_eq!(
        (shares.video.statements, shares.video.statement_share),
        (1, 0.25)
    );
    assert_eq!(shares.video.time_share, 0.6);
    assert_eq!(
        (shares.practice.statement_share, shares.practice.time_share),
        (0.5, 0.4)
    );
    assert_eq!(shares.other.statements, 1);
    // video: (0.25 + 0.6) / 2 = 0.425; practice: (0.5 + 0.4) / 2 = 0.45
    assert_eq!(
        profile.modalities.preferred,
        [Modality::Practice, Modality::Video]
    );
}

#[tokio::test]
async fn active_days_are_distinct_utc_days_with_first_last_and_recent() {
    let h = Harness::new();
    let cy = Uuid::new_v4();
    // 23:30 and 00:30 are different UTC days; a timestamp after `stored` falls back to it
    for at in [
        MONDAY - HOUR / 2,
        MONDAY + HOUR / 2,
        MONDAY + 2 * HOUR,
        MONDAY + 7 * DAY,
    ] {
        let statement = h.statement(cy, "https://ex.org/a", LESSON, EXPERIENCED, at);
        h.fold(cy, statement).await;
    }
    let mut future = h.statement(
        cy,
        "https://ex.org/a",
        LESSON,
        EXPERIENCED,
        MONDAY + 30 * DAY,
    );
    future.stored_micros = MONDAY + 7 * DAY + HOUR;
    h.fold(cy, future).await;

    let days = h.profile(cy).active_days;
    assert_eq!(days.count, 3);
    assert_eq!(days.first.as_deref(), Some("2024-03-03"));
    assert_eq!(days.last.as_deref(), Some("2024-03-11"));
    assert_eq!(days.recent, ["2024-03-11", "2024-03-04", "2024-03-03"]);
}

#[tokio::test]
async fn re_published_statements_are_counted_once() {
    let h = Harness::new();
    let di = Uuid::new_v4();
    let first = h.statement(di, "https://ex.org/a", LESSON, COMPLETED, MONDAY);
    let second = h.statement(di, "https://ex.org/a", LESSON, COMPLETED, MONDAY + DAY);
    h.fold(di, first.clone()).await;
    h.fold(di, second.clone()).await;
    // the repartitioner restarted from an older checkpoint and re-published both
    h.fold(di, first).await;
    h.fold(di, second).await;
    let profile = h.profile(di);
    assert_eq!(profile.statements, 2);
    assert_eq!(profile.interests.activity_types[0].returned, 1);
    assert_eq!(profile.active_days.count, 2);
}

#[tokio::test]
async fn goals_are_set_replaced_and_removed_by_id() {
    let h = Harness::new();
    let ed = Uuid::new_v4();
    let (fractions, reading) = (Uuid::new_v4(), Uuid::new_v4());
    assert_eq!(
        h.goal(
            ed,
            MONDAY,
            set(ed, fractions, "Master fractions", "math.fractions")
        )
        .await,
        GoalOutcome::Created
    );
    assert_eq!(
        h.goal(ed, MONDAY + HOUR, set(ed, reading, "Read two books", ""))
            .await,
        GoalOutcome::Created
    );
    assert_eq!(
        h.goal(
            ed,
            MONDAY + DAY,
            set(ed, fractions, "Master fractions by May", "math.fractions")
        )
        .await,
        GoalOutcome::Replaced
    );
    let goals = h.reader.goals(T, ed).unwrap();
    assert_eq!(goals.len(), 2);
    assert_eq!(goals[0].description, "Master fractions by May");
    assert_eq!(goals[0].competency.as_deref(), Some("math.fractions"));
    assert_eq!(goals[0].set_at, "2024-03-05T00:00:00.000Z");
    assert_eq!(goals[1].competency, None);

    assert_eq!(
        h.goal(ed, MONDAY + DAY, removed(ed, reading)).await,
        GoalOutcome::Removed
    );
    assert_eq!(
        h.goal(ed, MONDAY + DAY, removed(ed, reading)).await,
        GoalOutcome::NotFound
    );
    assert_eq!(h.reader.goal(T, ed, reading).unwrap(), None);
    // a learner known only by goals has a profile with no statements
    let profile = h.profile(ed);
    assert_eq!((profile.statements, profile.goals.len()), (0, 1));
    assert_eq!(
        h.goal(ed, MONDAY, removed(ed, fractions)).await,
        GoalOutcome::Removed
    );
    assert_eq!(h.reader.profile(T, ed).unwrap(), None);
}

#[tokio::test]
async fn a_learner_has_at_most_max_goals() {
    let h = Harness::new();
    let fa = Uuid::new_v4();
    for n in 0..MAX_GOALS {
        let outcome = h
            .goal(
                fa,
                MONDAY,
                set(fa, Uuid::new_v4(), &format!("goal {n}"), ""),
            )
            .await;
        assert_eq!(outcome, GoalOutcome::Created);
    }
    let outcome = h
        .goal(fa, MONDAY, set(fa, Uuid::new_v4(), "one more", ""))
        .await;
    assert_eq!(outcome, GoalOutcome::TooMany);
    assert_eq!(h.reader.goals(T, fa).unwrap().len(), MAX_GOALS);
}

#[tokio::test]
async fn profiles_are_per_tenant_and_learner_and_other_events_are_ignored() {
    let h = Harness::new();
    let gus = Uuid::new_v4();
    let statement = h.statement(gus, "https://ex.org/a", LESSON, EXPERIENCED, MONDAY);
    h.fold(gus, statement).await;
    let model = Event::MasteryModelPublished(MasteryModelPublished {
        model_id: Uuid::new_v4().to_string(),
        parameters_json: b"{}".to_vec(),
        description: "test".into(),
    });
    let position = h.fold.append(T, &gus.to_string(), MONDAY, model).await;
    assert_eq!(
        h.fold
            .projection
            .outcome(topics::LEARNER_EVENTS, position.partition, position.offset)
            .unwrap(),
        None
    );
    assert_eq!(h.profile(gus).statements, 1);
    assert_eq!(h.reader.profile("another-district", gus).unwrap(), None);
    assert_eq!(h.reader.profile(T, Uuid::new_v4()).unwrap(), None);
}

#[tokio::test]
async fn replaying_the_log_gives_the_same_state() {
    let h = Harness::new();
    let learners = [Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4()];
    for n in 0..60i64 {
        let learner = learners[n as usize % 3];
        let activity = format!("https://ex.org/items/{}", n % 7);
        let kind = [VIDEO, QUESTION, LESSON, ""][n as usize % 4];
        let mut statement = h.statement(learner, &activity, kind, ANSWERED, MONDAY + n * 7 * HOUR);
        statement.duration_millis = Some(n * 1_000);
        statement.category_ids = vec![format!("https://ex.org/cat/{}", n % 2)];
        h.fold(learner, statement).await;
        if n % 10 == 0 {
            let goal = set(learner, Uuid::new_v4(), &format!("goal {n}"), "");
            h.goal(learner, MONDAY + n, goal).await;
        }
    }
    let replay = h.fold.replay("replay");
    replay.catch_up(Duration::from_secs(10)).await.unwrap();
    assert_eq!(
        replay.digest().unwrap(),
        h.fold.projection.digest().unwrap()
    );
    let reader = ProfileReader::new(&replay).unwrap();
    for learner in learners {
        assert_eq!(
            reader.profile(T, learner).unwrap(),
            h.reader.profile(T, learner).unwrap()
        );
    }
}

fn erased(learner: Uuid) -> Event {
    Event::LearnerErased(learnlog_proto::v1::LearnerErased {
        learner_id: learner.to_string(),
    })
}

#[tokio::test]
async fn erasing_a_learner_drops_all_of_their_profile_and_leaves_the_rest_byte_for_byte() {
    use crate::tree_dump::{entries, trees_of};
    let h = Harness::new();
    let (ann, bo) = (Uuid::new_v4(), Uuid::new_v4());
    for (n, learner) in [ann, bo, ann, bo].into_iter().enumerate() {
        let at = MONDAY + n as i64 * DAY;
        let statement = h.statement(learner, "https://ex.org/a", LESSON, COMPLETED, at);
        h.fold(learner, statement).await;
    }
    for learner in [ann, bo] {
        h.goal(learner, MONDAY, set(learner, Uuid::new_v4(), "a goal", ""))
            .await;
    }
    let trees = [LEARNERS, ACTIVITIES, GOALS, WATERMARKS];
    let ann_key = learner_key(T, ann);
    let (of_ann, rest): (Vec<_>, Vec<_>) = entries(&h.fold.projection, &trees)
        .into_iter()
        .partition(|(_, key, _)| key.starts_with(&ann_key));
    assert_eq!(trees_of(&of_ann), [LEARNERS, ACTIVITIES, GOALS]);
    let bo_before = h.profile(bo);

    h.fold
        .append(T, &ann.to_string(), MONDAY, erased(ann))
        .await;

    assert_eq!(entries(&h.fold.projection, &trees), rest);
    assert_eq!(h.reader.profile(T, ann).unwrap(), None);
    assert!(h.reader.goals(T, ann).unwrap().is_empty());
    assert_eq!(h.profile(bo), bo_before);
}

#[tokio::test]
async fn a_learner_acting_after_being_erased_starts_afresh_and_replay_agrees() {
    let h = Harness::new();
    let cy = Uuid::new_v4();
    let before = h.statement(cy, "https://ex.org/a", LESSON, COMPLETED, MONDAY);
    h.fold(cy, before).await;
    h.goal(cy, MONDAY, set(cy, Uuid::new_v4(), "old goal", ""))
        .await;
    h.fold.append(T, &cy.to_string(), MONDAY, erased(cy)).await;
    // the same activity on a later day: a first visit for the new life, not a return
    let after = h.statement(cy, "https://ex.org/a", LESSON, EXPERIENCED, MONDAY + DAY);
    h.fold(cy, after).await;

    let profile = h.profile(cy);
    assert_eq!((profile.statements, profile.finished), (1, 0));
    assert!(profile.goals.is_empty());
    assert_eq!(profile.active_days.count, 1);
    assert_eq!(profile.interests.activity_types[0].returned, 0);

    let replay = h.fold.replay("replay");
    replay.catch_up(Duration::from_secs(10)).await.unwrap();
    assert_eq!(
        replay.digest().unwrap(),
        h.fold.projection.digest().unwrap()
    );
    let replayed = ProfileReader::new(&replay).unwrap();
    assert_eq!(replayed.profile(T, cy).unwrap(), Some(profile));
}
