//! The wire: a signed awsJson1_1 client that sends one [`Request`] and
//! returns what it [`Received`], never panicking and never waiting past its
//! timeout. It classifies what came back (a [`Response`] or a [`Fault`]) and
//! leaves every judgement to the runner.
//!
//! Choices the runner relies on:
//! - throttling and transient faults are retried as the AWS SDKs retry them
//!   (`retry`), each attempt signed afresh, and every attempt is paced by
//!   the client's shared limits (`pace`); [`Client::send_recorded`] returns
//!   the attempts retried, and `ClientConfig::retry` with one attempt sends
//!   each request exactly once;
//! - no redirects are followed;
//! - a 3xx answer with a `Location` header is [`Fault::Redirect`] (awsJson1_1
//!   has no redirects, and following one could loop on a self-redirect); a
//!   3xx without `Location` is a plain [`Response`];
//! - the response body is read chunk by chunk under `max_body_bytes`, and a
//!   `Content-Length` above the cap is refused before reading;
//! - proxies from the environment are ignored for loopback endpoints;
//! - plain-HTTP loopback endpoints are reached through hyper-util's client
//!   directly, every other one through reqwest (see `transport`).

mod config;
mod curl;
mod fault;
mod loopback;
mod pace;
mod request;
mod response;
mod retry;
mod sign;
mod transport;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use bytes::Bytes;
use reqwest::Url;
use tokio::sync::{Semaphore, SemaphorePermit};

pub use config::{
    is_loopback, validate_endpoint, ClientConfig, CredentialSource, WireError,
    DEFAULT_BODY_BUDGET_BYTES, DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_BODY_BYTES, DEFAULT_TIMEOUT,
    LOOPBACK_ACCESS_KEY_ID, LOOPBACK_SECRET_ACCESS_KEY,
};
pub use curl::curl_command;
pub use fault::Fault;
pub use pace::{is_read_operation, Pace, PacingConfig, AWS_READ_RATE, AWS_WRITE_RATE};
pub use request::{mask_authorization, HeaderValue, Request, RequestBody, Signing, TargetHeader};
pub use response::{json_response, parse_json, parse_response, BodyProblem, Received, Response};
pub use retry::{
    classify, is_throttled, Attempt, Exchange, RetryPolicy, Retryable, DEFAULT_MAX_ATTEMPTS,
    THROTTLING_CODES,
};

use pace::Pacer;
use retry::RetryQuota;
use sign::{signature_headers, Signer, SigningEndpoint, Unsigned};
use transport::{AnswerBody, Outgoing, Transport};

/// Attempts a [`Client::persistent`] makes at least.
pub const PERSISTENT_ATTEMPTS: u32 = 8;

/// A client for one endpoint. Cloning is cheap and shares the connection pool
/// and the credentials.
#[derive(Clone, Debug)]
pub struct Client {
    inner: Arc<Inner>,
}

// Clone shares what the `Arc`s hold: see `Client::with_own_connections`.
#[derive(Clone, Debug)]
struct Inner {
    http: Transport,
    url: Url,
    /// `url` as SigV4 signs for it, worked out once.
    signing: SigningEndpoint,
    region: String,
    timeout: std::time::Duration,
    max_body_bytes: usize,
    /// To build another connection pool like this one.
    connect_timeout: std::time::Duration,
    /// Room for answers being read, in KiB, shared by every request (and
    /// by every pool made with `with_own_connections`).
    body_budget: Arc<Semaphore>,
    signer: Arc<Signer>,
    /// Requests sent through this client and its clones, for rates in
    /// reports: every attempt counts.
    sent: Arc<AtomicUsize>,
    retry: RetryPolicy,
    /// Shared by the clones, as the SDKs share one per client.
    quota: Arc<RetryQuota>,
    pacer: Arc<Pacer>,
    stats: Arc<RetryStats>,
}

/// What retrying cost a client and its clones.
#[derive(Debug, Default)]
struct RetryStats {
    retries: AtomicUsize,
    throttled: AtomicUsize,
    transient: AtomicUsize,
}

