//! Behaviour of the embedded backend beyond the shared contract: on-disk layout, segment
//! rolling, recovery from torn and corrupt tails, the directory lock, counters.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use learnlog_log::ticks::next_tick;
use learnlog_log::{EmbeddedOptions, Error, EventLog, Record, MAX_RECORD_BYTES};
use std::time::Duration;
use tokio::task::JoinSet;
use tokio::time::Instant;

fn options(segment_bytes: u64) -> EmbeddedOptions {
    EmbeddedOptions {
        segment_bytes,
        fsync: true,
    }
}

fn record(key: &str, value: &str) -> Record {
    Record {
        key: key.as_bytes().to_vec(),
        value: value.as_bytes().to_vec(),
    }
}

fn segments(dir: &Path, topic: &str, partition: u32) -> Vec<PathBuf> {
    let dir = dir.join("topics").join(topic).join(partition.to_string());
    let mut files: Vec<_> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "log"))
        .collect();
    files.sort();
    files
}

async fn filled_log(dir: &Path, count: usize, segment_bytes: u64) -> EventLog {
    let log = EventLog::open_embedded(dir, options(segment_bytes)).unwrap();
    log.ensure_topic("t", 1).unwrap();
    let records = (0..count)
        .map(|i| record("k", &format!("value-{i:04}")))
        .collect();
    log.append("t", records).await.unwrap();
    log
}

async fn values(log: &EventLog) -> Vec<String> {
    log.read("t", 0, 0, usize::MAX, usize::MAX)
        .await
        .unwrap()
        .into_iter()
        .map(|r| String::from_utf8(r.value).unwrap())
        .collect()
}

#[tokio::test]
async fn topics_are_laid_out_as_documented() {
    let dir = tempfile::tempdir().unwrap();
    let log = EventLog::open_embedded(dir.path(), options(1 << 20)).unwrap();
    log.ensure_topic("statements", 2).unwrap();
    let topic = dir.path().join("topics/statements");
    assert_eq!(
        fs::read_to_string(topic.join("meta")).unwrap(),
        "partitions=2\n"
    );
    assert!(topic.join("0/00000000000000000000.log").is_file());
    assert!(topic.join("1/00000000000000000000.log").is_file());
}

#[tokio::test]
async fn segments_roll_at_segment_bytes_and_reads_cross_them() {
    let dir = tempfile::tempdir().unwrap();
    let log = filled_log(dir.path(), 100, 512).await;
    let files = segments(dir.path(), "t", 0);
    assert!(
        files.len() > 5,
        "expected several segments, got {}",
        files.len()
    );
    for file in &files {
        assert!(fs::metadata(file).unwrap().len() <= 512);
    }
    // Each file is named by the offset of its first record.
    let second = files[1]
        .file_stem()
        .unwrap()
        .to_str()
        .unwrap()
        .parse::<u64>()
        .unwrap();
    let read = log.read("t", 0, second, 1, usize::MAX).await.unwrap();
    assert_eq!(read[0].offset, second);
    assert_eq!(values(&log).await.len(), 100);
    log.close().await.unwrap();
    let log = EventLog::open_embedded(dir.path(), options(512)).unwrap();
    assert_eq!(
        values(&log).await.len(),
        100,
        "the chain of segments recovers"
    );
}

#[tokio::test]
async fn any_durable_record_reads_in_place_across_segments() {
    let dir = tempfile::tempdir().unwrap();
    // records of about 10 KB in segments of 64 KB, then small ones: reads start at
    // index entries before them and cross the chunk a read of one record fetches
    let log = EventLog::open_embedded(dir.path(), options(64 * 1024)).unwrap();
    log.ensure_topic("t", 1).unwrap();
    let big = |i: usize| format!("{i:05}{}", "x".repeat(10_000));
    let mut expected: Vec<String> = (0..40).map(big).collect();
    expected.extend((40..400).map(|i| format!("value-{i:04}")));
    let records = expected.iter().map(|value| record("k", value)).collect();
    log.append("t", records).await.unwrap();
    assert!(log.reads_in_place());
    assert!(segments(dir.path(), "t", 0).len() > 5);
    for offset in [0, 1, 17, 39, 40, 41, 250, 399] {
        let read = log
            .read_in_place("t", 0, offset)
            .unwrap()
            .expect("a record");
        assert_eq!(read.offset, offset);
        assert_eq!(read.value, expected[offset as usize].as_bytes());
    }
    assert!(
        log.read_in_place("t", 0, 400).unwrap().is_none(),
        "t/0 has no record at 400"
    );
    for (topic, partition, offset) in [("t", 1, 0), ("u", 0, 0)] {
        assert!(
            log.read_in_place(topic, partition, offset).is_err(),
            "{topic}/{partition} has no record at {offset}"
        );
    }
}

