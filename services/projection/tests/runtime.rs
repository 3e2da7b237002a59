//! The fold runtime over a real embedded log: checkpoints, resume, outcomes,
//! watermarks, rebuild.

use learnlog_log::{EmbeddedOptions, EventLog, Record};
use learnlog_projection::{Fold, FoldError, FoldTrees, Folded, Projection, ProjectionOptions};
use learnlog_proto::v1::{envelope::Event, ClassRemoved, CredentialRevoked, Envelope};
use learnlog_proto::Message;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

const TOPIC: &str = "events";

/// Counts `CredentialRevoked` events per key; the outcome is the count after the
/// event. Every other event changes nothing and writes nothing.
struct Counter;

impl Fold for Counter {
    fn name(&self) -> &'static str {
        "counter"
    }
    fn topics(&self) -> &'static [&'static str] {
        &[TOPIC]
    }
    fn trees(&self) -> &'static [&'static str] {
        &["counts"]
    }
    fn apply(
        &self,
        trees: &FoldTrees<'_>,
        _topic: &str,
        _partition: u32,
        _offset: u64,
        event: &Envelope,
    ) -> Result<Folded, FoldError> {
        if event.key == "poison" {
            return Err(FoldError::BadEvent("poison key".into()));
        }
        if !matches!(event.event, Some(Event::CredentialRevoked(_))) {
            return Ok(Folded::default());
        }
        let counts = trees.tree("counts");
        let count = counts
            .get(event.key.as_bytes())?
            .map_or(0, |v| u64::from_be_bytes(v.as_ref().try_into().unwrap()))
            + 1;
        counts.insert(event.key.as_bytes(), &count.to_be_bytes())?;
        Ok(Folded {
            outcome: Some(count.to_be_bytes().to_vec()),
        })
    }
}

fn open_log(dir: &Path) -> EventLog {
    let options = EmbeddedOptions {
        fsync: false,
        ..EmbeddedOptions::default()
    };
    let log = EventLog::open_embedded(&dir.join("log"), options).unwrap();
    log.ensure_topic(TOPIC, 2).unwrap();
    log
}

fn open_projection(dir: &Path, log: &EventLog) -> Projection {
    open_projection_with(dir, log, ProjectionOptions::default())
}

/// A counter folding batches of 7 events, with `options` otherwise.
fn open_projection_with(dir: &Path, log: &EventLog, options: ProjectionOptions) -> Projection {
    let options = ProjectionOptions {
        batch_records: 7,
        ..options
    };
    Projection::open(
        &dir.join("counter"),
        log.clone(),
        Arc::new(Counter),
        options,
    )
    .unwrap()
}

/// Checkpoints that only the count of unwritten events makes due (or stopping).
fn rare_checkpoints(every_events: u64) -> ProjectionOptions {
    ProjectionOptions {
        checkpoint_every_events: every_events,
        checkpoint_every: Duration::from_secs(3_600),
        ..ProjectionOptions::default()
    }
}

fn event(key: &str, at: i64) -> Record {
    record(
        key,
        at,
        Event::CredentialRevoked(CredentialRevoked { key: key.into() }),
    )
}

/// An event the counter reads and ignores, on the partition of `key`.
fn quiet(key: &str, at: i64) -> Record {
    record(
        key,
        at,
        Event::ClassRemoved(ClassRemoved {
            class_id: key.into(),
        }),
    )
}

fn record(key: &str, at: i64, event: Event) -> Record {
    let envelope = Envelope {
        event_id: format!("{key}-{at}"),
        tenant: "t".into(),
        key: key.into(),
        produced_at_micros: at,
        event: Some(event),
    };
    Record {
        key: key.as_bytes().to_vec(),
        value: envelope.encode_to_vec(),
    }
}

