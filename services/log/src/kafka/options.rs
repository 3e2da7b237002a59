//! Settings of the Kafka backend, read from the log URL
//! `kafka://host:port[,host:port…][?option=value&…]`, and the librdkafka configuration
//! each client is built from.

use std::time::Duration;

use rdkafka::ClientConfig;

use crate::{Error, Result, MAX_RECORD_BYTES};

/// The options a Kafka log URL may carry, for error messages.
const KNOWN_OPTIONS: &str =
    "replication, timeout_ms, linger_ms, derived_linger_ms, fetch_wait_ms, max_record_bytes, client_id";

/// Settings of the Kafka backend. Build them with [`KafkaOptions::from_url`]; every field
/// has a URL option of the same name (durations in milliseconds, `…_ms`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KafkaOptions {
    /// The brokers to bootstrap from, `host:port` separated by commas
    /// (`bootstrap.servers`).
    pub brokers: String,
    /// Replication factor of topics created by `ensure_topic`; `-1` (the default) lets the
    /// cluster choose (`default.replication.factor`, Kafka 2.4 or later). Use 3 on a
    /// production cluster whose default is lower.
    pub replication: i32,
    /// The bound on every broker round trip the log waits for. An append not acknowledged
    /// within it fails with [`Error::Unavailable`] (the appender's own deadline, and
    /// `request.timeout.ms`), and so do topic creation, metadata, watermark and read
    /// requests. Default 5 s.
    pub timeout: Duration,
    /// How long the producer waits to gather records into one request (`linger.ms`).
    /// Default 1 ms: a single-record append costs one round trip plus this.
    pub linger: Duration,
    /// How long the producer of derived records ([`crate::EventLog::append_derived`]:
    /// the learner events re-published from statements, which no request waits for)
    /// waits to gather them into one request per partition. Default 50 ms: each learner
    /// event would otherwise cost the broker a produce request of its own.
    pub derived_linger: Duration,
    /// How long a fetch may wait on the broker for new records (`fetch.wait.max.ms`), and
    /// how often a waiting handle asks for the ends of the partitions it waits on: the
    /// delay before a record appended by another process is seen. Default 100 ms.
    pub fetch_wait: Duration,
    /// The largest key plus value one record may carry; the broker's `message.max.bytes`
    /// (about 1 MB by default) must allow it. Default 1,000,000.
    pub max_record_bytes: usize,
    /// Prefix of the `client.id` of every client (the producer, the readers, the admin
    /// client), as the broker's logs and quotas see them. Default `learnlog`.
    pub client_id: String,
}

impl KafkaOptions {
    /// Parses `kafka://host:port[,host:port…][?option=value&…]`. Options: `replication`,
    /// `timeout_ms`, `linger_ms`, `fetch_wait_ms`, `max_record_bytes`, `client_id` (see the
    /// fields). Unknown options and malformed values fail with [`Error::InvalidUrl`].
    pub fn from_url(url: &str) -> Result<KafkaOptions> {
        let invalid = |reason: String| Error::invalid_url(url, reason);
        let rest = url
            .strip_prefix("kafka://")
            .ok_or_else(|| invalid("a Kafka log url starts with kafka://".to_owned()))?;
        // Split by hand: the `url` crate cannot take a comma-separated broker list as a host.
        let (hosts, query) = rest.split_once('?').unwrap_or((rest, ""));
        let mut brokers = Vec::new();
        for host in hosts.split(',') {
            let valid = host.rsplit_once(':').is_some_and(|(name, port)| {
                !name.is_empty() && port.parse::<u16>().is_ok_and(|p| p > 0)
            });
            if !valid {
                return Err(invalid(format!(
                    "broker {host:?} must be host:port with a port from 1 to 65535"
                )));
            }
            brokers.push(host);
        }
        let mut options = KafkaOptions {
            brokers: brokers.join(","),
            ..KafkaOptions::default()
        };
        for pair in query.split('&').filter(|pair| !pair.is_empty()) {
            let (key, value) = pair
                .split_once('=')
                .ok_or_else(|| invalid(format!("option {pair:?} must be name=value")))?;
            let number = |min: u64, max: u64| {
                value
                    .parse::<u64>()
                    .ok()
                    .filter(|n| (min..=max).contains(n))
                    .ok_or_else(|| {
                        invalid(format!(
                            "option {key} must be a whole number from {min} to {max}, not {value:?}"
                        ))
                    })
            };
            match key {
                "replication" if value == "-1" => options.replication = -1,
                "replication" => options.replication = number(1, i16::MAX as u64)? as i32,
                "timeout_ms" => options.timeout = Duration::from_millis(number(100, 300_000)?),
                "linger_ms" => options.linger = Duration::from_millis(number(0, 60_000)?),
                "derived_linger_ms" => {
                    options.derived_linger = Duration::from_millis(number(0, 60_000)?)
                }
                "fetch_wait_ms" => options.fetch_wait = Duration::from_millis(number(1, 60_000)?),
                "max_record_bytes" => {
                    options.max_record_bytes = number(1, MAX_RECORD_BYTES as u64)? as usize
                }
                "client_id" if !value.is_empty() => options.client_id = value.to_owned(),
                "client_id" => return Err(invalid("option client_id must not be empty".into())),
                other => {
                    return Err(invalid(format!(
                        "unknown option {other:?} (known: {KNOWN_OPTIONS})"
                    )))
                }
            }
        }
        for (name, linger) in [
            ("linger_ms", options.linger),
            ("derived_linger_ms", options.derived_linger),
        ] {
            if linger >= options.timeout {
                return Err(invalid(format!(
                    "{name} ({}) must be below timeout_ms ({})",
                    linger.as_millis(),
                    options.timeout.as_millis()
                )));
            }
        }
        Ok(options)
    }

