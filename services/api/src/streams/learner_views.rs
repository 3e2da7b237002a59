//! The `mastery`, `profiles` and `decisions` streams: for each `learner-events` record
//! that changes a learner's view, the view as `GET /v1/learners/{id}/…` answers it
//! once the projections it is read from have folded the record.
//!
//! An event's data is `{"learner": id, "view": …}`; `view` is `null` when the view has
//! gone (every statement behind it voided). The data is the view when the event is
//! sent, not as of the record: a subscriber replaying from `start` sees today's view once
//! per change. Re-published statements (the repartitioner delivers at least once) may
//! send a view twice; positions never repeat.

use super::Source;
use crate::routes::{decisions, learners, mastery};
use crate::state::AppState;
use learnlog_log::StoredRecord;
use learnlog_projection::Projection;
use learnlog_proto::topics;
use learnlog_proto::v1::{envelope::Event, Envelope};
use learnlog_proto::Message;
use serde::Serialize;
use uuid::Uuid;

/// A per-learner view a subscriber follows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LearnerView {
    Mastery,
    Profiles,
    Decisions,
}

impl LearnerView {
    /// The event name of the stream.
    fn event_name(self) -> &'static str {
        match self {
            LearnerView::Mastery => "mastery",
            LearnerView::Profiles => "profile",
            LearnerView::Decisions => "decisions",
        }
    }
}

/// Which changes a subscriber wants.
#[derive(Clone, Debug, Default)]
pub struct LearnerFilter {
    pub tenant: String,
    /// Learners whose views pass; `None` passes everyone.
    pub learners: Option<Vec<Uuid>>,
    /// Only changes from evidence, choices, goals or actions on this competency.
    pub competency: Option<String>,
    /// Only changes from statements with this verb.
    pub verb: Option<String>,
}

/// What a record says for the views: whose, and on what.
struct Change<'a> {
    learner: &'a str,
    competencies: Vec<&'a str>,
    verb: Option<&'a str>,
}

impl LearnerFilter {
    fn passes(&self, learner: Uuid, change: &Change<'_>) -> bool {
        self.learners
            .as_ref()
            .is_none_or(|learners| learners.contains(&learner))
            && self
                .competency
                .as_deref()
                .is_none_or(|c| change.competencies.contains(&c))
            && self.verb.as_deref().is_none_or(|v| change.verb == Some(v))
    }
}

/// A learner view's changes for one subscriber.
pub struct LearnerViewSource {
    pub view: LearnerView,
    pub filter: LearnerFilter,
    /// The partition of the one learner followed, when the filter names one.
    pub partition: Option<u32>,
}

/// The record's change to `view`, when it changes it.
fn change(view: LearnerView, event: &Event) -> Option<Change<'_>> {
    let (learner, competencies, verb) = match event {
        Event::LearnerStatement(s) => {
            if view == LearnerView::Mastery && s.competency_ids.is_empty() {
                return None;
            }
            let competencies = s.competency_ids.iter().map(String::as_str).collect();
            (&s.learner_id, competencies, Some(s.verb_id.as_str()))
        }
        Event::LearnerStatementVoided(v) => (&v.learner_id, Vec::new(), None),
        Event::GoalSet(g) if view != LearnerView::Mastery => {
            (&g.learner_id, vec![g.competency_id.as_str()], None)
        }
        Event::GoalRemoved(g) if view != LearnerView::Mastery => (&g.learner_id, Vec::new(), None),
        Event::ObjectiveChosen(c) if view == LearnerView::Decisions => {
            (&c.learner_id, vec![c.competency_id.as_str()], None)
        }
        Event::InterventionActed(a) if view == LearnerView::Decisions => {
            (&a.learner_id, vec![a.competency_id.as_str()], None)
        }
        _ => return None,
    };
    Some(Change {
        learner,
        competencies,
        verb,
    })
}

#[derive(Serialize)]
struct Changed<T> {
    learner: Uuid,
    view: Option<T>,
}

