//! xAPI 1.0.3 alternate request syntax (xAPI Communication §1.3 Alternate Request
//! Syntax): a `POST ?method=VERB` with an
//! `application/x-www-form-urlencoded` body becomes the request it describes before
//! routing. Header fields in the form override headers, `content` becomes the body,
//! every other field becomes a query parameter. xAPI 2.0 removed the syntax, so under
//! 2.0 `method` is an unknown parameter.

use crate::error::ApiError;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::http::{Method, Uri};
use actix_web::middleware::Next;
use actix_web::{web, ResponseError};
use learnlog_xapi::XapiVersion;

/// Form fields that act as request headers.
const HEADER_FIELDS: [&str; 6] = [
    "Authorization",
    "X-Experience-API-Version",
    "Content-Type",
    "Content-Length",
    "If-Match",
    "If-None-Match",
];

pub async fn alternate_syntax(
    mut request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let query: Vec<(String, String)> =
        serde_urlencoded::from_str(request.query_string()).unwrap_or_default();
    if !query.iter().any(|(name, _)| name == "method") {
        return Ok(next.call(request).await?.map_into_left_body());
    }
    match rewrite(&mut request, &query).await {
        Ok(()) => Ok(next.call(request).await?.map_into_left_body()),
        Err(error) => {
            let mut response = error.error_response();
            response.headers_mut().insert(
                HeaderName::from_static("x-experience-api-version"),
                HeaderValue::from_static(XapiVersion::V1_0_3.header_value()),
            );
            Ok(request.into_response(response).map_into_right_body())
        }
    }
}

/// Turns the alternate-syntax request into the request it stands for.
async fn rewrite(request: &mut ServiceRequest, query: &[(String, String)]) -> Result<(), ApiError> {
    let bad = |message: &str| ApiError::BadRequest(format!("alternate request syntax: {message}"));
    if request.method() != Method::POST {
        return Err(bad("only POST may carry the method parameter"));
    }
    if query.len() != 1 {
        return Err(bad("method must be the only query parameter"));
    }
    let method = match query[0].1.as_str() {
        "GET" => Method::GET,
        "HEAD" => Method::HEAD,
        "PUT" => Method::PUT,
        "POST" => Method::POST,
        "DELETE" => Method::DELETE,
        other => {
            return Err(bad(&format!(
                "method {other:?} is not an HTTP method xAPI uses"
            )))
        }
    };
    let form_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("application/x-www-form-urlencoded"));
    if !form_type {
        return Err(bad("the body must be application/x-www-form-urlencoded"));
    }
    let body = request
        .extract::<web::Bytes>()
        .await
        .map_err(|error| bad(&error.to_string()))?;
    let form: Vec<(String, String)> =
        serde_urlencoded::from_bytes(&body).map_err(|error| bad(&format!("form body: {error}")))?;
    if form.is_empty() {
        return Err(bad("the form body is empty"));
    }

    // The outer Content-Type describes the form, not the request it stands for.
    request.headers_mut().remove(header::CONTENT_TYPE);
    let mut content = None;
    let mut params = Vec::new();
    for (name, value) in form {
        if let Some(header) = HEADER_FIELDS.iter().find(|h| h.eq_ignore_ascii_case(&name)) {
            let name =
                HeaderName::from_bytes(header.as_bytes()).map_err(|_| bad("header field name"))?;
            let value = HeaderValue::from_str(&value)
                .map_err(|_| bad(&format!("form field {header}: not a valid header value")))?;
            request.headers_mut().insert(name, value);
        } else if name == "content" {
            content = Some(value);
        } else {
            params.push((name, value));
        }
    }
    let version = request
        .headers()
        .get("x-experience-api-version")
        .and_then(|value| value.to_str().ok())
        .and_then(XapiVersion::from_header);
    if version == Some(XapiVersion::V2_0_0) {
        return Err(ApiError::BadRequest(
            "query parameter method: not allowed here (xAPI 2.0 has no alternate syntax)".into(),
        ));
    }
    let query = serde_urlencoded::to_string(&params).map_err(|_| bad("form fields"))?;
    let path = request.path().to_owned();
    let uri = if query.is_empty() {
        path
    } else {
        format!("{path}?{query}")
    };
    request.head_mut().uri = uri
        .parse::<Uri>()
        .map_err(|_| bad("form fields make no valid URI"))?;
    request.head_mut().method = method;
    let content = content.unwrap_or_default();
    if !request.headers().contains_key(header::CONTENT_TYPE) {
        request.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
    }
    request
        .headers_mut()
        .insert(header::CONTENT_LENGTH, HeaderValue::from(content.len()));
    request.set_payload(Payload::from(web::Bytes::from(content)));
    Ok(())
}
