//! Writes a synthetic response log (`learnlog_mastery::synthetic`) to files:
//! `VARIANT.responses.csv.gz` in the reference format, for `learnlog bench mastery
//! --data`, and `VARIANT.truth.json` with the true parameters. Prints a summary with
//! the ceiling (the oracle's accuracy on the test learners) as one JSON line.
//!
//! ```sh
//! cargo run --release -p learnlog-mastery --example generate -- \
//!     --variant irt-forget [--learners 4000] [--skills 60] [--seed 7] [--out DIR]
//! ```

use flate2::write::GzEncoder;
use flate2::Compression;
use learnlog_mastery::synthetic::{self, Settings, Variant};
use std::io::{BufWriter, Write};
use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut settings = Settings::standard(Variant::Bkt);
    let mut out = PathBuf::from(".");
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--variant" => settings.variant = value()?.parse()?,
            "--learners" => settings.learners = value()?.parse()?,
            "--skills" => settings.skills = value()?.parse()?,
            "--seed" => settings.seed = value()?.parse()?,
            "--out" => out = value()?.into(),
            other => return Err(format!("unknown argument {other}").into()),
        }
    }
    if settings.skills < 2 || settings.learners == 0 {
        return Err("--skills must be at least 2 and --learners at least 1".into());
    }
    let log = synthetic::generate(&settings);
    let name = match settings.variant {
        Variant::Bkt => "bkt",
        Variant::IrtForget => "irt-forget",
    };
    std::fs::create_dir_all(&out)?;
    let csv = out.join(format!("{name}.responses.csv.gz"));
    let mut gz = GzEncoder::new(
        BufWriter::new(std::fs::File::create(&csv)?),
        Compression::default(),
    );
    log.dataset.write(&mut gz)?;
    gz.finish()?.flush()?;
    let truth = out.join(format!("{name}.truth.json"));
    std::fs::write(&truth, serde_json::to_vec_pretty(&log.truth)?)?;

    let responses = log.dataset.responses();
    let correct = responses.iter().filter(|r| r.correct).count();
    let ceiling = log.test_ceiling();
    let summary = serde_json::json!({
        "responses_file": csv,
        "truth_file": truth,
        "settings": settings,
        "items": log.truth.items.len(),
        "rows": log.dataset.rows.len(),
        "responses": responses.len(),
        "mean_correct": correct as f64 / responses.len().max(1) as f64,
        "ceiling": {"auc": ceiling.auc, "rmse": ceiling.rmse, "logloss": ceiling.logloss},
    });
    println!("{summary}");
    Ok(())
}
