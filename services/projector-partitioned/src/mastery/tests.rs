//! Given learner events, when the mastery fold runs, then the views hold.

use super::*;
use learnlog_mastery::{BktParams, ParameterSet};
use learnlog_projector::test_support::FoldHarness;
use learnlog_proto::v1::envelope::Event;
use learnlog_proto::v1::{LearnerStatement, LearnerStatementVoided, MasteryModelPublished};
use std::sync::Arc;
use std::time::Duration;

const T: &str = "district-1";
const DAY: i64 = 86_400_000_000;

fn learner(n: u128) -> Uuid {
    Uuid::from_u128(n)
}

struct Harness {
    fold: FoldHarness,
    reader: MasteryReader,
    source_offset: std::cell::Cell<u64>,
}

impl Harness {
    fn new() -> Self {
        let fold = FoldHarness::new(Arc::new(MasteryStore::default()), topics::LEARNER_EVENTS);
        let reader = MasteryReader::new(&fold.projection).unwrap();
        Self {
            fold,
            reader,
            source_offset: 0.into(),
        }
    }

    fn statement(
        &self,
        who: Uuid,
        competencies: &[&str],
        success: Option<bool>,
    ) -> LearnerStatement {
        let offset = self.source_offset.get();
        self.source_offset.set(offset + 1);
        LearnerStatement {
            learner_id: who.to_string(),
            statement_id: Uuid::from_u128(1_000 + u128::from(offset)).to_string(),
            source_partition: 0,
            source_offset: offset,
            verb_id: "http://adlnet.gov/expapi/verbs/answered".into(),
            activity_id: "https://example.org/items/1".into(),
            competency_ids: competencies.iter().map(|c| c.to_string()).collect(),
            success,
            timestamp_micros: 1_700_000_000_000_000 + offset as i64 * DAY,
            ..LearnerStatement::default()
        }
    }

    async fn fold(&self, statement: LearnerStatement) {
        let key = statement.learner_id.clone();
        self.fold
            .append(
                T,
                &key,
                statement.timestamp_micros,
                Event::LearnerStatement(statement),
            )
            .await;
    }

    async fn publish(&self, id: &str, set: &ParameterSet) {
        for key in learnlog_projector::learners::broadcast_keys(3) {
            let event = Event::MasteryModelPublished(MasteryModelPublished {
                model_id: id.into(),
                parameters_json: set.to_json(),
                description: String::new(),
            });
            self.fold.append(T, &key, 0, event).await;
        }
    }

    fn view(&self, who: Uuid) -> LearnerMastery {
        self.reader
            .learner(T, who, 0)
            .unwrap()
            .expect("learner known")
    }
}

const PARAMS: BktParams = BktParams {
    prior: 0.3,
    learn: 0.2,
    forget: 0.0,
    guess: 0.25,
    slip: 0.1,
};

fn bkt_set() -> ParameterSet {
    ParameterSet::from_pybkt_json(&format!(
        r#"{{"fractions": {}}}"#,
        serde_json::to_string(&PARAMS).unwrap()
    ))
    .unwrap()
}

#[tokio::test]
async fn each_scored_statement_updates_p_mastered_by_the_published_model() {
    let h = Harness::new();
    h.publish("m1", &bkt_set()).await;
    let ann = learner(1);
    let outcomes = [true, false, true, true];
    for &success in &outcomes {
        h.fold(h.statement(ann, &["fractions"], Some(success)))
            .await;
    }
    let expected = outcomes
        .iter()
        .fold(PARAMS.prior, |p, &correct| PARAMS.update(p, correct));
    let view = h.view(ann);
    assert_eq!(view.record.model_id, "m1");
    assert_eq!(view.record.state.responses, 4);
    let fractions = &view.competencies[0];
    assert_eq!(fractions.competency, "fractions");
    assert!((fractions.p_mastered_at_last_evidence - expected).abs() < 1e-12);
    assert_eq!(fractions.record.state.count, 4);
    assert_eq!(fractions.record.state.correct, 3);
    assert_eq!(fractions.record.last_statement_ids.len(), 4);
}

