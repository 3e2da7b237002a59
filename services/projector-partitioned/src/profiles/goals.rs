//! Learner-set goals: building `GoalSet` / `GoalRemoved` events (checking what goes
//! into them), the goals kept per learner, and the outcome the fold records for each
//! goal event.

use learnlog_projector::learners::learner_envelope;
use learnlog_projector::{Error, Result};
use learnlog_proto::v1::{envelope::Event, Envelope, GoalRemoved, GoalSet};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Most goals a learner has at once.
pub const MAX_GOALS: usize = 100;
/// Longest goal description, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 2_000;
/// Longest competency id, in characters.
pub const MAX_COMPETENCY_CHARS: usize = 1_024;

/// A goal as the profile projection keeps it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct StoredGoal {
    pub id: Uuid,
    pub competency: Option<String>,
    pub description: String,
    pub target_micros: Option<i64>,
    /// When the goal was (last) set: the event's produced-at.
    pub set_at_micros: i64,
}

/// What the profile fold decided for a goal event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GoalOutcome {
    /// A new goal was stored.
    Created,
    /// A goal with the same id was replaced.
    Replaced,
    /// The goal was removed.
    Removed,
    /// No goal with that id: nothing changed.
    NotFound,
    /// The learner already has [`MAX_GOALS`] goals: nothing changed.
    TooMany,
}

impl GoalOutcome {
    /// The bytes recorded at the event's position.
    pub fn encode(&self) -> Vec<u8> {
        vec![match self {
            GoalOutcome::Created => 1,
            GoalOutcome::Replaced => 2,
            GoalOutcome::Removed => 3,
            GoalOutcome::NotFound => 4,
            GoalOutcome::TooMany => 5,
        }]
    }

    /// Reads an outcome recorded by [`GoalOutcome::encode`].
    pub fn decode(bytes: &[u8]) -> Option<Self> {
        match bytes {
            [1] => Some(GoalOutcome::Created),
            [2] => Some(GoalOutcome::Replaced),
            [3] => Some(GoalOutcome::Removed),
            [4] => Some(GoalOutcome::NotFound),
            [5] => Some(GoalOutcome::TooMany),
            _ => None,
        }
    }
}

/// What a learner asks for when setting a goal.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GoalRequest {
    /// The goal to replace, or `None` for a new goal.
    pub id: Option<Uuid>,
    pub description: String,
    pub competency: Option<String>,
    /// µs since the Unix epoch.
    pub target_micros: Option<i64>,
}

fn invalid(message: String) -> Error {
    Error::Invalid(message)
}

/// Checks a goal request: a description of 1 to 2,000 characters, a competency id of
/// 1 to 1,024 characters when given, neither with control characters.
pub fn check_goal(request: &GoalRequest) -> Result<()> {
    let description = request.description.trim();
    if description.is_empty() {
        return Err(invalid("description: must not be empty".into()));
    }
    if description.chars().count() > MAX_DESCRIPTION_CHARS {
        return Err(invalid(format!(
            "description: at most {MAX_DESCRIPTION_CHARS} characters"
        )));
    }
    if description
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err(invalid(
            "description: control characters other than newline and tab are not allowed".into(),
        ));
    }
    if let Some(competency) = &request.competency {
        if competency.is_empty() || competency.chars().count() > MAX_COMPETENCY_CHARS {
            return Err(invalid(format!(
                "competency: must be 1 to {MAX_COMPETENCY_CHARS} characters"
            )));
        }
        if competency.chars().any(char::is_control) {
            return Err(invalid(
                "competency: control characters are not allowed".into(),
            ));
        }
    }
    Ok(())
}

/// The `GoalSet` envelope for `learner` (a new goal id when the request names none).
/// Checks the request. Key of the log record: the learner id.
pub fn goal_set(
    tenant: &str,
    learner: Uuid,
    request: &GoalRequest,
    produced_at_micros: i64,
) -> Result<(Envelope, Uuid)> {
    check_goal(request)?;
    let goal_id = request.id.unwrap_or_else(Uuid::new_v4);
    let set = GoalSet {
        learner_id: learner.to_string(),
        goal_id: goal_id.to_string(),
        competency_id: request.competency.clone().unwrap_or_default(),
        description: request.description.trim().to_owned(),
        target_micros: request.target_micros,
    };
    Ok((
        learner_envelope(tenant, learner, produced_at_micros, Event::GoalSet(set)),
        goal_id,
    ))
}

/// The `GoalRemoved` envelope for a goal of `learner`.
pub fn goal_removed(
    tenant: &str,
    learner: Uuid,
    goal_id: Uuid,
    produced_at_micros: i64,
) -> Envelope {
    let removed = GoalRemoved {
        learner_id: learner.to_string(),
        goal_id: goal_id.to_string(),
    };
    learner_envelope(
        tenant,
        learner,
        produced_at_micros,
        Event::GoalRemoved(removed),
    )
}

/// Applies a `GoalSet` to a learner's goals.
pub(crate) fn set_goal(goals: &mut Vec<StoredGoal>, goal: StoredGoal) -> GoalOutcome {
    if let Some(existing) = goals.iter_mut().find(|existing| existing.id == goal.id) {
        *existing = goal;
        return GoalOutcome::Replaced;
    }
    if goals.len() >= MAX_GOALS {
        return GoalOutcome::TooMany;
    }
    goals.push(goal);
    GoalOutcome::Created
}

/// Applies a `GoalRemoved` to a learner's goals.
pub(crate) fn remove_goal(goals: &mut Vec<StoredGoal>, id: Uuid) -> GoalOutcome {
    let before = goals.len();
    goals.retain(|goal| goal.id != id);
    if goals.len() < before {
        GoalOutcome::Removed
    } else {
        GoalOutcome::NotFound
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(description: &str) -> GoalRequest {
        GoalRequest {
            description: description.into(),
            ..GoalRequest::default()
        }
    }

    #[test]
    fn invalid_goals_are_rejected_naming_the_field() {
        let message = |r: &GoalRequest| check_goal(r).unwrap_err().to_string();
        assert!(message(&request("  ")).starts_with("description:"));
        assert!(message(&request(&"x".repeat(2_001))).starts_with("description:"));
        let mut with_competency = request("fractions");
        with_competency.competency = Some(String::new());
        assert!(message(&with_competency).starts_with("competency:"));
        assert!(check_goal(&request("Master fractions\nby May")).is_ok());
    }

    #[test]
    fn a_goal_set_event_is_keyed_by_the_learner_and_names_the_goal() {
        let learner = Uuid::new_v4();
        let mut wanted = request("  Read two books  ");
        wanted.competency = Some("reading.fluency".into());
        let (envelope, goal_id) = goal_set("t", learner, &wanted, 9).unwrap();
        assert_eq!(envelope.key, learner.to_string());
        let Some(Event::GoalSet(set)) = envelope.event else {
            panic!("not a GoalSet");
        };
        assert_eq!(set.goal_id, goal_id.to_string());
        assert_eq!(set.description, "Read two books");
        assert_eq!(set.competency_id, "reading.fluency");
    }

    #[test]
    fn outcomes_read_back() {
        for outcome in [
            GoalOutcome::Created,
            GoalOutcome::Replaced,
            GoalOutcome::Removed,
            GoalOutcome::NotFound,
            GoalOutcome::TooMany,
        ] {
            assert_eq!(GoalOutcome::decode(&outcome.encode()), Some(outcome));
        }
        assert_eq!(GoalOutcome::decode(b""), None);
    }
}
