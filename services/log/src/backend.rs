//! The contract between [`crate::EventLog`] and a storage backend: [`LogBackend`]. Each
//! method's meaning is documented once, on the `EventLog` method of the same name; the
//! conformance suite (`tests/conformance.rs`) runs against every implementation. A
//! backend that wraps another (to inject faults in a test, say) implements it too.

use crate::kafka::{GroupMember, GroupOptions, Ownership};
use crate::{embedded, kafka, Error, LogStats, Position, Record, Result, StoredRecord};
use futures::future::BoxFuture;
use std::time::Duration;
use tokio::sync::mpsc::UnboundedReceiver;

/// A durable, keyed, partitioned log with Kafka's contract (see the crate's docs).
pub trait LogBackend: Send + Sync + 'static {
    /// What the log is, for messages: a directory, the brokers.
    fn describe(&self) -> String;
    fn ensure_topic(&self, topic: &str, partitions: u32) -> Result<()>;
    /// Compacted topics; a log that never compacts has none.
    fn ensure_compacted_topic(&self, topic: &str, partitions: u32) -> Result<()> {
        let _ = (topic, partitions);
        Err(Error::Unsupported(format!(
            "compacted topics need the Kafka backend: {} never compacts",
            self.describe()
        )))
    }
    fn partition_count(&self, topic: &str) -> Result<u32>;
    fn append<'a>(
        &'a self,
        topic: &'a str,
        records: Vec<Record>,
    ) -> BoxFuture<'a, Result<Vec<Position>>>;
    /// By default a derived append is an append (a backend wrapping another passes it on
    /// as one, ungathered).
    fn append_derived<'a>(
        &'a self,
        topic: &'a str,
        records: Vec<Record>,
    ) -> BoxFuture<'a, Result<Vec<Position>>> {
        self.append(topic, records)
    }
    fn read<'a>(
        &'a self,
        topic: &'a str,
        partition: u32,
        from: u64,
        max_records: usize,
        max_bytes: usize,
    ) -> BoxFuture<'a, Result<Vec<StoredRecord>>>;
    fn high_watermark(&self, topic: &str, partition: u32) -> Result<u64>;
    /// True when the watermarks are answered from memory, never blocking on I/O (so
    /// async callers ask inline rather than on the blocking pool).
    fn watermarks_are_local(&self) -> bool {
        false
    }
    /// One request for every partition where the backend can (Kafka); by default one
    /// [`LogBackend::high_watermark`] per partition.
    fn high_watermarks(&self, topic: &str) -> Result<Vec<u64>> {
        (0..self.partition_count(topic)?)
            .map(|partition| self.high_watermark(topic, partition))
            .collect()
    }
    fn wait_for_offset<'a>(
        &'a self,
        topic: &'a str,
        partition: u32,
        offset: u64,
        timeout: Duration,
    ) -> BoxFuture<'a, Result<u64>>;
    /// Whether [`LogBackend::read_in_place`] reads one record at the cost of a file read.
    fn reads_in_place(&self) -> bool {
        false
    }
    fn read_in_place(
        &self,
        topic: &str,
        partition: u32,
        offset: u64,
    ) -> Result<Option<StoredRecord>> {
        let _ = (topic, partition, offset);
        Err(Error::Unsupported(format!(
            "reading one record in place needs the embedded log: {} reads in batches",
            self.describe()
        )))
    }
    fn close(&self) -> BoxFuture<'_, Result<()>>;
    /// Consumer groups; a log that belongs to one process has none.
    fn join_group(
        &self,
        group: GroupOptions,
    ) -> Result<(GroupMember, UnboundedReceiver<Ownership>)> {
        let _ = group;
        Err(Error::Unsupported(format!(
            "consumer groups need the Kafka backend: {} belongs to one process",
            self.describe()
        )))
    }
    fn stats(&self) -> LogStats;
}

/// The methods both real backends implement as inherent methods of the same name.
macro_rules! delegate {
    () => {
        fn ensure_topic(&self, topic: &str, partitions: u32) -> Result<()> {
            self.ensure_topic(topic, partitions)
        }
        fn partition_count(&self, topic: &str) -> Result<u32> {
            self.partition_count(topic)
        }
        fn append<'a>(
            &'a self,
            topic: &'a str,
            records: Vec<Record>,
        ) -> BoxFuture<'a, Result<Vec<Position>>> {
            Box::pin(self.append(topic, records))
        }
        fn append_derived<'a>(
            &'a self,
            topic: &'a str,
            records: Vec<Record>,
        ) -> BoxFuture<'a, Result<Vec<Position>>> {
            Box::pin(self.append_derived(topic, records))
        }
        fn read<'a>(
            &'a self,
            topic: &'a str,
            partition: u32,
            from: u64,
            max_records: usize,
            max_bytes: usize,
        ) -> BoxFuture<'a, Result<Vec<StoredRecord>>> {
            Box::pin(self.read(topic, partition, from, max_records, max_bytes))
        }
        fn high_watermark(&self, topic: &str, partition: u32) -> Result<u64> {
            self.high_watermark(topic, partition)
        }
        fn wait_for_offset<'a>(
            &'a self,
            topic: &'a str,
            partition: u32,
            offset: u64,
            timeout: Duration,
        ) -> BoxFuture<'a, Result<u64>> {
            Box::pin(self.wait_for_offset(topic, partition, offset, timeout))
        }
        fn close(&self) -> BoxFuture<'_, Result<()>> {
            Box::pin(self.close())
        }
        fn stats(&self) -> LogStats {
            self.stats()
        }
    };
}

impl LogBackend for embedded::EmbeddedLog {
    fn describe(&self) -> String {
        self.dir().display().to_string()
    }
    fn watermarks_are_local(&self) -> bool {
        true
    }
    fn reads_in_place(&self) -> bool {
        true
    }
    fn read_in_place(
        &self,
        topic: &str,
        partition: u32,
        offset: u64,
    ) -> Result<Option<StoredRecord>> {
        self.read_in_place(topic, partition, offset)
    }
    delegate!();
}

impl LogBackend for kafka::KafkaLog {
    fn describe(&self) -> String {
        format!("kafka://{}", self.brokers())
    }
    fn join_group(
        &self,
        group: GroupOptions,
    ) -> Result<(GroupMember, UnboundedReceiver<Ownership>)> {
        self.join_group(group)
    }
    fn ensure_compacted_topic(&self, topic: &str, partitions: u32) -> Result<()> {
        self.ensure_compacted_topic(topic, partitions)
    }
    fn high_watermarks(&self, topic: &str) -> Result<Vec<u64>> {
        self.high_watermarks(topic)
    }
    delegate!();
}
