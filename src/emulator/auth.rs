//! SigV4 verification for `ctconform serve --verify-signatures`: the
//! emulator then refuses requests as an endpoint that enforces
//! authentication does (contract section 1), so that the auth scenarios
//! (`--tag auth`) have a conforming target. It knows the loopback identity
//! (the one `ctconform` signs with against a local endpoint) and any key
//! given with `--access-key`.

use std::collections::HashMap;
use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sigv4::sign::v4;
use axum::http::request::Parts;
use axum::http::HeaderMap;
use sha2::{Digest, Sha256};

use crate::protocol;
use crate::wire::{LOOPBACK_ACCESS_KEY_ID, LOOPBACK_SECRET_ACCESS_KEY};

/// How far a request's `X-Amz-Date` may be from now (AWS allows 15 minutes).
const MAX_SKEW: Duration = Duration::from_secs(15 * 60);

/// The keys the emulator accepts: access key id → secret.
#[derive(Clone)]
pub struct Verifier {
    keys: HashMap<String, String>,
}

impl fmt::Debug for Verifier {
    // Secrets never reach output, not even a Debug print.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut ids: Vec<&String> = self.keys.keys().collect();
        ids.sort();
        f.debug_struct("Verifier")
            .field("access_key_ids", &ids)
            .finish()
    }
}

/// Why a request is refused: the error code and a message.
#[derive(Debug, PartialEq, Eq)]
pub struct Refusal {
    pub code: &'static str,
    pub message: String,
}

fn refusal(code: &'static str, message: impl Into<String>) -> Refusal {
    Refusal {
        code,
        message: message.into(),
    }
}

impl Default for Verifier {
    fn default() -> Self {
        Verifier::new()
    }
}

impl Verifier {
    /// Knows the loopback identity.
    pub fn new() -> Verifier {
        let mut keys = HashMap::new();
        keys.insert(
            LOOPBACK_ACCESS_KEY_ID.to_string(),
            LOOPBACK_SECRET_ACCESS_KEY.to_string(),
        );
        Verifier { keys }
    }

    /// Also accepts `access_key_id` signing with `secret`.
    pub fn with_key(mut self, access_key_id: &str, secret: &str) -> Verifier {
        self.keys
            .insert(access_key_id.to_string(), secret.to_string());
        self
    }

    /// Checks the request's SigV4 signature.
    pub fn verify(&self, parts: &Parts, body: &[u8]) -> Result<(), Refusal> {
        self.verify_at(parts, body, SystemTime::now())
    }

    fn verify_at(&self, parts: &Parts, body: &[u8], now: SystemTime) -> Result<(), Refusal> {
        let Some(authorization) = header(&parts.headers, "authorization") else {
            return Err(refusal(
                "MissingAuthenticationTokenException",
                "Missing Authentication Token",
            ));
        };
        let fields = Fields::parse(&authorization).ok_or_else(|| {
            refusal(
                "IncompleteSignatureException",
                "the Authorization header is not a SigV4 one",
            )
        })?;
        let (access_key, scope) = fields
            .credential
            .split_once('/')
            .ok_or_else(|| refusal("IncompleteSignatureException", "no credential scope"))?;
        let Some(secret) = self.keys.get(access_key) else {
            return Err(refusal(
                "UnrecognizedClientException",
                "The security token included in the request is invalid.",
            ));
        };
        let scope_parts: Vec<&str> = scope.split('/').collect();
        let [date, region, service, "aws4_request"] = scope_parts[..] else {
            return Err(refusal(
                "IncompleteSignatureException",
                "the credential scope is not <date>/<region>/<service>/aws4_request",
            ));
        };
        if service != protocol::SIGNING_NAME {
            return Err(refusal(
                "InvalidSignatureException",
                format!("the credential scope names service {service:?}, not cloudtrail"),
            ));
        }
        let amz_date = header(&parts.headers, "x-amz-date").unwrap_or_default();
        let signed_at = parse_amz_date(&amz_date)
            .ok_or_else(|| refusal("IncompleteSignatureException", "no valid X-Amz-Date header"))?;
        if !amz_date.starts_with(date) {
            return Err(refusal(
                "InvalidSignatureException",
                "the credential scope's date is not the X-Amz-Date's",
            ));
        }
        let skew = now
            .duration_since(signed_at)
            .or_else(|e| Ok::<_, ()>(e.duration()))
            .unwrap_or_default();
        if skew > MAX_SKEW {
            return Err(refusal(
                "InvalidSignatureException",
                "Signature expired: the request's X-Amz-Date is more than 15 minutes from now",
            ));
        }
        let canonical = canonical_request(parts, body, &fields.signed_headers);
        let string_to_sign = format!(
            "AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}",
            hex::encode(Sha256::digest(canonical.as_bytes()))
        );
        let key = v4::generate_signing_key(secret, signed_at, region, service);
        let expected = v4::calculate_signature(key.as_ref(), string_to_sign.as_bytes());
        if expected != fields.signature {
            return Err(refusal(
                "InvalidSignatureException",
                "The request signature we calculated does not match the signature you provided.",
            ));
        }
        Ok(())
    }
}