#[tokio::test]
async fn unscored_or_unaligned_statements_are_not_evidence() {
    let h = Harness::new();
    let ann = learner(1);
    h.fold(h.statement(ann, &[], Some(true))).await;
    h.fold(h.statement(ann, &["fractions"], None)).await;
    assert!(h.reader.learner(T, ann, 0).unwrap().is_none());
    let mut scored = h.statement(ann, &["fractions"], None);
    scored.score_scaled = Some(0.8);
    h.fold(scored).await;
    let view = h.view(ann);
    assert_eq!(view.competencies[0].record.state.correct, 1);
}

#[tokio::test]
async fn a_republished_statement_is_folded_once() {
    let h = Harness::new();
    let ann = learner(1);
    let statement = h.statement(ann, &["fractions"], Some(true));
    h.fold(statement.clone()).await;
    h.fold(statement).await;
    assert_eq!(h.view(ann).competencies[0].record.state.count, 1);
}

#[tokio::test]
async fn mastery_is_reached_and_lost_at_the_threshold() {
    let h = Harness::new();
    h.publish("m1", &bkt_set()).await;
    let ann = learner(1);
    let mut reached = None;
    for _ in 0..6 {
        let statement = h.statement(ann, &["fractions"], Some(true));
        let at = statement.timestamp_micros;
        h.fold(statement).await;
        let view = h.view(ann);
        if reached.is_none() && view.competencies[0].mastered() {
            reached = Some(at);
        }
    }
    let reached = reached.expect("six correct answers reach 0.95 with these parameters");
    let view = h.view(ann);
    assert_eq!(
        view.competencies[0].record.mastered_at_micros,
        Some(reached)
    );
    assert_eq!(view.summary().0, ["fractions"]);
    for _ in 0..6 {
        h.fold(h.statement(ann, &["fractions"], Some(false))).await;
    }
    let view = h.view(ann);
    assert_eq!(view.competencies[0].record.mastered_at_micros, None);
    assert_eq!(
        view.summary().2,
        ["fractions"],
        "struggling after six misses"
    );
}

#[tokio::test]
async fn a_competency_lists_who_mastered_it_and_who_is_close() {
    let h = Harness::new();
    h.publish("m1", &bkt_set()).await;
    let (ann, bob, cy) = (learner(1), learner(2), learner(3));
    for _ in 0..8 {
        h.fold(h.statement(ann, &["fractions"], Some(true))).await;
    }
    for _ in 0..2 {
        h.fold(h.statement(bob, &["fractions"], Some(true))).await;
    }
    h.fold(h.statement(cy, &["fractions"], Some(false))).await;
    let found = h.reader.competency_learners(T, "fractions", 0.5).unwrap();
    let ids = |list: &[RankedLearner]| list.iter().map(|r| r.learner).collect::<Vec<_>>();
    assert_eq!(ids(&found.mastered), [ann]);
    assert_eq!(ids(&found.close), [bob]);
    assert!(h
        .reader
        .competency_learners("other", "fractions", 0.0)
        .unwrap()
        .mastered
        .is_empty());
}

#[tokio::test]
async fn a_two_competency_item_updates_both_and_unknown_competencies_use_the_fallback() {
    let h = Harness::new();
    h.publish("m1", &bkt_set()).await;
    let ann = learner(1);
    h.fold(h.statement(ann, &["fractions", "decimals", "fractions"], Some(true)))
        .await;
    let view = h.view(ann);
    let ids: Vec<_> = view
        .competencies
        .iter()
        .map(|c| c.competency.as_str())
        .collect();
    assert_eq!(ids, ["decimals", "fractions"]);
    for c in &view.competencies {
        assert_eq!(c.record.state.count, 1, "{}", c.competency);
    }
    // the fallback of a one-competency set is that competency's parameters
    let expected = PARAMS.update(PARAMS.prior, true);
    for c in &view.competencies {
        assert!((c.p_mastered_at_last_evidence - expected).abs() < 1e-12);
    }
}

