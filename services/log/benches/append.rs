//! Append throughput of the embedded log with fsync on: 1 KiB records in batches of 100,
//! one at a time, and one at a time from 32 concurrent tasks (group commit at work).
//!
//! `cargo bench -p learnlog-log --bench append`. The log lives under the target directory
//! (a real disk, not tmpfs), so fsync costs what it costs on this machine.

use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use learnlog_log::{EmbeddedOptions, EventLog, Record};

const RECORD_BYTES: usize = 1024;

fn records(count: usize, seed: usize) -> Vec<Record> {
    (0..count)
        .map(|i| Record {
            key: format!("learner-{}", (seed + i) % 1000).into_bytes(),
            value: vec![b'x'; RECORD_BYTES],
        })
        .collect()
}

fn append(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("temporary directory");
    let log = EventLog::open_embedded(dir.path(), EmbeddedOptions::default()).expect("open log");
    log.ensure_topic("bench", 4).expect("topic");

    let mut group = c.benchmark_group("append_1KiB_fsync");
    group.sample_size(20);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(8));

    group.throughput(Throughput::Elements(100));
    group.bench_function("batch_of_100", |b| {
        b.to_async(&runtime).iter(|| {
            let log = log.clone();
            async move { log.append("bench", records(100, 0)).await.expect("append") }
        })
    });

    group.throughput(Throughput::Elements(1));
    group.bench_function("single", |b| {
        b.to_async(&runtime).iter(|| {
            let log = log.clone();
            async move { log.append("bench", records(1, 0)).await.expect("append") }
        })
    });

    group.throughput(Throughput::Elements(32));
    group.bench_function("single_from_32_tasks", |b| {
        b.to_async(&runtime).iter(|| {
            let log = log.clone();
            async move {
                let mut tasks = tokio::task::JoinSet::new();
                for task in 0..32 {
                    let log = log.clone();
                    tasks.spawn(async move { log.append("bench", records(1, task)).await });
                }
                while let Some(done) = tasks.join_next().await {
                    done.expect("task").expect("append");
                }
            }
        })
    });
    group.finish();

    let stats = log.stats();
    println!(
        "log stats: {} records, {} bytes, {} fsyncs",
        stats.appended_records, stats.appended_bytes, stats.fsyncs
    );
    runtime.block_on(log.close()).expect("close");
}

criterion_group!(benches, append);
criterion_main!(benches);
