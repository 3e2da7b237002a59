//! CASE packages: what parses, what each association means, and the rules broken
//! packages are refused by (each error names the JSON path and the rule).

use super::*;

fn error(package: &Value) -> String {
    parse(package)
        .expect_err("the package is refused")
        .to_string()
}

fn competency<'a>(competencies: &'a [Competency], code: &str) -> &'a Competency {
    competencies
        .iter()
        .find(|c| c.human_coding_scheme.as_deref() == Some(code))
        .unwrap_or_else(|| panic!("no competency {code}"))
}

#[test]
fn the_sample_package_parses_with_its_document_and_items() {
    let package = parse(&sample()).unwrap();
    assert_eq!(package.document.title, "Grade 3 Mathematics (sample)");
    assert_eq!(package.document.version.as_deref(), Some("2024.1"));
    assert_eq!(package.document.subject, ["Mathematics"]);
    assert_eq!(package.items.len(), 12);
    assert_eq!(package.associations.len(), 20);
    let competencies = package.competencies("math-3");
    let standard = competency(&competencies, "3.OA.A.1");
    assert_eq!(standard.item_type.as_deref(), Some("Standard"));
    assert_eq!(standard.education_level, ["03"]);
    assert_eq!(standard.framework_id, "math-3");
}

#[test]
fn is_child_of_builds_the_hierarchy_in_sequence_number_order() {
    let package = parse(&sample()).unwrap();
    let framework = package.framework("math-3", 7);
    assert_eq!(framework.roots, [sample_id("3.OA"), sample_id("3.NF")]);
    let competencies = package.competencies("math-3");
    assert_eq!(
        competency(&competencies, "3.OA").children,
        [sample_id("3.OA.A"), sample_id("3.OA.C")]
    );
    assert_eq!(
        competency(&competencies, "3.OA.A").children,
        [
            sample_id("3.OA.A.1"),
            sample_id("3.OA.A.2"),
            sample_id("3.OA.A.3")
        ]
    );
    assert_eq!(
        competency(&competencies, "3.OA.A.2").parents,
        [sample_id("3.OA.A")]
    );
    assert!(competency(&competencies, "3.OA").parents.is_empty());
}

#[test]
fn precedes_makes_the_origin_a_prerequisite_of_the_destination() {
    let competencies = parse(&sample()).unwrap().competencies("math-3");
    let solve = competency(&competencies, "3.OA.A.3");
    assert_eq!(
        solve.prerequisites,
        [sample_id("3.OA.A.1"), sample_id("3.OA.A.2")]
    );
    assert_eq!(solve.dependents, [sample_id("3.OA.C.7")]);
    // A prerequisite in another framework is kept by its identifier.
    let groups = competency(&competencies, "3.OA.A.1");
    assert_eq!(groups.prerequisites.len(), 1);
    assert!(!groups.prerequisites[0].is_empty());
    assert_eq!(groups.dependents, [sample_id("3.OA.A.3")]);
}

#[test]
fn other_association_types_are_related_links_at_both_ends() {
    let competencies = parse(&sample()).unwrap().competencies("math-3");
    let unit_fraction = competency(&competencies, "3.NF.A.1");
    assert_eq!(unit_fraction.related.len(), 1);
    let related = &unit_fraction.related[0];
    assert_eq!(related.association_type, "isRelatedTo");
    assert_eq!(related.direction, Direction::Outgoing);
    assert_eq!(related.identifier, sample_id("3.OA.A.2"));
    let quotients = competency(&competencies, "3.OA.A.2");
    assert_eq!(quotients.related[0].direction, Direction::Incoming);
    assert_eq!(quotients.related[0].identifier, sample_id("3.NF.A.1"));
    let exact = &competency(&competencies, "3.OA.A.1").related[0];
    assert_eq!(exact.association_type, "exactMatchOf");
    assert_eq!(
        exact.uri.as_deref(),
        Some("http://corestandards.org/Math/Content/3/OA/A/1/")
    );
}

#[test]
fn association_types_map_to_relations() {
    assert_eq!(relation("isChildOf"), Relation::ChildOf);
    assert_eq!(relation("precedes"), Relation::Prerequisite);
    assert_eq!(relation("isPrerequisiteOf"), Relation::Prerequisite);
    assert_eq!(relation("ext:isPrerequisiteOf"), Relation::Prerequisite);
    assert_eq!(relation("ext:IsPrerequisiteOf"), Relation::Prerequisite);
    for other in [
        "isRelatedTo",
        "exactMatchOf",
        "isPartOf",
        "exemplar",
        "ext:x",
    ] {
        assert_eq!(relation(other), Relation::Related, "{other}");
    }
}

