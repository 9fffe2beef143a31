//! SigV4 for awsJson1_1 requests: which credentials sign (resolved once,
//! refreshed from the provider before they expire) and the headers a
//! signature adds (`authorization`, `x-amz-date`, `x-amz-security-token`).
//!
//! Requests of the shape this client sends (a plain path, only the
//! protocol headers) take a lean path: the canonical request written
//! directly, with aws-sigv4's own key derivation and HMAC. aws-sigv4's
//! general `sign` parses the URL, builds a header map and formats through
//! `Display` for every request, which was a seventh of the fuzzer's CPU.
//! Anything else is signed by `sign` itself, and
//! `tests::the_lean_path_signs_as_aws_sigv4_does` holds the two equal.

use std::borrow::Cow;
use std::cell::RefCell;
use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::{Duration, SystemTime};

use aws_config::BehaviorVersion;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_credential_types::Credentials;
use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4;
use reqwest::Url;
use sha2::{Digest, Sha256};
use tokio::sync::Mutex;

use super::config::{loopback_credentials, CredentialSource, WireError};
use crate::protocol;

/// Credentials are refreshed when they expire within this margin, so a
/// signature never goes out with credentials about to lapse in flight.
const REFRESH_MARGIN: Duration = Duration::from_secs(60);

/// The credentials a client signs with.
pub(crate) enum Signer {
    /// Loopback or static credentials: never refreshed.
    Fixed(Credentials),
    /// From the AWS chain: the last credentials, refreshed near expiry.
    Provided {
        provider: SharedCredentialsProvider,
        current: Mutex<Credentials>,
    },
}

// By hand so that no key material can reach a log.
impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Signer::Fixed(_) => f.write_str("Signer::Fixed(<redacted>)"),
            Signer::Provided { .. } => f.write_str("Signer::Provided(<redacted>)"),
        }
    }
}

impl Signer {
    /// Resolves the first credentials; the chain's failure is an error here
    /// rather than on every request.
    pub(crate) async fn resolve(
        source: &CredentialSource,
        region: &str,
    ) -> Result<Signer, WireError> {
        match source {
            CredentialSource::Loopback => Ok(Signer::Fixed(loopback_credentials())),
            CredentialSource::Static(credentials) => Ok(Signer::Fixed(credentials.clone())),
            CredentialSource::Chain => {
                let sdk_config = aws_config::defaults(BehaviorVersion::latest())
                    .region(aws_config::Region::new(region.to_string()))
                    .load()
                    .await;
                let provider = sdk_config.credentials_provider().ok_or_else(|| {
                    WireError::Credentials("the AWS chain has no credentials provider".into())
                })?;
                let first = provide(&provider)
                    .await
                    .map_err(|CredentialsError(why)| WireError::Credentials(why))?;
                Ok(Signer::Provided {
                    provider,
                    current: Mutex::new(first),
                })
            }
        }
    }

    /// The credentials to sign with now.
    pub(crate) async fn credentials(&self) -> Result<Credentials, CredentialsError> {
        match self {
            Signer::Fixed(credentials) => Ok(credentials.clone()),
            Signer::Provided { provider, current } => {
                let mut current = current.lock().await;
                if expires_soon(&current, SystemTime::now()) {
                    *current = provide(provider).await?;
                }
                Ok(current.clone())
            }
        }
    }
}

async fn provide(provider: &SharedCredentialsProvider) -> Result<Credentials, CredentialsError> {
    provider
        .provide_credentials()
        .await
        .map_err(|e| CredentialsError(super::fault::chain_message(&e)))
}

/// The credential provider gave no credentials: its error chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct CredentialsError(pub String);

impl fmt::Display for CredentialsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AWS credentials: {}", self.0)
    }
}

/// Why aws-sigv4 could not sign a request; its reason where it gave one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum SignError {
    /// The signing parameters (identity, region, name, time) were refused.
    Parameters(String),
    /// The request is not signable (its URL or a header).
    Request(String),
    /// Signing failed on the signable request.
    Sign(String),
    /// aws-sigv4 panicked on this request (one of its `expect`s).
    Panicked,
}

impl fmt::Display for SignError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SignError::Parameters(why) => write!(f, "signing parameters: {why}"),
            SignError::Request(why) | SignError::Sign(why) => write!(f, "signing: {why}"),
            SignError::Panicked => f.write_str("signing panicked on this request"),
        }
    }
}

