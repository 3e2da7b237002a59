//! The repartition step (docs/design.md principle 4): every statement the statement store
//! accepted is re-published on `learner-events`, keyed by its actor's learner id, so
//! that everything about one learner is folded in order by one owner.
//!
//! One task per `statements` partition reads the partition in order, waits until the
//! statement store has folded each batch, keeps the submissions it stored (not the
//! duplicates or conflicts), turns each into a `LearnerStatement` with its competencies
//! resolved ([`resolve`]), appends them, and only then checkpoints the source offset in
//! its own sled database. A crash between the append and the checkpoint re-publishes a
//! batch: learner projections fold each source position once
//! (`learners::SourceWatermarks`). Voided statements are never re-published; one voided
//! after it was re-published is taken back with a `LearnerStatementVoided`.

pub mod facts;
mod metrics;
pub mod resolve;

use learnlog_log::{partition_for_key, EventLog, Record, StoredRecord};
use learnlog_projection::Projection;
use learnlog_projector_replicated::statements::{Lookup, StatementReader};
use learnlog_proto::v1::{envelope::Event, Envelope, LearnerStatementVoided};
use learnlog_proto::{topics, Message};
use resolve::Resolver;
use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

/// What can go wrong opening or running the repartitioner.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("repartition checkpoint store: {0}")]
    Store(#[from] sled::Error),
    #[error("log: {0}")]
    Log(#[from] learnlog_log::Error),
    #[error("statement store: {0}")]
    Projection(#[from] learnlog_projection::Error),
    #[error("reading stored statements: {0}")]
    Reader(String),
}

/// The result type of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

const BATCH_RECORDS: usize = 1_000;
const BATCH_BYTES: usize = 8 << 20;
const IDLE_POLL: Duration = Duration::from_millis(500);

/// The repartitioner of one process. Cheap to clone.
#[derive(Clone)]
pub struct Repartitioner {
    inner: Arc<Inner>,
}

struct Inner {
    log: EventLog,
    statements: Projection,
    reader: StatementReader,
    resolver: Resolver,
    db: sled::Db,
    checkpoints: sled::Tree,
    /// Per statements partition: the next source offset to re-publish.
    published: Vec<watch::Sender<u64>>,
}

fn checkpoint_key(partition: u32) -> [u8; 4] {
    partition.to_be_bytes()
}

impl Repartitioner {
    /// Opens (creating) the checkpoint database in `dir`. `statements` is the statement
    /// store projection it follows.
    pub fn open(
        dir: &Path,
        log: EventLog,
        statements: Projection,
        resolver: Resolver,
    ) -> Result<Self> {
        let db = sled::Config::new().path(dir).open()?;
        let checkpoints = db.open_tree("published")?;
        let partitions = log.partition_count(topics::STATEMENTS)?;
        let mut published = Vec::with_capacity(partitions as usize);
        for partition in 0..partitions {
            let next = match checkpoints.get(checkpoint_key(partition))? {
                Some(bytes) => u64::from_be_bytes(bytes.as_ref().try_into().map_err(|_| {
                    Error::Reader(format!("corrupt checkpoint of partition {partition}"))
                })?),
                None => 0,
            };
            published.push(watch::channel(next).0);
        }
        // exposed from the start, not from the first statement
        std::sync::LazyLock::force(&metrics::REPUBLISHED);
        let reader = StatementReader::new(&statements).map_err(|e| Error::Reader(e.to_string()))?;
        Ok(Self {
            inner: Arc::new(Inner {
                log,
                statements,
                reader,
                resolver,
                db,
                checkpoints,
                published,
            }),
        })
    }

    /// Starts one task per `statements` partition, until `cancel` fires. A batch in
    /// flight finishes (appended and checkpointed) before a task stops.
    pub fn run(&self, cancel: CancellationToken) -> JoinSet<()> {
        let mut tasks = JoinSet::new();
        for partition in 0..self.inner.published.len() as u32 {
            tasks.spawn(self.inner.clone().run_partition(partition, cancel.clone()));
        }
        tasks
    }

    /// Starts re-publishing one `statements` partition (the share of a process that owns
    /// some partitions), until `cancel` fires, finishing the batch in flight.
    pub fn run_partition(&self, partition: u32, cancel: CancellationToken) -> JoinSet<()> {
        let mut tasks = JoinSet::new();
        tasks.spawn(self.inner.clone().run_partition(partition, cancel));
        tasks
    }

    /// The next source offset to re-publish in `partition`.
    pub fn published(&self, partition: u32) -> u64 {
        self.inner
            .published
            .get(partition as usize)
            .map_or(0, |p| *p.borrow())
    }

    /// Resolves once `partition` has re-published everything the statement store had
    /// folded when asked: learner views then reflect every statement of it acknowledged
    /// before the call (once the learner projections fold them too).
    pub async fn catch_up_partition(&self, partition: u32, timeout: Duration) -> Result<()> {
        let published = self
            .inner
            .published
            .get(partition as usize)
            .ok_or_else(|| Error::Reader(format!("no statements partition {partition}")))?;
        let end = self
            .inner
            .log
            .high_watermark(topics::STATEMENTS, partition)?;
        let mut watch = published.subscribe();
        tokio::time::timeout(timeout, watch.wait_for(|next| *next >= end))
            .await
            .map_err(|_| Error::Reader(format!("partition {partition} not re-published in time")))?
            .map_err(|_| Error::Reader("repartitioner stopped".into()))?;
        Ok(())
    }

    /// Writes the checkpoints to disk.
    pub async fn flush(&self) -> Result<()> {
        self.inner.db.flush_async().await?;
        Ok(())
    }
}

fn now_micros() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as i64)
}

