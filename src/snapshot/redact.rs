//! Redaction: replaces the volatile parts of an answer (ARNs, ids, account
//! ids, the run id, request ids, timestamps, pagination tokens) with stable
//! placeholders that keep identity within one scenario, and sorts object
//! keys, so that two runs against two endpoints render the same text when
//! they behave the same.
//!
//! Numbering follows first appearance. Channel and event data store ARNs are
//! numbered per resource, and the resource id inside the ARN shares the
//! number: `arn:...:channel/<uuid>` becomes `[channel-arn-1]` and the bare
//! `<uuid>` becomes `[channel-id-1]`, wherever either recurs. Within one
//! value or string, ARNs are registered before anything is replaced, so an id
//! that precedes its ARN in the same answer is still recognised.

use std::collections::HashMap;

use regex::Regex;
use serde_json::{Map, Value};

/// What kind of resource an ARN names; decides its placeholder.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum ArnKind {
    Channel,
    EventDataStore,
    Other,
}

impl ArnKind {
    fn arn_label(self) -> &'static str {
        match self {
            ArnKind::Channel => "channel-arn",
            ArnKind::EventDataStore => "eds-arn",
            ArnKind::Other => "arn",
        }
    }

    fn id_label(self) -> Option<&'static str> {
        match self {
            ArnKind::Channel => Some("channel-id"),
            ArnKind::EventDataStore => Some("eds-id"),
            ArnKind::Other => None,
        }
    }
}

/// Per-scenario redaction state: the placeholders handed out so far.
#[derive(Debug)]
pub struct Redactor {
    /// One regex over every volatile token a string can contain; see
    /// [`token_pattern`].
    tokens: Regex,
    /// The configured account id, rendered `[account]`.
    account: String,
    arns: HashMap<String, String>,
    /// Resource ids (the suffix of a channel or store ARN) → placeholder.
    ids: HashMap<String, String>,
    uuids: HashMap<String, String>,
    other_accounts: HashMap<String, String>,
    counters: HashMap<&'static str, usize>,
}

/// Builds the token regex. Alternatives are tried leftmost-first, so at one
/// position the run id wins over an ARN, an ARN over a timestamp, and so on.
fn token_pattern(run_id: &str, account: &str) -> String {
    let mut alternatives = Vec::new();
    if !run_id.is_empty() {
        alternatives.push(format!("(?P<run>{})", regex::escape(run_id)));
    }
    alternatives.push(
        r"(?P<arn>\barn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:[0-9]*:[A-Za-z0-9_+=,.@/:-]*[A-Za-z0-9_+=@/-])"
            .to_string(),
    );
    alternatives.push(
        r"(?P<ts>\b[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)?(?:Z|[+-][0-9]{2}:?[0-9]{2})?)"
            .to_string(),
    );
    alternatives.push(
        r"(?P<uuid>\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b)"
            .to_string(),
    );
    if !account.is_empty() {
        alternatives.push(format!("(?P<acct>\\b{}\\b)", regex::escape(account)));
    }
    alternatives.push(r"(?P<acct12>\b[0-9]{12}\b)".to_string());
    alternatives.join("|")
}

/// Classifies an ARN and extracts the resource id of channels and stores.
fn classify_arn(arn: &str) -> (ArnKind, Option<&str>) {
    let mut parts = arn.splitn(6, ':');
    let service = parts.nth(2).unwrap_or_default();
    let resource = parts.nth(2).unwrap_or_default();
    if service != "cloudtrail" {
        return (ArnKind::Other, None);
    }
    if let Some(id) = resource.strip_prefix("channel/") {
        (ArnKind::Channel, Some(id))
    } else if let Some(id) = resource.strip_prefix("eventdatastore/") {
        (ArnKind::EventDataStore, Some(id))
    } else {
        (ArnKind::Other, None)
    }
}

/// True for members whose value is a timestamp whatever its form.
fn is_timestamp_key(key: &str) -> bool {
    key.ends_with("Timestamp")
        || key.ends_with("Time")
        || key.eq_ignore_ascii_case("timestamp")
        || key.eq_ignore_ascii_case("time")
}

