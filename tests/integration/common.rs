//! Test endpoints built around the reference emulator: a proxy on 127.0.0.1
//! that forwards every request to an emulator and may rewrite the answer.
//! Faulty and lenient implementations of the contract are made from it in
//! the tests, so the shipped emulator carries no fault switches.

#![allow(dead_code)]

use std::sync::Arc;

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::Response;
use axum::Router;
use ctconform::emulator::{Emulator, EmulatorConfig};
use ctconform::runner::{RunReport, Verdict};
use serde_json::Value;
use tokio::net::TcpListener;

/// One request and the emulator's answer to it. A rewrite sees every
/// request twice: first before it is forwarded (`status` 0, no answer), when
/// a reply means the emulator never acts on it, then with the answer.
pub struct Exchange {
    pub method: String,
    /// The Region of the SigV4 credential scope, when signed.
    pub region: Option<String>,
    pub target: Option<String>,
    pub content_type: Option<String>,
    pub authorization: Option<String>,
    pub request: Vec<u8>,
    pub request_json: Option<Value>,
    pub status: u16,
    pub body: Vec<u8>,
    pub json: Option<Value>,
}

impl Exchange {
    /// The operation the target names, whichever form it takes.
    pub fn operation(&self) -> &str {
        self.target
            .as_deref()
            .and_then(|t| t.rsplit('.').next())
            .unwrap_or("")
    }

    /// The contract rule the emulator's refusal names, from its message.
    pub fn refused_rule(&self) -> Option<&str> {
        let message = self.json.as_ref()?.get("message")?.as_str()?;
        let rest = &message[message.find("[contract rule ")? + "[contract rule ".len()..];
        rest.split(';').next()
    }
}

/// What to answer instead.
pub struct Reply {
    pub status: u16,
    pub body: Vec<u8>,
    pub headers: Vec<(String, String)>,
    /// Leave out the `x-amzn-RequestId` header every answer has otherwise.
    pub without_request_id: bool,
}

impl Reply {
    pub fn json(status: u16, body: &Value) -> Reply {
        Reply {
            status,
            body: serde_json::to_vec(body).unwrap(),
            headers: Vec::new(),
            without_request_id: false,
        }
    }

    pub fn error(status: u16, code: &str) -> Reply {
        Reply::json(
            status,
            &serde_json::json!({ "__type": code, "message": "rewritten by the test proxy" }),
        )
    }
}

/// `None` passes the emulator's answer through.
pub type Rewrite = Arc<dyn Fn(&Exchange) -> Option<Reply> + Send + Sync>;

/// Another JSON body to forward instead of the request's; `None` forwards it as sent.
pub type RequestRewrite = Arc<dyn Fn(&Exchange) -> Option<Value> + Send + Sync>;

struct Proxy {
    upstream: String,
    client: reqwest::Client,
    rewrite: Rewrite,
    request_rewrite: Option<RequestRewrite>,
}

/// An emulator behind a rewriting proxy; dropping it stops both.
pub struct Rewritten {
    pub url: String,
    _emulator: Emulator,
    _server: tokio::task::JoinHandle<()>,
}

impl Drop for Rewritten {
    fn drop(&mut self) {
        self._server.abort();
    }
}

pub async fn rewritten(rewrite: Rewrite) -> Rewritten {
    rewritten_with(None, rewrite).await
}

/// As [`rewritten`], with the requests' JSON bodies rewritten before they
/// reach the emulator (unsigned again: the emulator does not check signatures).
pub async fn rewritten_with(
    request_rewrite: Option<RequestRewrite>,
    rewrite: Rewrite,
) -> Rewritten {
    let emulator = Emulator::start_local(EmulatorConfig::default())
        .await
        .unwrap();
    let proxy = Arc::new(Proxy {
        upstream: emulator.url(),
        client: reqwest::Client::new(),
        rewrite,
        request_rewrite,
    });
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let app = Router::new().fallback(forward).with_state(proxy);
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Rewritten {
        url,
        _emulator: emulator,
        _server: server,
    }
}

