//! The forwardings projection folded from a real embedded log.

use super::*;
use learnlog_projector::test_support::FoldHarness;
use std::sync::Arc;

const T: &str = "district";

fn forwarding(id: &str, url: &str) -> Forwarding {
    Forwarding {
        id: id.into(),
        target: Target {
            kind: TargetKind::Xapi,
            url: url.into(),
            auth: Some(TargetAuth::Basic {
                username: "k".into(),
                password: "s".into(),
            }),
        },
        filter: ForwardingFilter {
            verb: Some("http://adlnet.gov/expapi/verbs/completed".into()),
            ..ForwardingFilter::default()
        },
        start: vec![0, 0],
        created_micros: 1,
        updated_micros: 0,
    }
}

#[tokio::test]
async fn definitions_are_created_replaced_and_removed_per_tenant() {
    let harness = FoldHarness::with_partitions(Arc::new(ForwardingStore), topics::FORWARDINGS, 1);
    let reader = ForwardingReader::new(&harness.projection).unwrap();
    let event = |f: &Forwarding, at| forwarding_set(T, f, at).unwrap().event.unwrap();
    let outcome = |bytes: Vec<u8>| ForwardingOutcome::decode(&bytes);

    let first = forwarding("lrs-1", "http://127.0.0.1:9/xapi");
    let at = harness.append(T, "lrs-1", 5, event(&first, 5)).await;
    assert_eq!(
        outcome(harness.outcome(at)),
        Some(ForwardingOutcome::Created)
    );
    let stored = reader.get(T, "lrs-1").unwrap().unwrap();
    assert_eq!(stored.target, first.target);
    assert_eq!(stored.updated_micros, 5);
    assert!(reader.get("other", "lrs-1").unwrap().is_none());

    let moved = forwarding("lrs-1", "https://lrs.example.org/xapi");
    let at = harness.append(T, "lrs-1", 6, event(&moved, 6)).await;
    assert_eq!(
        outcome(harness.outcome(at)),
        Some(ForwardingOutcome::Replaced)
    );
    assert_eq!(reader.list(T).unwrap().len(), 1);
    let all = reader.all().unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].0, T);
    assert_eq!(all[0].1.target.url, "https://lrs.example.org/xapi");

    let removed = forwarding_removed(T, "lrs-1", 7).unwrap().event.unwrap();
    let at = harness.append(T, "lrs-1", 7, removed.clone()).await;
    assert_eq!(
        outcome(harness.outcome(at)),
        Some(ForwardingOutcome::Removed)
    );
    assert!(reader.list(T).unwrap().is_empty());
    let at = harness.append(T, "lrs-1", 8, removed).await;
    assert_eq!(
        outcome(harness.outcome(at)),
        Some(ForwardingOutcome::NotFound)
    );
}

#[test]
fn only_http_targets_with_a_host_and_plain_ids_are_accepted() {
    let ok = forwarding("a.b-c_1", "http://127.0.0.1:8080/xapi");
    assert!(forwarding_set(T, &ok, 1).is_ok());
    for url in ["ftp://x/", "http://", "https:///path", "http://a b/"] {
        let bad = forwarding("a", url);
        assert!(forwarding_set(T, &bad, 1).is_err(), "{url} accepted");
    }
    assert!(forwarding_set(T, &forwarding("a/b", "http://x/"), 1).is_err());
    assert!(forwarding_removed(T, "", 1).is_err());
}
