//! The api role's HTTP server: its own `/healthz`, `/readyz` and `/metrics`, and every
//! other request routed to projectors.
//!
//! A request goes to a ready projector. An answer of 421 names the partition the
//! request belongs to; it is sent again to that partition's owner. A projector that
//! cannot be reached is forgotten until the directory finds it again, and the request
//! goes elsewhere; one that was reached but gave no answer is only asked again for
//! requests that change nothing (a write's fate is then unknown: 503, and clients
//! retry — statement ids and document preconditions make that safe). No owner, no
//! ready projector: wait for the directory, bounded by `wait`, then 503.

use crate::directory::Directory;
use crate::forward::{Failure, Incoming, Opened};
use crate::{metrics, scatter};
use actix_web::dev::{Server, ServerHandle};
use actix_web::http::{header, StatusCode};
use actix_web::web::{self, Bytes};
use actix_web::{App, HttpRequest, HttpResponse, HttpServer};
use prometheus::Encoder;
use std::net::{SocketAddr, TcpListener};
use std::time::Duration;
use tokio::time::Instant;

/// How long to wait before asking again while no projector can take a request.
const RETRY_PAUSE: Duration = Duration::from_millis(200);

/// How the router answers.
#[derive(Clone, Debug)]
pub struct RouterOptions {
    /// Largest request body accepted, in bytes (413 above it).
    pub max_body_bytes: usize,
    /// How long a request may wait for an owner or a ready projector.
    pub wait: Duration,
    /// HTTP worker threads; 0 means one per core.
    pub workers: usize,
    /// Most connections open at once per worker thread; further ones wait in the
    /// listen backlog until one closes.
    pub max_connections_per_worker: usize,
}

struct Router {
    directory: Directory,
    client: reqwest::Client,
    options: RouterOptions,
}

/// A bound, not yet running, router.
pub struct RouterServer {
    server: Server,
    address: SocketAddr,
}

impl RouterServer {
    /// Binds `listener` and builds the server. Signals are left to the caller.
    pub fn build(
        directory: Directory,
        client: reqwest::Client,
        options: RouterOptions,
        listener: TcpListener,
    ) -> std::io::Result<RouterServer> {
        let address = listener.local_addr()?;
        let workers = options.workers;
        let limit = options.max_body_bytes;
        let max_connections = options.max_connections_per_worker;
        let router = web::Data::new(Router {
            directory,
            client,
            options,
        });
        let mut server = HttpServer::new(move || {
            App::new()
                .app_data(router.clone())
                .app_data(web::PayloadConfig::new(limit))
                .route("/healthz", web::get().to(healthz))
                .route("/readyz", web::get().to(readyz))
                .route("/metrics", web::get().to(metrics_text))
                .default_service(web::to(route))
        })
        .disable_signals()
        .max_connections(max_connections);
        if workers > 0 {
            server = server.workers(workers);
        }
        let server = server.listen(listener)?.run();
        Ok(RouterServer { server, address })
    }

    pub fn address(&self) -> SocketAddr {
        self.address
    }

    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

async fn healthz() -> HttpResponse {
    HttpResponse::Ok().body("ok")
}

/// Ready while some projector is ready and every partition has an owner.
async fn readyz(router: web::Data<Router>) -> HttpResponse {
    match router.directory.readiness() {
        Ok(()) => HttpResponse::Ok().body("ready"),
        Err(reason) => HttpResponse::ServiceUnavailable().body(reason),
    }
}

async fn metrics_text() -> HttpResponse {
    let encoder = prometheus::TextEncoder::new();
    let mut body = Vec::new();
    match encoder.encode(&prometheus::gather(), &mut body) {
        Ok(()) => HttpResponse::Ok()
            .content_type(encoder.format_type())
            .body(body),
        Err(error) => HttpResponse::InternalServerError().body(error.to_string()),
    }
}

/// 503 with `Retry-After`, in the API's error shape.
fn unavailable(message: &str) -> HttpResponse {
    metrics::REQUESTS.with_label_values(&["unavailable"]).inc();
    HttpResponse::ServiceUnavailable()
        .insert_header((header::RETRY_AFTER, "1"))
        .json(serde_json::json!({
            "error": "Service Unavailable",
            "message": message,
        }))
}

/// Where the next attempt goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Target {
    AnyReady,
    Owner(u32),
}

/// Sends the next attempt to the owner of `partition`, which a 421 named. True when
/// that owner was already the target (it gave the partition away): pause, then look
/// again.
fn redirect(target: &mut Target, partition: u32, last_problem: &mut String) -> bool {
    let again = *target == Target::Owner(partition);
    if again {
        *last_problem = format!("partition {partition} is changing owner");
    }
    *target = Target::Owner(partition);
    again
}

