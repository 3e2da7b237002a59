//! Binding and running the HTTP server. Binding is separate from running so that
//! callers (and tests) can listen on port 0 and learn the address first.

use crate::error::ApiError;
use crate::middleware;
use crate::routes;
use crate::state::AppState;
use actix_web::dev::{Server, ServerHandle};
use actix_web::middleware::from_fn;
use actix_web::{web, App, HttpServer};
use std::net::{SocketAddr, TcpListener};

/// How the HTTP server runs.
#[derive(Clone, Debug)]
pub struct ServerOptions {
    /// Worker threads; 0 means one per core.
    pub workers: usize,
    /// Seconds in-flight requests get to finish on a graceful stop.
    pub shutdown_timeout_seconds: u64,
    /// Most connections open at once, over all workers; further ones wait in the
    /// listen backlog until one closes.
    pub max_connections: usize,
}

impl Default for ServerOptions {
    fn default() -> Self {
        Self {
            workers: 0,
            shutdown_timeout_seconds: 30,
            max_connections: 4_096,
        }
    }
}

/// The worker threads actix runs for `workers` (0: one per core, as actix counts them).
pub fn worker_count(workers: usize) -> usize {
    match workers {
        0 => std::thread::available_parallelism().map_or(1, usize::from),
        n => n,
    }
}

/// actix counts connections per worker: `total` split over `workers`, rounded up, at
/// least one each.
pub fn connections_per_worker(total: usize, workers: usize) -> usize {
    total.div_ceil(worker_count(workers)).max(1)
}

/// Query strings that a handler's `web::Query` extractor refuses are answered like every
/// other error: 400 with the API's JSON error body (actix answers `text/plain`).
fn query_config() -> web::QueryConfig {
    web::QueryConfig::default()
        .error_handler(|error, _| ApiError::BadRequest(format!("query string: {error}")).into())
}

/// A bound, not yet running, API server.
pub struct ApiServer {
    server: Server,
    address: SocketAddr,
}

impl ApiServer {
    /// Binds `listener` and builds the server. Signals are left to the caller.
    pub fn build(
        state: AppState,
        listener: TcpListener,
        options: &ServerOptions,
    ) -> std::io::Result<Self> {
        let address = listener.local_addr()?;
        let data = web::Data::new(state);
        let limit = data.limits.max_body_bytes;
        let mut server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                // Bodies above the limit are refused before they are buffered;
                // handlers also check, to answer 413 with an xAPI error body.
                .app_data(web::PayloadConfig::new(limit + 1))
                .app_data(query_config())
                .wrap(from_fn(middleware::alternate_syntax))
                .wrap(from_fn(middleware::request_limits))
                .wrap(middleware::cors())
                .wrap(from_fn(middleware::http_metrics))
                .configure(routes::configure)
        })
        .disable_signals()
        .shutdown_timeout(options.shutdown_timeout_seconds)
        .max_connections(connections_per_worker(
            options.max_connections,
            options.workers,
        ));
        if options.workers > 0 {
            server = server.workers(options.workers);
        }
        let server = server.listen(listener)?.run();
        Ok(Self { server, address })
    }

    /// The address the server listens on.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// A handle to stop the server (gracefully: stop accepting, finish requests).
    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    /// Serves until stopped through the handle.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::StatusCode;
    use actix_web::{test, HttpResponse};

    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Close {
        #[allow(dead_code, reason = "only its parsing is tested")]
        close: Option<f64>,
    }

    async fn handler(_: web::Query<Close>) -> HttpResponse {
        HttpResponse::Ok().finish()
    }

    #[actix_web::test]
    async fn refused_query_strings_answer_the_json_error_body() {
        let app = App::new()
            .app_data(query_config())
            .route("/", web::get().to(handler));
        let app = test::init_service(app).await;
        for query in ["close=null", "close=1&close=1", "near=1"] {
            let request = test::TestRequest::get().uri(&format!("/?{query}"));
            let response = test::call_service(&app, request.to_request()).await;
            assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{query}");
            let body: serde_json::Value = test::read_body_json(response).await;
            assert_eq!(body["error"], "Bad Request", "{query}");
            let message = body["message"].as_str().unwrap_or_default();
            assert!(message.starts_with("query string: "), "{query}: {message}");
        }
        let request = test::TestRequest::get().uri("/?close=0.5").to_request();
        assert_eq!(
            test::call_service(&app, request).await.status(),
            StatusCode::OK
        );
    }
}
