//! The OpenAPI 3.1 document of the `/v1/` API, generated (by `utoipa`) from the
//! handlers' own annotations and answer types, and served unauthenticated at
//! `GET /v1/openapi.json`. The xAPI resources under `/xapi/` are specified by xAPI
//! itself and are not in it.
//!
//! How a new `/v1/` handler joins the document:
//!
//! 1. Annotate the handler with `#[utoipa::path(...)]`: the method, the full `path`
//!    (`{name}` for each path segment parameter), a unique `operation_id` (camelCase,
//!    e.g. `"listClasses"`), `params(...)` for its path and query parameters, `request_body = …` when it reads a body, `security(("basic" = []))`,
//!    a `tag`, and in `responses(...)` every status it can answer: success with its
//!    typed body (`body = SomeView`, a `#[derive(Serialize, ToSchema)]` struct, never a
//!    `json!` literal), errors with the reusable responses of this module
//!    (`(status = 404, response = NotFound)`; see [`BadRequest`] and the others).
//! 2. Declare its module `pub(crate) mod …;` in `routes/mod.rs` (so that this module
//!    can name it), mount it there as usual, and list the handler in `paths(...)` of
//!    [`ApiDoc`] below. Schemas of the types it names are collected by themselves.
//! 3. `cargo test -p learnlog-api openapi` fails while a `/v1/` route mounted in
//!    `routes/mod.rs` is not in the document (or the document names one that is not
//!    mounted); `cargo test -p learnlog --test e2e openapi` runs schemathesis against a
//!    live server and fails when an answer does not match the document.

use crate::error::ErrorBody;
use crate::routes::{
    admin, alignments, class_views, classes, competency_learners, decisions, forwardings,
    frameworks, goals, learners, mastery, mastery_fits, personal_data, streams, tenants,
};
use actix_web::HttpResponse;
use std::sync::OnceLock;
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr};
use utoipa::{Modify, OpenApi, ToResponse};

/// The name of the security scheme every operation but this document's requires.
pub const BASIC: &str = "basic";

/// The document.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "learnlog",
        description = "The learnlog API beside xAPI: credentials, learner profiles, goals \
                       and mastery, personalization decisions and classes, competency \
                       frameworks and activity alignments. Every operation but this \
                       document needs HTTP Basic credentials."
    ),
    paths(
        document,
        admin::create,
        admin::list,
        admin::revoke,
        tenants::create,
        tenants::list,
        tenants::get,
        tenants::disable,
        tenants::enable,
        mastery_fits::fit,
        learners::profile,
        mastery::learner,
        goals::set,
        goals::list,
        goals::get,
        goals::remove,
        personal_data::erase,
        personal_data::export,
        competency_learners::framework_competency_learners,
        competency_learners::competency_learners,
        frameworks::list,
        frameworks::put,
        frameworks::get,
        frameworks::competency,
        alignments::put,
        alignments::get,
        alignments::delete,
        decisions::get,
        decisions::choose,
        decisions::act,
        classes::list,
        classes::put,
        classes::get,
        classes::delete,
        class_views::mastery,
        class_views::decisions,
        class_views::groups,
        streams::statements,
        streams::mastery,
        streams::profiles,
        streams::decisions,
        forwardings::list,
        forwardings::put,
        forwardings::get,
        forwardings::delete,
    ),
    components(
        // The schemas that responses and parameters name by hand; those of bodies are
        // collected by themselves.
        schemas(ErrorBody, learners::LearnerRef),
        responses(
            BadRequest,
            Unauthorized,
            Forbidden,
            NotFound,
            Conflict,
            PayloadTooLarge,
            NotOwner,
            Unavailable,
            NotImplemented
        )
    ),
    modifiers(&BasicAuth),
    tags(
        (name = "admin", description = "Credentials and mastery-model fits (scope `all`)"),
        (name = "tenants", description = "Tenants and their first admin credentials (scope `operator`)"),
        (name = "learners", description = "Learner profiles, goals and mastery"),
        (name = "frameworks", description = "Competency frameworks (IMS CASE) and who masters their competencies"),
        (name = "alignments", description = "Which competencies an activity is aligned to"),
        (name = "streams", description = "Subscriptions: Server-Sent Events of what is stored, resumable by position"),
        (name = "forwardings", description = "Statement forwarding to other LRSs and webhooks (scope `all`)"),
        (name = "meta", description = "This document")
    )
)]
pub struct ApiDoc;

