//! Where the projectors are and what each owns. Every configured URL's host is resolved
//! again at each look, and every address it resolves to is one projector (a Kubernetes
//! headless service name lists the pods of a StatefulSet). Each projector is asked
//! `GET /internal/v1/ownership`; one that does not answer is left out until it does.

use crate::metrics;
use learnlog_cluster::{Ownership, OWNERSHIP_PATH};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

/// How long one projector gets to say what it owns.
const ASK_TIMEOUT: Duration = Duration::from_secs(2);

/// A configured projector URL: `http://host:port`.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Source {
    host: String,
    port: u16,
}

impl Source {
    fn parse(url: &str) -> Result<Source, String> {
        let parsed =
            reqwest::Url::parse(url).map_err(|error| format!("projector url {url:?}: {error}"))?;
        if parsed.scheme() != "http" || !matches!(parsed.path(), "" | "/") {
            return Err(format!(
                "projector url {url:?}: expected http://host:port (no path)"
            ));
        }
        let host = parsed
            .host_str()
            .ok_or_else(|| format!("projector url {url:?}: no host"))?;
        let port = parsed
            .port_or_known_default()
            .ok_or_else(|| format!("projector url {url:?}: no port"))?;
        Ok(Source {
            host: host
                .trim_start_matches('[')
                .trim_end_matches(']')
                .to_owned(),
            port,
        })
    }
}

/// One projector at the last look.
#[derive(Clone, Debug)]
struct Projector {
    /// `http://address:port`, the base of every request sent to it.
    base: String,
    ownership: Ownership,
}

#[derive(Debug, Default)]
struct Snapshot {
    projectors: Vec<Projector>,
    /// The owner of each partition.
    owners: BTreeMap<u32, String>,
    /// The partition count the projectors reported (0 before any answered).
    partitions: u32,
}

/// The projectors and their partitions. Cheap to clone.
#[derive(Clone)]
pub struct Directory {
    sources: Arc<Vec<Source>>,
    client: reqwest::Client,
    snapshot: Arc<RwLock<Snapshot>>,
    next: Arc<AtomicUsize>,
    /// When the last look started.
    looked: Arc<Mutex<Option<Instant>>>,
}

