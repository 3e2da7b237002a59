//! The facts of a stored statement that learner projections fold: a pure function
//! from the statement's JSON to a [`LearnerStatement`] (without its competencies,
//! which [`crate::resolve`] adds).

use learnlog_projector::learners::learner_id;
use learnlog_proto::v1::LearnerStatement;
use serde_json::Value;

/// The learner events of one statement: none when its actor is not an identified
/// Agent (groups are not learners here) or when it voids another statement.
pub fn learner_statement(statement: &Value) -> Option<LearnerStatement> {
    let actor = statement.get("actor")?;
    if actor.get("objectType").and_then(Value::as_str) == Some("Group") {
        return None;
    }
    let verb_id = statement.pointer("/verb/id")?.as_str()?;
    if verb_id == learnlog_xapi::VOIDED_VERB {
        return None;
    }
    let learner = learner_id(actor)?;
    let object = statement.get("object")?;
    let is_activity = object
        .get("objectType")
        .and_then(Value::as_str)
        .is_none_or(|kind| kind == "Activity");
    let (activity_id, activity_type) = if is_activity {
        let text = |pointer: &str| object.pointer(pointer).and_then(Value::as_str);
        (
            text("/id").unwrap_or_default().to_owned(),
            text("/definition/type").unwrap_or_default().to_owned(),
        )
    } else {
        (String::new(), String::new())
    };
    let result = statement.get("result");
    let at = |pointer: &str| result.and_then(|r| r.pointer(pointer));
    let micros = |field: &str| {
        statement
            .get(field)
            .and_then(Value::as_str)
            .and_then(|text| learnlog_xapi::parse_timestamp(text).ok())
            .map(|t| t.timestamp_micros())
    };
    Some(LearnerStatement {
        learner_id: learner.to_string(),
        statement_id: statement.get("id")?.as_str()?.to_owned(),
        verb_id: verb_id.to_owned(),
        activity_id,
        activity_type,
        category_ids: category_ids(statement),
        success: at("/success").and_then(Value::as_bool),
        score_scaled: at("/score/scaled").and_then(Value::as_f64),
        completion: at("/completion").and_then(Value::as_bool),
        duration_millis: at("/duration")
            .and_then(Value::as_str)
            .and_then(learnlog_xapi::duration_millis),
        timestamp_micros: micros("timestamp").or_else(|| micros("stored"))?,
        stored_micros: micros("stored").unwrap_or_default(),
        registration: statement
            .pointer("/context/registration")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        ..LearnerStatement::default()
    })
}

/// `context.contextActivities.category` ids (an object or an array of them).
fn category_ids(statement: &Value) -> Vec<String> {
    let Some(category) = statement.pointer("/context/contextActivities/category") else {
        return Vec::new();
    };
    let entries: Vec<&Value> = match category {
        Value::Array(entries) => entries.iter().collect(),
        single => vec![single],
    };
    entries
        .into_iter()
        .filter_map(|entry| entry.get("id")?.as_str().map(str::to_owned))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn statement() -> Value {
        json!({
            "id": "6690e6c9-3ef0-4ed3-8b37-7f3964730bee",
            "actor": {"objectType": "Agent", "mbox": "mailto:ann@example.org", "name": "Ann"},
            "verb": {"id": "http://adlnet.gov/expapi/verbs/answered"},
            "object": {"id": "https://example.org/items/7", "definition": {
                "type": "http://adlnet.gov/expapi/activities/cmi.interaction"}},
            "result": {"success": true, "score": {"scaled": 0.75}, "completion": true,
                       "duration": "PT1M30S"},
            "context": {"registration": "ec531277-b57b-4c15-8d91-d292c5b2b8f7",
                        "contextActivities": {"category": [{"id": "https://case.example.org/items/F.1"}]}},
            "timestamp": "2025-01-27T18:15:58Z",
            "stored": "2025-01-27T18:16:00.123Z"
        })
    }

    #[test]
    fn the_facts_of_a_scored_statement() {
        let facts = learner_statement(&statement()).unwrap();
        assert_eq!(
            facts.learner_id,
            learner_id(&json!({"mbox": "mailto:ann@example.org"}))
                .unwrap()
                .to_string()
        );
        assert_eq!(facts.statement_id, "6690e6c9-3ef0-4ed3-8b37-7f3964730bee");
        assert_eq!(facts.activity_id, "https://example.org/items/7");
        assert_eq!(
            facts.activity_type,
            "http://adlnet.gov/expapi/activities/cmi.interaction"
        );
        assert_eq!(facts.category_ids, ["https://case.example.org/items/F.1"]);
        assert_eq!(facts.success, Some(true));
        assert_eq!(facts.score_scaled, Some(0.75));
        assert_eq!(facts.completion, Some(true));
        assert_eq!(facts.duration_millis, Some(90_000));
        assert_eq!(facts.timestamp_micros, 1_738_001_758_000_000);
        assert_eq!(facts.stored_micros, 1_738_001_760_123_000);
        assert_eq!(facts.registration, "ec531277-b57b-4c15-8d91-d292c5b2b8f7");
    }

    #[test]
    fn groups_voiding_and_agent_objects_are_handled() {
        let mut group = statement();
        group["actor"] = json!({"objectType": "Group", "mbox": "mailto:team@example.org"});
        assert!(learner_statement(&group).is_none());

        let mut voiding = statement();
        voiding["verb"] = json!({"id": learnlog_xapi::VOIDED_VERB});
        assert!(learner_statement(&voiding).is_none());

        let mut about_agent = statement();
        about_agent["object"] = json!({"objectType": "Agent", "mbox": "mailto:bob@example.org"});
        let facts = learner_statement(&about_agent).unwrap();
        assert_eq!(facts.activity_id, "");

        let mut single_category = statement();
        single_category["context"]["contextActivities"]["category"] =
            json!({"id": "https://x.org/c"});
        assert_eq!(
            learner_statement(&single_category).unwrap().category_ids,
            ["https://x.org/c"]
        );
    }
}