/// The checkpoint of `partition` as written in the store (not as folded in memory).
fn written_checkpoint(projection: &Projection, partition: u32) -> Option<u64> {
    let mut key = TOPIC.as_bytes().to_vec();
    key.push(0);
    key.extend_from_slice(&partition.to_be_bytes());
    projection
        .tree("runtime.checkpoints")
        .get(key)
        .unwrap()
        .map(|v| u64::from_be_bytes(v.as_ref().try_into().unwrap()))
}

fn count(projection: &Projection, key: &str) -> u64 {
    projection
        .tree("counts")
        .get(key)
        .unwrap()
        .map_or(0, |v| u64::from_be_bytes(v.as_ref().try_into().unwrap()))
}

async fn run_to_end(projection: &Projection) {
    let cancel = CancellationToken::new();
    let tasks = projection.run(cancel.clone());
    projection.catch_up(Duration::from_secs(10)).await.unwrap();
    cancel.cancel();
    tasks.join_all().await;
    projection.flush().await.unwrap();
}

#[tokio::test]
async fn reopened_projection_resumes_from_its_checkpoint_without_refolding() {
    let dir = tempfile::tempdir().unwrap();
    let log = open_log(dir.path());
    log.append(TOPIC, (0..50).map(|i| event("a", i)).collect())
        .await
        .unwrap();
    let projection = open_projection(dir.path(), &log);
    run_to_end(&projection).await;
    assert_eq!(count(&projection, "a"), 50);
    drop(projection);

    log.append(TOPIC, (50..80).map(|i| event("a", i)).collect())
        .await
        .unwrap();
    let projection = open_projection(dir.path(), &log);
    assert!(!projection.is_ready(), "30 events are not folded yet");
    run_to_end(&projection).await;
    assert_eq!(
        count(&projection, "a"),
        80,
        "each event folded exactly once"
    );
    assert!(projection.is_ready());
}

#[tokio::test]
async fn writers_read_the_outcome_recorded_at_their_position() {
    let dir = tempfile::tempdir().unwrap();
    let log = open_log(dir.path());
    let projection = open_projection(dir.path(), &log);
    let cancel = CancellationToken::new();
    projection.run(cancel.clone()).detach_all();
    let positions = log
        .append(TOPIC, vec![event("b", 1), event("b", 2), event("b", 3)])
        .await
        .unwrap();
    let last = positions[2];
    projection
        .wait_folded(TOPIC, last.partition, last.offset, Duration::from_secs(10))
        .await
        .unwrap();
    let outcome = projection
        .outcome(TOPIC, last.partition, last.offset)
        .unwrap();
    assert_eq!(outcome, Some(3u64.to_be_bytes().to_vec()));
    cancel.cancel();
}

#[tokio::test]
async fn waiting_for_an_unwritten_offset_times_out() {
    let dir = tempfile::tempdir().unwrap();
    let log = open_log(dir.path());
    let projection = open_projection(dir.path(), &log);
    let waited = projection
        .wait_folded(TOPIC, 0, 5, Duration::from_millis(50))
        .await;
    assert!(matches!(
        waited,
        Err(learnlog_projection::Error::Timeout { .. })
    ));
}

#[tokio::test]
async fn bad_events_are_skipped_and_the_partition_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let log = open_log(dir.path());
    let mut records = vec![event("c", 1), event("poison", 2)];
    records.push(Record {
        key: b"c".to_vec(),
        value: b"not protobuf \xff\xff".to_vec(),
    });
    records.push(event("c", 3));
    log.append(TOPIC, records).await.unwrap();
    let projection = open_projection(dir.path(), &log);
    assert_eq!(projection.skipped(), None);
    run_to_end(&projection).await;
    assert_eq!(count(&projection, "c"), 2);
    assert_eq!(count(&projection, "poison"), 0);
    let skipped = projection
        .skipped()
        .expect("the skipped events are recorded");
    assert_eq!(
        skipped.count, 2,
        "the rejected event and the undecodable one"
    );
    // the last one noted, with where it is and why
    let last = &skipped.last;
    assert!(last.starts_with(&format!("{TOPIC}/")), "{last}");
    assert!(
        last.contains(": undecodable: ") || last.ends_with(": poison key"),
        "{last}"
    );
}