fn expires_soon(credentials: &Credentials, now: SystemTime) -> bool {
    credentials
        .expiry()
        .is_some_and(|expiry| expiry <= now + REFRESH_MARGIN)
}

/// What a signature covers besides the endpoint: the request (`headers`
/// with lowercase names, all of them signed with `host`, `x-amz-date` and
/// the body hash) and who signs it, where and when.
pub(crate) struct Unsigned<'a> {
    pub method: &'a str,
    pub headers: &'a [(&'static str, String)],
    pub body: &'a [u8],
    pub credentials: &'a Credentials,
    pub region: &'a str,
    pub time: SystemTime,
}

/// An endpoint as SigV4 signs for it, worked out once per client: its URL
/// and, when the lean path can sign for it, its canonical URI and `host`
/// value.
#[derive(Clone, Debug)]
pub(crate) struct SigningEndpoint {
    url: String,
    lean: Option<LeanEndpoint>,
}

#[derive(Clone, Debug)]
struct LeanEndpoint {
    path: String,
    host: String,
}

impl SigningEndpoint {
    /// The lean path takes a path aws-sigv4 would neither normalise nor
    /// percent-encode.
    pub(crate) fn new(url: &Url) -> SigningEndpoint {
        let path = url.path();
        let plain = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'~' | b'/');
        let plain_path = path.starts_with('/') && !path.contains("//") && path.bytes().all(plain);
        // `Url::port` is `None` for the scheme's default port, which the
        // host value leaves out (as hyper and aws-sigv4 do).
        let lean = url
            .host_str()
            .filter(|_| plain_path)
            .map(|host| LeanEndpoint {
                path: path.to_string(),
                host: match url.port() {
                    Some(port) => format!("{host}:{port}"),
                    None => host.to_string(),
                },
            });
        SigningEndpoint {
            url: url.as_str().to_string(),
            lean,
        }
    }
}

/// The headers a SigV4 signature adds to `request` sent to `endpoint`, as
/// aws-sigv4's `sign` makes them with default settings. Pure.
pub(crate) fn signature_headers(
    endpoint: &SigningEndpoint,
    request: &Unsigned<'_>,
) -> Result<Vec<(&'static str, String)>, SignError> {
    match &endpoint.lean {
        Some(lean) if lean_headers(request.headers) => Ok(lean_signature_headers(lean, request)),
        _ => sdk_signature_headers(&endpoint.url, request),
    }
}

/// The headers the lean path knows how to sign: neither is one aws-sigv4
/// leaves unsigned or adds itself.
const LEAN_HEADERS: [&str; 2] = ["content-type", protocol::HEADER_TARGET];

