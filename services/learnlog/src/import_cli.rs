//! `learnlog import FILE…`: loads xAPI statements (JSON arrays or JSON lines, gzip
//! allowed; e.g. another LRS's export) into a running server through its normal write
//! path, `POST /xapi/statements`, in batches.
//!
//! Resumable without duplicates: a statement without an `id` gets one derived from its
//! content and its place in the file (UUID v5), so sending it again is acknowledged as
//! the same statement; and how far each file got is saved in a progress file after
//! every acknowledged batch, so a second run skips what was stored. A batch the server
//! refuses (400, 409) is sent again one statement at a time; each statement refused on
//! its own is written with the reason to the rejects file (JSON lines) and the rest are
//! stored.

use anyhow::{bail, Context};
use clap::Args;
use flate2::read::MultiGzDecoder;
use indicatif::{ProgressBar, ProgressStyle};
use reqwest::blocking::Client;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use uuid::Uuid;

/// Names the ids given to statements imported without one.
const IMPORT_NAMESPACE: Uuid = Uuid::from_u128(0x6c65_6172_6e6c_6f67_696d_706f_7274_0001);
/// Attempts at a batch the server could not take (5xx, no answer) before giving up.
const ATTEMPTS: u32 = 8;

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Files of statements: a JSON array, or one statement per line; `.gz` or gzip
    /// content is decompressed.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,

    /// Base URL of the running learnlog server.
    #[arg(long, env = "LEARNLOG_URL", default_value = "http://127.0.0.1:8080")]
    pub url: String,

    /// A credential with `statements/write` (or `all`), as KEY:SECRET.
    #[arg(long, env = "LEARNLOG_CREDENTIAL", hide_env_values = true)]
    pub credential: String,

    /// Statements per request.
    #[arg(long, default_value_t = 500)]
    pub batch: usize,

    /// The xAPI version the statements are sent under.
    #[arg(long, default_value = "2.0.0", value_parser = ["1.0.3", "2.0.0"])]
    pub xapi_version: String,

    /// Where refused statements go, one JSON object per line: file, index, id, status,
    /// reason, statement.
    #[arg(long, default_value = "learnlog-import.rejects.jsonl")]
    pub rejects: PathBuf,

    /// Where progress is kept between runs.
    #[arg(long, default_value = "learnlog-import.progress.json")]
    pub progress: PathBuf,
}

/// Counts bytes read, for the progress bar.
struct Counting<R> {
    inner: R,
    bar: ProgressBar,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bar.inc(n as u64);
        Ok(n)
    }
}

/// A file's statements, one at a time, in file order.
fn statements(
    path: &Path,
    bar: &ProgressBar,
) -> anyhow::Result<Box<dyn Iterator<Item = anyhow::Result<Value>>>> {
    let file = File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let counted = Counting {
        inner: file,
        bar: bar.clone(),
    };
    let mut raw = BufReader::new(counted);
    let gzip = raw.fill_buf()?.starts_with(&[0x1f, 0x8b]);
    let mut reader: Box<dyn BufRead> = if gzip {
        Box::new(BufReader::new(MultiGzDecoder::new(raw)))
    } else {
        Box::new(raw)
    };
    let first = loop {
        let buffer = reader.fill_buf()?;
        match buffer.iter().position(|b| !b.is_ascii_whitespace()) {
            Some(at) => break Some(buffer[at]),
            None if buffer.is_empty() => break None,
            None => {
                let n = buffer.len();
                reader.consume(n);
            }
        }
    };
    let name = path.display().to_string();
    if first == Some(b'[') {
        let all: Vec<Value> = serde_json::from_reader(reader)
            .with_context(|| format!("{name}: not a JSON array of statements"))?;
        return Ok(Box::new(all.into_iter().map(Ok)));
    }
    let lines = reader
        .lines()
        .enumerate()
        .filter_map(move |(n, line)| match line {
            Ok(line) if line.trim().is_empty() => None,
            Ok(line) => Some(
                serde_json::from_str(&line)
                    .with_context(|| format!("{name} line {}: not JSON", n + 1)),
            ),
            Err(error) => Some(Err(error).with_context(|| format!("reading {name}"))),
        });
    Ok(Box::new(lines))
}

/// The statement with an id: its own, or one derived from its content and place.
fn with_id(mut statement: Value, index: u64) -> Value {
    if statement.get("id").is_none() {
        if let Some(fields) = statement.as_object_mut() {
            let name = format!("{index}:{}", Value::Object(fields.clone()));
            let id = Uuid::new_v5(&IMPORT_NAMESPACE, name.as_bytes());
            fields.insert("id".into(), json!(id.to_string()));
        }
    }
    statement
}

/// How far each file got: records (statements, refused or stored) done, by file.
#[derive(Default)]
struct Progress {
    path: PathBuf,
    done: BTreeMap<String, u64>,
}

impl Progress {
    fn load(path: &Path) -> anyhow::Result<Self> {
        let done = match std::fs::read(path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .with_context(|| format!("{} is not an import progress file", path.display()))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => BTreeMap::new(),
            Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
        };
        Ok(Self {
            path: path.to_owned(),
            done,
        })
    }

    fn save(&self) -> anyhow::Result<()> {
        let partial = self.path.with_extension("partial");
        std::fs::write(&partial, serde_json::to_vec_pretty(&self.done)?)?;
        std::fs::rename(&partial, &self.path)
            .with_context(|| format!("writing {}", self.path.display()))
    }
}

/// What the server said to one request.
enum Answer {
    Stored,
    Refused(u16, String),
}

