//! Client configuration: where to send requests, how long to wait, how much
//! to read, and whose credentials sign them. Also the endpoint checks
//! (`validate_endpoint`, `is_loopback`) and the client's setup error type.

use std::fmt;
use std::time::Duration;

use aws_credential_types::Credentials;
use reqwest::Url;

pub use super::loopback::is_loopback;

/// Access key of the fixed identity used against local emulators.
pub const LOOPBACK_ACCESS_KEY_ID: &str = "AKIDCTCONFORMLOCAL";
/// Secret of the fixed identity used against local emulators (not a secret:
/// emulators accept any signature, this only makes the request well formed).
pub const LOOPBACK_SECRET_ACCESS_KEY: &str = "ctconform-local-secret";

/// The default response size cap: far above any CloudTrail answer.
pub const DEFAULT_MAX_BODY_BYTES: usize = 8 * 1024 * 1024;
/// The default budget for answers being read at once by one client.
pub const DEFAULT_BODY_BUDGET_BYTES: usize = 32 * 1024 * 1024;
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

/// How the client reaches the implementation under test.
#[derive(Clone, Debug)]
pub struct ClientConfig {
    /// Base URL, e.g. `http://127.0.0.1:4566`; requests go to it as is.
    pub endpoint: String,
    /// The SigV4 signing region.
    pub region: String,
    /// Total time for one request: connect, send, and the whole body.
    pub timeout: Duration,
    pub connect_timeout: Duration,
    /// Responses larger than this are a fault, never buffered past it.
    pub max_body_bytes: usize,
    /// Bytes of answers being read at once, across every request of the
    /// client (at least `max_body_bytes`): requests wait for room, within
    /// their timeout, so memory does not grow with concurrency when an
    /// endpoint floods.
    pub body_budget_bytes: usize,
    pub credentials: CredentialSource,
    /// Attempts per request and the backoff between them (SDK standard mode).
    pub retry: super::RetryPolicy,
    /// How requests are paced before they are sent.
    pub pacing: super::PacingConfig,
}

impl ClientConfig {
    /// Defaults: 10 s per request, 3 s to connect, 8 MiB per response, the
    /// fixed local identity for loopback endpoints and the AWS chain otherwise,
    /// the SDKs' standard retries, adaptive pacing, and AWS's published
    /// per-operation rates for an endpoint off this machine.
    pub fn new(endpoint: impl Into<String>, region: impl Into<String>) -> Self {
        let endpoint = endpoint.into();
        let loopback = is_loopback(&endpoint);
        let credentials = if loopback {
            CredentialSource::Loopback
        } else {
            CredentialSource::Chain
        };
        ClientConfig {
            endpoint,
            region: region.into(),
            timeout: DEFAULT_TIMEOUT,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            body_budget_bytes: DEFAULT_BODY_BUDGET_BYTES,
            credentials,
            retry: super::RetryPolicy::default(),
            pacing: super::PacingConfig::for_endpoint(loopback),
        }
    }
}

/// Where signing credentials come from.
#[derive(Clone)]
pub enum CredentialSource {
    /// The fixed dummy identity `AKIDCTCONFORMLOCAL` for local emulators.
    Loopback,
    /// The standard AWS chain through aws-config: environment, profile, SSO,
    /// web identity, container and instance metadata.
    Chain,
    /// These credentials, as given.
    Static(Credentials),
}

impl CredentialSource {
    /// Where the credentials come from, in words a user recognises, without
    /// any key material: for the chain, the environment variables or the
    /// profile it will use, read the way aws-config reads them.
    pub fn describe(&self) -> String {
        let set = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        match self {
            CredentialSource::Loopback => {
                format!("the fixed local identity {LOOPBACK_ACCESS_KEY_ID}")
            }
            CredentialSource::Static(_) => "credentials given to the client".into(),
            CredentialSource::Chain if set("AWS_ACCESS_KEY_ID").is_some() => {
                "the AWS credential chain: environment variables AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY"
                    .into()
            }
            CredentialSource::Chain => match set("AWS_PROFILE") {
                Some(profile) => format!("the AWS credential chain: profile `{profile}`"),
                None if set("AWS_WEB_IDENTITY_TOKEN_FILE").is_some() => {
                    "the AWS credential chain: web identity (AWS_WEB_IDENTITY_TOKEN_FILE)".into()
                }
                None => "the AWS credential chain: profile `default`, else SSO, container or instance credentials"
                    .into(),
            },
        }
    }
}

