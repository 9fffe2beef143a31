//! Chaos mode: the emulator pushing back as a loaded Region does (contract
//! section 8), so that clients and pipelines (ctconform's own included) can
//! be tried against throttling, transient server faults and latency. A
//! layer around the emulator: it decides nothing about the contract's
//! rules, and with no chaos configured it is not installed at all.
//!
//! In order, for each request:
//! 1. latency: the answer waits this long (throttled and failed ones too);
//! 2. throttling: a token bucket of `rate` per second (holding one second's
//!    worth) answers `ThrottlingException` before doing any work, with HTTP
//!    400 and 429 alternately (the contract allows both);
//! 3. faults: every Nth request that got past the bucket is answered with a
//!    server fault, before any work by default, or after the work is done
//!    (`after_work`: the answer is lost, the change is kept, as a 5xx from a
//!    real service may be).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::Response;
use axum::Router;
use tokio::time::Instant;

/// What chaos to make.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ChaosConfig {
    /// Requests per second before `ThrottlingException`.
    pub throttle: Option<f64>,
    /// Every Nth request (past the throttle) gets a server fault.
    pub fail_every: Option<u64>,
    /// The fault's status: 503 `ServiceUnavailableException` or 500
    /// `InternalFailure`.
    pub fail_status: u16,
    /// The faulted request is processed first, its answer then lost.
    pub fail_after_work: bool,
    /// Added to every answer.
    pub latency: Duration,
}

impl ChaosConfig {
    /// True when it would change nothing.
    pub fn is_calm(&self) -> bool {
        self.throttle.is_none() && self.fail_every.is_none() && self.latency.is_zero()
    }
}

/// What the layer has done so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ChaosCounts {
    pub requests: u64,
    pub throttled: u64,
    pub failed: u64,
}

/// The chaos layer's state, shared by every listener of one emulator.
#[derive(Debug)]
pub struct Chaos {
    config: ChaosConfig,
    bucket: Mutex<(f64, Instant)>,
    requests: AtomicU64,
    passed: AtomicU64,
    throttled: AtomicU64,
    failed: AtomicU64,
}

impl Chaos {
    pub fn new(config: ChaosConfig) -> Chaos {
        let tokens = config.throttle.unwrap_or(0.0).max(1.0);
        Chaos {
            config,
            bucket: Mutex::new((tokens, Instant::now())),
            requests: AtomicU64::new(0),
            passed: AtomicU64::new(0),
            throttled: AtomicU64::new(0),
            failed: AtomicU64::new(0),
        }
    }

    pub fn counts(&self) -> ChaosCounts {
        ChaosCounts {
            requests: self.requests.load(Ordering::Relaxed),
            throttled: self.throttled.load(Ordering::Relaxed),
            failed: self.failed.load(Ordering::Relaxed),
        }
    }

    /// Takes a token from the bucket; false when it is empty.
    fn admit(&self) -> bool {
        self.admit_at(Instant::now())
    }

    fn admit_at(&self, now: Instant) -> bool {
        let Some(rate) = self.config.throttle else {
            return true;
        };
        let mut bucket = self.bucket.lock().unwrap_or_else(|p| p.into_inner());
        let (tokens, last) = &mut *bucket;
        let elapsed = now.saturating_duration_since(*last).as_secs_f64();
        *tokens = (*tokens + elapsed * rate).min(rate.max(1.0));
        *last = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            true
        } else {
            false
        }
    }

    /// Whether this request (past the bucket) draws a fault.
    fn draws_fault(&self) -> bool {
        let Some(every) = self.config.fail_every.filter(|n| *n > 0) else {
            return false;
        };
        (self.passed.fetch_add(1, Ordering::Relaxed) + 1) % every == 0
    }

    fn throttling(&self) -> Response {
        let n = self.throttled.fetch_add(1, Ordering::Relaxed);
        let status = if n % 2 == 0 {
            StatusCode::BAD_REQUEST
        } else {
            StatusCode::TOO_MANY_REQUESTS
        };
        super::error_response(status, "ThrottlingException", "Rate exceeded")
    }

    fn fault(&self) -> Response {
        self.failed.fetch_add(1, Ordering::Relaxed);
        if self.config.fail_status == 500 {
            super::error_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                "InternalFailure",
                "The request processing has failed because of an unknown error (chaos mode).",
            )
        } else {
            super::error_response(
                StatusCode::SERVICE_UNAVAILABLE,
                "ServiceUnavailableException",
                "The service is unavailable (chaos mode).",
            )
        }
    }
}