#[test]
fn is_prerequisite_of_gives_prerequisites_like_precedes() {
    let mut package = package("f", &["A", "B"], &[], &[]);
    package["CFAssociations"] = json!([association(
        0,
        "ext:isPrerequisiteOf",
        node("f", "A"),
        node("f", "B")
    )]);
    let competencies = parse(&package).unwrap().competencies("f");
    assert_eq!(competencies[1].prerequisites, [id("f", "A")]);
    assert_eq!(competencies[0].dependents, [id("f", "B")]);
}

#[test]
fn items_without_a_parent_are_top_level_after_the_children_of_the_document() {
    let package = package("f", &["A", "B", "C"], &[("B", "DOC"), ("C", "A")], &[]);
    let framework = parse(&package).unwrap().framework("f", 0);
    assert_eq!(framework.roots, [id("f", "B"), id("f", "A")]);
}

#[test]
fn optional_fields_may_be_null_and_definitions_are_accepted() {
    let mut package = package("f", &["A"], &[], &[]);
    package["CFItems"][0]["humanCodingScheme"] = Value::Null;
    package["CFItems"][0]["educationLevel"] = json!("09");
    package["CFDocument"]["licenseURI"] = Value::Null;
    package["CFDefinitions"] = json!({"CFItemTypes": []});
    package["CFRubrics"] = json!([]);
    let parsed = parse(&package).unwrap();
    assert_eq!(parsed.items[0].human_coding_scheme, None);
    assert_eq!(parsed.items[0].education_level, ["09"]);
}

#[test]
fn the_item_type_falls_back_to_the_title_of_cf_item_type_uri() {
    let mut package = package("f", &["A"], &[], &[]);
    package["CFItems"][0]["CFItemTypeURI"] =
        json!({"title": "Standard", "identifier": "t", "uri": "https://example.org/t"});
    assert_eq!(
        parse(&package).unwrap().items[0].item_type.as_deref(),
        Some("Standard")
    );
}

#[test]
fn missing_required_fields_are_named_by_their_path() {
    let mut no_title = package("f", &["A"], &[], &[]);
    no_title["CFDocument"]
        .as_object_mut()
        .unwrap()
        .remove("title");
    assert_eq!(error(&no_title), "CFDocument.title: required");

    let mut no_statement = package("f", &["A", "B", "C"], &[], &[]);
    no_statement["CFItems"][2]["fullStatement"] = json!("  ");
    assert_eq!(
        error(&no_statement),
        "CFItems[2].fullStatement: must not be empty"
    );

    let mut no_origin = package("f", &["A", "B"], &[("B", "A")], &[]);
    no_origin["CFAssociations"][0]
        .as_object_mut()
        .unwrap()
        .remove("originNodeURI");
    assert_eq!(
        error(&no_origin),
        "CFAssociations[0].originNodeURI: required"
    );

    assert_eq!(error(&json!({"CFItems": []})), "CFDocument: required");
}

#[test]
fn wrong_types_and_unknown_members_are_refused() {
    let mut package = package("f", &["A"], &[], &[]);
    package["CFItems"][0]["humanCodingScheme"] = json!(3);
    assert_eq!(
        error(&package),
        "CFItems[0].humanCodingScheme: must be a string"
    );
    package["CFItems"] = json!({});
    assert_eq!(error(&package), "CFItems: must be an array");
    package["CFItems"] = json!(["x"]);
    assert_eq!(error(&package), "CFItems[0]: must be an object");
    package["CFItems"] = json!([]);
    package["cfItems"] = json!([]);
    assert!(error(&package).starts_with("cfItems: is not a CFPackage member"));
    assert!(parse_package(b"[1]")
        .unwrap_err()
        .to_string()
        .starts_with("body:"));
    assert!(parse_package(b"{")
        .unwrap_err()
        .to_string()
        .starts_with("body: is not JSON"));
}

#[test]
fn uris_must_be_absolute() {
    let mut package = package("f", &["A"], &[], &[]);
    package["CFItems"][0]["uri"] = json!("items/A");
    assert_eq!(
        error(&package),
        "CFItems[0].uri: \"items/A\" is not an absolute URI"
    );
}

#[test]
fn duplicate_identifiers_and_uris_are_refused() {
    let mut package = package("f", &["A", "B", "C"], &[], &[]);
    package["CFItems"][2]["identifier"] = json!(id("f", "A"));
    assert_eq!(
        error(&package),
        "CFItems[2].identifier: \"f-A\" is also the identifier of CFItems[0]"
    );
    package["CFItems"][2]["identifier"] = json!("f");
    assert_eq!(
        error(&package),
        "CFItems[2].identifier: \"f\" is the identifier of the CFDocument"
    );
    package["CFItems"][2]["identifier"] = json!(id("f", "C"));
    package["CFItems"][2]["uri"] = json!(uri("f", "B"));
    assert!(error(&package).starts_with("CFItems[2].uri: "));

    let mut twice = super::package("f", &["A", "B", "C"], &[("B", "A"), ("C", "A")], &[]);
    twice["CFAssociations"][1]["identifier"] = json!("association-0");
    assert!(error(&twice).starts_with("CFAssociations[1].identifier: "));
}