#[tokio::test]
async fn a_record_larger_than_a_segment_gets_a_segment_of_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let log = EventLog::open_embedded(dir.path(), options(64)).unwrap();
    log.ensure_topic("t", 1).unwrap();
    let big = "x".repeat(500);
    log.append("t", vec![record("k", &big), record("k", &big)])
        .await
        .unwrap();
    assert_eq!(segments(dir.path(), "t", 0).len(), 2);
    assert_eq!(values(&log).await, vec![big.clone(), big]);
}

#[tokio::test]
async fn a_flipped_byte_in_the_tail_record_is_detected_and_truncated() {
    let dir = tempfile::tempdir().unwrap();
    let log = filled_log(dir.path(), 9, 1 << 20).await;
    // the last append alone: recovery cuts the whole of the append a damaged tail
    // record belongs to (see an_append_that_did_not_reach_every_partition_…)
    log.append("t", vec![record("k", "value-0009")])
        .await
        .unwrap();
    log.close().await.unwrap();
    drop(log);
    let last = segments(dir.path(), "t", 0).pop().unwrap();
    let mut bytes = fs::read(&last).unwrap();
    let at = bytes.len() - 3; // inside the value of record 9
    bytes[at] ^= 0x40;
    fs::write(&last, &bytes).unwrap();

    let log = EventLog::open_embedded(dir.path(), options(1 << 20)).unwrap();
    assert_eq!(log.high_watermark("t", 0).unwrap(), 9);
    let expected: Vec<_> = (0..9).map(|i| format!("value-{i:04}")).collect();
    assert_eq!(values(&log).await, expected);
    let p = log.append("t", vec![record("k", "new")]).await.unwrap()[0];
    assert_eq!(p.offset, 9, "the damaged record's offset is reused");
}

#[tokio::test]
async fn a_torn_partial_frame_at_the_tail_is_truncated() {
    let dir = tempfile::tempdir().unwrap();
    let log = filled_log(dir.path(), 5, 1 << 20).await;
    log.close().await.unwrap();
    drop(log);
    let last = segments(dir.path(), "t", 0).pop().unwrap();
    let intact = fs::metadata(&last).unwrap().len();
    let mut file = OpenOptions::new().append(true).open(&last).unwrap();
    file.write_all(&[40, 0, 0, 0, 1, 2, 3]).unwrap(); // a header promising more bytes
    drop(file);

    let log = EventLog::open_embedded(dir.path(), options(1 << 20)).unwrap();
    assert_eq!(fs::metadata(&last).unwrap().len(), intact);
    assert_eq!(values(&log).await.len(), 5);
}

#[tokio::test]
async fn damage_in_an_earlier_segment_fails_the_open_loudly() {
    let dir = tempfile::tempdir().unwrap();
    let log = filled_log(dir.path(), 50, 256).await;
    log.close().await.unwrap();
    drop(log);
    let first = segments(dir.path(), "t", 0).remove(0);
    let mut bytes = fs::read(&first).unwrap();
    bytes[30] ^= 0xff;
    fs::write(&first, &bytes).unwrap();

    let error = EventLog::open_embedded(dir.path(), options(256)).unwrap_err();
    assert!(matches!(error, Error::Corrupt { .. }), "{error}");
}

