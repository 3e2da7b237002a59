//! The fold runtime over a real embedded log: checkpoints, resume, outcomes,
//! watermarks, rebuild.

use learnlog_log::{EmbeddedOptions, EventLog, Record};
use learnlog_projection::{Fold, FoldError, FoldTrees, Folded, Projection, ProjectionOptions};
use learnlog_proto::v1::{envelope::Event, CredentialRevoked, Envelope};
use learnlog_proto::Message;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

const TOPIC: &str = "events";

/// Counts events per key; the outcome is the count after the event.
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
    Projection::open(
        &dir.join("counter"),
        log.clone(),
        Arc::new(Counter),
        ProjectionOptions {
            batch_records: 7,
            ..ProjectionOptions::default()
        },
    )
    .unwrap()
}

fn event(key: &str, at: i64) -> Record {
    let envelope = Envelope {
        event_id: format!("{key}-{at}"),
        tenant: "t".into(),
        key: key.into(),
        produced_at_micros: at,
        event: Some(Event::CredentialRevoked(CredentialRevoked {
            key: key.into(),
        })),
    };
    Record {
        key: key.as_bytes().to_vec(),
        value: envelope.encode_to_vec(),
    }
}

fn count(projection: &Projection, key: &str) -> u64 {
    projection
        .db()
        .open_tree("counts")
        .unwrap()
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
    run_to_end(&projection).await;
    assert_eq!(count(&projection, "c"), 2);
    assert_eq!(count(&projection, "poison"), 0);
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
