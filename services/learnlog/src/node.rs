//! A node: the log and every projection of one process. The log is the embedded one in
//! the data directory, or the one `--log` names (Kafka); projection state is always in
//! the data directory.

use crate::cli::StorageArgs;
use crate::key_topic::KeyTopic;
use crate::ownership::PartitionedWork;
use anyhow::Context;
use learnlog_keys::{KeyEncryptionKey, LearnerKeys};
use learnlog_log::{EmbeddedOptions, EventLog};
use learnlog_projection::{Fold, Projection, ProjectionOptions};
use learnlog_projector_partitioned::decisions::DecisionStore;
use learnlog_projector_partitioned::documents::DocumentStore;
use learnlog_projector_partitioned::mastery::MasteryStore;
use learnlog_projector_partitioned::profiles::ProfileStore;
use learnlog_projector_replicated::activities::ActivityReader;
use learnlog_projector_replicated::attachments::AttachmentStore;
use learnlog_projector_replicated::catalog::CatalogStore;
use learnlog_projector_replicated::classes::ClassStore;
use learnlog_projector_replicated::credentials::CredentialStore;
use learnlog_projector_replicated::forwardings::ForwardingStore;
use learnlog_projector_replicated::frameworks::FrameworkReader;
use learnlog_projector_replicated::frameworks::FrameworkStore;
use learnlog_projector_replicated::statements::StatementStore;
use learnlog_proto::topics;
use learnlog_repartition::resolve::Resolver;
use learnlog_repartition::Repartitioner;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

pub struct Node {
    pub log: EventLog,
    /// The learners' data keys, in `DATA_DIR/keys` (on Kafka, shared on the
    /// `learner-keys` topic): statements sealed for a learner are readable while their
    /// key exists.
    pub keys: Arc<LearnerKeys>,
    /// Whether this process seals what it appends for its learners: always on the
    /// embedded log, on Kafka when it was given the key-encryption key.
    pub seals: bool,
    pub statements: Projection,
    pub credentials: Projection,
    pub attachments: Projection,
    pub documents: Projection,
    pub mastery: Projection,
    /// Re-publishes accepted statements keyed by learner.
    pub repartitioner: Repartitioner,
    pub profiles: Projection,
    pub frameworks: Projection,
    /// What the decision rules need beyond mastery and profiles (partitioned).
    pub decisions: Projection,
    /// Class rosters and members' last activity (replicated).
    pub classes: Projection,
    /// Activities aligned to each competency (replicated).
    pub catalog: Projection,
    /// Statement forwarding definitions (replicated).
    pub forwardings: Projection,
}

/// Opens the log `--log` names, by default the embedded log in `DATA_DIR/log`.
fn open_log(storage: &StorageArgs) -> anyhow::Result<EventLog> {
    let options = EmbeddedOptions {
        fsync: !storage.unsafe_no_fsync,
        segment_bytes: storage.segment_bytes,
    };
    match &storage.log_url {
        None => {
            let log_dir = storage.data_dir.join("log");
            EventLog::open_embedded(&log_dir, options)
                .with_context(|| format!("opening the log in {}", log_dir.display()))
        }
        Some(url) => EventLog::open(url, options).with_context(|| format!("opening the log {url}")),
    }
}

/// Opens the learners' keys in `DATA_DIR/keys`; on Kafka, shared on the `learner-keys`
/// topic and caught up with it before anything folds. Opening converts the key files of
/// a format-5 directory, which is then recorded in the current format.
fn open_keys(storage: &StorageArgs, log: &EventLog) -> anyhow::Result<Arc<LearnerKeys>> {
    let dir = storage.data_dir.join("keys");
    let opening = || format!("opening the learner keys in {}", dir.display());
    let keys = match &storage.log_url {
        None => LearnerKeys::open(&dir),
        Some(_) => {
            let encryption = (storage.key_encryption_key_file.as_deref())
                .map(KeyEncryptionKey::read)
                .transpose()?;
            let topic = KeyTopic::open(log, dir.clone(), encryption)
                .context("creating the learner-keys topic")?;
            LearnerKeys::open_replicated(&dir, topic)
        }
    };
    let keys = Arc::new(keys.with_context(opening)?);
    warn_of_unreadable_slots(&keys, &dir);
    keys.catch_up()
        .context("reading the learners' keys from the learner-keys topic")?;
    Ok(keys)
}

