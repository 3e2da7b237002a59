//! What a rule decides: a [`Decision`] with its reason, evidence and rule, and the
//! details of its kind.

use crate::input::Action;
use crate::text::rfc3339;
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// The kinds of decision.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A competency the learner is ready to learn next.
    Objective,
    /// The route to a goal that names a competency.
    Plan,
    /// A mastered competency whose predicted recall fell below the target.
    Review,
    /// Something a teacher should look at.
    Intervention,
    /// Errors that are not a problem: the estimate is rising, or it is too early to say.
    Progress,
    /// Every competency under a cluster, domain or course is mastered.
    Advancement,
}

impl Kind {
    pub const ALL: [Kind; 6] = [
        Kind::Objective,
        Kind::Plan,
        Kind::Review,
        Kind::Intervention,
        Kind::Progress,
        Kind::Advancement,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Objective => "objective",
            Kind::Plan => "plan",
            Kind::Review => "review",
            Kind::Intervention => "intervention",
            Kind::Progress => "progress",
            Kind::Advancement => "advancement",
        }
    }

    /// The kind named `text` (as serialized).
    pub fn parse(text: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|kind| kind.as_str() == text)
    }
}

/// The facts a decision rests on.
#[derive(Clone, Debug, Default, PartialEq, Serialize, ToSchema)]
pub struct Evidence {
    /// Statements whose responses it rests on.
    pub statements: Vec<String>,
    /// Competencies it rests on.
    pub competencies: Vec<String>,
    /// The numbers used, by name.
    pub numbers: BTreeMap<String, f64>,
}

/// The rule that produced a decision and the settings it used.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct Rule {
    #[schema(value_type = String)]
    pub name: &'static str,
    /// The settings the rule used, by name.
    #[schema(value_type = Object)]
    pub settings: BTreeMap<&'static str, Value>,
}

impl Rule {
    pub(crate) fn new(name: &'static str, settings: &[(&'static str, Value)]) -> Self {
        Self {
            name,
            settings: settings.iter().cloned().collect(),
        }
    }
}

/// How urgently a teacher should look.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Low,
    Medium,
    High,
}

/// An activity suggested for an objective.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct Suggestion {
    pub activity: String,
    pub modality: String,
    pub reason: String,
}

/// Details of a next objective.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct ObjectiveDetail {
    /// 1 for the first.
    pub rank: usize,
    pub predicted_success: f64,
    pub in_target_band: bool,
    /// When the learner chose it, if they did.
    #[serde(serialize_with = "rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub chosen_at: Option<i64>,
    /// The goal it leads to, if any.
    pub goal: Option<String>,
    pub activities: Vec<Suggestion>,
}

/// One step of a learning plan.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct PlanStep {
    pub competency: String,
    pub title: String,
    /// Every prerequisite of the step is mastered.
    pub ready: bool,
}

/// Details of a learning plan.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct PlanDetail {
    pub goal: String,
    /// The competencies still to master, in order.
    pub steps: Vec<PlanStep>,
    /// Index into `steps` of the step to work on now (the first ready one).
    pub current: Option<usize>,
    /// Competencies the goal needs that are already mastered.
    pub mastered: usize,
    pub reached: bool,
}

/// A teacher's action, as a view shows it.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct ActionView {
    pub action: Action,
    #[serde(serialize_with = "rfc3339::plain")]
    #[schema(value_type = String, format = DateTime)]
    pub at: i64,
    pub by: String,
    pub note: String,
}

/// What followed a teacher's last action.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct Followed {
    pub opportunities_since: u32,
    pub p_mastered_then: f64,
    pub p_mastered_now: f64,
}

/// What each kind adds to a decision.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Detail {
    Objective(ObjectiveDetail),
    Plan(PlanDetail),
    Review {
        predicted_recall: f64,
        #[serde(serialize_with = "rfc3339::plain")]
        #[schema(value_type = String, format = DateTime)]
        last_practised_at: i64,
    },
    Intervention {
        severity: Severity,
        /// `open`, or the last action: `acknowledged`, `acted`, `dismissed`.
        #[schema(value_type = String)]
        status: &'static str,
        actions: Vec<ActionView>,
        followed: Option<Followed>,
    },
    Progress {
        opportunities: u32,
        estimate_change: f64,
    },
    Advancement {
        #[serde(serialize_with = "rfc3339::plain")]
        #[schema(value_type = String, format = DateTime)]
        earned_at: i64,
    },
}

/// One decision about a learner.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct Decision {
    /// Stable across reads while the decision holds (interventions are acted on by it).
    pub id: String,
    pub kind: Kind,
    /// The rule's finer type (`wheel_spinning`, `productive_struggle`, …), if any.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub subtype: Option<&'static str>,
    pub competency: Option<String>,
    /// The competency's title (or the goal's description for plans).
    pub title: String,
    /// Why, in words a teacher or a parent understands.
    pub reason: String,
    pub evidence: Evidence,
    pub rule: Rule,
    #[serde(flatten)]
    pub detail: Detail,
}