async fn forward(State(proxy): State<Arc<Proxy>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let request_body = to_bytes(body, 4 << 20).await.unwrap_or_default().to_vec();
    let header = |name: &str| {
        parts
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let authorization = header("authorization");
    let region = authorization.as_deref().and_then(|a| {
        let scope = a.split("Credential=").nth(1)?;
        scope.split('/').nth(2).map(str::to_string)
    });
    let mut exchange = Exchange {
        method: parts.method.to_string(),
        region,
        target: header("x-amz-target"),
        content_type: header("content-type"),
        authorization,
        request_json: serde_json::from_slice(&request_body).ok(),
        request: request_body.clone(),
        status: 0,
        json: None,
        body: Vec::new(),
    };
    if let Some(reply) = (proxy.rewrite)(&exchange) {
        return respond(reply);
    }
    let forwarded = match proxy.request_rewrite.as_ref().and_then(|r| r(&exchange)) {
        Some(body) => serde_json::to_vec(&body).unwrap(),
        None => request_body.clone(),
    };
    let mut upstream = proxy
        .client
        .request(parts.method.clone(), &proxy.upstream)
        .body(forwarded);
    for (name, value) in &parts.headers {
        if name != "host" && name != "content-length" {
            upstream = upstream.header(name, value);
        }
    }
    let answer = upstream.send().await.expect("the emulator answers");
    let status = answer.status().as_u16();
    let headers = answer.headers().clone();
    let body = answer.bytes().await.unwrap_or_default().to_vec();
    exchange.status = status;
    exchange.json = serde_json::from_slice(&body).ok();
    exchange.body = body;
    let reply = (proxy.rewrite)(&exchange).unwrap_or_else(|| Reply {
        status,
        without_request_id: false,
        body: exchange.body.clone(),
        headers: headers
            .iter()
            .filter(|(name, _)| *name != "content-length")
            .map(|(n, v)| (n.to_string(), v.to_str().unwrap_or_default().to_string()))
            .collect(),
    });
    respond(reply)
}

fn respond(reply: Reply) -> Response {
    let without_request_id = reply.without_request_id;
    let mut response = Response::new(Body::from(reply.body));
    *response.status_mut() = StatusCode::from_u16(reply.status).unwrap();
    let response_headers = response.headers_mut();
    response_headers.insert(
        "content-type",
        HeaderValue::from_static("application/x-amz-json-1.1"),
    );
    if !without_request_id {
        response_headers.insert(
            "x-amzn-requestid",
            HeaderValue::from_static("00000000-1111-2222-3333-444444444444"),
        );
    }
    for (name, value) in reply.headers {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(&value),
        ) {
            response_headers.insert(name, value);
        }
    }
    response
}

/// A success made up from the request: what an implementation that skips a
/// check would answer.
pub fn fabricated_success(exchange: &Exchange) -> Reply {
    let mut body = exchange
        .request_json
        .clone()
        .filter(Value::is_object)
        .unwrap_or_else(|| serde_json::json!({}));
    if exchange.operation() == "CreateChannel" {
        body["ChannelArn"] = Value::from(format!(
            "arn:aws:cloudtrail:us-east-1:123456789012:channel/{}",
            uuid::Uuid::new_v4()
        ));
    }
    Reply::json(200, &body)
}

/// Each scenario of `report` that did not pass, one line each (verdict,
/// name, reason): empty when the whole run passed.
pub fn not_passed(report: &RunReport) -> Vec<String> {
    report
        .scenarios
        .iter()
        .filter(|s| s.verdict != Verdict::Pass)
        .map(|s| {
            format!(
                "{} {}: {}",
                s.verdict.label(),
                s.name,
                s.reason.as_deref().unwrap_or("")
            )
        })
        .collect()
}