/// Keys lost to damage (or to a write a crash cut short) read as erased: said once, at
/// start.
fn warn_of_unreadable_slots(keys: &LearnerKeys, dir: &Path) {
    let unreadable = keys.unreadable_slots();
    if unreadable > 0 {
        tracing::warn!(
            unreadable,
            dir = %dir.display(),
            "learner key slots fail their checksum: what was sealed with them reads as erased"
        );
    }
}

/// The directory holding every projection's state.
pub fn projections_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("projections")
}

impl Node {
    /// Opens the log (creating its topics when missing) and the projections (creating
    /// their state when missing).
    pub fn open(storage: &StorageArgs) -> anyhow::Result<Self> {
        let log = open_log(storage)?;
        log.ensure_topic(topics::STATEMENTS, storage.partitions)
            .context("creating the statements topic")?;
        log.ensure_topic(topics::CREDENTIALS, 1)
            .context("creating the credentials topic")?;
        // Documents spread over as many partitions as statements.
        let partitions = log
            .partition_count(topics::STATEMENTS)
            .context("reading the statements topic")?;
        log.ensure_topic(topics::DOCUMENTS, partitions)
            .context("creating the documents topic")?;
        // Learner events too: the statements re-published by learner, and goals.
        log.ensure_topic(topics::LEARNER_EVENTS, partitions)
            .context("creating the learner-events topic")?;
        // One partition: a tenant's framework imports and alignments in one order.
        log.ensure_topic(topics::FRAMEWORKS, 1)
            .context("creating the frameworks topic")?;
        // One partition: a tenant's class rosters in one order.
        log.ensure_topic(topics::CLASSES, 1)
            .context("creating the classes topic")?;
        // One partition: a tenant's forwarding definitions in one order.
        log.ensure_topic(topics::FORWARDINGS, 1)
            .context("creating the forwardings topic")?;
        let keys = open_keys(storage, &log)?;
        let open = |fold: Arc<dyn Fold>| {
            let dir = projections_dir(&storage.data_dir).join(fold.name());
            let options = ProjectionOptions {
                cache_bytes: storage.projection_cache_mb << 20,
                ..ProjectionOptions::default()
            };
            Projection::open(&dir, log.clone(), fold, options)
                .with_context(|| format!("opening projection state in {}", dir.display()))
        };
        let statements = open(Arc::new(StatementStore::new(keys.clone())))?;
        let frameworks = open(Arc::new(FrameworkStore))?;
        let resolver = Resolver {
            skills_extension: storage.skills_extension.clone(),
            activities: ActivityReader::new(&statements)?,
            directory: Box::new(FrameworkReader::new(&frameworks)?),
        };
        let repartition_dir = storage.data_dir.join("repartition");
        let repartitioner = Repartitioner::open(
            &repartition_dir,
            log.clone(),
            statements.clone(),
            keys.clone(),
            resolver,
        )
        .with_context(|| format!("opening {}", repartition_dir.display()))?;
        Ok(Self {
            statements,
            credentials: open(Arc::new(CredentialStore))?,
            attachments: open(Arc::new(AttachmentStore))?,
            documents: open(Arc::new(DocumentStore::new(keys.clone())))?,
            mastery: open(Arc::new(MasteryStore::new(storage.mastery_threshold)))?,
            repartitioner,
            profiles: open(Arc::new(ProfileStore))?,
            decisions: open(Arc::new(DecisionStore))?,
            classes: open(Arc::new(ClassStore))?,
            catalog: open(Arc::new(CatalogStore))?,
            forwardings: open(Arc::new(ForwardingStore))?,
            frameworks,
            seals: storage.log_url.is_none() || storage.key_encryption_key_file.is_some(),
            log,
            keys,
        })
    }

    /// Where the log is, for messages: a directory or the Kafka brokers.
    pub fn log_description(storage: &StorageArgs) -> String {
        match &storage.log_url {
            Some(url) => url.clone(),
            None => storage.data_dir.join("log").display().to_string(),
        }
    }

