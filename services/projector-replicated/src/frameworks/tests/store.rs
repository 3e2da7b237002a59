//! The frameworks fold: imports, re-imports, conflicts, alignments, resolution,
//! tenants and replay.

use super::*;
use std::time::Duration;

fn codes(nodes: &[TreeNode]) -> Vec<String> {
    nodes
        .iter()
        .map(|node| node.human_coding_scheme.clone().unwrap_or_default())
        .collect()
}

#[tokio::test]
async fn an_import_stores_the_framework_and_its_competency_tree() {
    let store = Harness::new();
    assert_eq!(store.import(T, "math-3", &sample()).await, Kind::Created);
    let listed = store.reader.list(T).unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].id, "math-3");
    assert_eq!(listed[0].document.title, "Grade 3 Mathematics (sample)");
    assert_eq!(listed[0].items.len(), 12);
    assert_eq!(listed[0].imported_micros, 1_000);

    let framework = store.reader.framework(T, "math-3").unwrap().unwrap();
    let tree = store.reader.tree(T, &framework).unwrap();
    assert_eq!(codes(&tree), ["3.OA", "3.NF"]);
    assert_eq!(codes(&tree[0].children), ["3.OA.A", "3.OA.C"]);
    assert_eq!(
        codes(&tree[0].children[0].children),
        ["3.OA.A.1", "3.OA.A.2", "3.OA.A.3"]
    );
    assert_eq!(codes(&tree[1].children[0].children).len(), 3);
    let solve = &tree[0].children[0].children[2];
    assert_eq!(
        solve.prerequisites,
        [sample_id("3.OA.A.1"), sample_id("3.OA.A.2")]
    );

    let competency = store
        .reader
        .competency(T, &sample_id("3.OA.C.7"))
        .unwrap()
        .unwrap();
    assert_eq!(competency.framework_id, "math-3");
    assert_eq!(competency.parents, [sample_id("3.OA.C")]);
    assert_eq!(competency.prerequisites, [sample_id("3.OA.A.3")]);
    assert_eq!(
        store
            .reader
            .prerequisites(T, &sample_id("3.NF.A.3"))
            .unwrap(),
        [sample_id("3.NF.A.2")]
    );
    assert!(store.reader.prerequisites(T, "unknown").unwrap().is_empty());
}

