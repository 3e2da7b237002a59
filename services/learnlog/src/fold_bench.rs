//! `learnlog bench fold`: the statement-store fold alone, measured against its own log.
//!
//! Generates statements in the stored form the write path appends (varied actors,
//! verbs, activities, context activities and registrations, about `--statement-bytes`
//! each), appends them as `StatementSubmitted` events straight to an embedded log in a
//! scratch directory, then folds that log with the statement store and reports how
//! fast it folded, whether its rate held from the first tenth of the statements to the
//! last, and how many bytes the store keeps per statement beside the log's.
//! Statements are generated from `--seed`, so two runs fold the same log; `--sealed`
//! seals each for its learner first, as the write path does.

use anyhow::{bail, Context};
use clap::Args;
use learnlog_keys::LearnerKeys;
use learnlog_log::{EmbeddedOptions, EventLog, Record};
use learnlog_projection::{Projection, ProjectionOptions};
use learnlog_projector_replicated::statements::StatementStore;
use learnlog_proto::v1::{envelope::Event, Envelope, StatementSubmitted};
use learnlog_proto::{topics, Message};
use serde::Serialize;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

#[derive(Debug, Args)]
pub struct FoldBenchArgs {
    /// Statements to generate and fold.
    #[arg(long, default_value_t = 100_000)]
    pub statements: u64,

    /// Approximate size of each stored statement, in bytes (at least 512).
    #[arg(long, default_value_t = 1024)]
    pub statement_bytes: usize,

    /// Partitions of the statements topic.
    #[arg(long, default_value_t = 8)]
    pub partitions: u32,

    /// The fold's page cache, in MiB (`serve`'s `--projection-cache-mb`).
    #[arg(long, default_value_t = 1024)]
    pub projection_cache_mb: u64,

    /// Seed of the generated statements.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,

    /// Seal each statement for its learner, as `serve` does: the store then also keeps
    /// what erasing a learner needs (`statements.by_learner`, `agents.learner_persons`).
    #[arg(long)]
    pub sealed: bool,

    /// Where to write the log and the store (kept afterwards); a temporary directory,
    /// deleted afterwards, by default.
    #[arg(long)]
    pub dir: Option<PathBuf>,
}

/// What `learnlog bench fold` prints, as one JSON line.
#[derive(Debug, Serialize)]
pub struct FoldReport {
    pub statements: u64,
    /// Mean size of the generated statements' JSON.
    pub statement_bytes: u64,
    /// Appending them to the embedded log (fsync off), statements per second.
    pub append_per_second: f64,
    pub fold_seconds: f64,
    /// The statement-store fold, statements per second.
    pub fold_per_second: f64,
    /// The fold's rate over the first tenth of the statements, and over the last.
    pub first_tenth_per_second: f64,
    pub last_tenth_per_second: f64,
    /// `last_tenth_per_second / first_tenth_per_second`: how well the rate held as the
    /// store grew.
    pub last_to_first: f64,
    /// Bytes of the log's files.
    pub log_bytes: u64,
    /// Bytes of the statement store's files after a flush.
    pub store_bytes: u64,
    /// The part of `store_bytes` that is the value log (the bodies where the log cannot
    /// read them in place; none on the embedded log); the rest is sled's.
    pub value_log_bytes: u64,
    /// `store_bytes / log_bytes`.
    pub store_to_log: f64,
    pub store_bytes_per_statement: f64,
    /// Per tree of the store: entries, and key and value bytes per statement.
    pub trees: Vec<TreeReport>,
}

/// What one tree of the statement store holds, per statement folded.
#[derive(Debug, Serialize)]
pub struct TreeReport {
    pub name: &'static str,
    pub entries: u64,
    pub key_bytes_per_statement: f64,
    pub value_bytes_per_statement: f64,
}

const VERBS: [&str; 6] = [
    "http://adlnet.gov/expapi/verbs/answered",
    "http://adlnet.gov/expapi/verbs/completed",
    "http://adlnet.gov/expapi/verbs/experienced",
    "http://adlnet.gov/expapi/verbs/attempted",
    "http://adlnet.gov/expapi/verbs/passed",
    "https://w3id.org/xapi/video/verbs/played",
];

/// A small deterministic generator (splitmix64): the same seed gives the same log.
struct Generator(u64);