/// Adds the HTTP Basic security scheme the operations name.
struct BasicAuth;

impl Modify for BasicAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            BASIC,
            SecurityScheme::Http(Http::new(HttpAuthScheme::Basic)),
        );
    }
}

/// The document as served, built once.
pub fn json() -> &'static str {
    static DOCUMENT: OnceLock<String> = OnceLock::new();
    DOCUMENT.get_or_init(|| {
        // Serializing a document of strings and numbers cannot fail; should it, the
        // answer says so rather than taking the process down.
        ApiDoc::openapi()
            .to_json()
            .unwrap_or_else(|error| format!(r#"{{"error":"the document: {error}"}}"#))
    })
}

/// `GET /v1/openapi.json`: this document, no credentials needed.
#[utoipa::path(
    get,
    path = "/v1/openapi.json",
    operation_id = "getOpenApi",
    tag = "meta",
    responses(
        (status = 200, description = "The OpenAPI 3.1 document of the `/v1/` API",
            content_type = "application/json", body = Object)
    )
)]
pub async fn document() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(json())
}

/// An error answer: an [`ErrorBody`], with `headers` (name, meaning).
fn error_response(description: &str, headers: &[(&str, &str)]) -> RefOr<Response> {
    let body = ContentBuilder::new()
        .schema(Some(Ref::from_schema_name("ErrorBody")))
        .build();
    let mut response = ResponseBuilder::new()
        .description(description)
        .content("application/json", body);
    for (name, meaning) in headers {
        let header = HeaderBuilder::new()
            .schema(ObjectBuilder::new().schema_type(Type::String))
            .description(Some(*meaning))
            .build();
        response = response.header(*name, header);
    }
    RefOr::T(response.build())
}

/// Declares reusable error responses: `Name: "description" [, "Header" = "meaning"];`.
/// Each is a type only to be named in `responses(...)`, so it has no values.
macro_rules! error_responses {
    ($($name:ident: $description:literal $(, $header:literal = $meaning:literal)*;)*) => {
        $(
            #[doc = concat!($description, ".")]
            pub enum $name {}

            impl<'r> ToResponse<'r> for $name {
                fn response() -> (&'r str, RefOr<Response>) {
                    (
                        stringify!($name),
                        error_response($description, &[$(($header, $meaning)),*]),
                    )
                }
            }
        )*
    };
}

error_responses! {
    BadRequest: "400: a parameter or the body is malformed or breaks a rule; the message names it";
    Unauthorized: "401: no credentials, or unknown ones",
        "WWW-Authenticate" = "Basic realm=\"learnlog\"";
    Forbidden: "403: the credential lacks the scope the operation needs";
    NotFound: "404: nothing by that name in the caller's tenant";
    Conflict: "409: the request conflicts with what is stored";
    PayloadTooLarge: "413: the body exceeds the limit";
    NotOwner: "421: asked of a projector that does not own the learner's partition (the api \
               process routes it to the owner)",
        "learnlog-partition" = "The partition the request belongs to";
    Unavailable: "503: the log cannot be written right now, or the projection did not fold \
                  the change in time; retry",
        "Retry-After" = "Seconds to wait before retrying";
    NotImplemented: "501: this deployment cannot do it; the message says why";
}

#[cfg(test)]
mod mounted_routes;
#[cfg(test)]
mod tests;