#[tokio::test]
async fn consistent_through_is_now_when_caught_up_and_the_last_folded_event_when_lagging() {
    let dir = tempfile::tempdir().unwrap();
    let log = open_log(dir.path());
    log.append(TOPIC, vec![event("d", 1_000)]).await.unwrap();
    let projection = open_projection(dir.path(), &log);
    run_to_end(&projection).await;
    assert_eq!(
        projection.consistent_through_micros(TOPIC, 9_999).unwrap(),
        9_999
    );
    // A new event on the same key's partition, not folded (the projection is stopped).
    log.append(TOPIC, vec![event("d", 2_000)]).await.unwrap();
    assert_eq!(
        projection.consistent_through_micros(TOPIC, 9_999).unwrap(),
        1_000
    );
}

#[tokio::test]
async fn refolding_from_scratch_gives_the_same_digest() {
    let dir = tempfile::tempdir().unwrap();
    let log = open_log(dir.path());
    let keys = ["e", "f", "g", "h"];
    let records = (0..200).map(|i| event(keys[i % 4], i as i64)).collect();
    log.append(TOPIC, records).await.unwrap();
    let projection = open_projection(dir.path(), &log);
    run_to_end(&projection).await;
    let digest = projection.digest().unwrap();
    drop(projection);

    std::fs::remove_dir_all(dir.path().join("counter")).unwrap();
    let rebuilt = open_projection(dir.path(), &log);
    assert_ne!(rebuilt.digest().unwrap(), digest, "empty before folding");
    run_to_end(&rebuilt).await;
    assert_eq!(rebuilt.digest().unwrap(), digest);
}

#[tokio::test]
async fn batches_that_change_nothing_commit_nothing_until_folding_stops() {
    let dir = tempfile::tempdir().unwrap();
    let log = open_log(dir.path());
    let positions = log
        .append(TOPIC, (0..40).map(|i| quiet("q", i)).collect())
        .await
        .unwrap();
    let partition = positions[0].partition;
    let projection = open_projection_with(dir.path(), &log, rare_checkpoints(1_000));
    let cancel = CancellationToken::new();
    let tasks = projection.run(cancel.clone());
    projection.catch_up(Duration::from_secs(10)).await.unwrap();

    assert_eq!(projection.folded(TOPIC, partition).unwrap(), 40);
    assert_eq!(written_checkpoint(&projection, partition), None);
    cancel.cancel();
    tasks.join_all().await;
    assert_eq!(written_checkpoint(&projection, partition), Some(40));
}

#[tokio::test]
async fn an_unchanged_span_writes_its_checkpoint_once_enough_events_passed() {
    let dir = tempfile::tempdir().unwrap();
    let log = open_log(dir.path());
    let positions = log
        .append(TOPIC, (0..30).map(|i| quiet("q", i)).collect())
        .await
        .unwrap();
    let partition = positions[0].partition;
    let projection = open_projection_with(dir.path(), &log, rare_checkpoints(10));
    let cancel = CancellationToken::new();
    let tasks = projection.run(cancel.clone());
    projection.catch_up(Duration::from_secs(10)).await.unwrap();

    let written = written_checkpoint(&projection, partition).expect("a due checkpoint");
    assert!(
        (10..30).contains(&written),
        "written after 10 unchanged events, not at the end: {written}"
    );
    cancel.cancel();
    tasks.join_all().await;
}