    /// What every client shares: where the cluster is, no topic auto-creation (a typo in a
    /// topic name must fail, not create a topic), and reconnect backoff capped at a second
    /// so that a cluster coming back is noticed quickly.
    fn common(&self, role: &str) -> ClientConfig {
        let mut config = ClientConfig::new();
        config
            .set("bootstrap.servers", &self.brokers)
            .set("client.id", format!("{}-{role}", self.client_id))
            .set("allow.auto.create.topics", "false")
            .set("reconnect.backoff.ms", "100")
            .set("reconnect.backoff.max.ms", "1000")
            .set(
                "socket.connection.setup.timeout.ms",
                millis(self.timeout.max(ONE_SECOND)),
            )
            .set("log.connection.close", "false");
        // librdkafka's own debug contexts (e.g. `cgrp,broker`), for diagnosing a cluster;
        // its lines are logged at debug level under the `librdkafka` target.
        if let Ok(contexts) = std::env::var("LEARNLOG_KAFKA_DEBUG") {
            config.set("debug", contexts);
        }
        config
    }

    /// The idempotent producer: `acks=all`, at most 5 requests in flight per connection
    /// (which keeps order across retries), and no delivery bound of librdkafka's own
    /// (`message.timeout.ms=0`): the appender bounds each append by `timeout` itself and
    /// then discards the producer. A record that timed out inside librdkafka would make
    /// the idempotent producer raise its epoch on its own (KIP-360) and send the records
    /// it still holds under an epoch the broker never handed out, which the tansu test
    /// broker cannot take (see `producer`).
    pub(crate) fn producer_config(&self) -> ClientConfig {
        let mut config = self.common("producer");
        config
            .set("enable.idempotence", "true")
            .set("acks", "all")
            .set("max.in.flight.requests.per.connection", "5")
            .set("message.timeout.ms", "0")
            .set("request.timeout.ms", millis(self.timeout))
            .set("linger.ms", millis(self.linger))
            .set("retry.backoff.ms", "100")
            .set("retry.backoff.max.ms", "1000")
            .set(
                "message.max.bytes",
                (self.max_record_bytes + RECORD_OVERHEAD).to_string(),
            );
        config
    }

    /// A reader: assigned one partition, never subscribed, never committing. A `group.id`
    /// is set only because librdkafka refuses `assign` without one; no offsets are stored
    /// under it.
    pub(crate) fn reader_config(&self) -> ClientConfig {
        let mut config = self.common("reader");
        config
            .set("group.id", format!("{}-reader", self.client_id))
            .set("enable.auto.commit", "false")
            .set("enable.auto.offset.store", "false")
            .set("auto.offset.reset", "error")
            .set("enable.partition.eof", "false")
            .set("check.crcs", "true")
            .set("fetch.wait.max.ms", millis(self.fetch_wait))
            .set("queued.max.messages.kbytes", "8192")
            .set("fetch.max.bytes", (8 * 1024 * 1024).to_string())
            .set(
                "receive.message.max.bytes",
                (8 * 1024 * 1024 + self.max_record_bytes + 2 * RECORD_OVERHEAD).to_string(),
            );
        config
    }

