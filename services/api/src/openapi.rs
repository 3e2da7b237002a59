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
    frameworks, goals, learners, mastery, mastery_fits, streams,
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
        mastery_fits::fit,
        learners::profile,
        mastery::learner,
        goals::set,
        goals::list,
        goals::get,
        goals::remove,
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
            Unavailable
        )
    ),
    modifiers(&BasicAuth),
    tags(
        (name = "admin", description = "Credentials and mastery-model fits (scope `all`)"),
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;
    use std::collections::BTreeSet;

    /// A `(METHOD, path)` pair, path parameters written `{}` whatever their name.
    type Operation = (String, String);

    const METHODS: [&str; 6] = ["get", "head", "post", "put", "delete", "patch"];

    fn normalized(path: &str) -> String {
        let mut out = String::new();
        let mut in_parameter = false;
        for c in path.chars() {
            match c {
                '{' => {
                    in_parameter = true;
                    out.push_str("{}");
                }
                '}' => in_parameter = false,
                _ if in_parameter => {}
                _ => out.push(c),
            }
        }
        out
    }

    #[derive(Debug, PartialEq)]
    enum Token {
        Word(String),
        Text(String),
        Open,
        Close,
        Other,
    }

    /// The tokens of Rust source, as far as reading routes needs: words (with `::`),
    /// string literals, parentheses; comments dropped.
    fn tokens(source: &str) -> Vec<Token> {
        let mut tokens = Vec::new();
        let mut chars = source.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '/' if chars.peek() == Some(&'/') => {
                    for c in chars.by_ref() {
                        if c == '\n' {
                            break;
                        }
                    }
                }
                '"' => {
                    let mut text = String::new();
                    while let Some(c) = chars.next() {
                        match c {
                            '\\' => text.extend(chars.next()),
                            '"' => break,
                            _ => text.push(c),
                        }
                    }
                    tokens.push(Token::Text(text));
                }
                '(' => tokens.push(Token::Open),
                ')' => tokens.push(Token::Close),
                c if c.is_alphanumeric() || c == '_' || c == ':' => {
                    let mut word = String::from(c);
                    while let Some(&c) = chars.peek() {
                        if !(c.is_alphanumeric() || c == '_' || c == ':') {
                            break;
                        }
                        word.push(c);
                        chars.next();
                    }
                    tokens.push(Token::Word(word));
                }
                c if c.is_whitespace() => {}
                _ => tokens.push(Token::Other),
            }
        }
        tokens
    }

    /// Every route `configure`-style code mounts: `web::scope("…")` prefixes what is
    /// inside the call chain it starts, `web::resource("…")` and `.route("…", …)` name
    /// the path that the `web::get()` (…) inside them route.
    fn mounted(source: &str) -> BTreeSet<Operation> {
        struct Frame {
            scope: bool,
            path: String,
            depth: usize,
        }
        let tokens = tokens(source);
        let mut frames: Vec<Frame> = Vec::new();
        let mut depth = 0usize;
        let mut routes = BTreeSet::new();
        for (index, token) in tokens.iter().enumerate() {
            match token {
                Token::Open => depth += 1,
                Token::Close => {
                    depth = depth.saturating_sub(1);
                    while frames.last().is_some_and(|frame| frame.depth > depth) {
                        frames.pop();
                    }
                }
                Token::Word(word) => {
                    let name = word.rsplit("::").next().unwrap_or(word);
                    let literal = match (tokens.get(index + 1), tokens.get(index + 2)) {
                        (Some(Token::Open), Some(Token::Text(text))) => Some(text),
                        _ => None,
                    };
                    let prefix = frames
                        .iter()
                        .rev()
                        .find(|frame| frame.scope)
                        .map_or("", |frame| frame.path.as_str());
                    match (name, literal) {
                        ("scope" | "resource", Some(text)) => frames.push(Frame {
                            scope: name == "scope",
                            path: format!("{prefix}{text}"),
                            depth,
                        }),
                        ("route", Some(text)) => frames.push(Frame {
                            scope: false,
                            path: format!("{prefix}{text}"),
                            depth: depth + 1,
                        }),
                        _ if word.starts_with("web::") && METHODS.contains(&name) => {
                            let resource = frames
                                .iter()
                                .rev()
                                .find(|frame| !frame.scope)
                                .unwrap_or_else(|| panic!("{word}() outside a resource"));
                            routes.insert((name.to_uppercase(), normalized(&resource.path)));
                        }
                        _ => {}
                    }
                }
                Token::Text(_) | Token::Other => {}
            }
        }
        routes
    }

    fn document() -> Value {
        serde_json::from_str(json()).expect("the document is JSON")
    }

    fn documented(document: &Value) -> BTreeSet<Operation> {
        let paths = document["paths"].as_object().expect("paths");
        paths
            .iter()
            .flat_map(|(path, item)| {
                METHODS
                    .iter()
                    .filter(|method| item.get(**method).is_some())
                    .map(|method| (method.to_uppercase(), normalized(path)))
            })
            .collect()
    }

    #[test]
    fn the_route_reader_follows_scopes_resources_and_routes() {
        let source = r#"
            config
                .route("/healthz", web::get().to(ops::healthz)) // not "/v1/x"
                .service(
                    web::scope("/v1/a")
                        .service(
                            web::resource("/b/{id}")
                                .route(web::post().to(a::create))
                                .route(web::get().to(a::list)),
                        )
                        .service(web::resource("/c").route(web::delete().to(a::c))),
                )
                .route("/v1/d/{x}/e", web::put().to(d::put))
                .service(web::resource("/v1/f").route(web::get().to(documents::get::<X>)));
        "#;
        let operation = |method: &str, path: &str| (method.to_owned(), path.to_owned());
        let expected = BTreeSet::from([
            operation("GET", "/healthz"),
            operation("POST", "/v1/a/b/{}"),
            operation("GET", "/v1/a/b/{}"),
            operation("DELETE", "/v1/a/c"),
            operation("PUT", "/v1/d/{}/e"),
            operation("GET", "/v1/f"),
        ]);
        assert_eq!(mounted(source), expected);
    }

    #[test]
    fn the_document_is_openapi_3_1_titled_learnlog_with_basic_auth() {
        let document = document();
        assert_eq!(document["openapi"], "3.1.0");
        assert_eq!(document["info"]["title"], "learnlog");
        assert_eq!(document["info"]["version"], env!("CARGO_PKG_VERSION"));
        assert_eq!(
            document["components"]["securitySchemes"][BASIC],
            serde_json::json!({"type": "http", "scheme": "basic"})
        );
    }

    #[test]
    fn every_v1_route_mounted_in_routes_mod_rs_is_documented_and_no_other() {
        let mounted: BTreeSet<Operation> = mounted(include_str!("routes/mod.rs"))
            .into_iter()
            .filter(|(_, path)| path.starts_with("/v1/"))
            .collect();
        assert!(mounted.len() > 15, "read {mounted:?} from routes/mod.rs");
        let documented = documented(&document());
        let missing: Vec<_> = mounted.difference(&documented).collect();
        assert!(
            missing.is_empty(),
            "mounted but not in the document (annotate them and list them in ApiDoc): {missing:?}"
        );
        let unmounted: Vec<_> = documented.difference(&mounted).collect();
        assert!(
            unmounted.is_empty(),
            "documented but not mounted: {unmounted:?}"
        );
    }

    /// Every `$ref` string in `value`.
    fn references(value: &Value, found: &mut Vec<String>) {
        match value {
            Value::Object(fields) => {
                for (name, field) in fields {
                    match (name.as_str(), field) {
                        ("$ref", Value::String(target)) => found.push(target.clone()),
                        _ => references(field, found),
                    }
                }
            }
            Value::Array(items) => items.iter().for_each(|item| references(item, found)),
            _ => {}
        }
    }

    #[test]
    fn every_reference_resolves() {
        let document = document();
        let mut found = Vec::new();
        references(&document, &mut found);
        assert!(!found.is_empty());
        for target in found {
            let pointer = target
                .strip_prefix('#')
                .unwrap_or_else(|| panic!("{target} is not local"));
            assert!(
                document.pointer(pointer).is_some(),
                "{target} names nothing (list the type in components(schemas(...)))"
            );
        }
    }

    #[test]
    fn operation_ids_are_unique() {
        let document = document();
        let mut seen = BTreeSet::new();
        for item in document["paths"].as_object().expect("paths").values() {
            for operation in item.as_object().expect("a path item").values() {
                let id = operation["operationId"].as_str().expect("an operationId");
                assert!(
                    seen.insert(id.to_owned()),
                    "operationId {id} is given twice"
                );
            }
        }
    }

    #[test]
    fn every_operation_but_the_document_needs_basic_credentials_and_says_401() {
        let document = document();
        for (path, item) in document["paths"].as_object().expect("paths") {
            for (method, operation) in item.as_object().expect("a path item") {
                let name = format!("{method} {path}");
                if path == "/v1/openapi.json" {
                    assert!(operation.get("security").is_none(), "{name}");
                    continue;
                }
                assert_eq!(
                    operation["security"],
                    serde_json::json!([{BASIC: []}]),
                    "{name}"
                );
                assert!(
                    operation["responses"].get("401").is_some(),
                    "{name} does not document 401"
                );
            }
        }
    }
}
