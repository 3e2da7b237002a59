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
//!
//! This file is the public surface ([`Repartitioner`]); the task loop is in `task`, the
//! checkpoints in `checkpoints`, the voiding follow-up in `voiding` and the building of
//! learner events in `events`.

mod checkpoints;
mod events;
pub mod facts;
mod metrics;
pub mod resolve;
mod task;
mod voiding;

use learnlog_keys::LearnerKeys;
use learnlog_log::EventLog;
use learnlog_projection::Projection;
use learnlog_projector_replicated::statements::StatementReader;
use learnlog_proto::topics;
use resolve::Resolver;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

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

impl Repartitioner {
    /// Opens (creating) the checkpoint database in `dir`. `statements` is the statement
    /// store projection it follows, `keys` opens the statements sealed for a learner.
    pub fn open(
        dir: &Path,
        log: EventLog,
        statements: Projection,
        keys: Arc<LearnerKeys>,
        resolver: Resolver,
    ) -> Result<Self> {
        let db = sled::Config::new().path(dir).open()?;
        let checkpoints = db.open_tree(checkpoints::TREE)?;
        let partitions = log.partition_count(topics::STATEMENTS)?;
        let mut published = Vec::with_capacity(partitions as usize);
        for partition in 0..partitions {
            let next = checkpoints::load(&checkpoints, partition)?;
            published.push(watch::channel(next).0);
        }
        // exposed from the start, not from the first statement
        std::sync::LazyLock::force(&metrics::REPUBLISHED);
        let reader =
            StatementReader::new(&statements, keys).map_err(|e| Error::Reader(e.to_string()))?;
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
            .ask_high_watermark(topics::STATEMENTS, partition)
            .await?;
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
