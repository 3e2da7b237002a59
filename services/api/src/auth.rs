//! HTTP Basic authentication against the credentials projection, the per-credential
//! rate limit that follows it, and xAPI scopes.

use crate::error::ApiError;
use crate::metrics;
use crate::state::AppState;
use actix_web::http::header::{self, HeaderMap};
use actix_web::{dev::Payload, web, FromRequest, HttpMessage, HttpRequest};
use actix_web_httpauth::headers::authorization::{Basic, Scheme as _};
use futures::future::LocalBoxFuture;
use learnlog_projector_replicated::credentials::{Credential, Verification, OPERATOR_SCOPE};
use std::collections::HashMap;
use std::hash::BuildHasher;
use std::sync::Arc;

/// The credential a request authenticated with.
#[derive(Clone, Debug)]
pub struct Authenticated(pub Credential);

/// The key of the credential a request authenticated with, put into the request's
/// extensions by the [`Authenticated`] extractor once the secret is verified: what
/// middleware running after the handler (the version memory) may trust.
#[derive(Clone, Debug)]
pub(crate) struct AuthenticatedKey(pub String);

/// xAPI scopes (xAPI 1.0.3 §4.1 "OAuth Scope"); names as in
/// [`learnlog_projector_replicated::credentials::SCOPES`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(
    dead_code,
    reason = "document and define checks use the rest as they land"
)]
pub enum Scope {
    StatementsWrite,
    StatementsRead,
    /// Statements whose authority is the credential's own.
    StatementsReadMine,
    /// Every read: statements, documents, agents, activities.
    AllRead,
    /// Everything.
    All,
    /// The State resource.
    State,
    /// The Activity and Agent Profile resources.
    Profile,
    /// (Re)defining Activities and Agents.
    Define,
    /// Managing tenants: learnlog's own, granted by no other scope (not even `all`,
    /// which is everything within one tenant).
    Operator,
}

impl Scope {
    pub fn name(self) -> &'static str {
        match self {
            Scope::StatementsWrite => "statements/write",
            Scope::StatementsRead => "statements/read",
            Scope::StatementsReadMine => "statements/read/mine",
            Scope::AllRead => "all/read",
            Scope::All => "all",
            Scope::State => "state",
            Scope::Profile => "profile",
            Scope::Define => "define",
            Scope::Operator => OPERATOR_SCOPE,
        }
    }

    /// Whether holding the scope named `scope` grants this one: `all` grants
    /// everything, `all/read` every read scope, `statements/read` also
    /// `statements/read/mine`; `operator` only by itself.
    fn granted_by(self, scope: &str) -> bool {
        if self == Scope::Operator {
            return scope == OPERATOR_SCOPE;
        }
        let reads = matches!(
            self,
            Scope::StatementsRead | Scope::StatementsReadMine | Scope::AllRead
        );
        scope == "all"
            || scope == self.name()
            || (reads && scope == "all/read")
            || (self == Scope::StatementsReadMine && scope == "statements/read")
    }
}

impl Authenticated {
    /// Fails with 403 unless the credential has `scope`.
    pub fn require(&self, scope: Scope) -> Result<(), ApiError> {
        if self.has(scope) {
            Ok(())
        } else {
            Err(ApiError::Forbidden(scope.name()))
        }
    }

    /// True when the credential has `scope`.
    pub fn has(&self, scope: Scope) -> bool {
        self.0
            .scopes
            .iter()
            .any(|granted| scope.granted_by(granted))
    }

    /// For reads of a resource guarded by `scope` (State, Profile): fails with 403
    /// unless the credential has `scope` or `all/read`.
    #[allow(dead_code, reason = "the document resources call it as they land")]
    pub fn require_read(&self, scope: Scope) -> Result<(), ApiError> {
        if self.has(Scope::AllRead) {
            return Ok(());
        }
        self.require(scope)
    }

    /// Statement reads: `Ok(false)` with `statements/read` (or broader), `Ok(true)`
    /// when only `statements/read/mine` allows them (the caller then serves only
    /// statements whose authority [`Authenticated::is_authority_of`] says are its
    /// own), 403 otherwise.
    pub fn statement_reads_limited_to_own(&self) -> Result<bool, ApiError> {
        if self.has(Scope::StatementsRead) {
            return Ok(false);
        }
        self.require(Scope::StatementsReadMine)?;
        Ok(true)
    }

    /// The authority assigned to statements stored with this credential.
    pub fn authority(&self, home_page: &str) -> serde_json::Value {
        serde_json::json!({
            "objectType": "Agent",
            "account": {"homePage": home_page, "name": self.0.key},
        })
    }

    /// True when `statement`'s authority is the one this credential is assigned.
    pub fn is_authority_of(&self, home_page: &str, statement: &serde_json::Value) -> bool {
        let own = learnlog_xapi::agent_ifi_key(&self.authority(home_page));
        statement
            .get("authority")
            .and_then(learnlog_xapi::agent_ifi_key)
            .is_some_and(|authority| Some(authority) == own)
    }

