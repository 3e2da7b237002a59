//! What the decisions projection keeps per learner and per catalog entry.

use learnlog_decisions::Action;
use learnlog_proto::v1::intervention_acted::Action as WireAction;
use serde::{Deserialize, Serialize};

/// Most choices kept per learner (the latest per competency).
pub const MAX_CHOICES: usize = 20;
/// Most teacher actions kept per learner.
pub const MAX_ACTIONS: usize = 100;

/// A learner's choice of an objective.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChoiceRecord {
    pub competency: String,
    pub at: i64,
}

/// A teacher's action on an intervention.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InterventionRecord {
    pub intervention: String,
    pub action: Action,
    pub at: i64,
    pub by: String,
    pub note: String,
    pub competency: String,
    pub opportunities: u32,
    pub p_mastered: f64,
}

/// Everything the projection keeps about one learner.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DecisionRecord {
    /// Oldest first; one per competency (the latest).
    pub choices: Vec<ChoiceRecord>,
    /// Oldest first.
    pub actions: Vec<InterventionRecord>,
}

pub(crate) fn action_of(action: WireAction) -> Option<Action> {
    match action {
        WireAction::Unspecified => None,
        WireAction::Acknowledged => Some(Action::Acknowledged),
        WireAction::Acted => Some(Action::Acted),
        WireAction::Dismissed => Some(Action::Dismissed),
    }
}

/// The wire form of an action.
pub(crate) fn wire_action(action: Action) -> WireAction {
    match action {
        Action::Acknowledged => WireAction::Acknowledged,
        Action::Acted => WireAction::Acted,
        Action::Dismissed => WireAction::Dismissed,
    }
}

fn push_capped<T>(list: &mut Vec<T>, item: T, cap: usize) {
    list.push(item);
    if list.len() > cap {
        list.remove(0);
    }
}

impl DecisionRecord {
    pub(crate) fn choose(&mut self, competency: &str, at: i64) {
        self.choices.retain(|c| c.competency != competency);
        let choice = ChoiceRecord {
            competency: competency.to_owned(),
            at,
        };
        push_capped(&mut self.choices, choice, MAX_CHOICES);
    }

    pub(crate) fn act(&mut self, action: InterventionRecord) {
        push_capped(&mut self.actions, action, MAX_ACTIONS);
    }
}
