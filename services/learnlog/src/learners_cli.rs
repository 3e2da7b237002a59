//! `learnlog learners export|erase`: a learner's access request and erasure through a
//! running server (`GET /v1/learners/{id}/export`, `POST /v1/learners/{id}/erase`)
//! with a credential of the learner's tenant that has the scope `all`.

use crate::credentials_cli::checked;
use anyhow::Context;
use clap::{Args, Subcommand};
use reqwest::blocking::Client;
use serde_json::Value;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Args)]
pub struct LearnersArgs {
    /// Base URL of the running learnlog server.
    #[arg(long, env = "LEARNLOG_URL", default_value = "http://127.0.0.1:8080")]
    pub url: String,

    /// A credential with the scope `all` in the learner's tenant, as KEY:SECRET.
    #[arg(long, env = "LEARNLOG_ADMIN_CREDENTIAL", hide_env_values = true)]
    pub admin: String,

    #[command(subcommand)]
    pub command: LearnersCommand,
}

#[derive(Debug, Subcommand)]
pub enum LearnersCommand {
    /// Write everything held on a learner (statements, documents, profile, mastery,
    /// decisions, goals) as one JSON document.
    Export {
        /// The learner id (UUID) or the learner's agent as JSON, e.g.
        /// '{"mbox":"mailto:ada@example.org"}'.
        learner: String,
        /// Where to write it; standard output when absent.
        #[arg(long)]
        output: Option<PathBuf>,
    },
    /// Forget a learner for good: destroy their data key and drop them from every
    /// projection. Export first if the learner asked for their data.
    Erase {
        /// The learner id (UUID) or the learner's agent as JSON.
        learner: String,
    },
}

/// Runs one learners command against the server.
pub fn run(args: LearnersArgs) -> anyhow::Result<()> {
    let (key, secret) = args
        .admin
        .split_once(':')
        .context("--admin must be KEY:SECRET")?;
    let client = Client::builder()
        .timeout(Duration::from_secs(300))
        .build()?;
    let url = |learner: &str, action: &str| -> anyhow::Result<reqwest::Url> {
        let mut url = reqwest::Url::parse(args.url.trim_end_matches('/'))
            .with_context(|| format!("--url {} is not a URL", args.url))?;
        url.path_segments_mut()
            .map_err(|()| anyhow::anyhow!("--url {} cannot have a path", args.url))?
            .extend(["v1", "learners", learner, action]);
        Ok(url)
    };
    match args.command {
        LearnersCommand::Export { learner, output } => {
            let request = client.get(url(&learner, "export")?);
            let response = checked(request.basic_auth(key, Some(secret)).send())?;
            let export: Value = response.json().context("reading the export")?;
            let text = serde_json::to_string_pretty(&export)?;
            match output {
                Some(path) => std::fs::write(&path, text + "\n")
                    .with_context(|| format!("writing {}", path.display()))?,
                None => println!("{text}"),
            }
        }
        LearnersCommand::Erase { learner } => {
            let request = client.post(url(&learner, "erase")?);
            let response = checked(request.basic_auth(key, Some(secret)).send())?;
            let erased: Value = response.json().context("reading the answer")?;
            let id = erased["learner"].as_str().unwrap_or_default();
            if erased["key_destroyed"] == Value::Bool(true) {
                println!("Erased learner {id}: their data key is destroyed.");
            } else {
                println!("Erased learner {id} (they had no data key: nothing was sealed for them, or they were erased before).");
            }
        }
    }
    Ok(())
}
