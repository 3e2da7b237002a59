//! Read latency of the embedded log: 1 and 100 records of 1 KiB from scattered offsets of
//! a partition holding 100,000 records (served on the blocking pool), and 1 record at the
//! tail (served on the calling task).
//!
//! `cargo bench -p learnlog-log --bench read`

use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use learnlog_log::{EmbeddedOptions, EventLog, Record};

const RECORDS: u64 = 100_000;

fn read(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("temporary directory");
    let options = EmbeddedOptions {
        fsync: false,
        ..EmbeddedOptions::default()
    };
    let log = EventLog::open_embedded(dir.path(), options).expect("open log");
    log.ensure_topic("bench", 1).expect("topic");
    runtime.block_on(async {
        for _ in 0..RECORDS / 1000 {
            let records = (0..1000)
                .map(|_| Record {
                    key: b"learner".to_vec(),
                    value: vec![b'x'; 1024],
                })
                .collect();
            log.append("bench", records).await.expect("append");
        }
    });

    let mut group = c.benchmark_group("read_1KiB");
    group.sample_size(20);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(5));
    for count in [1usize, 100] {
        group.throughput(Throughput::Elements(count as u64));
        let mut from = 0u64;
        group.bench_function(format!("{count}_records"), |b| {
            b.to_async(&runtime).iter(|| {
                from = (from + 7919) % (RECORDS - count as u64);
                let (log, start) = (log.clone(), from);
                async move {
                    let read = log
                        .read("bench", 0, start, count, usize::MAX)
                        .await
                        .expect("read");
                    assert_eq!(read.len(), count);
                }
            })
        });
    }
    group.throughput(Throughput::Elements(1));
    group.bench_function("1_record_at_the_tail", |b| {
        b.to_async(&runtime).iter(|| {
            let log = log.clone();
            async move {
                let read = log
                    .read("bench", 0, RECORDS - 1, 1, usize::MAX)
                    .await
                    .expect("read");
                assert_eq!(read.len(), 1);
            }
        })
    });
    group.finish();
}

criterion_group!(benches, read);
criterion_main!(benches);
