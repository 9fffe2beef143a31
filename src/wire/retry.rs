//! Retries as the AWS SDKs make them (standard mode, smithy-rs
//! `aws-smithy-runtime` and botocore): which answers are retried, how long
//! to wait before the next attempt, and the retry quota that stops a client
//! from drowning a struggling endpoint in retries.
//!
//! - Throttling: the SDKs' list of throttling codes (`aws-runtime`'s
//!   `THROTTLING_ERRORS`) and any HTTP 429. Refused before any work, so
//!   always safe to send again.
//! - Transient: HTTP 500, 502, 503 and 504, the codes `RequestTimeout` and
//!   `RequestTimeoutException`, and a reset connection or no answer in
//!   time (a refused connection is not: nothing listens there). The request may have been processed.
//! - Backoff: full jitter, `rand(0..1) * min(1 s * 2^(retry - 1), 20 s)`.
//! - Quota: a bucket of 500 tokens shared by the client; a retry takes 5
//!   (10 after a timeout), a success gives back what its retries took, or
//!   1 when it needed none. An empty bucket ends retrying: the last answer
//!   stands.

use std::sync::Mutex;
use std::time::Duration;

use rand::Rng;

use super::fault::Fault;
use super::response::Received;

/// The SDKs' standard mode: 3 attempts in all.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 3;
pub(super) const INITIAL_BACKOFF: Duration = Duration::from_secs(1);
pub(super) const MAX_BACKOFF: Duration = Duration::from_secs(20);

/// Error codes the AWS SDKs treat as throttling (`aws-runtime` 1.x).
pub const THROTTLING_CODES: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "TransactionInProgressException",
    "RequestLimitExceeded",
    "BandwidthLimitExceeded",
    "LimitExceededException",
    "RequestThrottled",
    "SlowDown",
    "PriorRequestNotComplete",
    "EC2ThrottledException",
];

/// Error codes the SDKs treat as transient whatever the status.
const TRANSIENT_CODES: &[&str] = &["RequestTimeout", "RequestTimeoutException"];
const TRANSIENT_STATUSES: &[u16] = &[500, 502, 503, 504];

const QUOTA_CAPACITY: u32 = 500;
const RETRY_COST: u32 = 5;
const TIMEOUT_RETRY_COST: u32 = 10;
const NO_RETRY_REWARD: u32 = 1;

/// Why an answer may be retried.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Retryable {
    /// Refused for rate before any work.
    Throttled,
    /// A 5xx, or the answer never came complete: the request may have been
    /// processed.
    Transient,
}

/// Whether `outcome` is one the SDKs retry, and why.
pub fn classify(outcome: &Received) -> Option<Retryable> {
    match &outcome.result {
        Ok(response) => {
            let code = response.error_code.as_deref();
            if response.status == 429 || code.is_some_and(|c| THROTTLING_CODES.contains(&c)) {
                Some(Retryable::Throttled)
            } else if TRANSIENT_STATUSES.contains(&response.status)
                || code.is_some_and(|c| TRANSIENT_CODES.contains(&c))
            {
                Some(Retryable::Transient)
            } else {
                None
            }
        }
        // A refused connection is not retried: nothing listens, and waiting
        // will not change that within a run.
        Err(Fault::Timeout | Fault::Reset(_)) => Some(Retryable::Transient),
        Err(_) => None,
    }
}

/// True when `outcome` is a throttling answer: the request was refused for
/// rate, and so judged nothing.
pub fn is_throttled(outcome: &Received) -> bool {
    classify(outcome) == Some(Retryable::Throttled)
}

/// How many attempts and how far apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, at least 1 (`--retries N` is `N + 1`).
    pub max_attempts: u32,
    /// Attempts in all while the answers are throttling (at least
    /// `max_attempts`): more for cleanup, where a throttled delete that gives
    /// up leaves a resource behind, and throttling did no work to repeat.
    pub throttled_attempts: u32,
    pub initial_backoff: Duration,
    pub max_backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: DEFAULT_MAX_ATTEMPTS,
            throttled_attempts: DEFAULT_MAX_ATTEMPTS,
            initial_backoff: INITIAL_BACKOFF,
            max_backoff: MAX_BACKOFF,
        }
    }
}

