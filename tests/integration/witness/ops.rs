//! The operations, over one account and Region's channels and stores,
//! written from `contract.md` alone. Where the contract gives a set, this
//! takes a member the reference emulator does not: see `docs/witness.md`.

use serde_json::{json, Map, Value};

use super::input::{field, Input};

/// Partner sources (contract §6; plain data copied from the reference list).
pub const PARTNER_SOURCES: &[&str] = &[
    "CloudStorageSecurityConsole",
    "Clumio",
    "CrowdStrike",
    "CyberArk",
    "GitHub",
    "KongGatewayEnterprise",
    "LaunchDarkly",
    "NetskopeCloudExchange",
    "IBMMulticloud",
    "MontyCloud",
    "OktaSystemLogEvents",
    "OneLogin",
    "Shoreline",
    "Snyk",
    "WizAuditLogs",
];

pub const CHANNEL_QUOTA: usize = 25;
pub const STORE_QUOTA: usize = 10;
/// Page sizes when no MaxResults is given, and the most a page holds.
const CHANNEL_PAGE: usize = 3;
const STORE_PAGE: usize = 2;
const PAGE_CAP: usize = 50;

/// An error answer: the code and the status this implementation gives it.
#[derive(Debug)]
pub struct Refusal {
    pub code: &'static str,
    pub status: u16,
    pub message: String,
}

pub fn refuse(code: &'static str, message: impl Into<String>) -> Refusal {
    Refusal {
        code,
        status: 400,
        message: message.into(),
    }
}

pub type Answer = Result<Value, Refusal>;

/// Whose state a request reaches.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Caller {
    pub account: String,
    pub region: String,
}

pub struct Channel {
    seq: u64,
    id: String,
    arn: String,
    name: String,
    source: String,
    destinations: Vec<Value>,
    /// The ids of the stores the destinations name.
    store_ids: Vec<String>,
}

pub struct Store {
    seq: u64,
    id: String,
    arn: String,
    name: String,
    category: String,
    status: &'static str,
    protected: bool,
    retention: i64,
    selectors: Value,
    created: f64,
}

#[derive(Default)]
pub struct Account {
    seq: u64,
    channels: Vec<Channel>,
    stores: Vec<Store>,
}

fn is_uuid(text: &str) -> bool {
    let groups: Vec<&str> = text.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.chars().all(|c| c.is_ascii_hexdigit()))
}

/// `arn:aws:cloudtrail:<region>:<account>:<kind>/<id>`: its region, account and id.
fn split_arn<'a>(text: &'a str, kind: &str) -> Option<(&'a str, &'a str, &'a str)> {
    let parts: Vec<&str> = text.splitn(6, ':').collect();
    if parts.len() != 6 || parts[0] != "arn" || parts[1] != "aws" || parts[2] != "cloudtrail" {
        return None;
    }
    let id = parts[5].strip_prefix(kind)?.strip_prefix('/')?;
    (!id.is_empty() && !id.contains('/')).then_some((parts[3], parts[4], id))
}

/// A fresh resource id: UUID-like as AWS documents (§4), upper-case hex
/// where the reference emulator uses lower case.
fn fresh_id() -> String {
    uuid::Uuid::new_v4().to_string().to_ascii_uppercase()
}

fn chars(text: &str) -> usize {
    text.chars().count()
}

