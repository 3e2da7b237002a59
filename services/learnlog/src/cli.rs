//! The command line. Every flag has an environment variable (`LEARNLOG_…`).

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// learnlog: an event-sourced xAPI Learning Record Store.
///
/// Every accepted change is an event on a durable log; projections fold the log
/// into the views that answer queries. `learnlog serve` runs everything in one
/// process, on an embedded log in the data directory by default or on Kafka
/// (`--log kafka://host:port`).
#[derive(Debug, Parser)]
#[command(name = "learnlog", version, about, long_about)]
pub struct Cli {
    /// Log output: `text` for people, `json` for log collectors.
    #[arg(long, env = "LEARNLOG_LOG_FORMAT", default_value = "text", global = true,
          value_parser = ["text", "json"])]
    pub log_format: String,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the xAPI API, fold projections, and expose /healthz, /readyz, /metrics.
    Serve(Box<ServeArgs>),
    /// Delete projection state and fold the whole log again, then exit.
    ///
    /// Run it with the server stopped. The rebuilt projections are identical to the
    /// ones they replace, because folds are deterministic functions of the log.
    Rebuild(RebuildArgs),
    /// Print a digest of every projection's state, one `NAME SHA256` line each.
    ///
    /// Run it with the server stopped. Two data directories that folded the same
    /// events print the same digests.
    Digest(RebuildArgs),
    /// Create, list and revoke credentials on a running server (its admin API).
    Credentials(crate::credentials_cli::CredentialsArgs),
    /// Create, list, disable and enable tenants on a running server (its admin API).
    Tenants(crate::tenants_cli::TenantsArgs),
    /// Export everything held on a learner, or erase them, on a running server.
    Learners(crate::learners_cli::LearnersArgs),
    /// Fit mastery-model parameters from the log on a running server and publish them.
    Fit(crate::fit_cli::FitArgs),
    /// Import IMS CASE competency frameworks and list them on a running server.
    Frameworks(crate::frameworks_cli::FrameworksArgs),
    /// Load xAPI statements (JSON arrays or JSON lines, gzip allowed) into a running
    /// server in batches; resumable, refused statements written to a file.
    Import(crate::import_cli::ImportArgs),
    /// Write the statements a running server stores as JSON lines, oldest first.
    Export(crate::export_cli::ExportArgs),
    /// Benchmarks: `bench mastery --data FILE.csv.gz` (no server), `bench decisions` (a
    /// simulation that starts servers of its own).
    Bench(crate::bench::BenchArgs),
}

/// Where the data lives.
#[derive(Debug, Args, Clone)]
pub struct StorageArgs {
    /// Data directory: the embedded log (`log/`, unless `--log` names another), projection
    /// state (`projections/`) and the repartitioner's checkpoints (`repartition/`).
    #[arg(long, env = "LEARNLOG_DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,

    /// The event log. Default: the embedded log in `DATA_DIR/log`.
    /// `kafka://host:port[,host:port…][?option=value&…]` runs on a Kafka cluster (options:
    /// replication, timeout_ms, linger_ms, derived_linger_ms, fetch_wait_ms,
    /// max_record_bytes, client_id);
    /// `file:///path` or a plain path is an embedded log elsewhere. Projection state stays
    /// in the data directory either way.
    #[arg(long = "log", env = "LEARNLOG_LOG")]
    pub log_url: Option<String>,

    /// Partitions of the statements topic (and of documents and learner-events), fixed
    /// when the topics are first created; on Kafka, CreateTopics with this count. An
    /// existing topic with another count is an error.
    #[arg(long, env = "LEARNLOG_PARTITIONS", default_value_t = 8)]
    pub partitions: u32,

    /// Page cache of each projection's database, in MiB. The statement store answers
    /// queries fastest when its indexes fit.
    #[arg(long, env = "LEARNLOG_PROJECTION_CACHE_MB", default_value_t = 1024)]
    pub projection_cache_mb: u64,

