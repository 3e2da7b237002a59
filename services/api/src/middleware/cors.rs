//! CORS for browser-based learning content (through `actix-cors`): preflights answered
//! without credentials or version, any origin allowed, and the xAPI headers exposed on
//! every response.

use actix_cors::Cors;
use actix_web::http::{header, Method};

/// The CORS middleware, one per worker.
pub fn cors() -> Cors {
    Cors::default()
        .allow_any_origin()
        .send_wildcard()
        .allowed_methods([
            Method::HEAD,
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::DELETE,
            Method::OPTIONS,
        ])
        .allowed_headers([
            header::CONTENT_TYPE,
            header::AUTHORIZATION,
            header::IF_MATCH,
            header::IF_NONE_MATCH,
            header::HeaderName::from_static("x-experience-api-version"),
            header::ACCEPT_LANGUAGE,
        ])
        .expose_headers([
            header::ETAG,
            header::LAST_MODIFIED,
            header::HeaderName::from_static("x-experience-api-version"),
            header::HeaderName::from_static("x-experience-api-consistent-through"),
        ])
        .max_age(86400)
        .disable_vary_header()
}
