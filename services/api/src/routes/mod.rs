//! The routes of the API, one module per resource.

mod about;
mod ops;
mod params;
mod statements;

use crate::middleware;
use actix_web::middleware::from_fn;
use actix_web::web;

/// Mounts every route.
pub fn configure(config: &mut web::ServiceConfig) {
    config
        .route("/healthz", web::get().to(ops::healthz))
        .route("/readyz", web::get().to(ops::readyz))
        .route("/metrics", web::get().to(ops::metrics))
        .service(
            web::scope("/xapi")
                .wrap(from_fn(middleware::xapi_version))
                .service(
                    web::resource("/about")
                        .route(web::get().to(about::get))
                        .route(web::head().to(about::get)),
                )
                .service(
                    web::resource("/statements")
                        .wrap(from_fn(middleware::consistent_through))
                        .route(web::post().to(statements::post))
                        .route(web::put().to(statements::put))
                        .route(web::get().to(statements::get))
                        .route(web::head().to(statements::get)),
                ),
        );
}
