//! HTTP Basic authentication against the credentials projection, and xAPI scopes.

use crate::error::ApiError;
use crate::state::AppState;
use actix_web::{dev::Payload, http::header, web, FromRequest, HttpRequest};
use base64::Engine;
use futures::future::{ready, Ready};
use learnlog_projector::credentials::Credential;

/// The credential a request authenticated with.
#[derive(Clone, Debug)]
pub struct Authenticated(pub Credential);

/// xAPI scopes this API checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    StatementsWrite,
    StatementsRead,
}

impl Scope {
    fn name(self) -> &'static str {
        match self {
            Scope::StatementsWrite => "statements/write",
            Scope::StatementsRead => "statements/read",
        }
    }

    /// Scopes that include this one.
    fn granted_by(self, scope: &str) -> bool {
        scope == "all"
            || scope == self.name()
            || (self == Scope::StatementsRead && scope == "all/read")
    }
}

impl Authenticated {
    /// Fails with 403 unless the credential has `scope`.
    pub fn require(&self, scope: Scope) -> Result<(), ApiError> {
        if self
            .0
            .scopes
            .iter()
            .any(|granted| scope.granted_by(granted))
        {
            Ok(())
        } else {
            Err(ApiError::Forbidden(scope.name()))
        }
    }

    /// The tenant every read and write of this request is scoped to.
    pub fn tenant(&self) -> &str {
        &self.0.tenant
    }
}

fn authenticate(request: &HttpRequest) -> Result<Authenticated, ApiError> {
    let state = request
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| ApiError::Internal("application state missing".into()))?;
    let value = request
        .headers()
        .get(header::AUTHORIZATION)
        .ok_or_else(|| ApiError::Unauthorized("no Authorization header".into()))?
        .to_str()
        .map_err(|_| ApiError::Unauthorized("Authorization header is not ASCII".into()))?;
    let encoded = value
        .strip_prefix("Basic ")
        .ok_or_else(|| ApiError::Unauthorized("Authorization must use the Basic scheme".into()))?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .ok_or_else(|| ApiError::Unauthorized("Basic credentials are not base64 UTF-8".into()))?;
    let (key, secret) = decoded
        .split_once(':')
        .ok_or_else(|| ApiError::Unauthorized("Basic credentials need key:secret".into()))?;
    state
        .credential_reader
        .verify(key, secret)?
        .map(Authenticated)
        .ok_or_else(|| ApiError::Unauthorized("unknown key or wrong secret".into()))
}

impl FromRequest for Authenticated {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(authenticate(request))
    }
}
