//! The profile as readers see it: serde-serializable, days and instants as text,
//! shares computed from the stored counters.

use super::days::DayTotals;
use super::goals::StoredGoal;
use super::record::{Interest, LearnerRecord};
use learnlog_projector::days::format_day;
use learnlog_projector::modality::Modality;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

/// How many ids the `top_*` lists name.
pub const TOP: usize = 5;

/// A learner's profile.
#[derive(Clone, Debug, Default, PartialEq, Serialize, ToSchema)]
pub struct Profile {
    /// The learner id.
    pub learner: Uuid,
    /// The learner's standing on competencies, from the mastery projection: the API
    /// fills it in (this reader leaves it `None`); omitted when the learner has no
    /// mastery evidence.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub competencies: Option<CompetencySummary>,
    /// Statements folded.
    pub statements: u64,
    /// Of which finished their object (completed/passed/mastered, completion or success).
    pub finished: u64,
    pub interests: Interests,
    pub modalities: Modalities,
    pub time_on_task: TimeOnTask,
    pub active_days: ActiveDaysView,
    pub goals: Vec<Goal>,
}

/// Competency ids by the learner's standing on them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct CompetencySummary {
    /// Mastered: P(mastered) at the last evidence reached the threshold.
    pub mastered: Vec<String>,
    /// Neither mastered nor struggling.
    pub in_progress: Vec<String>,
    /// At least `STRUGGLING_MIN_EVIDENCE` pieces of evidence (see the mastery module)
    /// and P(mastered) still below `STRUGGLING_BELOW`.
    pub struggling: Vec<String>,
    /// Clusters, domains and courses the learner earned: every competency under them
    /// mastered (the API fills it from the decision rules).
    pub advancements: Vec<Advancement>,
}

/// A competency with children whose every part the learner mastered.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct Advancement {
    pub competency: String,
    pub title: String,
    /// When the last part was mastered, RFC 3339 (UTC).
    pub earned_at: String,
    pub reason: String,
}

/// What the learner chooses, finishes and comes back to.
#[derive(Clone, Debug, Default, PartialEq, Serialize, ToSchema)]
pub struct Interests {
    /// Per activity type, strongest first.
    pub activity_types: Vec<InterestView>,
    /// Per `context.contextActivities.category` id, strongest first.
    pub categories: Vec<InterestView>,
    /// The first [`TOP`] ids of `activity_types`.
    pub top_activity_types: Vec<String>,
    /// The first [`TOP`] ids of `categories`.
    pub top_categories: Vec<String>,
}

/// One activity type or category. Lists are ordered by `returned`, then `finished`,
/// then `chosen` (all descending), then id.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct InterestView {
    pub id: String,
    /// Statements on it.
    pub chosen: u64,
    /// Of which finished it.
    pub finished: u64,
    /// Visits to one of its activities on a later day than before.
    pub returned: u64,
    /// The latest day it was chosen (`YYYY-MM-DD`).
    pub last_chosen: String,
}

/// Every modality's value, in a fixed order.
#[derive(Clone, Debug, Default, PartialEq, Serialize, ToSchema)]
pub struct PerModality<T> {
    pub video: T,
    pub reading: T,
    pub practice: T,
    pub simulation: T,
    pub group_work: T,
    pub other: T,
}

impl<T> PerModality<T> {
    fn from_fn(mut value: impl FnMut(Modality) -> T) -> Self {
        Self {
            video: value(Modality::Video),
            reading: value(Modality::Reading),
            practice: value(Modality::Practice),
            simulation: value(Modality::Simulation),
            group_work: value(Modality::GroupWork),
            other: value(Modality::Other),
        }
    }
}

/// How the learner prefers to learn.
#[derive(Clone, Debug, Default, PartialEq, Serialize, ToSchema)]
pub struct Modalities {
    /// Modalities the learner used (except `other`), most preferred first: by the mean
    /// of statement share and time share (statement share alone when no statement
    /// reported a duration).
    pub preferred: Vec<Modality>,
    pub by_modality: PerModality<ModalityShare>,
}

/// One modality's part of the learner's activity.
#[derive(Clone, Debug, Default, PartialEq, Serialize, ToSchema)]
pub struct ModalityShare {
    pub statements: u64,
    /// Of all statements, 0 to 1 (three decimals).
    pub statement_share: f64,
    /// Of all reported time on task, 0 to 1 (three decimals).
    pub time_share: f64,
}

/// Time on task, from `result.duration` (each statement's capped at 24 hours).
#[derive(Clone, Debug, Default, PartialEq, Serialize, ToSchema)]
pub struct TimeOnTask {
    pub total_millis: u64,
    /// Statements that reported a duration.
    pub statements_with_duration: u64,
    pub by_modality: PerModality<u64>,
    /// The latest active days (at most 60), newest first.
    pub by_day: Vec<DayView>,
}

