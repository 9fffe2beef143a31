//! A second, independent implementation of the contract (N-version witness),
//! written from `docs/contract.md` and sharing no rule code with
//! `src/contract`: an awsJson1_1 server on 127.0.0.1 that takes the *other*
//! legitimate choice wherever the contract gives a set (which ones:
//! `docs/witness.md`). If the harness reports a divergence here, either this
//! file or the harness misreads the contract.
//!
//! `start()` serves it on an ephemeral port; `examples/witness.rs` serves it
//! standalone for a long fuzz run.

#![allow(dead_code)]

mod input;
mod ops;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use axum::Router;
use serde_json::{json, Map, Value};
use tokio::net::TcpListener;

use input::Input;
use ops::{refuse, Account, Answer, Caller, Refusal};

const NAMESPACE: &str = "com.amazonaws.cloudtrail.v20131101#";
const LONG_PREFIX: &str = "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.";
const SHORT_PREFIX: &str = "CloudTrail_20131101.";
const OPERATIONS: &[&str] = &[
    "CreateChannel",
    "GetChannel",
    "ListChannels",
    "UpdateChannel",
    "DeleteChannel",
    "CreateEventDataStore",
    "GetEventDataStore",
    "ListEventDataStores",
    "StopEventDataStoreIngestion",
    "StartEventDataStoreIngestion",
    "DeleteEventDataStore",
];

#[derive(Default)]
struct Witness {
    accounts: Mutex<HashMap<Caller, Account>>,
    /// Picks the error form, so answers alternate between them.
    answers: AtomicU64,
}

/// A running witness; dropping it stops the server.
pub struct Running {
    pub url: String,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Serves a fresh witness on 127.0.0.1 (port 0: any free one).
pub async fn start() -> Running {
    serve_on("127.0.0.1:0").await
}

pub async fn serve_on(addr: &str) -> Running {
    let listener = TcpListener::bind(addr).await.expect("a loopback port");
    let url = format!("http://{}", listener.local_addr().unwrap());
    let app = Router::new()
        .fallback(handle)
        .with_state(Arc::new(Witness::default()));
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Running { url, task }
}

/// The account and Region of the SigV4 credential scope
/// (`Credential=<key>/<date>/<region>/cloudtrail/aws4_request`); the
/// account is a stable number made from the access key, as AWS maps keys to
/// accounts. Unsigned requests share one anonymous account in us-east-1.
fn caller(headers: &HeaderMap) -> Caller {
    let scope = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|auth| auth.split("Credential=").nth(1))
        .map(|rest| {
            rest.split([',', ' '])
                .next()
                .unwrap_or_default()
                .to_string()
        });
    let mut parts = scope.as_deref().unwrap_or("anonymous").split('/');
    let key = parts.next().unwrap_or("anonymous");
    let region = parts
        .nth(1)
        .filter(|r| !r.is_empty())
        .unwrap_or("us-east-1");
    // FNV-1a, folded into twelve digits.
    let hash = key.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    Caller {
        account: format!("{:012}", hash % 1_000_000_000_000),
        region: region.to_string(),
    }
}

fn operation(headers: &HeaderMap) -> Result<&'static str, Refusal> {
    let Some(target) = headers.get("x-amz-target") else {
        return Err(Refusal {
            status: 404,
            ..refuse("UnknownOperationException", "no X-Amz-Target")
        });
    };
    let target = target.to_str().unwrap_or_default();
    let name = target
        .strip_prefix(LONG_PREFIX)
        .or_else(|| target.strip_prefix(SHORT_PREFIX))
        .unwrap_or_default();
    OPERATIONS
        .iter()
        .find(|op| **op == name)
        .copied()
        .ok_or_else(|| {
            refuse(
                "UnknownOperationException",
                format!("no operation {target:?}"),
            )
        })
}

/// The envelope, then the body; `null` and an empty body are `{}`.
fn answer(witness: &Witness, headers: &HeaderMap, is_post: bool, body: &[u8]) -> Answer {
    let operation = operation(headers)?;
    let media_type = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase()
        });
    // A missing Content-Type is read as JSON; another one is refused, as
    // Coral services do (404 UnknownOperationException, §1).
    if media_type.is_some_and(|m| m != "application/x-amz-json-1.1") || !is_post {
        return Err(Refusal {
            status: 404,
            ..refuse("UnknownOperationException", "not an awsJson1_1 POST")
        });
    }
    let object = if body.iter().all(u8::is_ascii_whitespace) {
        Map::new()
    } else {
        match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(map)) => map,
            Ok(Value::Null) => Map::new(),
            Ok(_) => {
                return Err(refuse(
                    "SerializationException",
                    "the body is not a JSON object",
                ))
            }
            Err(_) => return Err(refuse("SerializationException", "the body is not JSON")),
        }
    };
    let input = Input::new(operation, object);
    let caller = caller(headers);
    let mut accounts = witness.accounts.lock().unwrap();
    let account = accounts.entry(caller.clone()).or_default();
    match operation {
        "CreateChannel" => account.create_channel(&input, &caller),
        "GetChannel" => account.get_channel(&input, &caller),
        "ListChannels" => account.list_channels(&input),
        "UpdateChannel" => account.update_channel(&input, &caller),
        "DeleteChannel" => account.delete_channel(&input, &caller),
        "CreateEventDataStore" => account.create_store(&input, &caller),
        "GetEventDataStore" => account.get_store(&input, &caller),
        "ListEventDataStores" => account.list_stores(&input),
        "StopEventDataStoreIngestion" => account.ingestion(&input, &caller, false),
        "StartEventDataStoreIngestion" => account.ingestion(&input, &caller, true),
        "DeleteEventDataStore" => account.delete_store(&input, &caller),
        _ => Err(refuse("UnknownOperationException", operation)),
    }
}

async fn handle(State(witness): State<Arc<Witness>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let answered = match to_bytes(body, 8 << 20).await {
        Ok(body) => answer(&witness, &parts.headers, parts.method == "POST", &body),
        Err(_) => Err(refuse(
            "SerializationException",
            "the body could not be read",
        )),
    };
    let n = witness.answers.fetch_add(1, Ordering::Relaxed);
    let (status, body, error_type) = match answered {
        Ok(body) => (200, body, None),
        // Three error forms, in turn (§1: all resolve to the same code).
        Err(refusal) => match n % 3 {
            0 => (
                refusal.status,
                json!({"__type": format!("{NAMESPACE}{}", refusal.code), "Message": refusal.message}),
                None,
            ),
            1 => (
                refusal.status,
                json!({"message": refusal.message}),
                Some(format!(
                    "{}:http://internal.amazon.com/coral/com.amazon.coral.service/",
                    refusal.code
                )),
            ),
            _ => (
                refusal.status,
                json!({"code": refusal.code, "Message": refusal.message}),
                None,
            ),
        },
    };
    let mut response = Response::new(Body::from(serde_json::to_vec(&body).unwrap()));
    *response.status_mut() = StatusCode::from_u16(status).unwrap();
    let headers = response.headers_mut();
    headers.insert(
        "content-type",
        HeaderValue::from_static("application/x-amz-json-1.1"),
    );
    headers.insert(
        "x-amzn-requestid",
        HeaderValue::from_str(&uuid::Uuid::new_v4().to_string()).unwrap(),
    );
    if let Some(error_type) = error_type {
        headers.insert(
            "x-amzn-errortype",
            HeaderValue::from_str(&error_type).unwrap(),
        );
    }
    response
}
