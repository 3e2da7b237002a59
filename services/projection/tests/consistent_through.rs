//! `consistent_through_micros` never claims more than is folded: when the log cannot be
//! asked for its partitions' ends (a broker down), it answers the newest instant known
//! to be folded, not the `now` it was given.

mod common;

use common::{run_nothing, Watched, TOPIC};
use learnlog_log::Record;
use learnlog_projection::ProjectionOptions;
use learnlog_proto::v1::Envelope;
use learnlog_proto::Message;
use std::time::Duration;

const PARTITIONS: u32 = 2;

fn event(key: &str, produced_at_micros: i64) -> Record {
    Record {
        key: key.as_bytes().to_vec(),
        value: Envelope {
            event_id: format!("{key}-{produced_at_micros}"),
            key: key.to_owned(),
            produced_at_micros,
            ..Envelope::default()
        }
        .encode_to_vec(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_log_gets_the_newest_instant_known_folded_never_now() {
    let dir = tempfile::tempdir().unwrap();
    let (backend, log) = Watched::open(&dir.path().join("log"));
    log.ensure_topic(TOPIC, PARTITIONS).unwrap();
    // Events produced 1,000 µs apart, appended in that order over both partitions.
    let records = (0..16i64)
        .map(|i| event(&format!("key-{i}"), 1_000 * (i + 1)))
        .collect();
    let positions = log.append(TOPIC, records).await.unwrap();
    let mut last_per_partition = vec![None; PARTITIONS as usize];
    for (i, position) in positions.iter().enumerate() {
        last_per_partition[position.partition as usize] = Some(1_000 * (i as i64 + 1));
    }
    let oldest_last_folded = last_per_partition
        .iter()
        .map(|last| last.expect("the keys spread over both partitions"))
        .min()
        .unwrap();

    let (projection, cancel, tasks) = run_nothing(
        &dir.path().join("nothing"),
        &log,
        ProjectionOptions::default(),
    );
    projection.catch_up(Duration::from_secs(10)).await.unwrap();
    cancel.cancel();
    tasks.join_all().await;

    let now = 1_000_000;
    backend.set_unreachable(true);
    assert_eq!(
        projection.consistent_through_micros(TOPIC, now).unwrap(),
        oldest_last_folded,
        "no claim made yet: the oldest of the partitions' last folded events"
    );

    backend.set_unreachable(false);
    assert_eq!(
        projection.consistent_through_micros(TOPIC, now).unwrap(),
        now,
        "caught up, and the log said so"
    );

    backend.set_unreachable(true);
    assert_eq!(
        projection
            .consistent_through_micros(TOPIC, 2 * now)
            .unwrap(),
        now,
        "the last claim the log's ends backed, not the later now"
    );
    assert_eq!(projection.known_folded_through_micros(TOPIC).unwrap(), now);
}
