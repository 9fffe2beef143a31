//! What came back: an HTTP answer read into a [`Response`] (status, request
//! id, resolved error code and message, parsed body) or a [`Fault`], wrapped
//! with its latency in a [`Received`]. The step "status + headers + bytes →
//! Response" is the pure [`parse_response`], so fuzz targets can call it.
//! Nothing here judges conformance; the runner does.

use std::fmt;
use std::time::Duration;

use http::HeaderMap;
use serde_json::Value;

use super::fault::Fault;
use crate::protocol;

/// What came back for one request sent: a response or a fault, and how long it took.
#[derive(Clone, Debug)]
pub struct Received {
    /// From just before sending to the last body byte (or the fault).
    pub latency: Duration,
    pub result: Result<Response, Fault>,
}

impl Received {
    /// The HTTP status, when an HTTP answer was read.
    pub fn status(&self) -> Option<u16> {
        self.response().map(|r| r.status)
    }

    /// The resolved error code, whatever the status.
    pub fn error_code(&self) -> Option<&str> {
        self.response().and_then(|r| r.error_code.as_deref())
    }

    /// True for a 2xx answer.
    pub fn is_success(&self) -> bool {
        self.status().is_some_and(|s| (200..300).contains(&s))
    }

    pub fn response(&self) -> Option<&Response> {
        self.result.as_ref().ok()
    }

    /// The parsed body of a 2xx answer whose body is JSON.
    pub fn success_json(&self) -> Option<&Value> {
        self.response()
            .filter(|_| self.is_success())
            .and_then(|r| r.json.as_ref().ok())
    }

    pub fn fault(&self) -> Option<&Fault> {
        self.result.as_ref().err()
    }
}

/// An HTTP answer, read completely and within the size cap.
#[derive(Clone, PartialEq)]
pub struct Response {
    pub status: u16,
    /// `x-amzn-RequestId`.
    pub request_id: Option<String>,
    /// Per [`protocol::resolve_error_code`]: `x-amzn-ErrorType`, then the
    /// body's `code`, then `__type`. Resolved whatever the status: an error
    /// code on a 200 is for the runner to judge.
    pub error_code: Option<String>,
    /// The body's `Message` or `message`.
    pub message: Option<String>,
    pub content_type: Option<String>,
    /// The body bytes as received.
    pub body: Vec<u8>,
    pub json: Result<Value, BodyProblem>,
}

/// Why a body is not a JSON document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BodyProblem {
    /// Zero bytes.
    Empty,
    /// Not valid UTF-8 (JSON text must be).
    NotUtf8,
    /// Not JSON; serde_json's reason.
    NotJson(String),
    /// Nested deeper than serde_json's recursion limit (128).
    TooDeep,
}

impl fmt::Display for BodyProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BodyProblem::Empty => f.write_str("empty body"),
            BodyProblem::NotUtf8 => f.write_str("body is not UTF-8"),
            BodyProblem::NotJson(reason) => write!(f, "body is not JSON: {reason}"),
            BodyProblem::TooDeep => f.write_str("body JSON nests too deep"),
        }
    }
}

/// Reads a complete HTTP answer. Never fails: every body problem is kept in
/// `json` for the runner to judge.
pub fn parse_response(status: u16, headers: &HeaderMap, body: Vec<u8>) -> Response {
    let json = parse_json(&body);
    read_response(status, headers, body, json)
}

/// The answer whose body is this JSON value, sent compactly: the same
/// [`Response`] as [`parse_response`] reads from those bytes, without
/// parsing them back (for the emulator answering in process).
pub fn json_response(status: u16, headers: &HeaderMap, value: Value) -> Response {
    // Serialising a `Value` cannot fail: its map keys are strings.
    let body = serde_json::to_vec(&value).unwrap_or_default();
    read_response(status, headers, body, Ok(value))
}

fn read_response(
    status: u16,
    headers: &HeaderMap,
    body: Vec<u8>,
    json: Result<Value, BodyProblem>,
) -> Response {
    let error_type = header_text(headers, protocol::HEADER_ERROR_TYPE);
    let parsed = json.as_ref().ok();
    Response {
        status,
        request_id: header_text(headers, protocol::HEADER_REQUEST_ID),
        error_code: protocol::resolve_error_code(error_type.as_deref(), parsed),
        message: parsed.and_then(protocol::error_message).map(str::to_string),
        content_type: header_text(headers, http::header::CONTENT_TYPE.as_str()),
        body,
        json,
    }
}

/// Parses a body as JSON, keeping serde_json's recursion limit: a deeply
/// nested body is an answer to report, not a reason to overflow the stack.
pub fn parse_json(body: &[u8]) -> Result<Value, BodyProblem> {
    if body.is_empty() {
        return Err(BodyProblem::Empty);
    }
    let text = std::str::from_utf8(body).map_err(|_| BodyProblem::NotUtf8)?;
    serde_json::from_str(text).map_err(|e| {
        // serde_json gives this error no category of its own; its message is
        // the only sign, and it is stable ("recursion limit exceeded").
        if e.to_string().starts_with("recursion limit exceeded") {
            BodyProblem::TooDeep
        } else {
            BodyProblem::NotJson(e.to_string())
        }
    })
}

/// The first value of a header as text; bytes that are not UTF-8 are
/// replaced rather than dropping the header.
fn header_text(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned())
}

/// How much of a body `Debug` shows.
const BODY_PREVIEW_BYTES: usize = 256;

