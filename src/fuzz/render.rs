//! From a plan [`PlannedCall`] to the [`Request`] that goes on the wire, given the
//! session's namespace and the resources it can refer to; and from a
//! `Request` to the [`Call`] the contract judges (`CallParts`), read the
//! same way the emulator reads an HTTP request, so the oracle and the
//! endpoint see one request.
//!
//! Rendering is pure: the same step, namespace and resources always give the
//! same request. The exporter renders a second time with template
//! resources (see [`var`]) to write `${...}` variables into scenarios.

use serde_json::{json, Map, Value};

use super::plan::{
    Action, BodyBend, By, Category, ChannelInput, ChannelRef, ContentTypeChoice, DestinationKind,
    Destinations, Field, Fill, Json, Location, MethodChoice, Name, Page, PlannedCall,
    PlannedDestination, PlannedStoreInput, Source, StoreRef, StoreTarget, TagKey, TagValue, Tags,
    TargetChoice,
};
use crate::contract::{Call, CallBody, Identity, MediaType, Operation, RequestedOperation};
use crate::protocol::{self, Target, TargetForm};
use crate::wire::{HeaderValue, Request, RequestBody, TargetHeader};

/// Marks a scenario variable inside rendered text: `var("run_id")` is
/// written out as `${run_id}` by the exporter. Private-use characters, so
/// they cannot come from anything the fuzzer generates itself.
pub fn var(name: &str) -> String {
    format!("{VAR_OPEN}{name}{VAR_CLOSE}")
}

pub const VAR_OPEN: char = '\u{E000}';
pub const VAR_CLOSE: char = '\u{E001}';

/// Where a session's names live, so that concurrent sessions never meet.
#[derive(Clone, Debug)]
pub struct Namespace {
    /// Starts every fresh name: `ctf-<run>-<session>-`.
    pub fresh_prefix: String,
    /// Starts exact-length names long enough to hold it (a literal: exact
    /// lengths must not depend on a variable's length).
    pub exact_prefix: String,
    /// The characters of exact-length names shorter than `exact_prefix`,
    /// distinct per session in their first three characters.
    pub short_code: String,
}

impl Namespace {
    /// The live namespace of one session of one run.
    pub fn session(run_id: &str, session: u64) -> Namespace {
        let prefix = format!("ctf-{run_id}-{session}-");
        Namespace {
            fresh_prefix: prefix.clone(),
            exact_prefix: prefix,
            short_code: base62_lsb_first(session, 8),
        }
    }
}

/// `n` in base 62, least significant digit first, padded with `0`: the
/// first k characters differ for every n below 62^k.
fn base62_lsb_first(mut n: u64, width: usize) -> String {
    const DIGITS: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let mut out = String::new();
    while out.len() < width {
        out.push(DIGITS[(n % 62) as usize] as char);
        n /= 62;
    }
    out
}

/// A resource by ARN and by bare id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Handle {
    pub arn: String,
    pub id: String,
}

/// What a session's requests can refer to.
#[derive(Clone, Debug)]
pub struct Resources {
    pub identity: Identity,
    pub integration: Handle,
    pub management: Handle,
    pub pending: Handle,
    /// Channels the session created, deleted ones included, in order.
    pub channels: Vec<Handle>,
    /// The names they were created with.
    pub channel_names: Vec<String>,
    pub stores: Vec<Handle>,
    pub store_names: Vec<String>,
    /// The partner sources this session may use (C2 is account-wide).
    pub partners: Vec<&'static str>,
}

