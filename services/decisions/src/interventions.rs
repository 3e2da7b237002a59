//! Interventions for teachers, and the progress notes that are not interventions.
//!
//! - *wheel-spinning* (Beck & Gong 2013): at least `wheel_spinning_opportunities`
//!   responses on a competency without mastering it, and the estimate rose by less than
//!   `wheel_spinning_min_rise` over the last `trend_window` responses;
//! - *productive struggle* (progress, not an intervention): as many responses and
//!   errors, but the estimate is rising;
//! - *indeterminate* (progress): errors on fewer responses than that: too early to say;
//! - *declining*: a competency mastered earlier fell below the mastery threshold on new
//!   evidence;
//! - *prerequisite gap*: at least `prerequisite_gap_failures` errors among the last
//!   `trend_window` responses on a competency with an unmastered prerequisite (which is
//!   suggested);
//! - *inactive*: no statement for `inactive_days` while a class peer was active.
//!
//! An intervention's id is stable (a UUID v5 of learner, type and competency), so a
//! teacher's action on it (acknowledge, act, dismiss) stays attached to it, and the
//! view shows what followed.

use crate::decision::{ActionView, Decision, Detail, Evidence, Followed, Kind, Rule, Severity};
use crate::input::{CompetencyState, Learner};
use crate::objectives::met;
use crate::text::{date, days, list, percent};
use crate::Context;
use serde_json::json;
use uuid::Uuid;

/// Namespace of intervention ids (fixed; ids are what teachers' actions point at).
const NAMESPACE: Uuid = Uuid::from_u128(0x3f0d_55a2_8c1e_4b7f_9e26_d4a1_07bc_5e19);

/// The id of the intervention of `kind` about `learner` (and `competency`).
pub fn intervention_id(learner: &str, kind: &str, competency: Option<&str>) -> String {
    let name = format!("{learner}\n{kind}\n{}", competency.unwrap_or(""));
    Uuid::new_v5(&NAMESPACE, name.as_bytes()).to_string()
}

/// Change of the estimate over the last `window` responses (from the estimate before
/// the window, or the first one recorded).
pub(crate) fn estimate_change(state: &CompetencyState, window: usize) -> f64 {
    let recent = &state.recent;
    let Some(last) = recent.last() else {
        return 0.0;
    };
    let start = recent.len().saturating_sub(window + 1);
    last.p_after - recent[start].p_after
}

fn errors_in_window(state: &CompetencyState, window: usize) -> u32 {
    let recent = &state.recent;
    recent[recent.len().saturating_sub(window)..]
        .iter()
        .filter(|attempt| !attempt.correct)
        .count() as u32
}

struct Found {
    subtype: &'static str,
    title: String,
    competency: Option<String>,
    severity: Severity,
    reason: String,
    evidence: Evidence,
    rule: Rule,
}

