//! Advancement: a learner earns a cluster, domain or course (a competency with
//! children) when every competency under it is mastered, on the day the last of them
//! was — credit follows demonstrated mastery, not seat time.

use crate::decision::{Decision, Detail, Evidence, Kind, Rule};
use crate::input::Learner;
use crate::objectives::met;
use crate::text::date;
use crate::Context;
use serde_json::json;

pub(crate) const RULE: &str = "all_parts_mastered";

/// Every cluster, domain or course the learner earned.
pub fn advancements(learner: &Learner, context: &Context<'_>) -> Vec<Decision> {
    let graph = context.graph;
    graph
        .competencies()
        .iter()
        .filter(|node| !node.children.is_empty())
        .filter_map(|node| {
            let earned_at = met(learner, context, &node.id)?;
            let parts = graph.leaves_under(&node.id);
            let statements = (parts.iter())
                .filter_map(|p| learner.competencies.get(p)?.last_statements.last().cloned())
                .collect();
            Some(Decision {
                id: format!("advancement:{}", node.id),
                kind: Kind::Advancement,
                subtype: None,
                competency: Some(node.id.clone()),
                title: node.title.clone(),
                reason: format!(
                    "{}: earned on {}, when the last of its {} competencies was mastered",
                    node.title,
                    date(earned_at),
                    parts.len()
                ),
                evidence: Evidence {
                    statements,
                    competencies: parts,
                    numbers: Default::default(),
                },
                rule: Rule::new(
                    RULE,
                    &[(
                        "mastery_threshold",
                        json!(context.settings.mastery_threshold),
                    )],
                ),
                detail: Detail::Advancement { earned_at },
            })
        })
        .collect()
}
