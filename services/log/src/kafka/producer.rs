//! Appends through one idempotent producer (`acks=all`, `enable.idempotence=true`, at most
//! 5 requests in flight, which keeps every partition's order across retries).
//!
//! A call's records are handed to the producer under one lock, each with the partition
//! our partitioner chose, so no other call's records come between them in this
//! producer's queue for a partition: one call's records on one partition get contiguous
//! offsets in input order. The call answers once every record is acknowledged.
//!
//! An append is bounded by the log's timeout here, not inside librdkafka
//! (`message.timeout.ms=0`). When an append fails (its deadline passed, a record was
//! refused or lost, or the producer hit a fatal idempotence error), the producer is
//! replaced by a fresh one, so the next append starts clean (a new producer id) as soon
//! as the cluster answers again. The failed producer never sends again: whatever it still
//! holds, other appends' records included, is purged at once (those appends fail with
//! [`Error::Unavailable`]; their outcome is unknown, as for any failed append), and it is
//! dropped off the callers' path.
//!
//! Why it must not send again: librdkafka's idempotent producer raises its producer epoch
//! on its own after a record timed out or failed (KIP-360, "bumped epoch") and sends
//! what it still holds under the new epoch. A Kafka broker takes that; tansu 0.6, the test
//! broker, does not: a batch under an epoch it never handed out makes a task of its
//! storage panic ("more or less than one row"), after which it fails every request until
//! it is restarted. That is what kept writes refused after a broker restart: the producer
//! replaced during the outage still held the repartitioner's records and sent them once
//! tansu was back.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use rdkafka::producer::{DeliveryFuture, FutureProducer, FutureRecord, Producer, PurgeConfig};

use super::context::LogContext;

use super::errors::{from_kafka, timed_out};
use super::options::KafkaOptions;
use crate::{Error, Position, Record, Result};

pub(crate) struct Appender {
    options: KafkaOptions,
    /// The producer appends go to; `None` once closed. Locked while a call enqueues.
    producer: Mutex<Option<Arc<FutureProducer<LogContext>>>>,
}

impl Appender {
    pub fn new(options: &KafkaOptions) -> Result<Appender> {
        Ok(Appender {
            options: options.clone(),
            producer: Mutex::new(Some(Arc::new(new_producer(options)?))),
        })
    }

    /// Appends `records` (each with its partition) to `topic`; returns their positions in
    /// input order once all are acknowledged.
    pub async fn append(&self, topic: &str, records: &[(u32, Record)]) -> Result<Vec<Position>> {
        let timeout = self.options.timeout;
        let deadline = tokio::time::Instant::now() + timeout;
        let (producer, deliveries) = self.enqueue(topic, records)?;
        let mut positions = Vec::with_capacity(records.len());
        for ((partition, _), delivery) in records.iter().zip(deliveries) {
            let context = || format!("appending to {topic}/{partition}");
            let delivered = match tokio::time::timeout_at(deadline, delivery).await {
                Ok(Ok(Ok(delivered))) => delivered,
                Ok(Ok(Err((error, _)))) => {
                    let error = from_kafka(context(), &error);
                    self.recover(&producer, &error);
                    return Err(error);
                }
                Ok(Err(_canceled)) => {
                    return Err(timed_out(context(), timeout));
                }
                Err(_elapsed) => {
                    let error = timed_out(context(), timeout);
                    self.recover(&producer, &error);
                    return Err(error);
                }
            };
            if delivered.partition != *partition as i32 || delivered.offset < 0 {
                return Err(Error::Kafka {
                    context: context(),
                    reason: format!(
                        "the cluster acknowledged partition {} offset {} instead",
                        delivered.partition, delivered.offset
                    ),
                });
            }
            positions.push(Position {
                partition: *partition,
                offset: delivered.offset as u64,
            });
        }
        Ok(positions)
    }