impl RetryPolicy {
    /// `retries` retries after the first attempt.
    pub fn with_retries(retries: u32) -> RetryPolicy {
        let attempts = retries.saturating_add(1);
        RetryPolicy {
            max_attempts: attempts,
            throttled_attempts: attempts,
            ..RetryPolicy::default()
        }
    }

    /// Attempts in all after answers like `retryable`.
    pub fn attempts_for(&self, retryable: Retryable) -> u32 {
        match retryable {
            Retryable::Throttled => self.throttled_attempts.max(self.max_attempts),
            Retryable::Transient => self.max_attempts,
        }
    }

    /// The ceiling of the wait before retry `retry` (1 for the first).
    pub fn backoff_ceiling(&self, retry: u32) -> Duration {
        let factor = 2u32
            .checked_pow(retry.saturating_sub(1))
            .unwrap_or(u32::MAX);
        self.initial_backoff
            .checked_mul(factor)
            .unwrap_or(self.max_backoff)
            .min(self.max_backoff)
    }

    /// The wait before retry `retry`, with full jitter.
    pub fn backoff(&self, retry: u32) -> Duration {
        self.backoff_ceiling(retry)
            .mul_f64(rand::rng().random_range(0.0..1.0))
    }
}

/// The retry quota shared by a client's requests.
#[derive(Debug)]
pub(super) struct RetryQuota {
    tokens: Mutex<u32>,
}

impl Default for RetryQuota {
    fn default() -> Self {
        RetryQuota {
            tokens: Mutex::new(QUOTA_CAPACITY),
        }
    }
}

impl RetryQuota {
    /// Takes the cost of retrying after `outcome`; `None` when the bucket is
    /// too low (no retry), else what was taken.
    pub(super) fn take(&self, outcome: &Received) -> Option<u32> {
        let cost = if matches!(outcome.result, Err(Fault::Timeout)) {
            TIMEOUT_RETRY_COST
        } else {
            RETRY_COST
        };
        let mut tokens = self.tokens.lock().unwrap_or_else(|p| p.into_inner());
        (*tokens >= cost).then(|| {
            *tokens -= cost;
            cost
        })
    }

    /// A request ended well after its retries took `spent` tokens.
    pub(super) fn reward(&self, spent: u32) {
        let mut tokens = self.tokens.lock().unwrap_or_else(|p| p.into_inner());
        let back = if spent == 0 { NO_RETRY_REWARD } else { spent };
        *tokens = (*tokens + back).min(QUOTA_CAPACITY);
    }

    #[cfg(test)]
    fn remaining(&self) -> u32 {
        *self.tokens.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// One attempt that was retried: what came back and how long the client
/// waited before sending again.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Attempt {
    pub status: Option<u16>,
    pub error_code: Option<String>,
    /// The fault instead of an answer, in words.
    pub fault: Option<String>,
    pub retryable: Retryable,
    #[serde(serialize_with = "as_millis")]
    pub latency: Duration,
    #[serde(serialize_with = "as_millis")]
    pub backoff: Duration,
}

impl Attempt {
    pub fn of(outcome: &Received, retryable: Retryable, backoff: Duration) -> Attempt {
        Attempt {
            status: outcome.status(),
            error_code: outcome.error_code().map(str::to_string),
            fault: outcome.fault().map(ToString::to_string),
            retryable,
            latency: outcome.latency,
            backoff,
        }
    }

