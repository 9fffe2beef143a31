//! What the harness asks the client to send: one awsJson1_1 request, with
//! every protocol detail (target, media type, signature, method) open to
//! deliberate breakage. Owns the mapping from a `Request` to the bytes and
//! protocol headers that go on the wire, shared by the client and the curl
//! reproducer so that both always agree.

use std::fmt;

use serde_json::Value;

use crate::protocol::{self, TargetForm};

/// One request to send. Build with [`Request::json`] or [`Request::raw`],
/// then bend it with the `with_*` methods.
#[derive(Clone, Debug, PartialEq)]
pub struct Request {
    /// The operation name; unknown names are allowed on purpose.
    pub operation: String,
    pub body: RequestBody,
    pub target: TargetHeader,
    pub content_type: HeaderValue,
    pub signing: Signing,
    /// `None` sends `POST`, the only method awsJson1_1 uses.
    pub method: Option<String>,
}

/// The request body.
#[derive(Clone, Debug, PartialEq)]
pub enum RequestBody {
    /// Serialised compactly, in the value's own key order.
    Json(Value),
    /// Sent byte for byte, for malformed bodies.
    Raw(Vec<u8>),
}

/// The `X-Amz-Target` header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TargetHeader {
    /// Built from the operation name in one of the two accepted forms.
    Form(TargetForm),
    /// This exact value.
    Value(String),
    /// No header at all.
    Omit,
}

impl Default for TargetHeader {
    fn default() -> Self {
        TargetHeader::Form(TargetForm::Prefixed)
    }
}

/// A header that has a protocol default (used for `Content-Type`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum HeaderValue {
    /// The protocol's value: `application/x-amz-json-1.1` for `Content-Type`.
    #[default]
    Default,
    /// This exact value.
    Value(String),
    /// No header at all.
    Omit,
}

/// How the request is authenticated.
#[derive(Clone, Default, PartialEq, Eq)]
pub enum Signing {
    /// SigV4 with the client's credentials.
    #[default]
    Sign,
    /// No `Authorization` header.
    Unsigned,
    /// Sign nothing and send this `Authorization` value as is (a bad
    /// signature, another scheme, ...).
    Authorization(String),
}

// By hand: a hand-made Authorization value may be a real signature.
impl fmt::Debug for Signing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Signing::Sign => f.write_str("Sign"),
            Signing::Unsigned => f.write_str("Unsigned"),
            Signing::Authorization(value) => {
                write!(f, "Authorization({:?})", mask_authorization(value))
            }
        }
    }
}

/// An `Authorization` value with everything after the scheme masked:
/// `AWS4-HMAC-SHA256 ***`. A value that does not start with a plausible
/// scheme word is masked whole.
pub fn mask_authorization(value: &str) -> String {
    let scheme = value.split_whitespace().next().unwrap_or("");
    let plausible_scheme = !scheme.is_empty()
        && scheme.len() <= 32
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if plausible_scheme {
        format!("{scheme} ***")
    } else {
        "***".to_string()
    }
}

impl Request {
    /// A signed `POST` with a JSON body and the default target and media type.
    pub fn json(operation: &str, body: Value) -> Self {
        Request::with_body(operation, RequestBody::Json(body))
    }

    /// A signed `POST` with these exact body bytes.
    pub fn raw(operation: &str, bytes: Vec<u8>) -> Self {
        Request::with_body(operation, RequestBody::Raw(bytes))
    }

    fn with_body(operation: &str, body: RequestBody) -> Self {
        Request {
            operation: operation.to_string(),
            body,
            target: TargetHeader::default(),
            content_type: HeaderValue::default(),
            signing: Signing::default(),
            method: None,
        }
    }

    pub fn with_target(mut self, target: TargetHeader) -> Self {
        self.target = target;
        self
    }

    pub fn with_content_type(mut self, content_type: HeaderValue) -> Self {
        self.content_type = content_type;
        self
    }

    pub fn with_signing(mut self, signing: Signing) -> Self {
        self.signing = signing;
        self
    }

    pub fn with_method(mut self, method: impl Into<String>) -> Self {
        self.method = Some(method.into());
        self
    }

    /// The HTTP method to send.
    pub fn method_name(&self) -> &str {
        self.method.as_deref().unwrap_or("POST")
    }

    /// The body bytes to send.
    pub fn body_bytes(&self) -> Vec<u8> {
        match &self.body {
            // Serialising a `Value` cannot fail: its map keys are strings.
            RequestBody::Json(value) => serde_json::to_vec(value).unwrap_or_default(),
            RequestBody::Raw(bytes) => bytes.clone(),
        }
    }

    /// The `X-Amz-Target` value, when one is sent.
    pub fn target_value(&self) -> Option<String> {
        match &self.target {
            TargetHeader::Form(form) => Some(protocol::target(&self.operation, *form)),
            TargetHeader::Value(value) => Some(value.clone()),
            TargetHeader::Omit => None,
        }
    }

    /// The `Content-Type` value, when one is sent.
    pub fn content_type_value(&self) -> Option<String> {
        match &self.content_type {
            HeaderValue::Default => Some(protocol::CONTENT_TYPE.to_string()),
            HeaderValue::Value(value) => Some(value.clone()),
            HeaderValue::Omit => None,
        }
    }

    /// The protocol headers, before any signature: lowercase names, in the
    /// order a reproducer shows them.
    pub fn protocol_headers(&self) -> Vec<(&'static str, String)> {
        let content_type = self.content_type_value().map(|v| ("content-type", v));
        let target = self.target_value().map(|v| (protocol::HEADER_TARGET, v));
        content_type.into_iter().chain(target).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn defaults_are_the_protocol() {
        let request = Request::json("CreateChannel", json!({"Name": "c"}));
        assert_eq!(request.method_name(), "POST");
        assert_eq!(request.body_bytes(), br#"{"Name":"c"}"#);
        assert_eq!(
            request.protocol_headers(),
            vec![
                ("content-type", "application/x-amz-json-1.1".to_string()),
                (
                    "x-amz-target",
                    "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.CreateChannel"
                        .to_string()
                ),
            ]
        );
    }

    #[test]
    fn headers_can_be_bent_or_omitted() {
        let request = Request::raw("Nope", b"{".to_vec())
            .with_target(TargetHeader::Form(TargetForm::ServiceShape))
            .with_content_type(HeaderValue::Omit)
            .with_method("PUT");
        assert_eq!(request.method_name(), "PUT");
        assert_eq!(request.body_bytes(), b"{");
        assert_eq!(
            request.protocol_headers(),
            vec![("x-amz-target", "CloudTrail_20131101.Nope".to_string())]
        );
        let bare = request
            .with_target(TargetHeader::Omit)
            .with_content_type(HeaderValue::Value("text/plain".into()));
        assert_eq!(
            bare.protocol_headers(),
            vec![("content-type", "text/plain".to_string())]
        );
    }

    #[test]
    fn authorization_is_masked_in_debug() {
        let secret = "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/cloudtrail/aws4_request, Signature=deadbeef";
        let request = Request::json("CreateChannel", json!({}))
            .with_signing(Signing::Authorization(secret.into()));
        let shown = format!("{request:?}");
        assert!(shown.contains("AWS4-HMAC-SHA256 ***"), "{shown}");
        assert!(
            !shown.contains("deadbeef") && !shown.contains("AKID"),
            "{shown}"
        );
        assert_eq!(
            mask_authorization("secret-without-scheme-but-very-long-value-xyz"),
            "***"
        );
        assert_eq!(mask_authorization(""), "***");
    }
}
