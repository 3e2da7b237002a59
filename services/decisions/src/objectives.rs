//! Next objectives: the learner's "ready to learn" set (knowledge space theory's outer
//! fringe: not mastered, every prerequisite mastered), ranked by the learner's own
//! choices, then their goals, then closeness to the target band of predicted success
//! (the zone of proximal development), then interests, then framework order; each with
//! suggested activities.

use crate::decision::{Decision, Detail, Evidence, Kind, ObjectiveDetail, Rule, Suggestion};
use crate::input::Learner;
use crate::text::{date, list, percent};
use crate::Context;
use serde_json::json;

/// Rule name of next objectives.
pub(crate) const RULE: &str = "ready_to_learn";

/// A prerequisite is met when every competency under it is mastered; returns when the
/// last of them was.
pub(crate) fn met(learner: &Learner, context: &Context<'_>, prerequisite: &str) -> Option<i64> {
    context
        .graph
        .leaves_under(prerequisite)
        .iter()
        .map(|leaf| learner.competencies.get(leaf).and_then(|c| c.mastered_at))
        .try_fold(i64::MIN, |latest, at| at.map(|at| latest.max(at)))
}

/// The competencies the learner is ready for, in framework order.
pub(crate) fn ready(learner: &Learner, context: &Context<'_>) -> Vec<String> {
    context
        .graph
        .leaves()
        .filter(|leaf| !learner.mastered(&leaf.id))
        .filter(|leaf| {
            (context.graph.prerequisites(&leaf.id).iter())
                .all(|p| met(learner, context, p).is_some())
        })
        .map(|leaf| leaf.id.clone())
        .collect()
}

/// Distance of `p` from the target band (0 inside it).
fn band_distance(p: f64, context: &Context<'_>) -> f64 {
    let settings = context.settings;
    if p < settings.band_low {
        settings.band_low - p
    } else if p > settings.band_high {
        p - settings.band_high
    } else {
        0.0
    }
}

struct Candidate {
    competency: String,
    chosen_at: Option<i64>,
    goal: Option<String>,
    success: f64,
    interest: usize,
    order: usize,
}

/// The goal (description) `competency` leads to, the first one in the learner's order.
fn goal_of(learner: &Learner, context: &Context<'_>, competency: &str) -> Option<String> {
    learner.goals.iter().find_map(|goal| {
        let target = goal.competency.as_ref()?;
        context
            .graph
            .path_to(std::slice::from_ref(target))
            .iter()
            .any(|step| step == competency)
            .then(|| goal.description.clone())
    })
}

pub(crate) fn next_objectives(learner: &Learner, context: &Context<'_>) -> Vec<Decision> {
    let settings = context.settings;
    let mut candidates: Vec<Candidate> = ready(learner, context)
        .into_iter()
        .map(|competency| {
            let activities = context.catalog.get(&competency);
            let interest = activities.map_or(0, |activities| {
                (activities.iter())
                    .filter(|a| learner.interests.contains(&a.activity_type))
                    .count()
            });
            Candidate {
                chosen_at: (learner.choices.iter())
                    .filter(|choice| choice.competency == competency)
                    .map(|choice| choice.at)
                    .max(),
                goal: goal_of(learner, context, &competency),
                success: learner.success(&competency),
                interest,
                order: context.graph.order(&competency),
                competency,
            }
        })
        .collect();
    candidates.sort_by(|a, b| {
        (b.chosen_at.cmp(&a.chosen_at))
            .then(b.goal.is_some().cmp(&a.goal.is_some()))
            .then(band_distance(a.success, context).total_cmp(&band_distance(b.success, context)))
            .then(b.interest.cmp(&a.interest))
            .then(a.order.cmp(&b.order))
    });
    candidates.truncate(settings.max_objectives);
    candidates
        .into_iter()
        .enumerate()
        .map(|(i, candidate)| objective(learner, context, i + 1, candidate))
        .collect()
}

