//! The `EventLog` contract, written once against the public API and run per backend.
//!
//! Each behaviour is an async function in `suite` taking a [`Harness`], which knows how
//! to open (and reopen) one backend with a fresh namespace. The `conformance!` macro
//! turns every function into a test for a backend: the embedded log in a temporary
//! directory, and the Kafka backend against a tansu broker started for the test (see
//! `learnlog-testkit`; run `scripts/install-tansu` once). Topic names are unique per test
//! so a shared cluster works too.

use std::time::Duration;

use learnlog_log::{EmbeddedOptions, EventLog};
use learnlog_testkit::Broker;

/// Opens one backend for one test.
pub trait Harness {
    /// A log handle on this test's namespace.
    fn open(&self) -> EventLog;
}

/// The embedded log in a fresh temporary directory, with small segments so that the
/// contract is also exercised across segment boundaries.
pub struct Embedded {
    dir: tempfile::TempDir,
}

impl Embedded {
    fn new() -> Self {
        Embedded {
            dir: tempfile::tempdir().expect("temporary directory"),
        }
    }
}

impl Harness for Embedded {
    fn open(&self) -> EventLog {
        let options = EmbeddedOptions {
            segment_bytes: 4096,
            fsync: true,
        };
        EventLog::open_embedded(self.dir.path(), options).expect("open the embedded log")
    }
}

/// The Kafka backend on a broker of the test's own, killed when the test ends. Each
/// `open` is a new handle (new producer, new readers) on the same cluster, which is what
/// reopening means for Kafka.
pub struct Kafka {
    broker: Broker,
}

impl Kafka {
    fn new() -> Self {
        Kafka {
            broker: Broker::start(),
        }
    }
}

impl Harness for Kafka {
    fn open(&self) -> EventLog {
        EventLog::open(&self.broker.url(), EmbeddedOptions::default()).expect("open the kafka log")
    }
}

mod suite {
    use std::collections::BTreeMap;
    use std::time::{Duration, Instant};

    use learnlog_log::{partition_for_key, Error, Position, Record};
    use tokio::task::JoinSet;

    use super::Harness;

    fn record(key: &str, value: &str) -> Record {
        Record {
            key: key.as_bytes().to_vec(),
            value: value.as_bytes().to_vec(),
        }
    }

    fn numbered(prefix: &str, count: usize) -> Vec<Record> {
        (0..count)
            .map(|i| record(&format!("key-{i}"), &format!("{prefix}-{i}")))
            .collect()
    }

    pub async fn append_returns_positions_in_input_order_with_contiguous_offsets(h: &impl Harness) {
        let log = h.open();
        log.ensure_topic("order", 3).unwrap();
        let records = numbered("v", 60);
        let positions = log.append("order", records.clone()).await.unwrap();
        assert_eq!(positions.len(), records.len());
        let mut next = BTreeMap::new();
        for (record, position) in records.iter().zip(&positions) {
            assert_eq!(
                position.partition,
                log.partition_for("order", &record.key).unwrap()
            );
            let expected = next.entry(position.partition).or_insert(0u64);
            assert_eq!(position.offset, *expected, "offsets follow input order");
            *expected += 1;
        }
        let second = log
            .append("order", vec![record("key-0", "again")])
            .await
            .unwrap();
        assert_eq!(second[0].offset, next[&second[0].partition]);
    }

    pub async fn derived_appends_land_in_input_order_beside_appends(h: &impl Harness) {
        let log = h.open();
        log.ensure_topic("derived", 3).unwrap();
        let derived = numbered("derived", 30);
        let direct = numbered("direct", 30);
        let (from_derived, from_direct) = tokio::join!(
            log.append_derived("derived", derived.clone()),
            log.append("derived", direct.clone()),
        );
        let (from_derived, from_direct) = (from_derived.unwrap(), from_direct.unwrap());
        for positions in [&from_derived, &from_direct] {
            let mut last = BTreeMap::new();
            for position in positions {
                if let Some(before) = last.insert(position.partition, position.offset) {
                    assert!(position.offset > before, "offsets follow input order");
                }
            }
        }
        let mut seen = std::collections::HashSet::new();
        let every = derived.iter().zip(&from_derived);
        for (record, position) in every.chain(direct.iter().zip(&from_direct)) {
            assert!(seen.insert(*position), "{position:?} given twice");
            assert_eq!(
                position.partition,
                log.partition_for("derived", &record.key).unwrap()
            );
            let read = log
                .read(
                    "derived",
                    position.partition,
                    position.offset,
                    1,
                    usize::MAX,
                )
                .await
                .unwrap();
            assert_eq!(read[0].value, record.value, "the record at {position:?}");
        }
    }