    /// Every projection of the node.
    pub fn projections(&self) -> Vec<&Projection> {
        vec![
            &self.statements,
            &self.credentials,
            &self.attachments,
            &self.documents,
            &self.mastery,
            &self.profiles,
            &self.frameworks,
            &self.decisions,
            &self.classes,
            &self.catalog,
            &self.forwardings,
        ]
    }

    /// The projections every projector folds whole: the statement store (xAPI reads join
    /// across its partitions: voiding, definitions, stored order) with its attachments,
    /// the one-partition credentials and frameworks, and classes and the activity
    /// catalog (a class's members and an activity's learners live on every partition),
    /// and the forwarding definitions (the deliverer may move to any projector).
    fn replicated(&self) -> Vec<&Projection> {
        vec![
            &self.statements,
            &self.credentials,
            &self.attachments,
            &self.frameworks,
            &self.classes,
            &self.catalog,
            &self.forwardings,
        ]
    }

    /// What owning partition `p` means in the projector role: folding partition `p` of
    /// these projections and re-publishing statements partition `p`.
    pub fn partitioned_work(&self) -> PartitionedWork {
        PartitionedWork {
            projections: vec![
                self.documents.clone(),
                self.mastery.clone(),
                self.profiles.clone(),
                self.decisions.clone(),
            ],
            repartitioner: self.repartitioner.clone(),
        }
    }

    /// Starts folding every projection, and the repartitioner that follows the
    /// statement store, until `cancel` fires.
    pub fn run_projections(&self, cancel: &CancellationToken) -> Vec<JoinSet<()>> {
        let mut tasks: Vec<JoinSet<()>> = self
            .projections()
            .iter()
            .map(|projection| projection.run(cancel.clone()))
            .collect();
        tasks.push(self.repartitioner.run(cancel.clone()));
        tasks
    }

    /// Starts folding the replicated projections whole, until `cancel` fires; the
    /// partitioned work is started per owned partition (see `ownership`).
    pub fn run_replicated(&self, cancel: &CancellationToken) -> Vec<JoinSet<()>> {
        self.replicated()
            .iter()
            .map(|projection| projection.run(cancel.clone()))
            .collect()
    }

    /// Lets derived work finish what acknowledged writes started, within `timeout`: the
    /// statement store folds, the repartitioner re-publishes what it accepted, and every
    /// projection folds that — for the partitions in `owned`, or all when `None`.
    /// Shutting down after a drain leaves learner projections complete for every
    /// acknowledged statement.
    pub async fn drain(
        &self,
        owned: Option<&BTreeSet<u32>>,
        timeout: Duration,
    ) -> anyhow::Result<()> {
        let deadline = tokio::time::Instant::now() + timeout;
        let left = || deadline.saturating_duration_since(tokio::time::Instant::now());
        let partitions: BTreeSet<u32> = match owned {
            Some(owned) => owned.clone(),
            None => (0..self.log.partition_count(topics::STATEMENTS)?).collect(),
        };
        self.statements
            .catch_up(left())
            .await
            .context("the statement store did not catch up")?;
        for partition in &partitions {
            self.repartitioner
                .catch_up_partition(*partition, left())
                .await
                .context("the repartitioner did not catch up")?;
        }
        for projection in self.replicated() {
            projection
                .catch_up(left())
                .await
                .with_context(|| format!("projection {} did not catch up", projection.name()))?;
        }
        for projection in self.partitioned_work().projections {
            for partition in &partitions {
                projection
                    .catch_up_partition(*partition, left())
                    .await
                    .with_context(|| {
                        format!("projection {} did not catch up", projection.name())
                    })?;
            }
        }
        Ok(())
    }

    /// Waits for the projection tasks (after `cancel` fired), writes projection state
    /// and checkpoints to disk, and closes the log.
    pub async fn shut_down(&self, tasks: Vec<JoinSet<()>>) -> anyhow::Result<()> {
        for set in tasks {
            set.join_all().await;
        }
        for projection in self.projections() {
            projection
                .flush()
                .await
                .with_context(|| format!("flushing projection {}", projection.name()))?;
        }
        self.repartitioner
            .flush()
            .await
            .context("flushing the repartition checkpoints")?;
        self.log.close().await.context("closing the log")?;
        Ok(())
    }
}
