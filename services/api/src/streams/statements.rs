//! The `statements` stream: each statement stored in the subscriber's tenant (not a
//! duplicate or a conflicting submission), as `GET /xapi/statements` serves it.

use super::Source;
use crate::state::AppState;
use learnlog_log::StoredRecord;
use learnlog_projection::Projection;
use learnlog_proto::topics;
use learnlog_proto::v1::{envelope::Event, Envelope};
use learnlog_proto::Message;
use uuid::Uuid;

/// Which stored statements a subscriber wants.
#[derive(Clone, Debug, Default)]
pub struct StatementFilter {
    pub tenant: String,
    /// Learners whose statements (as actor) pass; `None` passes every actor.
    pub learners: Option<Vec<Uuid>>,
    pub verb: Option<String>,
    pub activity: Option<String>,
}

impl StatementFilter {
    fn passes(&self, statement: &serde_json::Value) -> bool {
        if let Some(verb) = &self.verb {
            if statement["verb"]["id"].as_str() != Some(verb) {
                return false;
            }
        }
        if let Some(activity) = &self.activity {
            let object = &statement["object"];
            let is_activity = object["objectType"]
                .as_str()
                .is_none_or(|t| t == "Activity");
            if !is_activity || object["id"].as_str() != Some(activity) {
                return false;
            }
        }
        if let Some(learners) = &self.learners {
            let actor = learnlog_projector::learners::learner_id(&statement["actor"]);
            if !actor.is_some_and(|id| learners.contains(&id)) {
                return false;
            }
        }
        true
    }
}

/// Stored statements, sent once the statement store has folded them (so a statement
/// seen on the stream can be read).
pub struct StatementSource(pub StatementFilter);

impl Source for StatementSource {
    type Item = super::SseEvent;

    fn topic(&self) -> &'static str {
        topics::STATEMENTS
    }

    fn gates<'a>(&self, state: &'a AppState) -> Vec<&'a Projection> {
        vec![&state.statements]
    }

    fn event(
        &self,
        state: &AppState,
        partition: u32,
        record: &StoredRecord,
    ) -> Option<super::SseEvent> {
        let filter = &self.0;
        let envelope = Envelope::decode(record.value.as_slice()).ok()?;
        if envelope.tenant != filter.tenant {
            return None;
        }
        let Some(Event::StatementSubmitted(submitted)) = envelope.event else {
            return None;
        };
        let id = learnlog_xapi::parse_uuid(&submitted.statement_id)?;
        let stored = state
            .statement_reader
            .get(&filter.tenant, id)
            .ok()
            .flatten()?;
        // the submission stored under its id, not a duplicate or a conflict
        if (stored.partition, stored.offset) != (partition, record.offset) {
            return None;
        }
        let statement: serde_json::Value = serde_json::from_slice(&stored.json).ok()?;
        filter
            .passes(&statement)
            .then_some(("statement", stored.json))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_filter_passes_only_the_verb_activity_and_learners_asked_for() {
        let statement = serde_json::json!({
            "actor": {"mbox": "mailto:ada@example.org"},
            "verb": {"id": "http://adlnet.gov/expapi/verbs/answered"},
            "object": {"id": "https://example.org/q/1"}
        });
        let ada = learnlog_projector::learners::learner_id(&statement["actor"]).unwrap();
        let all = StatementFilter::default();
        assert!(all.passes(&statement));
        let verb = StatementFilter {
            verb: Some("http://adlnet.gov/expapi/verbs/completed".into()),
            ..StatementFilter::default()
        };
        assert!(!verb.passes(&statement));
        let activity = StatementFilter {
            activity: Some("https://example.org/q/1".into()),
            learners: Some(vec![ada]),
            ..StatementFilter::default()
        };
        assert!(activity.passes(&statement));
        let someone_else = StatementFilter {
            learners: Some(vec![Uuid::nil()]),
            ..StatementFilter::default()
        };
        assert!(!someone_else.passes(&statement));
    }
}