#[test]
fn nodes_outside_the_package_need_a_uri() {
    let mut package = package("f", &["A"], &[], &[]);
    let outside = json!({"identifier": "g-X", "title": "X"});
    package["CFAssociations"] = json!([association(0, "precedes", outside, node("f", "A"))]);
    assert_eq!(
        error(&package),
        "CFAssociations[0].originNodeURI.uri: required for a node outside this package (\"g-X\" is not a CFItem of it)"
    );
    package["CFAssociations"][0]["originNodeURI"]["uri"] = json!("https://case.example.org/g/X");
    let competencies = parse(&package).unwrap().competencies("f");
    assert_eq!(competencies[0].prerequisites, ["g-X"]);
}

#[test]
fn a_node_of_the_package_may_be_named_by_uri_alone() {
    let mut package = package("f", &["A", "B"], &[], &[]);
    let by_uri = json!({"identifier": "unknown", "uri": uri("f", "A")});
    package["CFAssociations"] = json!([association(0, "isChildOf", node("f", "B"), by_uri)]);
    let competencies = parse(&package).unwrap().competencies("f");
    assert_eq!(competencies[1].parents, [id("f", "A")]);
}

#[test]
fn associations_need_an_end_in_the_package() {
    let mut package = package("f", &["A"], &[], &[]);
    let outside = |code: &str| json!({"identifier": code, "uri": format!("https://elsewhere.example.org/{code}")});
    package["CFAssociations"] = json!([association(0, "isRelatedTo", outside("X"), outside("Y"))]);
    assert_eq!(
        error(&package),
        "CFAssociations[0]: neither end is in this package"
    );
}

#[test]
fn the_hierarchy_stays_inside_the_package() {
    let mut package = package("f", &["A"], &[], &[]);
    let outside = json!({"identifier": "g-X", "uri": "https://case.example.org/g/X"});
    package["CFAssociations"] = json!([association(0, "isChildOf", node("f", "A"), outside)]);
    assert!(error(&package).starts_with(
        "CFAssociations[0].destinationNodeURI: isChildOf: the parent must be a CFItem"
    ));
    package["CFAssociations"] = json!([association(
        0,
        "isChildOf",
        node("f", "DOC"),
        node("f", "A")
    )]);
    assert_eq!(
        error(&package),
        "CFAssociations[0].originNodeURI: isChildOf: the child must be a CFItem of this package"
    );
    package["CFAssociations"] =
        json!([association(0, "isChildOf", node("f", "A"), node("f", "A"))]);
    assert!(error(&package).contains("its own parent"));
    package["CFAssociations"] =
        json!([association(0, "precedes", node("f", "A"), node("f", "DOC"))]);
    assert!(error(&package).contains("not the CFDocument"));
}

#[test]
fn cycles_are_refused_naming_the_items() {
    let hierarchy = package(
        "f",
        &["A", "B", "C"],
        &[("A", "B"), ("B", "C"), ("C", "A")],
        &[],
    );
    let message = error(&hierarchy);
    assert!(message.starts_with("CFAssociations["), "{message}");
    assert!(
        message.contains("isChildOf associations form a cycle (A → B → C → A)"),
        "{message}"
    );
    let prerequisites = package("f", &["A", "B"], &[], &[("A", "B"), ("B", "A")]);
    let message = error(&prerequisites);
    assert_eq!(
        message,
        "CFAssociations[1]: prerequisite associations form a cycle (A → B → A)"
    );
}

#[test]
fn the_hierarchy_is_at_most_max_depth_levels_deep() {
    let codes: Vec<String> = (0..=MAX_DEPTH).map(|level| format!("L{level}")).collect();
    let codes: Vec<&str> = codes.iter().map(String::as_str).collect();
    let chain: Vec<(&str, &str)> = codes.windows(2).map(|pair| (pair[1], pair[0])).collect();
    let message = error(&package("f", &codes, &chain, &[]));
    assert!(
        message.contains(&format!("more than {MAX_DEPTH} levels deep")),
        "{message}"
    );
    assert!(parse(&package(
        "f",
        &codes[..MAX_DEPTH],
        &chain[..MAX_DEPTH - 1],
        &[]
    ))
    .is_ok());
}

#[test]
fn duplicate_edges_are_listed_once() {
    let package = package(
        "f",
        &["A", "B"],
        &[("B", "A"), ("B", "A")],
        &[("A", "B"), ("A", "B")],
    );
    let competencies = parse(&package).unwrap().competencies("f");
    assert_eq!(competencies[0].children, [id("f", "B")]);
    assert_eq!(competencies[1].parents, [id("f", "A")]);
    assert_eq!(competencies[1].prerequisites, [id("f", "A")]);
}