    /// A consumer group member that only holds partitions (see `group`): the range
    /// assignor, so that a member owning partition `p` of one topic would own `p` of
    /// every co-partitioned one; no auto-commit; a missed-heartbeat bound of the
    /// session timeout; a rebalance bound (`max.poll.interval.ms`) just above the
    /// release timeout, since a revocation holds the member's poll that long at most.
    pub(crate) fn group_config(&self, group: &super::GroupOptions) -> ClientConfig {
        let mut config = self.common("group");
        config
            .set("group.id", &group.group)
            .set("partition.assignment.strategy", "range")
            .set("enable.auto.commit", "false")
            .set("enable.auto.offset.store", "false")
            .set("auto.offset.reset", "earliest")
            .set("session.timeout.ms", millis(group.session_timeout))
            // A member learns of a rebalance with its next heartbeat: at most every 3 s
            // (Kafka's default), and at least three per session timeout.
            .set(
                "heartbeat.interval.ms",
                millis(
                    (group.session_timeout / 3)
                        .min(Duration::from_secs(3))
                        .max(Duration::from_millis(100)),
                ),
            )
            .set(
                "max.poll.interval.ms",
                millis(group.release_timeout + Duration::from_secs(15)),
            );
        if let Some(instance) = &group.instance {
            config.set("group.instance.id", instance);
        }
        config
    }

    /// The client that asks partitions' ends (high watermarks) for `high_watermark`,
    /// reads at the end and the end watcher: a consumer never assigned anything.
    pub(crate) fn ends_config(&self) -> ClientConfig {
        self.common("ends")
    }

    /// The admin client: topic creation, metadata and watermark queries.
    pub(crate) fn admin_config(&self) -> ClientConfig {
        self.common("admin")
    }
}

impl Default for KafkaOptions {
    /// The defaults with `brokers` empty; [`KafkaOptions::from_url`] fills it.
    fn default() -> Self {
        KafkaOptions {
            brokers: String::new(),
            replication: -1,
            timeout: Duration::from_secs(5),
            linger: Duration::from_millis(1),
            derived_linger: Duration::from_millis(50),
            fetch_wait: Duration::from_millis(100),
            max_record_bytes: 1_000_000,
            client_id: "learnlog".to_owned(),
        }
    }
}

const ONE_SECOND: Duration = Duration::from_secs(1);

/// Headroom for a record's framing on top of its key and value.
const RECORD_OVERHEAD: usize = 1024;

fn millis(duration: Duration) -> String {
    duration.as_millis().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_names_brokers_and_options() {
        let options =
            KafkaOptions::from_url("kafka://a:9092,b.example:19092?replication=3&timeout_ms=2000")
                .unwrap();
        assert_eq!(options.brokers, "a:9092,b.example:19092");
        assert_eq!(options.replication, 3);
        assert_eq!(options.timeout, Duration::from_secs(2));
        assert_eq!(options.linger, KafkaOptions::default().linger);
        let options = KafkaOptions::from_url("kafka://a:9092?derived_linger_ms=20").unwrap();
        assert_eq!(options.derived_linger, Duration::from_millis(20));
    }

    #[test]
    fn defaults_leave_replication_to_the_cluster() {
        let options = KafkaOptions::from_url("kafka://127.0.0.1:9092").unwrap();
        assert_eq!(options.replication, -1);
        assert_eq!(options.timeout, Duration::from_secs(5));
    }

    #[test]
    fn malformed_urls_are_rejected_naming_the_part() {
        for (url, says) in [
            ("kafka://", "broker \"\""),
            ("kafka://host", "host:port"),
            ("kafka://host:0", "port from 1"),
            ("kafka://:9092", "host:port"),
            ("kafka://h:1?replication=0", "replication"),
            ("kafka://h:1?timeout_ms=soon", "timeout_ms"),
            ("kafka://h:1?partitions=3", "unknown option \"partitions\""),
            ("kafka://h:1?linger_ms", "name=value"),
            (
                "kafka://h:1?linger_ms=500&timeout_ms=500",
                "below timeout_ms",
            ),
            (
                "kafka://h:1?derived_linger_ms=600&timeout_ms=500",
                "derived_linger_ms (600) must be below",
            ),
        ] {
            let error = KafkaOptions::from_url(url).unwrap_err();
            assert!(
                matches!(&error, Error::InvalidUrl { reason, .. } if reason.contains(says)),
                "{url}: {error}"
            );
        }
    }
}
