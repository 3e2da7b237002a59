//! `learnlog frameworks import|list`: imports IMS CASE 1.0 packages and lists
//! competency frameworks through a running server's API (`/v1/frameworks`), with the
//! same URL and admin credential flags as `learnlog credentials`.

use crate::credentials_cli::{checked, text};
use anyhow::Context;
use clap::{Args, Subcommand};
use reqwest::blocking::{Client, RequestBuilder};
use serde_json::Value;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Args)]
pub struct FrameworksArgs {
    /// Base URL of the running learnlog server.
    #[arg(long, env = "LEARNLOG_URL", default_value = "http://127.0.0.1:8080")]
    pub url: String,

    /// A credential with the scope `all`, as KEY:SECRET.
    #[arg(long, env = "LEARNLOG_ADMIN_CREDENTIAL", hide_env_values = true)]
    pub admin: String,

    #[command(subcommand)]
    pub command: FrameworksCommand,
}

#[derive(Debug, Subcommand)]
pub enum FrameworksCommand {
    /// Import a framework from an IMS CASE 1.0 package file.
    ///
    /// The file is a CFPackage (JSON with CFDocument, CFItems, CFAssociations), as
    /// OpenSALT and other CASE tools export it. Importing again under the same id
    /// replaces the framework; its items missing from the new package are removed.
    Import {
        /// The package file.
        file: PathBuf,
        /// The id to store the framework under (1 to 128 of A-Z a-z 0-9 - . _ ~).
        /// Defaults to the CFDocument identifier.
        #[arg(long)]
        id: Option<String>,
    },
    /// List frameworks: id, competency count, import time and title.
    List,
}

/// Runs one frameworks command against the server.
pub fn run(args: FrameworksArgs) -> anyhow::Result<()> {
    let (key, secret) = args
        .admin
        .split_once(':')
        .context("--admin must be KEY:SECRET")?;
    let base = format!("{}/v1/frameworks", args.url.trim_end_matches('/'));
    let client = Client::builder()
        .timeout(Duration::from_secs(300))
        .build()
        .context("building the HTTP client")?;
    let authorized = |request: RequestBuilder| request.basic_auth(key, Some(secret));
    match args.command {
        FrameworksCommand::Import { file, id } => {
            let package =
                std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            let id = match id {
                Some(id) => id,
                None => document_identifier(&package)
                    .with_context(|| format!("{}: give --id", file.display()))?,
            };
            let response = checked(
                authorized(client.put(format!("{base}/{id}")))
                    .header("Content-Type", "application/json")
                    .body(package)
                    .send(),
            )?;
            let created = response.status() == reqwest::StatusCode::CREATED;
            let framework: Value = response.json().context("reading the imported framework")?;
            println!(
                "{} framework {}: {} ({} competencies)",
                if created { "Imported" } else { "Replaced" },
                text(&framework["id"]),
                text(&framework["document"]["title"]),
                framework["competencyCount"]
            );
        }
        FrameworksCommand::List => {
            let listed: Value = checked(authorized(client.get(&base)).send())?
                .json()
                .context("reading the framework list")?;
            println!(
                "{:<40} {:>12} {:<24} TITLE",
                "ID", "COMPETENCIES", "IMPORTED"
            );
            for framework in listed.as_array().into_iter().flatten() {
                println!(
                    "{:<40} {:>12} {:<24} {}",
                    text(&framework["id"]),
                    framework["competencyCount"],
                    text(&framework["importedAt"]),
                    text(&framework["document"]["title"])
                );
            }
        }
    }
    Ok(())
}

/// `CFDocument.identifier` of a package, the default framework id.
fn document_identifier(package: &[u8]) -> anyhow::Result<String> {
    let package: Value = serde_json::from_slice(package).context("the file is not JSON")?;
    package["CFDocument"]["identifier"]
        .as_str()
        .map(str::to_owned)
        .context("the package has no CFDocument.identifier")
}