#[tokio::test]
async fn a_crash_refolds_the_unchanged_span_and_applies_nothing_twice() {
    let dir = tempfile::tempdir().unwrap();
    let log = open_log(dir.path());
    let mut records: Vec<Record> = (0..20).map(|i| quiet("a", i)).collect();
    records.push(event("a", 20));
    records.extend((21..41).map(|i| quiet("a", i)));
    let positions = log.append(TOPIC, records).await.unwrap();
    let partition = positions[0].partition;
    let projection = open_projection_with(dir.path(), &log, rare_checkpoints(1_000));
    let cancel = CancellationToken::new();
    let mut tasks = projection.run(cancel.clone());
    projection.catch_up(Duration::from_secs(10)).await.unwrap();
    let written = written_checkpoint(&projection, partition).expect("the counting batch");
    assert!(
        (21..41).contains(&written),
        "committed with the batch that counted, not past it: {written}"
    );
    // a crash: the folding tasks end without stopping
    tasks.abort_all();
    while tasks.join_next().await.is_some() {}
    projection.flush().await.unwrap();
    drop(projection);

    let projection = open_projection(dir.path(), &log);
    assert_eq!(projection.folded(TOPIC, partition).unwrap(), written);
    run_to_end(&projection).await;
    assert_eq!(
        count(&projection, "a"),
        1,
        "the counted event is not counted again"
    );
    assert_eq!(projection.folded(TOPIC, partition).unwrap(), 41);
    assert_eq!(written_checkpoint(&projection, partition), Some(41));
}

/// The counter, told that it wants only what it counts: the rest never reaches `apply`.
struct Picky;

impl Fold for Picky {
    fn name(&self) -> &'static str {
        "picky"
    }
    fn topics(&self) -> &'static [&'static str] {
        &[TOPIC]
    }
    fn trees(&self) -> &'static [&'static str] {
        &["counts"]
    }
    fn wants(&self, event: &Envelope) -> bool {
        matches!(event.event, Some(Event::CredentialRevoked(_)))
    }
    fn apply(
        &self,
        trees: &FoldTrees<'_>,
        topic: &str,
        partition: u32,
        offset: u64,
        event: &Envelope,
    ) -> Result<Folded, FoldError> {
        assert!(self.wants(event), "applied an event it does not want");
        Counter.apply(trees, topic, partition, offset, event)
    }
}

#[tokio::test]
async fn events_a_fold_does_not_want_are_passed_by_and_still_counted_as_folded() {
    let dir = tempfile::tempdir().unwrap();
    let log = open_log(dir.path());
    let mut records: Vec<Record> = (0..10).map(|i| quiet("p", i)).collect();
    records.push(event("p", 10));
    records.extend((11..30).map(|i| quiet("p", i)));
    let positions = log.append(TOPIC, records).await.unwrap();
    let partition = positions[0].partition;
    let projection = Projection::open(
        &dir.path().join("picky"),
        log.clone(),
        Arc::new(Picky),
        ProjectionOptions {
            batch_records: 7,
            ..rare_checkpoints(1_000)
        },
    )
    .unwrap();
    let cancel = CancellationToken::new();
    let tasks = projection.run(cancel.clone());
    projection.catch_up(Duration::from_secs(10)).await.unwrap();
    assert_eq!(count(&projection, "p"), 1);
    assert_eq!(projection.folded(TOPIC, partition).unwrap(), 30);
    assert_eq!(
        written_checkpoint(&projection, partition),
        Some(14),
        "written with the one batch that counted (offsets 7..14)"
    );
    cancel.cancel();
    tasks.join_all().await;
    assert_eq!(written_checkpoint(&projection, partition), Some(30));
}

/// The counter, where a `ClassRemoved` event records how many counted keys the last
/// commit holds: right only if every event before it is committed first.
struct Snapshotting;

