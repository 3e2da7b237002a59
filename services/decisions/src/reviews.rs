//! Reviews due:
//! - mastered competencies whose predicted recall at the time asked about (the mastery
//!   model's forgetting since the last evidence) fell below the target;
//! - prerequisite re-checks: a competency that stalls (many answers, the estimate flat,
//!   as for wheel-spinning) although its prerequisites count as mastered may rest on a
//!   prerequisite "mastered" by a lucky streak. Each mastered prerequisite whose mastery
//!   is not yet confirmed (fewer than `recheck_confirming_answers` answers after the one
//!   that reached the threshold, or last practised more than `recheck_after_days` ago)
//!   is due for a re-check. Measured with `learnlog bench decisions`, this is what lets
//!   learners stuck behind a falsely mastered prerequisite move on.

use crate::decision::{Decision, Detail, Evidence, Kind, Rule};
use crate::input::{CompetencyState, Learner};
use crate::interventions::estimate_change;
use crate::text::{date, percent};
use crate::Context;
use serde_json::json;

pub(crate) const RECHECK_RULE: &str = "recheck_prerequisite_of_stalled";

pub(crate) const RULE: &str = "predicted_recall_below_target";

pub(crate) fn reviews_due(learner: &Learner, context: &Context<'_>) -> Vec<Decision> {
    let settings = context.settings;
    let mut due: Vec<Decision> = learner
        .competencies
        .iter()
        .filter(|(_, c)| c.mastered() && c.p_mastered < settings.review_below)
        .map(|(id, c)| {
            let title = context.graph.title(id).to_owned();
            Decision {
                id: format!("review:{id}"),
                kind: Kind::Review,
                subtype: None,
                competency: Some(id.clone()),
                reason: format!(
                    "{title}: mastered, last practised on {}; predicted recall now {}, below the {} target",
                    date(c.last_evidence_at),
                    percent(c.p_mastered),
                    percent(settings.review_below)
                ),
                title,
                evidence: Evidence {
                    statements: c.last_statements.clone(),
                    competencies: vec![id.clone()],
                    numbers: [
                        ("predicted_recall".to_owned(), c.p_mastered),
                        ("p_mastered_at_last_evidence".to_owned(), c.p_last),
                    ]
                    .into(),
                },
                rule: Rule::new(RULE, &[("review_below", json!(settings.review_below))]),
                detail: Detail::Review {
                    predicted_recall: c.p_mastered,
                    last_practised_at: c.last_evidence_at,
                },
            }
        })
        .collect();
    // most forgotten first, then the re-checks
    due.sort_by(|a, b| recall(a).total_cmp(&recall(b)));
    for recheck in rechecks(learner, context) {
        if !due.iter().any(|d| d.competency == recheck.competency) {
            due.push(recheck);
        }
    }
    due
}

/// Stalled: not mastered after many answers, with a flat or falling estimate.
fn stalled(state: &CompetencyState, context: &Context<'_>) -> bool {
    let settings = context.settings;
    !state.mastered()
        && state.opportunities >= settings.wheel_spinning_opportunities
        && estimate_change(state, settings.trend_window) < settings.wheel_spinning_min_rise
}

/// Mastery not yet confirmed by later answers, or not practised lately.
fn unconfirmed(state: &CompetencyState, context: &Context<'_>) -> bool {
    let settings = context.settings;
    let crossed = (state.recent.iter()).position(|r| r.p_after >= settings.mastery_threshold);
    let answers_since = crossed.map(|at| state.recent.len() - at - 1);
    let stale_before = context.at_micros - (settings.recheck_after_days * 86_400e6) as i64;
    answers_since.is_some_and(|n| n < settings.recheck_confirming_answers)
        || state.last_evidence_at < stale_before
}

fn rechecks(learner: &Learner, context: &Context<'_>) -> Vec<Decision> {
    let (settings, graph) = (context.settings, context.graph);
    let mut found: Vec<Decision> = Vec::new();
    for (dependent, state) in &learner.competencies {
        if !stalled(state, context) {
            continue;
        }
        for prerequisite in graph.prerequisites(dependent) {
            for leaf in graph.leaves_under(&prerequisite) {
                let Some(p) = learner.competencies.get(&leaf) else {
                    continue;
                };
                if !p.mastered()
                    || !unconfirmed(p, context)
                    || found.iter().any(|d| d.competency.as_ref() == Some(&leaf))
                {
                    continue;
                }
                let title = graph.title(&leaf).to_owned();
                found.push(Decision {
                    id: format!("review:{leaf}"),
                    kind: Kind::Review,
                    subtype: Some("prerequisite_check"),
                    competency: Some(leaf.clone()),
                    reason: format!(
                        "{title}: counts as mastered, but {} is stalled after {} attempts; check {title} again before going on",
                        graph.title(dependent),
                        state.opportunities
                    ),
                    title,
                    evidence: Evidence {
                        statements: p.last_statements.clone(),
                        competencies: vec![leaf.clone(), dependent.clone()],
                        numbers: [
                            ("p_mastered".to_owned(), p.p_mastered),
                            ("stalled_opportunities".to_owned(), f64::from(state.opportunities)),
                        ]
                        .into(),
                    },
                    rule: Rule::new(
                        RECHECK_RULE,
                        &[
                            ("recheck_confirming_answers", json!(settings.recheck_confirming_answers)),
                            ("recheck_after_days", json!(settings.recheck_after_days)),
                            ("wheel_spinning_opportunities", json!(settings.wheel_spinning_opportunities)),
                        ],
                    ),
                    detail: Detail::Review {
                        predicted_recall: p.p_mastered,
                        last_practised_at: p.last_evidence_at,
                    },
                });
            }
        }
    }
    found
}

fn recall(decision: &Decision) -> f64 {
    match decision.detail {
        Detail::Review {
            predicted_recall, ..
        } => predicted_recall,
        _ => 1.0,
    }
}
