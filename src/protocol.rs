//! The `awsJson1_1` protocol as CloudTrail uses it (contract §1): targets,
//! media type, error identity and error encoding. Both the emulator (server
//! side) and the wire client (client side) take these facts from here.

use serde_json::Value;

use crate::contract::Operation;

/// The model's `targetPrefix`: botocore and the AWS CLI send it.
pub const TARGET_PREFIX: &str = "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101";
/// The service shape name: the Smithy SDKs (Rust, JavaScript, ...) send it.
pub const SERVICE_SHAPE: &str = "CloudTrail_20131101";
/// The request and response media type.
pub const CONTENT_TYPE: &str = "application/x-amz-json-1.1";
/// The SigV4 signing name.
pub const SIGNING_NAME: &str = "cloudtrail";

pub const HEADER_TARGET: &str = "x-amz-target";
pub const HEADER_REQUEST_ID: &str = "x-amzn-requestid";
pub const HEADER_ERROR_TYPE: &str = "x-amzn-errortype";

/// Which of the two accepted `X-Amz-Target` forms to send.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TargetForm {
    /// `com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.<Operation>`.
    #[default]
    Prefixed,
    /// `CloudTrail_20131101.<Operation>`.
    ServiceShape,
}

/// The `X-Amz-Target` value for `operation_name` in the given form.
pub fn target(operation_name: &str, form: TargetForm) -> String {
    match form {
        TargetForm::Prefixed => format!("{TARGET_PREFIX}.{operation_name}"),
        TargetForm::ServiceShape => format!("{SERVICE_SHAPE}.{operation_name}"),
    }
}

/// What an `X-Amz-Target` header names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// A covered operation, in either accepted form.
    Known(Operation),
    /// Anything else: another prefix, an unknown or mis-cased operation.
    Unknown(String),
}

/// Reads an `X-Amz-Target` value; both forms of contract §1 are accepted.
pub fn parse_target(value: &str) -> Target {
    let operation = value
        .strip_prefix(TARGET_PREFIX)
        .or_else(|| value.strip_prefix(SERVICE_SHAPE))
        .and_then(|rest| rest.strip_prefix('.'))
        .and_then(Operation::from_name);
    match operation {
        Some(op) => Target::Known(op),
        None => Target::Unknown(value.to_string()),
    }
}

/// True when `content_type` is the awsJson1_1 media type, parameters such as
/// `; charset=utf-8` allowed, case-insensitive as media types are.
pub fn is_json_1_1(content_type: &str) -> bool {
    let essence = content_type.split(';').next().unwrap_or("").trim();
    essence.eq_ignore_ascii_case(CONTENT_TYPE)
}

/// Resolves an error code the way smithy-rs does: the `x-amzn-ErrorType`
/// header wins, then the body's `code`, then `__type`; each is sanitised.
pub fn resolve_error_code(error_type_header: Option<&str>, body: Option<&Value>) -> Option<String> {
    let from_body = |key: &str| body.and_then(|b| b.get(key)).and_then(Value::as_str);
    [error_type_header, from_body("code"), from_body("__type")]
        .into_iter()
        .flatten()
        .map(sanitize_error_code)
        .find(|code| !code.is_empty())
}

/// Keeps what comes before the first `:`, then what comes after the first `#`:
/// `ns#Code:http://...` becomes `Code`.
pub fn sanitize_error_code(raw: &str) -> String {
    let before_colon = raw.split(':').next().unwrap_or("");
    let after_hash = match before_colon.split_once('#') {
        Some((_, rest)) => rest,
        None => before_colon,
    };
    after_hash.trim().to_string()
}

/// The error text from `Message` or `message`, when the body has one.
pub fn error_message(body: &Value) -> Option<&str> {
    body.get("Message")
        .or_else(|| body.get("message"))
        .and_then(Value::as_str)
}

/// An awsJson1_1 error body, with the code as `__type` as Coral services send it.
pub fn error_body(code: &str, message: &str) -> Value {
    serde_json::json!({ "__type": code, "message": message })
}

/// The region in a SigV4 `Authorization` header's credential scope
/// (`Credential=AKID/20260101/us-east-1/cloudtrail/aws4_request`).
pub fn region_from_authorization(authorization: &str) -> Option<&str> {
    let credential = authorization
        .split(|c: char| c == ',' || c.is_whitespace())
        .find_map(|part| part.strip_prefix("Credential="))?;
    let mut scope = credential.split('/');
    let _key_id = scope.next()?;
    let _date = scope.next()?;
    scope.next().filter(|region| !region.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn both_target_forms_name_the_operation() {
        for form in [TargetForm::Prefixed, TargetForm::ServiceShape] {
            let value = target("CreateChannel", form);
            assert_eq!(
                parse_target(&value),
                Target::Known(Operation::CreateChannel)
            );
        }
    }

    #[test]
    fn other_targets_are_unknown() {
        for value in [
            "CloudTrail_20131101.CreateTrail",
            "CloudTrail_20131101.createchannel",
            "CreateChannel",
            "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101CreateChannel",
            "",
        ] {
            assert!(matches!(parse_target(value), Target::Unknown(_)), "{value}");
        }
    }

    #[test]
    fn media_type_accepts_parameters_and_case() {
        assert!(is_json_1_1("application/x-amz-json-1.1"));
        assert!(is_json_1_1("application/x-amz-json-1.1; charset=utf-8"));
        assert!(is_json_1_1("Application/X-Amz-Json-1.1;charset=UTF-8"));
        assert!(!is_json_1_1("application/json"));
        assert!(!is_json_1_1("application/x-amz-json-1.0"));
    }

    #[test]
    fn error_code_forms_resolve_alike() {
        let plain = json!({"__type": "ChannelAlreadyExistsException"});
        let namespaced =
            json!({"__type": "com.amazonaws.cloudtrail.v20131101#ChannelAlreadyExistsException"});
        let with_url =
            json!({"code": "ChannelAlreadyExistsException:http://internal.amazon.com/coral/"});
        for body in [&plain, &namespaced, &with_url] {
            assert_eq!(
                resolve_error_code(None, Some(body)).as_deref(),
                Some("ChannelAlreadyExistsException")
            );
        }
    }

    #[test]
    fn header_wins_then_code_then_type() {
        let body = json!({"__type": "A", "code": "B"});
        assert_eq!(
            resolve_error_code(Some("C:x"), Some(&body)).as_deref(),
            Some("C")
        );
        assert_eq!(resolve_error_code(None, Some(&body)).as_deref(), Some("B"));
        assert_eq!(
            resolve_error_code(None, Some(&json!({"__type": "A"}))).as_deref(),
            Some("A")
        );
        assert_eq!(resolve_error_code(None, Some(&json!({}))), None);
        assert_eq!(resolve_error_code(None, None), None);
    }

    #[test]
    fn message_in_either_case() {
        assert_eq!(error_message(&json!({"Message": "M"})), Some("M"));
        assert_eq!(error_message(&json!({"message": "m"})), Some("m"));
        assert_eq!(error_message(&json!({})), None);
    }

    #[test]
    fn region_comes_from_the_credential_scope() {
        let header = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/eu-west-3/cloudtrail/aws4_request, SignedHeaders=host, Signature=abc";
        assert_eq!(region_from_authorization(header), Some("eu-west-3"));
        assert_eq!(region_from_authorization("Bearer x"), None);
        assert_eq!(region_from_authorization("Credential=AKID"), None);
    }
}
