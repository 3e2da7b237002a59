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
//! - `GET /v1/streams/{mastery|profiles|decisions}[?from=…][&learner=…][&class=…]
//!   [&competency=…][&verb=IRI]`: a learner's view each time a `learner-events` record
//!   changes it (`crate::streams` says which), positions on `learner-events`. A process
//!   owning some partitions only (`--role projector`) needs `learner`, and answers 421
//!   for a learner it does not own.
//!
//! Needs `statements/read` (mastery: `all/read`). A stream sends `retry:` first and a
//! keep-alive comment every 15 s of quiet.

use super::learners::learner;
use super::params::Params;
use crate::auth::{Authenticated, Scope};
use crate::error::ApiError;
use crate::openapi::{BadRequest, Forbidden, NotFound, NotOwner, Unauthorized, Unavailable};
use crate::state::AppState;
use crate::streams::{
    self, LearnerFilter, LearnerView, LearnerViewSource, StatementFilter, StatementSource,
};
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use learnlog_proto::topics;
use utoipa::IntoParams;
use uuid::Uuid;

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
    let learners = learners_named(
        &state,
        &tenant,
        query.learner.as_deref(),
        query.class.as_deref(),
    )?;
    let filter = StatementFilter {
        tenant,
        learners,
        verb: query.verb,
        activity: query.activity,
    };
    let from = streams::start(
        &state,
        topics::STATEMENTS,
        last_event_id(&request)?,
        query.from.as_deref(),
    )
    .await?;
    Ok(respond(&state, StatementSource(filter), from))
}

/// Starts following `source` from `from` for this subscriber; the response streams
/// what it sends until the subscriber leaves.
fn respond(
    state: &web::Data<AppState>,
    source: impl streams::Source<Item = streams::SseEvent>,
    from: streams::StreamPosition,
) -> HttpResponse {
    let (sink, events) = tokio::sync::mpsc::channel(BUFFERED_EVENTS);
    tokio::spawn(streams::follow(state.clone(), source, from, sink));
    let opening = futures::stream::once(async { Ok(streams::opening()) });
    let events = futures::stream::unfold(events, |mut events| async move {
        let followed = events.recv().await?;
        Some((Ok::<_, actix_web::Error>(followed.to_sse()), events))
    });
    let body = futures::StreamExt::chain(opening, events);
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/event-stream"))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        // proxies that buffer (nginx) pass events on at once
        .insert_header(("X-Accel-Buffering", "no"))
        .streaming(body)
}

/// The `Last-Event-ID` header, as text.
fn last_event_id(request: &HttpRequest) -> Result<Option<&str>, ApiError> {
    request
        .headers()
        .get("last-event-id")
        .map(|value| {
            value
                .to_str()
                .map_err(|_| ApiError::BadRequest("Last-Event-ID: not text".into()))
        })
        .transpose()
}

/// The members of class `id`; 404 when there is no such class.
fn members(state: &AppState, tenant: &str, id: &str) -> Result<Vec<Uuid>, ApiError> {
    let class = state
        .class_reader
        .class(tenant, id)?
        .ok_or_else(|| ApiError::NotFound(format!("class {id:?}: no such class")))?;
    Ok(class.members.iter().map(|m| m.learner).collect())
}

/// The learners a `learner` and a `class` parameter name together (`None`: everyone).
fn learners_named(
    state: &AppState,
    tenant: &str,
    learner_param: Option<&str>,
    class: Option<&str>,
) -> Result<Option<Vec<Uuid>>, ApiError> {
    let learner = learner_param.map(learner).transpose()?;
    let members = class.map(|id| members(state, tenant, id)).transpose()?;
    Ok(match (learner, members) {
        (Some(one), Some(members)) => Some(members.into_iter().filter(|m| *m == one).collect()),
        (Some(one), None) => Some(vec![one]),
        (None, members) => members,
    })
}

/// The query of the learner-view streams.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LearnerStreamQuery {
    /// Where to start: `start`, `now` (the default) or a position (`id:` of an event).
    /// A `Last-Event-ID` header wins.
    pub from: Option<String>,
    /// Only this learner (a learner id, or an agent as JSON). Needed on a projector
    /// process or through an api process (`--role projector|api`), where each learner's
    /// views live with one projector.
    pub learner: Option<String>,
    /// Only the members of this class.
    pub class: Option<String>,
    /// Only changes from evidence, goals, choices or actions on this competency.
    pub competency: Option<String>,
    /// Only changes from statements with this verb id.
    pub verb: Option<String>,
}

