//! Test support for learnlog: a real Kafka-protocol broker per test.
//!
//! [`Broker::start`] runs [tansu](https://crates.io/crates/tansu) (an Apache Kafka
//! protocol broker written in Rust) from a fresh temporary folder, with SQLite storage in
//! that folder, listening on a free port of 127.0.0.1, and waits until it accepts
//! connections. [`Broker::stop`] or [`Broker::kill`] followed by [`Broker::restart`]
//! simulate an outage: the broker comes back on the same port with the same storage.
//! Dropping the `Broker` kills the process (by its PID) and deletes the folder.
//!
//! The binary is found through `LEARNLOG_TANSU`, else `~/.cache/learnlog/bin/tansu`
//! (`$LEARNLOG_CACHE/bin/tansu`), else `tansu` on `PATH`; `scripts/install-tansu` puts it
//! in the cache. A missing binary panics with that advice: Kafka tests never skip.
//!
//! This crate is for tests only; nothing in a service may depend on it.

use std::fs::{self, File};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

/// How long a broker may take to accept connections after it was started.
const READY_WITHIN: Duration = Duration::from_secs(30);
/// How long [`Broker::stop`] waits after SIGTERM before it sends SIGKILL.
const STOP_WITHIN: Duration = Duration::from_secs(10);

/// A tansu broker process owned by a test.
#[derive(Debug)]
pub struct Broker {
    binary: PathBuf,
    dir: tempfile::TempDir,
    port: u16,
    child: Option<Child>,
}

impl Broker {
    /// Starts a broker with empty storage on a free port and waits until it accepts
    /// connections. Panics if the binary is missing or the broker does not come up.
    pub fn start() -> Broker {
        let binary = tansu_binary();
        let dir = tempfile::Builder::new()
            .prefix("learnlog-tansu-")
            .tempdir()
            .expect("a temporary folder for the broker");
        let mut broker = Broker {
            binary,
            dir,
            port: free_port(),
            child: None,
        };
        let mut last_failure = String::new();
        // A free port can be taken by someone else before the broker binds it: try again.
        for _ in 0..3 {
            match broker.spawn_and_wait() {
                Ok(()) => return broker,
                Err(failure) => {
                    last_failure = failure;
                    broker.kill();
                    broker.port = free_port();
                }
            }
        }
        panic!("the tansu broker did not start: {last_failure}");
    }

    /// The port the broker listens on (127.0.0.1), the same across restarts.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `127.0.0.1:PORT`, the bootstrap address.
    pub fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// `kafka://127.0.0.1:PORT`, the log URL for this broker.
    pub fn url(&self) -> String {
        format!("kafka://{}", self.address())
    }

    /// The folder the broker runs in (its storage and its log file).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// True while the process runs.
    pub fn is_running(&mut self) -> bool {
        match &mut self.child {
            Some(child) => matches!(child.try_wait(), Ok(None)),
            None => false,
        }
    }

    /// Stops the broker gracefully (SIGTERM, then SIGKILL if it has not exited within 10
    /// seconds). Its storage is kept for [`Broker::restart`].
    pub fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        let _ = kill(Pid::from_raw(child.id() as i32), Signal::SIGTERM);
        let started = Instant::now();
        while started.elapsed() < STOP_WITHIN {
            if let Ok(Some(_)) = child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
        let _ = child.wait();
    }

    /// Kills the broker at once (SIGKILL), like a crash. Its storage is kept for
    /// [`Broker::restart`].
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the broker again on the same port and storage (after [`Broker::stop`] or
    /// [`Broker::kill`]) and waits until it accepts connections.
    pub fn restart(&mut self) {
        self.kill();
        let started = Instant::now();
        loop {
            match self.spawn_and_wait() {
                Ok(()) => return,
                // The old listening socket may linger for a moment.
                Err(_) if started.elapsed() < READY_WITHIN => {
                    self.kill();
                    std::thread::sleep(Duration::from_millis(200));
                }
                Err(failure) => panic!("the tansu broker did not restart: {failure}"),
            }
        }
    }

    /// The broker's output so far, for diagnosing a failed test.
    pub fn output(&self) -> String {
        fs::read_to_string(self.log_path()).unwrap_or_default()
    }

    /// The first panic in the broker's output, with the line after it (its message), if
    /// it panicked. tansu keeps accepting connections after a task of its storage panicked
    /// but then fails every request, so a test that sees the cluster gone for good should
    /// say so.
    pub fn panic(&self) -> Option<String> {
        let output = self.output();
        let mut lines = output
            .lines()
            .skip_while(|line| !line.contains("panicked at"));
        let at = lines.next()?;
        Some(format!("{at} {}", lines.next().unwrap_or_default()))
    }

    fn log_path(&self) -> PathBuf {
        self.dir.path().join("tansu.log")
    }

    fn spawn_and_wait(&mut self) -> Result<(), String> {
        let listener = format!("tcp://{}", self.address());
        let log = File::options()
            .create(true)
            .append(true)
            .open(self.log_path())
            .map_err(|e| format!("opening {}: {e}", self.log_path().display()))?;
        let log_err = log
            .try_clone()
            .map_err(|e| format!("opening the broker log: {e}"))?;
        let child = Command::new(&self.binary)
            .current_dir(self.dir.path())
            .args(["broker", "--listener-url", &listener])
            .args(["--advertised-listener-url", &listener])
            .args(["--storage-engine", "sqlite://tansu.db"])
            // Settings tansu would otherwise take from the environment.
            .env_remove("SCHEMA_REGISTRY")
            .env_remove("OTEL_EXPORTER_OTLP_ENDPOINT")
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log_err)
            .spawn()
            .map_err(|e| format!("running {}: {e}", self.binary.display()))?;
        self.child = Some(child);
        let address = SocketAddr::from((Ipv4Addr::LOCALHOST, self.port));
        let started = Instant::now();
        while started.elapsed() < READY_WITHIN {
            if !self.is_running() {
                return Err(format!("it exited; its output:\n{}", self.output()));
            }
            if TcpStream::connect_timeout(&address, Duration::from_millis(200)).is_ok() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Err(format!(
            "it did not accept connections on {address} within {READY_WITHIN:?}; its output:\n{}",
            self.output()
        ))
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The tansu binary: `LEARNLOG_TANSU`, else `$LEARNLOG_CACHE/bin/tansu` (default
/// `~/.cache/learnlog/bin/tansu`), else `tansu` on `PATH`. Panics, saying how to install
/// it, when none exists.
pub fn tansu_binary() -> PathBuf {
    const ADVICE: &str = "run scripts/install-tansu (it builds tansu 0.6.0 once into \
                          ~/.cache/learnlog) or set LEARNLOG_TANSU to a tansu binary";
    if let Some(path) = std::env::var_os("LEARNLOG_TANSU").filter(|p| !p.is_empty()) {
        let path = PathBuf::from(path);
        assert!(
            path.is_file(),
            "LEARNLOG_TANSU is {} but no such file exists: {ADVICE}",
            path.display()
        );
        return path;
    }
    let cache = std::env::var_os("LEARNLOG_CACHE")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| Path::new(&home).join(".cache/learnlog")));
    if let Some(cached) = cache.map(|dir| dir.join("bin/tansu")) {
        if cached.is_file() {
            return cached;
        }
    }
    let on_path = std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .map(|dir| dir.join("tansu"))
            .find(|candidate| candidate.is_file())
    });
    on_path.unwrap_or_else(|| panic!("the tansu broker is not installed: {ADVICE}"))
}

/// A port of 127.0.0.1 that nothing listens on right now.
fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .expect("a free port on 127.0.0.1")
}
