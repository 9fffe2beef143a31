//! Client-side pacing shared by every request of a client and its clones
//! (so by every job of a run): an optional fixed ceiling (`--rate`),
//! optional per-operation rates (AWS publishes CloudTrail's: Get, Describe
//! and List 10/s, every other API 1/s), and an adaptive rate modelled on the
//! AWS SDKs' adaptive retry mode (`aws-smithy-runtime`'s
//! `ClientRateLimiter`, CUBIC): off until the first throttling answer, then
//! the rate drops to 0.7 of what was being sent and climbs back along a
//! cubic curve while answers are not throttled.
//!
//! Every limit is a token bucket holding at most one second of its rate,
//! so a run starts without a burst above what the endpoint allows.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// CUBIC's multiplicative decrease and scale, as the SDKs have them.
const BETA: f64 = 0.7;
const SCALE: f64 = 0.4;
/// Never slower than this: an endpoint that throttles everything is still
/// probed now and then.
const MIN_RATE: f64 = 0.5;

/// AWS's published CloudTrail rates (requests per second, per account and
/// Region): reads are Get*, Describe* and List*; writes are every other API.
pub const AWS_READ_RATE: f64 = 10.0;
pub const AWS_WRITE_RATE: f64 = 1.0;

/// How requests are paced before they are sent.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct PacingConfig {
    /// Requests per second, all operations together; `None`: no ceiling.
    pub ceiling: Option<f64>,
    /// `(reads, writes)` per second, each operation class on its own.
    pub per_operation: Option<(f64, f64)>,
    /// Slow down when throttled, climb back when not.
    pub adaptive: bool,
}

impl PacingConfig {
    /// No ceiling; AWS's published per-operation rates for an endpoint
    /// off this machine; adaptive either way.
    pub fn for_endpoint(loopback: bool) -> PacingConfig {
        PacingConfig {
            ceiling: None,
            per_operation: (!loopback).then_some((AWS_READ_RATE, AWS_WRITE_RATE)),
            adaptive: true,
        }
    }
}

/// Per-operation pacing as asked for (`--pace`).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub enum Pace {
    /// AWS's published rates for an endpoint off this machine, none on loopback.
    #[default]
    Auto,
    Off,
    /// Reads and writes per second.
    Rates(f64, f64),
}

impl Pace {
    /// The `(reads, writes)` rates for `endpoint`.
    pub fn per_operation(self, endpoint: &str) -> Option<(f64, f64)> {
        match self {
            Pace::Auto => {
                (!super::loopback::is_loopback(endpoint)).then_some((AWS_READ_RATE, AWS_WRITE_RATE))
            }
            Pace::Off => None,
            Pace::Rates(reads, writes) => Some((reads, writes)),
        }
    }
}

/// Whether an operation is a read in AWS's published quotas.
pub fn is_read_operation(operation: &str) -> bool {
    ["Get", "Describe", "List"]
        .iter()
        .any(|prefix| operation.starts_with(prefix))
}

#[derive(Debug)]
struct Bucket {
    rate: f64,
    tokens: f64,
    last: Instant,
}

impl Bucket {
    fn new(rate: f64, now: Instant) -> Bucket {
        // Starting with one token, not a full second's worth: a run's
        // first moments stay within the rate too.
        Bucket {
            rate,
            tokens: 1.0,
            last: now,
        }
    }

    fn refill(&mut self, now: Instant) {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.rate).min(self.rate.max(1.0));
        self.last = now;
    }

    /// How long until a token is there (zero: now).
    fn wait(&self) -> Duration {
        if self.tokens >= 1.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64((1.0 - self.tokens) / self.rate)
        }
    }

    fn set_rate(&mut self, rate: f64, now: Instant) {
        self.refill(now);
        self.rate = rate;
        self.tokens = self.tokens.min(rate.max(1.0));
    }
}

/// The adaptive rate's CUBIC state.
#[derive(Debug)]
struct Cubic {
    bucket: Bucket,
    /// The rate when last throttled.
    last_max: f64,
    last_throttle: Instant,
}

impl Cubic {
    fn time_window(&self) -> f64 {
        (self.last_max * (1.0 - BETA) / SCALE).cbrt()
    }

    fn rate_after_success(&self, now: Instant) -> f64 {
        let dt = now.duration_since(self.last_throttle).as_secs_f64() - self.time_window();
        SCALE * dt.powi(3) + self.last_max
    }
}

