//! The secondary indexes and the query engine, folded from a real embedded log,
//! given/when/then.

use super::*;
use learnlog_projector::test_support::FoldHarness;
use learnlog_proto::v1::{StatementSubmitted, StatementVoided};
use std::time::Duration;

const V: &str = "http://example.org/verbs/attempted";
const T: &str = "t";

struct Store {
    fold: FoldHarness,
    reader: StatementReader,
    _keys_dir: tempfile::TempDir,
}

impl Store {
    fn new() -> Self {
        let (fold, reader, keys_dir) = running_store();
        Self {
            fold,
            reader,
            _keys_dir: keys_dir,
        }
    }

    async fn append(&self, key: Uuid, event: Event) {
        self.fold
            .append(T, &key.to_string(), 1_700_000_000_000_000, event)
            .await;
    }

    /// Stores a statement at `stored` = `second` seconds.
    async fn put(&self, second: i64, json: serde_json::Value) -> Uuid {
        self.put_at(second * 1_000_000, json).await
    }

    /// Stores a statement at `stored` = `micros`.
    async fn put_at(&self, micros: i64, json: serde_json::Value) -> Uuid {
        let id = Uuid::parse_str(json["id"].as_str().unwrap()).unwrap();
        if let Some(target) = learnlog_xapi::voided_target(&json) {
            let claim = Event::StatementVoided(StatementVoided {
                target_statement_id: target.to_string(),
                voiding_statement_id: id.to_string(),
            });
            self.append(target, claim).await;
        }
        let event = Event::StatementSubmitted(StatementSubmitted {
            statement_id: id.to_string(),
            statement_json: json.to_string().into_bytes(),
            stored_micros: micros,
            xapi_version: "2.0.0".into(),
            ..StatementSubmitted::default()
        });
        self.append(id, event).await;
        id
    }

    fn query(&self, query: &StatementQuery) -> Vec<Uuid> {
        self.page(query, None).0
    }

    /// Every page of `query`, one after the other.
    fn every_page(&self, query: &StatementQuery) -> Vec<Uuid> {
        let (mut seen, mut more) = self.page(query, None);
        while more.is_some() {
            let (page, next) = self.page(query, more);
            seen.extend(page);
            more = next;
        }
        seen
    }

    fn page(
        &self,
        query: &StatementQuery,
        after: Option<StorePosition>,
    ) -> (Vec<Uuid>, Option<StorePosition>) {
        let bound = self.reader.newest(T).unwrap().unwrap();
        let page = self.reader.query(T, query, after, bound).unwrap();
        let ids = page.statements.iter().map(|s| id_of(&s.json)).collect();
        (ids, page.more)
    }
}

fn id_of(json: &[u8]) -> Uuid {
    let value: serde_json::Value = serde_json::from_slice(json).unwrap();
    learnlog_xapi::statement_id(&value).unwrap()
}

fn agent(name: &str) -> serde_json::Value {
    serde_json::json!({"mbox": format!("mailto:{name}@example.org")})
}

fn key(name: &str) -> Option<String> {
    Some(format!("mbox:mailto:{name}@example.org"))
}

fn did(actor: &str, verb: &str, activity: &str) -> serde_json::Value {
    serde_json::json!({
        "id": Uuid::new_v4().to_string(),
        "actor": agent(actor),
        "verb": {"id": verb},
        "object": {"id": activity},
    })
}

fn referring(actor: &str, verb: &str, target: Uuid) -> serde_json::Value {
    serde_json::json!({
        "id": Uuid::new_v4().to_string(),
        "actor": agent(actor),
        "verb": {"id": verb},
        "object": {"objectType": "StatementRef", "id": target.to_string()},
    })
}

fn verb(verb: &str) -> StatementQuery {
    StatementQuery {
        verb: Some(verb.into()),
        ..StatementQuery::default()
    }
}

#[tokio::test]
async fn verb_filter_returns_the_ref_statement_and_the_voiding_statement_never_the_voided() {
    let store = Store::new();
    let s1 = store.put(1, did("a", V, "http://example.org/x")).await;
    let s2 = store
        .put(2, referring("t", learnlog_xapi::VOIDED_VERB, s1))
        .await;
    let s3 = store.put(3, referring("b", V, s1)).await;

    assert_eq!(store.query(&verb(V)), vec![s3, s2]);
    let first = StatementQuery {
        limit: 1,
        ..verb(V)
    };
    let (page, more) = store.page(&first, None);
    assert_eq!(page, vec![s3]);
    assert!(more.is_some(), "a second page exists");
    let (page, more) = store.page(&first, more);
    assert_eq!((page, more), (vec![s2], None));
}