    pub async fn keyed_placement_is_stable_and_matches_kafka(h: &impl Harness) {
        let log = h.open();
        log.ensure_topic("placement", 7).unwrap();
        for i in 0..100 {
            let key = format!("learner-{i}");
            let chosen = log.partition_for("placement", key.as_bytes()).unwrap();
            assert_eq!(chosen, partition_for_key(key.as_bytes(), 7));
            let positions = log
                .append("placement", vec![record(&key, "a"), record(&key, "b")])
                .await
                .unwrap();
            assert!(positions.iter().all(|p| p.partition == chosen));
            assert_eq!(positions[1].offset, positions[0].offset + 1);
        }
    }

    pub async fn read_from_an_offset_returns_the_records_from_there(h: &impl Harness) {
        let log = h.open();
        log.ensure_topic("read-from", 1).unwrap();
        let records = numbered("value", 200);
        log.append("read-from", records.clone()).await.unwrap();
        for from in [0u64, 1, 57, 150, 199] {
            let read = log
                .read("read-from", 0, from, 10, usize::MAX)
                .await
                .unwrap();
            let expected: Vec<_> = (from..(from + 10).min(200)).collect();
            assert_eq!(read.iter().map(|r| r.offset).collect::<Vec<_>>(), expected);
            for stored in &read {
                assert_eq!(stored.key, records[stored.offset as usize].key);
                assert_eq!(stored.value, records[stored.offset as usize].value);
            }
        }
        let all = log.read("read-from", 0, 0, 1000, usize::MAX).await.unwrap();
        assert_eq!(all.len(), 200, "a read spans segments");
    }

    pub async fn read_at_or_past_the_end_is_empty(h: &impl Harness) {
        let log = h.open();
        log.ensure_topic("past-end", 2).unwrap();
        assert!(log
            .read("past-end", 1, 0, 10, 1 << 20)
            .await
            .unwrap()
            .is_empty());
        let p = log
            .append("past-end", vec![record("k", "v")])
            .await
            .unwrap()[0];
        assert!(log
            .read("past-end", p.partition, 1, 10, 1 << 20)
            .await
            .unwrap()
            .is_empty());
        assert!(log
            .read("past-end", p.partition, 99, 10, 1 << 20)
            .await
            .unwrap()
            .is_empty());
        assert!(log
            .read("past-end", p.partition, 0, 0, 1 << 20)
            .await
            .unwrap()
            .is_empty());
    }

    pub async fn high_watermark_is_the_next_offset(h: &impl Harness) {
        let log = h.open();
        log.ensure_topic("watermark", 1).unwrap();
        assert_eq!(log.high_watermark("watermark", 0).unwrap(), 0);
        let positions = log.append("watermark", numbered("v", 5)).await.unwrap();
        assert_eq!(positions.last().unwrap().offset, 4);
        assert_eq!(log.high_watermark("watermark", 0).unwrap(), 5);
    }

    pub async fn high_watermarks_are_each_partitions_next_offset(h: &impl Harness) {
        let log = h.open();
        log.ensure_topic("watermarks", 3).unwrap();
        assert_eq!(log.high_watermarks("watermarks").unwrap(), vec![0, 0, 0]);
        let positions = log.append("watermarks", numbered("v", 20)).await.unwrap();
        let mut expected = vec![0u64; 3];
        for position in positions {
            expected[position.partition as usize] += 1;
        }
        assert_eq!(log.high_watermarks("watermarks").unwrap(), expected);
        for (partition, end) in expected.iter().enumerate() {
            assert_eq!(
                log.high_watermark("watermarks", partition as u32).unwrap(),
                *end
            );
            assert_eq!(
                log.ask_high_watermark("watermarks", partition as u32)
                    .await
                    .unwrap(),
                *end,
                "asked from async code"
            );
        }
        assert_eq!(
            log.ask_high_watermarks("watermarks").await.unwrap(),
            expected
        );
        assert!(log.high_watermarks("no-such-topic").is_err());
        assert!(log.ask_high_watermarks("no-such-topic").await.is_err());
        assert!(log.ask_high_watermark("watermarks", 3).await.is_err());
    }

    pub async fn max_records_and_max_bytes_are_honoured(h: &impl Harness) {
        let log = h.open();
        log.ensure_topic("limits", 1).unwrap();
        let records: Vec<_> = (0..20).map(|i| record("k", &format!("{i:09}"))).collect();
        log.append("limits", records).await.unwrap();
        // Each record is 1 + 9 = 10 bytes of key and value.
        assert_eq!(
            log.read("limits", 0, 0, 3, usize::MAX).await.unwrap().len(),
            3
        );
        assert_eq!(log.read("limits", 0, 0, 100, 35).await.unwrap().len(), 3);
        assert_eq!(log.read("limits", 0, 0, 100, 40).await.unwrap().len(), 4);
        let one = log.read("limits", 0, 5, 100, 1).await.unwrap();
        assert_eq!(
            one.len(),
            1,
            "at least one record even when it exceeds max_bytes"
        );
        assert_eq!(one[0].offset, 5);
    }