/// One UTC day.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct DayView {
    /// `YYYY-MM-DD`.
    pub day: String,
    pub statements: u32,
    pub duration_millis: u64,
}

/// The days the learner was active (UTC).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct ActiveDaysView {
    /// Distinct active days.
    pub count: u32,
    pub first: Option<String>,
    pub last: Option<String>,
    /// The latest active days (at most 60), newest first.
    pub recent: Vec<String>,
}

/// A learner-set goal.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct Goal {
    pub id: Uuid,
    pub description: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub competency: Option<String>,
    /// RFC 3339 (UTC).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// When the goal was last set, RFC 3339 (UTC).
    pub set_at: String,
}

fn instant(micros: i64) -> String {
    chrono::DateTime::from_timestamp_micros(micros)
        .map(learnlog_xapi::format_timestamp)
        .unwrap_or_default()
}

impl From<&StoredGoal> for Goal {
    fn from(goal: &StoredGoal) -> Self {
        Goal {
            id: goal.id,
            description: goal.description.clone(),
            competency: goal.competency.clone(),
            target: goal.target_micros.map(instant),
            set_at: instant(goal.set_at_micros),
        }
    }
}

fn share(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        return 0.0;
    }
    (part as f64 / whole as f64 * 1_000.0).round() / 1_000.0
}

fn interests(stored: &[Interest]) -> Vec<InterestView> {
    let mut ranked: Vec<&Interest> = stored.iter().collect();
    ranked.sort_by(|a, b| {
        (b.returned, b.finished, b.chosen)
            .cmp(&(a.returned, a.finished, a.chosen))
            .then_with(|| a.id.cmp(&b.id))
    });
    ranked
        .into_iter()
        .map(|interest| InterestView {
            id: interest.id.clone(),
            chosen: interest.chosen,
            finished: interest.finished,
            returned: interest.returned,
            last_chosen: format_day(interest.last_day),
        })
        .collect()
}

fn top(views: &[InterestView]) -> Vec<String> {
    views.iter().take(TOP).map(|view| view.id.clone()).collect()
}

fn modalities(record: &LearnerRecord) -> Modalities {
    let share_of = |modality: Modality| {
        let totals = record.modality(modality);
        ModalityShare {
            statements: totals.statements,
            statement_share: share(totals.statements, record.statements),
            time_share: share(totals.duration_millis, record.duration_millis),
        }
    };
    let timed = record.duration_millis > 0;
    let mut preferred: Vec<(Modality, f64)> = Modality::ALL
        .into_iter()
        .filter(|modality| *modality != Modality::Other)
        .filter(|modality| record.modality(*modality).statements > 0)
        .map(|modality| {
            let share = share_of(modality);
            let score = if timed {
                (share.statement_share + share.time_share) / 2.0
            } else {
                share.statement_share
            };
            (modality, score)
        })
        .collect();
    // stable: equal scores keep the order of Modality::ALL
    preferred.sort_by(|a, b| b.1.total_cmp(&a.1));
    Modalities {
        preferred: preferred
            .into_iter()
            .map(|(modality, _)| modality)
            .collect(),
        by_modality: PerModality::from_fn(share_of),
    }
}

fn day_view(totals: &DayTotals) -> DayView {
    DayView {
        day: format_day(totals.day),
        statements: totals.statements,
        duration_millis: totals.duration_millis,
    }
}

/// The profile of `learner` from its folded record and goals.
pub(crate) fn profile(learner: Uuid, record: &LearnerRecord, goals: &[StoredGoal]) -> Profile {
    let activity_types = interests(&record.activity_types);
    let categories = interests(&record.categories);
    let days = &record.days;
    Profile {
        learner,
        competencies: None,
        statements: record.statements,
        finished: record.finished,
        interests: Interests {
            top_activity_types: top(&activity_types),
            top_categories: top(&categories),
            activity_types,
            categories,
        },
        modalities: modalities(record),
        time_on_task: TimeOnTask {
            total_millis: record.duration_millis,
            statements_with_duration: record.statements_with_duration,
            by_modality: PerModality::from_fn(|modality| record.modality(modality).duration_millis),
            by_day: days.recent.iter().rev().map(day_view).collect(),
        },
        active_days: ActiveDaysView {
            count: days.count,
            first: days.first.map(format_day),
            last: days.last.map(format_day),
            recent: days
                .recent
                .iter()
                .rev()
                .map(|d| format_day(d.day))
                .collect(),
        },
        goals: goals.iter().map(Goal::from).collect(),
    }
}