impl Fold for Snapshotting {
    fn name(&self) -> &'static str {
        "snapshotting"
    }
    fn topics(&self) -> &'static [&'static str] {
        &[TOPIC]
    }
    fn trees(&self) -> &'static [&'static str] {
        &["counts"]
    }
    fn reads_committed(&self, _partition: u32, event: &Envelope) -> Vec<(&'static str, Vec<u8>)> {
        match event.event {
            Some(Event::ClassRemoved(_)) => vec![("counts", b"k".to_vec())],
            _ => Vec::new(),
        }
    }
    fn apply(
        &self,
        trees: &FoldTrees<'_>,
        topic: &str,
        partition: u32,
        offset: u64,
        event: &Envelope,
    ) -> Result<Folded, FoldError> {
        if self.reads_committed(partition, event).is_empty() {
            return Counter.apply(trees, topic, partition, offset, event);
        }
        let seen = trees.committed_keys("counts", b"k").len() as u64;
        trees.tree("counts").insert(
            format!("seen-{}", event.key).as_bytes(),
            &seen.to_be_bytes(),
        )?;
        Ok(Folded::default())
    }
}

#[tokio::test]
async fn an_event_that_reads_committed_keys_sees_everything_before_it() {
    let dir = tempfile::tempdir().unwrap();
    let log = open_log(dir.path());
    // one partition: every key below hashes with the same record key
    let envelope = |key: &str, at: i64, event: Event| Record {
        key: b"same".to_vec(),
        value: record(key, at, event).value,
    };
    let mut records: Vec<Record> = (0..5)
        .map(|i| {
            envelope(
                &format!("k{i}"),
                i,
                Event::CredentialRevoked(CredentialRevoked {
                    key: format!("k{i}"),
                }),
            )
        })
        .collect();
    records.push(envelope(
        "a",
        5,
        Event::ClassRemoved(ClassRemoved {
            class_id: "a".into(),
        }),
    ));
    records.extend((6..9).map(|i| {
        envelope(
            &format!("k{i}"),
            i,
            Event::CredentialRevoked(CredentialRevoked {
                key: format!("k{i}"),
            }),
        )
    }));
    records.push(envelope(
        "b",
        9,
        Event::ClassRemoved(ClassRemoved {
            class_id: "b".into(),
        }),
    ));
    records.push(envelope(
        "c",
        10,
        Event::ClassRemoved(ClassRemoved {
            class_id: "c".into(),
        }),
    ));
    log.append(TOPIC, records).await.unwrap();
    let projection = Projection::open(
        &dir.path().join("snapshotting"),
        log.clone(),
        Arc::new(Snapshotting),
        ProjectionOptions {
            batch_records: 100,
            ..ProjectionOptions::default()
        },
    )
    .unwrap();
    run_to_end(&projection).await;
    assert_eq!(
        count(&projection, "seen-a"),
        5,
        "the 5 counts before a, committed"
    );
    assert_eq!(count(&projection, "seen-b"), 8);
    assert_eq!(
        count(&projection, "seen-c"),
        8,
        "two in a row each fold alone"
    );
    assert_eq!(count(&projection, "k8"), 1);
}

/// The counter, unable to fold events keyed `gated` while `reachable` is false, as a
/// fold is while a learner key it needs is on a log it cannot reach.
struct Gated {
    reachable: Arc<std::sync::atomic::AtomicBool>,
}

impl Fold for Gated {
    fn name(&self) -> &'static str {
        "gated"
    }
    fn topics(&self) -> &'static [&'static str] {
        &[TOPIC]
    }
    fn trees(&self) -> &'static [&'static str] {
        &["counts"]
    }
    fn apply(
        &self,
        trees: &FoldTrees<'_>,
        topic: &str,
        partition: u32,
        offset: u64,
        event: &Envelope,
    ) -> Result<Folded, FoldError> {
        let reachable = self.reachable.load(std::sync::atomic::Ordering::SeqCst);
        if event.key == "gated" && !reachable {
            return Err(FoldError::Unavailable("the key is elsewhere".into()));
        }
        Counter.apply(trees, topic, partition, offset, event)
    }
}

