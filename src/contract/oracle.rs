//! The oracle: given what an endpoint is known to hold and one request, the
//! set of answers that conform (contract §1..§5), unioned over every rule the
//! request breaks; and, as answers come in, the state the endpoint must then
//! be in. `judge_call` is also what the reference emulator serves, so both
//! read the rules from one place.

use std::borrow::Cow;
use std::collections::{BTreeSet, HashSet};
use std::fmt;

use serde_json::{Map, Value};

use super::operation::Operation;
use super::rules::{ErrorCode, RuleId};
use super::shapes::{self, StoreStatus};
use super::state::{Evaluation, Fresh, Plan, Region};
use super::violation::Violation;

/// Which operation a request's `X-Amz-Target` names (classified by the protocol module).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RequestedOperation {
    Known(Operation),
    Unknown,
    Missing,
}

/// What a request's `Content-Type` is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MediaType {
    /// `application/x-amz-json-1.1`, with or without parameters.
    Json11,
    Other,
    Missing,
}

/// One request as the contract sees it.
#[derive(Clone, Debug)]
pub struct Call<'a> {
    pub method_is_post: bool,
    pub operation: RequestedOperation,
    pub media_type: MediaType,
    pub body: CallBody<'a>,
}

/// A request body as it reaches the rules.
#[derive(Clone, Copy, Debug)]
pub enum CallBody<'a> {
    /// Bytes as they came off the wire.
    Bytes(&'a [u8]),
    /// A JSON value about to be sent compactly: read exactly as its
    /// serialisation would be (never empty, keys unique, numbers exact),
    /// without the round trip. For callers that hold the value, such as
    /// the fuzzer judging what it is about to send.
    Json(&'a Value),
}

/// What the contract makes of one request against one state.
#[derive(Clone, Debug)]
pub enum Judged {
    /// Refused before the body counts: any 4xx conforms (P6 missing target, P7 method).
    AnyClientError { rule: RuleId, detail: String },
    /// Refused for its envelope or body: unknown operation (P6), not JSON (P4).
    Refused {
        violation: Violation,
        /// Content-Type missing or other (P7): any 4xx conforms too, as a
        /// server may refuse the media type before it reads the body.
        unusual_media_type: bool,
    },
    /// The body was read as the operation's input.
    Evaluated {
        operation: Operation,
        evaluation: Evaluation,
        /// The body was empty and read as `{}` (P5).
        empty_body: bool,
        /// Content-Type missing or other (P7): any 4xx conforms too.
        unusual_media_type: bool,
    },
}

/// A request read as far as it can be without state: the envelope
/// classified (§1) and the body parsed. Reading is pure, so one read can
/// serve both the oracle and the in-process emulator.
#[derive(Clone, Debug)]
pub enum ReadCall<'a> {
    /// Refused whatever the state holds.
    Refused(Judged),
    /// A body for `operation`, to evaluate against a state: borrowed from a
    /// call that carries its JSON value, parsed from one that carries bytes.
    Body {
        operation: Operation,
        body: Cow<'a, Map<String, Value>>,
        /// The body was empty and read as `{}` (P5).
        empty_body: bool,
        /// The body was a literal `null`, read as `{}`; refusing it as not
        /// an object conforms too (contract §7).
        null_body: bool,
        /// Content-Type missing or other (P7).
        unusual_media_type: bool,
    },
}

/// Reads a request against a state: the single place where §1's envelope
/// rules meet §2..§5's operation rules.
pub fn judge_call(region: &Region, call: &Call<'_>) -> Judged {
    judge_read(region, &read_call(call))
}

