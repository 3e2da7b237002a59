//! The Grafana dashboard (deploy/grafana/learnlog.json) queries only metrics learnlog
//! exports: a projector and an api process on a tansu broker are started (between them
//! they export every learnlog metric), given statements, a failing request, a forwarding
//! to a local webhook and an undecodable event, and every metric name in the dashboard's
//! queries must be among the names their /metrics pages declare.

use crate::support::{eventually, new_id, statement, Learnlog};
use learnlog_log::{EmbeddedOptions, EventLog, Record};
use learnlog_proto::topics;
use learnlog_testkit::Broker;
use reqwest::Method;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::time::Duration;

const DASHBOARD: &str = include_str!("../../deploy/grafana/learnlog.json");

/// Metrics the dashboard may read that another exporter provides: learnlog reports no
/// disk use, the kubelet's volume statistics do (for the data volumes' claims).
const EXTERNAL: &[&str] = &[
    "kubelet_volume_stats_used_bytes",
    "kubelet_volume_stats_capacity_bytes",
];

/// PromQL words that are not metric names: operators and modifiers, and the
/// aggregations, which may be followed by `by (…)` before their parenthesis.
const KEYWORDS: &[&str] = &[
    "and",
    "or",
    "unless",
    "bool",
    "offset",
    "inf",
    "nan",
    "sum",
    "min",
    "max",
    "avg",
    "group",
    "stddev",
    "stdvar",
    "count",
    "count_values",
    "bottomk",
    "topk",
    "quantile",
];
/// PromQL clauses followed by a parenthesised list of label names.
const GROUPING: &[&str] = &[
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
];

/// The metric names a PromQL expression reads: identifiers outside strings, label
/// matchers, range brackets and grouping lists that are neither functions nor keywords.
fn metric_names(expr: &str) -> BTreeSet<String> {
    // Blank out what cannot hold a metric name: quoted strings, `{…}` and `[…]`.
    let mut cleaned = String::with_capacity(expr.len());
    let (mut quote, mut escaped, mut depth) = (None, false, 0usize);
    for c in expr.chars() {
        if let Some(q) = quote {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                _ if c == q => quote = None,
                _ => {}
            }
            cleaned.push(' ');
            continue;
        }
        match c {
            '"' | '\'' | '`' => quote = Some(c),
            '{' | '[' => depth += 1,
            '}' | ']' => depth = depth.saturating_sub(1),
            _ if depth == 0 => {
                cleaned.push(c);
                continue;
            }
            _ => {}
        }
        cleaned.push(' ');
    }
    let text = cleaned.as_bytes();
    let is_word = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b':';
    let mut names = BTreeSet::new();
    let mut i = 0;
    while i < text.len() {
        let b = text[i];
        if b.is_ascii_digit() || b == b'.' {
            // a number (0.99, 1e3): not a name
            while i < text.len() && (is_word(text[i]) || text[i] == b'.') {
                i += 1;
            }
        } else if b.is_ascii_alphabetic() || b == b'_' || b == b':' {
            let start = i;
            while i < text.len() && is_word(text[i]) {
                i += 1;
            }
            let word = &cleaned[start..i];
            let next = cleaned[i..].trim_start();
            if start > 0 && text[start - 1] == b'$' {
                // a Grafana variable
            } else if GROUPING.contains(&word) {
                // skip the label list that follows
                if next.starts_with('(') {
                    let open = i + cleaned[i..].find('(').unwrap();
                    i = open
                        + cleaned[open..]
                            .find(')')
                            .map_or(cleaned.len() - open, |c| c + 1);
                }
            } else if !next.starts_with('(') && !KEYWORDS.contains(&word) {
                names.insert(word.to_owned());
            }
        } else {
            i += 1;
        }
    }
    names
}