#[tokio::test]
async fn a_ref_statement_stored_before_its_target_matches_once_the_target_arrives() {
    let store = Store::new();
    let target = did("a", V, "http://example.org/x");
    let target_id = Uuid::parse_str(target["id"].as_str().unwrap()).unwrap();
    let via = store
        .put(
            1,
            referring("b", "http://example.org/verbs/liked", target_id),
        )
        .await;
    let via_via = store
        .put(2, referring("c", "http://example.org/verbs/shared", via))
        .await;
    assert_eq!(store.query(&verb(V)), Vec::<Uuid>::new());

    store.put(3, target).await;
    assert_eq!(store.query(&verb(V)), vec![target_id, via_via, via]);
    let by_activity = StatementQuery {
        activity: Some("http://example.org/x".into()),
        ..StatementQuery::default()
    };
    assert_eq!(store.query(&by_activity), vec![target_id, via_via, via]);
}

#[tokio::test]
async fn replaying_the_log_from_zero_gives_the_same_trees() {
    let store = Store::new();
    let target = did("a", V, "http://example.org/x");
    let target_id = Uuid::parse_str(target["id"].as_str().unwrap()).unwrap();
    for n in 0..20 {
        store.put(n, referring("b", V, target_id)).await;
    }
    store.put(30, target).await;
    let replayed = store.fold.replay("replay");
    replayed
        .catch_up(Duration::from_secs(10))
        .await
        .expect("replay catches up");
    assert_eq!(
        replayed.digest().unwrap(),
        store.fold.projection.digest().unwrap()
    );
}

#[tokio::test]
async fn agent_filter_matches_actor_object_and_group_members_and_related_adds_context() {
    let store = Store::new();
    let as_actor = store.put(1, did("ann", V, "http://example.org/x")).await;
    let mut as_object = did("bob", V, "http://example.org/x");
    as_object["object"] =
        serde_json::json!({"objectType": "Agent", "mbox": "mailto:ann@example.org"});
    let as_object = store.put(2, as_object).await;
    let mut as_member = did("bob", V, "http://example.org/x");
    as_member["actor"] = serde_json::json!({"objectType": "Group", "member": [agent("ann")]});
    let as_member = store.put(3, as_member).await;
    let mut as_instructor = did("bob", V, "http://example.org/x");
    as_instructor["context"] = serde_json::json!({"instructor": agent("ann")});
    let as_instructor = store.put(4, as_instructor).await;
    store.put(5, did("bob", V, "http://example.org/x")).await;

    let ann = StatementQuery {
        agent: key("ann"),
        ..StatementQuery::default()
    };
    assert_eq!(store.query(&ann), vec![as_member, as_object, as_actor]);
    let related = StatementQuery {
        related_agents: true,
        ..ann
    };
    assert_eq!(
        store.query(&related),
        vec![as_instructor, as_member, as_object, as_actor]
    );
}

#[tokio::test]
async fn related_activities_adds_context_activities_and_substatement_objects() {
    let store = Store::new();
    let direct = store.put(1, did("a", V, "http://example.org/course")).await;
    let mut in_context = did("a", V, "http://example.org/lesson");
    in_context["context"] =
        serde_json::json!({"contextActivities": {"parent": [{"id": "http://example.org/course"}]}});
    let in_context = store.put(2, in_context).await;
    let mut in_sub = did("a", V, "http://example.org/other");
    in_sub["object"] = serde_json::json!({"objectType": "SubStatement", "actor": agent("a"),
        "verb": {"id": V}, "object": {"id": "http://example.org/course"}});
    let in_sub = store.put(3, in_sub).await;

    let course = StatementQuery {
        activity: Some("http://example.org/course".into()),
        ..StatementQuery::default()
    };
    assert_eq!(store.query(&course), vec![direct]);
    let related = StatementQuery {
        related_activities: true,
        ..course
    };
    assert_eq!(store.query(&related), vec![in_sub, in_context, direct]);
}