    /// Size at which the embedded log starts a new segment file, in bytes. Recovery
    /// after a crash reads only the last segment of each partition for a torn tail; damage
    /// in an earlier segment refuses to open.
    #[arg(long, env = "LEARNLOG_SEGMENT_BYTES", default_value_t = 64 << 20,
          value_parser = clap::value_parser!(u64).range(4096..))]
    pub segment_bytes: u64,

    /// Skip fsync on log appends. Only for throwaway benchmarks: acknowledged data
    /// can be lost on a machine crash.
    #[arg(long, env = "LEARNLOG_UNSAFE_NO_FSYNC", default_value_t = false)]
    pub unsafe_no_fsync: bool,

    /// P(mastered) from which a competency counts as mastered. A fold setting: a
    /// rebuild with another value gives other `mastered_at` times.
    #[arg(long, env = "LEARNLOG_MASTERY_THRESHOLD", default_value_t = 0.95,
          value_parser = parse_probability)]
    pub mastery_threshold: f64,

    /// Activity-definition extension whose value lists an activity's competencies
    /// (competency ids or CASE item URIs).
    #[arg(long, env = "LEARNLOG_SKILLS_EXTENSION",
          default_value = learnlog_repartition::resolve::DEFAULT_SKILLS_EXTENSION)]
    pub skills_extension: String,

    /// On Kafka: a file holding the key-encryption key (64 hex digits, e.g. from
    /// `openssl rand -hex 32`), the same for every process of the deployment. The
    /// learners' data keys travel sealed with it on the `learner-keys` topic. Without it
    /// statements are not sealed on Kafka and erasure and export answer 501. Not used on
    /// the embedded log, whose keys stay in `DATA_DIR/keys`.
    #[arg(long, env = "LEARNLOG_KEY_ENCRYPTION_KEY_FILE")]
    pub key_encryption_key_file: Option<PathBuf>,
}

fn parse_probability(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(p) if p > 0.0 && p <= 1.0 => Ok(p),
        _ => Err(format!("{text:?} is not a probability in (0, 1]")),
    }
}

/// What a `learnlog serve` process runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Role {
    /// The xAPI API, every projection and the repartitioner, in one process.
    All,
    /// The HTTP front door of a Kafka deployment: routes each request to the projector
    /// that owns it (or to all of them, merging), from `--projectors`. Keeps no state.
    Api,
    /// A member of the projector group on Kafka: folds the statement store whole and
    /// the partitions the group assigns it (documents, mastery, profiles, re-publishing),
    /// and serves the API over them.
    Projector,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on (`127.0.0.1:0` picks a free port and prints it).
    #[arg(long, env = "LEARNLOG_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: String,

    /// Which roles this process runs: `all` (one process, embedded log or Kafka), or,
    /// on Kafka, `projector` and `api` processes that split the work (docs/adr/0010).
    #[arg(long, env = "LEARNLOG_ROLE", value_enum, default_value_t = Role::All)]
    pub role: Role,

    /// `--role projector`: the Kafka consumer group whose assignment of the statements
    /// partitions decides what each projector owns.
    #[arg(long, env = "LEARNLOG_GROUP", default_value = "learnlog-projectors")]
    pub group: String,

    /// `--role projector`: a name that stays with this projector across restarts (on
    /// Kubernetes, the StatefulSet pod's name): Kafka's static membership, so a
    /// restarted projector takes its partitions back at once.
    #[arg(long, env = "LEARNLOG_GROUP_INSTANCE_ID")]
    pub group_instance_id: Option<String>,

    /// `--role api`: the projectors' base URLs, comma-separated. Each URL's host is
    /// resolved again every second and every address is one projector, so a headless
    /// service name covers a StatefulSet of any size.
    #[arg(long, env = "LEARNLOG_PROJECTORS", value_delimiter = ',')]
    pub projectors: Vec<String>,

    #[command(flatten)]
    pub storage: StorageArgs,

    /// A credential with full access, as KEY:SECRET. Created if missing, its secret
    /// replaced if different. Without it, and when no credential exists yet, one is
    /// created and printed once.
    #[arg(long, env = "LEARNLOG_ADMIN_CREDENTIAL", hide_env_values = true)]
    pub admin_credential: Option<String>,

    /// Base URL clients use to reach this server; the `homePage` of the authority
    /// learnlog assigns to statements. Defaults to `http://<listen address>`.
    #[arg(long, env = "LEARNLOG_PUBLIC_URL")]
    pub public_url: Option<String>,

    #[command(flatten)]
    pub limits: LimitArgs,

    /// HTTP worker threads (0 = one per core).
    #[arg(long, env = "LEARNLOG_WORKERS", default_value_t = 0)]
    pub workers: usize,

    /// xAPI version announced on responses to requests that give none (`1.0.3` or
    /// `2.0.0`).
    #[arg(long, env = "LEARNLOG_DEFAULT_XAPI_VERSION", default_value = "2.0.0")]
    pub default_xapi_version: String,

    /// Refit the mastery model (irt-forget) of every tenant from the log this often,
    /// in hours, and publish the parameters; 0 never does (run `learnlog fit`).
    #[arg(long, env = "LEARNLOG_FIT_EVERY_HOURS", default_value_t = 0.0)]
    pub fit_every_hours: f64,

    /// On Kafka: the views published on compacted topics for other consumers
    /// (`learnlog.view.<view>`), comma-separated among mastery, profiles and decisions,
    /// or `none`. Ignored on the embedded log.
    #[arg(
        long,
        env = "LEARNLOG_VIEW_TOPICS",
        default_value = "mastery,profiles,decisions"
    )]
    pub view_topics: String,

    #[command(flatten)]
    pub decisions: DecisionArgs,
}