/// `router` with the chaos layer, when there is chaos to make.
pub(super) fn layer<S: Clone + Send + Sync + 'static>(
    router: Router<S>,
    chaos: Option<Arc<Chaos>>,
) -> Router<S> {
    match chaos {
        Some(chaos) => router.layer(axum::middleware::from_fn_with_state(chaos, misbehave)),
        None => router,
    }
}

async fn misbehave(State(chaos): State<Arc<Chaos>>, request: Request, next: Next) -> Response {
    chaos.requests.fetch_add(1, Ordering::Relaxed);
    if !chaos.config.latency.is_zero() {
        tokio::time::sleep(chaos.config.latency).await;
    }
    if !chaos.admit() {
        return chaos.throttling();
    }
    if !chaos.draws_fault() {
        return next.run(request).await;
    }
    if chaos.config.fail_after_work {
        drop(next.run(request).await);
    }
    chaos.fault()
}

/// Parses `25/s` (or `25`): requests per second.
pub fn parse_rate(text: &str) -> Result<f64, NotARate> {
    let number = text.trim().strip_suffix("/s").unwrap_or(text.trim());
    match number.parse::<f64>() {
        Ok(rate) if rate.is_finite() && rate > 0.0 => Ok(rate),
        _ => Err(NotARate(text.to_string())),
    }
}

/// A throttling rate that does not parse, as given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotARate(pub String);

impl std::fmt::Display for NotARate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:?} is not a rate: write requests per second, as 25/s",
            self.0
        )
    }
}

impl std::error::Error for NotARate {}

/// The `__type` of a JSON error body.
#[cfg(test)]
fn body_code(body: &[u8]) -> Option<String> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    value.get("__type")?.as_str().map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_read_with_or_without_per_second() {
        assert_eq!(parse_rate("25/s"), Ok(25.0));
        assert_eq!(parse_rate("0.5"), Ok(0.5));
        assert!(parse_rate("0/s").is_err());
        assert!(parse_rate("fast").is_err());
    }

    #[test]
    fn the_bucket_holds_one_second_and_refills_at_its_rate() {
        let chaos = Chaos::new(ChaosConfig {
            throttle: Some(5.0),
            ..ChaosConfig::default()
        });
        let start = chaos.bucket.lock().unwrap().1;
        let admitted = (0..10).filter(|_| chaos.admit_at(start)).count();
        assert_eq!(admitted, 5);
        let later = start + Duration::from_millis(400);
        let admitted = (0..10).filter(|_| chaos.admit_at(later)).count();
        assert_eq!(admitted, 2);
    }

    #[tokio::test]
    async fn throttling_alternates_400_and_429() {
        let chaos = Chaos::new(ChaosConfig::default());
        let statuses: Vec<u16> = (0..4)
            .map(|_| chaos.throttling().status().as_u16())
            .collect();
        assert_eq!(statuses, [400, 429, 400, 429]);
        let body = axum::body::to_bytes(chaos.throttling().into_body(), 1024)
            .await
            .unwrap();
        assert_eq!(body_code(&body).as_deref(), Some("ThrottlingException"));
    }

    #[test]
    fn every_nth_request_draws_a_fault() {
        let chaos = Chaos::new(ChaosConfig {
            fail_every: Some(3),
            ..ChaosConfig::default()
        });
        let drawn: Vec<bool> = (0..6).map(|_| chaos.draws_fault()).collect();
        assert_eq!(drawn, [false, false, true, false, false, true]);
    }
}