/// A client's retry and pacing figures, for the run's closing lines.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize)]
pub struct WireStats {
    /// Attempts sent, first ones and retries.
    pub requests: usize,
    pub retries: usize,
    /// Throttling answers received (retried or not).
    pub throttled: usize,
    /// Transient faults received: 5xx, resets, timeouts.
    pub transient: usize,
    /// The adaptive rate it settled at, if it ever was throttled.
    pub settled_rate: Option<f64>,
    /// What it was sending when last throttled (requests/s).
    pub throttled_at: Option<f64>,
}

impl Client {
    /// Checks the endpoint, builds the HTTP client and resolves credentials
    /// once, so that a bad setup fails here and not on every request.
    pub async fn new(config: ClientConfig) -> Result<Client, WireError> {
        let url = validate_endpoint(&config.endpoint)?;
        let http = Transport::new(&url, config.connect_timeout)?;
        let signer = Signer::resolve(&config.credentials, &config.region).await?;
        let body_budget = Semaphore::new(budget_kib(&config));
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                signing: SigningEndpoint::new(&url),
                url,
                region: config.region,
                timeout: config.timeout,
                max_body_bytes: config.max_body_bytes,
                connect_timeout: config.connect_timeout,
                body_budget: Arc::new(body_budget),
                signer: Arc::new(signer),
                sent: Arc::new(AtomicUsize::new(0)),
                retry: RetryPolicy {
                    max_attempts: config.retry.max_attempts.max(1),
                    ..config.retry
                },
                quota: Arc::new(RetryQuota::default()),
                pacer: Arc::new(Pacer::new(config.pacing)),
                stats: Arc::new(RetryStats::default()),
            }),
        })
    }

    /// The same client (credentials, body budget, request count) over a
    /// connection pool of its own. hyper drives a connection on the runtime
    /// that opened it: a runtime of its own (the fuzzer's session threads)
    /// should not share a pool with another.
    pub fn with_own_connections(&self) -> Result<Client, WireError> {
        let inner = &*self.inner;
        Ok(Client {
            inner: Arc::new(Inner {
                http: Transport::new(&inner.url, inner.connect_timeout)?,
                ..inner.clone()
            }),
        })
    }

    /// As [`Client::with_own_connections`], to `endpoint`: another address
    /// of the same server (the embedded emulator listens once per thread).
    pub fn with_own_connections_to(&self, endpoint: &str) -> Result<Client, WireError> {
        let inner = &*self.inner;
        let url = validate_endpoint(endpoint)?;
        Ok(Client {
            inner: Arc::new(Inner {
                http: Transport::new(&url, inner.connect_timeout)?,
                signing: SigningEndpoint::new(&url),
                url,
                ..inner.clone()
            }),
        })
    }

    /// The same client, sending a throttled request at least
    /// [`PERSISTENT_ATTEMPTS`] times whatever its policy and its retry
    /// quota: for cleanup and the run's own checks, where giving up leaves
    /// resources behind or a wrong picture. Transient faults keep the policy.
    pub fn persistent(&self) -> Client {
        let inner = &*self.inner;
        Client {
            inner: Arc::new(Inner {
                retry: RetryPolicy {
                    throttled_attempts: inner.retry.throttled_attempts.max(PERSISTENT_ATTEMPTS),
                    ..inner.retry
                },
                quota: Arc::new(RetryQuota::default()),
                ..inner.clone()
            }),
        }
    }

    /// As [`Client::persistent`], transient faults too: for deletions,
    /// which are safe to repeat.
    pub fn for_cleanup(&self) -> Client {
        let persistent = self.persistent();
        let inner = &*persistent.inner;
        Client {
            inner: Arc::new(Inner {
                retry: RetryPolicy {
                    max_attempts: inner.retry.max_attempts.max(PERSISTENT_ATTEMPTS),
                    ..inner.retry
                },
                ..inner.clone()
            }),
        }
    }

    pub fn region(&self) -> &str {
        &self.inner.region
    }

    /// The same client (connections, credentials, request count) signing
    /// for another Region: state is per account and Region, and the
    /// credential scope names the Region a request is for.
    pub fn with_region(&self, region: &str) -> Client {
        if region == self.inner.region {
            return self.clone();
        }
        Client {
            inner: Arc::new(Inner {
                region: region.to_string(),
                ..(*self.inner).clone()
            }),
        }
    }

    /// How many requests this client (and its clones) has sent.
    pub fn requests_sent(&self) -> usize {
        self.inner.sent.load(Ordering::Relaxed)
    }

    /// Retries, throttling answers and the settled rate so far.
    pub fn stats(&self) -> WireStats {
        let stats = &self.inner.stats;
        WireStats {
            requests: self.requests_sent(),
            retries: stats.retries.load(Ordering::Relaxed),
            throttled: stats.throttled.load(Ordering::Relaxed),
            transient: stats.transient.load(Ordering::Relaxed),
            settled_rate: self.inner.pacer.settled_rate(),
            throttled_at: self.inner.pacer.throttled_at(),
        }
    }

    /// Sends `request`, retrying as the policy says, and reads the whole
    /// final answer; each attempt within the timeout.
    pub async fn send(&self, request: &Request) -> Received {
        self.send_recorded(request).await.outcome
    }

    /// As [`Client::send`], with the attempts that were retried.
    pub async fn send_recorded(&self, request: &Request) -> Exchange {
        let inner = &*self.inner;
        let mut retried = Vec::new();
        let mut spent = 0;
        loop {
            inner.pacer.acquire(&request.operation).await;
            let outcome = self.send_once(request).await;
            let retryable = classify(&outcome);
            inner.pacer.observe(retryable == Some(Retryable::Throttled));
            let Some(retryable) = retryable else {
                inner.quota.reward(spent);
                return Exchange {
                    outcome,
                    retried,
                    exhausted: None,
                };
            };
            let counter = match retryable {
                Retryable::Throttled => &inner.stats.throttled,
                Retryable::Transient => &inner.stats.transient,
            };
            counter.fetch_add(1, Ordering::Relaxed);
            let attempts = retried.len() as u32 + 1;
            let cost = (attempts < inner.retry.attempts_for(retryable))
                .then(|| inner.quota.take(&outcome))
                .flatten();
            let Some(cost) = cost else {
                return Exchange {
                    outcome,
                    retried,
                    exhausted: Some(retryable),
                };
            };
            spent += cost;
            let backoff = inner.retry.backoff(attempts);
            retried.push(Attempt::of(&outcome, retryable, backoff));
            inner.stats.retries.fetch_add(1, Ordering::Relaxed);
            tokio::time::sleep(backoff).await;
        }
    }

    /// Sends `request` once and reads the whole answer, within the timeout.
    /// Signed afresh on each call.
    async fn send_once(&self, request: &Request) -> Received {
        self.inner.sent.fetch_add(1, Ordering::Relaxed);
        let started = Instant::now();
        let result = tokio::time::timeout(self.inner.timeout, self.exchange(request))
            .await
            .unwrap_or(Err(Fault::Timeout));
        Received {
            latency: started.elapsed(),
            result,
        }
    }

    async fn exchange(&self, request: &Request) -> Result<Response, Fault> {
        let inner = &*self.inner;
        let (outgoing, secrets) = self.build(request).await?;
        let (answer, mut answer_body) = inner.http.send(outgoing).await?.into_parts();
        let status = answer.status;
        if status.is_redirection() {
            if let Some(location) = answer.headers.get(http::header::LOCATION) {
                return Err(Fault::Redirect(format!(
                    "HTTP {} to {}",
                    status.as_u16(),
                    String::from_utf8_lossy(location.as_bytes())
                )));
            }
        }
        let body = read_capped(
            &mut answer_body,
            content_length(&answer.headers),
            inner.max_body_bytes,
            &inner.body_budget,
        )
        .await?;
        let body = mask_secrets(body, &secrets);
        Ok(parse_response(status.as_u16(), &answer.headers, body))
    }

    /// The request as it goes on the wire: protocol headers, signature,
    /// body; and the secrets it carries, which an answer must not echo
    /// into reports (see [`mask_secrets`]).
    async fn build(&self, request: &Request) -> Result<(Outgoing, Vec<String>), Fault> {
        let inner = &*self.inner;
        let method = http::Method::from_bytes(request.method_name().as_bytes())
            .map_err(|_| Fault::Client(format!("invalid method {:?}", request.method_name())))?;
        let body = request.body_bytes();
        let headers = request.protocol_headers();
        // Room for the protocol headers and the (up to three) signature ones.
        let mut header_map = http::HeaderMap::with_capacity(headers.len() + 3);
        // Converted, and so checked, before signing: the signer expects
        // valid header values.
        append_headers(&mut header_map, &headers)?;
        let mut secrets = Vec::new();
        match &request.signing {
            Signing::Sign => {
                let credentials = inner
                    .signer
                    .credentials()
                    .await
                    .map_err(|error| Fault::Client(error.to_string()))?;
                let unsigned = Unsigned {
                    method: method.as_str(),
                    headers: &headers,
                    body: &body,
                    credentials: &credentials,
                    region: &inner.region,
                    time: SystemTime::now(),
                };
                let added = signature_headers(&inner.signing, &unsigned)
                    .map_err(|error| Fault::Client(error.to_string()))?;
                append_headers(&mut header_map, &added)?;
                // The loopback identity is public: nothing to hide, and
                // the fuzzer's answers need not be searched.
                if credentials.access_key_id() != config::LOOPBACK_ACCESS_KEY_ID {
                    secrets.push(credentials.secret_access_key().to_string());
                    secrets.extend(credentials.session_token().map(str::to_string));
                    secrets.push(credentials.access_key_id().to_string());
                    for (name, value) in &added {
                        if name.eq_ignore_ascii_case("authorization") {
                            secrets.extend(signature_of(value));
                        }
                    }
                }
            }
            Signing::Unsigned => {}
            Signing::Authorization(value) => {
                append_headers(&mut header_map, &[("authorization", value.clone())])?;
            }
        }
        Ok((
            Outgoing {
                method,
                headers: header_map,
                body: Bytes::from(body),
            },
            secrets,
        ))
    }
}

