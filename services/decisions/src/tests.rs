//! Given/when/then tests of every rule on hand-built learner states.

use super::*;
use std::collections::BTreeMap;

const DAY: i64 = 86_400_000_000;
/// 2025-05-20T00:00:00Z
const NOW: i64 = 1_747_699_200_000_000;

fn node(id: &str, prerequisites: &[&str], children: &[&str]) -> Competency {
    Competency {
        id: id.into(),
        title: format!("Title {id}"),
        prerequisites: prerequisites.iter().map(|p| p.to_string()).collect(),
        children: children.iter().map(|c| c.to_string()).collect(),
    }
}

/// A chain a → b → c → d → e (each needs the one before).
fn chain() -> Graph {
    Graph::new(vec![
        node("a", &[], &[]),
        node("b", &["a"], &[]),
        node("c", &["b"], &[]),
        node("d", &["c"], &[]),
        node("e", &["d"], &[]),
    ])
}

fn mastered(at: i64) -> CompetencyState {
    CompetencyState {
        p_mastered: 0.97,
        p_last: 0.97,
        mastered_at: Some(at),
        first_mastered_at: Some(at),
        opportunities: 4,
        correct: 4,
        recent: vec![],
        last_evidence_at: at,
        last_statements: vec![format!("stmt-{at}")],
    }
}

/// A competency practised with these estimates after each response.
fn practised(estimates: &[(f64, bool)]) -> CompetencyState {
    let p = estimates.last().map_or(0.1, |e| e.0);
    CompetencyState {
        p_mastered: p,
        p_last: p,
        mastered_at: None,
        first_mastered_at: None,
        opportunities: estimates.len() as u32,
        correct: estimates.iter().filter(|e| e.1).count() as u32,
        recent: estimates
            .iter()
            .map(|&(p_after, correct)| Attempt { p_after, correct })
            .collect(),
        last_evidence_at: NOW - DAY,
        last_statements: vec!["s-last".into()],
    }
}

fn learner(competencies: &[(&str, CompetencyState)]) -> Learner {
    Learner {
        id: "learner-1".into(),
        competencies: competencies
            .iter()
            .map(|(id, state)| (id.to_string(), state.clone()))
            .collect(),
        last_active_at: Some(NOW - DAY),
        ..Learner::default()
    }
}

fn decisions_of(learner: &Learner, graph: &Graph, settings: &Settings) -> Vec<Decision> {
    decisions_with(learner, graph, &Catalog::new(), settings, None)
}

fn decisions_with(
    learner: &Learner,
    graph: &Graph,
    catalog: &Catalog,
    settings: &Settings,
    peers: Option<i64>,
) -> Vec<Decision> {
    decide(
        learner,
        &Context {
            graph,
            catalog,
            settings,
            at_micros: NOW,
            peers_last_active_micros: peers,
        },
    )
}

fn of_kind(decisions: &[Decision], kind: Kind) -> Vec<&Decision> {
    decisions.iter().filter(|d| d.kind == kind).collect()
}

fn objectives(decisions: &[Decision]) -> Vec<String> {
    of_kind(decisions, Kind::Objective)
        .iter()
        .map(|d| d.competency.clone().unwrap())
        .collect()
}

fn subtypes(decisions: &[Decision], kind: Kind) -> Vec<(&'static str, String)> {
    of_kind(decisions, kind)
        .iter()
        .map(|d| (d.subtype.unwrap(), d.competency.clone().unwrap_or_default()))
        .collect()
}

#[test]
fn a_learner_with_no_evidence_is_ready_for_the_start_of_each_chain_only() {
    let decisions = decisions_of(&learner(&[]), &chain(), &Settings::default());
    assert_eq!(objectives(&decisions), ["a"]);
    assert!(decisions[0].reason.contains("no prerequisites"));
    assert!(of_kind(&decisions, Kind::Intervention).is_empty());
}

