//! Every error the API answers with, and its one mapping to an HTTP status.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};

/// An error answered to an HTTP client. The message names the field and the rule.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    #[error("authentication required: {0}")]
    Unauthorized(String),
    #[error("the credential lacks the scope {0}")]
    Forbidden(&'static str),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    PreconditionFailed(String),
    #[error("request body exceeds {limit} bytes")]
    PayloadTooLarge { limit: usize },
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("the log is unavailable: {0}")]
    LogUnavailable(String),
    #[error("the projection did not catch up in time: {0}")]
    NotCaughtUp(String),
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<learnlog_xapi::ValidationError> for ApiError {
    fn from(error: learnlog_xapi::ValidationError) -> Self {
        ApiError::BadRequest(error.to_string())
    }
}

impl From<learnlog_projector::Error> for ApiError {
    fn from(error: learnlog_projector::Error) -> Self {
        ApiError::Internal(error.to_string())
    }
}

impl From<learnlog_projection::Error> for ApiError {
    fn from(error: learnlog_projection::Error) -> Self {
        match error {
            learnlog_projection::Error::Timeout { .. } => ApiError::NotCaughtUp(error.to_string()),
            learnlog_projection::Error::Log(error) => ApiError::LogUnavailable(error.to_string()),
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl From<learnlog_log::Error> for ApiError {
    fn from(error: learnlog_log::Error) -> Self {
        ApiError::LogUnavailable(error.to_string())
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::PreconditionFailed(_) => StatusCode::PRECONDITION_FAILED,
            ApiError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType(_) => StatusCode::BAD_REQUEST,
            ApiError::LogUnavailable(_) | ApiError::NotCaughtUp(_) => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let ApiError::Internal(message) = self {
            tracing::error!(%message, "request failed");
        }
        let mut response = HttpResponse::build(self.status_code());
        match self {
            ApiError::Unauthorized(_) => {
                response.insert_header((header::WWW_AUTHENTICATE, "Basic realm=\"learnlog\""));
            }
            ApiError::LogUnavailable(_) | ApiError::NotCaughtUp(_) => {
                response.insert_header((header::RETRY_AFTER, "1"));
            }
            _ => {}
        }
        response.json(serde_json::json!({
            "error": self.status_code().canonical_reason().unwrap_or("error"),
            "message": self.to_string(),
        }))
    }
}
