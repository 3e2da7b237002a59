//! `learnlog rebuild`: delete every projection's state and fold the log again; and
//! `learnlog digest`: fingerprint every projection's state.

use crate::cli::RebuildArgs;
use crate::data_format::{self, Opening};
use crate::node::{projections_dir, Node};
use anyhow::Context;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

pub async fn rebuild(args: RebuildArgs) -> anyhow::Result<()> {
    data_format::check(&args.storage.data_dir, Opening::Rebuild)?;
    let dir = projections_dir(&args.storage.data_dir);
    let plain = |name: &String| {
        name.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    };
    if let Some(odd) = args.only.iter().find(|name| !plain(name)) {
        anyhow::bail!("--only {odd:?}: a projection name is letters, digits, '-' and '_'");
    }
    let doomed: Vec<std::path::PathBuf> = if args.only.is_empty() {
        vec![dir]
    } else {
        args.only.iter().map(|name| dir.join(name)).collect()
    };
    for dir in doomed.iter().filter(|dir| dir.exists()) {
        std::fs::remove_dir_all(dir).with_context(|| format!("removing {}", dir.display()))?;
    }
    let started = Instant::now();
    let node = Node::open(&args.storage)?;
    let known: Vec<&str> = node.projections().iter().map(|p| p.name()).collect();
    if let Some(unknown) = args
        .only
        .iter()
        .find(|name| !known.contains(&name.as_str()))
    {
        anyhow::bail!(
            "--only {unknown}: no such projection (known: {})",
            known.join(", ")
        );
    }
    let cancel = CancellationToken::new();
    let tasks = node.run_projections(&cancel);
    node.drain(None, Duration::from_secs(24 * 3600))
        .await
        .context("folding the log")?;
    cancel.cancel();
    node.shut_down(tasks).await?;
    if args.only.is_empty() {
        // every projection folded by this build: the directory is in its format now
        data_format::record_current(&args.storage.data_dir)?;
    }
    let names: Vec<&str> = if args.only.is_empty() {
        known
    } else {
        args.only.iter().map(String::as_str).collect()
    };
    println!(
        "rebuilt {} in {:.1}s",
        names.join(", "),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

pub async fn digest(args: RebuildArgs) -> anyhow::Result<()> {
    data_format::check(&args.storage.data_dir, Opening::Rebuild)?;
    let node = Node::open(&args.storage)?;
    for projection in node.projections() {
        println!("{} {}", projection.name(), projection.digest()?);
    }
    node.log.close().await?;
    Ok(())
}