#[test]
fn a_framework_without_prerequisites_offers_several_options_up_to_the_maximum() {
    let graph = Graph::new(
        ["p", "q", "r", "s", "t", "u", "v"]
            .iter()
            .map(|id| node(id, &[], &[]))
            .collect(),
    );
    let settings = Settings::default();
    let decisions = decisions_of(&learner(&[]), &graph, &settings);
    assert_eq!(objectives(&decisions), ["p", "q", "r", "s", "t"]);
    let fewer = Settings {
        max_objectives: 2,
        ..Settings::default()
    };
    assert_eq!(
        objectives(&decisions_of(&learner(&[]), &graph, &fewer)),
        ["p", "q"]
    );
}

#[test]
fn in_a_chain_of_five_the_next_objective_follows_the_last_mastered_and_names_its_evidence() {
    let l = learner(&[
        ("a", mastered(NOW - 5 * DAY)),
        ("b", mastered(NOW - 2 * DAY)),
    ]);
    let decisions = decisions_of(&l, &chain(), &Settings::default());
    assert_eq!(objectives(&decisions), ["c"]);
    let c = &decisions[0];
    assert_eq!(
        c.reason,
        "Title c: its prerequisite is mastered (Title b on 18 May 2025); predicted success 50% (a stretch)"
    );
    assert_eq!(c.evidence.competencies, ["b"]);
    assert_eq!(c.evidence.statements, [format!("stmt-{}", NOW - 2 * DAY)]);
    assert_eq!(c.rule.name, "ready_to_learn");
}

#[test]
fn no_objective_has_an_unmastered_prerequisite_whatever_is_mastered() {
    let graph = Graph::new(vec![
        node("a", &[], &[]),
        node("b", &[], &[]),
        node("c", &["a", "b"], &[]),
        node("d", &["c"], &[]),
    ]);
    // a mastered, b practised but not mastered: c is not ready
    let l = learner(&[
        ("a", mastered(NOW - DAY)),
        ("b", practised(&[(0.4, false)])),
    ]);
    let decisions = decisions_of(&l, &graph, &Settings::default());
    assert_eq!(objectives(&decisions), ["b"]);
    let both = learner(&[("a", mastered(NOW - 3 * DAY)), ("b", mastered(NOW - DAY))]);
    let decisions = decisions_of(&both, &graph, &Settings::default());
    assert_eq!(objectives(&decisions), ["c"]);
    assert!(decisions[0].reason.starts_with(
        "Title c: both prerequisites mastered (Title a on 17 May 2025 and Title b on 19 May 2025)"
    ));
}

#[test]
fn when_everything_is_mastered_there_is_nothing_next_and_every_cluster_is_earned() {
    let graph = Graph::new(vec![
        node("unit", &[], &["a", "b"]),
        node("a", &[], &[]),
        node("b", &["a"], &[]),
    ]);
    let l = learner(&[("a", mastered(NOW - 3 * DAY)), ("b", mastered(NOW - DAY))]);
    let decisions = decisions_of(&l, &graph, &Settings::default());
    assert!(objectives(&decisions).is_empty());
    let earned = of_kind(&decisions, Kind::Advancement);
    assert_eq!(earned.len(), 1);
    assert_eq!(earned[0].competency.as_deref(), Some("unit"));
    assert_eq!(
        earned[0].detail,
        Detail::Advancement {
            earned_at: NOW - DAY
        }
    );
    assert_eq!(earned[0].evidence.competencies, ["a", "b"]);
}

#[test]
fn a_cluster_is_not_earned_while_one_part_is_missing_and_a_cluster_is_never_an_objective() {
    let graph = Graph::new(vec![
        node("unit", &[], &["a", "b"]),
        node("a", &[], &[]),
        node("b", &[], &[]),
    ]);
    let l = learner(&[("a", mastered(NOW - DAY))]);
    let decisions = decisions_of(&l, &graph, &Settings::default());
    assert!(of_kind(&decisions, Kind::Advancement).is_empty());
    assert_eq!(objectives(&decisions), ["b"]);
}

#[test]
fn a_prerequisite_of_a_cluster_holds_for_each_of_its_parts() {
    let graph = Graph::new(vec![
        node("basics", &[], &[]),
        node("unit", &["basics"], &["a", "b"]),
        node("a", &[], &[]),
        node("b", &[], &[]),
    ]);
    let decisions = decisions_of(&learner(&[]), &graph, &Settings::default());
    assert_eq!(objectives(&decisions), ["basics"]);
}

