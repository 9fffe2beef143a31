//! SigV4 for awsJson1_1 requests: which credentials sign (resolved once,
//! refreshed from the provider before they expire) and the headers a
//! signature adds (`authorization`, `x-amz-date`, `x-amz-security-token`).

use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::{Duration, SystemTime};

use aws_config::BehaviorVersion;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_credential_types::Credentials;
use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4;
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
                let first = provide(&provider).await.map_err(WireError::Credentials)?;
                Ok(Signer::Provided {
                    provider,
                    current: Mutex::new(first),
                })
            }
        }
    }

    /// The credentials to sign with now.
    pub(crate) async fn credentials(&self) -> Result<Credentials, String> {
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

async fn provide(provider: &SharedCredentialsProvider) -> Result<Credentials, String> {
    provider
        .provide_credentials()
        .await
        .map_err(|e| super::fault::chain_message(&e))
}

fn expires_soon(credentials: &Credentials, now: SystemTime) -> bool {
    credentials
        .expiry()
        .is_some_and(|expiry| expiry <= now + REFRESH_MARGIN)
}

/// The headers a SigV4 signature adds to a request with these `headers`
/// (lowercase names; all of them are signed, with `host`, `x-amz-date` and
/// the body hash). Pure given `time`.
pub(crate) fn signature_headers(
    method: &str,
    url: &str,
    headers: &[(&'static str, String)],
    body: &[u8],
    credentials: &Credentials,
    region: &str,
    time: SystemTime,
) -> Result<Vec<(&'static str, String)>, String> {
    let identity = credentials.clone().into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name(protocol::SIGNING_NAME)
        .time(time)
        .settings(SigningSettings::default())
        .build()
        .map_err(|e| format!("signing parameters: {e}"))?;
    let signable = SignableRequest::new(
        method,
        url,
        headers.iter().map(|(name, value)| (*name, value.as_str())),
        SignableBody::Bytes(body),
    )
    .map_err(|e| format!("signing: {e}"))?;
    // aws-sigv4 has `expect`s on its inputs; the caller validates them, and
    // this keeps a missed case a fault instead of a panic in the harness.
    let signed = catch_unwind(AssertUnwindSafe(|| sign(signable, &params.into())))
        .map_err(|_| "signing panicked on this request".to_string())?
        .map_err(|e| format!("signing: {e}"))?;
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
            "POST",
            "http://127.0.0.1:4566/",
            &headers,
            b"{}",
            &loopback_credentials(),
            "eu-west-3",
            at(NEW_YEAR_2026),
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
            "POST",
            "https://cloudtrail.us-east-1.amazonaws.com/",
            &[],
            b"",
            &credentials,
            "us-east-1",
            at(NEW_YEAR_2026),
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
