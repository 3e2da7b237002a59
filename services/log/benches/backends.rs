//! The two backends side by side on the same work, 1 KiB records: appends in batches of
//! 100, one at a time, and one at a time from 32 concurrent tasks; a projection-style
//! sequential read of 10,000 records in batches of 1,000; one `high_watermark` call.
//!
//! `cargo bench -p learnlog-log --bench backends` (needs the tansu broker:
//! `scripts/install-tansu`). The embedded log fsyncs under the target directory; Kafka is
//! a tansu broker with SQLite storage on the same machine, started by the bench.

use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use learnlog_log::{EmbeddedOptions, EventLog, Record};
use learnlog_testkit::Broker;
use tokio::runtime::Runtime;

const RECORD_BYTES: usize = 1024;
const READ_RECORDS: usize = 10_000;

fn records(count: usize, seed: usize) -> Vec<Record> {
    (0..count)
        .map(|i| Record {
            key: format!("learner-{}", (seed + i) % 1000).into_bytes(),
            value: vec![b'x'; RECORD_BYTES],
        })
        .collect()
}

fn appends(c: &mut Criterion, runtime: &Runtime, name: &str, log: &EventLog) {
    log.ensure_topic("bench-append", 4).expect("topic");
    let mut group = c.benchmark_group("append_1KiB");
    group.sample_size(20);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(8));

    group.throughput(Throughput::Elements(100));
    group.bench_function(BenchmarkId::new(name, "batch_of_100"), |b| {
        b.to_async(runtime).iter(|| {
            let log = log.clone();
            async move {
                log.append("bench-append", records(100, 0))
                    .await
                    .expect("append")
            }
        })
    });

    group.throughput(Throughput::Elements(1));
    group.bench_function(BenchmarkId::new(name, "single"), |b| {
        b.to_async(runtime).iter(|| {
            let log = log.clone();
            async move {
                log.append("bench-append", records(1, 0))
                    .await
                    .expect("append")
            }
        })
    });

    group.throughput(Throughput::Elements(32));
    group.bench_function(BenchmarkId::new(name, "single_from_32_tasks"), |b| {
        b.to_async(runtime).iter(|| {
            let log = log.clone();
            async move {
                let mut tasks = tokio::task::JoinSet::new();
                for task in 0..32 {
                    let log = log.clone();
                    tasks.spawn(async move { log.append("bench-append", records(1, task)).await });
                }
                while let Some(done) = tasks.join_next().await {
                    done.expect("task").expect("append");
                }
            }
        })
    });
    group.finish();
}

fn reads(c: &mut Criterion, runtime: &Runtime, name: &str, log: &EventLog) {
    log.ensure_topic("bench-read", 1).expect("topic");
    runtime.block_on(async {
        for chunk in 0..READ_RECORDS / 1000 {
            let batch = records(1000, chunk)
                .into_iter()
                .map(|r| Record {
                    key: b"learner".to_vec(),
                    ..r
                })
                .collect();
            log.append("bench-read", batch).await.expect("append");
        }
    });
    let mut group = c.benchmark_group("read_1KiB");
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(10));
    group.throughput(Throughput::Elements(READ_RECORDS as u64));
    group.bench_function(BenchmarkId::new(name, "10000_in_batches_of_1000"), |b| {
        b.to_async(runtime).iter(|| {
            let log = log.clone();
            async move {
                let mut next = 0;
                while next < READ_RECORDS as u64 {
                    let batch = log
                        .read("bench-read", 0, next, 1000, usize::MAX)
                        .await
                        .expect("read");
                    next = batch.last().expect("records").offset + 1;
                }
            }
        })
    });
    group.finish();

    let mut group = c.benchmark_group("high_watermark");
    group.sample_size(20);
    group.measurement_time(Duration::from_secs(3));
    group.bench_function(name, |b| {
        b.iter(|| log.high_watermark("bench-read", 0).expect("watermark"))
    });
    group.finish();
}

fn backends(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");

    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("temporary directory");
    let embedded =
        EventLog::open_embedded(dir.path(), EmbeddedOptions::default()).expect("open the log");
    appends(c, &runtime, "embedded", &embedded);
    reads(c, &runtime, "embedded", &embedded);
    runtime.block_on(embedded.close()).expect("close");

    let broker = Broker::start();
    let kafka = EventLog::open(&broker.url(), EmbeddedOptions::default()).expect("open kafka");
    appends(c, &runtime, "kafka", &kafka);
    reads(c, &runtime, "kafka", &kafka);
    runtime.block_on(kafka.close()).expect("close");
    drop(kafka);
    drop(broker);
}

criterion_group!(benches, backends);
criterion_main!(benches);
