//! Starting and stopping the real binary, and an xAPI client for it.

use reqwest::blocking::{Client, RequestBuilder, Response};
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::Duration;

pub const KEY: &str = "e2e-admin";
pub const SECRET: &str = "e2e-secret-0123456789";

/// A running `learnlog serve`.
pub struct Learnlog {
    child: Option<Child>,
    pub base: String,
    client: Client,
}

/// The binary under test.
pub fn binary() -> &'static str {
    env!("CARGO_BIN_EXE_learnlog")
}

impl Learnlog {
    /// Starts a server on a free port over `data_dir` and waits until it listens.
    pub fn start(data_dir: &Path) -> Self {
        Self::start_with(data_dir, &[])
    }

    /// Like [`Learnlog::start`], with `extra` arguments after the defaults (e.g.
    /// `["--log", "kafka://…"]`).
    pub fn start_with(data_dir: &Path, extra: &[&str]) -> Self {
        Self::start_wrapped(&[], data_dir, extra)
    }

    /// Like [`Learnlog::start_with`], run by `wrapper` (a command and its arguments,
    /// to which the binary and its arguments are appended) when it is not empty.
    pub fn start_wrapped(wrapper: &[&str], data_dir: &Path, extra: &[&str]) -> Self {
        // A free port, unless `extra` names the address.
        let listen = if extra.contains(&"--listen") {
            &[][..]
        } else {
            &["--listen", "127.0.0.1:0"][..]
        };
        let mut command = match wrapper.split_first() {
            Some((program, arguments)) => {
                let mut command = Command::new(program);
                command.args(arguments).arg(binary());
                command
            }
            None => Command::new(binary()),
        };
        let mut child = command
            .args(["serve", "--partitions", "4"])
            .args(listen)
            .arg("--data-dir")
            .arg(data_dir)
            .arg("--admin-credential")
            .arg(format!("{KEY}:{SECRET}"))
            .args(extra)
            // `LEARNLOG_E2E_RUST_LOG` shows more of the servers' logs when a test fails.
            .env(
                "RUST_LOG",
                std::env::var("LEARNLOG_E2E_RUST_LOG").unwrap_or_else(|_| "warn".to_owned()),
            )
            .stdout(Stdio::piped())
            .spawn()
            .expect("learnlog starts");
        let stdout = child.stdout.take().expect("stdout is piped");
        let (sender, receiver) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(address) = line.strip_prefix("learnlog listening on ") {
                    let _ = sender.send(address.to_owned());
                }
            }
        });
        let base = match receiver.recv_timeout(Duration::from_secs(120)) {
            Ok(base) => base,
            Err(_) => {
                let _ = child.kill();
                let status = child.wait();
                panic!("learnlog did not print its address (exit: {status:?})");
            }
        };
        Self {
            child: Some(child),
            base,
            client: Client::builder()
                .timeout(Duration::from_secs(60))
                // Below the server's keep-alive (5 s), so that a request never goes out on
                // a pooled connection the server is closing at that moment.
                .pool_idle_timeout(Duration::from_secs(2))
                .build()
                .expect("client builds"),
        }
    }

    /// The process id of the running server.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("running").id()
    }

    /// SIGKILL: no shutdown code runs.
    pub fn kill(mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().expect("kill");
            child.wait().expect("wait");
        }
    }

    /// SIGTERM, then wait for a graceful exit.
    pub fn terminate(mut self) -> ExitStatus {
        let mut child = self.child.take().expect("running");
        let pid = nix::unistd::Pid::from_raw(child.id() as i32);
        nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).expect("signal");
        child.wait().expect("wait")
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A request with Basic auth and `X-Experience-API-Version: 2.0.0`.
    pub fn xapi(&self, method: reqwest::Method, path: &str) -> RequestBuilder {
        self.client
            .request(method, self.url(path))
            .basic_auth(KEY, Some(SECRET))
            .header("X-Experience-API-Version", "2.0.0")
    }

    /// A request with no headers added.
    pub fn raw(&self, method: reqwest::Method, path: &str) -> RequestBuilder {
        self.client.request(method, self.url(path))
    }

    /// The text of `/metrics`.
    pub fn metrics(&self) -> String {
        let response = self.raw(reqwest::Method::GET, "/metrics").send();
        response.expect("/metrics answers").text().expect("text")
    }

    pub fn post_statements(&self, body: &str) -> Response {
        self.xapi(reqwest::Method::POST, "/xapi/statements")
            .header("Content-Type", "application/json")
            .body(body.to_owned())
            .send()
            .expect("POST answers")
    }

    pub fn put_statement(&self, id: &str, body: &str) -> Response {
        self.xapi(
            reqwest::Method::PUT,
            &format!("/xapi/statements?statementId={id}"),
        )
        .header("Content-Type", "application/json")
        .body(body.to_owned())
        .send()
        .expect("PUT answers")
    }

    pub fn get_statement(&self, id: &str) -> Response {
        self.xapi(
            reqwest::Method::GET,
            &format!("/xapi/statements?statementId={id}"),
        )
        .send()
        .expect("GET answers")
    }

    /// Runs `learnlog <subcommand> --data-dir <dir> --partitions 4`; returns stdout.
    pub fn run_offline(data_dir: &Path, subcommand: &str) -> String {
        Self::run_offline_with(data_dir, subcommand, &[])
    }

    /// Like [`Learnlog::run_offline`], with `extra` arguments (e.g. `["--log", url]`).
    pub fn run_offline_with(data_dir: &Path, subcommand: &str, extra: &[&str]) -> String {
        let output = Command::new(binary())
            .args([subcommand, "--partitions", "4"])
            .arg("--data-dir")
            .arg(data_dir)
            .args(extra)
            // `LEARNLOG_E2E_RUST_LOG` shows more of the servers' logs when a test fails.
            .env(
                "RUST_LOG",
                std::env::var("LEARNLOG_E2E_RUST_LOG").unwrap_or_else(|_| "warn".to_owned()),
            )
            .output()
            .expect("learnlog runs");
        assert!(
            output.status.success(),
            "learnlog {subcommand} failed: {output:?}"
        );
        String::from_utf8(output.stdout).expect("utf-8 output")
    }
}

