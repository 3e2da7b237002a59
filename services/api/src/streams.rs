//! Server-Sent Events of a view: where a stream stands on the log, how an event is
//! framed, and the task that reads the log behind the statement store and sends each
//! stored statement to one subscriber.
//!
//! A stream's position is the next offset to read in every partition of the topic the
//! view is folded from, written `o0.o1.….oN` (the `id:` of each event, so a client's
//! `Last-Event-ID` resumes exactly after it). Within a partition events go out in log
//! order and only once they are folded, so a subscriber resuming from the `id:` of the
//! last event it received misses nothing and repeats nothing.

use crate::error::ApiError;
use crate::state::AppState;
use actix_web::web::Bytes;
use learnlog_proto::topics;
use learnlog_proto::v1::{envelope::Event, Envelope};
use learnlog_proto::Message;
use std::time::Duration;
use tokio::sync::mpsc;
use uuid::Uuid;

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

/// Which stored statements a subscriber wants.
#[derive(Clone, Debug, Default)]
pub struct StatementFilter {
    pub tenant: String,
    /// Learners whose statements (as actor) pass; `None` passes every actor.
    pub learners: Option<Vec<Uuid>>,
    pub verb: Option<String>,
    pub activity: Option<String>,
}

impl StatementFilter {
    fn passes(&self, statement: &serde_json::Value) -> bool {
        if let Some(verb) = &self.verb {
            if statement["verb"]["id"].as_str() != Some(verb) {
                return false;
            }
        }
        if let Some(activity) = &self.activity {
            let object = &statement["object"];
            let is_activity = object["objectType"]
                .as_str()
                .is_none_or(|t| t == "Activity");
            if !is_activity || object["id"].as_str() != Some(activity) {
                return false;
            }
        }
        if let Some(learners) = &self.learners {
            let actor = learnlog_projector::learners::learner_id(&statement["actor"]);
            if !actor.is_some_and(|id| learners.contains(&id)) {
                return false;
            }
        }
        true
    }
}

/// Sends every statement stored from `from` on that passes `filter` to `sink`, as
/// `statement` events, until the subscriber goes away. Statements are sent once the
/// statement store has folded them, so a statement seen on the stream can be read.
pub async fn statements(
    state: actix_web::web::Data<AppState>,
    filter: StatementFilter,
    mut at: StreamPosition,
    sink: mpsc::Sender<Bytes>,
) {
    let topic = topics::STATEMENTS;
    if sink.send(opening()).await.is_err() {
        return;
    }
    loop {
        let mut moved = false;
        for partition in 0..at.0.len() as u32 {
            let next = at.0[partition as usize];
            let Ok(folded) = state.statements.folded(topic, partition) else {
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
                    tracing::warn!(topic, partition, %error, "statement stream: reading the log failed; retrying");
                    break;
                }
            };
            for record in records.into_iter().take_while(|r| r.offset < folded) {
                at.0[partition as usize] = record.offset + 1;
                moved = true;
                let Some(json) = stored_statement(&state, &filter, partition, &record) else {
                    continue;
                };
                if sink
                    .send(frame(&at.to_string(), "statement", &json))
                    .await
                    .is_err()
                {
                    return;
                }
            }
        }
        if moved {
            continue;
        }
        let waits = at.0.iter().enumerate().map(|(partition, next)| {
            Box::pin(
                state
                    .statements
                    .wait_folded(topic, partition as u32, *next, KEEP_ALIVE),
            )
        });
        tokio::select! {
            (waited, _, _) = futures::future::select_all(waits) => {
                if waited.is_err() && sink.send(keep_alive()).await.is_err() {
                    return;
                }
            }
            () = sink.closed() => return,
        }
    }
}

/// The statement a log record submitted, when it is the one stored under its id (not
/// a duplicate or a conflict) and passes `filter`.
fn stored_statement(
    state: &AppState,
    filter: &StatementFilter,
    partition: u32,
    record: &learnlog_log::StoredRecord,
) -> Option<Vec<u8>> {
    let envelope = Envelope::decode(record.value.as_slice()).ok()?;
    if envelope.tenant != filter.tenant {
        return None;
    }
    let Some(Event::StatementSubmitted(submitted)) = envelope.event else {
        return None;
    };
    let id = learnlog_xapi::parse_uuid(&submitted.statement_id)?;
    let stored = state
        .statement_reader
        .get(&filter.tenant, id)
        .ok()
        .flatten()?;
    if (stored.partition, stored.offset) != (partition, record.offset) {
        return None;
    }
    let statement: serde_json::Value = serde_json::from_slice(&stored.json).ok()?;
    filter.passes(&statement).then_some(stored.json)
}

/// Where a new subscription starts: its `Last-Event-ID`, else `from` (`start`, `now`
/// or a position), else now.
pub fn start(
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
        "now" if name == "from" => {
            let mut offsets = Vec::with_capacity(partitions as usize);
            for partition in 0..partitions {
                offsets.push(state.log.high_watermark(topic, partition)?);
            }
            Ok(StreamPosition(offsets))
        }
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

    #[test]
    fn the_filter_passes_only_the_verb_activity_and_learners_asked_for() {
        let statement = serde_json::json!({
            "actor": {"mbox": "mailto:ada@example.org"},
            "verb": {"id": "http://adlnet.gov/expapi/verbs/answered"},
            "object": {"id": "https://example.org/q/1"}
        });
        let ada = learnlog_projector::learners::learner_id(&statement["actor"]).unwrap();
        let all = StatementFilter::default();
        assert!(all.passes(&statement));
        let verb = StatementFilter {
            verb: Some("http://adlnet.gov/expapi/verbs/completed".into()),
            ..StatementFilter::default()
        };
        assert!(!verb.passes(&statement));
        let activity = StatementFilter {
            activity: Some("https://example.org/q/1".into()),
            learners: Some(vec![ada]),
            ..StatementFilter::default()
        };
        assert!(activity.passes(&statement));
        let someone_else = StatementFilter {
            learners: Some(vec![Uuid::nil()]),
            ..StatementFilter::default()
        };
        assert!(!someone_else.passes(&statement));
    }
}