/// Reads §1's envelope and parses the body.
pub fn read_call<'a>(call: &Call<'a>) -> ReadCall<'a> {
    if !call.method_is_post {
        let detail = "only POST is an awsJson1_1 request".to_string();
        return ReadCall::Refused(Judged::AnyClientError {
            rule: RuleId::P7,
            detail,
        });
    }
    let operation = match &call.operation {
        RequestedOperation::Known(operation) => *operation,
        RequestedOperation::Missing => {
            let detail = "no X-Amz-Target header".to_string();
            return ReadCall::Refused(Judged::AnyClientError {
                rule: RuleId::P6,
                detail,
            });
        }
        RequestedOperation::Unknown => {
            let violation = Violation::of(RuleId::P6, "X-Amz-Target names no operation");
            return ReadCall::Refused(Judged::Refused {
                violation,
                unusual_media_type: call.media_type != MediaType::Json11,
            });
        }
    };
    let mut body_form = BodyForm::Object;
    let read = match call.body {
        CallBody::Json(Value::Null) => {
            body_form = BodyForm::Null;
            Ok(Cow::Owned(Map::new()))
        }
        CallBody::Json(value) => object_of(value).map(Cow::Borrowed),
        CallBody::Bytes(bytes) if bytes.iter().all(u8::is_ascii_whitespace) => {
            body_form = BodyForm::Empty;
            Ok(Cow::Owned(Map::new()))
        }
        CallBody::Bytes(bytes) => match read_object(bytes) {
            Err(_) if is_json_null(bytes) => {
                body_form = BodyForm::Null;
                Ok(Cow::Owned(Map::new()))
            }
            read => read.map(Cow::Owned),
        },
    };
    let body = match read {
        Ok(body) => body,
        Err(violation) => {
            return ReadCall::Refused(Judged::Refused {
                violation,
                unusual_media_type: call.media_type != MediaType::Json11,
            })
        }
    };
    ReadCall::Body {
        operation,
        body,
        empty_body: body_form == BodyForm::Empty,
        null_body: body_form == BodyForm::Null,
        unusual_media_type: call.media_type != MediaType::Json11,
    }
}

/// What a request body that reads as an object was on the wire.
#[derive(Clone, Copy, PartialEq, Eq)]
enum BodyForm {
    Object,
    /// Empty: the same as `{}` (P5).
    Empty,
    /// A literal `null`: not an object (P4), or read as `{}` (§7 ruling).
    Null,
}

fn is_json_null(bytes: &[u8]) -> bool {
    bytes.trim_ascii() == b"null"
}

/// Judges a read request against a state.
pub fn judge_read(region: &Region, read: &ReadCall<'_>) -> Judged {
    match read {
        ReadCall::Refused(judged) => judged.clone(),
        ReadCall::Body {
            operation,
            body,
            empty_body,
            null_body,
            unusual_media_type,
        } => {
            let mut evaluation = region.evaluate(*operation, body);
            if *null_body {
                // First, so the reference emulator keeps refusing it (§1:
                // deserialisation comes first); success conforms where `{}`
                // would succeed.
                let violation = Violation::with_codes(
                    RuleId::P4,
                    SERIALIZATION,
                    "the body is null, not a JSON object",
                )
                .optional(true);
                evaluation.violations.insert(0, violation);
            }
            Judged::Evaluated {
                operation: *operation,
                evaluation,
                empty_body: *empty_body,
                unusual_media_type: *unusual_media_type,
            }
        }
    }
}

const SERIALIZATION: &[ErrorCode] = &[ErrorCode::SerializationException];

/// The body as a JSON object, or the P4 violation it is.
fn read_object(body: &[u8]) -> Result<Map<String, Value>, Violation> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(object)) => Ok(object),
        Ok(other) => Err(not_an_object(&other)),
        Err(error) => Err(Violation::with_codes(
            RuleId::P4,
            SERIALIZATION,
            format!("the body is not JSON: {error}"),
        )),
    }
}

/// A body's JSON value as the object it must be, or the P4 violation it is.
fn object_of(value: &Value) -> Result<&Map<String, Value>, Violation> {
    value.as_object().ok_or_else(|| not_an_object(value))
}

fn not_an_object(value: &Value) -> Violation {
    Violation::with_codes(
        RuleId::P4,
        SERIALIZATION,
        format!(
            "the body is {}, not a JSON object",
            super::input::json_type(value)
        ),
    )
}

/// The answers that conform to one request.
#[derive(Clone, Debug, PartialEq)]
pub struct Acceptable {
    /// The rules the request breaks, in the order they were found.
    pub rules: Vec<RuleId>,
    /// Error codes that conform (each with its statuses from `ErrorCode::statuses`).
    pub errors: BTreeSet<ErrorCode>,
    /// Any 4xx conforms (P6 missing target, P7 method or media type).
    pub any_client_error: bool,
    /// What a success must show; `None` when success does not conform.
    pub success: Option<SuccessCheck>,
    /// Why: each broken rule with what broke it.
    pub details: Vec<(RuleId, String)>,
}

