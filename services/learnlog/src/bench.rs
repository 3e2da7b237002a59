//! `learnlog bench mastery`: the mastery model's benchmark harness on a reference
//! response file. All the work is in `learnlog_mastery::harness`; this only reads the
//! files named on the command line and prints the report as one JSON line.
//!
//! `learnlog bench decisions`: the decision simulation (`crate::simulation`), which
//! starts servers of its own.
//!
//! `learnlog bench fold`: the statement-store fold alone (`crate::fold_bench`).

use anyhow::Context;
use clap::{Args, Subcommand};
use learnlog_mastery::data::Dataset;
use learnlog_mastery::em::FitOptions;
use learnlog_mastery::harness::{self, ModelKind};
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct BenchArgs {
    #[command(subcommand)]
    pub what: BenchCommand,
}

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Fit the mastery model on `split=train`, stream `split=test` learners through it
    /// (predict, then update) and print
    /// `{"auc","rmse","logloss","accuracy","ece","fit_seconds","predict_per_second","responses","reliability"}`,
    /// where `ece` is the expected calibration error over 10 equal-width bins of
    /// P(correct) and `reliability` lists the non-empty bins as
    /// `{"lo","hi","count","mean_predicted","observed_rate"}`.
    Mastery(MasteryBenchArgs),
    /// Simulate learners with known true skills on a generated framework, practising
    /// under three policies (learnlog's decisions, a fixed curriculum, random ready
    /// competencies), each against a real `learnlog serve` it starts; print
    /// `{"policies":{NAME:{"attempts":{"median","p90","mean"},"hit_budget","band",
    /// "wheel_spinning":{…,"precision","recall"}}},"ratios":{…}}` (and a table on stderr).
    Decisions(crate::simulation::DecisionsBenchArgs),
    /// Fold generated statements with the statement store alone, from an embedded log in
    /// a scratch directory, and print `{"statements","statement_bytes",
    /// "append_per_second","fold_seconds","fold_per_second","first_tenth_per_second",
    /// "last_tenth_per_second","last_to_first","log_bytes","store_bytes",
    /// "value_log_bytes","store_to_log","store_bytes_per_statement","trees":[{"name","entries",
    /// "key_bytes_per_statement","value_bytes_per_statement"}]}`.
    Fold(crate::fold_bench::FoldBenchArgs),
}

#[derive(Debug, Args)]
pub struct MasteryBenchArgs {
    /// Response log in the reference CSV format (`.csv` or `.csv.gz`).
    #[arg(long, env = "LEARNLOG_BENCH_DATA")]
    pub data: PathBuf,

    /// Model variant: `bkt` (standard Bayesian Knowledge Tracing) or `irt-forget` (BKT
    /// with item difficulty, learner ability and forgetting over elapsed time).
    #[arg(long, env = "LEARNLOG_BENCH_MODEL", default_value = "bkt")]
    pub model: String,

    /// Fixed BKT parameters in pyBKT's JSON format; skips fitting.
    #[arg(long, env = "LEARNLOG_BENCH_PARAMS")]
    pub params: Option<PathBuf>,

    /// Fitting threads (0 = one per core).
    #[arg(long, env = "LEARNLOG_BENCH_THREADS", default_value_t = 0)]
    pub threads: usize,
}

/// Runs a benchmark and prints its report.
pub fn run(args: BenchArgs) -> anyhow::Result<()> {
    match args.what {
        BenchCommand::Mastery(a) => {
            let kind: ModelKind = a.model.parse()?;
            let ds = Dataset::open(&a.data)?;
            let fixed = match &a.params {
                Some(path) => {
                    let json = std::fs::read_to_string(path)
                        .with_context(|| format!("cannot read {}", path.display()))?;
                    Some(harness::bkt_from_pybkt_json(&json, &ds)?)
                }
                None => None,
            };
            let opts = FitOptions {
                threads: a.threads,
                ..FitOptions::default()
            };
            let report = harness::run(&ds, kind, fixed, &opts);
            println!("{}", serde_json::to_string(&report)?);
            Ok(())
        }
        BenchCommand::Decisions(a) => crate::simulation::run(a),
        BenchCommand::Fold(a) => crate::fold_bench::run(a),
    }
}