    /// Hands every record to the producer under the lock; returns the producer used and a
    /// delivery future per record.
    fn enqueue(
        &self,
        topic: &str,
        records: &[(u32, Record)],
    ) -> Result<(Arc<FutureProducer<LogContext>>, Vec<DeliveryFuture>)> {
        let guard = self.producer.lock().unwrap_or_else(|p| p.into_inner());
        let producer = guard.clone().ok_or(Error::Closed)?;
        let mut deliveries = Vec::with_capacity(records.len());
        for (partition, record) in records {
            let mut message = FutureRecord::<[u8], [u8]>::to(topic)
                .partition(*partition as i32)
                .key(&record.key[..]);
            // an empty value is a null payload: a tombstone on a compacted topic
            message.payload = (!record.value.is_empty()).then_some(&record.value[..]);
            match producer.send_result(message) {
                Ok(delivery) => deliveries.push(delivery),
                // Records already queued may still be written: the outcome is unknown,
                // as the contract says for every failed append.
                Err((error, _)) => {
                    return Err(from_kafka(
                        format!("appending to {topic}/{partition}"),
                        &error,
                    ))
                }
            }
        }
        drop(guard);
        Ok((producer, deliveries))
    }

    /// After a failed append: replaces `failed` by a fresh producer, unless another caller
    /// already did, and retires it (purged at once, dropped once no append holds it).
    /// Whatever the failure, `failed` may have raised its epoch on its own (a timed-out or
    /// refused record leaves a gap in its sequence numbers), so it must not send again.
    fn recover(&self, failed: &Arc<FutureProducer<LogContext>>, error: &Error) {
        let fatal = failed.client().fatal_error();
        let mut guard = self.producer.lock().unwrap_or_else(|p| p.into_inner());
        let current = match guard.as_ref() {
            Some(current) if Arc::ptr_eq(current, failed) => current.clone(),
            _ => return,
        };
        match new_producer(&self.options) {
            Ok(fresh) => {
                *guard = Some(Arc::new(fresh));
                drop(guard);
                tracing::warn!(%error, fatal = ?fatal, "replaced the kafka producer after a failed append");
                retire(current, 2 * self.options.timeout);
            }
            Err(error) => tracing::error!(%error, "could not create a new kafka producer"),
        }
    }

    /// Waits (at most `timeout`) for every queued append to be answered, then drops the
    /// producer; later appends fail with [`Error::Closed`].
    pub async fn close(&self, timeout: Duration) {
        let producer = self
            .producer
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        if let Some(producer) = producer {
            let flushed = tokio::task::spawn_blocking(move || {
                let flushed = producer.flush(timeout);
                drop(producer);
                flushed
            })
            .await;
            if let Ok(Err(error)) = flushed {
                tracing::warn!(%error, "closing the kafka log: not every append was answered in time");
            }
        }
    }
}

fn new_producer(options: &KafkaOptions) -> Result<FutureProducer<LogContext>> {
    options
        .producer_config()
        .create_with_context(LogContext)
        .map_err(|e| from_kafka("creating the kafka producer", &e))
}

/// On a thread of its own: purges everything a replaced producer still holds, queued or
/// in flight, so that it never sends another request (the appends waiting on those
/// records get purge errors, [`Error::Unavailable`], at once), then drops it once no
/// append holds it any more, so that its shutdown never runs on a caller's task.
fn retire(mut producer: Arc<FutureProducer<LogContext>>, patience: Duration) {
    let spawned = std::thread::Builder::new()
        .name("learnlog-kafka-retire".to_owned())
        .spawn(move || {
            producer.purge(PurgeConfig::default().queue().inflight());
            let started = std::time::Instant::now();
            loop {
                match Arc::try_unwrap(producer) {
                    Ok(last) => {
                        drop(last);
                        return;
                    }
                    Err(shared) if started.elapsed() < patience => {
                        producer = shared;
                        std::thread::sleep(Duration::from_millis(50));
                    }
                    Err(_) => return,
                }
            }
        });
    if let Err(error) = spawned {
        tracing::error!(%error, "could not start a thread to retire a kafka producer");
    }
}
