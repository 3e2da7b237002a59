//! A real `learnlog serve` for one policy's run: this same binary started as a
//! subprocess on a free loopback port over a temporary data directory, killed by its
//! PID when dropped, and a blocking HTTP client for it.

use anyhow::{anyhow, bail, Context};
use reqwest::blocking::{Client, Response};
use reqwest::StatusCode;
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const KEY: &str = "bench-decisions";
const SECRET: &str = "bench-decisions-secret-0123456789";
/// How long the server may take to print its address.
const START_TIMEOUT: Duration = Duration::from_secs(120);
/// Tries of a request that timed out or lost its connection.
const TRIES: u32 = 3;

/// A running server; its data directory goes with it.
pub struct Server {
    child: Child,
    pub base: String,
    client: Client,
    _data: tempfile::TempDir,
}

impl Server {
    /// Starts `learnlog serve` with the decision settings `settings` (a JSON object for
    /// `--decisions-config`) and `--mastery-threshold` when given, and waits until it
    /// listens.
    pub fn start(settings: &Value, mastery_threshold: Option<&str>) -> anyhow::Result<Self> {
        let data = tempfile::tempdir().context("creating a data directory")?;
        let config = data.path().join("decisions.json");
        std::fs::write(&config, settings.to_string()).context("writing the settings")?;
        let exe = std::env::current_exe().context("finding the learnlog binary")?;
        let mut child = Command::new(exe)
            .args(["serve", "--listen", "127.0.0.1:0", "--unsafe-no-fsync"])
            .arg("--data-dir")
            .arg(data.path().join("data"))
            .arg("--admin-credential")
            .arg(format!("{KEY}:{SECRET}"))
            .arg("--decisions-config")
            .arg(&config)
            .args(
                mastery_threshold
                    .map(|t| ["--mastery-threshold", t])
                    .into_iter()
                    .flatten(),
            )
            .env(
                "RUST_LOG",
                std::env::var("LEARNLOG_BENCH_RUST_LOG").unwrap_or_else(|_| "warn".into()),
            )
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .context("starting learnlog serve")?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| anyhow!("the server's stdout is not piped"))?;
        let (sender, receiver) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(address) = line.strip_prefix("learnlog listening on ") {
                    let _ = sender.send(address.trim().to_owned());
                }
            }
        });
        let base = match receiver.recv_timeout(START_TIMEOUT) {
            Ok(base) => base,
            Err(_) => {
                let _ = child.kill();
                let status = child.wait();
                bail!("learnlog serve did not print its address (exit: {status:?})");
            }
        };
        let client = Client::builder()
            .timeout(Duration::from_secs(30))
            // below the server's keep-alive, so no request goes out on a closing connection
            .pool_idle_timeout(Duration::from_secs(2))
            .build()
            .context("building the HTTP client")?;
        Ok(Self {
            child,
            base,
            client,
            _data: data,
        })
    }

    fn checked(response: reqwest::Result<Response>, what: &str) -> anyhow::Result<Response> {
        let response = response.with_context(|| format!("{what}: reaching the server"))?;
        let status = response.status();
        if status.is_success() || status == StatusCode::NOT_FOUND {
            return Ok(response);
        }
        let body = response.text().unwrap_or_default();
        bail!("{what}: the server answered {status}: {body}")
    }

    /// Sends a request built by `build`, again after a timeout or a broken connection
    /// (at most [`TRIES`] times).
    fn send(
        &self,
        what: &str,
        build: impl Fn() -> reqwest::blocking::RequestBuilder,
    ) -> anyhow::Result<Response> {
        let mut tries = 1;
        loop {
            match build().send() {
                Err(e) if (e.is_timeout() || e.is_connect() || e.is_request()) && tries < TRIES => {
                    eprintln!("{what}: {e}; trying again");
                    tries += 1;
                }
                sent => return Self::checked(sent, what),
            }
        }
    }

    /// `GET path` as JSON; `None` on 404.
    pub fn get(&self, path: &str) -> anyhow::Result<Option<Value>> {
        let url = format!("{}{path}", self.base);
        let response = self.send(path, || self.client.get(&url).basic_auth(KEY, Some(SECRET)))?;
        if response.status() == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        Ok(Some(
            response.json().with_context(|| format!("{path}: JSON"))?,
        ))
    }

    /// `PUT path` with a JSON body.
    pub fn put(&self, path: &str, body: &Value) -> anyhow::Result<()> {
        let url = format!("{}{path}", self.base);
        let response = self.send(path, || {
            (self.client.put(&url).basic_auth(KEY, Some(SECRET))).json(body)
        })?;
        if response.status() == StatusCode::NOT_FOUND {
            bail!("{path}: 404");
        }
        Ok(())
    }

    /// `POST /xapi/statements` with a batch.
    pub fn post_statements(&self, statements: &[Value]) -> anyhow::Result<()> {
        // the same statement ids again are no conflict: a retry is safe
        let url = format!("{}/xapi/statements", self.base);
        let response = self.send("POST /xapi/statements", || {
            (self.client.post(&url).basic_auth(KEY, Some(SECRET)))
                .header("X-Experience-API-Version", "2.0.0")
                .json(statements)
        })?;
        if response.status() == StatusCode::NOT_FOUND {
            bail!("POST /xapi/statements: 404");
        }
        Ok(())
    }

    /// Polls `path` until `done` holds for its answer (404 is `None`); returns it.
    pub fn poll(
        &self,
        path: &str,
        mut done: impl FnMut(Option<&Value>) -> bool,
    ) -> anyhow::Result<Option<Value>> {
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut pause = Duration::from_millis(1);
        loop {
            let answer = self.get(path)?;
            if done(answer.as_ref()) {
                return Ok(answer);
            }
            if Instant::now() > deadline {
                bail!("{path}: not folded after 60 s: {answer:?}");
            }
            std::thread::sleep(pause);
            pause = (pause * 2).min(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // by PID: the child we started, nothing else
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Percent-encodes everything but RFC 3986 unreserved characters.
pub fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (byte as char).to_string()
            }
            _ => format!("%{byte:02X}"),
        })
        .collect()
}