impl LearnerStreamQuery {
    /// Reads a query string: each parameter at most once, nothing else.
    pub fn read(query: &str) -> Result<Self, ApiError> {
        let params = Params::parse(query, &["from", "learner", "class", "competency", "verb"])?;
        let get = |name: &str| params.get(name).map(str::to_owned);
        Ok(Self {
            from: get("from"),
            learner: get("learner"),
            class: get("class"),
            competency: get("competency"),
            verb: get("verb"),
        })
    }
}

/// A learner view's stream for `caller`.
async fn learner_view(
    view: LearnerView,
    state: web::Data<AppState>,
    caller: Authenticated,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let needs = match view {
        LearnerView::Mastery => Scope::AllRead,
        LearnerView::Profiles | LearnerView::Decisions => Scope::StatementsRead,
    };
    caller.require(needs)?;
    let query = LearnerStreamQuery::read(request.query_string())?;
    let tenant = caller.tenant().to_owned();
    let mut partition = None;
    if let Some(text) = &query.learner {
        let one = learner(text)?;
        state.check_learner_owner(one)?;
        partition = Some(state.learner_partition(one)?);
    } else if state.owned.is_some() {
        return Err(ApiError::BadRequest(
            "learner: this process answers for some learners only; name one (learner=…)".into(),
        ));
    }
    let learners = learners_named(
        &state,
        &tenant,
        query.learner.as_deref(),
        query.class.as_deref(),
    )?;
    let source = LearnerViewSource {
        view,
        filter: LearnerFilter {
            tenant,
            learners,
            competency: query.competency,
            verb: query.verb,
        },
        partition,
    };
    let from = streams::start(
        &state,
        topics::LEARNER_EVENTS,
        last_event_id(&request)?,
        query.from.as_deref(),
    )
    .await?;
    Ok(respond(&state, source, from))
}

/// `GET /v1/streams/mastery`.
#[utoipa::path(
    get,
    path = "/v1/streams/mastery",
    operation_id = "streamMastery",
    tag = "streams",
    params(
        LearnerStreamQuery,
        ("Last-Event-ID" = Option<String>, Header, description = "The `id:` of the last event received: the stream resumes right after it"),
    ),
    responses(
        (status = 200, description = "A stream of `mastery` events (text/event-stream): `{learner, view}`, the view as `GET /v1/learners/{learner}/mastery` answers it, `null` when gone", content_type = "text/event-stream", body = String),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 421, response = NotOwner),
        (status = 503, response = Unavailable),
    ),
    security(("basic" = []))
)]
pub async fn mastery(
    state: web::Data<AppState>,
    caller: Authenticated,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    learner_view(LearnerView::Mastery, state, caller, request).await
}

/// `GET /v1/streams/profiles`.
#[utoipa::path(
    get,
    path = "/v1/streams/profiles",
    operation_id = "streamProfiles",
    tag = "streams",
    params(
        LearnerStreamQuery,
        ("Last-Event-ID" = Option<String>, Header, description = "The `id:` of the last event received: the stream resumes right after it"),
    ),
    responses(
        (status = 200, description = "A stream of `profile` events (text/event-stream): `{learner, view}`, the view as `GET /v1/learners/{learner}/profile` answers it", content_type = "text/event-stream", body = String),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 421, response = NotOwner),
        (status = 503, response = Unavailable),
    ),
    security(("basic" = []))
)]
pub async fn profiles(
    state: web::Data<AppState>,
    caller: Authenticated,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    learner_view(LearnerView::Profiles, state, caller, request).await
}

/// `GET /v1/streams/decisions`.
#[utoipa::path(
    get,
    path = "/v1/streams/decisions",
    operation_id = "streamDecisions",
    tag = "streams",
    params(
        LearnerStreamQuery,
        ("Last-Event-ID" = Option<String>, Header, description = "The `id:` of the last event received: the stream resumes right after it"),
    ),
    responses(
        (status = 200, description = "A stream of `decisions` events (text/event-stream): `{learner, view}`, the view as `GET /v1/learners/{learner}/decisions` answers it now", content_type = "text/event-stream", body = String),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 421, response = NotOwner),
        (status = 503, response = Unavailable),
    ),
    security(("basic" = []))
)]
pub async fn decisions(
    state: web::Data<AppState>,
    caller: Authenticated,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    learner_view(LearnerView::Decisions, state, caller, request).await
}