/// Every PromQL expression of the dashboard: panel targets (rows included) and the
/// queries of its template variables.
fn dashboard_queries(dashboard: &Value) -> Vec<String> {
    let mut queries = Vec::new();
    fn panels(list: &Value, queries: &mut Vec<String>) {
        for panel in list.as_array().into_iter().flatten() {
            for target in panel["targets"].as_array().into_iter().flatten() {
                if let Some(expr) = target["expr"].as_str() {
                    queries.push(expr.to_owned());
                }
            }
            panels(&panel["panels"], queries);
        }
    }
    panels(&dashboard["panels"], &mut queries);
    for variable in dashboard["templating"]["list"]
        .as_array()
        .into_iter()
        .flatten()
    {
        if variable["type"] == "query" {
            let query = &variable["query"];
            let text = query["query"]
                .as_str()
                .or(query.as_str())
                .unwrap_or("")
                .trim();
            // Grafana's wrappers around PromQL: label_values(expr, label) and
            // query_result(expr).
            let inner = |prefix: &str| text.strip_prefix(prefix)?.strip_suffix(')');
            let promql = match (inner("label_values("), inner("query_result(")) {
                (Some(args), _) => args.rsplit_once(',').map_or(args, |(expr, _)| expr),
                (_, Some(expr)) => expr,
                _ => text,
            };
            queries.push(promql.to_owned());
        }
    }
    queries
}

/// The metric families a /metrics page declares, with their types.
fn declared(page: &str) -> BTreeMap<String, String> {
    page.lines()
        .filter_map(|line| line.strip_prefix("# TYPE "))
        .filter_map(|rest| {
            let mut parts = rest.split_whitespace();
            Some((parts.next()?.to_owned(), parts.next()?.to_owned()))
        })
        .collect()
}

/// The names of `wanted` that `types` does not declare: a histogram's `_bucket`, `_sum`
/// and `_count` series count as declared by the histogram.
fn unknown(wanted: &BTreeSet<String>, types: &BTreeMap<String, String>) -> Vec<String> {
    wanted
        .iter()
        .filter(|name| {
            if EXTERNAL.contains(&name.as_str()) || types.contains_key(name.as_str()) {
                return false;
            }
            let histogram = ["_bucket", "_sum", "_count"].iter().any(|suffix| {
                name.strip_suffix(suffix)
                    .and_then(|base| types.get(base))
                    .is_some_and(|kind| kind == "histogram" || kind == "summary")
            });
            !histogram
        })
        .cloned()
        .collect()
}

#[test]
fn metric_names_are_read_from_promql() {
    let names = metric_names(
        r#"histogram_quantile(0.99, sum by (le, route) (rate(a_seconds_bucket{job=~"$job", route="/x{y}"}[$__rate_interval]))) / on (job) group_left (pod) b_total offset 5m > bool 1e3 and count without (x) (c:recorded{__name__=~"d_.+"})"#,
    );
    let want: BTreeSet<String> = ["a_seconds_bucket", "b_total", "c:recorded"]
        .map(str::to_owned)
        .into();
    assert_eq!(names, want);
    let types = BTreeMap::from([
        ("a_seconds".to_owned(), "histogram".to_owned()),
        ("b_total".to_owned(), "counter".to_owned()),
    ]);
    assert_eq!(unknown(&names, &types), vec!["c:recorded".to_owned()]);
}

/// A webhook on loopback that accepts every delivery.
fn webhook() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut length = 0;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some((name, value)) = line.split_once(':') {
                    if name.eq_ignore_ascii_case("content-length") {
                        length = value.trim().parse().unwrap_or(0);
                    }
                }
            }
            let mut body = vec![0; length];
            let _ = reader.read_exact(&mut body);
            let _ = stream.write_all(
                b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            );
        }
    });
    url
}

fn metrics_page(server: &Learnlog) -> String {
    let response = server.raw(Method::GET, "/metrics").send().unwrap();
    assert_eq!(response.status(), 200);
    response.text().unwrap()
}

