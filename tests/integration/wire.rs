//! The wire client against tiny misbehaving servers on 127.0.0.1: each one
//! writes raw bytes, so every answer (and non-answer) is exactly as written.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ctconform::protocol::TargetForm;
use ctconform::wire::{
    BodyProblem, Client, ClientConfig, Fault, HeaderValue, Received, Request, RetryPolicy,
    Retryable, Signing, TargetHeader,
};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const SHORT_TIMEOUT: Duration = Duration::from_millis(500);
/// Scheduling slack allowed past a timeout.
const MARGIN: Duration = Duration::from_millis(400);

/// What a test server does with each connection.
#[derive(Clone)]
enum Behaviour {
    /// Reads the request, writes these bytes, closes.
    Reply(Vec<u8>),
    /// Reads the request, then holds the connection open, silent.
    Silent,
    /// Closes as soon as it accepts, reading nothing.
    CloseOnAccept,
    /// Reads the request, writes `head`, then `chunk` until the client leaves.
    Stream { head: Vec<u8>, chunk: Vec<u8> },
    /// As `Reply`, with the next of these answers each time (the last repeats).
    Replies(Arc<Mutex<Vec<Vec<u8>>>>),
}

/// The raw requests a server received.
type Captured = Arc<Mutex<Vec<String>>>;

/// Starts a server; returns its endpoint and what it receives.
async fn serve(behaviour: Behaviour) -> (String, Captured) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let captured = Captured::default();
    let log = captured.clone();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(handle(stream, behaviour.clone(), log.clone()));
        }
    });
    (endpoint, captured)
}

async fn handle(mut stream: TcpStream, behaviour: Behaviour, log: Captured) {
    if matches!(behaviour, Behaviour::CloseOnAccept) {
        return;
    }
    let request = read_request(&mut stream).await;
    log.lock().unwrap().push(request);
    match behaviour {
        Behaviour::Reply(bytes) => {
            let _ = stream.write_all(&bytes).await;
            let _ = stream.shutdown().await;
        }
        Behaviour::Replies(replies) => {
            let bytes = {
                let mut replies = replies.lock().unwrap();
                if replies.len() > 1 {
                    replies.remove(0)
                } else {
                    replies[0].clone()
                }
            };
            let _ = stream.write_all(&bytes).await;
            let _ = stream.shutdown().await;
        }
        Behaviour::Silent => tokio::time::sleep(Duration::from_secs(60)).await,
        Behaviour::CloseOnAccept => {}
        Behaviour::Stream { head, chunk } => {
            if stream.write_all(&head).await.is_err() {
                return;
            }
            while stream.write_all(&chunk).await.is_ok() {}
        }
    }
}

/// Reads one request: the head, then `Content-Length` bytes of body.
async fn read_request(stream: &mut TcpStream) -> String {
    let mut bytes = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        if let Some(end) = find(&bytes, b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&bytes[..end]).to_lowercase();
            let length: usize = head
                .lines()
                .find_map(|line| line.strip_prefix("content-length:"))
                .map_or(0, |v| v.trim().parse().unwrap());
            if bytes.len() >= end + 4 + length {
                return String::from_utf8_lossy(&bytes).into_owned();
            }
        }
        match stream.read(&mut buffer).await {
            Ok(0) | Err(_) => return String::from_utf8_lossy(&bytes).into_owned(),
            Ok(n) => bytes.extend_from_slice(&buffer[..n]),
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// A header's value in a captured raw request (name case-insensitive).
fn header<'a>(raw: &'a str, name: &str) -> Option<&'a str> {
    raw.split("\r\n\r\n")
        .next()?
        .lines()
        .skip(1)
        .find_map(|line| {
            let (n, v) = line.split_once(':')?;
            n.eq_ignore_ascii_case(name).then(|| v.trim())
        })
}

fn http(status_line: &str, headers: &[&str], body: &[u8]) -> Vec<u8> {
    let mut out = format!("HTTP/1.1 {status_line}\r\n");
    for h in headers {
        out.push_str(h);
        out.push_str("\r\n");
    }
    out.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    ));
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

/// A client that sends each request once: these tests are about one
/// exchange (retries have their own below).
async fn client(endpoint: &str) -> Client {
    client_retrying(endpoint, 0).await
}