// By hand: a body can be megabytes; Debug shows its size and a preview.
impl fmt::Debug for Response {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let preview_end = self.body.len().min(BODY_PREVIEW_BYTES);
        let preview = String::from_utf8_lossy(&self.body[..preview_end]);
        let elided = if self.body.len() > preview_end {
            "…"
        } else {
            ""
        };
        f.debug_struct("Response")
            .field("status", &self.status)
            .field("request_id", &self.request_id)
            .field("error_code", &self.error_code)
            .field("message", &self.message)
            .field("content_type", &self.content_type)
            .field(
                "body",
                &format_args!("{} bytes {preview:?}{elided}", self.body.len()),
            )
            .field("json", &self.json.as_ref().map(|_| "<parsed>"))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, value.parse().unwrap());
        }
        map
    }

    #[test]
    fn a_json_answer_reads_as_its_bytes_would() {
        let with_type = headers(&[("content-type", "application/x-amz-json-1.1")]);
        let with_error_type = headers(&[("x-amzn-errortype", "ResourceNotFoundException:x")]);
        let values = [
            json!({"ChannelArn": "arn:aws:cloudtrail:us-east-1:123456789012:channel/x", "Name": "é😀"}),
            json!({"__type": "com.amazonaws#ChannelNotFoundException", "message": "no such channel"}),
            json!({"code": "ValidationException", "Message": "bad"}),
            json!({}),
            json!([1, 2.5]),
            json!(null),
        ];
        for value in values {
            for (status, map) in [
                (200, &with_type),
                (400, &with_type),
                (404, &with_error_type),
            ] {
                let bytes = serde_json::to_vec(&value).unwrap();
                assert!(
                    json_response(status, map, value.clone()) == parse_response(status, map, bytes),
                    "{status} {value}"
                );
            }
        }
    }

    #[test]
    fn success_body_and_request_id() {
        let response = parse_response(
            200,
            &headers(&[
                ("x-amzn-RequestId", "req-1"),
                ("content-type", "application/x-amz-json-1.1"),
            ]),
            br#"{"ChannelArn":"arn"}"#.to_vec(),
        );
        assert_eq!(response.request_id.as_deref(), Some("req-1"));
        assert_eq!(response.json, Ok(json!({"ChannelArn": "arn"})));
        assert_eq!(response.error_code, None);
        assert_eq!(
            response.content_type.as_deref(),
            Some("application/x-amz-json-1.1")
        );
    }

    #[test]
    fn error_code_header_wins_and_message_is_read() {
        let response = parse_response(
            400,
            &headers(&[("X-Amzn-ErrorType", "InvalidParameterException:http://x/")]),
            br#"{"__type":"ns#Other","Message":"bad"}"#.to_vec(),
        );
        assert_eq!(
            response.error_code.as_deref(),
            Some("InvalidParameterException")
        );
        assert_eq!(response.message.as_deref(), Some("bad"));
    }

    #[test]
    fn error_code_on_a_200_is_still_resolved() {
        let response = parse_response(
            200,
            &HeaderMap::new(),
            br#"{"__type":"com.amazonaws.cloudtrail.v20131101#ChannelNotFoundException","message":"m"}"#
                .to_vec(),
        );
        assert_eq!(
            response.error_code.as_deref(),
            Some("ChannelNotFoundException")
        );
        assert_eq!(response.message.as_deref(), Some("m"));
    }

    #[test]
    fn body_problems() {
        assert_eq!(parse_json(b""), Err(BodyProblem::Empty));
        assert_eq!(parse_json(b"\xff\xfe{}"), Err(BodyProblem::NotUtf8));
        assert!(matches!(
            parse_json(b"<html></html>"),
            Err(BodyProblem::NotJson(_))
        ));
        assert!(matches!(parse_json(b"  "), Err(BodyProblem::NotJson(_))));
        assert!(matches!(parse_json(b"{} {}"), Err(BodyProblem::NotJson(_))));
        assert_eq!(parse_json(b"[1]"), Ok(json!([1])));
    }

    #[test]
    fn deep_nesting_is_too_deep_not_a_stack_overflow() {
        let depth = 200_000;
        let body = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
        assert_eq!(parse_json(body.as_bytes()), Err(BodyProblem::TooDeep));
        let objects = "{\"a\":".repeat(depth);
        assert_eq!(parse_json(objects.as_bytes()), Err(BodyProblem::TooDeep));
        // Within the limit is fine.
        let shallow = format!("{}{}", "[".repeat(100), "]".repeat(100));
        assert!(parse_json(shallow.as_bytes()).is_ok());
    }

    #[test]
    fn non_utf8_header_values_survive() {
        let mut map = HeaderMap::new();
        map.insert(
            "x-amzn-requestid",
            http::HeaderValue::from_bytes(b"id-\xff").unwrap(),
        );
        let response = parse_response(200, &map, b"{}".to_vec());
        assert_eq!(response.request_id.as_deref(), Some("id-\u{fffd}"));
    }

    #[test]
    fn debug_shows_a_preview_only() {
        let response = parse_response(200, &HeaderMap::new(), vec![b'x'; 10_000]);
        let shown = format!("{response:?}");
        assert!(shown.contains("10000 bytes"), "{shown}");
        assert!(shown.len() < 1_000, "{}", shown.len());
    }

    #[test]
    fn outcome_accessors() {
        let ok = Received {
            latency: Duration::ZERO,
            result: Ok(parse_response(204, &HeaderMap::new(), Vec::new())),
        };
        assert_eq!(ok.status(), Some(204));
        assert!(ok.is_success());
        let fault = Received {
            latency: Duration::ZERO,
            result: Err(Fault::Timeout),
        };
        assert_eq!(fault.status(), None);
        assert!(!fault.is_success());
        assert_eq!(fault.error_code(), None);
    }
}