/// What a conforming success must contain.
#[derive(Clone, Debug, PartialEq)]
pub struct SuccessCheck {
    pub operation: Operation,
    pub plan: Plan,
    /// Members whose values must equal these exactly (others are free).
    pub members: Map<String, Value>,
    /// Members that must be absent or an empty list (unsent `Tags`).
    pub absent_or_empty: Vec<&'static str>,
    /// The member holding a freshly made ARN, and its resource type.
    pub fresh_arn: Option<(&'static str, &'static str)>,
    /// A list operation's page member and the most items a page may hold
    /// (§7: the page size is free, a page longer than `MaxResults` is not).
    pub page_limit: Option<(&'static str, usize)>,
    /// For a first page: what the endpoint must list (read after write, §4).
    pub listed: Option<Listed>,
}

/// What a first page of a list operation must show of the resources the
/// oracle has seen made: each one that exists, once the list is complete
/// (no `NextToken`), and, for channels, none that was deleted. Other
/// resources of the account are free to appear.
#[derive(Clone, Debug, PartialEq)]
pub struct Listed {
    pub member: &'static str,
    pub arn_member: &'static str,
    pub resource: &'static str,
    /// Ids that must be listed.
    pub present: Vec<String>,
    /// Whether an id seen made and no longer in the model may not appear
    /// (channels: deleted is gone; stores pending deletion may still list).
    pub deleted_are_gone: bool,
}

impl Listed {
    fn admits(
        &self,
        body: &Map<String, Value>,
        seen_ids: &HashSet<String>,
    ) -> Result<(), Divergence> {
        let Some(Value::Array(items)) = body.get(self.member) else {
            return Ok(());
        };
        let listed: HashSet<&str> = items
            .iter()
            .filter_map(|item| item.get(self.arn_member)?.as_str())
            .filter_map(|arn| Some(shapes::parse_arn(arn, self.resource)?.id))
            .collect();
        if self.deleted_are_gone {
            let deleted = listed
                .iter()
                .find(|id| seen_ids.contains(**id) && !self.present.iter().any(|p| p == *id));
            if let Some(id) = deleted {
                return diverge(format!(
                    "{} lists {} {id}, which was deleted",
                    self.member, self.resource
                ));
            }
        }
        let complete = body.get("NextToken").is_none_or(Value::is_null);
        if complete {
            if let Some(id) = self.present.iter().find(|id| !listed.contains(id.as_str())) {
                return diverge(format!(
                    "{} does not list {} {id}, which exists (no NextToken: the list is complete)",
                    self.member, self.resource
                ));
            }
        }
        Ok(())
    }
}

/// Why an answer does not conform.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Divergence {
    pub reason: String,
}

impl fmt::Display for Divergence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.reason)
    }
}

fn diverge(reason: impl Into<String>) -> Result<(), Divergence> {
    Err(Divergence {
        reason: reason.into(),
    })
}

impl Acceptable {
    /// A short description of the set, for reports: `200 (echo) | 400 InvalidParameterException | ...`.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(success) = &self.success {
            parts.push(format!("200 {} success", success.operation));
        }
        for code in &self.errors {
            let statuses: Vec<String> = code.statuses().iter().map(u16::to_string).collect();
            parts.push(format!("{} {code}", statuses.join("/")));
        }
        if self.any_client_error {
            parts.push("any 4xx".into());
        }
        parts.join(" | ")
    }

    /// Whether an answer (status, resolved error code, parsed JSON body) conforms.
    pub fn admits(
        &self,
        status: u16,
        error_code: Option<&str>,
        body: Option<&Value>,
        region: &Region,
        seen_ids: &HashSet<String>,
    ) -> Result<(), Divergence> {
        match status {
            200..=299 => match &self.success {
                Some(success) => success.admits(body, region, seen_ids),
                None => diverge(format!(
                    "answered {status} success; expected {}",
                    self.describe()
                )),
            },
            400..=499 => self.admits_error(status, error_code),
            _ => diverge(format!(
                "answered {status}{}; expected {}",
                error_code.map(|c| format!(" {c}")).unwrap_or_default(),
                self.describe()
            )),
        }
    }

    fn admits_error(&self, status: u16, error_code: Option<&str>) -> Result<(), Divergence> {
        if self.any_client_error {
            return Ok(());
        }
        let Some(code) = error_code else {
            return diverge(format!(
                "answered {status} with no error code; expected {}",
                self.describe()
            ));
        };
        match ErrorCode::parse(code).filter(|c| self.errors.contains(c)) {
            Some(known) if known.statuses().contains(&status) => Ok(()),
            Some(known) => diverge(format!(
                "answered {code} with status {status}; the contract allows {:?}",
                known.statuses()
            )),
            None => diverge(format!(
                "answered {status} {code}; expected {}",
                self.describe()
            )),
        }
    }
}

