//! A curl command line that sends the same request, for reports. Secrets
//! never appear in it: real credentials are named by their environment
//! variables and curl signs with them (`--aws-sigv4`); a hand-made
//! `Authorization` value is masked.

use super::config::{
    ClientConfig, CredentialSource, LOOPBACK_ACCESS_KEY_ID, LOOPBACK_SECRET_ACCESS_KEY,
};
use super::request::{mask_authorization, Request, Signing};
use crate::protocol;

/// An equivalent curl reproducer for `request` against `config`'s endpoint,
/// on one line, for a POSIX shell.
pub fn curl_command(config: &ClientConfig, request: &Request) -> String {
    let body = request.body_bytes();
    let body_is_text = std::str::from_utf8(&body).is_ok_and(|text| !text.contains('\0'));
    let mut words: Vec<String> = Vec::new();
    if !body_is_text {
        // Binary bodies go through printf's octal escapes on stdin.
        words.push(format!("printf '{}' |", printf_octal(&body)));
    }
    words.extend(
        [
            "curl",
            "--silent",
            "--show-error",
            "--include",
            "--max-time",
        ]
        .map(String::from),
    );
    words.push(config.timeout.as_secs_f64().to_string());
    words.push("-X".into());
    words.push(shell_quote(request.method_name()));
    words.push(shell_quote(config.endpoint.trim()));
    for (name, value) in request.protocol_headers() {
        words.push("-H".into());
        words.push(shell_quote(&format!("{}: {value}", display_name(name))));
    }
    if request.content_type_value().is_none() {
        // Otherwise curl adds `application/x-www-form-urlencoded` for a body.
        words.push("-H".into());
        words.push(shell_quote("Content-Type:"));
    }
    words.extend(signing_words(config, &request.signing));
    words.push("--data-binary".into());
    if body_is_text {
        words.push(shell_quote(&String::from_utf8_lossy(&body)));
    } else {
        words.push("@-".into());
    }
    words.join(" ")
}