impl Inner {
    async fn run_partition(self: Arc<Self>, partition: u32, cancel: CancellationToken) {
        let mut next = *self.published[partition as usize].borrow();
        while !cancel.is_cancelled() {
            let step = async {
                let records = self
                    .log
                    .read(
                        topics::STATEMENTS,
                        partition,
                        next,
                        BATCH_RECORDS,
                        BATCH_BYTES,
                    )
                    .await?;
                let Some(last) = records.last().map(|r| r.offset) else {
                    self.log
                        .wait_for_offset(topics::STATEMENTS, partition, next, IDLE_POLL)
                        .await?;
                    return Ok::<_, Error>(next);
                };
                while self.statements.folded(topics::STATEMENTS, partition)? <= last {
                    if cancel.is_cancelled() {
                        return Ok(next);
                    }
                    // a timeout only means "not yet": look again
                    let _ = self
                        .statements
                        .wait_folded(topics::STATEMENTS, partition, last, IDLE_POLL)
                        .await;
                }
                // voiding: the voiding statements named in this batch must be folded
                // (accepted or not) before anything is decided about their targets
                for voiding_partition in self.voiding_partitions(partition, &records)? {
                    let end = self
                        .log
                        .high_watermark(topics::STATEMENTS, voiding_partition)?;
                    while self
                        .statements
                        .folded(topics::STATEMENTS, voiding_partition)?
                        < end
                    {
                        if cancel.is_cancelled() {
                            return Ok(next);
                        }
                        let _ = self
                            .statements
                            .wait_folded(topics::STATEMENTS, voiding_partition, end - 1, IDLE_POLL)
                            .await;
                    }
                }
                let inner = self.clone();
                let learner_events =
                    tokio::task::spawn_blocking(move || inner.learner_events(partition, &records))
                        .await
                        .map_err(|e| Error::Reader(e.to_string()))??;
                let republished = learner_events.len() as u64;
                if republished > 0 {
                    self.log
                        .append(topics::LEARNER_EVENTS, learner_events)
                        .await?;
                }
                metrics::REPUBLISHED.inc_by(republished);
                self.checkpoints
                    .insert(checkpoint_key(partition), &(last + 1).to_be_bytes())?;
                Ok(last + 1)
            };
            match step.await {
                Ok(published) => {
                    next = published;
                    self.published[partition as usize].send_replace(next);
                    let end = self
                        .log
                        .high_watermark(topics::STATEMENTS, partition)
                        .unwrap_or(next);
                    metrics::LAG
                        .with_label_values(&[&partition.to_string()])
                        .set(end.saturating_sub(next) as i64);
                }
                Err(error) => {
                    tracing::error!(partition, %error, "re-publishing statements failed; retrying");
                    tokio::select! {
                        _ = cancel.cancelled() => {}
                        _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                    }
                }
            }
        }
        // Stopped (shutdown, or the partition went to another projector): no lag here.
        let _ = metrics::LAG.remove_label_values(&[&partition.to_string()]);
    }