async fn client_retrying(endpoint: &str, retries: u32) -> Client {
    let mut config = ClientConfig::new(endpoint, "us-west-2");
    config.timeout = SHORT_TIMEOUT;
    config.retry = RetryPolicy::with_retries(retries);
    Client::new(config).await.unwrap()
}

fn error_reply(status_line: &str, code: &str) -> Vec<u8> {
    http(
        status_line,
        &["Content-Type: application/x-amz-json-1.1"],
        format!(r#"{{"__type":"{code}","message":"m"}}"#).as_bytes(),
    )
}

fn replies(answers: Vec<Vec<u8>>) -> Behaviour {
    Behaviour::Replies(Arc::new(Mutex::new(answers)))
}

#[tokio::test]
async fn a_throttled_request_is_retried_signed_afresh() {
    let (endpoint, captured) = serve(replies(vec![
        error_reply("429 Too Many Requests", "ThrottlingException"),
        error_reply("400 Bad Request", "ThrottlingException"),
        ok_reply_bytes(),
    ]))
    .await;
    let client = client_retrying(&endpoint, 2).await;
    let exchange = client.send_recorded(&create_channel()).await;
    assert!(exchange.outcome.is_success(), "{:?}", exchange.outcome);
    let statuses: Vec<_> = exchange.retried.iter().map(|a| a.status).collect();
    assert_eq!(statuses, [Some(429), Some(400)]);
    assert!(exchange
        .retried
        .iter()
        .all(|a| a.retryable == Retryable::Throttled));
    assert!(!exchange.flaky(), "throttling is no flakiness");
    let raw = captured.lock().unwrap().clone();
    assert_eq!(raw.len(), 3);
    for request in &raw {
        let authorization = header(request, "authorization").unwrap();
        assert!(authorization.contains("Signature="), "{authorization}");
        assert!(header(request, "x-amz-date").is_some());
    }
    let stats = client.stats();
    assert_eq!((stats.requests, stats.retries, stats.throttled), (3, 2, 2));
    assert!(stats.settled_rate.is_some());
}

#[tokio::test]
async fn retries_zero_sends_once() {
    let (endpoint, captured) = serve(replies(vec![error_reply(
        "503 Service Unavailable",
        "ServiceUnavailableException",
    )]))
    .await;
    let exchange = client_retrying(&endpoint, 0)
        .await
        .send_recorded(&create_channel())
        .await;
    assert_eq!(exchange.outcome.status(), Some(503));
    assert_eq!(exchange.exhausted, Some(Retryable::Transient));
    assert_eq!(captured.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn a_persistent_server_fault_stands_after_the_attempts() {
    let (endpoint, captured) = serve(replies(vec![error_reply(
        "500 Internal Server Error",
        "InternalFailure",
    )]))
    .await;
    let exchange = client_retrying(&endpoint, 2)
        .await
        .send_recorded(&create_channel())
        .await;
    assert_eq!(exchange.outcome.status(), Some(500));
    assert_eq!(exchange.retried.len(), 2);
    assert_eq!(exchange.exhausted, Some(Retryable::Transient));
    assert!(!exchange.flaky());
    assert_eq!(captured.lock().unwrap().len(), 3);
}

#[tokio::test]
async fn a_fault_that_goes_away_is_flaky() {
    let (endpoint, _) = serve(replies(vec![
        error_reply("502 Bad Gateway", "BadGateway"),
        ok_reply_bytes(),
    ]))
    .await;
    let exchange = client_retrying(&endpoint, 2)
        .await
        .send_recorded(&create_channel())
        .await;
    assert!(exchange.outcome.is_success());
    assert!(exchange.flaky());
    assert!(exchange.maybe_processed_before());
}

#[tokio::test]
async fn a_client_mistake_is_never_retried() {
    let (endpoint, captured) = serve(replies(vec![error_reply(
        "400 Bad Request",
        "ChannelAlreadyExistsException",
    )]))
    .await;
    let exchange = client_retrying(&endpoint, 5)
        .await
        .send_recorded(&create_channel())
        .await;
    assert_eq!(exchange.outcome.status(), Some(400));
    assert!(exchange.retried.is_empty());
    assert_eq!(captured.lock().unwrap().len(), 1);
}

async fn send_to(behaviour: Behaviour, request: Request) -> (Received, Captured) {
    let (endpoint, captured) = serve(behaviour).await;
    let outcome = client(&endpoint).await.send(&request).await;
    (outcome, captured)
}

fn create_channel() -> Request {
    Request::json("CreateChannel", json!({"Name": "c", "Source": "Custom"}))
}

fn fault(outcome: &Received) -> &Fault {
    outcome
        .fault()
        .unwrap_or_else(|| panic!("expected a fault, got {outcome:?}"))
}

#[tokio::test]
async fn json_success_with_request_id() {
    let reply = http(
        "200 OK",
        &[
            "x-amzn-RequestId: req-42",
            "Content-Type: application/x-amz-json-1.1",
        ],
        br#"{"ChannelArn":"arn:aws:cloudtrail:us-west-2:123456789012:channel/x"}"#,
    );
    let (outcome, _) = send_to(Behaviour::Reply(reply), create_channel()).await;
    assert!(outcome.is_success(), "{outcome:?}");
    let response = outcome.response().unwrap();
    assert_eq!(response.request_id.as_deref(), Some("req-42"));
    assert_eq!(outcome.error_code(), None);
    assert_eq!(
        response.json.as_ref().unwrap()["ChannelArn"],
        "arn:aws:cloudtrail:us-west-2:123456789012:channel/x"
    );
}

#[tokio::test]
async fn error_type_header_wins() {
    let reply = http(
        "400 Bad Request",
        &["x-amzn-ErrorType: InvalidParameterException:http://internal.amazon.com/"],
        br#"{"__type":"SomethingElse","Message":"bad name"}"#,
    );
    let (outcome, _) = send_to(Behaviour::Reply(reply), create_channel()).await;
    assert_eq!(outcome.status(), Some(400));
    assert_eq!(outcome.error_code(), Some("InvalidParameterException"));
    assert_eq!(
        outcome.response().unwrap().message.as_deref(),
        Some("bad name")
    );
}

#[tokio::test]
async fn namespaced_type_in_the_body() {
    let reply = http(
        "400 Bad Request",
        &[],
        br#"{"__type":"com.amazonaws.cloudtrail.v20131101#ChannelAlreadyExistsException","message":"exists"}"#,
    );
    let (outcome, _) = send_to(Behaviour::Reply(reply), create_channel()).await;
    assert_eq!(outcome.error_code(), Some("ChannelAlreadyExistsException"));
    assert_eq!(
        outcome.response().unwrap().message.as_deref(),
        Some("exists")
    );
}

#[tokio::test]
async fn silence_times_out_on_time() {
    let started = Instant::now();
    let (outcome, _) = send_to(Behaviour::Silent, create_channel()).await;
    assert_eq!(fault(&outcome), &Fault::Timeout);
    assert!(
        started.elapsed() < SHORT_TIMEOUT + MARGIN,
        "{:?}",
        started.elapsed()
    );
    assert!(outcome.latency >= SHORT_TIMEOUT - Duration::from_millis(50));
}

#[tokio::test]
async fn accept_and_close_is_a_reset() {
    let (outcome, _) = send_to(Behaviour::CloseOnAccept, create_channel()).await;
    assert_eq!(fault(&outcome).kind(), "reset", "{outcome:?}");
}

#[tokio::test]
async fn refused_connection_is_a_connect_fault() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let outcome = client(&endpoint).await.send(&create_channel()).await;
    assert_eq!(fault(&outcome).kind(), "connect", "{outcome:?}");
}

#[tokio::test]
async fn non_http_bytes_are_not_http() {
    let reply = b"SSH-2.0-OpenSSH_9.6\r\nProtocol mismatch.\n".to_vec();
    let (outcome, _) = send_to(Behaviour::Reply(reply), create_channel()).await;
    assert_eq!(fault(&outcome).kind(), "not HTTP", "{outcome:?}");
}

#[tokio::test]
async fn announced_huge_body_is_refused_early() {
    let head = b"HTTP/1.1 200 OK\r\nContent-Length: 209715200\r\n\r\n".to_vec();
    let behaviour = Behaviour::Stream {
        head,
        chunk: vec![b'x'; 64 * 1024],
    };
    let started = Instant::now();
    let (outcome, _) = send_to(behaviour, create_channel()).await;
    assert_eq!(
        fault(&outcome),
        &Fault::BodyTooLarge {
            limit: 8 * 1024 * 1024
        }
    );
    assert!(started.elapsed() < SHORT_TIMEOUT, "{:?}", started.elapsed());
}

#[tokio::test]
async fn endless_chunked_body_stops_at_the_cap() {
    let head = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
    let mut chunk = b"10000\r\n".to_vec();
    chunk.extend(vec![b'x'; 0x10000]);
    chunk.extend_from_slice(b"\r\n");
    let started = Instant::now();
    let (outcome, _) = send_to(Behaviour::Stream { head, chunk }, create_channel()).await;
    assert_eq!(fault(&outcome).kind(), "body too large", "{outcome:?}");
    assert!(started.elapsed() < SHORT_TIMEOUT, "{:?}", started.elapsed());
}

#[tokio::test]
async fn html_200_is_a_response_without_json() {
    let reply = http(
        "200 OK",
        &["Content-Type: text/html"],
        b"<html><body>It works!</body></html>",
    );
    let (outcome, _) = send_to(Behaviour::Reply(reply), create_channel()).await;
    let response = outcome.response().expect("an HTTP answer");
    assert_eq!(response.status, 200);
    assert_eq!(response.content_type.as_deref(), Some("text/html"));
    assert!(matches!(response.json, Err(BodyProblem::NotJson(_))));
    assert_eq!(response.request_id, None);
}

#[tokio::test]
async fn deep_json_is_too_deep() {
    let depth = 200_000;
    let body = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    let reply = http("200 OK", &[], body.as_bytes());
    let (outcome, _) = send_to(Behaviour::Reply(reply), create_channel()).await;
    assert_eq!(outcome.response().unwrap().json, Err(BodyProblem::TooDeep));
}

#[tokio::test]
async fn self_redirect_is_not_followed() {
    let reply = http("301 Moved Permanently", &["Location: /"], b"");
    let (outcome, captured) = send_to(Behaviour::Reply(reply), create_channel()).await;
    assert_eq!(fault(&outcome), &Fault::Redirect("HTTP 301 to /".into()));
    assert_eq!(captured.lock().unwrap().len(), 1, "sent exactly once");
}

fn ok_reply() -> Behaviour {
    Behaviour::Reply(ok_reply_bytes())
}

fn ok_reply_bytes() -> Vec<u8> {
    http("200 OK", &["x-amzn-RequestId: r"], b"{}")
}

/// Sends `request` and returns the raw request the server saw.
async fn seen(request: Request) -> String {
    let (outcome, captured) = send_to(ok_reply(), request).await;
    assert!(outcome.is_success(), "{outcome:?}");
    let raw = captured.lock().unwrap().pop().unwrap();
    raw
}

#[tokio::test]
async fn signed_request_carries_the_cloudtrail_scope() {
    let raw = seen(create_channel()).await;
    assert!(raw.starts_with("POST / HTTP/1.1\r\n"), "{raw}");
    let date = header(&raw, "x-amz-date").unwrap();
    assert_eq!(date.len(), 16, "{date}");
    let authorization = header(&raw, "authorization").unwrap();
    let expected = format!(
        "AWS4-HMAC-SHA256 Credential=AKIDCTCONFORMLOCAL/{}/us-west-2/cloudtrail/aws4_request, \
         SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=",
        &date[..8]
    );
    assert!(authorization.starts_with(&expected), "{authorization}");
    assert_eq!(
        header(&raw, "x-amz-target"),
        Some("com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.CreateChannel")
    );
    assert_eq!(
        header(&raw, "content-type"),
        Some("application/x-amz-json-1.1")
    );
    assert!(raw.ends_with(r#"{"Name":"c","Source":"Custom"}"#), "{raw}");
}

#[tokio::test]
async fn service_shape_target() {
    let raw =
        seen(create_channel().with_target(TargetHeader::Form(TargetForm::ServiceShape))).await;
    assert_eq!(
        header(&raw, "x-amz-target"),
        Some("CloudTrail_20131101.CreateChannel")
    );
}

#[tokio::test]
async fn omitted_target_and_custom_content_type() {
    let request = create_channel()
        .with_target(TargetHeader::Omit)
        .with_content_type(HeaderValue::Value("application/json".into()));
    let raw = seen(request).await;
    assert_eq!(header(&raw, "x-amz-target"), None);
    assert_eq!(header(&raw, "content-type"), Some("application/json"));
    let authorization = header(&raw, "authorization").unwrap();
    assert!(
        authorization.contains("SignedHeaders=content-type;host;x-amz-date,"),
        "{authorization}"
    );
}

#[tokio::test]
async fn unsigned_and_handmade_authorization() {
    let raw = seen(create_channel().with_signing(Signing::Unsigned)).await;
    assert_eq!(header(&raw, "authorization"), None);
    assert_eq!(header(&raw, "x-amz-date"), None);

    let bad = "AWS4-HMAC-SHA256 Credential=AKIDX/20200101/us-west-2/cloudtrail/aws4_request, SignedHeaders=host, Signature=00";
    let raw = seen(create_channel().with_signing(Signing::Authorization(bad.into()))).await;
    assert_eq!(header(&raw, "authorization"), Some(bad));
}

#[tokio::test]
async fn raw_body_custom_method_and_no_content_type() {
    let request = Request::raw("Unknown", b"{not json".to_vec())
        .with_content_type(HeaderValue::Omit)
        .with_method("PUT");
    let raw = seen(request).await;
    assert!(raw.starts_with("PUT / HTTP/1.1\r\n"), "{raw}");
    assert_eq!(header(&raw, "content-type"), None);
    assert!(raw.ends_with("{not json"));
}

#[tokio::test]
async fn unsendable_requests_are_client_faults() {
    let (endpoint, captured) = serve(ok_reply()).await;
    let client = client(&endpoint).await;
    let bad_header = create_channel().with_content_type(HeaderValue::Value("a\r\nb".into()));
    let bad_method = create_channel().with_method("NOT A METHOD");
    for request in [bad_header, bad_method] {
        let outcome = client.send(&request).await;
        assert_eq!(fault(&outcome).kind(), "client", "{outcome:?}");
    }
    assert!(captured.lock().unwrap().is_empty());
}

#[tokio::test]
async fn endpoint_without_scheme_is_refused() {
    let error = Client::new(ClientConfig::new("127.0.0.1:4566", "us-east-1"))
        .await
        .unwrap_err();
    assert!(
        error.to_string().contains("a URL without scheme"),
        "{error}"
    );
}

#[tokio::test]
async fn clones_share_one_client() {
    let (endpoint, captured) = serve(ok_reply()).await;
    let first = client(&endpoint).await;
    let second = first.clone();
    assert_eq!(second.region(), "us-west-2");
    let request = create_channel();
    let (a, b) = tokio::join!(first.send(&request), second.send(&request));
    assert!(a.is_success() && b.is_success());
    assert_eq!(captured.lock().unwrap().len(), 2);
}

#[tokio::test]
async fn static_session_token_is_sent() {
    let (endpoint, captured) = serve(ok_reply()).await;
    let mut config = ClientConfig::new(&endpoint, "us-west-2");
    config.credentials = ctconform::wire::CredentialSource::Static(
        aws_credential_types::Credentials::new("AKIDSTATIC", "s", Some("tok".into()), None, "t"),
    );
    let outcome = Client::new(config)
        .await
        .unwrap()
        .send(&create_channel())
        .await;
    assert!(outcome.is_success(), "{outcome:?}");
    let raw = captured.lock().unwrap().pop().unwrap();
    assert_eq!(header(&raw, "x-amz-security-token"), Some("tok"));
    let authorization = header(&raw, "authorization").unwrap();
    assert!(
        authorization.contains("Credential=AKIDSTATIC/"),
        "{authorization}"
    );
    assert!(
        authorization.contains(
            "SignedHeaders=content-type;host;x-amz-date;x-amz-security-token;x-amz-target,"
        ),
        "{authorization}"
    );
}