#[test]
fn the_grafana_dashboard_queries_only_metrics_learnlog_exports() {
    let dashboard: Value = serde_json::from_str(DASHBOARD).expect("the dashboard is JSON");
    let queries = dashboard_queries(&dashboard);
    let wanted: BTreeSet<String> = queries.iter().flat_map(|q| metric_names(q)).collect();
    assert!(
        wanted.len() >= 15,
        "the dashboard reads only {wanted:?}: are its queries still found?"
    );

    let broker = Broker::start();
    let (projector_dir, api_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let projector = Learnlog::start_with(
        projector_dir.path(),
        &["--role", "projector", "--log", &broker.url()],
    );
    let api = Learnlog::start_with(
        api_dir.path(),
        &["--role", "api", "--projectors", &projector.base],
    );
    let ready = |server: &Learnlog| {
        let answer = server.raw(Method::GET, "/readyz").send();
        answer.is_ok_and(|r| r.status() == 200)
    };
    assert!(
        eventually(Duration::from_secs(60), || ready(&projector) && ready(&api)),
        "the projector and the api process did not become ready"
    );

    // A forwarding (its series exist while it runs), statements it delivers, and a
    // request that fails (a status other than 2xx).
    let created = api
        .xapi(Method::PUT, "/v1/forwardings/dashboard")
        .json(&json!({"target": {"kind": "webhook", "url": webhook()}}))
        .send()
        .unwrap();
    assert_eq!(created.status(), 201, "{}", created.text().unwrap());
    let ids: Vec<String> = (0..20).map(|_| new_id()).collect();
    let body: Vec<String> = (ids.iter().enumerate())
        .map(|(n, id)| statement(id, n))
        .collect();
    let posted = api.post_statements(&format!("[{}]", body.join(",")));
    assert_eq!(posted.status(), 200, "{}", posted.text().unwrap());
    let refused = api
        .raw(Method::GET, "/xapi/statements")
        .basic_auth(crate::support::KEY, Some(crate::support::SECRET))
        .send()
        .unwrap();
    assert_eq!(refused.status(), 400, "no version header");
    // An event no fold can decode: the projections folding it count it as skipped.
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let log = EventLog::open(&broker.url(), EmbeddedOptions::default()).unwrap();
        let garbage = Record {
            key: b"dashboard".to_vec(),
            value: b"\xff not protobuf".to_vec(),
        };
        log.append(topics::FRAMEWORKS, vec![garbage]).await.unwrap();
        log.close().await.unwrap();
    });
    assert!(
        eventually(Duration::from_secs(30), || metrics_page(&projector)
            .contains("learnlog_projection_events_skipped_total{")),
        "no projection skipped the undecodable event"
    );
    assert!(
        eventually(Duration::from_secs(60), || metrics_page(&projector)
            .contains(
                r#"learnlog_forwarding_delivered_total{forwarding="dashboard",tenant="default"} 20"#
            )),
        "the forwarding did not deliver the statements:\n{}",
        metrics_page(&projector)
    );

    let mut types = declared(&metrics_page(&projector));
    types.extend(declared(&metrics_page(&api)));
    assert!(
        types.contains_key("learnlog_owned_partitions")
            && types.contains_key("learnlog_router_requests_total"),
        "both roles' metrics are read: {types:?}"
    );
    let foreign: Vec<&String> = (wanted.iter())
        .filter(|name| !name.starts_with("learnlog_") && !EXTERNAL.contains(&name.as_str()))
        .collect();
    assert!(
        foreign.is_empty(),
        "the dashboard reads metrics that are neither learnlog's nor listed in EXTERNAL: \
         {foreign:?}"
    );
    let missing = unknown(&wanted, &types);
    assert!(
        missing.is_empty(),
        "the dashboard queries metrics learnlog does not export: {missing:?}\n\
         exported: {:?}",
        types.keys().collect::<Vec<_>>()
    );
}