#[tokio::test]
async fn references_resolve_by_identifier_and_by_uri() {
    let store = Harness::new();
    store.import(T, "math-3", &sample()).await;
    let identifier = sample_id("3.NF.A.2");
    let item_uri = format!("https://case.example.org/ims/case/v1p0/CFItems/{identifier}");
    assert_eq!(store.resolve(T, &identifier), Some(identifier.clone()));
    assert_eq!(store.resolve(T, &item_uri), Some(identifier));
    assert_eq!(
        store.resolve(T, "https://example.org/not-a-competency"),
        None
    );
    // The document is not a competency.
    let document = sample()["CFDocument"]["identifier"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(store.resolve(T, &document), None);
}

#[tokio::test]
async fn a_tree_shows_the_children_of_an_item_with_two_parents_once() {
    let store = Harness::new();
    let package = package(
        "f",
        &["A", "B", "C", "D"],
        &[("C", "A"), ("C", "B"), ("D", "C")],
        &[],
    );
    store.import(T, "f", &package).await;
    let framework = store.reader.framework(T, "f").unwrap().unwrap();
    let tree = store.reader.tree(T, &framework).unwrap();
    assert_eq!(codes(&tree), ["A", "B"]);
    assert_eq!(codes(&tree[0].children[0].children), ["D"]);
    assert!(!tree[0].children[0].repeated);
    assert!(tree[1].children[0].repeated);
    assert!(tree[1].children[0].children.is_empty());
}

#[tokio::test]
async fn re_importing_replaces_the_framework_and_drops_missing_items() {
    let store = Harness::new();
    let first = package(
        "f",
        &["A", "B", "C"],
        &[("B", "A"), ("C", "A")],
        &[("B", "C")],
    );
    store.import(T, "f", &first).await;
    let mut second = package("f", &["A", "B", "D"], &[("B", "A"), ("D", "A")], &[]);
    second["CFItems"][1]["uri"] = json!("https://case.example.org/f/B-moved");
    assert_eq!(store.import(T, "f", &second).await, Kind::Replaced);

    assert_eq!(store.reader.competency(T, &id("f", "C")).unwrap(), None);
    assert_eq!(store.resolve(T, &uri("f", "C")), None);
    assert_eq!(
        store.resolve(T, &uri("f", "B")),
        None,
        "the old uri is gone"
    );
    assert_eq!(
        store.resolve(T, "https://case.example.org/f/B-moved"),
        Some(id("f", "B"))
    );
    assert_eq!(store.resolve(T, &uri("f", "D")), Some(id("f", "D")));
    let b = store.reader.competency(T, &id("f", "B")).unwrap().unwrap();
    assert!(
        b.dependents.is_empty(),
        "links come from the new package only"
    );
    let framework = store.reader.framework(T, "f").unwrap().unwrap();
    assert_eq!(framework.items, [id("f", "A"), id("f", "B"), id("f", "D")]);
    assert_eq!(store.reader.list(T).unwrap().len(), 1);
}

#[tokio::test]
async fn items_of_another_framework_conflict_and_change_nothing() {
    let store = Harness::new();
    store
        .import(T, "first", &package("f", &["A", "B"], &[("B", "A")], &[]))
        .await;
    let (kind, message) = store
        .import_bytes(
            T,
            "second",
            package("f", &["B"], &[], &[]).to_string().into_bytes(),
        )
        .await;
    assert_eq!(kind, Kind::Conflict);
    assert_eq!(
        message,
        "CFItems[0].identifier: \"f-B\" is a competency of framework first"
    );

    let mut same_uri = package("g", &["X"], &[], &[]);
    same_uri["CFItems"][0]["uri"] = json!(uri("f", "A"));
    let (kind, message) = store
        .import_bytes(T, "second", same_uri.to_string().into_bytes())
        .await;
    assert_eq!(kind, Kind::Conflict);
    assert!(message.starts_with("CFItems[0].uri: "), "{message}");
    assert!(message.ends_with("of framework first"), "{message}");

    assert_eq!(store.reader.framework(T, "second").unwrap(), None);
    assert_eq!(store.resolve(T, &uri("f", "A")), Some(id("f", "A")));
    let b = store.reader.competency(T, &id("f", "B")).unwrap().unwrap();
    assert_eq!(b.framework_id, "first");
}

#[tokio::test]
async fn an_invalid_package_on_the_log_is_rejected_by_the_fold() {
    let store = Harness::new();
    let (kind, message) = store
        .import_bytes(T, "f", br#"{"CFDocument": {"identifier": "x"}}"#.to_vec())
        .await;
    assert_eq!(kind, Kind::Rejected);
    assert_eq!(message, "CFDocument.uri: required");
    let (kind, message) = store
        .import_bytes(
            T,
            "bad/id",
            package("f", &[], &[], &[]).to_string().into_bytes(),
        )
        .await;
    assert_eq!(kind, Kind::Rejected);
    assert!(message.starts_with("framework id: "));
    assert!(store.reader.list(T).unwrap().is_empty());
}

#[tokio::test]
async fn alignments_are_set_resolved_when_read_and_removed() {
    let store = Harness::new();
    let activity = "https://lms.example.org/activities/fractions-quiz";
    // Aligned before the framework exists: references are kept as given.
    store
        .align(
            T,
            activity,
            &[&uri("f", "A"), "direct:reading", &id("f", "A")],
        )
        .await;
    assert_eq!(
        store.reader.alignment(T, activity).unwrap(),
        [uri("f", "A"), "direct:reading".into(), id("f", "A")]
    );
    store.import(T, "f", &package("f", &["A"], &[], &[])).await;
    assert_eq!(
        store.reader.alignment(T, activity).unwrap(),
        [id("f", "A"), "direct:reading".into()]
    );
    assert_eq!(
        store.reader.alignment_references(T, activity).unwrap(),
        Some(vec![uri("f", "A"), "direct:reading".into(), id("f", "A")])
    );

    store.align(T, activity, &[]).await;
    assert!(store.reader.alignment(T, activity).unwrap().is_empty());
    assert_eq!(
        store.reader.alignment_references(T, activity).unwrap(),
        None
    );
}

#[tokio::test]
async fn tenants_do_not_see_each_other() {
    let store = Harness::new();
    let package = package("f", &["A"], &[], &[]);
    store.import("a", "f", &package).await;
    store.align("a", "https://example.org/act", &["f-A"]).await;
    assert!(store.reader.list("b").unwrap().is_empty());
    assert_eq!(store.reader.framework("b", "f").unwrap(), None);
    assert_eq!(store.resolve("b", "f-A"), None);
    assert_eq!(store.resolve("b", &uri("f", "A")), None);
    assert!(store
        .reader
        .alignment("b", "https://example.org/act")
        .unwrap()
        .is_empty());
    // The same package in another tenant is no conflict.
    assert_eq!(store.import("b", "other-id", &package).await, Kind::Created);
    assert_eq!(
        store
            .reader
            .competency("a", "f-A")
            .unwrap()
            .unwrap()
            .framework_id,
        "f"
    );
}

#[tokio::test]
async fn replaying_the_log_from_zero_gives_the_same_trees() {
    let store = Harness::new();
    store.import(T, "math-3", &sample()).await;
    store
        .import(T, "f", &package("f", &["A", "B"], &[("B", "A")], &[]))
        .await;
    store
        .import(T, "f", &package("f", &["A", "C"], &[("C", "A")], &[]))
        .await;
    store
        .import_bytes(
            T,
            "g",
            package("f", &["A"], &[], &[]).to_string().into_bytes(),
        )
        .await;
    store
        .align(T, "https://example.org/act", &["f-A", "x"])
        .await;
    store.align(T, "https://example.org/other", &["f-C"]).await;
    store.align(T, "https://example.org/other", &[]).await;
    let replayed = store.fold.replay("replay");
    replayed.catch_up(Duration::from_secs(10)).await.unwrap();
    assert_eq!(
        replayed.digest().unwrap(),
        store.fold.projection.digest().unwrap()
    );
}