/// Whether the lean path can sign these headers: only the protocol's own,
/// each at most once.
fn lean_headers(headers: &[(&'static str, String)]) -> bool {
    let known = headers.iter().all(|(name, _)| LEAN_HEADERS.contains(name));
    let unique = headers
        .iter()
        .enumerate()
        .all(|(i, (name, _))| headers[..i].iter().all(|(other, _)| other != name));
    known && unique
}

/// SigV4 (headers, default settings) for a request the lean path takes.
fn lean_signature_headers(
    target: &LeanEndpoint,
    request: &Unsigned<'_>,
) -> Vec<(&'static str, String)> {
    let &Unsigned {
        method,
        headers,
        body,
        credentials,
        region,
        time,
    } = request;
    let date_time = amz_date_time(time);
    let token = credentials.session_token();
    let mut canonical: Vec<(&str, Cow<'_, str>)> = headers
        .iter()
        .map(|(name, value)| (*name, trim_all(value)))
        .collect();
    canonical.push(("host", Cow::Borrowed(&target.host)));
    canonical.push(("x-amz-date", Cow::Borrowed(&date_time)));
    if let Some(token) = token {
        canonical.push(("x-amz-security-token", Cow::Borrowed(token)));
    }
    canonical.sort_unstable_by(|a, b| a.0.cmp(b.0));
    let signed_headers = canonical
        .iter()
        .map(|(name, _)| *name)
        .collect::<Vec<_>>()
        .join(";");

    let mut request = String::with_capacity(512);
    for line in [method, &target.path, ""] {
        request.push_str(line);
        request.push('\n');
    }
    for (name, value) in &canonical {
        request.push_str(name);
        request.push(':');
        request.push_str(value);
        request.push('\n');
    }
    request.push('\n');
    request.push_str(&signed_headers);
    request.push('\n');
    request.push_str(&sha256_hex(body));

    let scope = format!(
        "{}/{region}/{}/aws4_request",
        &date_time[..8],
        protocol::SIGNING_NAME
    );
    let string_to_sign = format!(
        "AWS4-HMAC-SHA256\n{date_time}\n{scope}\n{}",
        sha256_hex(request.as_bytes())
    );
    let signature = with_signing_key(credentials, &date_time[..8], region, time, |key| {
        v4::calculate_signature(key, string_to_sign.as_bytes())
    });
    let authorization = format!(
        "AWS4-HMAC-SHA256 Credential={}/{scope}, SignedHeaders={signed_headers}, Signature={signature}",
        credentials.access_key_id()
    );
    let mut added = vec![("x-amz-date", date_time), ("authorization", authorization)];
    if let Some(token) = token {
        added.push(("x-amz-security-token", token.to_string()));
    }
    added
}

/// A signing key and what it was derived from.
struct DerivedKey {
    credentials: Credentials,
    date: String,
    region: String,
    key: Vec<u8>,
}

thread_local! {
    /// The last signing key this thread derived. It changes once a day, or
    /// with the credentials or the region, and deriving it is four HMACs.
    /// It holds another reference to the credentials, not a copy.
    static LAST_KEY: RefCell<Option<DerivedKey>> = const { RefCell::new(None) };
}

/// Calls `sign` with the SigV4 signing key of `credentials` for `date`
/// (`YYYYMMDD` of `time`) and `region`, derived by aws-sigv4 when this
/// thread has not just derived it.
fn with_signing_key<T>(
    credentials: &Credentials,
    date: &str,
    region: &str,
    time: SystemTime,
    sign: impl FnOnce(&[u8]) -> T,
) -> T {
    LAST_KEY.with_borrow_mut(|last| {
        let derived = match last {
            Some(derived)
                if derived.date == date
                    && derived.region == region
                    && derived.credentials == *credentials =>
            {
                derived
            }
            _ => {
                let key = v4::generate_signing_key(
                    credentials.secret_access_key(),
                    time,
                    region,
                    protocol::SIGNING_NAME,
                );
                last.insert(DerivedKey {
                    credentials: credentials.clone(),
                    date: date.to_string(),
                    region: region.to_string(),
                    key: key.as_ref().to_vec(),
                })
            }
        };
        sign(&derived.key)
    })
}

fn sha256_hex(bytes: &[u8]) -> String {
    let mut hex = [0u8; 64];
    // Cannot fail: a SHA-256 digest is 32 bytes, 64 hex digits. (Faster
    // than `hex::encode`, which pushes one char at a time.)
    let _ = hex::encode_to_slice(Sha256::digest(bytes), &mut hex);
    String::from_utf8_lossy(&hex).into_owned()
}

/// `YYYYMMDD'T'HHMMSS'Z'` in UTC, as `x-amz-date` has it.
fn amz_date_time(time: SystemTime) -> String {
    let time = time::OffsetDateTime::from(time);
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        time.year(),
        u8::from(time.month()),
        time.day(),
        time.hour(),
        time.minute(),
        time.second()
    )
}

/// A header value as SigV4 canonicalises it: spaces (only spaces) trimmed
/// from both ends, and each run of them inside made one.
fn trim_all(value: &str) -> Cow<'_, str> {
    let value = value.trim_matches(' ');
    if !value.contains("  ") {
        return Cow::Borrowed(value);
    }
    let mut trimmed = String::with_capacity(value.len());
    let mut last_was_space = false;
    for c in value.chars() {
        let space = c == ' ';
        if !(space && last_was_space) {
            trimmed.push(c);
        }
        last_was_space = space;
    }
    Cow::Owned(trimmed)
}

/// The same headers from aws-sigv4's general `sign`.
fn sdk_signature_headers(
    url: &str,
    request: &Unsigned<'_>,
) -> Result<Vec<(&'static str, String)>, SignError> {
    let identity = request.credentials.clone().into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(request.region)
        .name(protocol::SIGNING_NAME)
        .time(request.time)
        .settings(SigningSettings::default())
        .build()
        .map_err(|e| SignError::Parameters(e.to_string()))?;
    let signable = SignableRequest::new(
        request.method,
        url,
        request
            .headers
            .iter()
            .map(|(name, value)| (*name, value.as_str())),
        SignableBody::Bytes(request.body),
    )
    .map_err(|e| SignError::Request(e.to_string()))?;
    // aws-sigv4 has `expect`s on its inputs; the caller validates them, and
    // this keeps a missed case a fault instead of a panic in the harness.
    let signed = catch_unwind(AssertUnwindSafe(|| sign(signable, &params.into())))
        .map_err(|_| SignError::Panicked)?
        .map_err(|e| SignError::Sign(e.to_string()))?;
    let (instructions, _signature) = signed.into_parts();
    let (added, _query) = instructions.into_parts();
    Ok(added
        .into_iter()
        .map(|header| (header.name(), header.value().to_string()))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds_after_epoch: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(seconds_after_epoch)
    }

    /// 2026-01-01T00:00:00Z.
    const NEW_YEAR_2026: u64 = 1_767_225_600;

    fn url(endpoint: &str) -> Url {
        Url::parse(endpoint).unwrap()
    }

    fn sorted(mut headers: Vec<(&'static str, String)>) -> Vec<(&'static str, String)> {
        headers.sort();
        headers
    }

    #[test]
    fn the_lean_path_signs_as_aws_sigv4_does() {
        let endpoints = [
            "http://127.0.0.1:4566/",
            "http://localhost:4566",
            "http://localhost:80/",
            "https://cloudtrail.us-east-1.amazonaws.com",
            "https://cloudtrail.eu-west-3.amazonaws.com:443/",
            "https://cloudtrail.eu-west-3.amazonaws.com:8443/",
            "http://[::1]:4566/",
            "http://127.0.0.1:4566/base/path/",
            "http://127.0.0.1:4566/a_b-c~d",
        ];
        let target = protocol::target("CreateChannel", Default::default());
        let values = [
            protocol::CONTENT_TYPE,
            "application/x-amz-json-1.1; charset=utf-8",
            "  padded  ",
            "two  spaces   inside",
            "\ttab\t",
            "é and 😀",
            "",
            " ",
        ];
        let header_sets: Vec<Vec<(&'static str, String)>> = values
            .iter()
            .flat_map(|value| {
                [
                    vec![
                        ("content-type", value.to_string()),
                        (protocol::HEADER_TARGET, target.clone()),
                    ],
                    vec![(protocol::HEADER_TARGET, value.to_string())],
                    vec![("content-type", value.to_string())],
                ]
            })
            .chain([Vec::new()])
            .collect();
        let credentials = [
            loopback_credentials(),
            Credentials::new(
                "AKID",
                "secret/with+chars",
                Some("token==".into()),
                None,
                "t",
            ),
        ];
        let times = [
            0,
            951_782_400,
            NEW_YEAR_2026 + 86_399,
            4_102_444_800 + 3_661,
        ];
        let bodies: [&[u8]; 3] = [b"", br#"{"Name":"c"}"#, &[0, 159, 255]];
        let mut checked = 0;
        for endpoint in endpoints {
            let signing = SigningEndpoint::new(&url(endpoint));
            assert!(signing.lean.is_some(), "{endpoint}");
            for headers in &header_sets {
                assert!(lean_headers(headers), "{headers:?}");
                for (index, credentials) in credentials.iter().enumerate() {
                    let time = at(times[(checked + index) % times.len()]);
                    let body = bodies[checked % bodies.len()];
                    for method in ["POST", "PUT", "get"] {
                        let request = Unsigned {
                            method,
                            headers,
                            body,
                            credentials,
                            region: "eu-west-3",
                            time,
                        };
                        let lean = signature_headers(&signing, &request).unwrap();
                        let sdk = sdk_signature_headers(&signing.url, &request).unwrap();
                        assert_eq!(sorted(lean), sorted(sdk), "{endpoint} {method} {headers:?}");
                        checked += 1;
                    }
                }
            }
        }
        assert!(checked > 1000, "{checked}");
    }

    #[test]
    fn the_cached_key_follows_credentials_day_and_region() {
        let signing = SigningEndpoint::new(&url("http://127.0.0.1:4566/"));
        let headers = [("content-type", protocol::CONTENT_TYPE.to_string())];
        let first = Credentials::new("AKID", "first", None, None, "t");
        let rotated = Credentials::new("AKID", "rotated", None, None, "t");
        let inputs = [
            (&first, "us-east-1", NEW_YEAR_2026),
            (&first, "us-east-1", NEW_YEAR_2026 + 60),
            (&rotated, "us-east-1", NEW_YEAR_2026 + 60),
            (&rotated, "eu-west-3", NEW_YEAR_2026 + 60),
            (&rotated, "eu-west-3", NEW_YEAR_2026 + 86_400),
            (&first, "us-east-1", NEW_YEAR_2026),
        ];
        for (credentials, region, seconds) in inputs {
            let request = Unsigned {
                method: "POST",
                headers: &headers,
                body: b"{}",
                credentials,
                region,
                time: at(seconds),
            };
            let lean = signature_headers(&signing, &request).unwrap();
            let sdk = sdk_signature_headers(&signing.url, &request).unwrap();
            assert_eq!(sorted(lean), sorted(sdk), "{region} {seconds}");
        }
    }

    #[test]
    fn other_shapes_go_to_aws_sigv4() {
        let plain = SigningEndpoint::new(&url("http://127.0.0.1:4566/"));
        for path in [
            "http://h/a//b",
            "http://h/%41",
            "http://h/a.b",
            "http://h/a/..b",
        ] {
            assert!(SigningEndpoint::new(&url(path)).lean.is_none(), "{path}");
        }
        let twice = [
            ("content-type", "a".to_string()),
            ("content-type", "b".to_string()),
        ];
        let other = [("user-agent", "ctconform".to_string())];
        assert!(!lean_headers(&twice));
        assert!(!lean_headers(&other));
        // Signed either way, and the same as before.
        let signed = signature_headers(
            &plain,
            &Unsigned {
                method: "POST",
                headers: &twice,
                body: b"{}",
                credentials: &loopback_credentials(),
                region: "us-east-1",
                time: at(NEW_YEAR_2026),
            },
        )
        .unwrap();
        assert!(header(&signed, "authorization").is_some());
    }

    #[test]
    fn trim_all_trims_and_squeezes_spaces_only() {
        assert_eq!(trim_all("  a  b   c "), "a b c");
        assert_eq!(trim_all("\ta\t"), "\ta\t");
        assert_eq!(trim_all("a b"), "a b");
    }

    fn header<'a>(headers: &'a [(&'static str, String)], name: &str) -> Option<&'a str> {
        headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    #[test]
    fn signs_the_protocol_headers_for_cloudtrail() {
        let headers = vec![
            ("content-type", protocol::CONTENT_TYPE.to_string()),
            (
                "x-amz-target",
                protocol::target("CreateChannel", Default::default()),
            ),
        ];
        let added = signature_headers(
            &SigningEndpoint::new(&url("http://127.0.0.1:4566/")),
            &Unsigned {
                method: "POST",
                headers: &headers,
                body: b"{}",
                credentials: &loopback_credentials(),
                region: "eu-west-3",
                time: at(NEW_YEAR_2026),
            },
        )
        .unwrap();
        let authorization = header(&added, "authorization").unwrap();
        assert!(
            authorization.starts_with(
                "AWS4-HMAC-SHA256 Credential=AKIDCTCONFORMLOCAL/20260101/eu-west-3/cloudtrail/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature="
            ),
            "{authorization}"
        );
        assert_eq!(header(&added, "x-amz-date"), Some("20260101T000000Z"));
        assert_eq!(header(&added, "x-amz-security-token"), None);
    }

    #[test]
    fn session_tokens_are_sent_and_signed() {
        let credentials = Credentials::new("AKID", "secret", Some("token".into()), None, "test");
        let added = signature_headers(
            &SigningEndpoint::new(&url("https://cloudtrail.us-east-1.amazonaws.com/")),
            &Unsigned {
                method: "POST",
                headers: &[],
                body: b"",
                credentials: &credentials,
                region: "us-east-1",
                time: at(NEW_YEAR_2026),
            },
        )
        .unwrap();
        assert_eq!(header(&added, "x-amz-security-token"), Some("token"));
        let authorization = header(&added, "authorization").unwrap();
        assert!(
            authorization.contains("SignedHeaders=host;x-amz-date;x-amz-security-token"),
            "{authorization}"
        );
    }

    #[test]
    fn refresh_only_near_expiry() {
        let now = at(NEW_YEAR_2026);
        let expiring =
            |secs| Credentials::new("A", "S", None, Some(now + Duration::from_secs(secs)), "t");
        assert!(expires_soon(&expiring(30), now));
        assert!(!expires_soon(&expiring(3600), now));
        assert!(!expires_soon(&loopback_credentials(), now));
    }

    #[test]
    fn debug_is_redacted() {
        let shown = format!("{:?}", Signer::Fixed(loopback_credentials()));
        assert!(!shown.contains("ctconform-local-secret") && !shown.contains("AKID"));
    }
}