/// The words that authenticate the request: curl's own SigV4 with keys from
/// the environment, the fixed loopback keys, or a masked header.
fn signing_words(config: &ClientConfig, signing: &Signing) -> Vec<String> {
    match signing {
        Signing::Unsigned => Vec::new(),
        Signing::Authorization(value) => vec![
            "-H".into(),
            shell_quote(&format!("Authorization: {}", mask_authorization(value))),
        ],
        Signing::Sign => {
            let sigv4 = format!("aws:amz:{}:{}", config.region, protocol::SIGNING_NAME);
            let mut words = vec!["--aws-sigv4".into(), shell_quote(&sigv4), "--user".into()];
            match &config.credentials {
                CredentialSource::Loopback => words.push(shell_quote(&format!(
                    "{LOOPBACK_ACCESS_KEY_ID}:{LOOPBACK_SECRET_ACCESS_KEY}"
                ))),
                CredentialSource::Static(credentials) => {
                    words.push(r#""$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY""#.into());
                    if credentials.session_token().is_some() {
                        words.push(r#"-H "x-amz-security-token: $AWS_SESSION_TOKEN""#.into());
                    }
                }
                CredentialSource::Chain => {
                    words.push(r#""$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY""#.into());
                    // The chain may or may not yield a session token: send one
                    // only when the environment has it.
                    words.push(
                        r#"${AWS_SESSION_TOKEN:+-H "x-amz-security-token: $AWS_SESSION_TOKEN"}"#
                            .into(),
                    );
                }
            }
            words
        }
    }
}

/// The header name as AWS documents it, for readability only.
fn display_name(name: &str) -> &str {
    match name {
        "content-type" => "Content-Type",
        protocol::HEADER_TARGET => "X-Amz-Target",
        other => other,
    }
}

/// Single-quotes `text` for a POSIX shell.
fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// A printf format that prints `bytes` exactly: printable ASCII as is, every
/// other byte (and `%`, `\`, `'`) as a POSIX octal escape.
fn printf_octal(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|&b| match b {
            b'%' | b'\\' | b'\'' => format!("\\{b:03o}"),
            0x20..=0x7e => char::from(b).to_string(),
            _ => format!("\\{b:03o}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::TargetForm;
    use crate::wire::request::{HeaderValue, TargetHeader};
    use aws_credential_types::Credentials;
    use serde_json::json;

    fn local() -> ClientConfig {
        ClientConfig::new("http://127.0.0.1:4566", "us-east-1")
    }

    #[test]
    fn loopback_request_is_complete() {
        let request = Request::json("CreateChannel", json!({"Name": "it's"}));
        assert_eq!(
            curl_command(&local(), &request),
            "curl --silent --show-error --include --max-time 10 -X 'POST' 'http://127.0.0.1:4566' \
             -H 'Content-Type: application/x-amz-json-1.1' \
             -H 'X-Amz-Target: com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.CreateChannel' \
             --aws-sigv4 'aws:amz:us-east-1:cloudtrail' --user 'AKIDCTCONFORMLOCAL:ctconform-local-secret' \
             --data-binary '{\"Name\":\"it'\\''s\"}'"
        );
    }

    #[test]
    fn real_credentials_never_appear() {
        let mut config =
            ClientConfig::new("https://cloudtrail.us-east-1.amazonaws.com", "us-east-1");
        config.credentials = CredentialSource::Static(Credentials::new(
            "AKIDREAL",
            "real-secret",
            Some("real-token".into()),
            None,
            "test",
        ));
        let command = curl_command(&config, &Request::json("CreateChannel", json!({})));
        for secret in ["AKIDREAL", "real-secret", "real-token"] {
            assert!(!command.contains(secret), "{command}");
        }
        assert!(command.contains(r#"--user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY""#));
        assert!(command.contains(r#"-H "x-amz-security-token: $AWS_SESSION_TOKEN""#));

        config.credentials = CredentialSource::Chain;
        let command = curl_command(&config, &Request::json("CreateChannel", json!({})));
        assert!(command.contains("${AWS_SESSION_TOKEN:+"), "{command}");
    }

    #[test]
    fn handmade_authorization_is_masked() {
        let request = Request::json("CreateChannel", json!({})).with_signing(
            Signing::Authorization("AWS4-HMAC-SHA256 Credential=AKID/x, Signature=0123abcd".into()),
        );
        let command = curl_command(&local(), &request);
        assert!(
            command.contains("-H 'Authorization: AWS4-HMAC-SHA256 ***'"),
            "{command}"
        );
        assert!(!command.contains("0123abcd") && !command.contains("--aws-sigv4"));
    }

    #[test]
    fn unsigned_omitted_headers_and_binary_body() {
        let request = Request::raw("X", vec![0, b'%', 0xff, b'a'])
            .with_signing(Signing::Unsigned)
            .with_target(TargetHeader::Omit)
            .with_content_type(HeaderValue::Omit)
            .with_method("GET");
        let command = curl_command(&local(), &request);
        assert_eq!(
            command,
            "printf '\\000\\045\\377a' | curl --silent --show-error --include --max-time 10 -X 'GET' \
             'http://127.0.0.1:4566' -H 'Content-Type:' --data-binary @-"
        );
        let shape = Request::json("GetChannel", json!({}))
            .with_target(TargetHeader::Form(TargetForm::ServiceShape));
        assert!(curl_command(&local(), &shape)
            .contains("-H 'X-Amz-Target: CloudTrail_20131101.GetChannel'"));
    }

    #[test]
    fn printf_format_round_trips_through_a_shell() {
        let bytes: Vec<u8> = (0..=255).collect();
        let format = printf_octal(&bytes);
        let Ok(output) = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!("printf '{format}'"))
            .output()
        else {
            return; // no shell here: nothing to check against
        };
        assert_eq!(output.stdout, bytes);
    }
}
