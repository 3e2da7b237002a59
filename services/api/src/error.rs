//! Every error the API answers with, and its one mapping to an HTTP status.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

/// The body of every error answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// The status's reason phrase, e.g. `Bad Request`.
    pub error: String,
    /// What went wrong, naming the field and the rule.
    pub message: String,
    /// On a 503 to a statement write whose storing was not confirmed: the id of every
    /// statement of the request, in order, including those the LRS assigned.
    /// Resubmitting the statements with these ids is safe: an equivalent statement is
    /// never stored twice.
    #[serde(rename = "statementIds", skip_serializing_if = "Vec::is_empty")]
    pub statement_ids: Vec<String>,
}

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
    /// 413 for a limit other than the body's size; the message names the limit.
    #[error("{0}")]
    TooLarge(String),
    #[error("request headers exceed {limit} bytes (the limit --max-header-bytes)")]
    HeadersTooLarge { limit: usize },
    #[error(
        "the credential's rate limit is exceeded (--rate-limit-per-second, \
         --rate-limit-burst); retry after {retry_after_seconds} s"
    )]
    TooManyRequests { retry_after_seconds: u64 },
    #[error(
        "too many secrets tried for this key that need the slow hash (Argon2id, at most \
         {per_second} a second per key); retry after {retry_after_seconds} s"
    )]
    TooManySlowVerifications {
        per_second: u32,
        retry_after_seconds: u64,
    },
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error(
        "the data directory's filesystem has {free_bytes} bytes free, below \
         --min-free-disk-bytes ({min_free_bytes}): writes are refused until space is \
         freed; reads go on"
    )]
    InsufficientStorage {
        free_bytes: u64,
        min_free_bytes: u64,
    },
    #[error("the log is unavailable: {0}")]
    LogUnavailable(String),
    #[error("the projection did not catch up in time: {0}")]
    NotCaughtUp(String),
    /// 503 to a statement write whose statements may be stored: the append or the
    /// store's outcome did not answer in time. Carries every id of the request.
    #[error(
        "storing the statements was not confirmed ({cause}); they may be stored: \
         resubmit them with the ids in statementIds, which stores none of them twice"
    )]
    Unconfirmed { ids: Vec<Uuid>, cause: String },
    #[error("partition {0} is not owned by this process; ask its owner")]
    NotOwner(u32),
    /// 501: this deployment cannot do what was asked; the message says why.
    #[error("{0}")]
    NotImplemented(String),
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    /// A key store failure while sealing or erasing `what`: 503 when the other
    /// processes' key topic could not be written (nothing was appended, so a retry is
    /// safe), 500 otherwise.
    pub fn sealing(what: &str, error: learnlog_keys::Error) -> Self {
        match error {
            learnlog_keys::Error::Replication(_) => {
                ApiError::LogUnavailable(format!("{what}: {error}"))
            }
            other => ApiError::Internal(format!("{what}: {other}")),
        }
    }
}

impl From<learnlog_xapi::ValidationError> for ApiError {
    fn from(error: learnlog_xapi::ValidationError) -> Self {
        ApiError::BadRequest(error.to_string())
    }
}

