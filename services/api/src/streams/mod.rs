//! Server-Sent Events of a view: where a stream stands on the log, how an event is
//! framed, and the task that follows the log behind a view's projections and sends
//! what each record changed to one subscriber. What a record means for a view is its
//! [`Source`]: stored statements (`statements`), a learner's mastery, profile or
//! decisions (`learner_views`).
//!
//! A stream's position is the next offset to read in every partition of the topic the
//! view is folded from, written `o0.o1.….oN` (the `id:` of each event, so a client's
//! `Last-Event-ID` resumes exactly after it). Within a partition events go out in log
//! order and only once the view's projections have folded them, so a subscriber
//! resuming from the `id:` of the last event it received misses nothing and repeats
//! nothing.

mod learner_views;
mod statements;

pub use learner_views::{LearnerFilter, LearnerView, LearnerViewSource};
pub use statements::{StatementFilter, StatementSource};

use crate::error::ApiError;
use crate::state::AppState;
use actix_web::web::Bytes;
use learnlog_log::StoredRecord;
use learnlog_projection::Projection;
use std::time::Duration;
use tokio::sync::mpsc;

/// How long a quiet stream waits before a keep-alive comment.
pub const KEEP_ALIVE: Duration = Duration::from_secs(15);
/// What a disconnected client is told to wait before reconnecting (`retry:`).
pub const RETRY_MILLIS: u64 = 2_000;
/// Most log records read per partition at a time.
const READ_RECORDS: usize = 256;
const READ_BYTES: usize = 4 << 20;

/// The next offset to read in every partition of a stream's topic.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StreamPosition(pub Vec<u64>);

impl StreamPosition {
    /// Reads `o0.o1.….oN`; it must name every one of `partitions`.
    pub fn parse(text: &str, partitions: u32) -> Result<Self, String> {
        let offsets: Result<Vec<u64>, _> = text.trim().split('.').map(str::parse).collect();
        match offsets {
            Ok(offsets) if offsets.len() == partitions as usize => Ok(Self(offsets)),
            _ => Err(format!(
                "{text:?} is not a position of this stream ({partitions} offsets joined by '.')"
            )),
        }
    }
}

impl std::fmt::Display for StreamPosition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, offset) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(".")?;
            }
            write!(f, "{offset}")?;
        }
        Ok(())
    }
}

/// One Server-Sent Event: `id:`, `event:` and the data, one `data:` line per line.
pub fn frame(id: &str, event: &str, data: &[u8]) -> Bytes {
    let mut out = Vec::with_capacity(data.len() + id.len() + event.len() + 32);
    out.extend_from_slice(b"id: ");
    out.extend_from_slice(id.as_bytes());
    out.extend_from_slice(b"\nevent: ");
    out.extend_from_slice(event.as_bytes());
    out.push(b'\n');
    for line in data.split(|b| *b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        out.extend_from_slice(b"data: ");
        out.extend_from_slice(line);
        out.push(b'\n');
    }
    out.push(b'\n');
    Bytes::from(out)
}

/// The first bytes of every stream: the reconnection delay, and a comment so that
/// proxies and clients see the stream open at once.
pub fn opening() -> Bytes {
    Bytes::from(format!("retry: {RETRY_MILLIS}\n: learnlog stream\n\n"))
}

pub fn keep_alive() -> Bytes {
    Bytes::from_static(b": keep-alive\n\n")
}

/// What following a source yields, in order.
#[derive(Debug)]
pub enum Followed<T> {
    /// What the source made of a record; `position` is the stream position right after
    /// it.
    Event { position: StreamPosition, item: T },
    /// Nothing new for [`KEEP_ALIVE`].
    Quiet,
}

/// A Server-Sent Event: its name and data.
pub type SseEvent = (&'static str, Vec<u8>);

impl Followed<SseEvent> {
    /// The event framed for Server-Sent Events, or a keep-alive comment.
    pub fn to_sse(&self) -> Bytes {
        match self {
            Followed::Event {
                position,
                item: (name, data),
            } => frame(&position.to_string(), name, data),
            Followed::Quiet => keep_alive(),
        }
    }
}

/// What a stream makes of the records of its topic.
pub trait Source: Send + Sync + 'static {
    /// What one record makes: an SSE event for subscribers, records to publish, ….
    type Item: Send + 'static;
    /// The topic whose positions the stream follows.
    fn topic(&self) -> &'static str;
    /// The projections that must have folded a record before it is sent (what the
    /// event's data is read from).
    fn gates<'a>(&self, state: &'a AppState) -> Vec<&'a Projection>;
    /// The partitions worth following, when not all (a learner's own partition).
    fn partitions(&self) -> Option<Vec<u32>> {
        None
    }
    /// What a record makes for this subscriber, if anything.
    fn event(&self, state: &AppState, partition: u32, record: &StoredRecord) -> Option<Self::Item>;
    /// How long the follower lets records gather after it learns of new ones, before
    /// it reads them: none for a subscriber (each event as soon as it is folded), more
    /// for one that gathers what it sends anyway.
    fn gather(&self) -> Duration {
        Duration::ZERO
    }
}

