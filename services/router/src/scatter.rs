//! Requests answered by every owner together, and the merge of their answers. Today
//! these are the learners of a competency (`GET /v1/competencies/{c}/learners` and
//! `GET /v1/frameworks/{f}/competencies/{c}/learners`): each projector lists the
//! learners of its partitions; the lists are joined and ordered as one projector
//! would order them (P(mastered) descending, then learner id).

use actix_web::http::Method;
use serde_json::Value;
use std::cmp::Ordering;

/// True when the request needs every owner's answer.
pub(crate) fn is_scatter(method: &Method, path: &str) -> bool {
    if method != Method::GET {
        return false;
    }
    let path = path.split('?').next().unwrap_or(path);
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    matches!(
        segments.as_slice(),
        ["v1", "competencies", _, "learners"]
            | ["v1", "frameworks", _, "competencies", _, "learners"]
    )
}

/// The lists merged by learner rank.
const LISTS: [&str; 2] = ["mastered", "close"];

fn by_rank(a: &Value, b: &Value) -> Ordering {
    let p = |v: &Value| v["p_mastered"].as_f64().unwrap_or(0.0);
    p(b).total_cmp(&p(a))
        .then_with(|| a["learner"].as_str().cmp(&b["learner"].as_str()))
}

/// One answer from the owners' answers (JSON bodies of 200 responses): the first
/// one's fields, with the learner lists of all of them.
pub(crate) fn merge(answers: &[Value]) -> Option<Value> {
    let mut merged = answers.first()?.clone();
    for list in LISTS {
        let mut all: Vec<Value> = answers
            .iter()
            .filter_map(|answer| answer[list].as_array())
            .flatten()
            .cloned()
            .collect();
        all.sort_by(by_rank);
        merged[list] = Value::Array(all);
    }
    Some(merged)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_the_learners_of_a_competency_are_scattered() {
        assert!(is_scatter(&Method::GET, "/v1/competencies/c1/learners"));
        assert!(is_scatter(
            &Method::GET,
            "/v1/frameworks/f/competencies/c1/learners?close=0.5"
        ));
        assert!(!is_scatter(&Method::POST, "/v1/competencies/c1/learners"));
        assert!(!is_scatter(&Method::GET, "/v1/learners/x/mastery"));
        assert!(!is_scatter(&Method::GET, "/xapi/statements"));
    }

    #[test]
    fn answers_merge_in_rank_order() {
        let a = json!({"competency": "c", "close_from": 0.5,
            "mastered": [{"learner": "b", "p_mastered": 0.99}],
            "close": [{"learner": "d", "p_mastered": 0.6}]});
        let b = json!({"competency": "c", "close_from": 0.5,
            "mastered": [{"learner": "a", "p_mastered": 0.99}, {"learner": "c", "p_mastered": 0.97}],
            "close": []});
        let merged = merge(&[a, b]).unwrap();
        let learners = |list: &str| -> Vec<String> {
            merged[list]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v["learner"].as_str().unwrap().to_owned())
                .collect()
        };
        assert_eq!(learners("mastered"), ["a", "b", "c"]);
        assert_eq!(learners("close"), ["d"]);
        assert_eq!(merged["competency"], "c");
        assert_eq!(merge(&[]), None);
    }
}