#[tokio::test]
async fn new_parameters_apply_from_their_publication_and_replay_is_exact() {
    let h = Harness::new();
    let ann = learner(1);
    h.fold(h.statement(ann, &["fractions"], Some(true))).await;
    assert_eq!(h.view(ann).record.model_id, UNFITTED);
    h.publish("m1", &bkt_set()).await;
    h.fold(h.statement(ann, &["fractions"], Some(true))).await;
    let view = h.view(ann);
    assert_eq!(view.record.model_id, "m1");
    let unfitted = learnlog_mastery::parameters::DEFAULT_BKT;
    let expected = PARAMS.update(unfitted.update(unfitted.prior, true), true);
    assert!((view.competencies[0].p_mastered_at_last_evidence - expected).abs() < 1e-12);

    let replayed = h.fold.replay("replay");
    replayed.catch_up(Duration::from_secs(10)).await.unwrap();
    assert_eq!(
        replayed.digest().unwrap(),
        h.fold.projection.digest().unwrap()
    );
}

#[tokio::test]
async fn late_evidence_is_folded_in_timestamp_order() {
    let h = Harness::new();
    h.publish("m1", &bkt_set()).await;
    let (in_order, shuffled) = (learner(1), learner(2));
    let answers = [(3, true), (1, false), (4, true), (2, true), (5, false)];
    let mut sorted = answers;
    sorted.sort();
    for (who, list) in [(in_order, &sorted), (shuffled, &answers)] {
        for &(day, success) in list.iter() {
            let mut statement = h.statement(who, &["fractions", "decimals"], Some(success));
            statement.timestamp_micros = 1_700_000_000_000_000 + day * DAY;
            h.fold(statement).await;
        }
    }
    let (a, b) = (h.view(in_order), h.view(shuffled));
    assert_eq!(a.record.state, b.record.state);
    for (x, y) in a.competencies.iter().zip(&b.competencies) {
        assert_eq!(x.p_mastered_at_last_evidence, y.p_mastered_at_last_evidence);
        assert_eq!(x.record.mastered_at_micros, y.record.mastered_at_micros);
        assert_eq!(x.record.state, y.record.state);
    }
    let expected = sorted
        .iter()
        .fold(PARAMS.prior, |p, &(_, correct)| PARAMS.update(p, correct));
    assert!((a.competencies[1].p_mastered_at_last_evidence - expected).abs() < 1e-12);
}