fn is_next_token_key(key: &str) -> bool {
    key.eq_ignore_ascii_case("NextToken")
}

/// `RequestId`, `requestId`, `x-amzn-RequestId`, `x-amz-request-id`, ...
fn is_request_id_key(key: &str) -> bool {
    let folded: String = key
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_ascii_lowercase();
    folded.ends_with("requestid")
}

/// The fixed placeholder for a member whose whole value is volatile, if any.
/// `null` stays `null`: presence versus absence is behaviour.
fn whole_value_placeholder(key: &str, value: &Value) -> Option<&'static str> {
    if value.is_null() {
        None
    } else if is_timestamp_key(key) {
        Some("[timestamp]")
    } else if is_next_token_key(key) {
        Some("[next-token]")
    } else if is_request_id_key(key) {
        Some("[request-id]")
    } else {
        None
    }
}

/// An object's entries in key order, so numbering never depends on the
/// member order an endpoint happened to use.
fn sorted_entries(map: &Map<String, Value>) -> Vec<(&String, &Value)> {
    let mut entries: Vec<_> = map.iter().collect();
    entries.sort_by(|a, b| a.0.cmp(b.0));
    entries
}

impl Redactor {
    /// A fresh redactor for one scenario.
    pub fn new(run_id: &str, account: &str) -> Self {
        let tokens = Regex::new(&token_pattern(run_id, account))
            .expect("the redaction token pattern is valid");
        Redactor {
            tokens,
            account: account.to_string(),
            arns: HashMap::new(),
            ids: HashMap::new(),
            uuids: HashMap::new(),
            other_accounts: HashMap::new(),
            counters: HashMap::new(),
        }
    }

    /// Redacts a JSON value: volatile members replaced, strings scanned,
    /// object keys sorted recursively.
    pub fn redact_value(&mut self, value: &Value) -> Value {
        self.register_value(value);
        self.rewrite_value(value)
    }

    /// Redacts every volatile token inside a string.
    pub fn redact_str(&mut self, text: &str) -> String {
        self.register_str(text);
        self.rewrite_str(text)
    }

    fn next_number(&mut self, label: &'static str) -> usize {
        let counter = self.counters.entry(label).or_insert(0);
        *counter += 1;
        *counter
    }

    /// Hands out the placeholder of an ARN (and of its resource id).
    fn register_arn(&mut self, arn: &str) {
        if self.arns.contains_key(arn) {
            return;
        }
        let (kind, id) = classify_arn(arn);
        let n = self.next_number(kind.arn_label());
        self.arns
            .insert(arn.to_string(), format!("[{}-{n}]", kind.arn_label()));
        if let (Some(id), Some(label)) = (id, kind.id_label()) {
            if !id.is_empty() {
                self.ids
                    .entry(id.to_string())
                    .or_insert_with(|| format!("[{label}-{n}]"));
            }
        }
    }

    fn register_str(&mut self, text: &str) {
        let arns: Vec<String> = self
            .tokens
            .captures_iter(text)
            .filter_map(|c| c.name("arn").map(|m| m.as_str().to_string()))
            .collect();
        for arn in arns {
            self.register_arn(&arn);
        }
    }

    fn register_value(&mut self, value: &Value) {
        match value {
            Value::String(s) => self.register_str(s),
            Value::Array(items) => items.iter().for_each(|v| self.register_value(v)),
            Value::Object(map) => {
                for (key, member) in sorted_entries(map) {
                    self.register_str(key);
                    if whole_value_placeholder(key, member).is_none() {
                        self.register_value(member);
                    }
                }
            }
            Value::Null | Value::Bool(_) | Value::Number(_) => {}
        }
    }

