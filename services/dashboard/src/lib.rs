//! The learnlog dashboard: class, learner and family views in the browser, served by
//! `learnlog serve` itself under `/dashboard/` from files embedded in the binary.
//!
//! The pages are static and need no credential; what they show comes from the JSON API,
//! which the page calls with the credential the person signs in with. The sources are
//! in `web/`; `npm run build` there writes `dist/`, which is committed, so a build of the
//! binary needs no Node (docs/adr/0013-dashboard.md).
//!
//! - `GET /dashboard` redirects to `/dashboard/`;
//! - `GET /dashboard/` (and `/dashboard/index.html`) is the page, `Cache-Control:
//!   no-cache` with an ETag;
//! - `GET /dashboard/assets/…` are the scripts and styles, named by their hash and kept
//!   by browsers for a year;
//! - any other path under `/dashboard/` is 404.

mod assets;

pub use assets::{content_type, paths};

use actix_web::http::header::{self, HeaderValue};
use actix_web::{web, HttpRequest, HttpResponse};

/// Where the dashboard is mounted.
pub const PATH: &str = "/dashboard/";

/// What the page may load and connect to: itself and the API of the same server.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; img-src 'self' data:; \
     object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// Mounts the dashboard's routes.
pub fn configure(config: &mut web::ServiceConfig) {
    config
        .service(
            web::resource("/dashboard")
                .route(web::get().to(redirect))
                .route(web::head().to(redirect)),
        )
        .service(
            web::resource("/dashboard/{path:.*}")
                .route(web::get().to(file))
                .route(web::head().to(file)),
        );
}

async fn redirect() -> HttpResponse {
    HttpResponse::PermanentRedirect()
        .insert_header((header::LOCATION, PATH))
        .finish()
}

async fn file(request: HttpRequest, path: web::Path<String>) -> HttpResponse {
    let path = path.into_inner();
    let name = if path.is_empty() {
        assets::INDEX
    } else {
        &path
    };
    let Some(asset) = assets::find(name) else {
        return HttpResponse::NotFound()
            .content_type("text/plain; charset=utf-8")
            .insert_header((header::CACHE_CONTROL, "no-cache"))
            .body(format!("{PATH}{path}: not a file of the dashboard\n"));
    };
    let unchanged = request
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|tags| tags.split(',').any(|tag| tag.trim() == asset.etag));
    let mut response = if unchanged {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    response
        .insert_header((header::CACHE_CONTROL, asset.cache_control))
        .insert_header((header::ETAG, asset.etag.as_str()))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"));
    if name == assets::INDEX {
        response
            .insert_header((header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY))
            .insert_header((header::REFERRER_POLICY, "no-referrer"));
    }
    if unchanged {
        return response.finish();
    }
    response.insert_header((
        header::CONTENT_TYPE,
        HeaderValue::from_static(asset.content_type),
    ));
    response.body(asset.bytes)
}