// By hand so that no key material can reach a log or a report.
impl fmt::Debug for CredentialSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CredentialSource::Loopback => f.write_str("Loopback"),
            CredentialSource::Chain => f.write_str("Chain"),
            CredentialSource::Static(_) => f.write_str("Static(<redacted>)"),
        }
    }
}

/// The loopback identity as SigV4 credentials.
pub(crate) fn loopback_credentials() -> Credentials {
    Credentials::new(
        LOOPBACK_ACCESS_KEY_ID,
        LOOPBACK_SECRET_ACCESS_KEY,
        None,
        None,
        "ctconform-loopback",
    )
}

/// Why a client could not be set up.
#[derive(Debug)]
pub enum WireError {
    /// The endpoint is not a usable `http://` or `https://` URL.
    Endpoint { endpoint: String, reason: String },
    /// The credential chain found nothing usable.
    Credentials(String),
    /// The HTTP client could not be built (TLS roots, for instance).
    HttpClient(String),
}

impl fmt::Display for WireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WireError::Endpoint { endpoint, reason } => {
                write!(f, "endpoint {endpoint:?}: {reason}")
            }
            WireError::Credentials(reason) => write!(f, "AWS credentials: {reason}"),
            WireError::HttpClient(reason) => write!(f, "HTTP client: {reason}"),
        }
    }
}

impl std::error::Error for WireError {}

/// Parses and checks an endpoint: an absolute `http`/`https` URL with a host
/// and nothing that would not survive signing or a reproducer (user info,
/// query, fragment).
pub fn validate_endpoint(endpoint: &str) -> Result<Url, WireError> {
    let fail = |reason: String| WireError::Endpoint {
        endpoint: endpoint.to_string(),
        reason,
    };
    // Checked before parsing: `localhost:4566` would parse as scheme `localhost`.
    if !endpoint.contains("://") {
        return Err(fail(
            "a URL without scheme: write http://HOST:PORT or https://HOST".to_string(),
        ));
    }
    let url = Url::parse(endpoint.trim()).map_err(|e| fail(format!("not a URL: {e}")))?;
    match url.scheme() {
        "http" | "https" => {}
        other => {
            return Err(fail(format!(
                "scheme {other:?} is not supported, use http or https"
            )))
        }
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(fail("the URL has no host".to_string()));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(fail(
            "user info in the URL is not supported (credentials come from the credential source)"
                .to_string(),
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(fail(
            "a query or fragment is not supported: awsJson1_1 requests go to a plain path"
                .to_string(),
        ));
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_follow_the_host() {
        let local = ClientConfig::new("http://127.0.0.1:4566", "us-east-1");
        assert!(matches!(local.credentials, CredentialSource::Loopback));
        assert_eq!(local.max_body_bytes, 8 * 1024 * 1024);
        assert_eq!(local.timeout, Duration::from_secs(10));
        assert_eq!(local.connect_timeout, Duration::from_secs(3));
        let aws = ClientConfig::new("https://cloudtrail.eu-west-1.amazonaws.com", "eu-west-1");
        assert!(matches!(aws.credentials, CredentialSource::Chain));
    }

    #[test]
    fn endpoints_need_a_scheme() {
        for endpoint in [
            "127.0.0.1:4566",
            "localhost:4566",
            "cloudtrail.amazonaws.com",
        ] {
            let message = validate_endpoint(endpoint).unwrap_err().to_string();
            assert!(
                message.contains("a URL without scheme"),
                "{endpoint}: {message}"
            );
        }
        let message = validate_endpoint("ftp://host").unwrap_err().to_string();
        assert!(message.contains("\"ftp\" is not supported"), "{message}");
        assert!(validate_endpoint("http://user:pw@host").is_err());
        assert!(validate_endpoint("http://host/?a=b").is_err());
        assert!(validate_endpoint("http://127.0.0.1:4566").is_ok());
        assert!(validate_endpoint("https://cloudtrail.us-east-1.amazonaws.com/").is_ok());
    }

    #[test]
    fn static_credentials_are_redacted() {
        let source = CredentialSource::Static(Credentials::new(
            "AKIDSECRETISH",
            "very-secret",
            Some("session-secret".into()),
            None,
            "test",
        ));
        let shown = format!("{source:?}");
        assert!(!shown.contains("very-secret") && !shown.contains("session-secret"));
        assert!(!shown.contains("AKIDSECRETISH"));
    }
}