fn name_ok(name: &str) -> bool {
    (3..=128).contains(&chars(name))
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

fn location_ok(location: &str) -> bool {
    (3..=1024).contains(&chars(location))
        && location
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._/-:*".contains(c))
}

/// An opaque page token: `w<kind>.<seq>.<check>`, all hex.
fn token(kind: char, seq: u64) -> String {
    format!("w{kind}.{seq:x}.{:x}", check(kind, seq))
}

fn check(kind: char, seq: u64) -> u64 {
    (seq ^ kind as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 44
}

fn read_token(kind: char, text: &str) -> Option<u64> {
    let rest = text
        .strip_prefix('w')?
        .strip_prefix(kind)?
        .strip_prefix('.')?;
    let (seq, sum) = rest.split_once('.')?;
    let seq = u64::from_str_radix(seq, 16).ok()?;
    (u64::from_str_radix(sum, 16).ok()? == check(kind, seq)).then_some(seq)
}

/// The error for members of the wrong JSON type, when nothing else was.
fn type_errors(input: &Input) -> Result<(), Refusal> {
    match input.wrong_type.first() {
        Some(name) => Err(refuse(
            "ValidationException",
            format!("{name} has the wrong JSON type"),
        )),
        None => Ok(()),
    }
}

fn with_extra(mut body: Value) -> Value {
    body["WitnessImplementation"] = json!({"independent": true});
    body
}

/// Pages of `seqs` (ascending) after `NextToken`, at most `MaxResults`.
fn page(
    input: &Input,
    kind: char,
    default: usize,
    seqs: &[u64],
) -> Result<(usize, usize, Option<String>), Refusal> {
    let size = match input.get("MaxResults").and_then(Value::as_i64) {
        Some(n) if !(1..=1000).contains(&n) => {
            return Err(refuse(
                "ValidationException",
                format!("MaxResults {n} is out of range"),
            ))
        }
        Some(n) => (n as usize).min(PAGE_CAP),
        None => default,
    };
    let after = match input.text("NextToken") {
        None => None,
        Some(text) => Some(
            read_token(kind, text)
                .ok_or_else(|| refuse("InvalidNextTokenException", "not a token of this list"))?,
        ),
    };
    type_errors(input)?;
    let start = after.map_or(0, |a| seqs.iter().take_while(|s| **s <= a).count());
    let end = (start + size).min(seqs.len());
    let next = (end < seqs.len()).then(|| token(kind, seqs[end - 1]));
    Ok((start, end, next))
}

impl Account {
    fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    /// The channel `Channel` names; a value that is neither a UUID nor an
    /// ARN is an invalid ARN, any `arn:` value naming nothing here is unknown.
    fn channel_index(&self, input: &Input, caller: &Caller) -> Result<usize, Refusal> {
        if input.is_wrong("Channel") {
            return Err(refuse("ValidationException", "Channel is not a string"));
        }
        let Some(text) = input.text("Channel") else {
            return Err(refuse("ChannelARNInvalidException", "Channel is required"));
        };
        let id = if let Some((region, account, id)) = split_arn(text, "channel") {
            (region == caller.region && account == caller.account).then_some(id)
        } else if text.starts_with("arn:") {
            None
        } else if is_uuid(text) {
            Some(text)
        } else {
            return Err(refuse(
                "ChannelARNInvalidException",
                format!("{text:?} is neither a channel ARN nor an id"),
            ));
        };
        id.and_then(|id| self.channels.iter().position(|c| c.id == id))
            .ok_or_else(|| refuse("ChannelNotFoundException", format!("no channel {text:?}")))
    }

    fn store_index(&self, input: &Input, caller: &Caller) -> Result<usize, Refusal> {
        if input.is_wrong("EventDataStore") {
            return Err(refuse(
                "ValidationException",
                "EventDataStore is not a string",
            ));
        }
        let Some(text) = input.text("EventDataStore") else {
            return Err(refuse(
                "EventDataStoreARNInvalidException",
                "EventDataStore is required",
            ));
        };
        let id = if let Some((region, account, id)) = split_arn(text, "eventdatastore") {
            (region == caller.region && account == caller.account).then_some(id)
        } else if text.starts_with("arn:") {
            None
        } else if is_uuid(text) {
            Some(text)
        } else {
            return Err(refuse(
                "EventDataStoreARNInvalidException",
                format!("{text:?} is neither an event data store ARN nor an id"),
            ));
        };
        id.and_then(|id| self.stores.iter().position(|s| s.id == id))
            .ok_or_else(|| {
                refuse(
                    "EventDataStoreNotFoundException",
                    format!("no event data store {text:?}"),
                )
            })
    }

    /// D1-D4 over `Destinations`, last entry first.
    fn check_destinations(destinations: &[Value]) -> Result<(), Refusal> {
        if !(1..=200).contains(&destinations.len()) {
            return Err(refuse(
                "ValidationException",
                format!("{} destinations, not 1..=200", destinations.len()),
            ));
        }
        for (i, destination) in destinations.iter().enumerate().rev() {
            let kind = field(destination, "Type");
            let location = field(destination, "Location");
            match kind {
                Some("EVENT_DATA_STORE") | Some("AWS_SERVICE") => {}
                _ => {
                    return Err(refuse(
                        "SerializationException",
                        format!("Destinations[{i}].Type is not a destination type"),
                    ))
                }
            }
            let Some(location) = location else {
                return Err(refuse(
                    "SerializationException",
                    format!("Destinations[{i}].Location is required"),
                ));
            };
            if !location_ok(location) {
                return Err(refuse(
                    "EventDataStoreARNInvalidException",
                    format!("Destinations[{i}].Location is malformed"),
                ));
            }
            if kind == Some("AWS_SERVICE") {
                return Err(refuse(
                    "OperationNotPermittedException",
                    "service-linked channels are made by AWS services",
                ));
            }
        }
        Ok(())
    }

    /// E1-E4, last entry first: the ids of the stores named.
    fn resolve_stores(
        &self,
        destinations: &[Value],
        caller: &Caller,
    ) -> Result<Vec<String>, Refusal> {
        let mut ids = vec![String::new(); destinations.len()];
        for (i, destination) in destinations.iter().enumerate().rev() {
            let location = field(destination, "Location").unwrap_or_default();
            let found = if location.starts_with("arn:") {
                let Some((region, account, id)) = split_arn(location, "eventdatastore") else {
                    return Err(refuse(
                        "EventDataStoreARNInvalidException",
                        format!("Destinations[{i}].Location is not an event data store ARN"),
                    ));
                };
                if region != caller.region || account != caller.account {
                    return Err(refuse(
                        "EventDataStoreARNInvalidException",
                        format!("Destinations[{i}].Location is in another account or Region"),
                    ));
                }
                self.stores.iter().find(|s| s.id == id)
            } else {
                self.stores.iter().find(|s| s.id == location)
            };
            let Some(store) = found else {
                return Err(refuse(
                    "EventDataStoreNotFoundException",
                    format!("Destinations[{i}].Location names no event data store"),
                ));
            };
            match store.status {
                "PENDING_DELETION" => {
                    return Err(refuse(
                        "EventDataStoreNotFoundException",
                        format!("Destinations[{i}]: the store is being deleted"),
                    ))
                }
                "ENABLED" => {}
                _ => {
                    return Err(refuse(
                        "InactiveEventDataStoreException",
                        format!("Destinations[{i}]: the store is {}", store.status),
                    ))
                }
            }
            if store.category != "ActivityAuditLog" {
                return Err(refuse(
                    "InvalidEventDataStoreCategoryException",
                    format!("Destinations[{i}]: a {} store", store.category),
                ));
            }
            ids[i] = store.id.clone();
        }
        Ok(ids)
    }

    fn check_tags(tags: &[Value]) -> Result<(), Refusal> {
        if tags.len() > 200 {
            return Err(refuse("InvalidParameterException", "more than 200 tags"));
        }
        if tags.len() > 50 {
            return Err(refuse("TagsLimitExceededException", "more than 50 tags"));
        }
        let mut seen: Vec<&str> = Vec::new();
        for (i, tag) in tags.iter().enumerate() {
            let Some(key) = field(tag, "Key").filter(|k| (1..=128).contains(&chars(k))) else {
                return Err(refuse("ValidationException", format!("Tags[{i}].Key")));
            };
            let value = field(tag, "Value");
            if value.is_some_and(|v| chars(v) > 256) {
                return Err(refuse("ValidationException", format!("Tags[{i}].Value")));
            }
            if seen.contains(&key) {
                return Err(refuse(
                    "InvalidTagParameterException",
                    format!("Tags[{i}]: key {key:?} twice"),
                ));
            }
            if key.starts_with("aws:") {
                return Err(refuse(
                    "InvalidTagParameterException",
                    format!("Tags[{i}]: reserved prefix"),
                ));
            }
            if value == Some("") {
                return Err(refuse(
                    "InvalidParameterException",
                    format!("Tags[{i}].Value is empty"),
                ));
            }
            seen.push(key);
        }
        Ok(())
    }

    /// `code`: channels and stores get different members of the set.
    fn check_name<'a>(name: Option<&'a str>, code: &'static str) -> Result<&'a str, Refusal> {
        match name {
            None => Err(refuse(code, "Name is required")),
            Some(name) if !name_ok(name) => {
                Err(refuse(code, "Name is not 3..=128 of [a-zA-Z0-9._-]"))
            }
            Some(name) => Ok(name),
        }
    }

    /// A partner's canonical name; `Custom` in any case is Custom.
    fn source(source: &str) -> Option<String> {
        if source.eq_ignore_ascii_case("Custom") {
            return Some("Custom".into());
        }
        PARTNER_SOURCES
            .iter()
            .find(|p| p.eq_ignore_ascii_case(source))
            .map(|p| p.to_string())
    }

    pub fn create_channel(&mut self, input: &Input, caller: &Caller) -> Answer {
        if let Some(tags) = input.list("Tags") {
            Self::check_tags(tags)?;
        }
        let name = if input.is_wrong("Name") {
            None
        } else {
            Some(Self::check_name(input.text("Name"), "ValidationException")?)
        };
        let source = if input.is_wrong("Source") {
            None
        } else {
            let Some(source) = input
                .text("Source")
                .filter(|s| (1..=256).contains(&chars(s)))
            else {
                return Err(refuse(
                    "InvalidSourceException",
                    "Source is required, 1..=256 characters",
                ));
            };
            Some(Self::source(source).ok_or_else(|| {
                refuse(
                    "InvalidSourceException",
                    format!("unknown source {source:?}"),
                )
            })?)
        };
        let destinations = if input.is_wrong("Destinations") {
            None
        } else {
            let destinations = input.list("Destinations").map(Vec::as_slice).unwrap_or(&[]);
            Self::check_destinations(destinations)?;
            Some(destinations)
        };
        if let Some(name) = name {
            if self.channels.iter().any(|c| c.name == name) {
                return Err(refuse(
                    "ChannelAlreadyExistsException",
                    format!("a channel named {name:?} exists"),
                ));
            }
        }
        if let Some(source) = source.as_deref().filter(|s| *s != "Custom") {
            if self
                .channels
                .iter()
                .any(|c| Self::source(&c.source).as_deref() == Some(source))
            {
                return Err(refuse(
                    "ChannelAlreadyExistsException",
                    format!("a channel for {source} exists"),
                ));
            }
        }
        let store_ids = match destinations {
            Some(destinations) => self.resolve_stores(destinations, caller)?,
            None => Vec::new(),
        };
        type_errors(input)?;
        if self.channels.len() >= CHANNEL_QUOTA {
            return Err(refuse("ChannelMaxLimitExceededException", "25 channels"));
        }
        let (name, destinations) = (name.unwrap_or_default(), destinations.unwrap_or_default());
        let id = fresh_id();
        let arn = format!(
            "arn:aws:cloudtrail:{}:{}:channel/{id}",
            caller.region, caller.account
        );
        let destinations: Vec<Value> = destinations
            .iter()
            .map(|d| json!({"Type": d["Type"], "Location": d["Location"]}))
            .collect();
        let sent_source = input.text("Source").unwrap_or_default().to_string();
        let mut body = json!({
            "ChannelArn": arn, "Name": name, "Source": sent_source, "Destinations": destinations,
        });
        // Tags echoed when some were sent; `Tags: []` is left out (§7).
        if let Some(tags) = input.list("Tags").filter(|t| !t.is_empty()) {
            let echo: Vec<Value> = tags
                .iter()
                .map(|t| {
                    let mut tag = Map::new();
                    for key in ["Key", "Value"] {
                        if let Some(v) = t.get(key).filter(|v| !v.is_null()) {
                            tag.insert(key.into(), v.clone());
                        }
                    }
                    Value::Object(tag)
                })
                .collect();
            body["Tags"] = Value::Array(echo);
        }
        let seq = self.next_seq();
        self.channels.push(Channel {
            seq,
            id,
            arn,
            name: name.to_string(),
            source: sent_source,
            destinations,
            store_ids,
        });
        Ok(with_extra(body))
    }

    pub fn get_channel(&mut self, input: &Input, caller: &Caller) -> Answer {
        let channel = &self.channels[self.channel_index(input, caller)?];
        type_errors(input)?;
        Ok(with_extra(json!({
            "ChannelArn": channel.arn,
            "Name": channel.name,
            "Source": channel.source,
            "SourceConfig": {"ApplyToAllRegions": false, "AdvancedEventSelectors": []},
            "Destinations": channel.destinations,
            "IngestionStatus": {},
        })))
    }

    pub fn list_channels(&mut self, input: &Input) -> Answer {
        let seqs: Vec<u64> = self.channels.iter().map(|c| c.seq).collect();
        let (start, end, next) = page(input, 'c', CHANNEL_PAGE, &seqs)?;
        let channels: Vec<Value> = self.channels[start..end]
            .iter()
            .map(|c| json!({"ChannelArn": c.arn, "Name": c.name}))
            .collect();
        let mut body = json!({ "Channels": channels });
        if let Some(next) = next {
            body["NextToken"] = next.into();
        }
        Ok(with_extra(body))
    }

    pub fn update_channel(&mut self, input: &Input, caller: &Caller) -> Answer {
        let index = match self.channel_index(input, caller) {
            Err(refusal) if refusal.code == "ValidationException" => None,
            other => Some(other?),
        };
        let name = input.text("Name");
        if let (Some(index), Some(name)) = (index, name) {
            if self
                .channels
                .iter()
                .enumerate()
                .any(|(i, c)| i != index && c.name == name)
            {
                return Err(refuse(
                    "ChannelAlreadyExistsException",
                    format!("a channel named {name:?} exists"),
                ));
            }
        }
        if input.get("Name").is_some() {
            Self::check_name(name, "ValidationException")?;
        }
        let destinations = input.list("Destinations");
        let store_ids = match destinations {
            Some(destinations) => {
                Self::check_destinations(destinations)?;
                Some(self.resolve_stores(destinations, caller)?)
            }
            None => None,
        };
        type_errors(input)?;
        let Some(index) = index else {
            return Err(refuse("ValidationException", "Channel is not a string"));
        };
        let channel = &mut self.channels[index];
        if let Some(name) = name {
            channel.name = name.to_string();
        }
        if let (Some(destinations), Some(ids)) = (destinations, store_ids) {
            channel.destinations = destinations
                .iter()
                .map(|d| json!({"Type": d["Type"], "Location": d["Location"]}))
                .collect();
            channel.store_ids = ids;
        }
        Ok(with_extra(json!({
            "ChannelArn": channel.arn,
            "Name": channel.name,
            "Source": channel.source,
            "Destinations": channel.destinations,
        })))
    }

    pub fn delete_channel(&mut self, input: &Input, caller: &Caller) -> Answer {
        let index = self.channel_index(input, caller)?;
        type_errors(input)?;
        self.channels.remove(index);
        Ok(with_extra(json!({})))
    }

    fn store_body(store: &Store) -> Value {
        json!({
            "EventDataStoreArn": store.arn,
            "Name": store.name,
            "Status": store.status,
            "AdvancedEventSelectors": store.selectors,
            "MultiRegionEnabled": true,
            "OrganizationEnabled": false,
            "RetentionPeriod": store.retention,
            "TerminationProtectionEnabled": store.protected,
            "CreatedTimestamp": store.created,
            "UpdatedTimestamp": store.created,
        })
    }

    pub fn create_store(&mut self, input: &Input, caller: &Caller) -> Answer {
        let selectors = input.list("AdvancedEventSelectors");
        let mut category = "Management".to_string();
        for selector in selectors.into_iter().flatten() {
            let Some(fields) = selector
                .get("FieldSelectors")
                .and_then(Value::as_array)
                .filter(|f| !f.is_empty())
            else {
                return Err(refuse(
                    "InvalidEventSelectorsException",
                    "an advanced event selector needs FieldSelectors",
                ));
            };
            for f in fields {
                if field(f, "Field") == Some("eventCategory") {
                    if let Some(c) = f
                        .get("Equals")
                        .and_then(|e| e.get(0))
                        .and_then(Value::as_str)
                    {
                        category = c.to_string();
                    }
                }
            }
        }
        let retention = input.get("RetentionPeriod").and_then(Value::as_i64);
        if retention.is_some_and(|r| !(7..=3653).contains(&r)) {
            return Err(refuse(
                "InvalidParameterException",
                "RetentionPeriod is not 7..=3653",
            ));
        }
        let name = if input.is_wrong("Name") {
            None
        } else {
            Some(Self::check_name(
                input.text("Name"),
                "InvalidParameterException",
            )?)
        };
        if let Some(name) = name {
            if self.stores.iter().any(|s| s.name == name) {
                return Err(refuse(
                    "EventDataStoreAlreadyExistsException",
                    format!("a store named {name:?} exists"),
                ));
            }
        }
        type_errors(input)?;
        if self.stores.len() >= STORE_QUOTA {
            return Err(refuse(
                "EventDataStoreMaxLimitExceededException",
                "10 event data stores",
            ));
        }
        let id = fresh_id();
        let start = input
            .get("StartIngestion")
            .and_then(Value::as_bool)
            .unwrap_or(true);
        let selectors = match selectors {
            Some(s) => Value::Array(s.clone()),
            None => {
                json!([{"Name": "Management events", "FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}]}])
            }
        };
        let store = Store {
            seq: self.next_seq(),
            arn: format!(
                "arn:aws:cloudtrail:{}:{}:eventdatastore/{id}",
                caller.region, caller.account
            ),
            id,
            name: name.unwrap_or_default().to_string(),
            category,
            status: if start {
                "ENABLED"
            } else {
                "STOPPED_INGESTION"
            },
            // No documented default (§5): this one leaves protection off.
            protected: input
                .get("TerminationProtectionEnabled")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            retention: retention.unwrap_or(2557),
            selectors,
            created: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0.0, |d| d.as_secs() as f64),
        };
        let body = Self::store_body(&store);
        self.stores.push(store);
        Ok(with_extra(body))
    }

    pub fn get_store(&mut self, input: &Input, caller: &Caller) -> Answer {
        let index = self.store_index(input, caller)?;
        type_errors(input)?;
        Ok(with_extra(Self::store_body(&self.stores[index])))
    }

    pub fn list_stores(&mut self, input: &Input) -> Answer {
        let seqs: Vec<u64> = self.stores.iter().map(|s| s.seq).collect();
        let (start, end, next) = page(input, 's', STORE_PAGE, &seqs)?;
        let stores: Vec<Value> = self.stores[start..end]
            .iter()
            .map(Self::store_body)
            .collect();
        let mut body = json!({ "EventDataStores": stores });
        if let Some(next) = next {
            body["NextToken"] = next.into();
        }
        Ok(with_extra(body))
    }

    /// Stop (`start` false) or start ingestion: the status is checked
    /// before the category.
    pub fn ingestion(&mut self, input: &Input, caller: &Caller, start: bool) -> Answer {
        let index = self.store_index(input, caller)?;
        type_errors(input)?;
        let store = &mut self.stores[index];
        let (from, to) = if start {
            ("STOPPED_INGESTION", "ENABLED")
        } else {
            ("ENABLED", "STOPPED_INGESTION")
        };
        if store.status != from {
            return Err(refuse(
                "InvalidEventDataStoreStatusException",
                format!("the store is {}", store.status),
            ));
        }
        if !["Management", "Data", "NetworkActivity", "ConfigurationItem"]
            .contains(&store.category.as_str())
        {
            return Err(refuse(
                "InvalidEventDataStoreCategoryException",
                format!("a {} store has no ingestion to change", store.category),
            ));
        }
        store.status = to;
        Ok(with_extra(json!({})))
    }

    pub fn delete_store(&mut self, input: &Input, caller: &Caller) -> Answer {
        let index = self.store_index(input, caller)?;
        type_errors(input)?;
        let id = self.stores[index].id.clone();
        if self.channels.iter().any(|c| c.store_ids.contains(&id)) {
            return Err(refuse(
                "ChannelExistsForEDSException",
                "a channel sends events to this store",
            ));
        }
        let store = &mut self.stores[index];
        if store.status == "PENDING_DELETION" {
            return Err(refuse(
                "InactiveEventDataStoreException",
                "the store is already being deleted",
            ));
        }
        if store.protected {
            return Err(refuse(
                "EventDataStoreTerminationProtectedException",
                "termination protection is on",
            ));
        }
        store.status = "PENDING_DELETION";
        Ok(with_extra(json!({})))
    }
}