/// What one request, one connection and one credential may ask of a server
/// (docs/operations.md, "Limits"). Above a limit a request is refused whole, with the
/// API's JSON error naming the limit, and nothing of it is stored.
#[derive(Debug, Args, Clone)]
pub struct LimitArgs {
    /// Largest request body accepted, in bytes (413 above it).
    #[arg(long, env = "LEARNLOG_MAX_BODY_BYTES", default_value_t = 16 << 20)]
    pub max_body_bytes: usize,

    /// Most statements accepted in one POST (413 above it).
    #[arg(long, env = "LEARNLOG_MAX_BATCH", default_value_t = 1000)]
    pub max_batch: usize,

    /// Deepest nesting of arrays and objects in a JSON statement body (and a JSON
    /// document merged by POST), the outermost counting 1 (400 above it).
    #[arg(long, env = "LEARNLOG_MAX_JSON_DEPTH", default_value_t = 32,
          value_parser = clap::value_parser!(u32).range(2..))]
    pub max_json_depth: u32,

    /// Longest string or object key in such a JSON body, in bytes as sent, escapes
    /// included (413 above it).
    #[arg(long, env = "LEARNLOG_MAX_JSON_STRING_BYTES", default_value_t = 256 << 10)]
    pub max_json_string_bytes: usize,

    /// Largest attachment part of a multipart/mixed statement request, in bytes (413
    /// above it). The body limit bounds all parts together.
    #[arg(long, env = "LEARNLOG_MAX_ATTACHMENT_BYTES", default_value_t = 8 << 20)]
    pub max_attachment_bytes: usize,

    /// Largest request head, request line and headers, in bytes (431 above it). At
    /// most 131072: the HTTP library refuses larger heads itself.
    #[arg(long, env = "LEARNLOG_MAX_HEADER_BYTES", default_value_t = 32 << 10,
          value_parser = clap::value_parser!(u32).range(1024..=131_072))]
    pub max_header_bytes: u32,

    /// Most client connections open at once; further ones wait in the listen backlog
    /// until one closes. Keep it below the process's open-file limit.
    #[arg(long, env = "LEARNLOG_MAX_CONNECTIONS", default_value_t = 4096,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub max_connections: u32,

    /// Requests a second each credential may make, sustained (429 with Retry-After
    /// above it); 0 turns per-credential rate limits off. The default is above what
    /// one credential of the load tests reaches on a small machine (docs/operations.md).
    #[arg(long, env = "LEARNLOG_RATE_LIMIT_PER_SECOND", default_value_t = 10_000)]
    pub rate_limit_per_second: u32,

    /// How long a request waits, in milliseconds, for a projection to fold its own
    /// write (or to catch up before a read) before answering 503. A statement write
    /// that times out names every id it stored, for a safe retry.
    #[arg(long, env = "LEARNLOG_CONSISTENCY_WAIT_MS", default_value_t = 10_000,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub consistency_wait_ms: u64,

    /// Free bytes the data directory's filesystem must keep: below it every write
    /// answers 507 before anything is appended (reads go on; writes resume once space
    /// is freed); 0 turns the check off. Leave room for the projections to fold what
    /// was accepted: they take several times the log's bytes.
    #[arg(long, env = "LEARNLOG_MIN_FREE_DISK_BYTES", default_value_t = 256 << 20)]
    pub min_free_disk_bytes: u64,

    /// Requests a credential may make at once after a quiet spell.
    #[arg(long, env = "LEARNLOG_RATE_LIMIT_BURST", default_value_t = 20_000,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub rate_limit_burst: u32,
}