    /// The placeholder for one token match.
    fn placeholder(&mut self, caps: &regex::Captures<'_>) -> String {
        let text = caps.get(0).map_or("", |m| m.as_str());
        if caps.name("run").is_some() {
            return "[run-id]".to_string();
        }
        if caps.name("arn").is_some() {
            self.register_arn(text);
            return self.arns[text].clone();
        }
        if caps.name("ts").is_some() {
            return "[timestamp]".to_string();
        }
        if caps.name("uuid").is_some() {
            if let Some(known) = self.ids.get(text) {
                return known.clone();
            }
            if let Some(known) = self.uuids.get(text) {
                return known.clone();
            }
            let n = self.next_number("uuid");
            let placeholder = format!("[uuid-{n}]");
            self.uuids.insert(text.to_string(), placeholder.clone());
            return placeholder;
        }
        if caps.name("acct").is_some() || text == self.account {
            return "[account]".to_string();
        }
        if let Some(known) = self.other_accounts.get(text) {
            return known.clone();
        }
        let n = self.next_number("other-account");
        let placeholder = format!("[other-account-{n}]");
        self.other_accounts
            .insert(text.to_string(), placeholder.clone());
        placeholder
    }

    fn rewrite_str(&mut self, text: &str) -> String {
        let tokens = self.tokens.clone();
        let mut out = String::with_capacity(text.len());
        let mut last = 0;
        for caps in tokens.captures_iter(text) {
            let whole = caps.get(0).expect("group 0 always matches");
            out.push_str(&text[last..whole.start()]);
            out.push_str(&self.placeholder(&caps));
            last = whole.end();
        }
        out.push_str(&text[last..]);
        out
    }