#[tokio::test]
async fn a_voided_statement_is_taken_back_and_the_learner_folded_without_it() {
    let h = Harness::new();
    h.publish("m1", &bkt_set()).await;
    let (ann, twin) = (learner(1), learner(2));
    let first = h.statement(ann, &["fractions"], Some(false));
    let wrong = h.statement(ann, &["fractions", "decimals"], Some(true));
    let last = h.statement(ann, &["fractions"], Some(true));
    for statement in [&first, &wrong, &last] {
        h.fold(statement.clone()).await;
    }
    // the same learner without the voided statement, for comparison
    for statement in [&first, &last] {
        let mut same = statement.clone();
        same.learner_id = twin.to_string();
        same.source_offset += 100;
        h.fold(same).await;
    }
    let voided = |offset| LearnerStatementVoided {
        learner_id: ann.to_string(),
        statement_id: wrong.statement_id.clone(),
        source_partition: 0,
        source_offset: offset,
    };
    h.fold
        .append(
            T,
            &ann.to_string(),
            0,
            Event::LearnerStatementVoided(voided(500)),
        )
        .await;
    // re-published: folded once, and harmless anyway
    h.fold
        .append(
            T,
            &ann.to_string(),
            0,
            Event::LearnerStatementVoided(voided(500)),
        )
        .await;
    let (a, b) = (h.view(ann), h.view(twin));
    let ids = |v: &LearnerMastery| {
        v.competencies
            .iter()
            .map(|c| c.competency.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(ids(&a), ["fractions"], "decimals had no other evidence");
    assert_eq!(h.reader.removed_competencies(T, ann).unwrap(), ["decimals"]);
    assert!(h.reader.removed_competencies(T, twin).unwrap().is_empty());
    assert_eq!(a.record.state, b.record.state);
    assert_eq!(
        a.competencies[0].record.state,
        b.competencies[0].record.state
    );
    assert_eq!(a.record.history_len, 2);
    assert!(h
        .reader
        .competency_learners(T, "decimals", 0.0)
        .unwrap()
        .close
        .is_empty());
    assert!(!a.competencies[0]
        .record
        .last_statement_ids
        .contains(&wrong.statement_id));

    // voiding the last two pieces of evidence leaves nothing to show
    for (n, statement) in [&first, &last].into_iter().enumerate() {
        let mut gone = voided(600 + n as u64);
        gone.statement_id = statement.statement_id.clone();
        h.fold
            .append(T, &ann.to_string(), 0, Event::LearnerStatementVoided(gone))
            .await;
    }
    assert!(h.reader.learner(T, ann, 0).unwrap().is_none());
    assert_eq!(
        h.reader.removed_competencies(T, ann).unwrap(),
        ["decimals", "fractions"]
    );
    // evidence again: no longer removed
    let mut again = h.statement(ann, &["decimals"], Some(true));
    again.source_offset += 1_000; // after the voidings' source offsets
    h.fold(again).await;
    assert_eq!(
        h.reader.removed_competencies(T, ann).unwrap(),
        ["fractions"]
    );
}

#[tokio::test]
async fn erasing_a_learner_drops_all_of_their_mastery_and_leaves_the_rest_byte_for_byte() {
    use crate::tree_dump::{entries, trees_of};
    let h = Harness::new();
    h.publish("m1", &bkt_set()).await;
    let (ann, bo) = (learner(1), learner(2));
    h.fold(h.statement(ann, &["fractions"], Some(true))).await;
    h.fold(h.statement(bo, &["fractions"], Some(false))).await;
    h.fold(h.statement(ann, &["fractions", "decimals"], Some(true)))
        .await;
    h.fold(h.statement(bo, &["decimals"], Some(true))).await;
    // a competency whose only evidence is voided: remembered in mastery.removed
    let geometry = h.statement(ann, &["geometry"], Some(true));
    h.fold(geometry.clone()).await;
    let voided = LearnerStatementVoided {
        learner_id: ann.to_string(),
        statement_id: geometry.statement_id,
        source_partition: 0,
        source_offset: geometry.source_offset + 1,
    };
    h.fold
        .append(
            T,
            &ann.to_string(),
            0,
            Event::LearnerStatementVoided(voided),
        )
        .await;

    let trees = [
        LEARNERS,
        SKILLS,
        BY_COMPETENCY,
        MODELS,
        SOURCES,
        HISTORY,
        REMOVED,
    ];
    let ann_key = learner_key(T, ann);
    let in_tenant = learnlog_projector::tenant_prefix(T);
    let (of_ann, rest): (Vec<_>, Vec<_>) = entries(&h.fold.projection, &trees)
        .into_iter()
        .partition(|(tree, key, _)| {
            key.starts_with(&ann_key)
                || (*tree == BY_COMPETENCY
                    && key.starts_with(&in_tenant)
                    && key.ends_with(ann.as_bytes()))
        });
    assert_eq!(
        trees_of(&of_ann),
        [LEARNERS, SKILLS, BY_COMPETENCY, HISTORY, REMOVED]
    );
    let by_competency = |entries: &[crate::tree_dump::Entry]| {
        entries
            .iter()
            .filter(|(t, _, _)| *t == BY_COMPETENCY)
            .count()
    };
    assert_eq!(by_competency(&of_ann), 2, "fractions and decimals");

    let erased = learnlog_proto::v1::LearnerErased {
        learner_id: ann.to_string(),
    };
    h.fold
        .append(T, &ann.to_string(), 0, Event::LearnerErased(erased))
        .await;

    assert_eq!(entries(&h.fold.projection, &trees), rest);
    assert!(h.reader.learner(T, ann, 0).unwrap().is_none());
    assert!(h.reader.removed_competencies(T, ann).unwrap().is_empty());
    for competency in ["fractions", "decimals"] {
        let found = h.reader.competency_learners(T, competency, 0.0).unwrap();
        let ids: Vec<Uuid> = (found.mastered.iter().chain(&found.close))
            .map(|r| r.learner)
            .collect();
        assert_eq!(ids, [bo], "{competency}");
    }
}