    /// The `statements` partitions holding the voiding statements that matter to this
    /// batch: those of its voiding claims, and those claiming to void its submissions.
    fn voiding_partitions(
        &self,
        partition: u32,
        records: &[StoredRecord],
    ) -> Result<BTreeSet<u32>> {
        let count = self.published.len() as u32;
        let mut partitions = BTreeSet::new();
        for record in records {
            let Ok(envelope) = Envelope::decode(record.value.as_slice()) else {
                continue;
            };
            let voiding: Vec<Uuid> = match &envelope.event {
                Some(Event::StatementVoided(claim)) => Uuid::parse_str(&claim.voiding_statement_id)
                    .into_iter()
                    .collect(),
                Some(Event::StatementSubmitted(submitted)) => {
                    match Uuid::parse_str(&submitted.statement_id) {
                        Ok(id)
                            if self.accepted_here(
                                &envelope.tenant,
                                id,
                                partition,
                                record.offset,
                            )? =>
                        {
                            self.reader
                                .voiding_claims(&envelope.tenant, id)
                                .map_err(|e| Error::Reader(e.to_string()))?
                        }
                        _ => Vec::new(),
                    }
                }
                _ => Vec::new(),
            };
            for id in voiding {
                partitions.insert(partition_for_key(id.to_string().as_bytes(), count));
            }
        }
        Ok(partitions)
    }

    /// True when the store keeps the submission at `partition`/`offset` as `id`.
    fn accepted_here(&self, tenant: &str, id: Uuid, partition: u32, offset: u64) -> Result<bool> {
        let stored = self
            .reader
            .get(tenant, id)
            .map_err(|e| Error::Reader(e.to_string()))?;
        Ok(stored.is_some_and(|s| s.partition == partition && s.offset == offset))
    }

    fn is_voided(&self, tenant: &str, id: Uuid) -> Result<bool> {
        let lookup = self
            .reader
            .lookup(tenant, id)
            .map_err(|e| Error::Reader(e.to_string()))?;
        Ok(matches!(lookup, Lookup::Voided(_)))
    }

    /// The learner events of a batch of `statements` records the store has folded (and
    /// whose voiding statements it has folded too).
    fn learner_events(&self, partition: u32, records: &[StoredRecord]) -> Result<Vec<Record>> {
        let mut out = Vec::new();
        for record in records {
            let Ok(envelope) = Envelope::decode(record.value.as_slice()) else {
                continue;
            };
            let tenant = &envelope.tenant;
            match &envelope.event {
                Some(Event::StatementSubmitted(submitted)) => {
                    let Ok(id) = Uuid::parse_str(&submitted.statement_id) else {
                        continue;
                    };
                    // accepted, and not voided already (then it is never re-published)
                    if !self.accepted_here(tenant, id, partition, record.offset)?
                        || self.is_voided(tenant, id)?
                    {
                        continue;
                    }
                    let Ok(statement) = serde_json::from_slice(&submitted.statement_json) else {
                        continue;
                    };
                    let Some(mut facts) = facts::learner_statement(&statement) else {
                        continue;
                    };
                    facts.source_partition = partition;
                    facts.source_offset = record.offset;
                    if facts.stored_micros == 0 {
                        facts.stored_micros = submitted.stored_micros;
                    }
                    facts.competency_ids = self
                        .resolver
                        .competencies(tenant, &statement, &facts.activity_id, &facts.category_ids)
                        .map_err(Error::Reader)?;
                    let key = facts.learner_id.clone();
                    out.push(learner_record(tenant, key, Event::LearnerStatement(facts)));
                }
                Some(Event::StatementVoided(claim)) => {
                    // the target, when it was re-published before this claim, is taken back
                    let Ok(target) = Uuid::parse_str(&claim.target_statement_id) else {
                        continue;
                    };
                    let stored = self
                        .reader
                        .get(tenant, target)
                        .map_err(|e| Error::Reader(e.to_string()))?;
                    let Some(stored) = stored else { continue };
                    if stored.partition != partition
                        || stored.offset > record.offset
                        || !self.is_voided(tenant, target)?
                    {
                        continue;
                    }
                    let Ok(statement) = serde_json::from_slice(&stored.json) else {
                        continue;
                    };
                    let Some(facts) = facts::learner_statement(&statement) else {
                        continue;
                    };
                    let voided = LearnerStatementVoided {
                        learner_id: facts.learner_id.clone(),
                        statement_id: facts.statement_id,
                        source_partition: partition,
                        source_offset: record.offset,
                    };
                    out.push(learner_record(
                        tenant,
                        facts.learner_id,
                        Event::LearnerStatementVoided(voided),
                    ));
                }
                _ => {}
            }
        }
        Ok(out)
    }
}

fn learner_record(tenant: &str, key: String, event: Event) -> Record {
    let envelope = Envelope {
        event_id: Uuid::new_v4().to_string(),
        tenant: tenant.to_owned(),
        key: key.clone(),
        produced_at_micros: now_micros(),
        event: Some(event),
    };
    Record {
        key: key.into_bytes(),
        value: envelope.encode_to_vec(),
    }
}