    fn rewrite_value(&mut self, value: &Value) -> Value {
        match value {
            Value::String(s) => Value::String(self.rewrite_str(s)),
            Value::Array(items) => {
                Value::Array(items.iter().map(|v| self.rewrite_value(v)).collect())
            }
            Value::Object(map) => {
                let mut members: Vec<(String, Value)> = sorted_entries(map)
                    .into_iter()
                    .map(|(key, member)| {
                        let redacted = match whole_value_placeholder(key, member) {
                            Some(placeholder) => Value::String(placeholder.to_string()),
                            None => self.rewrite_value(member),
                        };
                        (self.rewrite_str(key), redacted)
                    })
                    .collect();
                members.sort_by(|a, b| a.0.cmp(&b.0));
                Value::Object(members.into_iter().collect())
            }
            Value::Null | Value::Bool(_) | Value::Number(_) => value.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const ACCOUNT: &str = "123456789012";
    const RUN: &str = "r7x2k9";
    const CH1: &str =
        "arn:aws:cloudtrail:us-east-1:123456789012:channel/0b5c1c2e-1111-4aaa-8bbb-0123456789ab";
    const CH2: &str =
        "arn:aws:cloudtrail:us-east-1:123456789012:channel/9f9f9f9f-2222-4ccc-8ddd-ba9876543210";
    const EDS: &str = "arn:aws:cloudtrail:us-east-1:123456789012:eventdatastore/EXAMPLE-f852-4e8f-8bd1-bcf6cEXAMPLE";

    fn redactor() -> Redactor {
        Redactor::new(RUN, ACCOUNT)
    }

    #[test]
    fn channel_arns_are_numbered_by_first_appearance_and_keep_identity() {
        let mut r = redactor();
        assert_eq!(r.redact_str(CH1), "[channel-arn-1]");
        assert_eq!(r.redact_str(CH2), "[channel-arn-2]");
        assert_eq!(
            r.redact_str(&format!("Channel {CH1} not found.")),
            "Channel [channel-arn-1] not found."
        );
    }

    #[test]
    fn a_channel_id_shares_the_number_of_its_arn() {
        let mut r = redactor();
        r.redact_str(CH2);
        r.redact_str(CH1);
        assert_eq!(
            r.redact_str("0b5c1c2e-1111-4aaa-8bbb-0123456789ab"),
            "[channel-id-2]"
        );
    }

    #[test]
    fn an_id_before_its_arn_in_one_value_is_still_recognised() {
        let mut r = redactor();
        let out = r.redact_value(&json!({
            "A": "0b5c1c2e-1111-4aaa-8bbb-0123456789ab",
            "ChannelArn": CH1,
        }));
        assert_eq!(
            out,
            json!({"A": "[channel-id-1]", "ChannelArn": "[channel-arn-1]"})
        );
    }

    #[test]
    fn event_data_stores_other_arns_and_uuids_have_their_own_sequences() {
        let mut r = redactor();
        assert_eq!(r.redact_str(EDS), "[eds-arn-1]");
        assert_eq!(r.redact_str("arn:aws:iam::123456789012:role/x"), "[arn-1]");
        assert_eq!(
            r.redact_str("id 11111111-2222-4333-8444-555555555555, again 11111111-2222-4333-8444-555555555555"),
            "id [uuid-1], again [uuid-1]"
        );
        assert_eq!(
            r.redact_str("66666666-2222-4333-8444-555555555555"),
            "[uuid-2]"
        );
    }

    #[test]
    fn run_id_and_accounts() {
        let mut r = redactor();
        assert_eq!(r.redact_str("ctc-r7x2k9-dup"), "ctc-[run-id]-dup");
        assert_eq!(
            r.redact_str("account 123456789012 vs 210987654321 vs 210987654321"),
            "account [account] vs [other-account-1] vs [other-account-1]"
        );
        // Longer digit runs are not account ids.
        assert_eq!(r.redact_str("1234567890123"), "1234567890123");
    }

    #[test]
    fn arn_does_not_swallow_trailing_punctuation() {
        let mut r = redactor();
        assert_eq!(
            r.redact_str(&format!("\"{CH1}\": bad. Also {CH1}.")),
            "\"[channel-arn-1]\": bad. Also [channel-arn-1]."
        );
    }

    #[test]
    fn whole_value_members() {
        let mut r = redactor();
        let out = r.redact_value(&json!({
            "CreatedTimestamp": 1700000000.0,
            "StartTime": "2024-01-01T00:00:00Z",
            "UpdatedTimestamp": null,
            "NextToken": "abc",
            "RequestId": "0b5c1c2e-1111-4aaa-8bbb-0123456789ab",
            "Note": "at 2024-01-01T10:00:00.123Z",
        }));
        assert_eq!(
            out,
            json!({
                "CreatedTimestamp": "[timestamp]",
                "NextToken": "[next-token]",
                "Note": "at [timestamp]",
                "RequestId": "[request-id]",
                "StartTime": "[timestamp]",
                "UpdatedTimestamp": null,
            })
        );
        // The request id did not consume a uuid number.
        assert_eq!(
            r.redact_str("0b5c1c2e-1111-4aaa-8bbb-0123456789ab"),
            "[uuid-1]"
        );
    }

    #[test]
    fn keys_are_sorted_recursively_and_numbering_ignores_member_order() {
        let a: Value = serde_json::from_str(&format!(
            r#"{{"z": "{CH2}", "a": [{{"y": 1, "b": "{CH1}"}}]}}"#
        ))
        .unwrap();
        let b: Value = serde_json::from_str(&format!(
            r#"{{"a": [{{"b": "{CH1}", "y": 1}}], "z": "{CH2}"}}"#
        ))
        .unwrap();
        let ra = redactor().redact_value(&a);
        let rb = redactor().redact_value(&b);
        assert_eq!(
            serde_json::to_string(&ra).unwrap(),
            r#"{"a":[{"b":"[channel-arn-1]","y":1}],"z":"[channel-arn-2]"}"#
        );
        assert_eq!(
            serde_json::to_string(&ra).unwrap(),
            serde_json::to_string(&rb).unwrap()
        );
    }

    #[test]
    fn placeholders_are_not_redacted_again() {
        let mut r = redactor();
        let once = r.redact_str(&format!("{CH1} {RUN}"));
        assert_eq!(r.redact_str(&once), once);
    }

    #[test]
    fn empty_run_id_and_account_are_ignored() {
        let mut r = Redactor::new("", "");
        assert_eq!(r.redact_str("plain text"), "plain text");
        assert_eq!(r.redact_str("123456789012"), "[other-account-1]");
    }
}
