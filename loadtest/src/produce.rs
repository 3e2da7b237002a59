//! The `produce` scenario's producer: the same statements sent as raw records straight to
//! a Kafka broker with rdkafka (idempotent, `acks=all`, `linger.ms=1`: the settings of
//! learnlog's own producer), so a run of learnlog on that broker can be stated as a
//! ratio of what the broker itself takes.

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::types::RDKafkaErrorCode;
use rdkafka::ClientConfig;
use std::time::Duration;

/// How long a record may take to be acknowledged before it counts as an error.
const DELIVERY_TIMEOUT: Duration = Duration::from_secs(30);

pub struct RawProducer {
    producer: FutureProducer,
    topic: String,
}

impl RawProducer {
    /// Connects to `brokers` and creates `topic` with `partitions` unless it exists.
    pub async fn connect(brokers: &str, topic: &str, partitions: i32) -> anyhow::Result<Self> {
        let mut config = ClientConfig::new();
        config
            .set("bootstrap.servers", brokers)
            .set("enable.idempotence", "true")
            .set("acks", "all")
            .set("linger.ms", "1")
            .set(
                "message.timeout.ms",
                DELIVERY_TIMEOUT.as_millis().to_string(),
            );
        let admin: AdminClient<DefaultClientContext> = config.create()?;
        let topics = [NewTopic::new(topic, partitions, TopicReplication::Fixed(1))];
        for created in admin.create_topics(&topics, &AdminOptions::new()).await? {
            match created {
                Ok(_) | Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
                Err((name, code)) => anyhow::bail!("creating the topic {name}: {code}"),
            }
        }
        Ok(Self {
            producer: config.create()?,
            topic: topic.to_owned(),
        })
    }

    /// Sends `records` (key, value) and waits until each is acknowledged; the error of
    /// the first that is not.
    pub async fn send(&self, records: &[(String, String)]) -> Result<(), String> {
        let deliveries: Vec<_> = records
            .iter()
            .map(|(key, value)| {
                let record = FutureRecord::to(&self.topic).key(key).payload(value);
                self.producer.send(record, DELIVERY_TIMEOUT)
            })
            .collect();
        for delivery in futures::future::join_all(deliveries).await {
            delivery.map_err(|(error, _)| error.to_string())?;
        }
        Ok(())
    }
}
