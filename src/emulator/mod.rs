//! The reference emulator: an awsJson1_1 server over the contract's state
//! model. It serves exactly what `contract::judge_call` and `Region::apply`
//! say, holding one `Region` per account and region in memory. It knows
//! nothing of scenarios or the runner. Chaos mode (`chaos`) wraps it to
//! throttle, fail and lag as a loaded Region does.

mod chaos;

pub use chaos::{parse_rate, Chaos, ChaosConfig, ChaosCounts, NotARate};

pub mod auth;

use std::collections::HashMap;
use std::future::{Future, IntoFuture};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::contract::{
    judge_read, read_call, Call, CallBody, ErrorCode, Fresh, Identity, Judged, Limits, MediaType,
    ReadCall, Region, RequestedOperation, Violation,
};
use crate::protocol::{self, Target};

/// How the emulator presents itself.
#[derive(Clone, Debug)]
pub struct EmulatorConfig {
    /// The region of requests that carry no SigV4 credential scope.
    pub region: String,
    pub account: String,
    pub limits: Limits,
    /// Request bodies above this are refused unread.
    pub max_body_bytes: usize,
    /// Verify SigV4 signatures (`serve --verify-signatures`); off by
    /// default, as in most emulators.
    pub signatures: Option<auth::Verifier>,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        EmulatorConfig {
            region: "us-east-1".into(),
            account: "123456789012".into(),
            limits: Limits::default(),
            max_body_bytes: 1024 * 1024,
            signatures: None,
        }
    }
}

/// The state of every account and region the emulator has seen.
struct EmulatorState {
    config: EmulatorConfig,
    regions: Mutex<HashMap<String, Arc<Mutex<Region>>>>,
    chaos: Option<Arc<Chaos>>,
}

impl EmulatorState {
    fn region(&self, name: &str) -> Arc<Mutex<Region>> {
        let mut regions = lock(&self.regions);
        let region = regions.entry(name.to_string()).or_insert_with(|| {
            let identity = Identity::new(name, self.config.account.clone());
            Arc::new(Mutex::new(Region::new(
                identity,
                self.config.limits.clone(),
            )))
        });
        Arc::clone(region)
    }
}

/// A poisoned lock only means another request panicked mid-way; the state
/// itself is still whole (every change is one `apply`), so keep serving.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A running emulator; dropping it stops the server.
pub struct Emulator {
    address: SocketAddr,
    shared: Arc<EmulatorState>,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl Emulator {
    /// Starts serving on `address` (port 0 for an ephemeral one) in this
    /// tokio runtime; returns once the socket is bound.
    pub async fn start(config: EmulatorConfig, address: SocketAddr) -> std::io::Result<Emulator> {
        Emulator::start_with_chaos(config, None, address).await
    }

    /// As [`Emulator::start`], behind the chaos layer when `chaos` is given.
    pub async fn start_with_chaos(
        config: EmulatorConfig,
        chaos: Option<ChaosConfig>,
        address: SocketAddr,
    ) -> std::io::Result<Emulator> {
        let listener = TcpListener::bind(address).await?;
        let address = listener.local_addr()?;
        let shared = Arc::new(EmulatorState {
            config,
            regions: Mutex::new(HashMap::new()),
            chaos: chaos
                .filter(|c| !c.is_calm())
                .map(|c| Arc::new(Chaos::new(c))),
        });
        let app = router(Arc::clone(&shared));
        let (shutdown, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let server = axum::serve(listener, app).with_graceful_shutdown(async {
                let _ = stopped.await;
            });
            // A failing accept loop ends the server; callers see refused connections.
            let _ = server.await;
        });
        Ok(Emulator {
            address,
            shared,
            shutdown: Some(shutdown),
            task: Some(task),
        })
    }

    /// Starts on an ephemeral port of 127.0.0.1.
    pub async fn start_local(config: EmulatorConfig) -> std::io::Result<Emulator> {
        Emulator::start(config, SocketAddr::from(([127, 0, 0, 1], 0))).await
    }

    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// What the chaos layer has done, when there is one.
    pub fn chaos_counts(&self) -> Option<ChaosCounts> {
        self.shared.chaos.as_ref().map(|chaos| chaos.counts())
    }

