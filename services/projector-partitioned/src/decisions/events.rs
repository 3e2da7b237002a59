//! Building the events the decisions projection folds, checked field by field.

use super::record::wire_action;
use learnlog_decisions::Action;
use learnlog_projector::learners::learner_envelope;
use learnlog_projector::{Error, Result};
use learnlog_proto::v1::{envelope::Event, Envelope, InterventionActed, ObjectiveChosen};
use uuid::Uuid;

/// Longest note or name accepted on an intervention action, in characters.
pub const MAX_NOTE_CHARS: usize = 2_000;

/// The `ObjectiveChosen` envelope of `learner` choosing `competency`.
pub fn objective_chosen(
    tenant: &str,
    learner: Uuid,
    competency: &str,
    produced_at_micros: i64,
) -> Result<Envelope> {
    if competency.is_empty() || competency.contains('\0') || competency.chars().count() > 512 {
        return Err(Error::Invalid(
            "competency: must be a competency id of 1 to 512 characters".into(),
        ));
    }
    let chosen = ObjectiveChosen {
        learner_id: learner.to_string(),
        competency_id: competency.to_owned(),
    };
    Ok(learner_envelope(
        tenant,
        learner,
        produced_at_micros,
        Event::ObjectiveChosen(chosen),
    ))
}

/// A teacher's action on an intervention, with the learner's state on its competency
/// at the time.
#[derive(Clone, Debug)]
pub struct InterventionRequest {
    pub intervention: String,
    pub action: Action,
    pub note: String,
    pub by: String,
    pub competency: Option<String>,
    pub opportunities: u32,
    pub p_mastered: f64,
}

/// The `InterventionActed` envelope of a teacher's action about `learner`.
pub fn intervention_acted(
    tenant: &str,
    learner: Uuid,
    request: &InterventionRequest,
    produced_at_micros: i64,
) -> Result<Envelope> {
    for (name, text) in [("note", &request.note), ("by", &request.by)] {
        if text.chars().count() > MAX_NOTE_CHARS {
            return Err(Error::Invalid(format!(
                "{name}: longer than {MAX_NOTE_CHARS} characters"
            )));
        }
    }
    let acted = InterventionActed {
        learner_id: learner.to_string(),
        intervention_id: request.intervention.clone(),
        action: wire_action(request.action) as i32,
        note: request.note.clone(),
        by: request.by.clone(),
        competency_id: request.competency.clone().unwrap_or_default(),
        opportunities: request.opportunities,
        p_mastered: request.p_mastered,
    };
    Ok(learner_envelope(
        tenant,
        learner,
        produced_at_micros,
        Event::InterventionActed(acted),
    ))
}