#[derive(Debug)]
struct State {
    ceiling: Option<Bucket>,
    reads: Option<Bucket>,
    writes: Option<Bucket>,
    /// `None` until the first throttling answer.
    adaptive: Option<Cubic>,
    /// Requests sent in the current half second, and the smoothed rate.
    window_start: Instant,
    window_count: u32,
    measured: f64,
    /// Requests sent since the client was made, and when that was.
    started: Instant,
    total: u64,
}

/// The pacer: wait on [`Pacer::acquire`] before each attempt, report each
/// answer with [`Pacer::observe`].
#[derive(Debug)]
pub(super) struct Pacer {
    adaptive: bool,
    /// False while no limit applies: `acquire` then takes no lock.
    engaged: AtomicBool,
    /// Requests sent while no limit applied (the fuzzer's hot path).
    unpaced: AtomicU64,
    state: Mutex<State>,
}

impl Pacer {
    pub(super) fn new(config: PacingConfig) -> Pacer {
        let now = Instant::now();
        let bucket = |rate: f64| Bucket::new(rate.max(MIN_RATE / 10.0), now);
        let state = State {
            ceiling: config.ceiling.map(bucket),
            reads: config.per_operation.map(|(reads, _)| bucket(reads)),
            writes: config.per_operation.map(|(_, writes)| bucket(writes)),
            adaptive: None,
            window_start: now,
            window_count: 0,
            measured: 0.0,
            started: now,
            total: 0,
        };
        Pacer {
            adaptive: config.adaptive,
            engaged: AtomicBool::new(config.ceiling.is_some() || config.per_operation.is_some()),
            unpaced: AtomicU64::new(0),
            state: Mutex::new(state),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Waits until `operation` may be sent, and takes its tokens.
    pub(super) async fn acquire(&self, operation: &str) {
        if !self.engaged.load(Ordering::Relaxed) {
            self.unpaced.fetch_add(1, Ordering::Relaxed);
            return;
        }
        let read = is_read_operation(operation);
        loop {
            let wait = {
                let mut state = self.lock();
                let now = Instant::now();
                let wait = state.wait(read, now);
                if wait.is_zero() {
                    state.take(read);
                    state.count(now);
                    return;
                }
                wait
            };
            tokio::time::sleep(wait).await;
        }
    }

    /// Feeds an answer to the adaptive rate.
    pub(super) fn observe(&self, throttled: bool) {
        if !self.adaptive || (!throttled && !self.engaged.load(Ordering::Relaxed)) {
            return;
        }
        let mut state = self.lock();
        let now = Instant::now();
        if throttled {
            state.total += self.unpaced.swap(0, Ordering::Relaxed);
            state.throttled(now);
            self.engaged.store(true, Ordering::Relaxed);
        } else {
            state.succeeded(now);
        }
    }

    /// The adaptive rate the client settled at, when it ever had to.
    pub(super) fn settled_rate(&self) -> Option<f64> {
        self.lock().adaptive.as_ref().map(|cubic| cubic.bucket.rate)
    }

    /// What the client was sending when last throttled: the best guess at
    /// the endpoint's limit.
    pub(super) fn throttled_at(&self) -> Option<f64> {
        self.lock().adaptive.as_ref().map(|cubic| cubic.last_max)
    }
}

impl State {
    fn buckets(&mut self, read: bool) -> impl Iterator<Item = &mut Bucket> {
        let class = if read {
            self.reads.as_mut()
        } else {
            self.writes.as_mut()
        };
        [
            self.ceiling.as_mut(),
            class,
            self.adaptive.as_mut().map(|c| &mut c.bucket),
        ]
        .into_iter()
        .flatten()
    }

    fn wait(&mut self, read: bool, now: Instant) -> Duration {
        self.buckets(read)
            .map(|bucket| {
                bucket.refill(now);
                bucket.wait()
            })
            .max()
            .unwrap_or_default()
    }

    fn take(&mut self, read: bool) {
        for bucket in self.buckets(read) {
            bucket.tokens -= 1.0;
        }
    }

    /// Counts a request sent, for the measured rate (half-second windows,
    /// smoothed as the SDKs do).
    fn count(&mut self, now: Instant) {
        self.total += 1;
        self.window_count += 1;
        let elapsed = now.duration_since(self.window_start).as_secs_f64();
        if elapsed >= 0.5 {
            let rate = f64::from(self.window_count) / elapsed;
            self.measured = rate * 0.8 + self.measured * 0.2;
            self.window_count = 0;
            self.window_start = now;
        }
    }

    /// What the client has been sending: the smoothed rate, or before a
    /// first window closed (while nothing was paced, the windows are not
    /// kept), the average since it started.
    fn sending_rate(&self, now: Instant) -> f64 {
        if self.measured > 0.0 {
            self.measured
        } else {
            let elapsed = now.duration_since(self.started).as_secs_f64().max(0.1);
            self.total as f64 / elapsed
        }
    }

    fn throttled(&mut self, now: Instant) {
        let sending = self.sending_rate(now);
        let current = match &self.adaptive {
            Some(cubic) => cubic.bucket.rate.min(sending),
            None => sending,
        };
        let rate = (current * BETA).max(MIN_RATE);
        match &mut self.adaptive {
            Some(cubic) => {
                cubic.last_max = current;
                cubic.last_throttle = now;
                cubic.bucket.set_rate(rate, now);
            }
            None => {
                let mut bucket = Bucket::new(rate, now);
                bucket.tokens = 0.0;
                self.adaptive = Some(Cubic {
                    bucket,
                    last_max: current,
                    last_throttle: now,
                });
            }
        }
    }

    fn succeeded(&mut self, now: Instant) {
        let sending = self.sending_rate(now);
        if let Some(cubic) = &mut self.adaptive {
            // Never more than twice what is being sent: a quiet spell does
            // not buy a burst.
            let rate = cubic
                .rate_after_success(now)
                .min(2.0 * sending.max(cubic.bucket.rate / 2.0))
                .max(MIN_RATE);
            cubic.bucket.set_rate(rate, now);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_are_get_describe_and_list() {
        assert!(is_read_operation("GetChannel"));
        assert!(is_read_operation("ListChannels"));
        assert!(is_read_operation("DescribeTrails"));
        assert!(!is_read_operation("CreateChannel"));
        assert!(!is_read_operation("StartEventDataStoreIngestion"));
    }

    #[test]
    fn aws_rates_apply_only_off_this_machine() {
        assert_eq!(PacingConfig::for_endpoint(true).per_operation, None);
        assert_eq!(
            PacingConfig::for_endpoint(false).per_operation,
            Some((10.0, 1.0))
        );
    }

    #[test]
    fn a_throttle_cuts_the_rate_and_successes_climb_back() {
        let pacer = Pacer::new(PacingConfig::for_endpoint(true));
        assert_eq!(pacer.settled_rate(), None);
        {
            let mut state = pacer.lock();
            let start = state.started;
            state.measured = 20.0;
            state.throttled(start);
            let cut = state.adaptive.as_ref().unwrap().bucket.rate;
            assert!((cut - 14.0).abs() < 1e-9, "{cut}");
            // Back to the old maximum after the time window, and past it later.
            let window = state.adaptive.as_ref().unwrap().time_window();
            state.succeeded(start + Duration::from_secs_f64(window));
            let back = state.adaptive.as_ref().unwrap().bucket.rate;
            assert!((back - 20.0).abs() < 1e-6, "{back}");
            state.measured = 30.0;
            state.succeeded(start + Duration::from_secs_f64(window + 3.0));
            assert!(state.adaptive.as_ref().unwrap().bucket.rate > 20.0);
            // Never below the floor.
            state.measured = 0.1;
            for _ in 0..50 {
                state.throttled(start);
            }
            assert_eq!(state.adaptive.as_ref().unwrap().bucket.rate, MIN_RATE);
        }
    }

    #[test]
    fn buckets_refill_at_their_rate_up_to_one_second() {
        let now = Instant::now();
        let mut bucket = Bucket::new(4.0, now);
        bucket.tokens = 0.0;
        assert_eq!(bucket.wait(), Duration::from_millis(250));
        bucket.refill(now + Duration::from_secs(10));
        assert_eq!(bucket.tokens, 4.0);
    }

    #[test]
    fn a_ceiling_spaces_requests() {
        let pacer = Pacer::new(PacingConfig {
            ceiling: Some(10.0),
            ..PacingConfig::default()
        });
        let mut state = pacer.lock();
        let start = state.started;
        // One token at the start, then one every 100 ms.
        assert_eq!(state.wait(false, start), Duration::ZERO);
        state.take(false);
        assert_eq!(state.wait(false, start), Duration::from_millis(100));
        assert_eq!(
            state.wait(true, start + Duration::from_millis(100)),
            Duration::ZERO
        );
    }
}
