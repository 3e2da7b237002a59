//! The learners' data keys of a Kafka deployment, carried between processes on the
//! compacted `learner-keys` topic (see `learnlog_keys::replication` for the records).
//!
//! Every process of the deployment publishes the keys it makes there before it seals
//! anything with them, and reads the topic to apply the others' keys and tombstones to
//! its own key store in `DATA_DIR/keys`: at start (before any fold), whenever a fold
//! meets a key it does not know, and every few seconds (so a key destroyed elsewhere
//! is gone here soon after). How far this process has read is kept in
//! `DATA_DIR/keys/topic-position`.

use learnlog_keys::replication::{self, KeyReplication};
use learnlog_keys::{Error, KeyEncryptionKey, LearnerKeys, Result, KEY_BYTES};
use learnlog_log::{EventLog, Record};
use learnlog_proto::topics;
use std::future::Future;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

/// How often a process reads the keys others published or destroyed.
const FOLLOW_EVERY: Duration = Duration::from_secs(2);
/// Records read from the key topic at a time.
const READ_RECORDS: usize = 1_000;

/// One process's side of the key topic.
pub struct KeyTopic {
    log: EventLog,
    /// The runtime the log's calls run on, from whatever thread needs a key.
    runtime: tokio::runtime::Handle,
    encryption: Option<KeyEncryptionKey>,
    /// The offset of the next record to apply; held while catching up.
    position: Mutex<u64>,
    position_file: PathBuf,
}

impl KeyTopic {
    /// Creates the topic when missing and reads where this process stopped.
    pub fn open(
        log: &EventLog,
        keys_dir: PathBuf,
        encryption: Option<KeyEncryptionKey>,
    ) -> anyhow::Result<Arc<Self>> {
        log.ensure_compacted_topic(topics::LEARNER_KEYS, 1)?;
        let position_file = keys_dir.join("topic-position");
        let position = match std::fs::read_to_string(&position_file) {
            Ok(text) => text.trim().parse()?,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => 0,
            Err(error) => return Err(error.into()),
        };
        Ok(Arc::new(Self {
            log: log.clone(),
            runtime: tokio::runtime::Handle::current(),
            encryption,
            position: Mutex::new(position),
            position_file,
        }))
    }

    /// Runs a log call to its end on the log's runtime, from any thread: a thread of
    /// its own blocks on it, since the caller may be a runtime worker.
    fn run<T: Send>(&self, call: impl Future<Output = T> + Send) -> T {
        std::thread::scope(|scope| {
            scope
                .spawn(|| self.runtime.block_on(call))
                .join()
                .expect("a key topic call panicked")
        })
    }

    fn append(&self, records: Vec<Record>) -> Result<()> {
        self.run(self.log.append(topics::LEARNER_KEYS, records))
            .map(drop)
            .map_err(|error| Error::Replication(error.to_string()))
    }

    /// Saves the position durably, after the keys it covers were written.
    fn save_position(&self, position: u64) -> Result<()> {
        learnlog_api::durable_file::replace(&self.position_file, position.to_string().as_bytes())
            .map_err(|source| Error::Io {
                path: self.position_file.clone(),
                source,
            })
    }
}

impl KeyReplication for KeyTopic {
    fn publish(&self, tenant: &str, keys: &[(Uuid, [u8; KEY_BYTES])]) -> Result<()> {
        let encryption = self.encryption.as_ref().ok_or_else(|| {
            Error::Replication(
                "sealing on Kafka needs a key-encryption key (--key-encryption-key-file)".into(),
            )
        })?;
        let records = (keys.iter())
            .map(|(learner, key)| {
                let id: [u8; 16] = key[..16].try_into().expect("16 bytes");
                let record_key = replication::record_key(tenant, *learner, &id);
                let value = encryption.wrap(&record_key, key);
                Record {
                    key: record_key,
                    value,
                }
            })
            .collect();
        self.append(records)
    }

    fn publish_destroyed(&self, tenant: &str, learner: Uuid, ids: &[[u8; 16]]) -> Result<()> {
        let tombstones = (ids.iter())
            .map(|id| Record {
                key: replication::record_key(tenant, learner, id),
                value: Vec::new(),
            })
            .collect();
        self.append(tombstones)
    }

    fn catch_up(&self, keys: &LearnerKeys) -> Result<()> {
        let mut position = self.position.lock().expect("key topic position poisoned");
        let unavailable = |error: learnlog_log::Error| Error::Replication(error.to_string());
        let end = (self.log)
            .high_watermark(topics::LEARNER_KEYS, 0)
            .map_err(unavailable)?;
        let mut next = *position;
        let mut records = Vec::new();
        while next < end {
            let read =
                self.run(
                    self.log
                        .read(topics::LEARNER_KEYS, 0, next, READ_RECORDS, usize::MAX),
                );
            let read = read.map_err(unavailable)?;
            let Some(last) = read.last() else { break };
            next = last.offset + 1;
            records.extend(read.into_iter().map(|record| (record.key, record.value)));
        }
        if next == *position {
            return Ok(());
        }
        replication::apply(keys, self.encryption.as_ref(), records)?;
        self.save_position(next)?;
        *position = next;
        Ok(())
    }
}

/// Applies the keys other processes publish and destroy every [`FOLLOW_EVERY`] until
/// `cancel`. A failed round is logged and tried again.
pub async fn follow(keys: Arc<LearnerKeys>, cancel: CancellationToken) {
    loop {
        tokio::select! {
            () = cancel.cancelled() => return,
            () = tokio::time::sleep(FOLLOW_EVERY) => {}
        }
        let keys = keys.clone();
        match tokio::task::spawn_blocking(move || keys.catch_up()).await {
            Ok(Ok(())) => {}
            Ok(Err(error)) => tracing::warn!(%error, "reading the learner-keys topic"),
            Err(error) => tracing::warn!(%error, "the learner-keys follower task failed"),
        }
    }
}