pub(crate) fn interventions(learner: &Learner, context: &Context<'_>) -> Vec<Decision> {
    let settings = context.settings;
    let graph = context.graph;
    let mut found: Vec<Found> = Vec::new();
    let mut progress: Vec<Decision> = Vec::new();
    let window = settings.trend_window;
    for (id, state) in &learner.competencies {
        let title = graph.title(id);
        let numbers = |extra: &[(&str, f64)]| {
            let mut numbers: std::collections::BTreeMap<String, f64> = [
                ("opportunities".to_owned(), f64::from(state.opportunities)),
                ("p_mastered".to_owned(), state.p_last),
            ]
            .into();
            numbers.extend(extra.iter().map(|(k, v)| ((*k).to_owned(), *v)));
            numbers
        };
        let evidence = |extra: &[(&str, f64)], competencies: Vec<String>| Evidence {
            statements: state.last_statements.clone(),
            competencies,
            numbers: numbers(extra),
        };
        if state.mastered() {
            continue;
        }
        if let Some(first) = state.first_mastered_at {
            found.push(Found {
                subtype: "declining",
                title: title.to_owned(),
                competency: Some(id.clone()),
                severity: Severity::Medium,
                reason: format!(
                    "{title}: mastered on {}, but recent answers brought the estimate down to {} (mastery is {})",
                    date(first),
                    percent(state.p_last),
                    percent(settings.mastery_threshold)
                ),
                evidence: evidence(&[], vec![id.clone()]),
                rule: Rule::new("declining", &[("mastery_threshold", json!(settings.mastery_threshold))]),
            });
        }
        let change = estimate_change(state, window);
        let errors = errors_in_window(state, window);
        let gaps: Vec<String> = (graph.prerequisites(id).into_iter())
            .filter(|p| met(learner, context, p).is_none())
            .collect();
        if errors >= settings.prerequisite_gap_failures && !gaps.is_empty() {
            let titles: Vec<String> = gaps.iter().map(|g| graph.title(g).to_owned()).collect();
            found.push(Found {
                subtype: "prerequisite_gap",
                title: title.to_owned(),
                competency: Some(id.clone()),
                severity: Severity::Medium,
                reason: format!(
                    "{title}: {errors} of the last {} answers were wrong and its prerequisite {} is not mastered yet; suggest working on {} first",
                    window.min(state.recent.len()),
                    list(&titles),
                    list(&titles)
                ),
                evidence: evidence(&[("errors", f64::from(errors))], gaps),
                rule: Rule::new(
                    "prerequisite_gap",
                    &[
                        ("prerequisite_gap_failures", json!(settings.prerequisite_gap_failures)),
                        ("trend_window", json!(window)),
                    ],
                ),
            });
        }
        let many = state.opportunities >= settings.wheel_spinning_opportunities;
        if many && change < settings.wheel_spinning_min_rise {
            found.push(Found {
                subtype: "wheel_spinning",
                title: title.to_owned(),
                competency: Some(id.clone()),
                severity: Severity::High,
                reason: format!(
                    "{title}: {} attempts without mastery, and the estimate moved {:+.0} points over the last {window} (now {}): practice alone is not working",
                    state.opportunities,
                    change * 100.0,
                    percent(state.p_last)
                ),
                evidence: evidence(&[("estimate_change", change)], vec![id.clone()]),
                rule: Rule::new(
                    "wheel_spinning",
                    &[
                        ("wheel_spinning_opportunities", json!(settings.wheel_spinning_opportunities)),
                        ("wheel_spinning_min_rise", json!(settings.wheel_spinning_min_rise)),
                        ("trend_window", json!(window)),
                    ],
                ),
            });
        } else if errors > 0 {
            let (subtype, reason) = if many {
                (
                    "productive_struggle",
                    format!(
                        "{title}: {errors} wrong answers lately, but the estimate rose {:+.0} points over the last {window} (now {}): this is progress",
                        change * 100.0,
                        percent(state.p_last)
                    ),
                )
            } else {
                (
                    "indeterminate",
                    format!(
                        "{title}: not mastered after {} attempts; too early to say whether the learner is stuck (that takes {})",
                        state.opportunities, settings.wheel_spinning_opportunities
                    ),
                )
            };
            progress.push(Decision {
                id: format!("progress:{id}"),
                kind: Kind::Progress,
                subtype: Some(subtype),
                competency: Some(id.clone()),
                title: title.to_owned(),
                reason,
                evidence: evidence(&[("estimate_change", change)], vec![id.clone()]),
                rule: Rule::new(
                    "wheel_spinning",
                    &[
                        (
                            "wheel_spinning_opportunities",
                            json!(settings.wheel_spinning_opportunities),
                        ),
                        (
                            "wheel_spinning_min_rise",
                            json!(settings.wheel_spinning_min_rise),
                        ),
                        ("trend_window", json!(window)),
                    ],
                ),
                detail: Detail::Progress {
                    opportunities: state.opportunities,
                    estimate_change: change,
                },
            });
        }
    }
    if let Some(inactive) = inactive(learner, context) {
        found.push(inactive);
    }
    let mut decisions: Vec<Decision> = found.into_iter().map(|f| decision(learner, f)).collect();
    decisions.sort_by_key(|d| std::cmp::Reverse(severity(d)));
    decisions.extend(progress);
    decisions
}

fn inactive(learner: &Learner, context: &Context<'_>) -> Option<Found> {
    let settings = context.settings;
    let since = context.at_micros - (settings.inactive_days * 86_400e6) as i64;
    let peers = context.peers_last_active_micros?;
    let quiet = learner.last_active_at.is_none_or(|at| at < since);
    if !(quiet && peers >= since) {
        return None;
    }
    let reason = match learner.last_active_at {
        Some(at) => format!(
            "No learning activity for {} days (last on {}), while classmates were active on {}",
            days(at, context.at_micros),
            date(at),
            date(peers)
        ),
        None => format!(
            "No learning activity recorded yet, while classmates were active on {}",
            date(peers)
        ),
    };
    let mut numbers = std::collections::BTreeMap::new();
    if let Some(at) = learner.last_active_at {
        numbers.insert(
            "days_inactive".to_owned(),
            days(at, context.at_micros) as f64,
        );
    }
    Some(Found {
        subtype: "inactive",
        title: "Learning activity".to_owned(),
        competency: None,
        severity: Severity::Medium,
        reason,
        evidence: Evidence {
            numbers,
            ..Evidence::default()
        },
        rule: Rule::new(
            "inactive",
            &[("inactive_days", json!(settings.inactive_days))],
        ),
    })
}

fn severity(decision: &Decision) -> Severity {
    match decision.detail {
        Detail::Intervention { severity, .. } => severity,
        _ => Severity::Low,
    }
}

fn decision(learner: &Learner, found: Found) -> Decision {
    let id = intervention_id(&learner.id, found.subtype, found.competency.as_deref());
    let actions: Vec<_> = learner
        .actions
        .iter()
        .filter(|action| action.intervention == id)
        .collect();
    let status = actions.last().map_or("open", |a| a.action.as_str());
    let followed = actions.last().and_then(|last| {
        let now = learner.competencies.get(found.competency.as_deref()?)?;
        Some(Followed {
            opportunities_since: now.opportunities.saturating_sub(last.opportunities),
            p_mastered_then: last.p_mastered,
            p_mastered_now: now.p_last,
        })
    });
    Decision {
        id,
        kind: Kind::Intervention,
        subtype: Some(found.subtype),
        title: found.title,
        competency: found.competency,
        reason: found.reason,
        evidence: found.evidence,
        rule: found.rule,
        detail: Detail::Intervention {
            severity: found.severity,
            status,
            actions: actions
                .iter()
                .map(|a| ActionView {
                    action: a.action,
                    at: a.at,
                    by: a.by.clone(),
                    note: a.note.clone(),
                })
                .collect(),
            followed,
        },
    }
}
