//! Frameworks, given/when/then: CASE parsing and validation (`parsing`, pure) and the
//! fold over a real embedded log (`store`). Packages are the sample fixture of the
//! end-to-end tests, or small ones built here.

use super::*;
use learnlog_projector::test_support::FoldHarness;
use serde_json::{json, Value};
use std::sync::Arc;

mod parsing;
mod store;

/// A realistic package: grade 3 mathematics, 12 items, `isChildOf`, `precedes`, a
/// cross-framework prerequisite and related links.
const SAMPLE: &str = include_str!("../../../../../tests/fixtures/case/grade3-math.json");

const T: &str = "district";

fn sample() -> Value {
    serde_json::from_str(SAMPLE).unwrap()
}

/// The identifier of the sample's item with this human coding scheme.
fn sample_id(code: &str) -> String {
    let package = sample();
    let items = package["CFItems"].as_array().unwrap();
    let item = items
        .iter()
        .find(|item| item["humanCodingScheme"] == json!(code))
        .unwrap_or_else(|| panic!("no item {code}"));
    item["identifier"].as_str().unwrap().to_owned()
}

fn uri(document: &str, code: &str) -> String {
    format!("https://case.example.org/{document}/{code}")
}

fn id(document: &str, code: &str) -> String {
    format!("{document}-{code}")
}

fn node(document: &str, code: &str) -> Value {
    if code == "DOC" {
        return json!({"identifier": document, "uri": uri(document, "doc"), "title": document});
    }
    json!({"identifier": id(document, code), "uri": uri(document, code), "title": code})
}

fn association(index: usize, kind: &str, origin: Value, destination: Value) -> Value {
    json!({
        "identifier": format!("association-{index}"),
        "uri": format!("https://case.example.org/associations/{index}"),
        "associationType": kind,
        "originNodeURI": origin,
        "destinationNodeURI": destination,
        "lastChangeDateTime": "2024-01-01T00:00:00Z",
    })
}

/// A package of document `document` with items named by `codes` (identifier
/// `document-code`), `(child, parent)` isChildOf pairs (parent `DOC` is the document)
/// and `(before, after)` precedes pairs.
fn package(
    document: &str,
    codes: &[&str],
    children: &[(&str, &str)],
    precedes: &[(&str, &str)],
) -> Value {
    let items: Vec<Value> = codes
        .iter()
        .map(|code| {
            json!({
                "identifier": id(document, code),
                "uri": uri(document, code),
                "fullStatement": format!("Statement of {code}"),
                "humanCodingScheme": code,
                "lastChangeDateTime": "2024-01-01T00:00:00Z",
            })
        })
        .collect();
    let mut associations = Vec::new();
    for (child, parent) in children {
        let index = associations.len();
        associations.push(association(
            index,
            "isChildOf",
            node(document, child),
            node(document, parent),
        ));
    }
    for (before, after) in precedes {
        let index = associations.len();
        associations.push(association(
            index,
            "precedes",
            node(document, before),
            node(document, after),
        ));
    }
    json!({
        "CFDocument": {
            "identifier": document,
            "uri": uri(document, "doc"),
            "creator": "tests",
            "title": format!("Framework {document}"),
            "lastChangeDateTime": "2024-01-01T00:00:00Z",
        },
        "CFItems": items,
        "CFAssociations": associations,
    })
}

fn parse(package: &Value) -> Result<CasePackage, CaseError> {
    parse_package(package.to_string().as_bytes())
}

struct Harness {
    fold: FoldHarness,
    reader: FrameworkReader,
}

impl Harness {
    fn new() -> Self {
        let fold = FoldHarness::with_partitions(Arc::new(FrameworkStore), topics::FRAMEWORKS, 1);
        let reader = FrameworkReader::new(&fold.projection).unwrap();
        Self { fold, reader }
    }

    async fn import_bytes(&self, tenant: &str, id: &str, package: Vec<u8>) -> (Kind, String) {
        let event = Event::FrameworkImported(FrameworkImported {
            framework_id: id.into(),
            package_json: package,
        });
        let position = self.fold.append(tenant, id, 1_000, event).await;
        let outcome = FrameworkOutcome::decode(self.fold.outcome(position).as_slice()).unwrap();
        (Kind::try_from(outcome.kind).unwrap(), outcome.message)
    }

    async fn import(&self, tenant: &str, id: &str, package: &Value) -> Kind {
        let (kind, message) = self
            .import_bytes(tenant, id, package.to_string().into_bytes())
            .await;
        assert!(
            matches!(kind, Kind::Created | Kind::Replaced),
            "import of {id} refused: {kind:?} {message}"
        );
        kind
    }

    async fn align(&self, tenant: &str, activity: &str, references: &[&str]) {
        let event = Event::AlignmentSet(AlignmentSet {
            activity_id: activity.into(),
            competency_ids: references.iter().map(|r| r.to_string()).collect(),
        });
        self.fold.append(tenant, activity, 2_000, event).await;
    }

    fn resolve(&self, tenant: &str, reference: &str) -> Option<String> {
        self.reader.resolve(tenant, reference).unwrap()
    }
}
