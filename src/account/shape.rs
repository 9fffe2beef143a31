//! The shape every success answer must have, whatever the operation and
//! the scenario's expectation (contract §1: "Success: HTTP 200, JSON object
//! body"): a JSON object whose well-known members have their modelled JSON
//! types. A 200 HTML page or `{"ChannelArn": 7}` is never a pass.

use serde_json::Value;

use crate::wire::{Received, Response};

/// Top-level output members of the operations ctconform calls, and the
/// JSON type the API model gives each.
const MEMBER_TYPES: &[(&str, JsonType)] = &[
    ("ChannelArn", JsonType::String),
    ("Name", JsonType::String),
    ("Source", JsonType::String),
    ("EventDataStoreArn", JsonType::String),
    ("Status", JsonType::String),
    ("NextToken", JsonType::String),
    ("Destinations", JsonType::Array),
    ("Channels", JsonType::Array),
    ("EventDataStores", JsonType::Array),
    ("AdvancedEventSelectors", JsonType::Array),
    ("IngestionStatus", JsonType::Object),
    ("MultiRegionEnabled", JsonType::Bool),
    ("TerminationProtectionEnabled", JsonType::Bool),
    ("RetentionPeriod", JsonType::Number),
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum JsonType {
    String,
    Array,
    Object,
    Bool,
    Number,
}

impl JsonType {
    fn of(value: &Value) -> Option<JsonType> {
        match value {
            Value::String(_) => Some(JsonType::String),
            Value::Array(_) => Some(JsonType::Array),
            Value::Object(_) => Some(JsonType::Object),
            Value::Bool(_) => Some(JsonType::Bool),
            Value::Number(_) => Some(JsonType::Number),
            Value::Null => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            JsonType::String => "a string",
            JsonType::Array => "a list",
            JsonType::Object => "an object",
            JsonType::Bool => "a boolean",
            JsonType::Number => "a number",
        }
    }
}

/// Why a 2xx answer is not a well-formed success, on one line; `None` for
/// a well-formed one and for answers that are not 2xx.
pub(super) fn success_body_problem(response: &Response) -> Option<String> {
    if !(200..300).contains(&response.status) {
        return None;
    }
    let problem = match &response.json {
        Err(problem) => format!("not JSON: {problem}"),
        Ok(Value::Object(members)) => wrong_member(members)?,
        Ok(_) => "wrong shape: the body is not a JSON object".into(),
    };
    Some(format!("HTTP {} answer: {problem}", response.status))
}

/// Why a 2xx answer to `operation` is not a whole success (contract §1:
/// HTTP 200, a JSON object, an `x-amzn-RequestId` header), or has a member
/// of the model's output shape with the wrong JSON type, at any depth. `None`
/// for a whole success and for answers that are not 2xx. Members the model
/// does not list are ignored (§4), and absent members are the scenarios' to require.
pub fn success_problem(operation: &str, response: &Response) -> Option<String> {
    if let Some(problem) = success_body_problem(response) {
        return Some(problem);
    }
    if !(200..300).contains(&response.status) {
        return None;
    }
    let status = response.status;
    if status != 200 {
        return Some(format!("HTTP {status} answer: a success is HTTP 200"));
    }
    if response.request_id.as_deref().is_none_or(str::is_empty) {
        return Some(format!(
            "HTTP {status} answer: no `x-amzn-RequestId` header"
        ));
    }
    let body = response.json.as_ref().ok()?;
    let model = output_model();
    let shape = model.operations.get(operation)?;
    model
        .wrong_type(shape, body, operation)
        .map(|problem| format!("HTTP {status} answer: wrong shape: {problem}"))
}

/// The output shapes of the model, copied into `output_shapes.json`.
#[derive(serde::Deserialize)]
struct OutputModel {
    operations: std::collections::BTreeMap<String, String>,
    shapes: std::collections::BTreeMap<String, ModelShape>,
}

#[derive(serde::Deserialize)]
struct ModelShape {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    members: std::collections::BTreeMap<String, String>,
    member: Option<String>,
}

fn output_model() -> &'static OutputModel {
    static MODEL: std::sync::OnceLock<OutputModel> = std::sync::OnceLock::new();
    MODEL.get_or_init(|| {
        serde_json::from_str(include_str!("output_shapes.json"))
            .expect("output_shapes.json is the model's output shapes")
    })
}