    pub async fn wait_for_offset_wakes_when_the_record_is_appended(h: &impl Harness) {
        let log = h.open();
        log.ensure_topic("wake", 1).unwrap();
        let waiter = {
            let log = log.clone();
            tokio::spawn(async move {
                let started = Instant::now();
                let hw = log
                    .wait_for_offset("wake", 0, 0, Duration::from_secs(20))
                    .await;
                (hw.unwrap(), started.elapsed())
            })
        };
        tokio::time::sleep(Duration::from_millis(50)).await;
        log.append("wake", vec![record("k", "v")]).await.unwrap();
        let (hw, waited) = waiter.await.unwrap();
        assert_eq!(hw, 1);
        assert!(
            waited < Duration::from_secs(10),
            "woken by the append, not the timeout"
        );
        // Already satisfied: returns at once.
        let hw = log
            .wait_for_offset("wake", 0, 0, Duration::from_secs(20))
            .await
            .unwrap();
        assert_eq!(hw, 1);
    }

    pub async fn wait_for_offset_times_out_with_the_current_watermark(h: &impl Harness) {
        let log = h.open();
        log.ensure_topic("timeout", 1).unwrap();
        log.append("timeout", numbered("v", 2)).await.unwrap();
        let started = Instant::now();
        let hw = log
            .wait_for_offset("timeout", 0, 2, Duration::from_millis(100))
            .await
            .unwrap();
        assert_eq!(hw, 2);
        assert!(started.elapsed() >= Duration::from_millis(100));
    }

    pub async fn ensure_topic_is_idempotent_and_rejects_another_partition_count(h: &impl Harness) {
        let log = h.open();
        log.ensure_topic("ensure", 4).unwrap();
        log.ensure_topic("ensure", 4).unwrap();
        assert_eq!(log.partition_count("ensure").unwrap(), 4);
        let error = log.ensure_topic("ensure", 5).unwrap_err();
        assert!(matches!(
            error,
            Error::PartitionCountMismatch {
                existing: 4,
                requested: 5,
                ..
            }
        ));
        assert!(matches!(
            log.ensure_topic("bad/name", 1),
            Err(Error::InvalidTopic { .. })
        ));
        assert!(matches!(
            log.ensure_topic("zero", 0),
            Err(Error::InvalidPartitionCount { .. })
        ));
    }

    pub async fn unknown_topics_and_partitions_are_errors(h: &impl Harness) {
        let log = h.open();
        log.ensure_topic("known", 2).unwrap();
        assert!(matches!(
            log.partition_count("missing"),
            Err(Error::UnknownTopic(_))
        ));
        assert!(matches!(
            log.append("missing", vec![record("k", "v")]).await,
            Err(Error::UnknownTopic(_))
        ));
        assert!(matches!(
            log.read("missing", 0, 0, 1, 1).await,
            Err(Error::UnknownTopic(_))
        ));
        assert!(matches!(
            log.high_watermark("known", 2),
            Err(Error::UnknownPartition { .. })
        ));
        assert!(matches!(
            log.read("known", 9, 0, 1, 1).await,
            Err(Error::UnknownPartition { .. })
        ));
    }

    pub async fn reopening_keeps_every_topic_and_record(h: &impl Harness) {
        let log = h.open();
        log.ensure_topic("reopen", 3).unwrap();
        let records = numbered("before", 100);
        let positions = log.append("reopen", records.clone()).await.unwrap();
        log.close().await.unwrap();
        drop(log);

        let log = h.open();
        assert_eq!(log.partition_count("reopen").unwrap(), 3);
        for (record, position) in records.iter().zip(&positions) {
            let read = log
                .read("reopen", position.partition, position.offset, 1, usize::MAX)
                .await
                .unwrap();
            assert_eq!((&read[0].key, &read[0].value), (&record.key, &record.value));
        }
        let after = log
            .append("reopen", vec![records[0].clone()])
            .await
            .unwrap()[0];
        let before_max = positions
            .iter()
            .filter(|p| p.partition == after.partition)
            .map(|p| p.offset)
            .max();
        assert_eq!(
            Some(after.offset),
            before_max.map(|o| o + 1),
            "appends continue after reopen"
        );
    }

