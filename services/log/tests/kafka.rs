//! Behaviour of the Kafka backend beyond the shared contract, against a real broker
//! (tansu, started per test by `learnlog-testkit`): failing fast and recovering across a
//! broker outage without losing an acknowledged record, seeing another process's appends,
//! and placing keys where a Java-compatible Kafka producer does.

use std::time::{Duration, Instant};

use learnlog_log::{partition_for_key, EmbeddedOptions, Error, EventLog, Position, Record};
use learnlog_testkit::Broker;
use rdkafka::config::FromClientConfig;
use rdkafka::producer::{FutureProducer, FutureRecord};

/// The log's time bound in these tests; failures must come within it plus slack.
const TIMEOUT: Duration = Duration::from_secs(2);
const SLACK: Duration = Duration::from_secs(3);

fn record(key: &str, value: &str) -> Record {
    Record {
        key: key.as_bytes().to_vec(),
        value: value.as_bytes().to_vec(),
    }
}

fn open(broker: &Broker) -> EventLog {
    let url = format!("{}?timeout_ms={}", broker.url(), TIMEOUT.as_millis());
    EventLog::open(&url, EmbeddedOptions::default()).expect("open the kafka log")
}

async fn append_all(log: &EventLog, topic: &str, records: &[Record]) -> Vec<(Position, Record)> {
    let positions = log.append(topic, records.to_vec()).await.unwrap();
    positions.into_iter().zip(records.iter().cloned()).collect()
}

async fn assert_all_readable(log: &EventLog, topic: &str, acknowledged: &[(Position, Record)]) {
    for (position, record) in acknowledged {
        let read = log
            .read(topic, position.partition, position.offset, 1, usize::MAX)
            .await
            .unwrap();
        assert_eq!(read.len(), 1, "record at {position:?} is readable");
        assert_eq!((&read[0].key, &read[0].value), (&record.key, &record.value));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn appends_fail_fast_while_the_broker_is_down_and_succeed_after_it_restarts() {
    let mut broker = Broker::start();
    let log = open(&broker);
    log.ensure_topic("outage", 3).unwrap();
    let before: Vec<_> = (0..30)
        .map(|i| record(&format!("learner-{i}"), &format!("before-{i}")))
        .collect();
    let mut acknowledged = append_all(&log, "outage", &before).await;
    let another = open(&broker);
    another.ensure_topic("outage", 3).unwrap();

    broker.kill();
    let started = Instant::now();
    let error = log
        .append("outage", vec![record("learner-1", "during")])
        .await
        .unwrap_err();
    let waited = started.elapsed();
    assert!(matches!(error, Error::Unavailable { .. }), "{error}");
    assert!(waited < TIMEOUT + SLACK, "append failed after {waited:?}");
    eprintln!("with the broker down, an append failed after {waited:?}: {error}");

    let started = Instant::now();
    let error = log.high_watermark("outage", 0).unwrap_err();
    assert!(matches!(error, Error::Unavailable { .. }), "{error}");
    assert!(started.elapsed() < TIMEOUT + SLACK);

    let started = Instant::now();
    let error = another
        .read("outage", 0, 0, 10, usize::MAX)
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Unavailable { .. }), "{error}");
    assert!(started.elapsed() < TIMEOUT + SLACK);
    // what this handle appended itself it still reads back, from memory
    assert_all_readable(&log, "outage", &acknowledged).await;

    // a wait that runs out says the leader is away rather than that nothing came
    let end = acknowledged
        .iter()
        .filter(|(p, _)| p.partition == 1)
        .count() as u64;
    let error = log
        .wait_for_offset("outage", 1, end, TIMEOUT + SLACK)
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Unavailable { .. }), "{error}");

    broker.restart();
    let restarted = Instant::now();
    let after = loop {
        match log
            .append("outage", vec![record("learner-2", "after")])
            .await
        {
            Ok(positions) => break positions,
            Err(Error::Unavailable { .. }) if restarted.elapsed() < Duration::from_secs(30) => {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(error) => panic!("append after the restart failed: {error}"),
        }
    };
    eprintln!(
        "appends succeeded again {:?} after the broker restarted",
        restarted.elapsed()
    );
    acknowledged.push((after[0], record("learner-2", "after")));
    let more: Vec<_> = (0..30)
        .map(|i| record(&format!("learner-{i}"), &format!("later-{i}")))
        .collect();
    acknowledged.extend(append_all(&log, "outage", &more).await);

    assert_all_readable(&log, "outage", &acknowledged).await;
    let fresh = open(&broker);
    assert_all_readable(&fresh, "outage", &acknowledged).await;
    for partition in 0..3 {
        let highest = acknowledged
            .iter()
            .filter(|(p, _)| p.partition == partition)
            .map(|(p, _)| p.offset + 1)
            .max()
            .unwrap_or(0);
        assert!(fresh.high_watermark("outage", partition).unwrap() >= highest);
    }
}