impl Drop for Learnlog {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A compact statement with an explicit id, about 1 KB, unique per `n`.
pub fn statement(id: &str, n: usize) -> String {
    let padding = "x".repeat(700);
    format!(
        concat!(
            r#"{{"id":"{id}","actor":{{"objectType":"Agent","name":"Learner {learner}","#,
            r#""mbox":"mailto:learner{learner}@example.org"}},"#,
            r#""verb":{{"id":"http://adlnet.gov/expapi/verbs/answered","display":{{"en-US":"answered"}}}},"#,
            r#""object":{{"id":"https://example.org/items/{n}","definition":{{"name":{{"en-US":"Item {n}"}},"#,
            r#""description":{{"en-US":"{padding}"}}}}}},"#,
            r#""result":{{"success":true,"score":{{"scaled":0.875,"raw":7.0,"min":0,"max":8}}}}}}"#
        ),
        id = id,
        learner = n % 97,
        n = n,
        padding = padding,
    )
}

/// A statement voiding `target`.
pub fn voiding(target: &str) -> String {
    format!(
        r#"{{"actor":{{"mbox":"mailto:teacher@example.org"}},"verb":{{"id":"http://adlnet.gov/expapi/verbs/voided"}},"object":{{"objectType":"StatementRef","id":"{target}"}}}}"#
    )
}

/// Polls `done` every 200 ms for at most `limit`; whether it held.
pub fn eventually(limit: Duration, mut done: impl FnMut() -> bool) -> bool {
    let deadline = std::time::Instant::now() + limit;
    while std::time::Instant::now() < deadline {
        if done() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    done()
}

/// A free port on loopback, for a server that must come back where others look for it
/// after a restart.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// Parses a response body as JSON.
pub fn json(response: Response) -> Value {
    response.json().expect("JSON body")
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
