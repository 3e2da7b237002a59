//! Request middleware: xAPI version negotiation and its response header, the
//! consistency header of /statements, and HTTP metrics; CORS, the 1.0.3 alternate
//! request syntax, the limits on a request's head and the ends shared by write
//! responses' consistency headers in their own modules.

mod alternate_syntax;
mod cors;
mod request_limits;
mod version_memory;
mod write_ends;

pub use alternate_syntax::alternate_syntax;
pub use cors::cors;
pub use request_limits::request_limits;
pub use version_memory::VersionMemory;
pub use write_ends::WriteEnds;

use crate::auth::AuthenticatedKey;
use crate::error::ApiError;
use crate::metrics;
use crate::state::AppState;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest, ResponseError};
use futures::future::{ready, Ready};
use learnlog_proto::topics;
use learnlog_xapi::XapiVersion;
use std::time::Instant;

const VERSION_HEADER: HeaderName = HeaderName::from_static("x-experience-api-version");
const CONSISTENT_THROUGH: HeaderName =
    HeaderName::from_static("x-experience-api-consistent-through");

/// The xAPI version negotiated for this request.
#[derive(Clone, Copy, Debug)]
pub struct Negotiated(pub XapiVersion);

impl FromRequest for Negotiated {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(
            request
                .extensions()
                .get::<Negotiated>()
                .copied()
                .ok_or_else(|| ApiError::Internal("version was not negotiated".into())),
        )
    }
}

fn state(request: &ServiceRequest) -> Option<web::Data<AppState>> {
    request.app_data::<web::Data<AppState>>().cloned()
}

/// Negotiates `X-Experience-API-Version` (required everywhere but `/xapi/about`) and
/// sets the header on every response, errors included. A version the client named is
/// remembered for its credential once the handler has authenticated it; a request
/// naming none gets the version remembered for its credential if it authenticates.
pub async fn xapi_version(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let state = state(&request);
    let default = state
        .as_ref()
        .map_or(XapiVersion::V2_0_0, |s| s.default_version);
    let requested = request
        .headers()
        .get(&VERSION_HEADER)
        .map(|value| value.to_str().ok().and_then(XapiVersion::from_header));
    let exempt = request.path().trim_end_matches('/').ends_with("/about")
        || request.method() == actix_web::http::Method::OPTIONS;
    let version = match requested {
        Some(Some(version)) => version,
        _ if exempt => default,
        None | Some(None) => {
            let error = ApiError::BadRequest(match requested {
                None => "header X-Experience-API-Version: required".into(),
                Some(_) => {
                    "header X-Experience-API-Version: must be 1.0, 1.0.x, 2.0 or 2.0.x".into()
                }
            });
            let spoken = match &state {
                Some(state) => crate::auth::authenticate(request.request().clone())
                    .await
                    .ok()
                    .and_then(|authenticated| state.version_memory.recall(authenticated.key())),
                None => None,
            }
            .unwrap_or(default);
            let mut response = error.error_response();
            response.headers_mut().insert(
                VERSION_HEADER,
                HeaderValue::from_static(spoken.header_value()),
            );
            return Ok(request.into_response(response).map_into_right_body());
        }
    };
    request.extensions_mut().insert(Negotiated(version));
    let mut response = next.call(request).await?;
    if let (Some(state), Some(Some(_))) = (&state, requested) {
        let authenticated = response
            .request()
            .extensions()
            .get::<AuthenticatedKey>()
            .cloned();
        if let Some(AuthenticatedKey(key)) = authenticated {
            state.version_memory.remember(&key, version);
        }
    }
    response.headers_mut().insert(
        VERSION_HEADER,
        HeaderValue::from_static(version.header_value()),
    );
    Ok(response.map_into_left_body())
}

/// The ends of every statements partition a read asked of the log (in the request's
/// extensions), and the instant taken just before it asked them.
#[derive(Clone, Debug)]
pub struct AskedEnds {
    pub now_micros: i64,
    pub ends: Vec<u64>,
}

/// Sets `X-Experience-API-Consistent-Through` from the statement store's watermark on
/// every /statements response, errors included. It never claims more than is folded:
/// when the log's ends cannot be asked, it is the newest instant known to be folded.
/// A write's response on Kafka is computed from ends shared by the writes answered
/// within `write_ends::WRITE_ENDS_FRESH_FOR` rather than asked for each.
pub async fn consistent_through(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let state = state(&request);
    let mut response = next.call(request).await?;
    if let Some(state) = state {
        // Taken before the ends are asked: "now" is only claimed for events appended
        // before it.
        let now = chrono::Utc::now();
        // Watermarks are broker round trips on Kafka: ask them on a blocking thread, and
        // not at all for a 503, which usually means the log did not answer already (the
        // request would wait another timeout to learn the same); such a response gets
        // what is known to be folded without asking.
        let asked_by_read = response.request().extensions().get::<AskedEnds>().cloned();
        let method = response.request().method();
        let is_write =
            !(method == actix_web::http::Method::GET || method == actix_web::http::Method::HEAD);
        let asked = if response.status() == actix_web::http::StatusCode::SERVICE_UNAVAILABLE {
            None
        } else if is_write && !state.log.watermarks_are_local() {
            let shared = state.write_ends.ask(&state.log).await.ok();
            shared.and_then(|asked| {
                (state.statements)
                    .consistent_through_at(topics::STATEMENTS, asked.now_micros, &asked.ends)
                    .ok()
            })
        } else if let Some(read) = asked_by_read {
            // the read asked the ends after its own "now": no second round trip
            (state.statements)
                .consistent_through_at(topics::STATEMENTS, read.now_micros, &read.ends)
                .ok()
        } else {
            let statements = state.statements.clone();
            actix_web::web::block(move || {
                statements.consistent_through_micros(topics::STATEMENTS, now.timestamp_micros())
            })
            .await
            .ok()
            .and_then(Result::ok)
        };
        let through = asked
            .or_else(|| {
                state
                    .statements
                    .known_folded_through_micros(topics::STATEMENTS)
                    .ok()
            })
            .and_then(chrono::DateTime::from_timestamp_micros)
            .unwrap_or(chrono::DateTime::UNIX_EPOCH);
        if let Ok(value) = HeaderValue::from_str(&learnlog_xapi::format_timestamp(through)) {
            response.headers_mut().insert(CONSISTENT_THROUGH, value);
        }
    }
    Ok(response)
}

/// Counts requests and observes their latency by route pattern.
pub async fn http_metrics(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let method = request.method().to_string();
    let response = next.call(request).await?;
    // Routing has happened by now, so the matched pattern is known.
    let route = response
        .request()
        .match_pattern()
        .unwrap_or_else(|| "unmatched".to_owned());
    let status = response.status().as_u16().to_string();
    metrics::HTTP_REQUESTS
        .with_label_values(&[&method, &route, &status])
        .inc();
    metrics::HTTP_SECONDS
        .with_label_values(&[&method, &route])
        .observe(started.elapsed().as_secs_f64());
    Ok(response)
}