/// Renders one step as the request to send.
pub fn render(step: &PlannedCall, ns: &Namespace, res: &Resources) -> Request {
    let (operation, body) = render_action(&step.action, ns, res);
    let envelope = &step.envelope;
    let body = match envelope.body {
        BodyBend::AsIs => RequestBody::Json(body),
        BodyBend::Empty => RequestBody::Raw(Vec::new()),
        BodyBend::NotJson => RequestBody::Raw(b"{\"Name\": not json".to_vec()),
        BodyBend::JsonArray => RequestBody::Json(Value::Array(vec![body])),
        BodyBend::Truncated => {
            let bytes = serde_json::to_vec(&body).unwrap_or_default();
            RequestBody::Raw(bytes[..bytes.len() / 2].to_vec())
        }
        BodyBend::JsonNull => RequestBody::Raw(b"null".to_vec()),
    };
    let target = match envelope.target {
        TargetChoice::Prefixed => TargetHeader::Form(TargetForm::Prefixed),
        TargetChoice::ServiceShape => TargetHeader::Form(TargetForm::ServiceShape),
        TargetChoice::Missing => TargetHeader::Omit,
        TargetChoice::UnknownOperation => {
            TargetHeader::Value(protocol::target("CreateTrailChannel", TargetForm::Prefixed))
        }
        TargetChoice::Recased => TargetHeader::Value(protocol::target(
            &operation.name().to_lowercase(),
            TargetForm::ServiceShape,
        )),
    };
    let content_type = match envelope.content_type {
        ContentTypeChoice::Json11 => HeaderValue::Default,
        ContentTypeChoice::Json11Charset => {
            HeaderValue::Value(format!("{}; charset=utf-8", protocol::CONTENT_TYPE))
        }
        ContentTypeChoice::Missing => HeaderValue::Omit,
        ContentTypeChoice::ApplicationJson => HeaderValue::Value("application/json".into()),
        ContentTypeChoice::TextPlain => HeaderValue::Value("text/plain".into()),
    };
    let mut request = Request {
        operation: operation.name().to_string(),
        body,
        target,
        content_type,
        signing: Default::default(),
        method: None,
    };
    match envelope.method {
        MethodChoice::Post => {}
        MethodChoice::Get => request.method = Some("GET".into()),
        MethodChoice::Put => request.method = Some("PUT".into()),
    }
    request
}

/// The operation a step's action names (whatever its envelope says).
pub fn operation_of(action: &Action) -> Operation {
    match action {
        Action::CreateChannel(_) => Operation::CreateChannel,
        Action::GetChannel(_) => Operation::GetChannel,
        Action::ListChannels(_) => Operation::ListChannels,
        Action::UpdateChannel { .. } => Operation::UpdateChannel,
        Action::DeleteChannel(_) => Operation::DeleteChannel,
        Action::CreateStore(_) => Operation::CreateEventDataStore,
        Action::GetStore(_) => Operation::GetEventDataStore,
        Action::ListStores(_) => Operation::ListEventDataStores,
        Action::StopIngestion(_) => Operation::StopEventDataStoreIngestion,
        Action::StartIngestion(_) => Operation::StartEventDataStoreIngestion,
        Action::DeleteStore(_) => Operation::DeleteEventDataStore,
    }
}

fn render_action(action: &Action, ns: &Namespace, res: &Resources) -> (Operation, Value) {
    let mut body = Map::new();
    match action {
        Action::CreateChannel(input) => channel_input(&mut body, input, ns, res),
        Action::GetChannel(channel) | Action::DeleteChannel(channel) => {
            channel_ref(&mut body, channel, res)
        }
        Action::ListChannels(page) | Action::ListStores(page) => page_members(&mut body, page),
        Action::UpdateChannel {
            channel,
            name,
            destinations,
        } => {
            channel_ref(&mut body, channel, res);
            put(&mut body, "Name", name, Kind::Text, |n| {
                channel_name(n, ns, res).into()
            });
            put(&mut body, "Destinations", destinations, Kind::List, |d| {
                destination_list(d, res)
            });
        }
        Action::CreateStore(input) => store_input(&mut body, input, ns, res),
        Action::GetStore(store) => store_ref(&mut body, store, res, StoreUse::Read),
        Action::StopIngestion(store) | Action::StartIngestion(store) => {
            store_ref(&mut body, store, res, StoreUse::Ingestion)
        }
        Action::DeleteStore(store) => store_ref(&mut body, store, res, StoreUse::Delete),
    }
    (operation_of(action), Value::Object(body))
}

