//! Folding one partition: the task reading batches from the log until cancelled, and
//! the checkpoint it tracks (written with each committed batch, see `batch`, or on its
//! own when due or at stop); failures are logged and retried.

mod batch;

pub(crate) use batch::Waiting;

use crate::checkpoint;
use crate::metrics;
use crate::runtime::{Inner, ProjectionOptions};
use crate::{Error, Result};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

/// Batches up to this many events are decoded on the folding task itself.
const DECODE_INLINE: usize = 64;

/// The checkpoint of one partition as the folding task tracks it.
#[derive(Clone, Copy)]
pub(crate) struct Checkpoint {
    /// The next offset to fold: everything before it is folded.
    next: u64,
    /// The checkpoint last written to the store (`next` of the last commit).
    written: u64,
    written_at: Instant,
    /// Produced-at (µs) of the last folded event, when not yet written.
    unwritten_time: Option<i64>,
}

impl Checkpoint {
    /// Whether a checkpoint at `next` must be written even if nothing else is.
    fn due(&self, next: u64, options: &ProjectionOptions) -> bool {
        next > self.written
            && (next - self.written >= options.checkpoint_every_events
                || self.written_at.elapsed() >= options.checkpoint_every)
    }

    fn written(&mut self) {
        self.written = self.next;
        self.written_at = Instant::now();
        self.unwritten_time = None;
    }
}

impl Inner {
    /// Writes the checkpoint of a partition whose last batches changed nothing, so a
    /// restart does not re-read them.
    fn write_checkpoint(
        &self,
        topic: &str,
        partition: u32,
        checkpoint: &mut Checkpoint,
    ) -> Result<()> {
        if checkpoint.written == checkpoint.next {
            return Ok(());
        }
        let key = checkpoint::partition_key(topic, partition);
        let next = checkpoint.next;
        let time = checkpoint.unwritten_time;
        let mut commit = sled::Batch::default();
        commit.insert(self.trees[0].stored_key(&key), &next.to_be_bytes());
        if let Some(time) = time {
            commit.insert(self.trees[2].stored_key(&key), &time.to_be_bytes());
        }
        self.store.apply_batch(commit)?;
        (metrics::COMMITS.with_label_values(&[self.fold.name()])).inc();
        checkpoint.written();
        Ok(())
    }
}

/// Folds one partition until cancelled. Log or store failures are logged and retried
/// after a pause: a projection never gives up on its partition.
pub(crate) async fn fold_partition(
    inner: Arc<Inner>,
    topic: &'static str,
    partition: u32,
    cancel: CancellationToken,
) {
    let name = inner.fold.name();
    let partition_label = partition.to_string();
    let lag = metrics::LAG.with_label_values(&[name, topic, &partition_label]);
    let start = inner
        .progress(topic, partition)
        .map(|p| *p.folded.borrow())
        .unwrap_or(0);
    let mut checkpoint = Checkpoint {
        next: start,
        written: start,
        written_at: Instant::now(),
        unwritten_time: None,
    };
    // Why this partition is failing, as `Projection::failure` reports it.
    let failure = || {
        (inner.progress(topic, partition).ok())
            .map(|progress| (progress.failure.lock()).unwrap_or_else(|p| p.into_inner()))
    };
    let set_failure = |reason: Option<String>| {
        if let Some(mut failure) = failure() {
            *failure = reason;
        }
    };
    while !cancel.is_cancelled() {
        // A batch in flight finishes before cancellation is honoured: `step` is only
        // interrupted while it waits for new events.
        match step(&inner, topic, partition, &mut checkpoint).await {
            Ok(Stepped::Folded { end }) => {
                lag.set(end.saturating_sub(checkpoint.next) as i64);
                // A step can succeed from what was already fetched while the log is
                // away, so it does not prove the log reachable: a failure recorded
                // earlier is cleared only once the log answers for the end.
                if failure().is_some_and(|failure| failure.is_some()) {
                    match inner.log.ask_high_watermark(topic, partition).await {
                        Ok(_) => set_failure(None),
                        Err(error) => set_failure(Some(error.to_string())),
                    }
                }
            }
            Ok(Stepped::Waited { end }) => {
                // the wait itself fails while the log cannot be reached
                set_failure(None);
                lag.set(end.saturating_sub(checkpoint.next) as i64);
            }
            Err(error) => {
                tracing::error!(projection = name, topic, partition, %error, "folding failed; retrying");
                set_failure(Some(error.to_string()));
                tokio::select! {
                    _ = cancel.cancelled() => {}
                    _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                }
            }
        }
    }
    // Batches that changed nothing since the last commit: write where they ended.
    let written = blocking(&inner, &mut checkpoint, move |inner, checkpoint| {
        inner.write_checkpoint(topic, partition, checkpoint)
    })
    .await;
    if let Err(error) = written {
        tracing::error!(projection = name, topic, partition, %error, "writing the checkpoint at stop failed");
    }
    // Stopped (shutdown, or the partition was given to another process): neither a
    // failure nor a lag of this process any more.
    set_failure(None);
    let _ = metrics::LAG.remove_label_values(&[name, topic, &partition_label]);
}