fn objective(
    learner: &Learner,
    context: &Context<'_>,
    rank: usize,
    candidate: Candidate,
) -> Decision {
    let settings = context.settings;
    let graph = context.graph;
    let competency = candidate.competency;
    let title = graph.title(&competency).to_owned();
    let prerequisites = graph.prerequisites(&competency);
    let mut statements = Vec::new();
    let mastered: Vec<String> = prerequisites
        .iter()
        .map(|p| {
            for leaf in graph.leaves_under(p) {
                if let Some(last) =
                    (learner.competencies.get(&leaf)).and_then(|c| c.last_statements.last())
                {
                    statements.push(last.clone());
                }
            }
            let when = met(learner, context, p).map_or_else(String::new, date);
            format!("{} on {when}", graph.title(p))
        })
        .collect();
    let readiness = match mastered.len() {
        0 => "no prerequisites".to_owned(),
        1 => format!("its prerequisite is mastered ({})", mastered[0]),
        2 => format!("both prerequisites mastered ({})", list(&mastered)),
        n => format!("all {n} prerequisites mastered ({})", list(&mastered)),
    };
    let in_band = band_distance(candidate.success, context) == 0.0;
    let mut reason = format!(
        "{title}: {readiness}; predicted success {}",
        percent(candidate.success)
    );
    if !in_band {
        let side = if candidate.success < settings.band_low {
            "a stretch"
        } else {
            "likely easy"
        };
        reason.push_str(&format!(" ({side})"));
    }
    if let Some(at) = candidate.chosen_at {
        reason.push_str(&format!("; chosen by the learner on {}", date(at)));
    }
    if let Some(goal) = &candidate.goal {
        reason.push_str(&format!("; leads to the goal \"{goal}\""));
    }
    let activities = suggestions(learner, context, &competency);
    Decision {
        id: format!("objective:{competency}"),
        kind: Kind::Objective,
        subtype: None,
        competency: Some(competency),
        title,
        reason,
        evidence: Evidence {
            statements,
            competencies: prerequisites,
            numbers: [
                ("predicted_success".to_owned(), candidate.success),
                ("interest".to_owned(), candidate.interest as f64),
            ]
            .into(),
        },
        rule: Rule::new(
            RULE,
            &[
                ("band_low", json!(settings.band_low)),
                ("band_high", json!(settings.band_high)),
                ("max_objectives", json!(settings.max_objectives)),
                ("mastery_threshold", json!(settings.mastery_threshold)),
            ],
        ),
        detail: Detail::Objective(ObjectiveDetail {
            rank,
            predicted_success: candidate.success,
            in_target_band: in_band,
            chosen_at: candidate.chosen_at,
            goal: candidate.goal,
            activities,
        }),
    }
}

/// Activities aligned to `competency`, those in the learner's preferred modalities
/// first, without the ones the learner did lately.
fn suggestions(learner: &Learner, context: &Context<'_>, competency: &str) -> Vec<Suggestion> {
    let settings = context.settings;
    let preference = |modality: &str| {
        (learner.modalities.iter())
            .position(|m| m == modality)
            .unwrap_or(usize::MAX)
    };
    let mut activities: Vec<_> = (context.catalog.get(competency).into_iter().flatten())
        .filter(|a| !learner.recently_done.contains(&a.id))
        .collect();
    activities.sort_by(|a, b| {
        (preference(&a.modality).cmp(&preference(&b.modality))).then(a.id.cmp(&b.id))
    });
    let title = context.graph.title(competency);
    activities
        .into_iter()
        .take(settings.activities_per_objective)
        .map(|activity| {
            let reason = match preference(&activity.modality) {
                0 => format!(
                    "practises {title}, as {}: the way this learner engages most",
                    activity.modality
                ),
                usize::MAX => format!("practises {title}"),
                _ => format!(
                    "practises {title}, as {}: a way this learner engages often",
                    activity.modality
                ),
            };
            Suggestion {
                activity: activity.id.clone(),
                modality: activity.modality.clone(),
                reason,
            }
        })
        .collect()
}