/// The state a process leaves when it dies after writing some partitions of a group
/// commit and before the others: a complete append over four partitions, then one
/// partition's file cut back to where it was before the append.
async fn died_between_partition_writes(dir: &Path, segment_bytes: u64) -> Vec<u64> {
    let log = EventLog::open_embedded(dir, options(segment_bytes)).unwrap();
    log.ensure_topic("t", 4).unwrap();
    let batch = |name: &str| -> Vec<Record> {
        (0..40)
            .map(|i| record(&format!("{name}{i}"), &format!("{name}-{i:02}")))
            .collect()
    };
    log.append("t", batch("acknowledged")).await.unwrap();
    let ends: Vec<u64> = (0..4)
        .map(|p| log.high_watermark("t", p).unwrap())
        .collect();
    let files: Vec<(PathBuf, u64)> = (0..4)
        .map(|p| {
            let last = segments(dir, "t", p).pop().unwrap();
            let length = fs::metadata(&last).unwrap().len();
            (last, length)
        })
        .collect();
    log.append("t", batch("lost")).await.unwrap();
    for p in 0..4 {
        assert!(
            log.high_watermark("t", p).unwrap() > ends[p as usize],
            "partition {p}"
        );
    }
    log.close().await.unwrap();
    drop(log);
    let (last, length) = &files[3];
    for later in segments(dir, "t", 3).into_iter().filter(|s| s > last) {
        fs::remove_file(later).unwrap();
    }
    OpenOptions::new()
        .write(true)
        .open(last)
        .unwrap()
        .set_len(*length)
        .unwrap();
    ends
}

async fn all_values(log: &EventLog) -> Vec<String> {
    let mut values = Vec::new();
    for p in 0..4 {
        let records = log.read("t", p, 0, usize::MAX, usize::MAX).await.unwrap();
        values.extend(
            records
                .into_iter()
                .map(|r| String::from_utf8(r.value).unwrap()),
        );
    }
    values
}

#[tokio::test]
async fn an_append_that_did_not_reach_every_partition_is_cut_from_all_of_them() {
    for segment_bytes in [1 << 20, 256] {
        let dir = tempfile::tempdir().unwrap();
        let ends = died_between_partition_writes(dir.path(), segment_bytes).await;
        let log = EventLog::open_embedded(dir.path(), options(segment_bytes)).unwrap();
        for p in 0..4 {
            assert_eq!(
                log.high_watermark("t", p).unwrap(),
                ends[p as usize],
                "partition {p}"
            );
        }
        let values = all_values(&log).await;
        assert_eq!(values.len(), 40, "{segment_bytes}: {values:?}");
        assert!(values.iter().all(|v| v.starts_with("acknowledged-")));
        // appends go on from where the acknowledged records end
        let position = log
            .append("t", vec![record("acknowledged0", "next")])
            .await
            .unwrap()[0];
        assert_eq!(position.offset, ends[position.partition as usize]);
    }
}

#[tokio::test]
async fn a_last_append_that_reached_every_partition_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let log = EventLog::open_embedded(dir.path(), options(1 << 20)).unwrap();
    log.ensure_topic("t", 4).unwrap();
    let records = (0..40).map(|i| record(&format!("k{i}"), "v")).collect();
    log.append("t", records).await.unwrap();
    log.close().await.unwrap();
    drop(log);
    let log = EventLog::open_embedded(dir.path(), options(1 << 20)).unwrap();
    assert_eq!(all_values(&log).await.len(), 40);
}

#[tokio::test]
async fn a_missing_segment_in_the_chain_fails_the_open() {
    let dir = tempfile::tempdir().unwrap();
    let log = filled_log(dir.path(), 50, 256).await;
    log.close().await.unwrap();
    drop(log);
    let files = segments(dir.path(), "t", 0);
    fs::remove_file(&files[1]).unwrap();
    let error = EventLog::open_embedded(dir.path(), options(256)).unwrap_err();
    assert!(matches!(error, Error::Corrupt { .. }), "{error}");
}

#[tokio::test]
async fn a_directory_is_opened_by_one_log_at_a_time() {
    let dir = tempfile::tempdir().unwrap();
    let log = EventLog::open_embedded(dir.path(), options(1 << 20)).unwrap();
    let error = EventLog::open_embedded(dir.path(), options(1 << 20)).unwrap_err();
    assert!(matches!(error, Error::Locked(_)), "{error}");
    log.close().await.unwrap();
    EventLog::open_embedded(dir.path(), options(1 << 20)).unwrap();
}