impl From<learnlog_xapi::JsonLimitExceeded> for ApiError {
    /// Too deep is a malformed request (400); too long a string is content larger than
    /// accepted (413). The message names the flag that sets the limit.
    fn from(exceeded: learnlog_xapi::JsonLimitExceeded) -> Self {
        use learnlog_xapi::JsonLimitExceeded as Exceeded;
        match exceeded {
            Exceeded::Depth { .. } => {
                ApiError::BadRequest(format!("body: {exceeded} (the limit --max-json-depth)"))
            }
            Exceeded::StringLength { .. } => ApiError::TooLarge(format!(
                "body: {exceeded} (the limit --max-json-string-bytes)"
            )),
        }
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
            learnlog_projection::Error::Log(error) => error.into(),
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl From<learnlog_log::Error> for ApiError {
    /// "Try again later" (503 with `Retry-After`) for everything that means the log cannot
    /// be reached or written right now: Kafka not answering within its bound, the log
    /// closing, a stopped embedded writer, an I/O failure. A record too large for the log
    /// is the client's (413). Anything else means the log and this process disagree
    /// (an unknown topic, a damaged file, a refusal by Kafka), which retrying will not fix
    /// (500, logged).
    fn from(error: learnlog_log::Error) -> Self {
        use learnlog_log::Error as Log;
        match error {
            // Its message already says "the log is unavailable".
            Log::Unavailable { context, reason } => {
                ApiError::LogUnavailable(format!("{context}: {reason}"))
            }
            Log::Closed | Log::WriterFailed(_) | Log::Io { .. } | Log::Locked(_) => {
                ApiError::LogUnavailable(error.to_string())
            }
            Log::RecordTooLarge { max, .. } => ApiError::PayloadTooLarge { limit: max },
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl From<learnlog_fitting::Error> for ApiError {
    /// 409 while the tenant has no evidence to fit on; the log's and the projection's
    /// errors as they answer everywhere; a failed fitting task is internal (500).
    fn from(error: learnlog_fitting::Error) -> Self {
        use learnlog_fitting::Error as Fit;
        match error {
            Fit::NoEvidence => ApiError::Conflict(error.to_string()),
            Fit::Log(error) => error.into(),
            Fit::Projection(error) => error.into(),
            Fit::Task(_) => ApiError::Internal(error.to_string()),
        }
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
            ApiError::PayloadTooLarge { .. } | ApiError::TooLarge(_) => {
                StatusCode::PAYLOAD_TOO_LARGE
            }
            ApiError::HeadersTooLarge { .. } => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            ApiError::TooManyRequests { .. } | ApiError::TooManySlowVerifications { .. } => {
                StatusCode::TOO_MANY_REQUESTS
            }
            ApiError::UnsupportedMediaType(_) => StatusCode::BAD_REQUEST,
            ApiError::LogUnavailable(_)
            | ApiError::NotCaughtUp(_)
            | ApiError::Unconfirmed { .. } => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::InsufficientStorage { .. } => StatusCode::INSUFFICIENT_STORAGE,
            ApiError::NotOwner(_) => StatusCode::MISDIRECTED_REQUEST,
            ApiError::NotImplemented(_) => StatusCode::NOT_IMPLEMENTED,
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
            ApiError::LogUnavailable(_)
            | ApiError::NotCaughtUp(_)
            | ApiError::Unconfirmed { .. } => {
                response.insert_header((header::RETRY_AFTER, "1"));
            }
            ApiError::TooManyRequests {
                retry_after_seconds,
            }
            | ApiError::TooManySlowVerifications {
                retry_after_seconds,
                ..
            } => {
                response.insert_header((header::RETRY_AFTER, retry_after_seconds.to_string()));
            }
            ApiError::NotOwner(partition) => {
                response.insert_header((crate::ownership::PARTITION_HEADER, partition.to_string()));
            }
            _ => {}
        }
        response.json(ErrorBody {
            error: self
                .status_code()
                .canonical_reason()
                .unwrap_or("error")
                .to_owned(),
            message: self.to_string(),
            statement_ids: match self {
                ApiError::Unconfirmed { ids, .. } => ids.iter().map(Uuid::to_string).collect(),
                _ => Vec::new(),
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(error: ApiError) -> HttpResponse {
        error.error_response()
    }

    #[test]
    fn an_unreachable_log_answers_503_with_retry_after() {
        let unavailable = learnlog_log::Error::Unavailable {
            context: "appending to statements".into(),
            reason: "no answer from the cluster within 5000 ms".into(),
        };
        let timed_out = learnlog_projection::Error::Log(learnlog_log::Error::Unavailable {
            context: "reading the high watermark of statements/0".into(),
            reason: "Local: Timed out".into(),
        });
        let not_folded = learnlog_projection::Error::Timeout {
            topic: "statements".into(),
            partition: 0,
            offset: 7,
        };
        for error in [
            ApiError::from(unavailable),
            ApiError::from(timed_out),
            ApiError::from(not_folded),
            ApiError::from(learnlog_log::Error::Closed),
        ] {
            let response = answer(error);
            assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
            assert_eq!(response.headers().get(header::RETRY_AFTER).unwrap(), "1");
        }
    }

    #[test]
    fn log_errors_that_retrying_will_not_fix_are_not_503() {
        let too_large = ApiError::from(learnlog_log::Error::RecordTooLarge {
            size: 2_000_000,
            max: 1_000_000,
        });
        assert_eq!(answer(too_large).status(), StatusCode::PAYLOAD_TOO_LARGE);
        let refused = ApiError::from(learnlog_log::Error::Kafka {
            context: "creating statements".into(),
            reason: "invalid replication factor".into(),
        });
        let response = answer(refused);
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(!response.headers().contains_key(header::RETRY_AFTER));
    }

    #[test]
    fn a_fit_without_evidence_is_a_conflict_and_a_fold_timeout_is_503() {
        let no_evidence = ApiError::from(learnlog_fitting::Error::NoEvidence);
        assert_eq!(
            no_evidence.to_string(),
            "no evidence to fit on: no scored statements on aligned activities yet"
        );
        assert_eq!(answer(no_evidence).status(), StatusCode::CONFLICT);
        let not_folded = learnlog_fitting::Error::Projection(learnlog_projection::Error::Timeout {
            topic: "learner-events".into(),
            partition: 2,
            offset: 40,
        });
        let response = answer(ApiError::from(not_folded));
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(response.headers().get(header::RETRY_AFTER).unwrap(), "1");
    }
}
