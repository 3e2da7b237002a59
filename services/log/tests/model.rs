//! Model-based property test of the embedded log: random appends, reads and simulated
//! crashes, checked against a `Vec` per partition.
//!
//! A simulated crash closes the log, then damages only bytes that were never
//! acknowledged — a torn prefix of a frame or garbage appended to a partition's last
//! segment, as a write cut short by power loss leaves it — and reopens. After every
//! reopen each acknowledged record must read back identically and new appends must
//! continue at the model's next offset.

use std::collections::HashMap;
use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::Path;

use learnlog_log::{EmbeddedOptions, EventLog, Record};
use proptest::prelude::*;

const TOPICS: [(&str, u32); 2] = [("single", 1), ("many", 3)];

#[derive(Clone, Debug)]
enum Damage {
    /// The first `cut` bytes of a frame for the next offset (never the whole frame).
    TornFrame { cut: usize, value: Vec<u8> },
    /// Arbitrary bytes, as left by a write whose data blocks never made it.
    Garbage(Vec<u8>),
    /// A clean shutdown.
    Nothing,
}

#[derive(Clone, Debug)]
enum Op {
    Append {
        topic: usize,
        records: Vec<(u8, Vec<u8>)>,
    },
    Read {
        topic: usize,
        partition: u32,
        from: u64,
        max_records: usize,
        max_bytes: usize,
    },
    Crash {
        topic: usize,
        partition: u32,
        damage: Damage,
    },
}

fn damage() -> impl Strategy<Value = Damage> {
    prop_oneof![
        (1usize..64, prop::collection::vec(any::<u8>(), 0..40))
            .prop_map(|(cut, value)| Damage::TornFrame { cut, value }),
        prop::collection::vec(any::<u8>(), 1..64).prop_map(Damage::Garbage),
        Just(Damage::Nothing),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..TOPICS.len(), prop::collection::vec((0u8..8, prop::collection::vec(any::<u8>(), 0..120)), 1..12))
            .prop_map(|(topic, records)| Op::Append { topic, records }),
        3 => (0..TOPICS.len(), 0u32..3, 0u64..40, 1usize..20, 1usize..400)
            .prop_map(|(topic, partition, from, max_records, max_bytes)| Op::Read { topic, partition, from, max_records, max_bytes }),
        1 => (0..TOPICS.len(), 0u32..3, damage())
            .prop_map(|(topic, partition, damage)| Op::Crash { topic, partition, damage }),
    ]
}

/// What a frame looks like on disk (see `embedded/segment.rs`), to tear it.
fn frame(offset: u64, key: &[u8], value: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    body.extend_from_slice(&offset.to_le_bytes());
    body.extend_from_slice(&(key.len() as u32).to_le_bytes());
    body.extend_from_slice(&(value.len() as u32).to_le_bytes());
    body.extend_from_slice(key);
    body.extend_from_slice(value);
    let mut out = (body.len() as u32).to_le_bytes().to_vec();
    out.extend_from_slice(&crc32fast::hash(&body).to_le_bytes());
    out.extend_from_slice(&body);
    out
}

fn last_segment(dir: &Path, topic: &str, partition: u32) -> std::path::PathBuf {
    let dir = dir.join("topics").join(topic).join(partition.to_string());
    let mut files: Vec<_> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.retain(|p| p.extension().is_some_and(|e| e == "log"));
    files.sort();
    files.pop().unwrap()
}

fn open(dir: &Path) -> EventLog {
    let options = EmbeddedOptions {
        segment_bytes: 300,
        fsync: false,
    };
    let log = EventLog::open_embedded(dir, options).unwrap();
    for (topic, partitions) in TOPICS {
        log.ensure_topic(topic, partitions).unwrap();
    }
    log
}

type Model = HashMap<(usize, u32), Vec<(Vec<u8>, Vec<u8>)>>;

async fn check_everything(log: &EventLog, model: &Model) {
    for (t, (topic, partitions)) in TOPICS.iter().enumerate() {
        for partition in 0..*partitions {
            let expected = model.get(&(t, partition)).cloned().unwrap_or_default();
            assert_eq!(
                log.high_watermark(topic, partition).unwrap(),
                expected.len() as u64
            );
            let read = log
                .read(topic, partition, 0, usize::MAX, usize::MAX)
                .await
                .unwrap();
            let read: Vec<_> = read.into_iter().map(|r| (r.key, r.value)).collect();
            assert_eq!(read, expected, "{topic}/{partition} after reopen");
        }
    }
}

async fn run(ops: Vec<Op>) {
    let dir = tempfile::tempdir().unwrap();
    let mut log = open(dir.path());
    let mut model = Model::new();
    for op in ops {
        match op {
            Op::Append { topic, records } => {
                let (name, _) = TOPICS[topic];
                let records: Vec<_> = records
                    .into_iter()
                    .map(|(key, value)| Record {
                        key: vec![b'k', key],
                        value,
                    })
                    .collect();
                let positions = log.append(name, records.clone()).await.unwrap();
                for (record, position) in records.into_iter().zip(positions) {
                    let stored = model.entry((topic, position.partition)).or_default();
                    assert_eq!(position.offset, stored.len() as u64, "next offset");
                    stored.push((record.key, record.value));
                }
            }
            Op::Read {
                topic,
                partition,
                from,
                max_records,
                max_bytes,
            } => {
                let (name, partitions) = TOPICS[topic];
                let partition = partition % partitions;
                let expected = model.get(&(topic, partition)).cloned().unwrap_or_default();
                let read = log
                    .read(name, partition, from, max_records, max_bytes)
                    .await
                    .unwrap();
                let mut bytes = 0;
                for (i, stored) in read.iter().enumerate() {
                    let offset = from + i as u64;
                    assert_eq!(stored.offset, offset);
                    assert_eq!(
                        (&stored.key, &stored.value),
                        (&expected[offset as usize].0, &expected[offset as usize].1)
                    );
                    bytes += stored.key.len() + stored.value.len();
                }
                let available = (expected.len() as u64).saturating_sub(from) as usize;
                assert!(read.len() <= max_records.min(available));
                if available > 0 {
                    assert!(!read.is_empty(), "at least one record when one exists");
                }
                assert!(read.len() <= 1 || bytes <= max_bytes, "max_bytes honoured");
                if read.len() < max_records.min(available) {
                    let next = &expected[from as usize + read.len()];
                    assert!(
                        bytes + next.0.len() + next.1.len() > max_bytes,
                        "stopped early only for max_bytes"
                    );
                }
            }
            Op::Crash {
                topic,
                partition,
                damage,
            } => {
                let (name, partitions) = TOPICS[topic];
                let partition = partition % partitions;
                log.close().await.unwrap();
                drop(log);
                let tail = match damage {
                    Damage::TornFrame { cut, value } => {
                        let next = model.get(&(topic, partition)).map_or(0, Vec::len) as u64;
                        let whole = frame(next, b"k0", &value);
                        whole[..cut.min(whole.len() - 1)].to_vec()
                    }
                    Damage::Garbage(bytes) => bytes,
                    Damage::Nothing => Vec::new(),
                };
                let path = last_segment(dir.path(), name, partition);
                OpenOptions::new()
                    .append(true)
                    .open(path)
                    .unwrap()
                    .write_all(&tail)
                    .unwrap();
                log = open(dir.path());
                check_everything(&log, &model).await;
            }
        }
    }
    log.close().await.unwrap();
    drop(log);
    let log = open(dir.path());
    check_everything(&log, &model).await;
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn acknowledged_records_survive_crashes_and_appends_continue(ops in prop::collection::vec(op(), 1..40)) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(run(ops));
    }
}
