//! Reviews due: mastered competencies whose predicted recall at the time asked about
//! (the mastery model's forgetting since the last evidence) fell below the target.

use crate::decision::{Decision, Detail, Evidence, Kind, Rule};
use crate::input::Learner;
use crate::text::{date, percent};
use crate::Context;
use serde_json::json;

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
    // most forgotten first
    due.sort_by(|a, b| recall(a).total_cmp(&recall(b)));
    due
}

fn recall(decision: &Decision) -> f64 {
    match decision.detail {
        Detail::Review {
            predicted_recall, ..
        } => predicted_recall,
        _ => 1.0,
    }
}
