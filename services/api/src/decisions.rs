//! Evaluating the decision rules for learners of a tenant: assembles each rule input
//! from the projections (mastery with its predictions, the profile's goals, interests
//! and modalities, the decisions projection's choices, recent activity and teachers'
//! actions, the classes projection's peers) and the competency graph of the tenant's
//! frameworks, at the instant asked about.

use crate::error::ApiError;
use crate::state::AppState;
use learnlog_decisions::{
    Attempt, Catalog, Choice, Competency, CompetencyState, Context, Decision, Goal, Graph,
    InterventionAction, Learner, Settings,
};
use learnlog_projector_partitioned::mastery::LearnerMastery;
use learnlog_projector_partitioned::profiles::{day_of, Day};
use learnlog_projector_replicated::frameworks::Framework;
use std::collections::BTreeMap;
use uuid::Uuid;

/// The graph of the tenant's competencies and their activities, built once per
/// request and used for every learner it asks about.
pub struct Evaluator<'a> {
    state: &'a AppState,
    tenant: &'a str,
    at_micros: i64,
    pub graph: Graph,
    catalog: Catalog,
}

/// A learner's decisions with the rules' view of the learner they came from.
pub struct Evaluated {
    pub learner: Learner,
    pub decisions: Vec<Decision>,
}

fn graph_of(frameworks: &[Framework], state: &AppState, tenant: &str) -> Result<Graph, ApiError> {
    let mut nodes = Vec::new();
    for framework in frameworks {
        for id in &framework.items {
            if let Some(c) = state.framework_reader.competency(tenant, id)? {
                let title = match (&c.human_coding_scheme, &c.abbreviated_statement) {
                    (_, Some(short)) => short.clone(),
                    (Some(code), None) => format!("{code} {}", c.full_statement),
                    (None, None) => c.full_statement.clone(),
                };
                nodes.push(Competency {
                    id: c.identifier,
                    title,
                    prerequisites: c.prerequisites,
                    children: c.children,
                });
            }
        }
    }
    Ok(Graph::new(nodes))
}

/// The rules' view of a learner's competencies with evidence.
fn competency_states(mastery: Option<&LearnerMastery>) -> BTreeMap<String, CompetencyState> {
    let competencies = mastery.into_iter().flat_map(|m| &m.competencies);
    competencies
        .map(|c| {
            let record = &c.record;
            let state = CompetencyState {
                p_mastered: c.p_mastered,
                p_last: c.p_mastered_at_last_evidence,
                mastered_at: record.mastered_at_micros,
                first_mastered_at: record.first_mastered_at_micros,
                opportunities: record.state.count,
                correct: record.state.correct,
                recent: (record.recent.iter())
                    .map(|r| Attempt {
                        p_after: r.p_after,
                        correct: r.correct,
                    })
                    .collect(),
                last_evidence_at: record.last_evidence_micros,
                last_statements: record.last_statement_ids.clone(),
            };
            (c.competency.clone(), state)
        })
        .collect()
}

/// The first µs of a UTC day: what the rules see of "last active" (kept by day).
fn day_start(day: Day) -> i64 {
    i64::from(day) * 86_400_000_000
}

impl<'a> Evaluator<'a> {
    /// An evaluator over the tenant's frameworks (`frameworks`: only those ids).
    pub fn new(
        state: &'a AppState,
        tenant: &'a str,
        at_micros: i64,
        frameworks: Option<&[String]>,
    ) -> Result<Self, ApiError> {
        let mut all = state.framework_reader.list(tenant)?;
        if let Some(only) = frameworks {
            all.retain(|f| only.contains(&f.id));
        }
        let graph = graph_of(&all, state, tenant)?;
        let mut catalog = Catalog::new();
        for leaf in graph.leaves() {
            let activities = state.catalog_reader.activities(tenant, &leaf.id)?;
            if !activities.is_empty() {
                catalog.insert(leaf.id.clone(), activities);
            }
        }
        Ok(Self {
            state,
            tenant,
            at_micros,
            graph,
            catalog,
        })
    }