/// The `Signature=` of an Authorization value.
fn signature_of(authorization: &str) -> Option<String> {
    let signature = authorization.split("Signature=").nth(1)?;
    let signature: String = signature
        .chars()
        .take_while(char::is_ascii_hexdigit)
        .collect();
    (!signature.is_empty()).then_some(signature)
}

/// What stands for a secret an answer echoed.
pub const MASKED: &str = "[masked]";

/// `body` with every occurrence of `secrets` (the request's secret key,
/// session token, access key id and signature) replaced by [`MASKED`]: an
/// endpoint that echoes request headers must not put them into reports,
/// snapshots or `call`'s output. Replacing inside a JSON string keeps it JSON.
fn mask_secrets(body: Vec<u8>, secrets: &[String]) -> Vec<u8> {
    let mut body = body;
    for secret in secrets.iter().filter(|s| s.len() >= 4) {
        let needle = secret.as_bytes();
        if !body.windows(needle.len()).any(|w| w == needle) {
            continue;
        }
        let mut masked = Vec::with_capacity(body.len());
        let mut rest = body.as_slice();
        while let Some(at) = rest.windows(needle.len()).position(|w| w == needle) {
            masked.extend_from_slice(&rest[..at]);
            masked.extend_from_slice(MASKED.as_bytes());
            rest = &rest[at + needle.len()..];
        }
        masked.extend_from_slice(rest);
        body = masked;
    }
    body
}

