//! Learning modalities and how a statement's is derived.
//!
//! In order: the activity type (a table of well-known xAPI activity-type IRIs, then
//! words in the type's last path segment), then the profile the statement declares in
//! its `category` context activities (the xAPI video, audio and virtual-classroom
//! profiles), then the verb. What none of them places is [`Modality::Other`].
//! Containers (course, module, cmi5 block) are deliberately `other`: they say where
//! the learner was, not how they learned.

use serde::Serialize;
use utoipa::ToSchema;

/// How a learner engaged with an activity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Modality {
    /// Watching or listening: video, audio, podcasts, other media.
    Video,
    /// Reading: lessons, pages, documents, books, slides, files and links.
    Reading,
    /// Practice and assessment: questions, interactions, quizzes, assignments.
    Practice,
    /// Simulations, scenarios and serious games.
    Simulation,
    /// Learning with others: discussions, chats, forums, meetings, webinars, tutoring.
    GroupWork,
    /// Anything not placed above.
    Other,
}

impl Modality {
    /// Every modality, in the order profiles list them.
    pub const ALL: [Modality; 6] = [
        Modality::Video,
        Modality::Reading,
        Modality::Practice,
        Modality::Simulation,
        Modality::GroupWork,
        Modality::Other,
    ];

    /// The name used in JSON.
    pub fn name(self) -> &'static str {
        match self {
            Modality::Video => "video",
            Modality::Reading => "reading",
            Modality::Practice => "practice",
            Modality::Simulation => "simulation",
            Modality::GroupWork => "group_work",
            Modality::Other => "other",
        }
    }

    /// The position in [`Modality::ALL`] (and in stored per-modality counters).
    pub fn index(self) -> usize {
        match self {
            Modality::Video => 0,
            Modality::Reading => 1,
            Modality::Practice => 2,
            Modality::Simulation => 3,
            Modality::GroupWork => 4,
            Modality::Other => 5,
        }
    }
}

use Modality::{GroupWork, Practice, Reading, Simulation, Video};

/// Activity types of the ADL vocabulary, the xAPI video and audio profiles, Activity
/// Streams, the Tin Can registry (`id.tincanapi.com`), AcrossX and the
/// virtual-classroom profile.
const ACTIVITY_TYPES: &[(&str, Modality)] = &[
    // ADL vocabulary
    ("http://adlnet.gov/expapi/activities/media", Video),
    ("http://adlnet.gov/expapi/activities/lesson", Reading),
    ("http://adlnet.gov/expapi/activities/file", Reading),
    ("http://adlnet.gov/expapi/activities/link", Reading),
    ("http://adlnet.gov/expapi/activities/assessment", Practice),
    ("http://adlnet.gov/expapi/activities/interaction", Practice),
    (
        "http://adlnet.gov/expapi/activities/cmi.interaction",
        Practice,
    ),
    ("http://adlnet.gov/expapi/activities/question", Practice),
    ("http://adlnet.gov/expapi/activities/performance", Practice),
    ("http://adlnet.gov/expapi/activities/simulation", Simulation),
    ("http://adlnet.gov/expapi/activities/meeting", GroupWork),
    // xAPI profiles
    ("https://w3id.org/xapi/video/activity-type/video", Video),
    ("https://w3id.org/xapi/audio/activity-type/audio", Video),
    (
        "https://w3id.org/xapi/virtual-classroom/activity-types/virtual-classroom",
        GroupWork,
    ),
    ("https://w3id.org/xapi/acrossx/activities/webpage", Reading),
    (
        "https://w3id.org/xapi/acrossx/activities/message",
        GroupWork,
    ),
    (
        "https://w3id.org/xapi/acrossx/activities/online-discussion",
        GroupWork,
    ),
    // Activity Streams
    ("http://activitystrea.ms/schema/1.0/video", Video),
    ("http://activitystrea.ms/schema/1.0/audio", Video),
    ("http://activitystrea.ms/schema/1.0/article", Reading),
    ("http://activitystrea.ms/schema/1.0/file", Reading),
    ("http://activitystrea.ms/file", Reading),
    ("http://activitystrea.ms/schema/1.0/question", Practice),
    // Tin Can registry
    ("http://id.tincanapi.com/activitytype/book", Reading),
    ("http://id.tincanapi.com/activitytype/chapter", Reading),
    ("http://id.tincanapi.com/activitytype/document", Reading),
    ("http://id.tincanapi.com/activitytype/paragraph", Reading),
    ("http://id.tincanapi.com/activitytype/slide", Reading),
    ("http://id.tincanapi.com/activitytype/slide-deck", Reading),
    ("http://id.tincanapi.com/activitytype/blog", Reading),
    ("http://id.tincanapi.com/activitytype/essay", Practice),
    (
        "http://id.tincanapi.com/activitytype/school-assignment",
        Practice,
    ),
    ("http://id.tincanapi.com/activitytype/scenario", Simulation),
    ("http://id.tincanapi.com/activitytype/discussion", GroupWork),
    (
        "http://id.tincanapi.com/activitytype/chat-channel",
        GroupWork,
    ),
    (
        "http://id.tincanapi.com/activitytype/chat-message",
        GroupWork,
    ),
    (
        "http://id.tincanapi.com/activitytype/forum-topic",
        GroupWork,
    ),
    (
        "http://id.tincanapi.com/activitytype/forum-reply",
        GroupWork,
    ),
    ("http://id.tincanapi.com/activitytype/webinar", GroupWork),
    ("http://id.tincanapi.com/activitytype/conference", GroupWork),
    (
        "http://id.tincanapi.com/activitytype/conference-session",
        GroupWork,
    ),
    (
        "http://id.tincanapi.com/activitytype/tutor-session",
        GroupWork,
    ),
];