/// The three parts of a SigV4 Authorization value.
struct Fields {
    credential: String,
    signed_headers: Vec<String>,
    signature: String,
}

impl Fields {
    fn parse(authorization: &str) -> Option<Fields> {
        let rest = authorization.strip_prefix("AWS4-HMAC-SHA256")?.trim();
        let mut credential = None;
        let mut signed_headers = None;
        let mut signature = None;
        for part in rest.split(',') {
            let (key, value) = part.trim().split_once('=')?;
            match key {
                "Credential" => credential = Some(value.to_string()),
                "SignedHeaders" => {
                    signed_headers = Some(value.split(';').map(str::to_string).collect())
                }
                "Signature" => signature = Some(value.to_string()),
                _ => {}
            }
        }
        Some(Fields {
            credential: credential?,
            signed_headers: signed_headers?,
            signature: signature?,
        })
    }
}

fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    let values: Vec<String> = headers
        .get_all(name)
        .iter()
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .collect();
    (!values.is_empty()).then(|| values.join(","))
}

/// The SigV4 canonical request: method, path, query, the signed headers,
/// their names, the body's digest.
fn canonical_request(parts: &Parts, body: &[u8], signed: &[String]) -> String {
    let path = match parts.uri.path() {
        "" => "/",
        path => path,
    };
    let mut query: Vec<&str> = parts
        .uri
        .query()
        .unwrap_or_default()
        .split('&')
        .filter(|pair| !pair.is_empty())
        .collect();
    query.sort_unstable();
    let mut canonical = format!("{}\n{path}\n{}\n", parts.method, query.join("&"));
    for name in signed {
        let value = header(&parts.headers, name).unwrap_or_default();
        let squeezed = value.split_whitespace().collect::<Vec<_>>().join(" ");
        canonical.push_str(&format!("{name}:{squeezed}\n"));
    }
    canonical.push('\n');
    canonical.push_str(&signed.join(";"));
    canonical.push('\n');
    let payload = header(&parts.headers, "x-amz-content-sha256")
        .unwrap_or_else(|| hex::encode(Sha256::digest(body)));
    canonical.push_str(&payload);
    canonical
}

/// `YYYYMMDDTHHMMSSZ` as a time.
fn parse_amz_date(text: &str) -> Option<SystemTime> {
    let bytes = text.as_bytes();
    if bytes.len() != 16 || bytes[8] != b'T' || bytes[15] != b'Z' {
        return None;
    }
    let number = |range: std::ops::Range<usize>| text.get(range)?.parse::<u32>().ok();
    let month = time::Month::try_from(number(4..6)? as u8).ok()?;
    let date =
        time::Date::from_calendar_date(number(0..4)? as i32, month, number(6..8)? as u8).ok()?;
    let at = date
        .with_hms(
            number(9..11)? as u8,
            number(11..13)? as u8,
            number(13..15)? as u8,
        )
        .ok()?
        .assume_utc();
    let seconds = u64::try_from(at.unix_timestamp()).ok()?;
    Some(UNIX_EPOCH + Duration::from_secs(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(headers: &[(&str, &str)]) -> Parts {
        let mut builder = axum::http::Request::builder().method("POST").uri("/");
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        builder.body(()).unwrap().into_parts().0
    }

    #[test]
    fn dates_parse() {
        assert_eq!(
            parse_amz_date("19700102T000001Z"),
            Some(UNIX_EPOCH + Duration::from_secs(86_401))
        );
        assert_eq!(parse_amz_date("1970-01-02"), None);
        assert_eq!(parse_amz_date("19701302T000001Z"), None);
    }

    #[test]
    fn missing_unknown_and_malformed_are_told_apart() {
        let verifier = Verifier::new();
        let code =
            |headers: &[(&str, &str)]| verifier.verify(&parts(headers), b"{}").unwrap_err().code;
        assert_eq!(code(&[]), "MissingAuthenticationTokenException");
        assert_eq!(
            code(&[(
                "authorization",
                "AWS4-HMAC-SHA256 Credential=AKIDBAD/20260101/us-east-1/cloudtrail/aws4_request, SignedHeaders=host, Signature=00"
            )]),
            "UnrecognizedClientException"
        );
        assert_eq!(
            code(&[("authorization", "Basic xyz")]),
            "IncompleteSignatureException"
        );
    }

    #[test]
    fn debug_shows_no_secret() {
        let shown = format!("{:?}", Verifier::new().with_key("AKIDX", "s3cr3t"));
        assert!(
            shown.contains("AKIDX") && !shown.contains("s3cr3t"),
            "{shown}"
        );
    }
}