impl Generator {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Statement `n` in the stored form: what the LRS assigned (id, stored, timestamp,
/// authority, version) included, padded to about `bytes`.
fn statement(random: &mut Generator, n: u64, bytes: usize, stored_micros: i64) -> (Uuid, Value) {
    let id = Uuid::from_u64_pair(random.next(), n);
    let learner = random.below(20_000);
    let course = random.below(40);
    let item = random.below(2_000);
    let stored = chrono::DateTime::from_timestamp_micros(stored_micros)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let mut statement = json!({
        "id": id.to_string(),
        "actor": {"objectType": "Agent", "name": format!("Learner {learner}"),
                  "mbox": format!("mailto:learner{learner}@school.example.org")},
        "verb": {"id": VERBS[random.below(VERBS.len() as u64) as usize],
                 "display": {"en-US": "did"}},
        "object": {"objectType": "Activity",
                   "id": format!("https://content.example.org/course/{course}/item/{item}"),
                   "definition": {"type": "http://adlnet.gov/expapi/activities/question",
                                  "name": {"en-US": format!("Item {item}")}}},
        "result": {"success": random.below(4) != 0, "score": {"scaled": 0.75}},
        "context": {
            "registration": Uuid::from_u64_pair(learner, course).to_string(),
            "contextActivities": {
                "parent": [{"id": format!("https://content.example.org/course/{course}")}],
                "grouping": [{"id": "https://content.example.org/programme/1"}]
            }
        },
        "timestamp": stored,
        "stored": stored,
        "authority": {"objectType": "Agent", "name": "lms",
                      "account": {"homePage": "http://127.0.0.1:8080", "name": "lms"}},
        "version": "1.0.3"
    });
    let unpadded = serde_json::to_vec(&statement).map_or(0, |json| json.len());
    let padding = bytes.saturating_sub(unpadded + 40);
    statement["object"]["definition"]["description"] = json!({"en-US": "x".repeat(padding)});
    (id, statement)
}

/// The tenant of the generated statements.
const TENANT: &str = "default";

/// Appends the generated statements in batches of 1,000, sealed with `keys` for their
/// learners when given; returns their mean size.
async fn generate(
    log: &EventLog,
    args: &FoldBenchArgs,
    keys: Option<&LearnerKeys>,
) -> anyhow::Result<u64> {
    let mut random = Generator(args.seed);
    let start_micros = 1_767_225_600_000_000; // 2026-01-01
    let mut bytes = 0u64;
    let mut n = 0;
    while n < args.statements {
        let batch = (args.statements - n).min(1_000);
        let statements: Vec<_> = (n..n + batch)
            .map(|i| {
                let stored_micros = start_micros + i as i64 * 1_000;
                let (id, json) = statement(&mut random, i, args.statement_bytes, stored_micros);
                let learner = learnlog_projector::learners::learner_id(&json["actor"]);
                (i, stored_micros, id, json, learner)
            })
            .collect();
        if let Some(keys) = keys {
            // a batch's new learners get their keys together, as on the write path
            let learners = statements.iter().filter_map(|statement| statement.4);
            keys.create_missing(TENANT, learners)?;
        }
        let mut records = Vec::with_capacity(batch as usize);
        for (i, stored_micros, id, json, learner) in statements {
            let statement_json = serde_json::to_vec(&json)?;
            bytes += statement_json.len() as u64;
            let mut submitted = StatementSubmitted {
                statement_id: id.to_string(),
                statement_json,
                stored_micros,
                xapi_version: "1.0.3".into(),
                ..StatementSubmitted::default()
            };
            if let Some((keys, learner)) = keys.zip(learner) {
                let plain = std::mem::take(&mut submitted.statement_json);
                submitted.sealed_statement_json =
                    learnlog_projector::sealing::seal_statement(keys, TENANT, learner, id, &plain)?;
                submitted.sealed_for = learner.to_string();
            }
            let envelope = Envelope {
                event_id: Uuid::from_u64_pair(args.seed, i).to_string(),
                tenant: TENANT.into(),
                key: id.to_string(),
                produced_at_micros: stored_micros,
                event: Some(Event::StatementSubmitted(submitted)),
            };
            records.push(Record {
                key: id.to_string().into_bytes(),
                value: envelope.encode_to_vec(),
            });
        }
        log.append(topics::STATEMENTS, records).await?;
        n += batch;
    }
    Ok(bytes / args.statements.max(1))
}

/// How often the fold's progress is sampled.
const SAMPLE_EVERY: Duration = Duration::from_millis(50);

/// The instant (seconds into the fold) the fold passed `count` statements, interpolated
/// between the samples `(seconds, folded)` around it: from the last sample at or below
/// the count to the first past it (for the last statement, the first that reached it).
/// Samples are in time order and the last one has every statement folded.
fn time_of(samples: &[(f64, u64)], count: u64) -> f64 {
    let after = (samples.iter().position(|&(_, folded)| folded > count))
        .or_else(|| samples.iter().position(|&(_, folded)| folded >= count))
        .unwrap_or(samples.len() - 1);
    let (time, folded) = samples[after];
    let Some(&(time_before, folded_before)) = after.checked_sub(1).map(|at| &samples[at]) else {
        return time;
    };
    let share = (count - folded_before) as f64 / (folded - folded_before).max(1) as f64;
    time_before + share * (time - time_before)
}

/// Statements per second over the statements from the `from`th folded to the `to`th.
fn rate_between(samples: &[(f64, u64)], from: u64, to: u64) -> f64 {
    let seconds = time_of(samples, to) - time_of(samples, from);
    (to - from) as f64 / seconds.max(f64::MIN_POSITIVE)
}

/// Total bytes of the files under `dir`.
fn disk_bytes(dir: &Path) -> anyhow::Result<u64> {
    let mut total = 0;
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let entry = entry?;
        let kind = entry.file_type()?;
        if kind.is_dir() {
            total += disk_bytes(&entry.path())?;
        } else if kind.is_file() {
            total += entry.metadata()?.len();
        }
    }
    Ok(total)
}

async fn measure(dir: &Path, args: &FoldBenchArgs) -> anyhow::Result<FoldReport> {
    let options = EmbeddedOptions {
        fsync: false,
        ..EmbeddedOptions::default()
    };
    let log_dir = dir.join("log");
    let log = EventLog::open_embedded(&log_dir, options)?;
    log.ensure_topic(topics::STATEMENTS, args.partitions)?;
    let keys = Arc::new(LearnerKeys::open(dir.join("keys"))?);
    let appending = Instant::now();
    let statement_bytes = generate(&log, args, args.sealed.then_some(&*keys)).await?;
    let append_seconds = appending.elapsed().as_secs_f64();

    let store_dir = dir.join("statements");
    let projection_options = ProjectionOptions {
        cache_bytes: args.projection_cache_mb << 20,
        ..ProjectionOptions::default()
    };
    let store = Projection::open(
        &store_dir,
        log.clone(),
        Arc::new(StatementStore::new(keys)),
        projection_options,
    )?;
    let cancel = CancellationToken::new();
    let folding = Instant::now();
    let mut tasks = store.run(cancel.clone());
    let mut samples = vec![(0.0, 0)];
    let caught_up = store.catch_up(Duration::from_secs(24 * 3600));
    tokio::pin!(caught_up);
    loop {
        tokio::select! {
            done = &mut caught_up => {
                done.context("the statement store did not catch up")?;
                break;
            }
            _ = tokio::time::sleep(SAMPLE_EVERY) => {
                let folded = (0..args.partitions)
                    .map(|partition| store.folded(topics::STATEMENTS, partition))
                    .sum::<Result<u64, _>>()?;
                samples.push((folding.elapsed().as_secs_f64(), folded));
            }
        }
    }
    let fold_seconds = folding.elapsed().as_secs_f64();
    samples.push((fold_seconds, args.statements));
    cancel.cancel();
    while tasks.join_next().await.is_some() {}
    if let Some(failure) = store.failure() {
        bail!("the statement store stopped: {failure}");
    }
    store.flush().await?;
    let statements = args.statements;
    let per_statement = |bytes: u64| bytes as f64 / statements as f64;
    let trees = store
        .tree_sizes()?
        .into_iter()
        .map(|tree| TreeReport {
            name: tree.name,
            entries: tree.entries,
            key_bytes_per_statement: per_statement(tree.key_bytes),
            value_bytes_per_statement: per_statement(tree.value_bytes),
        })
        .collect();
    let value_log_bytes = store.value_log_bytes()?;
    log.close().await?;

    let log_bytes = disk_bytes(&log_dir)?;
    let store_bytes = disk_bytes(&store_dir)?;
    let tenth = (statements / 10).max(1);
    let first_tenth_per_second = rate_between(&samples, 0, tenth);
    let last_tenth_per_second = rate_between(&samples, statements - tenth, statements);
    Ok(FoldReport {
        statements,
        statement_bytes,
        append_per_second: statements as f64 / append_seconds,
        fold_seconds,
        fold_per_second: statements as f64 / fold_seconds,
        first_tenth_per_second,
        last_tenth_per_second,
        last_to_first: last_tenth_per_second / first_tenth_per_second,
        log_bytes,
        store_bytes,
        value_log_bytes,
        store_to_log: store_bytes as f64 / log_bytes.max(1) as f64,
        store_bytes_per_statement: per_statement(store_bytes),
        trees,
    })
}

/// Runs the benchmark and prints its report as one JSON line.
pub fn run(args: FoldBenchArgs) -> anyhow::Result<()> {
    if args.statements == 0 || args.partitions == 0 {
        bail!("--statements and --partitions must be at least 1");
    }
    if args.statement_bytes < 512 {
        bail!("--statement-bytes must be at least 512 (a generated statement's fields)");
    }
    let scratch;
    let dir = match &args.dir {
        Some(dir) => {
            if dir.exists() && std::fs::read_dir(dir)?.next().is_some() {
                bail!("--dir {}: not empty", dir.display());
            }
            dir.clone()
        }
        None => {
            scratch = tempfile::tempdir()?;
            scratch.path().to_path_buf()
        }
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let report = runtime.block_on(measure(&dir, &args))?;
    println!("{}", serde_json::to_string(&report)?);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_generates_the_same_statements_of_about_the_asked_size() {
        let generate = |seed| {
            let mut random = Generator(seed);
            (0..50)
                .map(|n| statement(&mut random, n, 1024, 1_767_225_600_000_000).1)
                .collect::<Vec<_>>()
        };
        assert_eq!(generate(7), generate(7));
        assert_ne!(generate(7), generate(8));
        for json in generate(7) {
            let size = serde_json::to_vec(&json).unwrap().len();
            assert!((900..=1100).contains(&size), "{size} bytes");
            assert!(learnlog_xapi::parse_uuid(json["id"].as_str().unwrap()).is_some());
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn every_generated_statement_is_folded_into_the_store() {
        for sealed in [false, true] {
            every_statement_is_folded(sealed).await;
        }
    }

    async fn every_statement_is_folded(sealed: bool) {
        let dir = tempfile::tempdir().unwrap();
        let args = FoldBenchArgs {
            statements: 1_500,
            statement_bytes: 600,
            partitions: 3,
            projection_cache_mb: 16,
            seed: 3,
            sealed,
            dir: None,
        };
        let report = measure(dir.path(), &args).await.unwrap();
        assert_eq!(report.statements, 1_500);
        assert!(report.log_bytes > 1_500 * 600, "{report:?}");
        assert!(
            report.store_bytes > 0 && report.fold_per_second > 0.0,
            "{report:?}"
        );
        // on the embedded log the bodies are read from it: no copy in the value log
        assert_eq!(report.value_log_bytes, 0, "{report:?}");
        for rate in [report.first_tenth_per_second, report.last_tenth_per_second] {
            assert!(rate.is_finite() && rate > 0.0, "{report:?}");
        }
        let by_learner = (report.trees.iter())
            .find(|tree| tree.name == "statements.by_learner")
            .map(|tree| tree.entries);
        // erasure notes in blocks, a few per learner, for sealed statements only
        let noted = by_learner.expect("the by_learner tree is reported");
        assert_eq!(
            noted > 0,
            sealed,
            "{noted} erasure blocks, sealed: {sealed}"
        );
        assert!(noted < 1_500, "{noted} erasure blocks for 1,500 statements");

        let log =
            EventLog::open_embedded(&dir.path().join("log"), EmbeddedOptions::default()).unwrap();
        let keys = Arc::new(LearnerKeys::open(dir.path().join("keys")).unwrap());
        let store = Projection::open(
            &dir.path().join("statements"),
            log.clone(),
            Arc::new(StatementStore::new(keys.clone())),
            ProjectionOptions::default(),
        )
        .unwrap();
        let reader =
            learnlog_projector_replicated::statements::StatementReader::new(&store, keys).unwrap();
        let mut random = Generator(args.seed);
        for n in 0..args.statements {
            let (id, json) = statement(&mut random, n, args.statement_bytes, 0);
            let found = reader.lookup(TENANT, id).unwrap();
            let learnlog_projector_replicated::statements::Lookup::Found(found) = found else {
                panic!("statement {n} ({id}) is not in the store");
            };
            let stored: Value = serde_json::from_slice(&found.json).unwrap();
            assert_eq!(stored["actor"], json["actor"], "statement {n} reads back");
        }
        log.close().await.unwrap();
    }

    #[test]
    fn the_rate_of_a_stretch_is_interpolated_between_samples() {
        // 100 statements: 40 in the first second, 40 in the next four, 20 in the last two
        let samples = [(0.0, 0), (1.0, 40), (5.0, 80), (7.0, 100)];
        assert_eq!(time_of(&samples, 0), 0.0);
        assert_eq!(time_of(&samples, 20), 0.5);
        assert_eq!(time_of(&samples, 60), 3.0);
        assert_eq!(time_of(&samples, 100), 7.0);
        assert_eq!(rate_between(&samples, 0, 10), 40.0);
        assert_eq!(rate_between(&samples, 90, 100), 10.0);
        assert_eq!(rate_between(&samples, 40, 80), 10.0);
    }

    #[test]
    fn a_stretch_folded_between_two_samples_gets_their_rate() {
        let samples = [(0.0, 0), (0.05, 0), (0.1, 1_000)];
        assert!((rate_between(&samples, 0, 100) - 20_000.0).abs() < 1e-6);
    }
}
