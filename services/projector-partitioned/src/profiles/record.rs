//! What the profile fold keeps per learner (besides goals and visited activities), and
//! how one statement changes it. Pure: no trees, no clock.

use super::days::ActiveDays;
use learnlog_projector::days::Day;
use learnlog_projector::modality::{modality_of, Modality};
use learnlog_proto::v1::LearnerStatement;
use serde::{Deserialize, Serialize};

/// Activity types kept per learner.
pub const MAX_ACTIVITY_TYPES: usize = 64;
/// Category ids kept per learner.
pub const MAX_CATEGORIES: usize = 128;
/// Longest duration one statement adds to time on task: a day.
pub const MAX_DURATION_MILLIS: u64 = 24 * 3_600 * 1_000;

/// Verbs that mean the learner finished what they were doing.
const FINISHING_VERBS: [&str; 3] = [
    "http://adlnet.gov/expapi/verbs/completed",
    "http://adlnet.gov/expapi/verbs/passed",
    "http://adlnet.gov/expapi/verbs/mastered",
];

/// How often a learner chose, finished and came back to something.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Interest {
    pub id: String,
    pub chosen: u64,
    pub finished: u64,
    pub returned: u64,
    pub last_day: Day,
}

/// Statements and time per modality.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ModalityTotals {
    pub statements: u64,
    pub duration_millis: u64,
}

/// The folded facts about one learner, stored as JSON under the learner's key.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct LearnerRecord {
    pub statements: u64,
    pub finished: u64,
    pub statements_with_duration: u64,
    pub duration_millis: u64,
    pub modalities: [ModalityTotals; 6],
    pub days: ActiveDays,
    pub activity_types: Vec<Interest>,
    pub categories: Vec<Interest>,
}

/// What one statement tells about the learner, as the fold decided it.
pub(crate) struct Observation<'a> {
    pub statement: &'a LearnerStatement,
    /// The UTC day the learner acted on.
    pub day: Day,
    /// True when it came back to the statement's activity on another day.
    pub returned: bool,
}

/// True when the statement says the learner finished its object.
pub fn is_finishing(statement: &LearnerStatement) -> bool {
    FINISHING_VERBS.contains(&statement.verb_id.as_str())
        || statement.completion == Some(true)
        || statement.success == Some(true)
}

/// The time on task a statement reports, capped at a day; none when absent or negative.
pub fn duration_of(statement: &LearnerStatement) -> Option<u64> {
    statement
        .duration_millis
        .and_then(|millis| u64::try_from(millis).ok())
        .map(|millis| millis.min(MAX_DURATION_MILLIS))
}

impl LearnerRecord {
    /// Folds one statement.
    pub fn observe(&mut self, observation: &Observation<'_>) {
        let statement = observation.statement;
        let finished = is_finishing(statement);
        let duration = duration_of(statement);
        self.statements += 1;
        self.finished += u64::from(finished);
        if let Some(millis) = duration {
            self.statements_with_duration += 1;
            self.duration_millis = self.duration_millis.saturating_add(millis);
        }
        let modality = modality_of(
            &statement.activity_type,
            &statement.category_ids,
            &statement.verb_id,
        );
        let totals = &mut self.modalities[modality.index()];
        totals.statements += 1;
        totals.duration_millis = totals.duration_millis.saturating_add(duration.unwrap_or(0));
        self.days.record(observation.day, duration.unwrap_or(0));

        let note = |interests: &mut Vec<Interest>, id: &str, cap: usize| {
            note_interest(
                interests,
                id,
                cap,
                observation.day,
                finished,
                observation.returned,
            )
        };
        if !statement.activity_type.is_empty() {
            note(
                &mut self.activity_types,
                &statement.activity_type,
                MAX_ACTIVITY_TYPES,
            );
        }
        let mut categories: Vec<&str> = statement.category_ids.iter().map(String::as_str).collect();
        categories.sort_unstable();
        categories.dedup();
        for category in categories.into_iter().filter(|c| !c.is_empty()) {
            note(&mut self.categories, category, MAX_CATEGORIES);
        }
    }

    /// Totals of one modality.
    pub fn modality(&self, modality: Modality) -> ModalityTotals {
        self.modalities[modality.index()]
    }
}

/// Counts a choice of `id`. A full list first drops the entry chosen least often
/// (then the one chosen longest ago, then the greatest id).
fn note_interest(
    interests: &mut Vec<Interest>,
    id: &str,
    cap: usize,
    day: Day,
    finished: bool,
    returned: bool,
) {
    let at = match interests.iter().position(|interest| interest.id == id) {
        Some(at) => at,
        None => {
            if interests.len() >= cap {
                let weakest = interests
                    .iter()
                    .enumerate()
                    .min_by(|(_, a), (_, b)| {
                        (a.chosen, a.last_day)
                            .cmp(&(b.chosen, b.last_day))
                            .then_with(|| b.id.cmp(&a.id))
                    })
                    .map(|(at, _)| at)
                    .expect("a full list has entries");
                interests.remove(weakest);
            }
            interests.push(Interest {
                id: id.to_owned(),
                last_day: day,
                ..Interest::default()
            });
            interests.len() - 1
        }
    };
    let interest = &mut interests[at];
    interest.chosen += 1;
    interest.finished += u64::from(finished);
    interest.returned += u64::from(returned);
    interest.last_day = interest.last_day.max(day);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn statement(activity_type: &str, verb: &str) -> LearnerStatement {
        LearnerStatement {
            verb_id: verb.into(),
            activity_type: activity_type.into(),
            ..LearnerStatement::default()
        }
    }

    #[test]
    fn finishing_is_a_finishing_verb_or_completion_or_success() {
        assert!(is_finishing(&statement("", FINISHING_VERBS[1])));
        let mut answered = statement("", "http://adlnet.gov/expapi/verbs/answered");
        assert!(!is_finishing(&answered));
        answered.success = Some(false);
        assert!(!is_finishing(&answered));
        answered.completion = Some(true);
        assert!(is_finishing(&answered));
    }

    #[test]
    fn durations_are_capped_at_a_day_and_negative_ones_ignored() {
        let mut s = statement("", "");
        s.duration_millis = Some(-5);
        assert_eq!(duration_of(&s), None);
        s.duration_millis = Some(i64::MAX);
        assert_eq!(duration_of(&s), Some(MAX_DURATION_MILLIS));
    }

    #[test]
    fn a_full_interest_list_drops_the_one_chosen_least() {
        let mut interests = Vec::new();
        for (id, times) in [("a", 3), ("b", 1), ("c", 2)] {
            for _ in 0..times {
                note_interest(&mut interests, id, 3, 5, false, false);
            }
        }
        note_interest(&mut interests, "d", 3, 6, true, false);
        let ids: Vec<&str> = interests.iter().map(|i| i.id.as_str()).collect();
        assert_eq!(ids, ["a", "c", "d"]);
        assert_eq!(interests[2].finished, 1);
    }
}