    /// `503 ServiceUnavailableException` or `timeout: ...`, for reports.
    pub fn summary(&self) -> String {
        match (&self.fault, self.status, &self.error_code) {
            (Some(fault), _, _) => fault.clone(),
            (None, Some(status), Some(code)) => format!("{status} {code}"),
            (None, Some(status), None) => format!("HTTP {status}"),
            (None, None, _) => "no answer".into(),
        }
    }
}

fn as_millis<S: serde::Serializer>(duration: &Duration, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_u64(duration.as_millis() as u64)
}

/// What a request went through: its final outcome and the attempts retried
/// before it (empty when the first attempt stood).
#[derive(Clone, Debug)]
pub struct Exchange {
    pub outcome: Received,
    pub retried: Vec<Attempt>,
    /// The last answer was retryable but the attempts or the quota ran out.
    pub exhausted: Option<Retryable>,
}

impl Exchange {
    /// The final answer is throttling that outlasted the retries: the
    /// request was never processed, so it judged nothing.
    pub fn throttled_through(&self) -> bool {
        self.exhausted == Some(Retryable::Throttled)
    }

    /// An attempt before the final one may have been processed: it failed
    /// in a way that does not rule out the endpoint having done the work.
    pub fn maybe_processed_before(&self) -> bool {
        self.retried
            .iter()
            .any(|a| a.retryable == Retryable::Transient)
    }

    /// The request succeeded (or got its answer) only after a transient
    /// fault: it passed, but flakily.
    pub fn flaky(&self) -> bool {
        self.exhausted.is_none() && self.maybe_processed_before()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::parse_response;

    fn answer(status: u16, code: &str) -> Received {
        let body = format!(r#"{{"__type":"{code}","message":"m"}}"#).into_bytes();
        Received {
            latency: Duration::ZERO,
            result: Ok(parse_response(status, &http::HeaderMap::new(), body)),
        }
    }

    #[test]
    fn throttling_codes_and_429_are_throttled_whatever_the_status() {
        assert_eq!(
            classify(&answer(400, "ThrottlingException")),
            Some(Retryable::Throttled)
        );
        assert_eq!(
            classify(&answer(429, "Anything")),
            Some(Retryable::Throttled)
        );
        assert_eq!(
            classify(&answer(400, "com.amazonaws.x#SlowDown")),
            Some(Retryable::Throttled)
        );
        assert_eq!(
            classify(&answer(400, "ChannelAlreadyExistsException")),
            None
        );
        assert_eq!(classify(&answer(404, "ChannelNotFoundException")), None);
    }

    #[test]
    fn server_faults_and_lost_answers_are_transient() {
        for status in [500, 502, 503, 504] {
            assert_eq!(
                classify(&answer(status, "InternalFailure")),
                Some(Retryable::Transient)
            );
        }
        assert_eq!(classify(&answer(501, "NotImplemented")), None);
        let timeout = Received {
            latency: Duration::ZERO,
            result: Err(Fault::Timeout),
        };
        assert_eq!(classify(&timeout), Some(Retryable::Transient));
        let not_http = Received {
            latency: Duration::ZERO,
            result: Err(Fault::NotHttp("x".into())),
        };
        assert_eq!(classify(&not_http), None);
    }

    #[test]
    fn backoff_doubles_from_one_second_up_to_twenty() {
        let policy = RetryPolicy::default();
        let ceilings: Vec<u64> = (1..=7)
            .map(|retry| policy.backoff_ceiling(retry).as_secs())
            .collect();
        assert_eq!(ceilings, [1, 2, 4, 8, 16, 20, 20]);
        assert_eq!(policy.backoff_ceiling(64), MAX_BACKOFF);
        for retry in 1..10 {
            assert!(policy.backoff(retry) <= policy.backoff_ceiling(retry));
        }
    }

    #[test]
    fn retries_zero_is_one_attempt() {
        assert_eq!(RetryPolicy::with_retries(0).max_attempts, 1);
        assert_eq!(RetryPolicy::default().max_attempts, 3);
    }

    #[test]
    fn the_quota_runs_dry_and_refills_on_success() {
        let quota = RetryQuota::default();
        let throttled = answer(429, "ThrottlingException");
        let taken: Vec<_> = std::iter::from_fn(|| quota.take(&throttled)).collect();
        assert_eq!(taken.len(), 100);
        assert_eq!(quota.remaining(), 0);
        quota.reward(5);
        assert_eq!(quota.take(&throttled), Some(5));
        quota.reward(0);
        assert_eq!(quota.remaining(), 1);
    }
}
