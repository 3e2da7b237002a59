//! Limits checked on a request's head before any handler runs: the size of the head
//! (431) and a declared `Content-Length` above the body limit (413, before the body is
//! read). Both answer the API's JSON error body; handlers check the body's actual size
//! again, for bodies sent without a length.
//!
//! actix-http refuses a head above 128 KiB (or with more than 96 headers) on its own,
//! with 431 and a plain-text body; this limit is the operator's, below that.

use crate::error::ApiError;
use crate::state::AppState;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{web, ResponseError};

/// Bytes of the request head as sent on HTTP/1.1: the request line (`METHOD target
/// HTTP/1.1\r\n`), each header line (`name: value\r\n`) and the blank line ending them.
fn head_bytes(request: &ServiceRequest) -> usize {
    let target = request.uri();
    let target = target
        .path_and_query()
        .map_or(target.path().len(), |pq| pq.as_str().len());
    let request_line = request.method().as_str().len() + target + 12;
    let headers: usize = (request.headers().iter())
        .map(|(name, value)| name.as_str().len() + value.len() + 4)
        .sum();
    request_line + headers + 2
}

/// A declared `Content-Length`, when it parses.
fn declared_length(request: &ServiceRequest) -> Option<u64> {
    request
        .headers()
        .get(header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// Refuses a request whose head exceeds `max_header_bytes` (431) or whose declared
/// body exceeds `max_body_bytes` (413).
pub async fn request_limits(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let limits = request
        .app_data::<web::Data<AppState>>()
        .map(|state| state.limits.clone());
    if let Some(limits) = limits {
        let refusal = if head_bytes(&request) > limits.max_header_bytes {
            Some(ApiError::HeadersTooLarge {
                limit: limits.max_header_bytes,
            })
        } else if declared_length(&request)
            .is_some_and(|length| length > limits.max_body_bytes as u64)
        {
            Some(ApiError::PayloadTooLarge {
                limit: limits.max_body_bytes,
            })
        } else {
            None
        };
        if let Some(refusal) = refusal {
            let response = refusal.error_response();
            return Ok(request.into_response(response).map_into_right_body());
        }
    }
    Ok(next.call(request).await?.map_into_left_body())
}
