//! CASE packages built from a plain list of competencies: the frameworks of the
//! decision simulation and of tests. Identifiers are UUID v5 of the package name and
//! each item's code, so the same list always gives the same package.

use serde_json::{json, Value};
use uuid::Uuid;

/// One competency of a synthetic framework.
#[derive(Clone, Debug)]
pub struct SyntheticItem {
    /// Its human coding scheme, unique in the package (`"A"`, `"3.NF.1"`).
    pub code: String,
    pub title: String,
    /// The code of the item it is a child of; `None` for a child of the document.
    pub parent: Option<String>,
    /// Codes of the items that must be mastered first (`precedes` associations).
    pub prerequisites: Vec<String>,
}

const NAMESPACE: Uuid = Uuid::from_u128(0x8a3c_0f5e_2b7d_4c19_a6e4_3d92_51b7_0c8f);

fn id(package: &str, code: &str) -> String {
    Uuid::new_v5(&NAMESPACE, format!("{package}\n{code}").as_bytes()).to_string()
}

fn node(package: &str, code: &str, title: &str) -> Value {
    let identifier = id(package, code);
    json!({
        "identifier": identifier,
        "uri": format!("https://case.example.org/items/{identifier}"),
        "title": title,
    })
}

/// The identifier `code` gets in the package named `package`.
pub fn synthetic_identifier(package: &str, code: &str) -> String {
    id(package, code)
}

/// A CFPackage named `package` holding `items`, with `isChildOf` associations in list
/// order and a `precedes` association per prerequisite.
pub fn synthetic_package(package: &str, items: &[SyntheticItem]) -> Value {
    let document_id = id(package, "");
    let document = json!({
        "identifier": document_id,
        "uri": format!("https://case.example.org/documents/{document_id}"),
        "title": package,
        "creator": "learnlog",
        "lastChangeDateTime": "2025-01-01T00:00:00+00:00",
    });
    let document_node = json!({
        "identifier": document_id,
        "uri": format!("https://case.example.org/documents/{document_id}"),
        "title": package,
    });
    let mut associations = Vec::new();
    let mut association = |kind: &str, origin: Value, destination: Value, sequence: usize| {
        let identifier = id(package, &format!("association {}", associations.len()));
        associations.push(json!({
            "identifier": identifier,
            "uri": format!("https://case.example.org/associations/{identifier}"),
            "associationType": kind,
            "originNodeURI": origin,
            "destinationNodeURI": destination,
            "sequenceNumber": sequence,
            "lastChangeDateTime": "2025-01-01T00:00:00+00:00",
        }));
    };
    let titles: std::collections::HashMap<&str, &str> = items
        .iter()
        .map(|item| (item.code.as_str(), item.title.as_str()))
        .collect();
    let item_node = |code: &str| node(package, code, titles.get(code).copied().unwrap_or(code));
    for (i, item) in items.iter().enumerate() {
        let parent = match &item.parent {
            Some(parent) => item_node(parent),
            None => document_node.clone(),
        };
        association("isChildOf", item_node(&item.code), parent, i + 1);
        for prerequisite in &item.prerequisites {
            association(
                "precedes",
                item_node(prerequisite),
                item_node(&item.code),
                1,
            );
        }
    }
    let cf_items: Vec<Value> = items
        .iter()
        .map(|item| {
            let identifier = id(package, &item.code);
            json!({
                "identifier": identifier,
                "uri": format!("https://case.example.org/items/{identifier}"),
                "fullStatement": item.title,
                "abbreviatedStatement": item.title,
                "humanCodingScheme": item.code,
                "lastChangeDateTime": "2025-01-01T00:00:00+00:00",
            })
        })
        .collect();
    json!({
        "CFDocument": document,
        "CFItems": cf_items,
        "CFAssociations": associations,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frameworks::case::parse_package;

    #[test]
    fn a_synthetic_package_parses_with_its_prerequisites() {
        let item = |code: &str, parent: Option<&str>, prerequisites: &[&str]| SyntheticItem {
            code: code.into(),
            title: format!("Competency {code}"),
            parent: parent.map(str::to_owned),
            prerequisites: prerequisites.iter().map(|p| p.to_string()).collect(),
        };
        let package = synthetic_package(
            "sample",
            &[
                item("U", None, &[]),
                item("A", Some("U"), &[]),
                item("B", Some("U"), &["A"]),
            ],
        );
        let parsed = parse_package(package.to_string().as_bytes()).unwrap();
        assert_eq!(parsed.items.len(), 3);
        assert_eq!(parsed.associations.len(), 4);
        assert_eq!(
            synthetic_package("sample", &[item("A", None, &[])])["CFItems"][0]["identifier"],
            synthetic_identifier("sample", "A")
        );
    }
}
