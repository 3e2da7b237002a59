//! `learnlog tenants create|list|disable|enable`: manages tenants through a running
//! server's admin API (`/v1/admin/tenants`) with the operator's credential.

use crate::credentials_cli::{checked, text};
use anyhow::Context;
use clap::{Args, Subcommand};
use reqwest::blocking::{Client, RequestBuilder};
use serde_json::{json, Value};

#[derive(Debug, Args)]
pub struct TenantsArgs {
    /// Base URL of the running learnlog server.
    #[arg(long, env = "LEARNLOG_URL", default_value = "http://127.0.0.1:8080")]
    pub url: String,

    /// A credential with the scope `operator` (the server's --admin-credential), as
    /// KEY:SECRET.
    #[arg(long, env = "LEARNLOG_ADMIN_CREDENTIAL", hide_env_values = true)]
    pub admin: String,

    #[command(subcommand)]
    pub command: TenantsCommand,
}

#[derive(Debug, Subcommand)]
pub enum TenantsCommand {
    /// Create a tenant and print its first admin credential (the secret is shown only
    /// once); that credential creates the tenant's other credentials.
    Create {
        /// 1 to 63 lowercase letters, digits and '-'.
        id: String,
        /// What people call it; the id when absent.
        #[arg(long)]
        name: Option<String>,
    },
    /// List tenants: id, whether disabled, name.
    List,
    /// Refuse a tenant's credentials from now on (its data stays).
    Disable {
        /// The tenant's id.
        id: String,
    },
    /// Accept a disabled tenant's credentials again.
    Enable {
        /// The tenant's id.
        id: String,
    },
}

/// Runs one tenants command against the server.
pub fn run(args: TenantsArgs) -> anyhow::Result<()> {
    let (key, secret) = args
        .admin
        .split_once(':')
        .context("--admin must be KEY:SECRET")?;
    let base = format!("{}/v1/admin/tenants", args.url.trim_end_matches('/'));
    let client = Client::new();
    let authorized = |request: RequestBuilder| request.basic_auth(key, Some(secret));
    match args.command {
        TenantsCommand::Create { id, name } => {
            let mut body = json!({"id": id});
            if let Some(name) = name {
                body["name"] = Value::from(name);
            }
            let created: Value = checked(authorized(client.post(&base)).json(&body).send())?
                .json()
                .context("reading the created tenant")?;
            println!(
                "Created tenant {}. Its admin secret is shown only this once:",
                text(&created["id"])
            );
            println!("  key:    {}", text(&created["admin"]["key"]));
            println!("  secret: {}", text(&created["admin"]["secret"]));
        }
        TenantsCommand::List => {
            let listed: Value = checked(authorized(client.get(&base)).send())?
                .json()
                .context("reading the tenant list")?;
            println!("{:<40} {:<9} NAME", "ID", "STATE");
            for tenant in listed.as_array().into_iter().flatten() {
                let state = match tenant["disabled"].as_bool() {
                    Some(true) => "disabled",
                    _ => "enabled",
                };
                println!(
                    "{:<40} {state:<9} {}",
                    text(&tenant["id"]),
                    text(&tenant["name"])
                );
            }
        }
        TenantsCommand::Disable { id } => {
            checked(authorized(client.post(format!("{base}/{id}/disable"))).send())?;
            println!("Disabled {id}: its credentials are refused.");
        }
        TenantsCommand::Enable { id } => {
            checked(authorized(client.post(format!("{base}/{id}/enable"))).send())?;
            println!("Enabled {id}.");
        }
    }
    Ok(())
}
