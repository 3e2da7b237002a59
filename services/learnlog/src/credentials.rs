//! Issuing credentials (as events) and making sure the operator's admin credential
//! exists: scopes `all` and `operator`, in the tenant `default`.

use crate::node::Node;
use anyhow::Context;
use learnlog_log::Record;
use learnlog_projector_replicated::credentials::{
    self, new_secret, CredentialReader, SecretOrigin, DEFAULT_TENANT, OPERATOR_SCOPE,
};
use learnlog_proto::{topics, Message};
use std::time::Duration;

/// The scopes of the operator's admin credential.
const ADMIN_SCOPES: [&str; 2] = ["all", OPERATOR_SCOPE];

/// Appends a `CredentialIssued` event and waits until the credentials projection has
/// folded it, so the credential works as soon as this returns. An operator-chosen
/// secret is hashed with Argon2id (on a blocking thread), a generated one with SHA-256.
pub async fn issue(
    node: &Node,
    key: &str,
    secret: &str,
    origin: SecretOrigin,
    scopes: &[&str],
    label: &str,
) -> anyhow::Result<()> {
    let scopes: Vec<String> = scopes.iter().map(|s| (*s).to_owned()).collect();
    let (key_owned, secret_owned, label_owned) =
        (key.to_owned(), secret.to_owned(), label.to_owned());
    let envelope = tokio::task::spawn_blocking(move || {
        credentials::issued(
            DEFAULT_TENANT,
            &key_owned,
            &secret_owned,
            origin,
            &scopes,
            &label_owned,
            now_micros(),
        )
    })
    .await
    .context("hashing the secret")??;
    let record = Record {
        key: key.as_bytes().to_vec(),
        value: envelope.encode_to_vec(),
    };
    let positions = node.log.append(topics::CREDENTIALS, vec![record]).await?;
    let position = positions.first().context("append returned no position")?;
    node.credentials
        .wait_folded(
            topics::CREDENTIALS,
            position.partition,
            position.offset,
            Duration::from_secs(30),
        )
        .await?;
    Ok(())
}

fn now_micros() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_micros() as i64)
}

/// Makes sure an admin credential exists: the one given (`KEY:SECRET`), created, or
/// its secret replaced, or given the `operator` scope it lacked (one issued before
/// tenants existed); or, when none is given and no credential holds `operator`, a new
/// one printed once.
pub async fn ensure_admin(node: &Node, given: Option<&str>) -> anyhow::Result<()> {
    node.credentials
        .catch_up(Duration::from_secs(60))
        .await
        .context("folding existing credentials")?;
    let reader = CredentialReader::new(&node.credentials)?;
    match given {
        Some(pair) => {
            let (key, secret) = pair
                .split_once(':')
                .filter(|(key, secret)| !key.is_empty() && !secret.is_empty())
                .context("--admin-credential must be KEY:SECRET")?;
            let (reader, key_owned, secret_owned) =
                (reader.clone(), key.to_owned(), secret.to_owned());
            let known =
                tokio::task::spawn_blocking(move || reader.verify(&key_owned, &secret_owned))
                    .await
                    .context("verifying the admin secret")??;
            let current = known.is_some_and(|credential| {
                credential.tenant == DEFAULT_TENANT
                    && ADMIN_SCOPES
                        .iter()
                        .all(|scope| credential.scopes.iter().any(|s| s == scope))
            });
            if !current {
                let chosen = SecretOrigin::OperatorChosen;
                issue(node, key, secret, chosen, &ADMIN_SCOPES, "admin").await?;
                tracing::info!(key, "admin credential issued");
            }
        }
        // none yet, or only credentials issued before tenants existed: nobody could
        // manage tenants (granting `operator` needs `operator`)
        None if !has_operator(&reader)? => {
            let key = format!("admin-{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
            let secret = new_secret();
            let generated = SecretOrigin::Generated;
            issue(node, &key, &secret, generated, &ADMIN_SCOPES, "admin").await?;
            println!("Created an admin credential. It is shown only this once:");
            println!("  key:    {key}");
            println!("  secret: {secret}");
        }
        None => {}
    }
    Ok(())
}

/// True when a credential of the tenant `default` holds the scope `operator`.
fn has_operator(reader: &CredentialReader) -> anyhow::Result<bool> {
    Ok(reader.list()?.iter().any(|credential| {
        credential.tenant == DEFAULT_TENANT
            && credential
                .scopes
                .iter()
                .any(|scope| scope == OPERATOR_SCOPE)
    }))
}
