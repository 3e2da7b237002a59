//! `learnlog credentials create|list|revoke`: manages credentials through a running
//! server's admin API (`/v1/admin/credentials`). The server holds the embedded log's
//! lock, so these commands talk HTTP rather than opening the data directory.

use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use reqwest::blocking::{Client, RequestBuilder, Response};
use serde_json::{json, Value};

#[derive(Debug, Args)]
pub struct CredentialsArgs {
    /// Base URL of the running learnlog server.
    #[arg(long, env = "LEARNLOG_URL", default_value = "http://127.0.0.1:8080")]
    pub url: String,

    /// A credential with the scope `all`, as KEY:SECRET.
    #[arg(long, env = "LEARNLOG_ADMIN_CREDENTIAL", hide_env_values = true)]
    pub admin: String,

    #[command(subcommand)]
    pub command: CredentialsCommand,
}

#[derive(Debug, Subcommand)]
pub enum CredentialsCommand {
    /// Issue a credential and print its key and secret (the secret is shown only once).
    Create {
        /// A scope to grant; repeat for several. One of: statements/write,
        /// statements/read, statements/read/mine, all/read, all, state, profile, define.
        #[arg(long = "scope", required = true)]
        scopes: Vec<String>,
        /// A label saying who uses it ("district LMS").
        #[arg(long, default_value = "")]
        label: String,
        /// The key to use instead of a generated one.
        #[arg(long)]
        key: Option<String>,
    },
    /// List credentials: key, label and scopes (never secrets).
    List,
    /// Revoke a credential: it stops working at once.
    Revoke {
        /// The credential's key.
        key: String,
    },
}

/// Runs one credentials command against the server.
pub fn run(args: CredentialsArgs) -> anyhow::Result<()> {
    let (key, secret) = args
        .admin
        .split_once(':')
        .context("--admin must be KEY:SECRET")?;
    let base = format!("{}/v1/admin/credentials", args.url.trim_end_matches('/'));
    let client = Client::new();
    let authorized = |request: RequestBuilder| request.basic_auth(key, Some(secret));
    match args.command {
        CredentialsCommand::Create {
            scopes,
            label,
            key: wanted,
        } => {
            let mut body = json!({"scopes": scopes, "label": label});
            if let Some(wanted) = wanted {
                body["key"] = Value::from(wanted);
            }
            let created = checked(authorized(client.post(&base)).json(&body).send())?;
            let created: Value = created.json().context("reading the created credential")?;
            println!("Created a credential. The secret is shown only this once:");
            println!("  key:    {}", text(&created["key"]));
            println!("  secret: {}", text(&created["secret"]));
            println!("  scopes: {}", scope_list(&created["scopes"]));
        }
        CredentialsCommand::List => {
            let listed: Value = checked(authorized(client.get(&base)).send())?
                .json()
                .context("reading the credential list")?;
            println!("{:<40} {:<24} SCOPES", "KEY", "LABEL");
            for credential in listed.as_array().into_iter().flatten() {
                println!(
                    "{:<40} {:<24} {}",
                    text(&credential["key"]),
                    text(&credential["label"]),
                    scope_list(&credential["scopes"])
                );
            }
        }
        CredentialsCommand::Revoke { key: revoked } => {
            let url = format!("{base}/{revoked}");
            checked(authorized(client.delete(&url)).send())?;
            println!("Revoked {revoked}.");
        }
    }
    Ok(())
}

/// The response when it is a success; the server's message otherwise.
pub(crate) fn checked(response: reqwest::Result<Response>) -> anyhow::Result<Response> {
    let response = response.context("reaching the learnlog server")?;
    let status = response.status();
    if status.is_success() {
        return Ok(response);
    }
    let body: Value = response.json().unwrap_or(Value::Null);
    bail!("the server answered {status}: {}", text(&body["message"]))
}

pub(crate) fn text(value: &Value) -> &str {
    value.as_str().unwrap_or("")
}

fn scope_list(scopes: &Value) -> String {
    let names: Vec<&str> = scopes
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    names.join(" ")
}