struct Sender {
    client: Client,
    url: String,
    key: String,
    secret: String,
    version: String,
}

impl Sender {
    /// Posts `statements`; retries what the server could not take, with backoff.
    fn post(&self, statements: &[Value]) -> anyhow::Result<Answer> {
        let body = serde_json::to_vec(statements)?;
        let mut wait = Duration::from_millis(250);
        for attempt in 1..=ATTEMPTS {
            let sent = self
                .client
                .post(&self.url)
                .basic_auth(&self.key, Some(&self.secret))
                .header("X-Experience-API-Version", &self.version)
                .header("Content-Type", "application/json")
                .body(body.clone())
                .send();
            let problem = match sent {
                Ok(response) if response.status().is_success() => return Ok(Answer::Stored),
                Ok(response) if matches!(response.status().as_u16(), 400 | 409 | 413) => {
                    let status = response.status().as_u16();
                    return Ok(Answer::Refused(status, response.text().unwrap_or_default()));
                }
                Ok(response) if matches!(response.status().as_u16(), 401 | 403) => {
                    bail!("the server refused the credential: {}", response.status())
                }
                Ok(response) => format!(
                    "{}: {}",
                    response.status(),
                    response.text().unwrap_or_default()
                ),
                Err(error) => error.to_string(),
            };
            if attempt == ATTEMPTS {
                bail!("{}: {problem}", self.url);
            }
            tracing::warn!(%problem, attempt, "import: retrying a batch");
            std::thread::sleep(wait);
            wait = (wait * 2).min(Duration::from_secs(10));
        }
        unreachable!("the last attempt returns")
    }
}

/// Totals of a run.
#[derive(Default)]
struct Totals {
    stored: u64,
    refused: u64,
    skipped: u64,
}

/// Sends one batch; a refused batch is sent again one by one, refusals written out.
fn send_batch(
    sender: &Sender,
    batch: &[(u64, Value)],
    file: &str,
    rejects: &mut impl Write,
    totals: &mut Totals,
) -> anyhow::Result<()> {
    let statements: Vec<Value> = batch.iter().map(|(_, s)| s.clone()).collect();
    if let Answer::Stored = sender.post(&statements)? {
        totals.stored += batch.len() as u64;
        return Ok(());
    }
    for (index, statement) in batch {
        match sender.post(std::slice::from_ref(statement))? {
            Answer::Stored => totals.stored += 1,
            Answer::Refused(status, reason) => {
                totals.refused += 1;
                let reason = serde_json::from_str::<Value>(&reason)
                    .ok()
                    .and_then(|v| v.get("message").cloned())
                    .unwrap_or(Value::String(reason));
                let line = json!({"file": file, "index": index, "id": statement.get("id"),
                    "status": status, "reason": reason, "statement": statement});
                writeln!(rejects, "{line}")?;
            }
        }
    }
    Ok(())
}

pub fn run(args: ImportArgs) -> anyhow::Result<()> {
    let (key, secret) =
        (args.credential.split_once(':')).context("--credential must be KEY:SECRET")?;
    if args.batch == 0 {
        bail!("--batch must be at least 1");
    }
    let sender = Sender {
        client: Client::builder()
            .timeout(Duration::from_secs(120))
            .build()?,
        url: format!("{}/xapi/statements", args.url.trim_end_matches('/')),
        key: key.to_owned(),
        secret: secret.to_owned(),
        version: args.xapi_version.clone(),
    };
    let mut progress = Progress::load(&args.progress)?;
    let mut rejects = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&args.rejects)
        .with_context(|| format!("opening {}", args.rejects.display()))?;
    let total_bytes: u64 = (args.files.iter())
        .map(|f| {
            std::fs::metadata(f)
                .map(|m| m.len())
                .with_context(|| format!("{}", f.display()))
        })
        .sum::<anyhow::Result<u64>>()?;
    let bar = ProgressBar::new(total_bytes);
    bar.set_style(
        ProgressStyle::with_template(
            "{elapsed_precise} [{bar:30}] {bytes}/{total_bytes} {msg} (ETA {eta})",
        )?
        .progress_chars("=> "),
    );
    let started = Instant::now();
    let mut totals = Totals::default();
    for path in &args.files {
        let file = path.display().to_string();
        let done = progress.done.get(&file).copied().unwrap_or(0);
        let mut batch: Vec<(u64, Value)> = Vec::with_capacity(args.batch);
        let mut index = 0u64;
        let mut records = statements(path, &bar)?;
        loop {
            let next = records.next().transpose()?;
            let end = next.is_none();
            if let Some(statement) = next {
                if index < done {
                    totals.skipped += 1;
                } else {
                    batch.push((index, with_id(statement, index)));
                }
                index += 1;
            }
            if batch.len() == args.batch || (end && !batch.is_empty()) {
                send_batch(&sender, &batch, &file, &mut rejects, &mut totals)?;
                rejects.flush()?;
                progress.done.insert(file.clone(), index);
                progress.save()?;
                batch.clear();
                let rate = totals.stored as f64 / started.elapsed().as_secs_f64().max(1e-3);
                bar.set_message(format!("{} stored, {rate:.0} statements/s", totals.stored));
            }
            if end {
                break;
            }
        }
    }
    bar.finish_and_clear();
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "imported {} files: {} statements stored, {} refused (see {}), {} skipped as already done, in {seconds:.1} s ({:.0} statements/s)",
        args.files.len(),
        totals.stored,
        totals.refused,
        args.rejects.display(),
        totals.skipped,
        totals.stored as f64 / seconds.max(1e-3),
    );
    Ok(())
}
