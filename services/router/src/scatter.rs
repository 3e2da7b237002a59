//! Requests answered by every owner together, and the merge of their answers. Each
//! projector answers for the learners of its partitions:
//! - the learners of a competency (`GET /v1/competencies/{c}/learners` and
//!   `GET /v1/frameworks/{f}/competencies/{c}/learners`): the lists are joined and
//!   ordered as one projector would order them (P(mastered) descending, then learner id);
//! - a class's mastery grid and decisions (`GET /v1/classes/{id}/mastery`,
//!   `…/decisions`): the member rows are joined, by display name then learner id;
//! - a class's suggested groups (`GET /v1/classes/{id}/groups`): every member's next
//!   objectives (`candidates`) are joined and the groups formed again from all of them
//!   with the same rule, so they equal what one process holding every learner forms.

use actix_web::http::Method;
use learnlog_decisions::{suggest_groups, Competency, Graph, GroupCandidate, Settings};
use serde_json::Value;
use std::cmp::Ordering;

/// What a scattered request asks for, which decides how answers merge.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Scatter {
    CompetencyLearners,
    ClassRows,
    ClassGroups,
}

/// How a request is answered by every owner together, or `None` when one owner answers.
pub(crate) fn scatter_of(method: &Method, path: &str) -> Option<Scatter> {
    if method != Method::GET {
        return None;
    }
    let path = path.split('?').next().unwrap_or(path);
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    match segments.as_slice() {
        ["v1", "competencies", _, "learners"]
        | ["v1", "frameworks", _, "competencies", _, "learners"] => {
            Some(Scatter::CompetencyLearners)
        }
        ["v1", "classes", _, "mastery" | "decisions"] => Some(Scatter::ClassRows),
        ["v1", "classes", _, "groups"] => Some(Scatter::ClassGroups),
        _ => None,
    }
}

/// True when the request needs every owner's answer.
pub(crate) fn is_scatter(method: &Method, path: &str) -> bool {
    scatter_of(method, path).is_some()
}

/// The lists merged by learner rank.
const LISTS: [&str; 2] = ["mastered", "close"];

fn by_rank(a: &Value, b: &Value) -> Ordering {
    let p = |v: &Value| v["p_mastered"].as_f64().unwrap_or(0.0);
    p(b).total_cmp(&p(a))
        .then_with(|| a["learner"].as_str().cmp(&b["learner"].as_str()))
}

fn by_name(a: &Value, b: &Value) -> Ordering {
    let key = |v: &Value| {
        (
            v["display"].as_str().map(str::to_owned),
            v["learner"].as_str().map(str::to_owned),
        )
    };
    key(a).cmp(&key(b))
}

/// Every answer's items of the array field `list`.
fn joined(answers: &[Value], list: &str) -> Vec<Value> {
    answers
        .iter()
        .filter_map(|answer| answer[list].as_array())
        .flatten()
        .cloned()
        .collect()
}

/// One answer from the owners' answers (JSON bodies of 200 responses) to a request
/// for `path`: the first one's fields, with the lists of all of them.
pub(crate) fn merge(path: &str, answers: &[Value]) -> Option<Value> {
    let mut merged = answers.first()?.clone();
    match scatter_of(&Method::GET, path)? {
        Scatter::CompetencyLearners => {
            for list in LISTS {
                let mut all = joined(answers, list);
                all.sort_by(by_rank);
                merged[list] = Value::Array(all);
            }
        }
        Scatter::ClassRows => {
            let mut all = joined(answers, "learners");
            all.sort_by(by_name);
            merged["learners"] = Value::Array(all);
        }
        Scatter::ClassGroups => regroup(&mut merged, answers)?,
    }
    Some(merged)
}

/// Forms a class's groups again from every owner's candidates.
fn regroup(merged: &mut Value, answers: &[Value]) -> Option<()> {
    let mut candidates: Vec<GroupCandidate> = joined(answers, "candidates")
        .into_iter()
        .map(serde_json::from_value)
        .collect::<Result<_, _>>()
        .ok()?;
    candidates.sort_by(|a, b| a.learner.cmp(&b.learner));
    let graph = Graph::new(
        merged["competencies"]
            .as_array()?
            .iter()
            .map(|c| Competency {
                id: c["competency"].as_str().unwrap_or_default().to_owned(),
                title: c["title"].as_str().unwrap_or_default().to_owned(),
                prerequisites: Vec::new(),
                children: Vec::new(),
            })
            .collect(),
    );
    let settings = Settings {
        group_min: usize::try_from(merged["group_min"].as_u64()?).ok()?,
        group_max: usize::try_from(merged["group_max"].as_u64()?).ok()?,
        ..Settings::default()
    };
    let groups = suggest_groups(&candidates, &graph, &settings);
    merged["groups"] = serde_json::to_value(&groups.groups).ok()?;
    merged["ungrouped"] = serde_json::to_value(&groups.ungrouped).ok()?;
    merged["candidates"] = serde_json::to_value(&candidates).ok()?;
    Some(())
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
        assert!(is_scatter(&Method::GET, "/v1/classes/5a/mastery?at=x"));
        assert!(is_scatter(&Method::GET, "/v1/classes/5a/groups"));
        assert!(!is_scatter(&Method::GET, "/v1/classes/5a"));
        assert!(!is_scatter(&Method::PUT, "/v1/classes/5a/decisions"));
    }

    #[test]
    fn class_rows_join_by_name_and_groups_form_from_every_owners_candidates() {
        let a = json!({"class": "5a", "learners": [{"learner": "l2", "display": "Bo"}]});
        let b = json!({"class": "5a", "learners": [{"learner": "l1", "display": "Al"}, {"learner": "l3", "display": "Cy"}]});
        let rows = merge("/v1/classes/5a/decisions", &[a, b]).unwrap();
        let names: Vec<&str> = rows["learners"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["display"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["Al", "Bo", "Cy"]);

        let part = |learners: &[&str]| {
            let candidates: Vec<Value> = learners
                .iter()
                .map(|l| json!({"learner": l, "objectives": ["f"]}))
                .collect();
            json!({"class": "5a", "groups": [], "ungrouped": learners, "candidates": candidates,
                "competencies": [{"competency": "f", "title": "Fractions"}], "group_min": 3, "group_max": 6})
        };
        // neither owner alone has three learners for a group; together they do
        let merged = merge(
            "/v1/classes/5a/groups",
            &[part(&["l1", "l2"]), part(&["l3", "l4"])],
        )
        .unwrap();
        assert_eq!(
            merged["groups"][0]["learners"],
            json!(["l1", "l2", "l3", "l4"])
        );
        assert_eq!(merged["groups"][0]["title"], "Fractions");
        assert_eq!(merged["ungrouped"], json!([]));
    }

    #[test]
    fn answers_merge_in_rank_order() {
        let a = json!({"competency": "c", "close_from": 0.5,
            "mastered": [{"learner": "b", "p_mastered": 0.99}],
            "close": [{"learner": "d", "p_mastered": 0.6}]});
        let b = json!({"competency": "c", "close_from": 0.5,
            "mastered": [{"learner": "a", "p_mastered": 0.99}, {"learner": "c", "p_mastered": 0.97}],
            "close": []});
        let merged = merge("/v1/competencies/c/learners", &[a, b]).unwrap();
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
        assert_eq!(merge("/v1/competencies/c/learners", &[]), None);
    }
}