fn data<T: Serialize>(learner: Uuid, view: Option<T>) -> Option<Vec<u8>> {
    serde_json::to_vec(&Changed { learner, view }).ok()
}

impl Source for LearnerViewSource {
    type Item = super::SseEvent;

    fn topic(&self) -> &'static str {
        topics::LEARNER_EVENTS
    }

    fn gates<'a>(&self, state: &'a AppState) -> Vec<&'a Projection> {
        match self.view {
            LearnerView::Mastery => vec![&state.mastery],
            LearnerView::Profiles => vec![&state.profiles, &state.mastery],
            LearnerView::Decisions => vec![&state.decisions, &state.mastery, &state.profiles],
        }
    }

    fn partitions(&self) -> Option<Vec<u32>> {
        self.partition.map(|partition| vec![partition])
    }

    fn event(
        &self,
        state: &AppState,
        _partition: u32,
        record: &StoredRecord,
    ) -> Option<super::SseEvent> {
        let envelope = Envelope::decode(record.value.as_slice()).ok()?;
        if envelope.tenant != self.filter.tenant {
            return None;
        }
        let change = change(self.view, envelope.event.as_ref()?)?;
        let learner = learnlog_xapi::parse_uuid(change.learner)?;
        if !self.filter.passes(learner, &change) {
            return None;
        }
        let tenant = &self.filter.tenant;
        let now = chrono::Utc::now().timestamp_micros();
        let data = match self.view {
            LearnerView::Mastery => data(
                learner,
                mastery::learner_mastery(state, tenant, learner, now).ok()?,
            ),
            LearnerView::Profiles => data(
                learner,
                learners::learner_profile(state, tenant, learner).ok()?,
            ),
            LearnerView::Decisions => {
                let view = decisions::learner_decisions(state, tenant, learner, now, None).ok()?;
                data(learner, Some(view))
            }
        }?;
        Some((self.view.event_name(), data))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use learnlog_proto::v1::{LearnerStatement, ObjectiveChosen};

    fn statement(competencies: &[&str]) -> Event {
        Event::LearnerStatement(LearnerStatement {
            learner_id: Uuid::nil().to_string(),
            verb_id: "http://adlnet.gov/expapi/verbs/answered".into(),
            competency_ids: competencies.iter().map(|c| c.to_string()).collect(),
            ..LearnerStatement::default()
        })
    }

    #[test]
    fn each_view_changes_with_the_records_it_is_read_from() {
        let unaligned = statement(&[]);
        let chosen = Event::ObjectiveChosen(ObjectiveChosen {
            learner_id: Uuid::nil().to_string(),
            competency_id: "c1".into(),
        });
        assert!(change(LearnerView::Mastery, &unaligned).is_none());
        assert!(change(LearnerView::Profiles, &unaligned).is_some());
        assert!(change(LearnerView::Mastery, &chosen).is_none());
        assert!(change(LearnerView::Profiles, &chosen).is_none());
        assert!(change(LearnerView::Decisions, &chosen).is_some());
    }

    #[test]
    fn the_filter_passes_the_learner_competency_and_verb_asked_for() {
        let aligned = statement(&["c1", "c2"]);
        let change = change(LearnerView::Mastery, &aligned).unwrap();
        let on = |competency: &str, verb: &str| LearnerFilter {
            learners: Some(vec![Uuid::nil()]),
            competency: Some(competency.into()),
            verb: Some(verb.into()),
            ..LearnerFilter::default()
        };
        assert!(on("c2", "http://adlnet.gov/expapi/verbs/answered").passes(Uuid::nil(), &change));
        assert!(!on("c3", "http://adlnet.gov/expapi/verbs/answered").passes(Uuid::nil(), &change));
        assert!(!on("c1", "http://adlnet.gov/expapi/verbs/completed").passes(Uuid::nil(), &change));
        assert!(!LearnerFilter {
            learners: Some(vec![Uuid::max()]),
            ..LearnerFilter::default()
        }
        .passes(Uuid::nil(), &change));
    }
}
