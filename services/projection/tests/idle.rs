//! A folding task asks the log only for what it folds: caught up, it waits without
//! asking anything else; keeping up, it reads one batch per wait and asks no
//! watermark. On Kafka every read at a partition's end and every watermark is a
//! request to the broker: one folding task per projection and partition asking twice
//! per idle poll kept a broker busy while nothing happened, and asking after every
//! batch was most of the broker's requests under load.

mod common;

use common::{run_nothing, Watched, TOPIC};
use learnlog_log::Record;
use learnlog_projection::ProjectionOptions;
use learnlog_proto::v1::Envelope;
use learnlog_proto::Message;
use std::time::Duration;

fn event(key: &str) -> Record {
    Record {
        key: key.as_bytes().to_vec(),
        value: Envelope {
            key: key.to_owned(),
            ..Envelope::default()
        }
        .encode_to_vec(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_caught_up_folding_task_only_waits_and_still_folds_what_comes_next() {
    let dir = tempfile::tempdir().unwrap();
    let (counting, log) = Watched::open(&dir.path().join("log"));
    log.ensure_topic(TOPIC, 1).unwrap();
    log.append(TOPIC, (0..10).map(|_| event("a")).collect())
        .await
        .unwrap();
    let idle_poll = Duration::from_millis(5);
    let (projection, cancel, tasks) = run_nothing(
        &dir.path().join("nothing"),
        &log,
        ProjectionOptions {
            idle_poll,
            ..ProjectionOptions::default()
        },
    );
    projection.catch_up(Duration::from_secs(10)).await.unwrap();

    // Some 100 idle polls: one read and one watermark request at most while settling.
    tokio::time::sleep(idle_poll * 10).await;
    let settled = counting.asked();
    tokio::time::sleep(idle_poll * 100).await;
    assert_eq!(counting.asked(), settled, "(reads, watermarks) while idle");

    let position = log.append(TOPIC, vec![event("b")]).await.unwrap()[0];
    projection
        .wait_folded(TOPIC, 0, position.offset, Duration::from_secs(10))
        .await
        .unwrap();
    cancel.cancel();
    tasks.join_all().await;
}

/// A folding task that keeps up with appends reads only when the known end is past its
/// checkpoint, and takes its lag from that end: one read per batch, never a read that
/// finds nothing, and no watermark request (on Kafka each was a broker round trip,
/// most of the broker's requests under single-statement load).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_folding_task_keeping_up_asks_the_log_for_batches_only() {
    let dir = tempfile::tempdir().unwrap();
    let (counting, log) = Watched::open(&dir.path().join("log"));
    log.ensure_topic(TOPIC, 1).unwrap();
    let (projection, cancel, tasks) = run_nothing(
        &dir.path().join("nothing"),
        &log,
        ProjectionOptions::default(),
    );
    let (reads_before, watermarks_before) = counting.asked();
    let appends = 50;
    for _ in 0..appends {
        let position = log.append(TOPIC, vec![event("c")]).await.unwrap()[0];
        projection
            .wait_folded(TOPIC, 0, position.offset, Duration::from_secs(10))
            .await
            .unwrap();
    }
    let (reads, watermarks) = counting.asked();
    assert_eq!(watermarks, watermarks_before, "no watermark request");
    assert!(
        reads - reads_before <= appends,
        "{} reads for {appends} appends",
        reads - reads_before
    );
    cancel.cancel();
    tasks.join_all().await;
}