#[test]
fn objectives_in_the_target_band_rank_before_stretches_and_the_band_is_configurable() {
    let graph = Graph::new(vec![node("hard", &[], &[]), node("fit", &[], &[])]);
    let mut l = learner(&[]);
    l.predicted_success = [("hard".into(), 0.3), ("fit".into(), 0.7)].into();
    let decisions = decisions_of(&l, &graph, &Settings::default());
    assert_eq!(objectives(&decisions), ["fit", "hard"]);
    let Detail::Objective(detail) = &decisions[0].detail else {
        panic!("an objective")
    };
    assert!(detail.in_target_band);
    assert_eq!(detail.rank, 1);
    let low_band = Settings {
        band_low: 0.2,
        band_high: 0.4,
        ..Settings::default()
    };
    assert_eq!(
        objectives(&decisions_of(&l, &graph, &low_band)),
        ["hard", "fit"]
    );
}

#[test]
fn a_learners_choice_moves_that_objective_first_and_goals_come_next() {
    let graph = Graph::new(vec![
        node("x", &[], &[]),
        node("y", &[], &[]),
        node("z", &[], &[]),
        node("goal", &["z"], &[]),
    ]);
    let mut l = learner(&[]);
    l.goals = vec![Goal {
        id: "g1".into(),
        competency: Some("goal".into()),
        description: "Reach goal".into(),
    }];
    assert_eq!(
        objectives(&decisions_of(&l, &graph, &Settings::default())),
        ["z", "x", "y"]
    );
    l.choices = vec![Choice {
        competency: "y".into(),
        at: NOW - DAY,
    }];
    let decisions = decisions_of(&l, &graph, &Settings::default());
    assert_eq!(objectives(&decisions), ["y", "z", "x"]);
    assert!(decisions[0]
        .reason
        .contains("chosen by the learner on 19 May 2025"));
    assert!(decisions[1]
        .reason
        .contains("leads to the goal \"Reach goal\""));
}

#[test]
fn activities_prefer_the_learners_modalities_and_skip_what_was_done_lately() {
    let graph = Graph::new(vec![node("a", &[], &[])]);
    let activity = |id: &str, modality: &str| Activity {
        id: id.into(),
        activity_type: String::new(),
        modality: modality.into(),
    };
    let catalog: Catalog = [(
        "a".to_owned(),
        vec![
            activity("read-1", "reading"),
            activity("video-1", "video"),
            activity("video-2", "video"),
            activity("quiz-1", "practice"),
        ],
    )]
    .into();
    let mut l = learner(&[]);
    l.modalities = vec!["video".into(), "practice".into()];
    l.recently_done = ["video-1".to_owned()].into();
    let decisions = decisions_with(&l, &graph, &catalog, &Settings::default(), None);
    let Detail::Objective(detail) = &decisions[0].detail else {
        panic!("an objective")
    };
    let ids: Vec<&str> = detail
        .activities
        .iter()
        .map(|a| a.activity.as_str())
        .collect();
    assert_eq!(ids, ["video-2", "quiz-1", "read-1"]);
    assert!(detail.activities[0]
        .reason
        .contains("the way this learner engages most"));
}

#[test]
fn a_plan_to_a_goal_lists_the_unmastered_route_in_order_with_the_current_step() {
    let mut l = learner(&[("a", mastered(NOW - DAY))]);
    l.goals = vec![Goal {
        id: "g".into(),
        competency: Some("e".into()),
        description: "Finish the chain".into(),
    }];
    let decisions = decisions_of(&l, &chain(), &Settings::default());
    let plans = of_kind(&decisions, Kind::Plan);
    let Detail::Plan(plan) = &plans[0].detail else {
        panic!("a plan")
    };
    let steps: Vec<&str> = plan.steps.iter().map(|s| s.competency.as_str()).collect();
    assert_eq!(steps, ["b", "c", "d", "e"]);
    assert_eq!(plan.current, Some(0));
    assert_eq!(plan.mastered, 1);
    assert!(!plan.reached);
    assert!(plans[0].reason.contains("1 of 5 competencies"));

    // it adapts: with b mastered, the route shortens
    l.competencies.insert("b".into(), mastered(NOW));
    let decisions = decisions_of(&l, &chain(), &Settings::default());
    let Detail::Plan(plan) = &of_kind(&decisions, Kind::Plan)[0].detail else {
        panic!("a plan")
    };
    assert_eq!(plan.steps[0].competency, "c");
}

