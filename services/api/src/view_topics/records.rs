//! What a `learner-events` record publishes on a view topic: the records (key, JSON
//! value, or a tombstone) that bring the topic's view of the record's learner up to
//! date. Keys are JSON arrays, `[tenant, learner]` or `[tenant, learner, competency]`.
//!
//! - `mastery`: `[tenant, learner]` → the learner's model, ability and responses, and
//!   `[tenant, learner, competency]` → one competency as `GET …/mastery` shows it,
//!   without `p_mastered` (P(mastered) after forgetting, which depends on when it is
//!   read; `p_mastered_at_last_evidence` does not). A statement publishes the
//!   competencies it is evidence on, or all of the learner's when it was folded late
//!   (before the learner's latest evidence, so the learner was folded again); a voiding
//!   publishes all, and a tombstone for each competency left without evidence (and for
//!   `[tenant, learner]` when nothing is left).
//! - `profiles`, `decisions`: `[tenant, learner]` → the view as `GET …/profile` and
//!   `GET …/decisions` answer it when published (a tombstone when the profile is gone).
//!
//! Values are read when the record is published, not as of the record, like the streams.

use crate::routes::{decisions, learners, mastery};
use crate::state::AppState;
use crate::streams::Source;
use learnlog_log::{Record, StoredRecord};
use learnlog_projection::Projection;
use learnlog_proto::topics;
use learnlog_proto::v1::{envelope::Event, Envelope};
use learnlog_proto::Message;
use serde_json::{json, Value};
use uuid::Uuid;

/// A view published on its own compacted topic.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PublishedView {
    Mastery,
    Profiles,
    Decisions,
}

impl PublishedView {
    pub const ALL: [PublishedView; 3] = [Self::Mastery, Self::Profiles, Self::Decisions];

    pub fn name(self) -> &'static str {
        match self {
            Self::Mastery => "mastery",
            Self::Profiles => "profiles",
            Self::Decisions => "decisions",
        }
    }

    /// The compacted topic the view is published on.
    pub fn topic(self) -> &'static str {
        match self {
            Self::Mastery => "learnlog.view.mastery",
            Self::Profiles => "learnlog.view.profiles",
            Self::Decisions => "learnlog.view.decisions",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|view| view.name() == name)
    }
}

/// The records one view publishes for the owned partitions of `learner-events`.
pub struct ViewRecords {
    pub view: PublishedView,
    pub partitions: Vec<u32>,
}

fn key(parts: &[&str]) -> Vec<u8> {
    serde_json::to_vec(parts).unwrap_or_default()
}

fn put(parts: &[&str], value: &Value) -> Record {
    Record {
        key: key(parts),
        value: serde_json::to_vec(value).unwrap_or_default(),
    }
}

fn tombstone(parts: &[&str]) -> Record {
    Record {
        key: key(parts),
        value: Vec::new(),
    }
}

/// What a record says about a learner: who, and for statements, the competencies it is
/// evidence on and when it happened; `None` for a voiding.
struct Touched<'a> {
    learner: &'a str,
    statement: Option<(&'a [String], i64)>,
}

fn touched(view: PublishedView, event: &Event) -> Option<Touched<'_>> {
    let (learner, statement) = match event {
        Event::LearnerStatement(s) => {
            if view == PublishedView::Mastery && s.competency_ids.is_empty() {
                return None;
            }
            (
                &s.learner_id,
                Some((&s.competency_ids[..], s.timestamp_micros)),
            )
        }
        Event::LearnerStatementVoided(v) => (&v.learner_id, None),
        Event::GoalSet(g) if view != PublishedView::Mastery => (&g.learner_id, None),
        Event::GoalRemoved(g) if view != PublishedView::Mastery => (&g.learner_id, None),
        Event::ObjectiveChosen(c) if view == PublishedView::Decisions => (&c.learner_id, None),
        Event::InterventionActed(a) if view == PublishedView::Decisions => (&a.learner_id, None),
        _ => return None,
    };
    Some(Touched { learner, statement })
}