async fn route(request: HttpRequest, body: Bytes, router: web::Data<Router>) -> HttpResponse {
    let incoming = Incoming::new(&request, body);
    let deadline = Instant::now() + router.options.wait;
    if scatter::is_scatter(&incoming.method, &incoming.path_and_query) {
        return scatter_to_owners(&router, &incoming, deadline).await;
    }
    if incoming.is_stream() {
        return stream_from_any(&router, &incoming, deadline).await;
    }
    let mut target = Target::AnyReady;
    let mut last_problem = "no ready projector".to_owned();
    loop {
        if Instant::now() >= deadline {
            return unavailable(&format!(
                "no projector could answer within {} ms: {last_problem}",
                router.options.wait.as_millis()
            ));
        }
        let base = match target {
            Target::AnyReady => router.directory.any_ready(),
            Target::Owner(partition) => router.directory.owner(partition),
        };
        let Some(base) = base else {
            last_problem = match target {
                Target::AnyReady => "no ready projector".to_owned(),
                Target::Owner(p) => format!("partition {p} has no owner (rebalancing?)"),
            };
            pause(&router).await;
            continue;
        };
        match incoming.send(&router.client, &base).await {
            Ok(answer) => {
                if let Some(partition) = answer.misdirected_to() {
                    if redirect(&mut target, partition, &mut last_problem) {
                        pause(&router).await;
                    }
                    continue;
                }
                let how = match target {
                    Target::AnyReady => "any",
                    Target::Owner(_) => "owner",
                };
                metrics::REQUESTS.with_label_values(&[how]).inc();
                return answer.into_response();
            }
            Err(Failure::Unreached(reason)) => {
                tracing::warn!(%base, %reason, "projector unreachable; trying another");
                router.directory.forget(&base);
                last_problem = format!("{base} unreachable: {reason}");
            }
            Err(Failure::Lost(reason)) if incoming.is_safe() => {
                tracing::warn!(%base, %reason, "projector gave no answer; asking another");
                router.directory.forget(&base);
                last_problem = format!("{base} gave no answer: {reason}");
            }
            Err(Failure::Lost(reason)) => {
                tracing::warn!(%base, %reason, "projector gave no answer to a write");
                router.directory.forget(&base);
                return unavailable(&format!(
                    "the projector handling this request gave no answer ({reason}); \
                     it may or may not have been applied: send it again"
                ));
            }
        }
    }
}

/// Passes a subscription on to a ready projector (any: each folds every statement), or
/// to the owner of the learner it names when the first one answers 421.
async fn stream_from_any(router: &Router, incoming: &Incoming, deadline: Instant) -> HttpResponse {
    let mut target = Target::AnyReady;
    let mut last_problem = "no ready projector".to_owned();
    while Instant::now() < deadline {
        let base = match target {
            Target::AnyReady => router.directory.any_ready(),
            Target::Owner(partition) => router.directory.owner(partition),
        };
        let Some(base) = base else {
            pause(router).await;
            continue;
        };
        match incoming.open_stream(&router.client, &base).await {
            Ok(Opened::Streaming(stream)) => {
                metrics::REQUESTS.with_label_values(&["stream"]).inc();
                return stream;
            }
            Ok(Opened::Refused(answer)) => {
                let Some(partition) = answer.misdirected_to() else {
                    return answer.into_response();
                };
                if redirect(&mut target, partition, &mut last_problem) {
                    pause(router).await;
                }
            }
            Err(Failure::Unreached(reason) | Failure::Lost(reason)) => {
                tracing::warn!(%base, %reason, "projector did not open the stream; trying another");
                router.directory.forget(&base);
                last_problem = format!("{base}: {reason}");
            }
        }
    }
    unavailable(&format!(
        "no projector opened the stream within {} ms: {last_problem}",
        router.options.wait.as_millis()
    ))
}

/// Asks every owner and merges their answers; any answer other than 200 is returned
/// as it is (the first one), a 421 (ownership moved meanwhile) starts over.
async fn scatter_to_owners(
    router: &Router,
    incoming: &Incoming,
    deadline: Instant,
) -> HttpResponse {
    let mut last_problem = String::new();
    while Instant::now() < deadline {
        let owners = match router.directory.all_owners() {
            Ok(owners) => owners,
            Err(unowned) => {
                last_problem = format!("partitions without an owner: {unowned:?}");
                pause(router).await;
                continue;
            }
        };
        let sent = owners
            .iter()
            .map(|base| incoming.send(&router.client, base));
        let answers = futures::future::join_all(sent).await;
        let mut bodies = Vec::with_capacity(answers.len());
        let mut moved = false;
        for (base, answer) in owners.iter().zip(answers) {
            match answer {
                Ok(answer) if answer.status == StatusCode::OK => {
                    match serde_json::from_slice(&answer.body) {
                        Ok(body) => bodies.push(body),
                        Err(error) => {
                            return HttpResponse::BadGateway()
                                .body(format!("{base} answered with unreadable JSON: {error}"))
                        }
                    }
                }
                Ok(answer) if answer.status == StatusCode::MISDIRECTED_REQUEST => moved = true,
                Ok(answer) => return answer.into_response(),
                Err(Failure::Unreached(reason) | Failure::Lost(reason)) => {
                    router.directory.forget(base);
                    last_problem = format!("{base}: {reason}");
                    moved = true;
                }
            }
        }
        if moved {
            pause(router).await;
            continue;
        }
        metrics::REQUESTS.with_label_values(&["scatter"]).inc();
        return match scatter::merge(&incoming.path_and_query, &bodies) {
            Some(merged) => HttpResponse::Ok().json(merged),
            None => unavailable("no projector answered"),
        };
    }
    unavailable(&format!(
        "the owners of every partition could not be asked within {} ms: {last_problem}",
        router.options.wait.as_millis()
    ))
}

/// Waits a moment, then looks at the projectors again.
async fn pause(router: &Router) {
    tokio::time::sleep(RETRY_PAUSE).await;
    router.directory.refresh_if_older_than(RETRY_PAUSE).await;
}
