//! What the pre-scan of JSON limits adds to the statement write path: the scan alone
//! against parsing and validating the same batch of 100 statements (about 100 KB).
//!
//! `cargo bench -p learnlog-xapi --bench json_limits`

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use learnlog_xapi::{check_json_limits, parse_statement_batch, JsonLimits, XapiVersion};

/// A batch of `count` statements of about 1 KB each, with context and extensions.
fn batch(count: usize) -> Vec<u8> {
    let statements: Vec<serde_json::Value> = (0..count)
        .map(|n| {
            let id = format!("00000000-0000-4000-8000-{n:012x}");
            serde_json::json!({
                "id": id,
                "actor": {"objectType": "Agent", "name": format!("Learner {n}"),
                          "mbox": format!("mailto:learner{n}@example.org")},
                "verb": {"id": "http://adlnet.gov/expapi/verbs/answered",
                         "display": {"en-US": "answered"}},
                "object": {"id": format!("https://example.org/items/{n}"),
                           "definition": {"name": {"en-US": format!("Item {n}")},
                                          "description": {"en-US": "x".repeat(500)}}},
                "result": {"success": true, "score": {"scaled": 0.875},
                           "extensions": {"https://example.org/ext/attempt":
                               {"tries": [1, 2, {"hint": "a \"quoted\" hint"}]}}},
                "context": {"registration": id,
                            "contextActivities": {"parent": [
                                {"id": format!("https://example.org/courses/{n}")}]}},
            })
        })
        .collect();
    serde_json::to_vec(&statements).expect("serialisable")
}

fn bench(c: &mut Criterion) {
    let body = batch(100);
    let limits = JsonLimits {
        max_depth: 32,
        max_string_bytes: 256 << 10,
    };
    assert_eq!(check_json_limits(&body, limits), Ok(()));
    assert_eq!(
        parse_statement_batch(&body, XapiVersion::V2_0_0).map(|s| s.len()),
        Ok(100)
    );
    let mut group = c.benchmark_group("statement batch of 100");
    group.throughput(Throughput::Bytes(body.len() as u64));
    group.bench_function("check_json_limits", |b| {
        b.iter(|| check_json_limits(std::hint::black_box(&body), limits))
    });
    group.bench_function("parse_statement_batch", |b| {
        b.iter(|| parse_statement_batch(std::hint::black_box(&body), XapiVersion::V2_0_0))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