#[tokio::test]
async fn a_topic_whose_creation_did_not_finish_is_ignored_and_can_be_created() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(dir.path().join("topics/half/0")).unwrap();
    let log = EventLog::open_embedded(dir.path(), options(1 << 20)).unwrap();
    assert!(matches!(
        log.partition_count("half"),
        Err(Error::UnknownTopic(_))
    ));
    log.ensure_topic("half", 2).unwrap();
    log.append("half", vec![record("k", "v")]).await.unwrap();
}

#[tokio::test]
async fn oversized_records_are_rejected_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let log = EventLog::open_embedded(dir.path(), options(1 << 20)).unwrap();
    log.ensure_topic("t", 1).unwrap();
    let huge = Record {
        key: Vec::new(),
        value: vec![0; MAX_RECORD_BYTES + 1],
    };
    let error = log
        .append("t", vec![record("k", "v"), huge])
        .await
        .unwrap_err();
    assert!(matches!(error, Error::RecordTooLarge { .. }));
    assert_eq!(log.high_watermark("t", 0).unwrap(), 0);
}

#[tokio::test]
async fn urls_choose_the_embedded_backend_or_are_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("file://{}", dir.path().display());
    let log = EventLog::open(&url, options(1 << 20)).unwrap();
    log.close().await.unwrap();
    for url in ["", "file://", "s3://bucket/log", "kafka://no-port"] {
        assert!(
            matches!(
                EventLog::open(url, options(1)),
                Err(Error::InvalidUrl { .. })
            ),
            "{url:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_appends_share_fsyncs_and_are_counted() {
    let dir = tempfile::tempdir().unwrap();
    let log = EventLog::open_embedded(dir.path(), options(1 << 20)).unwrap();
    log.ensure_topic("t", 1).unwrap();
    let mut tasks = JoinSet::new();
    for task in 0..32 {
        let log = log.clone();
        tasks.spawn(async move {
            for i in 0..10 {
                log.append("t", vec![record("k", &format!("{task}-{i}"))])
                    .await
                    .unwrap();
            }
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.unwrap();
    }
    let stats = log.stats();
    assert_eq!(stats.appended_records, 320);
    assert!(stats.appended_bytes >= 320 * 4);
    assert!(
        stats.fsyncs < 320,
        "group commit shares fsyncs: {} for 320 appends",
        stats.fsyncs
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn derived_appends_made_apart_are_written_together() {
    // the embedded log's gathering of derived appends (see `EventLog::append_derived`)
    const TICK: Duration = Duration::from_millis(20);
    let dir = tempfile::tempdir().unwrap();
    let log = EventLog::open_embedded(dir.path(), options(1 << 20)).unwrap();
    log.ensure_topic("t", 1).unwrap();
    log.append("t", vec![record("k", "first")]).await.unwrap();
    let before = log.stats().fsyncs;
    // eight appends 2 ms apart, from just after a tick: alone, each would be a group (a
    // write and an fsync) of its own; derived, they wait for the next tick
    let tick = next_tick(Instant::now(), TICK);
    tokio::time::sleep_until(tick + Duration::from_millis(1)).await;
    let started = Instant::now();
    let mut tasks = JoinSet::new();
    for task in 0..8 {
        let log = log.clone();
        tasks.spawn(async move {
            (log.append_derived("t", vec![record("k", &format!("derived-{task}"))])
                .await)
                .unwrap()
        });
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let spread = started.elapsed();
    let mut offsets = Vec::new();
    while let Some(done) = tasks.join_next().await {
        offsets.extend(done.unwrap().into_iter().map(|position| position.offset));
    }
    offsets.sort_unstable();
    assert_eq!(offsets, (1..=8).collect::<Vec<u64>>());
    // the ticks the appends waited for (one or two, unless the machine stalled), each a
    // group or a few (the writer may wake before a tick's appends are all queued)
    let ticks = ((started - tick + spread).as_nanos() / TICK.as_nanos()) as u64 + 1;
    let groups = log.stats().fsyncs - before;
    assert!(
        groups <= 3 * ticks,
        "{groups} fsyncs for 8 derived appends spread over {spread:?}"
    );
}