#[tokio::test]
async fn an_event_whose_needs_are_unreachable_is_folded_later_not_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let log = open_log(dir.path());
    let positions = log
        .append(TOPIC, vec![event("gated", 1), event("gated", 2)])
        .await
        .unwrap();
    let reachable = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let fold = Arc::new(Gated {
        reachable: reachable.clone(),
    });
    let options = ProjectionOptions::default();
    let projection =
        Projection::open(&dir.path().join("gated"), log.clone(), fold, options).unwrap();
    let cancel = CancellationToken::new();
    let tasks = projection.run(cancel.clone());
    let last = positions[1];
    let waited = (projection)
        .wait_folded(
            TOPIC,
            last.partition,
            last.offset,
            Duration::from_millis(500),
        )
        .await;
    assert!(
        waited.is_err(),
        "nothing folds while the key is unreachable"
    );
    let failure = projection
        .failure()
        .expect("the partition shows the failure");
    assert!(failure.contains("the key is elsewhere"), "{failure}");
    assert!(!projection.is_ready());

    reachable.store(true, std::sync::atomic::Ordering::SeqCst);
    projection
        .wait_folded(TOPIC, last.partition, last.offset, Duration::from_secs(10))
        .await
        .unwrap();
    assert_eq!(
        count(&projection, "gated"),
        2,
        "both events folded, once each"
    );
    assert_eq!(projection.skipped(), None, "none skipped");
    cancel.cancel();
    tasks.join_all().await;
    assert_eq!(projection.failure(), None);
}

/// A counter named `name` that lets events gather for `linger` after a partial batch.
struct Lingering {
    name: &'static str,
    linger: Duration,
}

impl Fold for Lingering {
    fn name(&self) -> &'static str {
        self.name
    }
    fn topics(&self) -> &'static [&'static str] {
        &[TOPIC]
    }
    fn trees(&self) -> &'static [&'static str] {
        &["counts"]
    }
    fn linger(&self, _topic: &str) -> Duration {
        self.linger
    }
    fn apply(
        &self,
        trees: &FoldTrees<'_>,
        topic: &str,
        partition: u32,
        offset: u64,
        event: &Envelope,
    ) -> Result<Folded, FoldError> {
        Counter.apply(trees, topic, partition, offset, event)
    }
}

/// Batches a projection named `name` has folded, from its batch-time histogram.
fn batches_folded(name: &str) -> u64 {
    prometheus::gather()
        .iter()
        .filter(|family| family.name() == "learnlog_projection_batch_seconds")
        .flat_map(|family| family.get_metric())
        .filter(|metric| {
            (metric.get_label().iter()).any(|l| l.name() == "projection" && l.value() == name)
        })
        .map(|metric| metric.get_histogram().get_sample_count())
        .sum()
}

#[tokio::test]
async fn a_lingering_fold_gathers_a_stream_of_events_into_few_batches() {
    let streams = [
        ("streaming", Duration::ZERO),
        ("lingering", Duration::from_secs(1)),
    ];
    for (name, linger) in streams {
        let dir = tempfile::tempdir().unwrap();
        let log = open_log(dir.path());
        let fold = Arc::new(Lingering { name, linger });
        let projection = Projection::open(
            &dir.path().join(name),
            log.clone(),
            fold,
            Default::default(),
        )
        .unwrap();
        let cancel = CancellationToken::new();
        let tasks = projection.run(cancel.clone());
        // 20 events, one every 10 ms: a fold that does not linger keeps up with each
        for at in 0..20 {
            log.append(TOPIC, vec![event("k", at)]).await.unwrap();
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        projection.catch_up(Duration::from_secs(10)).await.unwrap();
        assert_eq!(count(&projection, "k"), 20, "{name}");
        let batches = batches_folded(name);
        if linger.is_zero() {
            assert!(batches >= 10, "{name}: {batches} batches");
        } else {
            // the first event alone, then the rest together once the linger is over
            assert!(batches <= 3, "{name}: {batches} batches");
        }
        cancel.cancel();
        tasks.join_all().await;
    }
}