    /// The credential's key.
    pub fn key(&self) -> &str {
        &self.0.key
    }

    /// The tenant every read and write of this request is scoped to.
    pub fn tenant(&self) -> &str {
        &self.0.tenant
    }
}

/// Secrets needing the slow hash (Argon2id) that one credential key may have verified
/// a second, sustained; a burst of [`SLOW_VERIFICATIONS_BURST`]. A right secret is
/// remembered after its first verification, so only guesses (and restarts) count.
pub const SLOW_VERIFICATIONS_PER_SECOND: u32 = 5;
/// Slow verifications one key may have at once after a quiet spell.
pub const SLOW_VERIFICATIONS_BURST: u32 = 10;

/// Turns of the requests that carry the same key and secret while it needs the slow
/// hash, so that a secret arriving in many requests at once is verified (and counted)
/// once. Distinct secrets never wait for each other: each guess counts at once.
#[derive(Default)]
pub struct SameSecretTurns {
    /// Keyed by a keyed hash (random per process) of key and secret.
    turns: std::sync::Mutex<HashMap<u64, Arc<tokio::sync::Mutex<()>>>>,
    hasher: std::collections::hash_map::RandomState,
}

impl SameSecretTurns {
    fn turn(&self, key: &str, secret: &str) -> Arc<tokio::sync::Mutex<()>> {
        let id = self.hasher.hash_one((key, secret));
        let mut turns = self.turns.lock().unwrap_or_else(|p| p.into_inner());
        // forget turns nobody holds, so the map stays as small as what is in flight
        turns.retain(|_, turn| Arc::strong_count(turn) > 1);
        turns.entry(id).or_default().clone()
    }
}

/// The HTTP Basic credentials of a request's `Authorization` header, read by
/// `actix-web-httpauth`.
pub(crate) fn basic_credentials(headers: &HeaderMap) -> Result<Basic, ApiError> {
    let value = headers
        .get(header::AUTHORIZATION)
        .ok_or_else(|| ApiError::Unauthorized("no Authorization header".into()))?;
    Basic::parse(value).map_err(|error| ApiError::Unauthorized(format!("Authorization: {error}")))
}

/// Authenticates the request, then counts it against its credential's rate limit.
/// An Argon2id secret not yet verified in this process is verified on a blocking
/// thread, so the HTTP worker goes on serving meanwhile. A verified credential's key
/// goes into the request's extensions as [`AuthenticatedKey`].
pub(crate) async fn authenticate(request: HttpRequest) -> Result<Authenticated, ApiError> {
    let state = request
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| ApiError::Internal("application state missing".into()))?;
    let credentials = basic_credentials(request.headers())?;
    let key = credentials.user_id();
    let secret = credentials.password().unwrap_or_default();
    let credential = match state.credential_reader.verify_fast(key, secret)? {
        Verification::Verified(credential) => Some(credential),
        Verification::Refused => None,
        Verification::NeedsSlowHash => {
            // requests that arrive together with one secret take turns: the first
            // verifies it, the others then find it verified and count nothing
            let turn = state.same_secret_turns.turn(key, secret);
            let _turn = turn.lock().await;
            if let Verification::Verified(credential) =
                state.credential_reader.verify_fast(key, secret)?
            {
                return finish(state, &request, credential);
            }
            // guessing an operator's secret costs this process a slow hash per guess:
            // bounded per key, before any is computed
            state
                .slow_verifications
                .seconds_to_wait(key)
                .map_err(|retry_after_seconds| {
                    metrics::RATE_LIMITED_REQUESTS.inc();
                    ApiError::TooManySlowVerifications {
                        per_second: SLOW_VERIFICATIONS_PER_SECOND,
                        retry_after_seconds,
                    }
                })?;
            let reader = state.credential_reader.clone();
            let (key, secret) = (key.to_string(), secret.to_string());
            web::block(move || reader.verify(&key, &secret))
                .await
                .map_err(|error| ApiError::Internal(format!("verifying a secret: {error}")))??
        }
    };
    let credential =
        credential.ok_or_else(|| ApiError::Unauthorized("unknown key or wrong secret".into()))?;
    finish(state, &request, credential)
}

/// What follows a verified secret: the tenant's check, the key in the request's
/// extensions, the credential's rate limit.
fn finish(
    state: &AppState,
    request: &HttpRequest,
    credential: Credential,
) -> Result<Authenticated, ApiError> {
    if !state.credential_reader.tenant_enabled(&credential.tenant)? {
        return Err(ApiError::Unauthorized(format!(
            "tenant {} is disabled",
            credential.tenant
        )));
    }
    request
        .extensions_mut()
        .insert(AuthenticatedKey(credential.key.clone()));
    state.rate_limits.check(&credential.key)?;
    Ok(Authenticated(credential))
}

impl FromRequest for Authenticated {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        Box::pin(authenticate(request.clone()))
    }
}