/// The mastery records of `learner` after a change.
fn mastery_records(
    state: &AppState,
    tenant: &str,
    learner: Uuid,
    statement: Option<(&[String], i64)>,
) -> Option<Vec<Record>> {
    let id = learner.to_string();
    let now = chrono::Utc::now().timestamp_micros();
    let mut records = Vec::new();
    if statement.is_none() {
        for competency in state
            .mastery_reader
            .removed_competencies(tenant, learner)
            .ok()?
        {
            records.push(tombstone(&[tenant, &id, &competency]));
        }
    }
    let Some(view) = state.mastery_reader.learner(tenant, learner, now).ok()? else {
        records.push(tombstone(&[tenant, &id]));
        return Some(records);
    };
    let summary = json!({
        "tenant": tenant, "learner": id, "model": view.record.model_id,
        "ability": view.record.state.ability, "responses": view.record.state.responses,
    });
    records.push(put(&[tenant, &id], &summary));
    let only: Option<&[String]> = match statement {
        // folded in place: only its competencies changed
        Some((competencies, at)) if at >= view.record.last_timestamp_micros => Some(competencies),
        _ => None,
    };
    for competency in &view.competencies {
        if only.is_some_and(|only| !only.contains(&competency.competency)) {
            continue;
        }
        let mut value = serde_json::to_value(mastery::competency_view(competency)).ok()?;
        let fields = value.as_object_mut()?;
        fields.remove("p_mastered");
        fields.insert("tenant".into(), json!(tenant));
        fields.insert("learner".into(), json!(id));
        records.push(put(&[tenant, &id, &competency.competency], &value));
    }
    Some(records)
}

impl Source for ViewRecords {
    type Item = Vec<Record>;

    fn topic(&self) -> &'static str {
        topics::LEARNER_EVENTS
    }

    fn gates<'a>(&self, state: &'a AppState) -> Vec<&'a Projection> {
        match self.view {
            PublishedView::Mastery => vec![&state.mastery],
            PublishedView::Profiles => vec![&state.profiles, &state.mastery],
            PublishedView::Decisions => vec![&state.decisions, &state.mastery, &state.profiles],
        }
    }

    fn partitions(&self) -> Option<Vec<u32>> {
        Some(self.partitions.clone())
    }

    /// The publisher gathers [`super::GATHER`] of changes per append: reading them as
    /// they come would only wake the follower once per learner event.
    fn gather(&self) -> std::time::Duration {
        super::GATHER
    }

    fn event(
        &self,
        state: &AppState,
        _partition: u32,
        record: &StoredRecord,
    ) -> Option<Vec<Record>> {
        let envelope = Envelope::decode(record.value.as_slice()).ok()?;
        let tenant = envelope.tenant.as_str();
        let touched = touched(self.view, envelope.event.as_ref()?)?;
        let learner = learnlog_xapi::parse_uuid(touched.learner)?;
        let id = learner.to_string();
        let now = chrono::Utc::now().timestamp_micros();
        match self.view {
            PublishedView::Mastery => mastery_records(state, tenant, learner, touched.statement),
            PublishedView::Profiles => {
                Some(vec![
                    match learners::learner_profile(state, tenant, learner).ok()? {
                        Some(profile) => put(&[tenant, &id], &serde_json::to_value(profile).ok()?),
                        None => tombstone(&[tenant, &id]),
                    },
                ])
            }
            PublishedView::Decisions => {
                let view = decisions::learner_decisions(state, tenant, learner, now, None).ok()?;
                Some(vec![put(&[tenant, &id], &serde_json::to_value(view).ok()?)])
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use learnlog_proto::v1::{LearnerStatement, ObjectiveChosen};

    #[test]
    fn each_view_is_published_for_the_records_it_is_read_from() {
        let unaligned = Event::LearnerStatement(LearnerStatement::default());
        let chosen = Event::ObjectiveChosen(ObjectiveChosen::default());
        assert!(touched(PublishedView::Mastery, &unaligned).is_none());
        assert!(touched(PublishedView::Profiles, &unaligned).is_some());
        assert!(touched(PublishedView::Mastery, &chosen).is_none());
        assert!(touched(PublishedView::Decisions, &chosen).is_some());
        for view in PublishedView::ALL {
            assert_eq!(PublishedView::parse(view.name()), Some(view));
        }
    }

    #[test]
    fn a_publishers_follower_lets_learner_events_gather() {
        let source = ViewRecords {
            view: PublishedView::Mastery,
            partitions: vec![0],
        };
        assert!(super::super::GATHER > std::time::Duration::ZERO);
        assert_eq!(source.gather(), super::super::GATHER);
    }

    #[test]
    fn keys_are_json_arrays_and_a_tombstone_has_no_value() {
        let record = tombstone(&["district", "a/b", "c\"1"]);
        let parts: Vec<String> = serde_json::from_slice(&record.key).unwrap();
        assert_eq!(parts, ["district", "a/b", "c\"1"]);
        assert!(record.value.is_empty());
    }
}