    pub async fn concurrent_appenders_get_distinct_contiguous_offsets(h: &impl Harness) {
        let log = h.open();
        log.ensure_topic("concurrent", 2).unwrap();
        let mut tasks = JoinSet::new();
        for task in 0..32 {
            let log = log.clone();
            tasks.spawn(async move {
                let mut mine = Vec::new();
                for i in 0..20 {
                    let r = record(&format!("task-{task}"), &format!("{task}-{i}"));
                    let p: Position = log.append("concurrent", vec![r.clone()]).await.unwrap()[0];
                    mine.push((p, r));
                }
                mine
            });
        }
        let mut all = Vec::new();
        while let Some(mine) = tasks.join_next().await {
            let mine = mine.unwrap();
            assert!(
                mine.windows(2).all(|w| w[0].0.offset < w[1].0.offset),
                "a task's appends stay in order"
            );
            all.extend(mine);
        }
        for partition in 0..2 {
            let mut offsets: Vec<_> = all
                .iter()
                .filter(|(p, _)| p.partition == partition)
                .map(|(p, _)| p.offset)
                .collect();
            offsets.sort_unstable();
            assert_eq!(
                offsets,
                (0..offsets.len() as u64).collect::<Vec<_>>(),
                "distinct and gap-free"
            );
            assert_eq!(
                log.high_watermark("concurrent", partition).unwrap(),
                offsets.len() as u64
            );
        }
        // Every acknowledged record reads back at its position (one scan per partition:
        // a read at a random offset costs a fetch round trip on Kafka).
        for partition in 0..2 {
            let stored = log
                .read("concurrent", partition, 0, usize::MAX, usize::MAX)
                .await
                .unwrap();
            for (position, record) in all.iter().filter(|(p, _)| p.partition == partition) {
                assert_eq!(stored[position.offset as usize].offset, position.offset);
                assert_eq!(stored[position.offset as usize].value, record.value);
            }
        }
    }

    pub async fn appends_after_close_fail_with_closed(h: &impl Harness) {
        let log = h.open();
        log.ensure_topic("closing", 1).unwrap();
        log.append("closing", vec![record("k", "v")]).await.unwrap();
        log.close().await.unwrap();
        assert!(matches!(
            log.append("closing", vec![record("k", "v")]).await,
            Err(Error::Closed)
        ));
        assert_eq!(
            log.read("closing", 0, 0, 10, 100).await.unwrap().len(),
            1,
            "reads still work"
        );
        log.close().await.unwrap();
    }
}

/// Generates one test per suite function for a backend.
macro_rules! conformance {
    ($backend:ident, $make:expr; $($test:ident),* $(,)?) => {
        mod $backend {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    let harness = $make;
                    tokio::time::timeout(super::TEST_TIMEOUT, super::suite::$test(&harness))
                        .await
                        .expect("test finished in time");
                }
            )*
        }
    };
}

const TEST_TIMEOUT: Duration = Duration::from_secs(60);

conformance!(embedded, super::Embedded::new();
    append_returns_positions_in_input_order_with_contiguous_offsets,
    derived_appends_land_in_input_order_beside_appends,
    keyed_placement_is_stable_and_matches_kafka,
    read_from_an_offset_returns_the_records_from_there,
    read_at_or_past_the_end_is_empty,
    high_watermark_is_the_next_offset,
    high_watermarks_are_each_partitions_next_offset,
    max_records_and_max_bytes_are_honoured,
    wait_for_offset_wakes_when_the_record_is_appended,
    wait_for_offset_times_out_with_the_current_watermark,
    ensure_topic_is_idempotent_and_rejects_another_partition_count,
    unknown_topics_and_partitions_are_errors,
    reopening_keeps_every_topic_and_record,
    concurrent_appenders_get_distinct_contiguous_offsets,
    appends_after_close_fail_with_closed,
);

conformance!(kafka, super::Kafka::new();
    append_returns_positions_in_input_order_with_contiguous_offsets,
    derived_appends_land_in_input_order_beside_appends,
    keyed_placement_is_stable_and_matches_kafka,
    read_from_an_offset_returns_the_records_from_there,
    read_at_or_past_the_end_is_empty,
    high_watermark_is_the_next_offset,
    high_watermarks_are_each_partitions_next_offset,
    max_records_and_max_bytes_are_honoured,
    wait_for_offset_wakes_when_the_record_is_appended,
    wait_for_offset_times_out_with_the_current_watermark,
    ensure_topic_is_idempotent_and_rejects_another_partition_count,
    unknown_topics_and_partitions_are_errors,
    reopening_keeps_every_topic_and_record,
    concurrent_appenders_get_distinct_contiguous_offsets,
    appends_after_close_fail_with_closed,
);