impl SuccessCheck {
    fn admits(
        &self,
        body: Option<&Value>,
        region: &Region,
        seen_ids: &HashSet<String>,
    ) -> Result<(), Divergence> {
        let Some(Value::Object(body)) = body else {
            return diverge("a success without a JSON object body");
        };
        for (member, expected) in &self.members {
            match body.get(member) {
                Some(actual) if actual == expected => {}
                Some(actual) => {
                    return diverge(format!("{member} is {actual}, expected {expected}"))
                }
                None => return diverge(format!("{member} is missing, expected {expected}")),
            }
        }
        for member in &self.absent_or_empty {
            match body.get(*member) {
                None | Some(Value::Null) => {}
                Some(Value::Array(items)) if items.is_empty() => {}
                Some(other) => {
                    return diverge(format!("{member} is {other}, expected absent or []"))
                }
            }
        }
        if let Some((member, limit)) = self.page_limit {
            if let Some(Value::Array(items)) = body.get(member) {
                if items.len() > limit {
                    return diverge(format!(
                        "{member} holds {} items, more than MaxResults {limit}",
                        items.len()
                    ));
                }
            }
        }
        if let Some(listed) = &self.listed {
            listed.admits(body, seen_ids)?;
        }
        if let Some((member, resource)) = self.fresh_arn {
            let arn = body.get(member).and_then(Value::as_str).unwrap_or_default();
            let parsed = shapes::parse_arn(arn, resource);
            let id = match parsed {
                Some(p)
                    if p.partition == region.identity.partition
                        && p.region == region.identity.region
                        && p.account == region.identity.account =>
                {
                    p.id
                }
                _ => {
                    return diverge(format!(
                        "{member} {arn:?} is not a {resource} ARN of {}:{}",
                        region.identity.region, region.identity.account
                    ))
                }
            };
            if seen_ids.contains(id) {
                return diverge(format!("{member} {arn:?} reuses an id already given out"));
            }
        }
        Ok(())
    }
}

/// The acceptable answers for a request judged against `region`.
pub fn acceptable(region: &Region, judged: Judged) -> Acceptable {
    let mut acceptable = Acceptable {
        rules: Vec::new(),
        errors: BTreeSet::new(),
        any_client_error: false,
        success: None,
        details: Vec::new(),
    };
    match judged {
        Judged::AnyClientError { rule, detail } => {
            acceptable.rules.push(rule);
            acceptable.details.push((rule, detail));
            acceptable.any_client_error = true;
        }
        Judged::Refused {
            violation,
            unusual_media_type,
        } => {
            acceptable.add(violation);
            if unusual_media_type {
                acceptable.rules.push(RuleId::P7);
                acceptable.any_client_error = true;
            }
        }
        Judged::Evaluated {
            operation,
            evaluation,
            empty_body,
            unusual_media_type,
        } => {
            let refused = evaluation.plan.is_none();
            for violation in evaluation.violations {
                acceptable.add(violation);
            }
            if empty_body && refused {
                acceptable.add(Violation::of(RuleId::P5, "an empty body, read as {}"));
            }
            if unusual_media_type {
                acceptable.rules.push(RuleId::P7);
                acceptable.any_client_error = true;
            }
            acceptable.success = evaluation
                .plan
                .map(|plan| success_check(region, operation, plan));
        }
    }
    acceptable
}

impl Acceptable {
    fn add(&mut self, violation: Violation) {
        if !self.rules.contains(&violation.rule) {
            self.rules.push(violation.rule);
        }
        self.errors.extend(violation.codes.iter().copied());
        self.details.push((violation.rule, violation.detail));
    }
}