/// The JSON type a member should have, to pick a wrong one.
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Text,
    List,
    Integer,
}

fn wrong_value(json: Json, kind: Kind) -> Value {
    match (json, kind) {
        (Json::Text, Kind::Text) | (Json::Number, Kind::Integer) => json!(true),
        (Json::List, Kind::List) => json!({"Type": "EVENT_DATA_STORE"}),
        (Json::Number, _) => json!(12345),
        (Json::Bool, _) => json!(false),
        (Json::Text, _) => json!("12"),
        (Json::List, _) => json!(["x"]),
        (Json::Object, _) => json!({"x": 1}),
    }
}

fn put<T>(
    body: &mut Map<String, Value>,
    key: &str,
    field: &Field<T>,
    kind: Kind,
    value: impl FnOnce(&T) -> Value,
) {
    let rendered = match field {
        Field::Set(inner) => value(inner),
        Field::Absent => return,
        Field::Null => Value::Null,
        Field::Wrong(json) => wrong_value(*json, kind),
    };
    body.insert(key.to_string(), rendered);
}

/// Exactly `len` characters: `base` (cycled, then padded with `pad`), with
/// the fill's character in the middle, or all `é` for [`Fill::Accent`].
fn exact_text(len: u16, fill: Fill, base: &str, pad: char) -> String {
    let len = usize::from(len);
    if fill == Fill::Accent {
        return "é".repeat(len);
    }
    let mut chars: Vec<char> = base.chars().take(len).collect();
    chars.resize(len, pad);
    let odd = match fill {
        Fill::Valid | Fill::Accent => None,
        Fill::Space => Some(' '),
        Fill::Slash => Some('/'),
        Fill::At => Some('@'),
        Fill::Colon => Some(':'),
        Fill::Star => Some('*'),
        Fill::Emoji => Some('🦀'),
        Fill::Dollar => Some('$'),
        Fill::Quote => Some('"'),
        Fill::Newline => Some('\n'),
    };
    if let (Some(odd), false) = (odd, chars.is_empty()) {
        let middle = chars.len() / 2;
        chars[middle] = odd;
    }
    chars.into_iter().collect()
}

fn exact_name(len: u16, fill: Fill, ns: &Namespace) -> String {
    let prefix_len = ns.exact_prefix.chars().count();
    let base = if usize::from(len) >= prefix_len {
        &ns.exact_prefix
    } else {
        &ns.short_code
    };
    exact_text(len, fill, base, 'x')
}

fn channel_name(name: &Name, ns: &Namespace, res: &Resources) -> String {
    match name {
        Name::Fresh(variant) => format!("{}c{variant}", ns.fresh_prefix),
        Name::Exact { len, fill } => exact_name(*len, *fill, ns),
        Name::Existing(index) => nth(&res.channel_names, *index)
            .cloned()
            .unwrap_or_else(|| format!("{}c{index}", ns.fresh_prefix)),
    }
}

fn store_name(name: &Name, ns: &Namespace, res: &Resources) -> String {
    match name {
        Name::Fresh(variant) => format!("{}s{variant}", ns.fresh_prefix),
        Name::Exact { len, fill } => exact_name(*len, *fill, ns),
        Name::Existing(index) => nth(&res.store_names, *index)
            .cloned()
            .unwrap_or_else(|| format!("{}s{index}", ns.fresh_prefix)),
    }
}

fn nth<T>(items: &[T], index: u8) -> Option<&T> {
    (!items.is_empty()).then(|| &items[usize::from(index) % items.len()])
}