    pub fn settings(&self) -> &Settings {
        &self.state.decision_settings
    }

    /// The rules' view of `id` at the evaluator's instant.
    pub fn learner(&self, id: Uuid) -> Result<Learner, ApiError> {
        let (state, tenant, at) = (self.state, self.tenant, self.at_micros);
        let mastery = state.mastery_reader.learner(tenant, id, at)?;
        let predictor = match &mastery {
            Some(mastery) => mastery.predictor.clone(),
            None => state
                .mastery_reader
                .new_learner_predictor(tenant, state.learner_partition(id)?)?,
        };
        let mut learner = Learner {
            id: id.to_string(),
            competencies: competency_states(mastery.as_ref()),
            ..Learner::default()
        };
        for leaf in self.graph.leaves() {
            let known = mastery.as_ref().and_then(|m| {
                (m.competencies.iter())
                    .find(|c| c.competency == leaf.id)
                    .map(|c| c.record.state)
            });
            let p = predictor.p_correct(&leaf.id, known.as_ref(), at);
            learner.predicted_success.insert(leaf.id.clone(), p);
        }
        if let Some(profile) = state.profile_reader.profile(tenant, id)? {
            learner.interests = (profile.interests.top_activity_types.iter())
                .chain(&profile.interests.top_categories)
                .cloned()
                .collect();
            learner.modalities = (profile.modalities.preferred.iter())
                .map(|m| m.name().to_owned())
                .collect();
            learner.goals = (profile.goals.iter())
                .map(|g| Goal {
                    id: g.id.to_string(),
                    competency: g.competency.clone(),
                    description: g.description.clone(),
                })
                .collect();
        }
        let record = state.decision_reader.learner(tenant, id)?;
        learner.last_active_at = state.class_reader.last_active(tenant, id)?.map(day_start);
        learner.choices = (record.choices.iter())
            .map(|c| Choice {
                competency: c.competency.clone(),
                at: c.at,
            })
            .collect();
        let activities = self.catalog.values().flatten().map(|a| a.id.as_str());
        let since =
            day_of(at) - i32::try_from(self.settings().skip_recent_days).unwrap_or(i32::MAX) + 1;
        learner.recently_done = (state.profile_reader.last_visits(tenant, id, activities)?)
            .into_iter()
            .filter(|(_, day)| *day >= since)
            .map(|(activity, _)| activity.to_owned())
            .collect();
        learner.actions = (record.actions.iter())
            .map(|a| InterventionAction {
                intervention: a.intervention.clone(),
                action: a.action,
                at: a.at,
                by: a.by.clone(),
                note: a.note.clone(),
                opportunities: a.opportunities,
                p_mastered: a.p_mastered,
            })
            .collect();
        Ok(learner)
    }

    /// What `id` earned (the advancement rule alone: it reads only mastery).
    pub fn advancements(&self, id: Uuid) -> Result<Vec<Decision>, ApiError> {
        let mastery = (self.state.mastery_reader).learner(self.tenant, id, self.at_micros)?;
        let learner = Learner {
            id: id.to_string(),
            competencies: competency_states(mastery.as_ref()),
            ..Learner::default()
        };
        let context = Context {
            graph: &self.graph,
            catalog: &self.catalog,
            settings: self.settings(),
            at_micros: self.at_micros,
            peers_last_active_micros: None,
        };
        Ok(learnlog_decisions::advancements(&learner, &context))
    }

    /// Every decision about `id`.
    pub fn evaluate(&self, id: Uuid) -> Result<Evaluated, ApiError> {
        let learner = self.learner(id)?;
        let context = Context {
            graph: &self.graph,
            catalog: &self.catalog,
            settings: self.settings(),
            at_micros: self.at_micros,
            peers_last_active_micros: (self.state.class_reader)
                .peers_last_active(self.tenant, id)?
                .map(day_start),
        };
        let decisions = learnlog_decisions::decide(&learner, &context);
        Ok(Evaluated { learner, decisions })
    }
}