/// How far every gate has folded `partition`: the smallest of their positions, with
/// the gate that is there.
fn gated<'a>(
    gates: &[&'a Projection],
    topic: &str,
    partition: u32,
) -> Option<(u64, &'a Projection)> {
    let mut lowest: Option<(u64, &Projection)> = None;
    for gate in gates {
        let folded = gate.folded(topic, partition).ok()?;
        if lowest.is_none_or(|(low, _)| folded < low) {
            lowest = Some((folded, gate));
        }
    }
    lowest
}

/// Sends every event `source` makes of the records from `at` on to `sink`, until the
/// receiver goes away.
pub async fn follow<S: Source>(
    state: actix_web::web::Data<AppState>,
    source: S,
    mut at: StreamPosition,
    sink: mpsc::Sender<Followed<S::Item>>,
) {
    let topic = source.topic();
    let gates = source.gates(&state);
    let partitions: Vec<u32> = source
        .partitions()
        .unwrap_or_else(|| (0..at.0.len() as u32).collect());
    loop {
        let mut moved = false;
        for &partition in &partitions {
            let next = at.0[partition as usize];
            let Some((folded, _)) = gated(&gates, topic, partition) else {
                return;
            };
            if next >= folded {
                continue;
            }
            let records = match state
                .log
                .read(topic, partition, next, READ_RECORDS, READ_BYTES)
                .await
            {
                Ok(records) => records,
                Err(error) => {
                    tracing::warn!(topic, partition, %error, "stream: reading the log failed; retrying");
                    break;
                }
            };
            for record in records.into_iter().take_while(|r| r.offset < folded) {
                at.0[partition as usize] = record.offset + 1;
                moved = true;
                let Some(item) = source.event(&state, partition, &record) else {
                    continue;
                };
                let event = Followed::Event {
                    position: at.clone(),
                    item,
                };
                if sink.send(event).await.is_err() {
                    return;
                }
            }
        }
        if moved {
            continue;
        }
        let waits = partitions.iter().filter_map(|&partition| {
            let (_, gate) = gated(&gates, topic, partition)?;
            let next = at.0[partition as usize];
            Some(Box::pin(
                gate.wait_folded(topic, partition, next, KEEP_ALIVE),
            ))
        });
        let waits: Vec<_> = waits.collect();
        if waits.is_empty() {
            return;
        }
        tokio::select! {
            (waited, _, _) = futures::future::select_all(waits) => {
                if waited.is_err() && sink.send(Followed::Quiet).await.is_err() {
                    return;
                }
                if waited.is_ok() && !source.gather().is_zero() {
                    tokio::select! {
                        () = tokio::time::sleep(source.gather()) => {}
                        () = sink.closed() => return,
                    }
                }
            }
            () = sink.closed() => return,
        }
    }
}

/// A follower task, stopped when this is dropped.
pub struct Follower(tokio::task::JoinHandle<()>);

impl Drop for Follower {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Starts [`follow`] on its own task, for a consumer that may be stopped between two
/// receives (its follower stops with it).
pub fn spawn_follower<S: Source>(
    state: actix_web::web::Data<AppState>,
    source: S,
    at: StreamPosition,
    sink: mpsc::Sender<Followed<S::Item>>,
) -> Follower {
    Follower(tokio::spawn(follow(state, source, at, sink)))
}

/// Where a new subscription starts: its `Last-Event-ID`, else `from` (`start`, `now`
/// or a position), else now.
pub async fn start(
    state: &AppState,
    topic: &str,
    last_event_id: Option<&str>,
    from: Option<&str>,
) -> Result<StreamPosition, ApiError> {
    let partitions = state.log.partition_count(topic)?;
    let (name, text) = match (last_event_id, from) {
        (Some(id), _) => ("Last-Event-ID", id),
        (None, Some(from)) => ("from", from),
        (None, None) => ("from", "now"),
    };
    match text {
        "start" if name == "from" => Ok(StreamPosition(vec![0; partitions as usize])),
        "now" if name == "from" => Ok(StreamPosition(state.log.ask_high_watermarks(topic).await?)),
        text => StreamPosition::parse(text, partitions)
            .map_err(|reason| ApiError::BadRequest(format!("{name}: {reason}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_position_reads_back_what_it_writes_and_names_every_partition() {
        let at = StreamPosition(vec![12, 0, 7]);
        assert_eq!(at.to_string(), "12.0.7");
        assert_eq!(StreamPosition::parse("12.0.7", 3), Ok(at));
        assert!(StreamPosition::parse("12.0", 3).is_err());
        assert!(StreamPosition::parse("12.x.7", 3).is_err());
        assert!(StreamPosition::parse("", 1).is_err());
    }

    #[test]
    fn data_of_several_lines_is_framed_one_data_line_each() {
        let framed = frame("3.4", "statement", b"{\n  \"a\": 1\r\n}");
        assert_eq!(
            framed.as_ref(),
            b"id: 3.4\nevent: statement\ndata: {\ndata:   \"a\": 1\ndata: }\n\n"
        );
    }
}