#[test]
fn many_flat_attempts_are_wheel_spinning_rising_ones_are_progress_and_few_are_indeterminate() {
    let graph = Graph::new(vec![
        node("flat", &[], &[]),
        node("rising", &[], &[]),
        node("new", &[], &[]),
    ]);
    let flat: Vec<(f64, bool)> = (0..12)
        .map(|i| (0.2 + 0.001 * f64::from(i), i % 3 == 0))
        .collect();
    let rising: Vec<(f64, bool)> = (0..12)
        .map(|i| (0.1 + 0.06 * f64::from(i), i % 2 == 0))
        .collect();
    let l = learner(&[
        ("flat", practised(&flat)),
        ("rising", practised(&rising)),
        ("new", practised(&[(0.2, false), (0.25, true)])),
    ]);
    let decisions = decisions_of(&l, &graph, &Settings::default());
    assert_eq!(
        subtypes(&decisions, Kind::Intervention),
        [("wheel_spinning", "flat".to_owned())]
    );
    let spinning = of_kind(&decisions, Kind::Intervention)[0];
    assert_eq!(spinning.evidence.numbers["opportunities"], 12.0);
    assert_eq!(spinning.evidence.statements, ["s-last"]);
    let Detail::Intervention {
        severity, status, ..
    } = &spinning.detail
    else {
        panic!("an intervention")
    };
    assert_eq!((*severity, *status), (Severity::High, "open"));
    assert_eq!(
        subtypes(&decisions, Kind::Progress),
        [
            ("indeterminate", "new".to_owned()),
            ("productive_struggle", "rising".to_owned())
        ]
    );

    // thresholds changed: 15 opportunities are needed, so the flat one is indeterminate
    let patient = Settings {
        wheel_spinning_opportunities: 15,
        ..Settings::default()
    };
    let decisions = decisions_of(&l, &graph, &patient);
    assert!(of_kind(&decisions, Kind::Intervention).is_empty());
    assert_eq!(spinning.rule.settings["wheel_spinning_opportunities"], 10);
}

#[test]
fn a_mastered_competency_that_fell_below_the_threshold_is_declining() {
    let graph = Graph::new(vec![node("a", &[], &[])]);
    let mut state = practised(&[(0.96, true), (0.7, false)]);
    state.first_mastered_at = Some(NOW - 10 * DAY);
    let decisions = decisions_of(&learner(&[("a", state)]), &graph, &Settings::default());
    assert_eq!(
        subtypes(&decisions, Kind::Intervention),
        [("declining", "a".to_owned())]
    );
    assert!(of_kind(&decisions, Kind::Intervention)[0]
        .reason
        .contains("mastered on 10 May 2025"));
}

#[test]
fn repeated_failure_with_an_unmastered_prerequisite_suggests_the_prerequisite() {
    let graph = Graph::new(vec![node("base", &[], &[]), node("top", &["base"], &[])]);
    let failing = practised(&[(0.2, false), (0.18, false), (0.17, false), (0.2, true)]);
    let decisions = decisions_of(&learner(&[("top", failing)]), &graph, &Settings::default());
    let gap = of_kind(&decisions, Kind::Intervention);
    assert_eq!(
        subtypes(&decisions, Kind::Intervention),
        [("prerequisite_gap", "top".to_owned())]
    );
    assert_eq!(gap[0].evidence.competencies, ["base"]);
    assert!(gap[0]
        .reason
        .contains("suggest working on Title base first"));
}

