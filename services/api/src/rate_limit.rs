//! Per-credential rate limits: a GCRA limiter (`governor`) keyed by the key of the
//! credential a request authenticated with. It is asked only after authentication, so
//! a client cannot spend another credential's allowance by naming its key, and
//! requests that fail authentication are not counted against anyone. A refused request
//! answers 429 with `Retry-After` before its handler runs: nothing of it is stored.
//!
//! Each process keeps its own counts (in the api/projector deployment, each projector
//! limits what reaches it). Keys are bounded by the number of credentials.

use crate::error::ApiError;
use crate::metrics;
use governor::clock::Clock;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::num::NonZeroU32;
use std::sync::Arc;

/// Requests per second and burst allowed to each credential, or none.
#[derive(Clone)]
pub struct CredentialRateLimits {
    limiter: Option<Arc<DefaultKeyedRateLimiter<String>>>,
}

impl CredentialRateLimits {
    /// `per_second` requests a second sustained, `burst` at once after a quiet
    /// spell; `per_second` 0 turns the limits off. A `burst` of 0 counts as 1.
    pub fn new(per_second: u32, burst: u32) -> Self {
        let limiter = NonZeroU32::new(per_second).map(|rate| {
            let burst = NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN);
            Arc::new(RateLimiter::keyed(
                Quota::per_second(rate).allow_burst(burst),
            ))
        });
        Self { limiter }
    }

    /// Counts one request of the credential `key`: `Ok`, or 429 with the whole
    /// seconds until the next one is allowed (at least 1).
    pub fn check(&self, key: &str) -> Result<(), ApiError> {
        self.seconds_to_wait(key).map_err(|retry_after_seconds| {
            metrics::RATE_LIMITED_REQUESTS.inc();
            ApiError::TooManyRequests {
                retry_after_seconds,
            }
        })
    }

    /// Counts one event of `key`: `Ok`, or the whole seconds until the next one is
    /// allowed (at least 1).
    pub(crate) fn seconds_to_wait(&self, key: &str) -> Result<(), u64> {
        let Some(limiter) = &self.limiter else {
            return Ok(());
        };
        limiter.check_key(&key.to_owned()).map_err(|not_until| {
            let wait = not_until.wait_time_from(limiter.clock().now());
            wait.as_nanos().div_ceil(1_000_000_000).max(1) as u64
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_credential_past_its_burst_is_refused_with_whole_seconds_to_wait() {
        let limits = CredentialRateLimits::new(1, 2);
        assert!(limits.check("a").is_ok());
        assert!(limits.check("a").is_ok());
        match limits.check("a") {
            Err(ApiError::TooManyRequests {
                retry_after_seconds,
            }) => assert_eq!(retry_after_seconds, 1),
            other => panic!("not 429: {other:?}"),
        }
        // Another credential has its own allowance.
        assert!(limits.check("b").is_ok());
    }

    #[test]
    fn a_rate_of_zero_is_no_limit() {
        let limits = CredentialRateLimits::new(0, 0);
        assert!((0..10_000).all(|_| limits.check("a").is_ok()));
    }
}
