//! Personalization decisions: what each learner should do next, and why.
//!
//! Every rule here is a pure function of a learner's folded state ([`Learner`]: mastery
//! per competency, goals, choices, interests, recent activity, teachers' actions), the
//! competency graph of the tenant's frameworks ([`Graph`]), the activities aligned to
//! each competency ([`Catalog`]), the time asked about and the [`Settings`]. Nothing
//! here reads a clock, a store or a random number: the same inputs give the same
//! decisions, so a view evaluated with `?at=` is reproducible and a replay of the log
//! reproduces every decision.
//!
//! Each [`Decision`] carries a plain-language `reason`, the `evidence` behind it
//! (statement ids, competency ids, the numbers used) and the `rule` with the settings
//! that produced it.

mod advancement;
mod decision;
mod graph;
mod groups;
mod input;
mod interventions;
mod objectives;
mod plans;
mod reviews;
mod settings;
mod text;

pub use advancement::advancements;
pub use decision::{
    ActionView, Decision, Detail, Evidence, Followed, Kind, ObjectiveDetail, PlanDetail, PlanStep,
    Rule, Severity, Suggestion,
};
pub use graph::{Competency, Graph};
pub use groups::{suggest_groups, Group, GroupCandidate, Groups};
pub use input::{
    Action, Activity, Attempt, Catalog, Choice, CompetencyState, Goal, InterventionAction, Learner,
};
pub use interventions::intervention_id;
pub use settings::Settings;

/// Errors of this crate: settings that break a rule.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    InvalidSettings(String),
}

/// Result of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything a learner's decisions depend on besides the learner.
#[derive(Clone, Copy)]
pub struct Context<'a> {
    pub graph: &'a Graph,
    pub catalog: &'a Catalog,
    pub settings: &'a Settings,
    /// The instant the decisions are evaluated at, µs since the Unix epoch.
    pub at_micros: i64,
    /// The latest activity of any peer in the learner's classes, µs; `None` when the
    /// learner is in no class or no peer was ever active.
    pub peers_last_active_micros: Option<i64>,
}

/// Every decision about `learner`, in this order: next objectives (ranked), learning
/// plans to goals, reviews due, interventions, progress notes, advancements.
pub fn decide(learner: &Learner, context: &Context<'_>) -> Vec<Decision> {
    let mut decisions = objectives::next_objectives(learner, context);
    decisions.extend(plans::plans(learner, context));
    decisions.extend(reviews::reviews_due(learner, context));
    decisions.extend(interventions::interventions(learner, context));
    decisions.extend(advancement::advancements(learner, context));
    decisions
}

#[cfg(test)]
mod tests;