#[tokio::test]
async fn a_statement_related_by_context_and_directly_through_its_target_comes_once() {
    let store = Store::new();
    let target = did("ann", V, "http://example.org/course");
    let target_id = Uuid::parse_str(target["id"].as_str().unwrap()).unwrap();
    // indexed under the related kinds only, until its target gives it the direct ones
    let mut via = referring("bob", V, target_id);
    via["context"] = serde_json::json!({"instructor": agent("ann"),
        "contextActivities": {"parent": [{"id": "http://example.org/course"}]}});
    let via = store.put(1, via).await;
    let before = store
        .put(2, did("ann", V, "http://example.org/course"))
        .await;
    store.put(3, target).await;
    let after = store
        .put(4, did("ann", V, "http://example.org/course"))
        .await;

    let ann = StatementQuery {
        agent: key("ann"),
        related_agents: true,
        ..StatementQuery::default()
    };
    let course = StatementQuery {
        activity: Some("http://example.org/course".into()),
        related_activities: true,
        ..StatementQuery::default()
    };
    for query in [ann, course] {
        let newest_first = vec![after, target_id, before, via];
        assert_eq!(store.query(&query), newest_first, "{query:?}");
        let ascending = StatementQuery {
            ascending: true,
            ..query.clone()
        };
        let oldest_first: Vec<Uuid> = newest_first.iter().rev().copied().collect();
        assert_eq!(store.query(&ascending), oldest_first, "{ascending:?}");
        let one_by_one = StatementQuery { limit: 1, ..query };
        assert_eq!(
            store.every_page(&one_by_one),
            newest_first,
            "paged one by one"
        );
    }
}

#[tokio::test]
async fn statements_sharing_a_second_come_in_stored_order_across_partitions_and_pages() {
    let store = Store::new();
    // 60 statements over three partitions in 2.5 s, stored out of append order
    let mut stored = Vec::new();
    for n in 0..60i64 {
        let micros = 10_000_000 + (n * 7_919 % 60) * 41_000 + n;
        let id = store
            .put_at(micros, did("ann", V, "http://example.org/x"))
            .await;
        stored.push((micros, id));
    }
    stored.sort();
    let oldest_first: Vec<Uuid> = stored.iter().map(|(_, id)| *id).collect();
    let newest_first: Vec<Uuid> = oldest_first.iter().rev().copied().collect();

    // through the verb's index and through every statement (`by_stored`)
    for filtered in [verb(V), StatementQuery::default()] {
        assert_eq!(store.query(&filtered), newest_first);
        let ascending = StatementQuery {
            ascending: true,
            ..filtered.clone()
        };
        assert_eq!(store.query(&ascending), oldest_first);
        for query in [filtered.clone(), ascending] {
            let by_seven = StatementQuery { limit: 7, ..query };
            let expected = if by_seven.ascending {
                &oldest_first
            } else {
                &newest_first
            };
            assert_eq!(&store.every_page(&by_seven), expected, "paged by seven");
        }
        // bounds inside a second: strictly after `since`, up to `until` included
        let (since, until) = (stored[10].0, stored[40].0);
        let between = StatementQuery {
            since_micros: Some(since),
            until_micros: Some(until),
            ascending: true,
            ..filtered
        };
        assert_eq!(store.query(&between), oldest_first[11..=40].to_vec());
    }
}

#[tokio::test]
async fn several_filters_must_all_hold_and_time_bounds_and_order_apply() {
    let store = Store::new();
    let registration = Uuid::new_v4();
    let mut ids = Vec::new();
    for n in 0..6 {
        let mut statement = did(
            if n % 2 == 0 { "ann" } else { "bob" },
            V,
            "http://example.org/x",
        );
        statement["context"] = serde_json::json!({"registration": registration.to_string()});
        ids.push(store.put(n, statement).await);
    }
    store
        .put(
            9,
            did(
                "ann",
                "http://example.org/verbs/other",
                "http://example.org/x",
            ),
        )
        .await;

    let query = StatementQuery {
        agent: key("ann"),
        verb: Some(V.into()),
        registration: Some(registration),
        ..StatementQuery::default()
    };
    assert_eq!(store.query(&query), vec![ids[4], ids[2], ids[0]]);
    let window = StatementQuery {
        since_micros: Some(0),
        until_micros: Some(4_000_000),
        ascending: true,
        ..query
    };
    assert_eq!(store.query(&window), vec![ids[2], ids[4]]);
}

#[tokio::test]
async fn paging_keeps_its_pinned_bound_while_statements_arrive() {
    let store = Store::new();
    let mut ids = Vec::new();
    for n in 0..5 {
        ids.push(store.put(n, did("a", V, "http://example.org/x")).await);
    }
    let query = StatementQuery {
        limit: 2,
        ascending: true,
        ..StatementQuery::default()
    };
    let bound = store.reader.newest(T).unwrap().unwrap();
    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let page = store.reader.query(T, &query, after, bound).unwrap();
        seen.extend(page.statements.iter().map(|s| id_of(&s.json)));
        store
            .put(100 + seen.len() as i64, did("a", V, "http://example.org/x"))
            .await;
        match page.more {
            Some(position) => after = Some(position),
            None => break,
        }
    }
    assert_eq!(seen, ids);
}