impl LimitArgs {
    /// The request limits of the API.
    pub fn limits(&self) -> learnlog_api::Limits {
        learnlog_api::Limits {
            max_body_bytes: self.max_body_bytes,
            max_batch_statements: self.max_batch,
            max_json_depth: self.max_json_depth as usize,
            max_json_string_bytes: self.max_json_string_bytes,
            max_attachment_bytes: self.max_attachment_bytes,
            max_header_bytes: self.max_header_bytes as usize,
            consistency_wait: std::time::Duration::from_millis(self.consistency_wait_ms),
        }
    }

    /// The per-credential rate limits.
    pub fn rate_limits(&self) -> learnlog_api::CredentialRateLimits {
        learnlog_api::CredentialRateLimits::new(self.rate_limit_per_second, self.rate_limit_burst)
    }
}

/// The thresholds of the decision rules.
#[derive(Debug, Args, Clone)]
pub struct DecisionArgs {
    /// The decision rules' thresholds as a JSON object (any of `band_low`, `band_high`,
    /// `max_objectives`, `activities_per_objective`, `skip_recent_days`,
    /// `review_below`, `wheel_spinning_opportunities`, `wheel_spinning_min_rise`,
    /// `trend_window`, `recheck_confirming_answers`, `recheck_after_days`,
    /// `inactive_days`, `prerequisite_gap_failures`, `group_min`, `group_max`;
    /// docs/learners.md lists the defaults). The mastery threshold is
    /// `--mastery-threshold`.
    #[arg(long, env = "LEARNLOG_DECISIONS_CONFIG")]
    pub decisions_config: Option<PathBuf>,
}

impl DecisionArgs {
    /// The settings: the defaults, overridden by the file, with `mastery_threshold`.
    pub fn settings(&self, mastery_threshold: f64) -> anyhow::Result<learnlog_decisions::Settings> {
        use anyhow::Context;
        let mut settings = match &self.decisions_config {
            Some(path) => {
                let text = std::fs::read(path)
                    .with_context(|| format!("reading --decisions-config {}", path.display()))?;
                serde_json::from_slice(&text)
                    .with_context(|| format!("--decisions-config {}", path.display()))?
            }
            None => learnlog_decisions::Settings::default(),
        };
        settings.mastery_threshold = mastery_threshold;
        settings.validate().context("--decisions-config")?;
        Ok(settings)
    }
}

#[derive(Debug, Args)]
pub struct RebuildArgs {
    #[command(flatten)]
    pub storage: StorageArgs,

    /// Rebuild only these projections (repeatable; e.g. `--only mastery`), leaving the
    /// others as they are. `rebuild` only.
    #[arg(long = "only")]
    pub only: Vec<String>,
}
