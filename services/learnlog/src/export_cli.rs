//! `learnlog export`: writes the statements a running server stores for the caller's
//! tenant as JSON lines, oldest first, streaming page by page (`GET /xapi/statements`
//! with `ascending`, following `more`). What `GET /xapi/statements` leaves out (voided
//! statements) is left out; the output is what `learnlog import` reads.

use anyhow::{bail, Context};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use reqwest::blocking::Client;
use serde_json::Value;
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Base URL of the running learnlog server.
    #[arg(long, env = "LEARNLOG_URL", default_value = "http://127.0.0.1:8080")]
    pub url: String,

    /// A credential with `statements/read` (or `all/read`, `all`), as KEY:SECRET; its
    /// tenant is the one exported.
    #[arg(long, env = "LEARNLOG_CREDENTIAL", hide_env_values = true)]
    pub credential: String,

    /// Only statements stored since this instant (RFC 3339).
    #[arg(long)]
    pub since: Option<String>,

    /// Only statements stored until this instant (RFC 3339).
    #[arg(long)]
    pub until: Option<String>,

    /// The file to write; standard output when absent.
    #[arg(long, short)]
    pub output: Option<PathBuf>,

    /// The xAPI version asked for (the statements are served in its format).
    #[arg(long, default_value = "2.0.0", value_parser = ["1.0.3", "2.0.0"])]
    pub xapi_version: String,
}

pub fn run(args: ExportArgs) -> anyhow::Result<()> {
    let (key, secret) =
        (args.credential.split_once(':')).context("--credential must be KEY:SECRET")?;
    let base = args.url.trim_end_matches('/').to_owned();
    let client = Client::builder()
        .timeout(Duration::from_secs(120))
        .build()?;
    let mut query: Vec<(&str, &str)> = vec![("ascending", "true"), ("limit", "500")];
    if let Some(since) = &args.since {
        query.push(("since", since));
    }
    if let Some(until) = &args.until {
        query.push(("until", until));
    }
    let mut next = format!(
        "{base}/xapi/statements?{}",
        serde_urlencoded::to_string(&query)?
    );
    let mut out: Box<dyn Write> = match &args.output {
        Some(path) => Box::new(BufWriter::new(
            std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?,
        )),
        None => Box::new(BufWriter::new(std::io::stdout().lock())),
    };
    let bar = ProgressBar::new_spinner();
    bar.set_style(ProgressStyle::with_template(
        "{elapsed_precise} {spinner} {pos} statements ({per_sec})",
    )?);
    loop {
        let response = client
            .get(&next)
            .basic_auth(key, Some(secret))
            .header("X-Experience-API-Version", &args.xapi_version)
            .send()
            .with_context(|| format!("GET {next}"))?;
        if !response.status().is_success() {
            bail!(
                "GET {next}: {} {}",
                response.status(),
                response.text().unwrap_or_default()
            );
        }
        let page: Value = response.json().context("a statement result")?;
        let statements = page["statements"]
            .as_array()
            .context("no statements in the answer")?;
        for statement in statements {
            serde_json::to_writer(&mut out, statement)?;
            out.write_all(b"\n")?;
        }
        bar.inc(statements.len() as u64);
        match page["more"].as_str() {
            Some(more) if !more.is_empty() => next = format!("{base}{more}"),
            _ => break,
        }
    }
    out.flush()?;
    bar.finish_and_clear();
    eprintln!("exported {} statements", bar.position());
    Ok(())
}