/// What one step did.
enum Stepped {
    /// Read a batch and folded it; `end` is the log's end known before reading it.
    Folded { end: u64 },
    /// Found nothing to read and waited; `end` is the log's end the wait returned.
    Waited { end: u64 },
}

/// One step of folding a partition: wait until the log is known to hold events past the
/// checkpoint, then read a batch and fold it; or, when the wait runs out, write the
/// checkpoint if it is due. The wait comes first because it costs nothing when the end
/// is known (this handle's appends, and on Kafka the end watcher and every fetch,
/// raise it), where a read at the known end would ask the log for its end (on Kafka, a
/// broker round trip per batch of every projection).
async fn step(
    inner: &Arc<Inner>,
    topic: &'static str,
    partition: u32,
    checkpoint: &mut Checkpoint,
) -> Result<Stepped> {
    let options = &inner.options;
    let end = inner
        .log
        .wait_for_offset(topic, partition, checkpoint.next, options.idle_poll)
        .await?;
    let records = if end > checkpoint.next {
        inner
            .log
            .read(
                topic,
                partition,
                checkpoint.next,
                options.batch_records,
                options.batch_bytes,
            )
            .await?
    } else {
        Vec::new()
    };
    if records.is_empty() {
        if checkpoint.due(checkpoint.next, options) {
            blocking(inner, checkpoint, move |inner, checkpoint| {
                inner.write_checkpoint(topic, partition, checkpoint)
            })
            .await?;
        }
        return Ok(Stepped::Waited { end });
    }
    let partial = records.len() < options.batch_records;
    let timer = metrics::BATCH_SECONDS
        .with_label_values(&[inner.fold.name()])
        .start_timer();
    if records.len() <= DECODE_INLINE {
        // a few events, as while folding keeps up: decoding them costs less than
        // handing them to the blocking pool, which a batch passing by never needs
        let batch = inner.batch(topic, partition, records)?;
        if inner.passes_by(&batch, checkpoint) {
            inner.fold_batch(topic, partition, batch, checkpoint)?;
        } else {
            blocking(inner, checkpoint, move |inner, checkpoint| {
                inner.fold_batch(topic, partition, batch, checkpoint)
            })
            .await?;
        }
    } else {
        blocking(inner, checkpoint, move |inner, checkpoint| {
            let batch = inner.batch(topic, partition, records)?;
            inner.fold_batch(topic, partition, batch, checkpoint)
        })
        .await?;
    }
    timer.observe_duration();
    let linger = inner.fold.linger(topic);
    if partial && !linger.is_zero() {
        // until the linger's next tick, shared by every partition: partitions streaming
        // together fold together, and their batches meet in one group commit
        let tick = learnlog_log::ticks::next_tick(tokio::time::Instant::now(), linger);
        tokio::time::sleep_until(tick).await;
    }
    Ok(Stepped::Folded { end })
}

/// Runs `work` on the blocking pool (sled's reads and commits block) with a copy of
/// the checkpoint, taking its changes back when it succeeds.
async fn blocking(
    inner: &Arc<Inner>,
    checkpoint: &mut Checkpoint,
    work: impl FnOnce(&Inner, &mut Checkpoint) -> Result<()> + Send + 'static,
) -> Result<()> {
    let inner = inner.clone();
    let mut copy = *checkpoint;
    let (copy, done) = tokio::task::spawn_blocking(move || {
        let done = work(&inner, &mut copy);
        (copy, done)
    })
    .await
    .map_err(|error| Error::Task(error.to_string()))?;
    done?;
    *checkpoint = copy;
    Ok(())
}
