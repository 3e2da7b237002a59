//! Learning plans: for each goal that names a competency, the ordered route of
//! competencies still to master (the goal's own and, recursively, its prerequisites,
//! each after what it needs), with the step to work on now. The plan is evaluated
//! afresh on every read, so it adapts as evidence arrives.

use crate::decision::{Decision, Detail, Evidence, Kind, PlanDetail, PlanStep, Rule};
use crate::input::{Goal, Learner};
use crate::objectives::met;
use crate::text::percent;
use crate::Context;
use serde_json::json;

pub(crate) const RULE: &str = "path_to_goal";

pub(crate) fn plans(learner: &Learner, context: &Context<'_>) -> Vec<Decision> {
    learner
        .goals
        .iter()
        .filter_map(|goal| {
            let target = goal.competency.as_ref()?;
            context
                .graph
                .get(target)
                .map(|_| plan(learner, context, goal, target))
        })
        .collect()
}

fn plan(learner: &Learner, context: &Context<'_>, goal: &Goal, target: &str) -> Decision {
    let graph = context.graph;
    let route = graph.path_to(&[target.to_owned()]);
    let mastered = route.iter().filter(|c| learner.mastered(c)).count();
    let steps: Vec<PlanStep> = route
        .iter()
        .filter(|c| !learner.mastered(c))
        .map(|c| PlanStep {
            competency: c.clone(),
            title: graph.title(c).to_owned(),
            ready: (graph.prerequisites(c).iter()).all(|p| met(learner, context, p).is_some()),
        })
        .collect();
    let current = steps.iter().position(|step| step.ready);
    let reached = steps.is_empty();
    let title = graph.title(target);
    let reason = if reached {
        format!("Goal \"{}\" reached: {title} is mastered", goal.description)
    } else {
        let now = current.map_or_else(
            || "no step is ready yet".to_owned(),
            |i| {
                format!(
                    "next step: {} (predicted success {})",
                    steps[i].title,
                    percent(learner.success(&steps[i].competency))
                )
            },
        );
        format!(
            "Goal \"{}\": {} of {} competencies on the way to {title} mastered; {now}",
            goal.description,
            mastered,
            route.len()
        )
    };
    Decision {
        id: format!("plan:{}", goal.id),
        kind: Kind::Plan,
        subtype: None,
        competency: Some(target.to_owned()),
        title: goal.description.clone(),
        reason,
        evidence: Evidence {
            statements: Vec::new(),
            competencies: route.clone(),
            numbers: [
                ("mastered".to_owned(), mastered as f64),
                ("steps".to_owned(), route.len() as f64),
            ]
            .into(),
        },
        rule: Rule::new(
            RULE,
            &[(
                "mastery_threshold",
                json!(context.settings.mastery_threshold),
            )],
        ),
        detail: Detail::Plan(PlanDetail {
            goal: goal.id.clone(),
            steps,
            current,
            mastered,
            reached,
        }),
    }
}