impl OutputModel {
    /// The first value under `at` whose JSON type is not what `shape` says.
    fn wrong_type(&self, shape: &str, value: &Value, at: &str) -> Option<String> {
        let shape = self.shapes.get(shape)?;
        let expected = match shape.kind.as_str() {
            "structure" => JsonType::Object,
            "list" => JsonType::Array,
            "boolean" => JsonType::Bool,
            "integer" | "long" | "double" | "float" => JsonType::Number,
            // awsJson1_1 sends timestamps as epoch seconds (Smithy).
            "timestamp" => JsonType::Number,
            _ => JsonType::String,
        };
        let found = JsonType::of(value)?;
        if found != expected {
            return Some(format!(
                "`{at}` is {}, not {}",
                found.name(),
                expected.name()
            ));
        }
        match value {
            Value::Object(members) => shape.members.iter().find_map(|(name, target)| {
                let member = members.get(name)?;
                self.wrong_type(target, member, &format!("{at}.{name}"))
            }),
            Value::Array(items) => {
                let target = shape.member.as_deref()?;
                items
                    .iter()
                    .enumerate()
                    .find_map(|(i, item)| self.wrong_type(target, item, &format!("{at}[{i}]")))
            }
            _ => None,
        }
    }
}

fn wrong_member(members: &serde_json::Map<String, Value>) -> Option<String> {
    MEMBER_TYPES.iter().find_map(|(name, expected)| {
        let found = JsonType::of(members.get(*name)?)?;
        (found != *expected).then(|| {
            format!(
                "wrong shape: `{name}` is {}, not {}",
                found.name(),
                expected.name()
            )
        })
    })
}

/// An outcome in a few words, for reasons.
pub fn describe(outcome: &Received) -> String {
    match (outcome.fault(), outcome.response()) {
        (Some(fault), _) => fault.to_string(),
        (None, Some(response)) => {
            if let Some(problem) = success_body_problem(response) {
                return problem;
            }
            let code = response.error_code.as_deref().unwrap_or("no error code");
            format!("{} {code}", response.status)
        }
        (None, None) => "no answer".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::parse_response;

    fn answer(status: u16, body: &[u8]) -> Response {
        parse_response(status, &http::HeaderMap::new(), body.to_vec())
    }

    #[test]
    fn well_formed_successes_and_errors_pass() {
        let ok = br#"{"ChannelArn":"arn:aws:cloudtrail:us-east-1:1:channel/x","Name":"n","Destinations":[]}"#;
        assert_eq!(success_body_problem(&answer(200, ok)), None);
        assert_eq!(success_body_problem(&answer(200, b"{}")), None);
        assert_eq!(success_body_problem(&answer(400, b"<html>")), None);
        assert_eq!(
            success_body_problem(&answer(200, br#"{"Name":null}"#)),
            None
        );
    }

    #[test]
    fn html_and_other_non_json_bodies_are_named() {
        let html = success_body_problem(&answer(200, b"<html><body>hi</body></html>")).unwrap();
        assert!(
            html.starts_with("HTTP 200 answer: not JSON: body is not JSON"),
            "{html}"
        );
        let bytes = success_body_problem(&answer(200, b"{\"Name\":\"\xff\"}")).unwrap();
        assert!(bytes.contains("not JSON: body is not UTF-8"), "{bytes}");
        let deep = "[".repeat(200_000) + &"]".repeat(200_000);
        let deep = success_body_problem(&answer(200, deep.as_bytes())).unwrap();
        assert!(
            deep.contains("not JSON: body JSON nests too deep"),
            "{deep}"
        );
        let empty = success_body_problem(&answer(200, b"")).unwrap();
        assert!(empty.contains("not JSON: empty body"), "{empty}");
    }

    #[test]
    fn members_of_the_wrong_type_are_named() {
        let problem = success_body_problem(&answer(200, br#"{"ChannelArn":7}"#)).unwrap();
        assert_eq!(
            problem,
            "HTTP 200 answer: wrong shape: `ChannelArn` is a number, not a string"
        );
        let list = success_body_problem(&answer(200, br#"[1]"#)).unwrap();
        assert!(list.contains("wrong shape: the body is not a JSON object"));
    }
}