fn source_text(source: &Source, res: &Resources) -> String {
    let partner = |index: u8| nth(&res.partners, index).copied();
    match source {
        Source::Custom => "Custom".into(),
        Source::Partner(index) => partner(*index).unwrap_or("Custom").into(),
        Source::Recased(index) => partner(*index).unwrap_or("Custom").to_lowercase(),
        Source::CustomLower => "custom".into(),
        Source::Unknown => "NotAPartnerSource".into(),
        Source::Exact { len, fill } => exact_text(*len, *fill, "", 'S'),
    }
}

fn channel_input(
    body: &mut Map<String, Value>,
    input: &ChannelInput,
    ns: &Namespace,
    res: &Resources,
) {
    put(body, "Name", &input.name, Kind::Text, |n| {
        channel_name(n, ns, res).into()
    });
    put(body, "Source", &input.source, Kind::Text, |s| {
        source_text(s, res).into()
    });
    put(body, "Destinations", &input.destinations, Kind::List, |d| {
        destination_list(d, res)
    });
    put(body, "Tags", &input.tags, Kind::List, tag_list);
    if input.unknown_member {
        body.insert("CtfUnknownMember".into(), json!({"ignored": true}));
    }
}

fn store_handle(target: StoreTarget, res: &Resources) -> &Handle {
    match target {
        StoreTarget::Integration => &res.integration,
        StoreTarget::Management => &res.management,
        StoreTarget::Pending => &res.pending,
        StoreTarget::Session(index) => nth(&res.stores, index).unwrap_or(&res.integration),
    }
}

fn by(handle: &Handle, by: By) -> String {
    match by {
        By::Arn => handle.arn.clone(),
        By::Id => handle.id.clone(),
    }
}

const UNKNOWN_ID: &str = "00000000-0000-4000-8000-00000000c7f0";

fn foreign_identity(identity: &Identity, other_account: bool) -> Identity {
    let mut other = identity.clone();
    if other_account {
        other.account = if identity.account == "000000000000" {
            "111111111111".into()
        } else {
            "000000000000".into()
        };
    } else {
        other.region = "ap-ctfuzz-1".into();
    }
    other
}

fn location_text(location: &Location, res: &Resources) -> String {
    match location {
        Location::Store { target, by: form } => by(store_handle(*target, res), *form),
        Location::UnknownArn => res.identity.store_arn(UNKNOWN_ID),
        Location::UnknownId => "ctf-no-such-store".into(),
        Location::OtherRegion => foreign_identity(&res.identity, false).store_arn(UNKNOWN_ID),
        Location::OtherAccount => foreign_identity(&res.identity, true).store_arn(UNKNOWN_ID),
        Location::MalformedArn => "arn:aws:cloudtrail:us-east-1:123:eventdatastore".into(),
        Location::Exact { len, fill } => exact_text(*len, *fill, "", 'L'),
    }
}

fn destination(destination: &PlannedDestination, res: &Resources) -> Value {
    let mut item = Map::new();
    put(&mut item, "Type", &destination.kind, Kind::Text, |kind| {
        match kind {
            DestinationKind::EventDataStore => "EVENT_DATA_STORE",
            DestinationKind::AwsService => "AWS_SERVICE",
            DestinationKind::Lowercase => "event_data_store",
            DestinationKind::Unknown => "S3_BUCKET",
        }
        .into()
    });
    put(
        &mut item,
        "Location",
        &destination.location,
        Kind::Text,
        |l| location_text(l, res).into(),
    );
    Value::Object(item)
}

fn destination_list(destinations: &Destinations, res: &Resources) -> Value {
    let mut items: Vec<Value> = destinations
        .items
        .iter()
        .map(|d| destination(d, res))
        .collect();
    if let Some(count) = destinations.pad_to {
        // A plain valid filler: padding tests the count (D1), and a copy of
        // an exact-length item would make 200 KiB bodies that test nothing more.
        let filler = json!({"Type": "EVENT_DATA_STORE", "Location": res.integration.arn});
        items.resize(usize::from(count), filler);
    }
    Value::Array(items)
}

