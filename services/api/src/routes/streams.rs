//! Subscriptions as Server-Sent Events:
//!
//! - `GET /v1/streams/statements[?from=start|now|POSITION][&learner=…][&class=…]
//!   [&verb=IRI][&activity=IRI]`: every statement stored in the caller's tenant, in log
//!   order per partition, as `statement` events whose data is the statement as
//!   `GET /xapi/statements` serves it. Each event's `id:` is the stream position after
//!   it; reconnecting with `Last-Event-ID` (or `?from=` that position) resumes right
//!   after it. Without either, the stream starts now. `learner` (an id or an agent as
//!   JSON) and `class` (a roster's members) keep the statements whose actor they name.
//!
//! Needs `statements/read` (or `all/read`, `all`). The stream sends `retry:` first and a
//! keep-alive comment every 15 s of quiet.

use super::learners::learner;
use super::params::Params;
use crate::auth::{Authenticated, Scope};
use crate::error::ApiError;
use crate::openapi::{BadRequest, Forbidden, NotFound, Unauthorized, Unavailable};
use crate::state::AppState;
use crate::streams::{self, StatementFilter};
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use learnlog_proto::topics;
use utoipa::IntoParams;

/// Events buffered for one subscriber before the reader waits for it.
const BUFFERED_EVENTS: usize = 64;

/// The query of `GET /v1/streams/statements`.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatementStreamQuery {
    /// Where to start: `start` (the first statement), `now` (the default: only new
    /// ones) or a position (`id:` of an event). A `Last-Event-ID` header wins.
    pub from: Option<String>,
    /// Only statements whose actor is this learner (a learner id, or an agent as JSON).
    pub learner: Option<String>,
    /// Only statements whose actor is a member of this class.
    pub class: Option<String>,
    /// Only statements with this verb id.
    pub verb: Option<String>,
    /// Only statements whose object is this activity id.
    pub activity: Option<String>,
}

impl StatementStreamQuery {
    /// Reads a query string: each parameter at most once, nothing else.
    pub fn read(query: &str) -> Result<Self, ApiError> {
        let params = Params::parse(query, &["from", "learner", "class", "verb", "activity"])?;
        let get = |name: &str| params.get(name).map(str::to_owned);
        Ok(Self {
            from: get("from"),
            learner: get("learner"),
            class: get("class"),
            verb: get("verb"),
            activity: get("activity"),
        })
    }
}

/// `GET /v1/streams/statements`.
#[utoipa::path(
    get,
    path = "/v1/streams/statements",
    operation_id = "streamStatements",
    tag = "streams",
    params(
        StatementStreamQuery,
        ("Last-Event-ID" = Option<String>, Header, description = "The `id:` of the last event received: the stream resumes right after it"),
    ),
    responses(
        (status = 200, description = "A stream of `statement` events (text/event-stream) until the client disconnects", content_type = "text/event-stream", body = String),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 503, response = Unavailable),
    ),
    security(("basic" = []))
)]
pub async fn statements(
    state: web::Data<AppState>,
    caller: Authenticated,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::StatementsRead)?;
    let query = StatementStreamQuery::read(request.query_string())?;
    let tenant = caller.tenant().to_owned();
    let mut learners = None;
    if let Some(text) = &query.learner {
        learners = Some(vec![learner(text)?]);
    }
    if let Some(id) = &query.class {
        let class = state
            .class_reader
            .class(&tenant, id)?
            .ok_or_else(|| ApiError::NotFound(format!("class {id:?}: no such class")))?;
        let members: Vec<_> = class.members.iter().map(|m| m.learner).collect();
        learners = Some(match learners {
            // both: the learner, if a member
            Some(only) => only.into_iter().filter(|l| members.contains(l)).collect(),
            None => members,
        });
    }
    let filter = StatementFilter {
        tenant,
        learners,
        verb: query.verb,
        activity: query.activity,
    };
    let last_event_id = request
        .headers()
        .get("last-event-id")
        .map(|value| {
            value
                .to_str()
                .map_err(|_| ApiError::BadRequest("Last-Event-ID: not text".into()))
        })
        .transpose()?;
    let from = streams::start(
        &state,
        topics::STATEMENTS,
        last_event_id,
        query.from.as_deref(),
    )?;
    let (sink, events) = tokio::sync::mpsc::channel(BUFFERED_EVENTS);
    tokio::spawn(streams::statements(state.clone(), filter, from, sink));
    let body = futures::stream::unfold(events, |mut events| async move {
        let chunk = events.recv().await?;
        Some((Ok::<_, actix_web::Error>(chunk), events))
    });
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/event-stream"))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        // proxies that buffer (nginx) pass events on at once
        .insert_header(("X-Accel-Buffering", "no"))
        .streaming(body))
}