/// The members a success must show: what the contract documents, nothing
/// the reference emulator merely happens to send.
fn success_check(region: &Region, operation: Operation, plan: Plan) -> SuccessCheck {
    let (keys, absent_or_empty, fresh_arn): (&[&str], _, _) = match &plan {
        Plan::CreateChannel(new) => {
            let tags_sent = new.tags.as_ref().is_some_and(|tags| !tags.is_empty());
            let keys: &[&str] = if tags_sent {
                &["Name", "Source", "Destinations", "Tags"]
            } else {
                &["Name", "Source", "Destinations"]
            };
            let absent: Vec<&'static str> = if tags_sent { vec![] } else { vec!["Tags"] };
            (keys, absent, Some(("ChannelArn", "channel")))
        }
        Plan::GetChannel { .. } | Plan::UpdateChannel { .. } => (
            &["ChannelArn", "Name", "Source", "Destinations"],
            Vec::new(),
            None,
        ),
        Plan::CreateStore(_) => (
            &["Name", "Status"],
            Vec::new(),
            Some(("EventDataStoreArn", "eventdatastore")),
        ),
        Plan::GetStore { .. } => (&["EventDataStoreArn", "Name", "Status"], Vec::new(), None),
        Plan::ListChannels { .. }
        | Plan::ListStores { .. }
        | Plan::DeleteChannel { .. }
        | Plan::StopIngestion { .. }
        | Plan::StartIngestion { .. }
        | Plan::DeleteStore { .. } => (&[], Vec::new(), None),
    };
    let members = if keys.is_empty() {
        Map::new()
    } else {
        let placeholder = Fresh {
            id: "00000000-0000-4000-8000-000000000000".into(),
            now: 0.0,
        };
        let mut body = match region.success_body(&plan, &placeholder) {
            Value::Object(body) => body,
            _ => Map::new(),
        };
        keys.iter().filter_map(|k| body.remove_entry(*k)).collect()
    };
    let page_limit = match plan {
        Plan::ListChannels { max, .. } => Some(("Channels", max)),
        Plan::ListStores { max, .. } => Some(("EventDataStores", max)),
        _ => None,
    };
    let listed = match plan {
        Plan::ListChannels { start: 0, .. } => Some(Listed {
            member: "Channels",
            arn_member: "ChannelArn",
            resource: "channel",
            present: region.channels.iter().map(|c| c.id.clone()).collect(),
            deleted_are_gone: true,
        }),
        Plan::ListStores { start: 0, .. } => Some(Listed {
            member: "EventDataStores",
            arn_member: "EventDataStoreArn",
            resource: "eventdatastore",
            present: region
                .stores
                .iter()
                .filter(|store| store.status != StoreStatus::PendingDeletion)
                .map(|store| store.id.clone())
                .collect(),
            deleted_are_gone: false,
        }),
        _ => None,
    };
    SuccessCheck {
        operation,
        plan,
        members,
        absent_or_empty,
        fresh_arn,
        page_limit,
        listed,
    }
}

/// The oracle with memory: it predicts each answer from the state the
/// endpoint must be in, and follows the state as conforming answers arrive.
#[derive(Clone, Debug)]
pub struct Oracle {
    region: Region,
    /// Every id an endpoint has given out, so a reused one is caught (OK1).
    seen_ids: HashSet<String>,
}

impl Oracle {
    pub fn new(region: Region) -> Oracle {
        Oracle {
            region,
            seen_ids: HashSet::new(),
        }
    }

    pub fn region(&self) -> &Region {
        &self.region
    }

    /// The answers that conform to `call` now.
    pub fn expect(&self, call: &Call<'_>) -> Acceptable {
        self.expect_read(&read_call(call))
    }

    /// As [`Oracle::expect`], for a request already read.
    pub fn expect_read(&self, read: &ReadCall<'_>) -> Acceptable {
        acceptable(&self.region, judge_read(&self.region, read))
    }

    /// Judges an answer and, when it is a conforming success, moves the
    /// model to the state the endpoint is now in.
    pub fn observe(
        &mut self,
        expected: &Acceptable,
        status: u16,
        error_code: Option<&str>,
        body: Option<&Value>,
    ) -> Result<(), Divergence> {
        expected.admits(status, error_code, body, &self.region, &self.seen_ids)?;
        if let (200..=299, Some(success)) = (status, &expected.success) {
            let id = success
                .fresh_arn
                .and_then(|(member, resource)| {
                    let arn = body?.get(member)?.as_str()?;
                    Some(shapes::parse_arn(arn, resource)?.id.to_string())
                })
                .unwrap_or_default();
            if !id.is_empty() {
                self.seen_ids.insert(id.clone());
            }
            self.region.commit(&success.plan, &Fresh { id, now: 0.0 });
        }
        Ok(())
    }
}