#[test]
fn a_quiet_learner_is_inactive_only_while_classmates_are_active() {
    let graph = chain();
    let mut l = learner(&[]);
    l.last_active_at = Some(NOW - 9 * DAY);
    let settings = Settings::default();
    let active_peers = decisions_with(&l, &graph, &Catalog::new(), &settings, Some(NOW - DAY));
    let inactive = of_kind(&active_peers, Kind::Intervention);
    assert_eq!(inactive[0].subtype, Some("inactive"));
    assert!(inactive[0]
        .reason
        .starts_with("No learning activity for 9 days (last on 11 May 2025)"));
    let quiet_class = decisions_with(&l, &graph, &Catalog::new(), &settings, Some(NOW - 8 * DAY));
    assert!(of_kind(&quiet_class, Kind::Intervention).is_empty());
    let no_class = decisions_with(&l, &graph, &Catalog::new(), &settings, None);
    assert!(of_kind(&no_class, Kind::Intervention).is_empty());
    let longer = Settings {
        inactive_days: 10.0,
        ..Settings::default()
    };
    assert!(of_kind(
        &decisions_with(&l, &graph, &Catalog::new(), &longer, Some(NOW)),
        Kind::Intervention
    )
    .is_empty());
}

#[test]
fn a_teachers_action_is_shown_with_what_followed() {
    let graph = Graph::new(vec![node("flat", &[], &[])]);
    let flat: Vec<(f64, bool)> = (0..14)
        .map(|i| (0.2 + 0.001 * f64::from(i), i % 3 == 0))
        .collect();
    let mut l = learner(&[("flat", practised(&flat))]);
    let id = intervention_id("learner-1", "wheel_spinning", Some("flat"));
    l.actions = vec![InterventionAction {
        intervention: id.clone(),
        action: Action::Acted,
        at: NOW - DAY,
        by: "teacher".into(),
        note: "re-taught with blocks".into(),
        opportunities: 10,
        p_mastered: 0.15,
    }];
    let decisions = decisions_of(&l, &graph, &Settings::default());
    let spinning = of_kind(&decisions, Kind::Intervention)[0];
    assert_eq!(spinning.id, id);
    let Detail::Intervention {
        status,
        actions,
        followed,
        ..
    } = &spinning.detail
    else {
        panic!("an intervention")
    };
    assert_eq!(*status, "acted");
    assert_eq!(actions[0].note, "re-taught with blocks");
    let followed = followed.as_ref().unwrap();
    assert_eq!(followed.opportunities_since, 4);
    assert_eq!(followed.p_mastered_then, 0.15);
}

#[test]
fn reviews_are_due_when_predicted_recall_of_a_mastered_competency_falls_below_the_target() {
    let graph = chain();
    let mut fading = mastered(NOW - 30 * DAY);
    fading.p_mastered = 0.8;
    let l = learner(&[("a", fading), ("b", mastered(NOW - DAY))]);
    let decisions = decisions_of(&l, &graph, &Settings::default());
    let reviews = of_kind(&decisions, Kind::Review);
    assert_eq!(reviews.len(), 1);
    assert_eq!(reviews[0].competency.as_deref(), Some("a"));
    assert!(reviews[0]
        .reason
        .contains("predicted recall now 80%, below the 90% target"));
    let lenient = Settings {
        review_below: 0.7,
        ..Settings::default()
    };
    assert!(of_kind(&decisions_of(&l, &graph, &lenient), Kind::Review).is_empty());
}

#[test]
fn groups_gather_learners_who_share_an_objective_within_the_size_bounds() {
    let graph = Graph::new(vec![
        node("f", &[], &[]),
        node("g", &[], &[]),
        node("h", &[], &[]),
    ]);
    let candidate = |learner: &str, objectives: &[&str]| GroupCandidate {
        learner: learner.into(),
        objectives: objectives.iter().map(|o| o.to_string()).collect(),
    };
    let mut candidates: Vec<GroupCandidate> = (0..8)
        .map(|i| candidate(&format!("l{i}"), &["f", "g"]))
        .collect();
    candidates.push(candidate("m1", &["h"]));
    candidates.push(candidate("m2", &["h"]));
    let groups = suggest_groups(&candidates, &graph, &Settings::default());
    assert_eq!(groups.groups.len(), 2);
    for group in &groups.groups {
        assert_eq!(group.competency, "f");
        assert!((3..=6).contains(&group.learners.len()));
        for learner in &group.learners {
            let objectives = &candidates
                .iter()
                .find(|c| &c.learner == learner)
                .unwrap()
                .objectives;
            assert!(objectives.contains(&group.competency));
        }
    }
    assert_eq!(groups.ungrouped, ["m1", "m2"]);
    let by_pairs = Settings {
        group_min: 1,
        group_max: 2,
        ..Settings::default()
    };
    let pairs = suggest_groups(&candidates, &graph, &by_pairs);
    assert!(pairs.groups.iter().all(|g| g.learners.len() <= 2));
    assert_eq!(pairs.ungrouped, Vec::<String>::new());
}

