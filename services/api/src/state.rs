//! What every request handler shares: the log, the projections it reads and waits on,
//! and the limits.

use crate::auth::SameSecretTurns;
use crate::disk_space::DiskSpace;
use crate::forwarding::StatusBoard;
use crate::middleware::VersionMemory;
use crate::ownership::OwnedPartitions;
use crate::rate_limit::CredentialRateLimits;
use crate::statement_claims::StatementClaims;
use learnlog_decisions::Settings as DecisionSettings;
use learnlog_fitting::FitTarget;
use learnlog_keys::LearnerKeys;
use learnlog_log::EventLog;
use learnlog_projection::Projection;
use learnlog_projector_partitioned::decisions::DecisionReader;
use learnlog_projector_partitioned::documents::DocumentReader;
use learnlog_projector_partitioned::mastery::MasteryReader;
use learnlog_projector_partitioned::profiles::ProfileReader;
use learnlog_projector_replicated::attachments::AttachmentReader;
use learnlog_projector_replicated::catalog::CatalogReader;
use learnlog_projector_replicated::classes::ClassReader;
use learnlog_projector_replicated::credentials::CredentialReader;
use learnlog_projector_replicated::forwardings::ForwardingReader;
use learnlog_projector_replicated::frameworks::FrameworkReader;
use learnlog_projector_replicated::statements::StatementReader;
use learnlog_repartition::Repartitioner;
use learnlog_xapi::XapiVersion;
use std::sync::Arc;
use std::time::Duration;

/// Bounds on requests and on waits. `docs/operations.md` lists each with its flag.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Largest request body accepted, in bytes (413 above it).
    pub max_body_bytes: usize,
    /// Most statements in one POST (413 above it).
    pub max_batch_statements: usize,
    /// Deepest nesting of arrays and objects in a JSON body, the outermost counting 1
    /// (400 above it).
    pub max_json_depth: usize,
    /// Longest string (or object key) in a JSON body, in bytes as sent (413 above it).
    pub max_json_string_bytes: usize,
    /// Largest attachment part of a multipart statement request, in bytes (413 above it).
    pub max_attachment_bytes: usize,
    /// Largest request head: the request line and every header, in bytes (431 above it).
    pub max_header_bytes: usize,
    /// How long a request waits for a projection to fold its own write or catch up.
    pub consistency_wait: Duration,
}

impl Limits {
    /// The JSON shape limits, as the pre-scan of `learnlog_xapi` takes them.
    pub fn json(&self) -> learnlog_xapi::JsonLimits {
        learnlog_xapi::JsonLimits {
            max_depth: self.max_json_depth,
            max_string_bytes: self.max_json_string_bytes,
        }
    }
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_body_bytes: 16 << 20,
            max_batch_statements: 1_000,
            max_json_depth: 32,
            max_json_string_bytes: 256 << 10,
            max_attachment_bytes: 8 << 20,
            max_header_bytes: 32 << 10,
            consistency_wait: Duration::from_secs(10),
        }
    }
}

/// Shared state of the API. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub log: EventLog,
    pub statements: Projection,
    pub statement_reader: StatementReader,
    pub credentials: Projection,
    pub credential_reader: CredentialReader,
    pub attachments: Projection,
    pub attachment_reader: AttachmentReader,
    pub documents: Projection,
    pub document_reader: DocumentReader,
    pub mastery: Projection,
    pub mastery_reader: MasteryReader,
    pub profiles: Projection,
    pub profile_reader: ProfileReader,
    pub frameworks: Projection,
    pub framework_reader: FrameworkReader,
    pub decisions: Projection,
    pub decision_reader: DecisionReader,
    pub classes: Projection,
    pub class_reader: ClassReader,
    pub catalog: Projection,
    pub catalog_reader: CatalogReader,
    pub forwardings: Projection,
    pub forwarding_reader: ForwardingReader,
    /// How the forwardings this process delivers are doing.
    pub forwarding_status: StatusBoard,
    /// The thresholds of the decision rules.
    pub decision_settings: DecisionSettings,
    pub limits: Limits,
    /// The free-space floor every write checks before it appends.
    pub disk_space: DiskSpace,
    /// Statement ids of writes in flight in this process.
    pub statement_claims: StatementClaims,
    /// The statements' ends shared by write responses' consistency headers (Kafka).
    pub write_ends: crate::middleware::WriteEnds,
    /// Held while a tenant is created, so that two requests for one id in this process
    /// cannot both pass the check that it is free.
    pub tenant_creation: Arc<tokio::sync::Mutex<()>>,
    /// Requests per second each credential may make.
    pub rate_limits: CredentialRateLimits,
    /// Slow-hash verifications each credential key may have (see
    /// [`crate::auth::SLOW_VERIFICATIONS_PER_SECOND`]).
    pub slow_verifications: CredentialRateLimits,
    /// Requests arriving together with one secret that needs the slow hash wait for
    /// its first verification instead of each counting against the allowance.
    pub same_secret_turns: Arc<SameSecretTurns>,
    /// `homePage` of the authority account assigned to stored statements.
    pub authority_home_page: String,
    /// Version announced on responses to requests that negotiated none.
    pub default_version: XapiVersion,
    /// The version each credential last negotiated, for requests that name none.
    pub version_memory: VersionMemory,
    /// The partitions this process answers for; `None` when it owns them all (`--role
    /// all`). Reads and writes of documents and learner views check it.
    pub owned: Option<OwnedPartitions>,
    /// What seals statements for their actor learner and erases learners: on the
    /// embedded log, where every projection opens the keys of one data directory.
    /// `None` on Kafka, where the keys are not replicated to other processes (see
    /// `docs/adr/0017-erasure-and-export.md`).
    pub personal_data: Option<PersonalData>,
}

/// The learners' data keys, and the repartitioner an erasure waits for.
#[derive(Clone)]
pub struct PersonalData {
    pub keys: Arc<LearnerKeys>,
    /// An erasure reaches the learner's views only after everything of theirs the
    /// statement store held was re-published.
    pub repartitioner: Repartitioner,
}

impl AppState {
    /// Every projection the API reads, for readiness.
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

    /// The projections folded only for owned partitions when [`AppState::owned`] is set
    /// (the others are folded whole by every process).
    pub fn partitioned(&self) -> Vec<&Projection> {
        vec![
            &self.documents,
            &self.mastery,
            &self.profiles,
            &self.decisions,
        ]
    }

    /// Where a mastery-model fit reads evidence and publishes: this process's log and
    /// mastery projection, waiting for the fold as long as any write does.
    pub fn fit_target(&self) -> FitTarget<'_> {
        FitTarget {
            log: &self.log,
            mastery: &self.mastery,
            fold_wait: self.limits.consistency_wait,
        }
    }
}