fn tag_list(tags: &Tags) -> Value {
    let mut items = Vec::new();
    let mut previous_key = "k0".to_string();
    for tag in &tags.items {
        let mut item = Map::new();
        put(&mut item, "Key", &tag.key, Kind::Text, |key| {
            let text = match key {
                TagKey::Plain(n) => format!("k{n}"),
                TagKey::Duplicate => previous_key.clone(),
                TagKey::AwsPrefix => "aws:ctf".into(),
                TagKey::AwsUpper => "AWS:ctf".into(),
                TagKey::Exact { len, fill } => exact_text(*len, *fill, "", 'k'),
            };
            previous_key = text.clone();
            text.into()
        });
        put(&mut item, "Value", &tag.value, Kind::Text, |value| {
            match value {
                TagValue::Plain => "v".to_string(),
                TagValue::Empty => String::new(),
                TagValue::Exact { len, fill } => exact_text(*len, *fill, "", 'v'),
            }
            .into()
        });
        items.push(Value::Object(item));
    }
    if let Some(count) = tags.pad_to {
        let mut n = 0;
        while items.len() < usize::from(count) {
            items.push(json!({"Key": format!("pad{n}"), "Value": "v"}));
            n += 1;
        }
    }
    Value::Array(items)
}

fn channel_ref(body: &mut Map<String, Value>, channel: &ChannelRef, res: &Resources) {
    let text = match channel {
        ChannelRef::Session { index, by: form } => match nth(&res.channels, *index) {
            Some(handle) => by(handle, *form),
            None => UNKNOWN_ID.to_string(),
        },
        ChannelRef::UnknownId => UNKNOWN_ID.to_string(),
        ChannelRef::UnknownArn => res.identity.channel_arn(UNKNOWN_ID),
        ChannelRef::OtherRegion => foreign_identity(&res.identity, false).channel_arn(UNKNOWN_ID),
        ChannelRef::MalformedArn => "arn:aws:cloudtrail:us-east-1:123456789012:trail/x".into(),
        ChannelRef::Exact { len, fill } => exact_text(*len, *fill, "", 'c'),
        ChannelRef::Missing => return,
        ChannelRef::Wrong(json) => {
            body.insert("Channel".into(), wrong_value(*json, Kind::Text));
            return;
        }
    };
    body.insert("Channel".into(), text.into());
}

/// What a store reference is for: shared fixtures must never change, so
/// mutating operations only reach fixtures where every endpoint refuses.
#[derive(Clone, Copy, PartialEq)]
enum StoreUse {
    Read,
    Ingestion,
    Delete,
}

fn store_ref(body: &mut Map<String, Value>, store: &StoreRef, res: &Resources, use_: StoreUse) {
    let text = match store {
        StoreRef::Target { target, by: form } => {
            let target = match (use_, target) {
                (StoreUse::Read, _) | (_, StoreTarget::Session(_)) => *target,
                // An ActivityAuditLog store cannot stop or start (OP2).
                (StoreUse::Ingestion, _) => StoreTarget::Integration,
                // Already pending deletion: refused (OP3).
                (StoreUse::Delete, _) => StoreTarget::Pending,
            };
            let handle = match target {
                StoreTarget::Session(index) => match nth(&res.stores, index) {
                    Some(handle) => handle,
                    // No store of its own yet: one every endpoint refuses to change.
                    None if use_ == StoreUse::Delete => &res.pending,
                    None => &res.integration,
                },
                other => store_handle(other, res),
            };
            by(handle, *form)
        }
        StoreRef::UnknownArn => res.identity.store_arn(UNKNOWN_ID),
        StoreRef::UnknownId => "ctf-no-such-store".into(),
        StoreRef::MalformedArn => "arn:aws:cloudtrail:us-east-1:123:eventdatastore".into(),
        StoreRef::Missing => return,
    };
    body.insert("EventDataStore".into(), text.into());
}