impl Directory {
    /// A directory of the projectors behind `urls` (`http://host:port` each). Nothing is
    /// asked until [`Directory::refresh`].
    pub fn new(urls: &[String], client: reqwest::Client) -> Result<Self, String> {
        if urls.is_empty() {
            return Err("--role api needs --projectors URL[,URL…]".to_owned());
        }
        let sources = urls
            .iter()
            .map(|url| Source::parse(url))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Directory {
            sources: Arc::new(sources),
            client,
            snapshot: Arc::default(),
            next: Arc::default(),
            looked: Arc::default(),
        })
    }

    /// [`Directory::refresh`], unless a look started less than `age` ago.
    pub async fn refresh_if_older_than(&self, age: Duration) {
        {
            let mut looked = self.looked.lock().unwrap_or_else(|p| p.into_inner());
            if looked.is_some_and(|at| at.elapsed() < age) {
                return;
            }
            *looked = Some(Instant::now());
        }
        self.refresh().await;
    }

    /// Resolves every source and asks each projector what it owns.
    pub async fn refresh(&self) {
        *self.looked.lock().unwrap_or_else(|p| p.into_inner()) = Some(Instant::now());
        let mut bases = BTreeSet::new();
        for source in self.sources.iter() {
            match tokio::net::lookup_host((source.host.as_str(), source.port)).await {
                Ok(addresses) => bases.extend(addresses.map(|a| format!("http://{a}"))),
                Err(error) => {
                    tracing::warn!(host = %source.host, %error, "resolving a projector failed")
                }
            }
        }
        let asked = futures::future::join_all(bases.into_iter().map(|base| self.ask(base))).await;
        let projectors: Vec<Projector> = asked.into_iter().flatten().collect();
        let mut owners = BTreeMap::new();
        let partitions = projectors
            .iter()
            .map(|p| p.ownership.partition_count)
            .max()
            .unwrap_or(0);
        for projector in &projectors {
            for partition in &projector.ownership.partitions {
                owners.insert(*partition, projector.base.clone());
            }
        }
        metrics::PROJECTORS.set(projectors.len() as i64);
        *self.snapshot.write().unwrap_or_else(|p| p.into_inner()) = Snapshot {
            projectors,
            owners,
            partitions,
        };
    }

    async fn ask(&self, base: String) -> Option<Projector> {
        let url = format!("{base}{OWNERSHIP_PATH}");
        let answer = self.client.get(&url).timeout(ASK_TIMEOUT).send().await;
        let ownership = match answer {
            Ok(response) if response.status().is_success() => response.json::<Ownership>().await,
            Ok(response) => {
                tracing::debug!(%base, status = %response.status(), "projector refused the ownership question");
                return None;
            }
            Err(error) => {
                tracing::debug!(%base, %error, "projector did not answer");
                return None;
            }
        };
        match ownership {
            Ok(ownership) => Some(Projector { base, ownership }),
            Err(error) => {
                tracing::warn!(%base, %error, "projector's ownership answer does not parse");
                None
            }
        }
    }

    /// Refreshes every `every` until `cancel` fires.
    pub async fn run(self, every: Duration, cancel: CancellationToken) {
        loop {
            self.refresh().await;
            tokio::select! {
                _ = cancel.cancelled() => return,
                _ = tokio::time::sleep(every) => {}
            }
        }
    }

    /// A ready projector, taking turns; `None` when none is ready.
    pub fn any_ready(&self) -> Option<String> {
        let snapshot = self.snapshot.read().unwrap_or_else(|p| p.into_inner());
        let ready: Vec<&Projector> = snapshot
            .projectors
            .iter()
            .filter(|p| p.ownership.ready)
            .collect();
        if ready.is_empty() {
            return None;
        }
        let turn = self.next.fetch_add(1, Ordering::Relaxed) % ready.len();
        Some(ready[turn].base.clone())
    }

    /// The projector owning `partition`, if one does now.
    pub fn owner(&self, partition: u32) -> Option<String> {
        let snapshot = self.snapshot.read().unwrap_or_else(|p| p.into_inner());
        snapshot.owners.get(&partition).cloned()
    }

    /// Every owner once, when together they own every partition; otherwise the
    /// partitions without an owner.
    pub fn all_owners(&self) -> Result<Vec<String>, Vec<u32>> {
        let snapshot = self.snapshot.read().unwrap_or_else(|p| p.into_inner());
        if snapshot.projectors.is_empty() {
            return Err(Vec::new());
        }
        let unowned: Vec<u32> = (0..snapshot.partitions)
            .filter(|p| !snapshot.owners.contains_key(p))
            .collect();
        if !unowned.is_empty() {
            return Err(unowned);
        }
        let owners: BTreeSet<String> = snapshot.owners.values().cloned().collect();
        Ok(owners.into_iter().collect())
    }

    /// Forgets a projector that could not be reached, until the next look finds it.
    pub fn forget(&self, base: &str) {
        let mut snapshot = self.snapshot.write().unwrap_or_else(|p| p.into_inner());
        snapshot.projectors.retain(|p| p.base != base);
        snapshot.owners.retain(|_, owner| owner != base);
    }

    /// Ready when some projector is ready and every partition has an owner.
    pub fn readiness(&self) -> Result<(), String> {
        if self.any_ready().is_none() {
            return Err("no ready projector".to_owned());
        }
        match self.all_owners() {
            Ok(_) => Ok(()),
            Err(unowned) => Err(format!("partitions without an owner: {unowned:?}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn projector_urls_need_http_host_and_port_only() {
        assert_eq!(
            Source::parse("http://learnlog-projector:8080").unwrap(),
            Source {
                host: "learnlog-projector".into(),
                port: 8080
            }
        );
        assert_eq!(Source::parse("http://127.0.0.1").unwrap().port, 80);
        for bad in ["https://a:1", "http://a:1/x", "a:1", ""] {
            assert!(Source::parse(bad).is_err(), "{bad}");
        }
    }

    #[tokio::test]
    async fn a_directory_without_projectors_is_not_ready() {
        let directory =
            Directory::new(&["http://127.0.0.1:9".to_owned()], reqwest::Client::new()).unwrap();
        directory.refresh().await;
        assert_eq!(directory.any_ready(), None);
        assert_eq!(directory.all_owners(), Err(vec![]));
        assert!(directory
            .readiness()
            .unwrap_err()
            .contains("no ready projector"));
    }
}