/// librdkafka's idempotent producer raises its producer epoch on its own when records
/// time out or fail (KIP-360), and sends what it still holds under the new epoch. tansu 0.6
/// cannot take a batch under an epoch it did not hand out: a task of its storage panics
/// and the broker fails every request from then on. So a producer that failed an append
/// must never send again, not even records other appends left in it: here a second append
/// is still queued in the failed producer when the broker comes back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_left_in_a_failed_producer_are_not_sent_when_the_broker_returns() {
    let mut broker = Broker::start();
    let url = format!("{}?timeout_ms=6000", broker.url());
    let log = EventLog::open(&url, EmbeddedOptions::default()).unwrap();
    log.ensure_topic("epochs", 1).unwrap();
    let mut acknowledged = append_all(&log, "epochs", &[record("k", "before")]).await;

    broker.kill();
    let append = |value: &'static str| {
        let log = log.clone();
        tokio::spawn(async move { log.append("epochs", vec![record("k", value)]).await })
    };
    let first = append("first");
    tokio::time::sleep(Duration::from_secs(3)).await;
    let second = append("second");
    let error = first.await.unwrap().unwrap_err();
    assert!(matches!(error, Error::Unavailable { .. }), "{error}");
    // The second append's records were handed to the producer that just failed, and their
    // own time is not up yet.
    broker.restart();
    if let Ok(positions) = second.await.unwrap() {
        acknowledged.push((positions[0], record("k", "second")));
    }

    let restarted = Instant::now();
    let after = loop {
        match log.append("epochs", vec![record("k", "after")]).await {
            Ok(positions) => break positions,
            Err(Error::Unavailable { .. }) if restarted.elapsed() < Duration::from_secs(30) => {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(error) => panic!(
                "append after the restart failed: {error}; the broker panicked: {:?}",
                broker.panic()
            ),
        }
    };
    acknowledged.push((after[0], record("k", "after")));
    assert_eq!(broker.panic(), None, "the broker keeps serving");
    assert_all_readable(&log, "epochs", &acknowledged).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_handles_appends_wake_a_waiter_and_raise_the_watermark() {
    let broker = Broker::start();
    let writer = open(&broker);
    let reader = open(&broker);
    writer.ensure_topic("shared", 1).unwrap();
    reader.ensure_topic("shared", 1).unwrap();
    assert_eq!(reader.high_watermark("shared", 0).unwrap(), 0);

    let waiter = {
        let reader = reader.clone();
        tokio::spawn(async move {
            let started = Instant::now();
            let end = reader
                .wait_for_offset("shared", 0, 0, Duration::from_secs(20))
                .await
                .unwrap();
            (end, started.elapsed())
        })
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    writer
        .append("shared", vec![record("k", "from the writer")])
        .await
        .unwrap();
    let (end, waited) = waiter.await.unwrap();
    assert_eq!(end, 1);
    assert!(
        waited < Duration::from_secs(10),
        "woken by the fetch, not the timeout"
    );
    assert_eq!(reader.high_watermark("shared", 0).unwrap(), 1);
    let read = reader.read("shared", 0, 0, 10, usize::MAX).await.unwrap();
    assert_eq!(read.len(), 1);
    assert_eq!(read[0].value, b"from the writer");
}

/// A handle reads its own appends back without the broker, but only where no other
/// handle's record comes between: those come from the broker, in their place.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn own_and_another_handles_records_read_back_interleaved_in_offset_order() {
    let broker = Broker::start();
    let (own, other) = (open(&broker), open(&broker));
    own.ensure_topic("interleaved", 1).unwrap();
    other.ensure_topic("interleaved", 1).unwrap();
    let mut expected = Vec::new();
    for (round, log) in [&own, &other, &own, &other, &own].into_iter().enumerate() {
        let records = vec![
            record("k", &format!("{round}-a")),
            record("k", &format!("{round}-b")),
        ];
        append_all(log, "interleaved", &records).await;
        expected.extend(records.into_iter().map(|r| r.value));
    }
    let mut read = Vec::new();
    while read.len() < expected.len() {
        let batch = own
            .read("interleaved", 0, read.len() as u64, 3, usize::MAX)
            .await
            .unwrap();
        assert!(!batch.is_empty(), "records below the end are readable");
        for stored in batch {
            assert_eq!(stored.offset, read.len() as u64, "in offset order, no gap");
            read.push(stored.value);
        }
    }
    assert_eq!(read, expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_land_where_a_java_compatible_kafka_producer_puts_them() {
    let broker = Broker::start();
    let log = open(&broker);
    log.ensure_topic("placement", 7).unwrap();
    // librdkafka's murmur2_random is the Java client's default partitioner for keys.
    let producer: FutureProducer = FutureProducer::from_config(
        rdkafka::ClientConfig::new()
            .set("bootstrap.servers", broker.address())
            .set("partitioner", "murmur2_random"),
    )
    .unwrap();
    for i in 0..50 {
        let key = format!("learner-{i}");
        let delivered = producer
            .send(
                FutureRecord::to("placement").key(&key).payload("v"),
                Duration::from_secs(10),
            )
            .await
            .unwrap();
        assert_eq!(
            delivered.partition as u32,
            partition_for_key(key.as_bytes(), 7),
            "{key}"
        );
        let ours = log
            .append("placement", vec![record(&key, "v")])
            .await
            .unwrap();
        assert_eq!(ours[0].partition, delivered.partition as u32);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_over_the_size_limit_are_refused_before_sending() {
    let broker = Broker::start();
    let url = format!("{}?max_record_bytes=1000", broker.url());
    let log = EventLog::open(&url, EmbeddedOptions::default()).unwrap();
    log.ensure_topic("sizes", 1).unwrap();
    let error = log
        .append("sizes", vec![record("k", &"x".repeat(1000))])
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            Error::RecordTooLarge {
                size: 1001,
                max: 1000
            }
        ),
        "{error}"
    );
    assert_eq!(log.high_watermark("sizes", 0).unwrap(), 0);
    log.append("sizes", vec![record("k", &"x".repeat(999))])
        .await
        .unwrap();
}

/// Asking for the ends from async code leaves the worker thread free: on a runtime of
/// one thread, another task keeps running while the ask waits on a broker that is down
/// (a blocking ask there would stall every task of the thread until it gave up).
#[tokio::test(flavor = "current_thread")]
async fn asking_the_ends_of_a_broker_that_is_down_leaves_the_worker_free() {
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::sync::Arc;
    let mut broker = Broker::start();
    let log = open(&broker);
    log.ensure_topic("asked", 2).unwrap();
    assert_eq!(log.ask_high_watermarks("asked").await.unwrap(), vec![0, 0]);
    broker.kill();

    let ticks = Arc::new(AtomicU32::new(0));
    let ticker = tokio::spawn({
        let ticks = ticks.clone();
        async move {
            loop {
                tokio::time::sleep(Duration::from_millis(10)).await;
                ticks.fetch_add(1, Ordering::SeqCst);
            }
        }
    });
    let started = Instant::now();
    let asked = log.ask_high_watermark("asked", 0).await;
    let waited = started.elapsed();
    ticker.abort();
    assert!(matches!(asked, Err(Error::Unavailable { .. })), "{asked:?}");
    assert!(
        waited < TIMEOUT + SLACK,
        "gave up within the timeout: {waited:?}"
    );
    let ticks = ticks.load(Ordering::SeqCst);
    assert!(
        ticks as u128 >= waited.as_millis() / 40,
        "the other task ran {ticks} times in the {waited:?} the ask waited"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_projection_style_read_loop_sees_every_record_once_in_order() {
    let broker = Broker::start();
    let log = open(&broker);
    log.ensure_topic("loop", 2).unwrap();
    let records: Vec<_> = (0..2000)
        .map(|i| record(&format!("learner-{}", i % 37), &format!("event-{i}")))
        .collect();
    let acknowledged = append_all(&log, "loop", &records).await;
    for partition in 0..2 {
        let expected: Vec<_> = acknowledged
            .iter()
            .filter(|(p, _)| p.partition == partition)
            .map(|(_, r)| r.value.clone())
            .collect();
        let mut seen = Vec::new();
        let mut next = 0;
        loop {
            let batch = log
                .read("loop", partition, next, 100, 64 * 1024)
                .await
                .unwrap();
            let Some(last) = batch.last() else { break };
            assert_eq!(batch[0].offset, next);
            next = last.offset + 1;
            seen.extend(batch.into_iter().map(|r| r.value));
        }
        assert_eq!(seen, expected);
    }
}

/// A folding task wakes on this handle's own append and reads what it appended,
/// without a fetch from the broker: the records are kept before the end is raised, and
/// when the end watcher learns the new end from the broker first (between the
/// acknowledgement and the keeping), the read waits for the append in flight to keep
/// them. The watcher asks every 2 ms here, so that it often does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_waiter_woken_by_an_own_append_reads_it_without_a_fetch() {
    let broker = Broker::start();
    let url = format!("{}?fetch_wait_ms=2", broker.url());
    let log = EventLog::open(&url, EmbeddedOptions::default()).expect("open the kafka log");
    log.ensure_topic("own", 1).unwrap();
    for offset in 0..200u64 {
        let waiter = tokio::spawn({
            let log = log.clone();
            async move {
                let end = (log.wait_for_offset("own", 0, offset, Duration::from_secs(10)))
                    .await
                    .unwrap();
                assert!(end > offset);
                log.read("own", 0, offset, 10, 1 << 20).await.unwrap()
            }
        });
        tokio::task::yield_now().await;
        let value = format!("event-{offset}");
        log.append("own", vec![record("k", &value)]).await.unwrap();
        let read = waiter.await.unwrap();
        assert_eq!(read.len(), 1);
        assert_eq!(read[0].value, value.as_bytes());
    }
    assert_eq!(
        log.stats().fetched_records,
        0,
        "nothing fetched from the broker"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_compacted_topic_is_created_compacted_and_an_empty_value_is_a_null_payload() {
    use rdkafka::admin::{AdminClient, AdminOptions, ResourceSpecifier};
    use rdkafka::client::DefaultClientContext;
    use rdkafka::consumer::{BaseConsumer, Consumer};
    use rdkafka::{Message, Offset, TopicPartitionList};

    let embedded_dir = tempfile::tempdir().unwrap();
    let embedded =
        EventLog::open_embedded(embedded_dir.path(), EmbeddedOptions::default()).unwrap();
    assert!(matches!(
        embedded.ensure_compacted_topic("views", 1),
        Err(Error::Unsupported(_))
    ));

    let broker = Broker::start();
    let log = open(&broker);
    log.ensure_compacted_topic("views", 1).unwrap();
    log.ensure_compacted_topic("views", 1).unwrap();
    append_all(&log, "views", &[record("a", "1"), record("a", "")]).await;

    let mut config = rdkafka::ClientConfig::new();
    config.set("bootstrap.servers", broker.address());
    let admin = AdminClient::<DefaultClientContext>::from_config(&config).unwrap();
    let described = admin
        .describe_configs([&ResourceSpecifier::Topic("views")], &AdminOptions::new())
        .await
        .unwrap();
    let resource = described.into_iter().next().unwrap().unwrap();
    let policy = resource.get("cleanup.policy").and_then(|e| e.value.clone());
    assert_eq!(policy.as_deref(), Some("compact"));

    config.set("group.id", "tombstone-check");
    let consumer = BaseConsumer::from_config(&config).unwrap();
    let mut assignment = TopicPartitionList::new();
    assignment
        .add_partition_offset("views", 0, Offset::Beginning)
        .unwrap();
    consumer.assign(&assignment).unwrap();
    let mut payloads = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    while payloads.len() < 2 && Instant::now() < deadline {
        if let Some(message) = consumer.poll(Duration::from_millis(200)) {
            let message = message.unwrap();
            payloads.push(message.payload().map(<[u8]>::to_vec));
        }
    }
    assert_eq!(
        payloads,
        [Some(b"1".to_vec()), None],
        "the second is a tombstone"
    );
}
