//! What the rules read about a learner: their folded state, assembled by the caller
//! from the mastery, profile and decisions projections.

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use utoipa::ToSchema;

/// One response on a competency, as the mastery fold saw it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Attempt {
    /// P(mastered) right after this response.
    pub p_after: f64,
    pub correct: bool,
}

/// A learner on one competency they have evidence on.
#[derive(Clone, Debug, PartialEq)]
pub struct CompetencyState {
    /// P(mastered) at the time asked about (after any forgetting).
    pub p_mastered: f64,
    /// P(mastered) right after the last evidence.
    pub p_last: f64,
    /// Since when it is mastered (µs); `None` while below the threshold.
    pub mastered_at: Option<i64>,
    /// When it was first mastered (µs), even if it dropped below since.
    pub first_mastered_at: Option<i64>,
    pub opportunities: u32,
    pub correct: u32,
    /// The latest responses, oldest first.
    pub recent: Vec<Attempt>,
    /// `timestamp` of the last evidence, µs.
    pub last_evidence_at: i64,
    /// Ids of the latest evidence statements, oldest first.
    pub last_statements: Vec<String>,
}

impl CompetencyState {
    pub fn mastered(&self) -> bool {
        self.mastered_at.is_some()
    }
}

/// A goal the learner set.
#[derive(Clone, Debug, PartialEq)]
pub struct Goal {
    pub id: String,
    /// The competency it is about, when it names one.
    pub competency: Option<String>,
    pub description: String,
}

/// A learner's choice of a next objective.
#[derive(Clone, Debug, PartialEq)]
pub struct Choice {
    pub competency: String,
    /// When it was chosen, µs.
    pub at: i64,
}

/// An activity aligned to a competency.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Activity {
    pub id: String,
    /// Its activity type IRI, or empty.
    #[serde(default)]
    pub activity_type: String,
    /// How it is learned from (`video`, `reading`, `practice`, …).
    pub modality: String,
}

/// Activities aligned to each competency, by competency id.
pub type Catalog = BTreeMap<String, Vec<Activity>>;

/// What a teacher did about an intervention.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// Seen; no action yet.
    Acknowledged,
    /// Acted on (a conference, re-teaching, a small group…).
    Acted,
    /// Not an issue: hidden from open interventions.
    Dismissed,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Acknowledged => "acknowledged",
            Action::Acted => "acted",
            Action::Dismissed => "dismissed",
        }
    }
}

/// A teacher's action on an intervention, with what the learner's state was then.
#[derive(Clone, Debug, PartialEq)]
pub struct InterventionAction {
    /// The intervention's id ([`crate::intervention_id`]).
    pub intervention: String,
    pub action: Action,
    pub at: i64,
    /// Who acted (the credential's key or a name the teacher gave).
    pub by: String,
    pub note: String,
    /// The learner's opportunities and P(mastered) on the competency when it was done.
    pub opportunities: u32,
    pub p_mastered: f64,
}

/// Everything the rules know about one learner.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Learner {
    pub id: String,
    /// Competencies with evidence, by id.
    pub competencies: BTreeMap<String, CompetencyState>,
    /// Predicted P(correct) on each competency's items, for every competency of the
    /// graph (the mastery model's prediction, also where there is no evidence yet).
    pub predicted_success: BTreeMap<String, f64>,
    pub goals: Vec<Goal>,
    /// Oldest first.
    pub choices: Vec<Choice>,
    /// Activity types and categories the learner engages with, most first.
    pub interests: Vec<String>,
    /// Modalities the learner engages with, most first.
    pub modalities: Vec<String>,
    /// The learner's last statement, µs.
    pub last_active_at: Option<i64>,
    /// Activities the learner did within the last `skip_recent_days` (not suggested
    /// again).
    pub recently_done: BTreeSet<String>,
    /// Teachers' actions on interventions, oldest first.
    pub actions: Vec<InterventionAction>,
}

impl Learner {
    pub(crate) fn mastered(&self, competency: &str) -> bool {
        self.competencies
            .get(competency)
            .is_some_and(CompetencyState::mastered)
    }

    pub(crate) fn success(&self, competency: &str) -> f64 {
        self.predicted_success
            .get(competency)
            .copied()
            .unwrap_or(0.5)
    }
}