/// Words of an unknown activity type's last path segment, for types coined by tools.
const TYPE_WORDS: &[(&str, Modality)] = &[
    ("video", Video),
    ("audio", Video),
    ("podcast", Video),
    ("media", Video),
    ("movie", Video),
    ("reading", Reading),
    ("book", Reading),
    ("chapter", Reading),
    ("article", Reading),
    ("document", Reading),
    ("page", Reading),
    ("webpage", Reading),
    ("text", Reading),
    ("pdf", Reading),
    ("slide", Reading),
    ("slides", Reading),
    ("lesson", Reading),
    ("assessment", Practice),
    ("quiz", Practice),
    ("question", Practice),
    ("exercise", Practice),
    ("practice", Practice),
    ("test", Practice),
    ("exam", Practice),
    ("interaction", Practice),
    ("problem", Practice),
    ("assignment", Practice),
    ("homework", Practice),
    ("simulation", Simulation),
    ("simulator", Simulation),
    ("scenario", Simulation),
    ("game", Simulation),
    ("discussion", GroupWork),
    ("forum", GroupWork),
    ("chat", GroupWork),
    ("meeting", GroupWork),
    ("webinar", GroupWork),
    ("classroom", GroupWork),
    ("conference", GroupWork),
    ("group", GroupWork),
    ("collaboration", GroupWork),
];

/// Category ids (xAPI profile ids) that place a statement.
const PROFILE_CATEGORIES: &[(&str, Modality)] = &[
    ("https://w3id.org/xapi/video", Video),
    ("https://w3id.org/xapi/audio", Video),
    ("https://w3id.org/xapi/virtual-classroom", GroupWork),
];

/// Verbs that place a statement whose activity type does not.
const VERBS: &[(&str, Modality)] = &[
    ("https://w3id.org/xapi/video/verbs/played", Video),
    ("https://w3id.org/xapi/video/verbs/paused", Video),
    ("https://w3id.org/xapi/video/verbs/seeked", Video),
    ("http://activitystrea.ms/schema/1.0/watch", Video),
    ("http://activitystrea.ms/schema/1.0/listen", Video),
    ("https://w3id.org/xapi/adb/verbs/watched", Video),
    ("https://w3id.org/xapi/acrossx/verbs/watched", Video),
    ("http://activitystrea.ms/schema/1.0/read", Reading),
    ("http://adlnet.gov/expapi/verbs/answered", Practice),
    ("http://adlnet.gov/expapi/verbs/responded", Practice),
    ("http://adlnet.gov/expapi/verbs/commented", GroupWork),
    ("http://adlnet.gov/expapi/verbs/asked", GroupWork),
    ("http://adlnet.gov/expapi/verbs/attended", GroupWork),
    ("http://id.tincanapi.com/verb/replied", GroupWork),
    ("http://id.tincanapi.com/verb/talked-with", GroupWork),
    ("https://w3id.org/xapi/acrossx/verbs/posted", GroupWork),
];