    /// `http://<address>`, the endpoint to give a client.
    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// Another loopback listener onto this emulator's state, to be served
    /// by another runtime: the fuzzer gives each of its threads one, so that
    /// a request and its answer are handled on the thread that sent it.
    pub fn another_listener(&self) -> std::io::Result<Listener> {
        let listener = std::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))?;
        listener.set_nonblocking(true)?;
        Ok(Listener {
            listener,
            shared: Arc::clone(&self.shared),
        })
    }

    /// Stops accepting and waits for the server task to end.
    pub async fn stop(mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

/// A listener bound by [`Emulator::another_listener`], not yet served.
pub struct Listener {
    listener: std::net::TcpListener,
    shared: Arc<EmulatorState>,
}

impl Listener {
    /// `http://<address>`, the endpoint to give a client.
    pub fn url(&self) -> std::io::Result<String> {
        Ok(format!("http://{}", self.listener.local_addr()?))
    }

    /// The server of this listener, for the current runtime (call it within
    /// one): it serves until dropped, with its runtime, or until accepting
    /// fails.
    pub fn serving(self) -> std::io::Result<impl Future<Output = std::io::Result<()>> + Send> {
        let listener = TcpListener::from_std(self.listener)?;
        Ok(axum::serve(listener, router(self.shared)).into_future())
    }
}

fn router(shared: Arc<EmulatorState>) -> Router {
    let chaos = shared.chaos.clone();
    chaos::layer(Router::new().fallback(handle).with_state(shared), chaos)
}

async fn handle(State(shared): State<Arc<EmulatorState>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body = match to_bytes(body, shared.config.max_body_bytes).await {
        Ok(body) => body,
        Err(_) => {
            let message = format!(
                "request bodies are limited to {} bytes",
                shared.config.max_body_bytes
            );
            return error_response(
                StatusCode::PAYLOAD_TOO_LARGE,
                "RequestEntityTooLargeException",
                &message,
            );
        }
    };
    if let Some(verifier) = &shared.config.signatures {
        if let Err(refused) = verifier.verify(&parts, &body) {
            return error_response(StatusCode::BAD_REQUEST, refused.code, &refused.message);
        }
    }
    let region_name = region_of(&parts.headers)
        .unwrap_or(&shared.config.region)
        .to_string();
    let call = Call {
        method_is_post: parts.method == Method::POST,
        operation: requested_operation(&parts.headers),
        media_type: media_type(&parts.headers),
        body: CallBody::Bytes(&body),
    };
    let region = shared.region(&region_name);
    let (status, body) = answer_call(&mut lock(&region), &call);
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    json_response(status, &body)
}

/// Judges and, when it conforms, carries out one call: the emulator's whole
/// request → (status, JSON body) logic without HTTP, for in-process fuzzing.
/// The HTTP handler keeps the region locked throughout, so concurrent
/// creates of one name see each other.
pub fn answer_call(region: &mut Region, call: &Call<'_>) -> (u16, Value) {
    answer_read(region, &read_call(call))
}

/// As [`answer_call`], for a request the caller has already read (the
/// in-process fuzzer reads each request once for the oracle and the emulator).
pub fn answer_read(region: &mut Region, read: &ReadCall<'_>) -> (u16, Value) {
    match judge_read(region, read) {
        Judged::AnyClientError { detail, .. } => (
            StatusCode::BAD_REQUEST.as_u16(),
            protocol::error_body(ErrorCode::UnknownOperationException.as_str(), &detail),
        ),
        Judged::Refused { violation, .. } => refusal(&violation),
        Judged::Evaluated { evaluation, .. } => {
            if let Some(violation) = evaluation.emulator_refusal() {
                return refusal(violation);
            }
            let plan = evaluation
                .plan
                .expect("a call the emulator does not refuse has a plan");
            let fresh = Fresh {
                id: uuid::Uuid::new_v4().to_string(),
                now: SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map(|d| d.as_secs_f64().floor())
                    .unwrap_or_default(),
            };
            (StatusCode::OK.as_u16(), region.apply(&plan, &fresh))
        }
    }
}

/// The emulator's answer to a broken rule: the rule's first code, and a
/// message that names the rule and every code that would conform, so a
/// reader of the reference emulator learns the contract from its answers.
fn refusal(violation: &Violation) -> (u16, Value) {
    let code = violation.codes[0];
    let mut message = format!(
        "{} [contract rule {}; conforming codes: ",
        violation.detail, violation.rule
    );
    for (index, conforming) in violation.codes.iter().enumerate() {
        if index > 0 {
            message.push_str(", ");
        }
        message.push_str(conforming.as_str());
    }
    message.push(']');
    (
        code.emulator_status(),
        protocol::error_body(code.as_str(), &message),
    )
}

fn error_response(status: StatusCode, code: &str, message: &str) -> Response {
    json_response(status, &protocol::error_body(code, message))
}

fn json_response(status: StatusCode, body: &Value) -> Response {
    // Serialising a `Value` cannot fail: its map keys are strings.
    let bytes = serde_json::to_vec(body).unwrap_or_default();
    let mut response = (status, Body::from(bytes)).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(protocol::CONTENT_TYPE),
    );
    if let Ok(id) = HeaderValue::from_str(&uuid::Uuid::new_v4().to_string()) {
        headers.insert(protocol::HEADER_REQUEST_ID, id);
    }
    response
}

fn requested_operation(headers: &HeaderMap) -> RequestedOperation {
    match headers
        .get(protocol::HEADER_TARGET)
        .map(HeaderValue::to_str)
    {
        None => RequestedOperation::Missing,
        Some(Err(_)) => RequestedOperation::Unknown,
        Some(Ok(value)) => match protocol::parse_target(value) {
            Target::Known(operation) => RequestedOperation::Known(operation),
            Target::Unknown(_) => RequestedOperation::Unknown,
        },
    }
}

fn media_type(headers: &HeaderMap) -> MediaType {
    match headers.get(header::CONTENT_TYPE).map(HeaderValue::to_str) {
        None => MediaType::Missing,
        Some(Ok(value)) if protocol::is_json_1_1(value) => MediaType::Json11,
        Some(_) => MediaType::Other,
    }
}

fn region_of(headers: &HeaderMap) -> Option<&str> {
    let authorization = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    protocol::region_from_authorization(authorization).filter(|region| {
        region.len() <= 64
            && region
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
    })
}