/// Appends `headers` in order, secret ones marked sensitive.
fn append_headers(
    map: &mut http::HeaderMap,
    headers: &[(&'static str, String)],
) -> Result<(), Fault> {
    for (name, value) in headers {
        let mut value = header_value(name, value)?;
        value.set_sensitive(is_secret_header(name));
        map.append(*name, value);
    }
    Ok(())
}

fn header_value(name: &str, value: &str) -> Result<http::HeaderValue, Fault> {
    http::HeaderValue::from_str(value).map_err(|_| {
        let shown = if is_secret_header(name) {
            mask_authorization(value)
        } else {
            format!("{value:?}")
        };
        Fault::Client(format!("invalid value for header {name}: {shown}"))
    })
}

fn is_secret_header(name: &str) -> bool {
    name.eq_ignore_ascii_case("authorization") || name.eq_ignore_ascii_case("x-amz-security-token")
}

/// Makes room for `more` bytes, growing by half at a time and never past
/// `limit` (plain doubling would reserve up to twice the cap).
fn grow_within(body: &mut Vec<u8>, more: usize, limit: usize) {
    let needed = body.len() + more;
    if needed <= body.capacity() {
        return;
    }
    let target = needed
        .max(body.capacity() + body.capacity() / 2)
        .min(limit.max(needed));
    body.reserve_exact(target - body.len());
}

/// The body budget in KiB permits: never less than one full answer.
fn budget_kib(config: &ClientConfig) -> usize {
    let bytes = config.body_budget_bytes.max(config.max_body_bytes);
    bytes.div_ceil(1024).min(Semaphore::MAX_PERMITS)
}

/// The `Content-Length` an answer announces, if it is a number.
fn content_length(headers: &http::HeaderMap) -> Option<u64> {
    headers
        .get(http::header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// Reads the body chunk by chunk, failing as soon as it passes `limit`, or
/// before reading when `announced` (its `Content-Length`) is already more.
/// Each chunk takes room from `budget` until the body is read (or the read
/// abandoned).
async fn read_capped(
    answer: &mut AnswerBody,
    announced: Option<u64>,
    limit: usize,
    budget: &Semaphore,
) -> Result<Vec<u8>, Fault> {
    if announced.is_some_and(|length| length > limit as u64) {
        return Err(Fault::BodyTooLarge { limit });
    }
    // Trust the announcement only as far as a modest first allocation.
    let first_capacity = announced.map_or(0, |length| length.min(64 * 1024) as usize);
    let mut body = Vec::with_capacity(first_capacity);
    let mut room: Option<SemaphorePermit<'_>> = None;
    while let Some(chunk) = answer.chunk().await? {
        if body.len() + chunk.len() > limit {
            return Err(Fault::BodyTooLarge { limit });
        }
        let kib = u32::try_from(chunk.len().div_ceil(1024)).unwrap_or(u32::MAX);
        let more = budget
            .acquire_many(kib)
            .await
            .map_err(|_| Fault::Client("the client is shutting down".into()))?;
        match &mut room {
            Some(room) => room.merge(more),
            None => room = Some(more),
        }
        grow_within(&mut body, chunk.len(), limit);
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn echoed_secrets_are_masked_wherever_they_appear() {
        let secrets = vec!["s3cr3t/key".to_string(), "t0ken".to_string()];
        let body = br#"{"echo":"x-amz-security-token: t0ken","k":"s3cr3t/keys3cr3t/key"}"#.to_vec();
        let masked = String::from_utf8(mask_secrets(body, &secrets)).unwrap();
        assert_eq!(
            masked,
            r#"{"echo":"x-amz-security-token: [masked]","k":"[masked][masked]"}"#
        );
        assert_eq!(
            signature_of("AWS4-HMAC-SHA256 Credential=A/x, SignedHeaders=host, Signature=abc123"),
            Some("abc123".into())
        );
    }

    #[test]
    fn bodies_never_reserve_past_the_cap() {
        let limit = 8 * 1024 * 1024;
        let mut body = Vec::new();
        while body.len() + 8192 <= limit {
            grow_within(&mut body, 8192, limit);
            body.extend_from_slice(&[0; 8192]);
            assert!(body.capacity() <= limit, "{}", body.capacity());
        }
    }

    #[test]
    fn the_budget_holds_at_least_one_full_answer() {
        let mut config = ClientConfig::new("http://127.0.0.1:1", "us-east-1");
        config.body_budget_bytes = 1;
        assert_eq!(budget_kib(&config), config.max_body_bytes / 1024);
        config.body_budget_bytes = DEFAULT_BODY_BUDGET_BYTES;
        assert_eq!(budget_kib(&config), 32 * 1024);
    }

    #[tokio::test]
    async fn own_connections_share_credentials_budget_and_count() {
        // Port 1: refused at once, which still counts as a request sent.
        let config = ClientConfig::new("http://127.0.0.1:1", "us-east-1");
        let client = Client::new(config).await.unwrap();
        let other = client.with_own_connections().unwrap();
        let outcome = other
            .send(&Request::json("ListChannels", serde_json::json!({})))
            .await;
        assert!(outcome.result.is_err());
        assert_eq!(client.requests_sent(), 1);
        assert!(Arc::ptr_eq(
            &client.inner.body_budget,
            &other.inner.body_budget
        ));
        assert!(Arc::ptr_eq(&client.inner.signer, &other.inner.signer));
        assert!(!Arc::ptr_eq(&client.inner, &other.inner));
    }
}
