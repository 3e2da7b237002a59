//! `learnlog fit`: fits mastery-model parameters on a running server (its admin API,
//! `POST /v1/admin/mastery/fits`), which reads the evidence from the log, fits per
//! competency by EM and publishes the parameters as an event. With `--params`, it
//! publishes given pyBKT parameters instead of fitting.

use crate::credentials_cli::checked;
use anyhow::Context;
use clap::Args;
use reqwest::blocking::Client;
use serde_json::{json, Value};
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Args)]
pub struct FitArgs {
    /// Base URL of the running learnlog server.
    #[arg(long, env = "LEARNLOG_URL", default_value = "http://127.0.0.1:8080")]
    pub url: String,

    /// A credential with the scope `all`, as KEY:SECRET; the fit is for its tenant.
    #[arg(long, env = "LEARNLOG_ADMIN_CREDENTIAL", hide_env_values = true)]
    pub admin: String,

    /// `irt-forget` (BKT with item difficulty, learner ability and forgetting) or
    /// `bkt` (standard BKT).
    #[arg(long, default_value = "irt-forget", value_parser = ["irt-forget", "bkt"])]
    pub model: String,

    /// Publish these parameters (pyBKT's `{"competency": {"prior", "learn", "forget",
    /// "guess", "slip"}}` JSON) instead of fitting; implies `--model bkt`.
    #[arg(long)]
    pub params: Option<PathBuf>,
}

/// Runs the fit and prints what was published.
pub fn run(args: FitArgs) -> anyhow::Result<()> {
    let (key, secret) = args
        .admin
        .split_once(':')
        .context("--admin must be KEY:SECRET")?;
    let mut body = json!({"model": args.model});
    if let Some(path) = &args.params {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let parameters: Value = serde_json::from_str(&text)
            .with_context(|| format!("{} is not JSON", path.display()))?;
        body = json!({"model": "bkt", "parameters": parameters});
    }
    let url = format!("{}/v1/admin/mastery/fits", args.url.trim_end_matches('/'));
    let client = Client::builder()
        .timeout(Duration::from_secs(3_600))
        .build()?;
    let response = checked(
        client
            .post(&url)
            .basic_auth(key, Some(secret))
            .json(&body)
            .send(),
    )?;
    let report: Value = response.json().context("reading the fit report")?;
    println!("{report}");
    Ok(())
}