fn lookup(table: &[(&str, Modality)], key: &str) -> Option<Modality> {
    table
        .iter()
        .find(|(known, _)| *known == key)
        .map(|(_, modality)| *modality)
}

/// The modality of an activity type alone, or `None` when it does not say.
pub fn modality_of_type(activity_type: &str) -> Option<Modality> {
    if activity_type.is_empty() {
        return None;
    }
    if let Some(modality) = lookup(ACTIVITY_TYPES, activity_type) {
        return Some(modality);
    }
    let path = activity_type.split(['?', '#']).next().unwrap_or_default();
    let segment = path.trim_end_matches('/').rsplit('/').next()?;
    segment
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|word| !word.is_empty())
        .find_map(|word| lookup(TYPE_WORDS, &word.to_ascii_lowercase()))
}

/// The modality of a statement: by activity type, then profile category, then verb.
pub fn modality_of(activity_type: &str, category_ids: &[String], verb_id: &str) -> Modality {
    modality_of_type(activity_type)
        .or_else(|| {
            category_ids.iter().find_map(|category| {
                PROFILE_CATEGORIES
                    .iter()
                    .find(|(profile, _)| {
                        category
                            .strip_prefix(profile)
                            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
                    })
                    .map(|(_, modality)| *modality)
            })
        })
        .or_else(|| lookup(VERBS, verb_id))
        .unwrap_or(Modality::Other)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(activity_type: &str) -> Modality {
        modality_of(
            activity_type,
            &[],
            "http://adlnet.gov/expapi/verbs/experienced",
        )
    }

    #[test]
    fn well_known_activity_types_have_their_modality() {
        assert_eq!(of("https://w3id.org/xapi/video/activity-type/video"), Video);
        assert_eq!(of("http://adlnet.gov/expapi/activities/lesson"), Reading);
        assert_eq!(
            of("http://adlnet.gov/expapi/activities/cmi.interaction"),
            Practice
        );
        assert_eq!(
            of("http://adlnet.gov/expapi/activities/simulation"),
            Simulation
        );
        assert_eq!(
            of("http://id.tincanapi.com/activitytype/chat-channel"),
            GroupWork
        );
        assert_eq!(
            of("http://adlnet.gov/expapi/activities/course"),
            Modality::Other
        );
    }

    #[test]
    fn unknown_types_are_placed_by_the_words_of_their_last_segment() {
        assert_eq!(
            of("https://tool.example.org/types/Interactive-Video"),
            Video
        );
        assert_eq!(of("https://tool.example.org/types/quiz#v2"), Practice);
        assert_eq!(
            of("https://w3id.org/xapi/seriousgames/activity-types/serious-game"),
            Simulation
        );
        assert_eq!(
            of("https://tool.example.org/video/types/unit"),
            Modality::Other
        );
    }

    #[test]
    fn without_a_telling_type_the_profile_category_then_the_verb_decide() {
        let video_profile = vec!["https://w3id.org/xapi/video/v1.0.3".to_owned()];
        assert_eq!(
            modality_of(
                "",
                &video_profile,
                "http://adlnet.gov/expapi/verbs/completed"
            ),
            Video
        );
        assert_eq!(
            modality_of("", &[], "http://adlnet.gov/expapi/verbs/answered"),
            Practice
        );
        assert_eq!(
            modality_of("", &[], "http://adlnet.gov/expapi/verbs/commented"),
            GroupWork
        );
        // the type wins over the verb
        assert_eq!(
            modality_of(
                "http://adlnet.gov/expapi/activities/lesson",
                &[],
                "http://adlnet.gov/expapi/verbs/answered"
            ),
            Reading
        );
        assert_eq!(
            modality_of("", &[], "http://adlnet.gov/expapi/verbs/launched"),
            Modality::Other
        );
    }
}