fn page_members(body: &mut Map<String, Value>, page: &Page) {
    put(body, "MaxResults", &page.max_results, Kind::Integer, |n| {
        json!(n)
    });
    if page.bogus_token {
        body.insert("NextToken".into(), "ctf-bogus-token".into());
    }
}

fn store_input(
    body: &mut Map<String, Value>,
    input: &PlannedStoreInput,
    ns: &Namespace,
    res: &Resources,
) {
    put(body, "Name", &input.name, Kind::Text, |n| {
        store_name(n, ns, res).into()
    });
    let selectors = |category: &str| json!([{"Name": "ctf", "FieldSelectors": [{"Field": "eventCategory", "Equals": [category]}]}]);
    match input.category {
        Category::ActivityAuditLog => {
            body.insert(
                "AdvancedEventSelectors".into(),
                selectors("ActivityAuditLog"),
            );
        }
        Category::Default => {}
        Category::Management => {
            body.insert("AdvancedEventSelectors".into(), selectors("Management"));
        }
        Category::Broken => {
            body.insert("AdvancedEventSelectors".into(), json!([{"Name": "ctf"}]));
        }
    }
    // Always false: the run deletes what it creates.
    body.insert("TerminationProtectionEnabled".into(), false.into());
    if let Some(start) = input.start_ingestion {
        body.insert("StartIngestion".into(), start.into());
    }
    if let Some(days) = input.retention_days {
        body.insert("RetentionPeriod".into(), days.into());
    }
}

/// A request as the contract sees it, owning its body.
#[derive(Clone, Debug)]
pub struct CallParts {
    pub method_is_post: bool,
    pub operation: RequestedOperation,
    pub media_type: MediaType,
}

impl CallParts {
    /// The call these parts and `request`'s body make: a JSON body is read
    /// as the value it will be serialised from, a raw one byte for byte.
    pub fn call<'a>(&self, request: &'a Request) -> Call<'a> {
        Call {
            method_is_post: self.method_is_post,
            operation: self.operation.clone(),
            media_type: self.media_type,
            body: match &request.body {
                RequestBody::Json(value) => CallBody::Json(value),
                RequestBody::Raw(bytes) => CallBody::Bytes(bytes),
            },
        }
    }
}

/// Reads a request's method, target, media type and body as the emulator
/// reads them off HTTP.
pub fn call_parts(request: &Request) -> CallParts {
    let operation = match request.target_value() {
        None => RequestedOperation::Missing,
        Some(value) => match protocol::parse_target(&value) {
            Target::Known(operation) => RequestedOperation::Known(operation),
            Target::Unknown(_) => RequestedOperation::Unknown,
        },
    };
    let media_type = match request.content_type_value() {
        None => MediaType::Missing,
        Some(value) if protocol::is_json_1_1(&value) => MediaType::Json11,
        Some(_) => MediaType::Other,
    };
    CallParts {
        method_is_post: request.method_name() == "POST",
        operation,
        media_type,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_texts_have_their_length_in_characters() {
        for fill in [Fill::Valid, Fill::Accent, Fill::Emoji, Fill::Space] {
            for len in [0u16, 1, 2, 3, 128, 129] {
                let text = exact_text(len, fill, "ctf-run-1-", 'x');
                assert_eq!(text.chars().count(), usize::from(len), "{fill:?} {len}");
            }
        }
        assert_eq!(exact_text(3, Fill::Valid, "ctf-run-1-", 'x'), "ctf");
    }

    #[test]
    fn short_codes_differ_per_session() {
        let a = Namespace::session("r", 1);
        let b = Namespace::session("r", 62);
        assert_ne!(&a.short_code[..3], &b.short_code[..3]);
        assert_eq!(exact_name(3, Fill::Valid, &a).chars().count(), 3);
    }
}