#[test]
fn settings_are_checked_and_name_the_setting() {
    let bad = Settings {
        band_low: 0.9,
        band_high: 0.5,
        ..Settings::default()
    };
    assert!(bad
        .validate()
        .unwrap_err()
        .to_string()
        .starts_with("band_low:"));
    assert!(Settings::default().validate().is_ok());
    let parsed: Settings = serde_json::from_str(r#"{"max_objectives": 3}"#).unwrap();
    assert_eq!(parsed.max_objectives, 3);
    assert_eq!(parsed.band_low, 0.6);
    assert!(serde_json::from_str::<Settings>(r#"{"nope": 1}"#).is_err());
}

#[test]
fn decisions_serialize_with_their_kind_details_and_times_as_rfc3339() {
    let mut l = learner(&[("a", mastered(NOW - DAY))]);
    l.choices = vec![Choice {
        competency: "b".into(),
        at: NOW,
    }];
    let decisions = decisions_of(&l, &chain(), &Settings::default());
    let json = serde_json::to_value(&decisions[0]).unwrap();
    assert_eq!(json["kind"], "objective");
    assert_eq!(json["objective"]["rank"], 1);
    assert_eq!(json["objective"]["chosen_at"], "2025-05-20T00:00:00.000Z");
    assert_eq!(json["rule"]["settings"]["band_low"], 0.6);
    let _: BTreeMap<String, serde_json::Value> = serde_json::from_value(json).unwrap();
}

#[test]
fn a_stalled_competency_sends_the_learner_back_to_check_an_unconfirmed_prerequisite() {
    let graph = Graph::new(vec![node("base", &[], &[]), node("top", &["base"], &[])]);
    // base reached mastery on its last answer (nothing confirmed it since)
    let mut base = mastered(NOW - DAY / 4);
    base.recent = vec![
        Attempt {
            p_after: 0.6,
            correct: true,
        },
        Attempt {
            p_after: 0.97,
            correct: true,
        },
    ];
    let flat: Vec<(f64, bool)> = (0..12)
        .map(|i| (0.2 + 0.001 * f64::from(i), i % 3 == 0))
        .collect();
    let l = learner(&[("base", base.clone()), ("top", practised(&flat))]);
    let decisions = decisions_of(&l, &graph, &Settings::default());
    assert_eq!(
        subtypes(&decisions, Kind::Review),
        [("prerequisite_check", "base".to_owned())]
    );
    let recheck = of_kind(&decisions, Kind::Review)[0];
    assert!(
        recheck
            .reason
            .contains("Title top is stalled after 12 attempts"),
        "{}",
        recheck.reason
    );

    // confirmed by two more answers, practised today: no re-check
    base.recent.extend([
        Attempt {
            p_after: 0.98,
            correct: true,
        },
        Attempt {
            p_after: 0.99,
            correct: true,
        },
    ]);
    let confirmed = learner(&[("base", base), ("top", practised(&flat))]);
    assert!(of_kind(
        &decisions_of(&confirmed, &graph, &Settings::default()),
        Kind::Review
    )
    .is_empty());

    // a dependent that is rising is not stalled: no re-check either
    let rising: Vec<(f64, bool)> = (0..12)
        .map(|i| (0.1 + 0.06 * f64::from(i), i % 2 == 0))
        .collect();
    let mut fresh = mastered(NOW - DAY / 4);
    fresh.recent = vec![Attempt {
        p_after: 0.97,
        correct: true,
    }];
    let progressing = learner(&[("base", fresh), ("top", practised(&rising))]);
    assert!(of_kind(
        &decisions_of(&progressing, &graph, &Settings::default()),
        Kind::Review
    )
    .is_empty());
}
