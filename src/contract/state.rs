//! The state an endpoint holds in one account and region (channels and event
//! data stores) and what each operation does to it: which rules a request
//! breaks against that state (`Region::evaluate`), and the change and answer
//! of a request that succeeds (`Region::apply`). The reference emulator serves
//! exactly this; the oracle predicts with exactly this.

use serde_json::{json, Map, Value};

use super::input::{Member, Reader};
use super::operation::Operation;
use super::rules::{self, abbreviate, ErrorCode, RuleId, StoreLookup};
use super::shapes::{self, DestinationType, SourceKind, StoreStatus};
use super::store_input;
use super::violation::Violation;

use ErrorCode::*;

/// Whose state this is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    pub partition: String,
    pub region: String,
    pub account: String,
}

impl Identity {
    pub fn new(region: impl Into<String>, account: impl Into<String>) -> Identity {
        Identity {
            partition: "aws".into(),
            region: region.into(),
            account: account.into(),
        }
    }

    /// The partition, region and account an ARN names.
    pub fn of(arn: &shapes::CloudTrailArn<'_>) -> Identity {
        Identity {
            partition: arn.partition.into(),
            region: arn.region.into(),
            account: arn.account.into(),
        }
    }

    pub fn channel_arn(&self, id: &str) -> String {
        self.arn("channel", id)
    }

    pub fn store_arn(&self, id: &str) -> String {
        self.arn("eventdatastore", id)
    }

    fn arn(&self, resource: &str, id: &str) -> String {
        let Identity {
            partition,
            region,
            account,
        } = self;
        format!("arn:{partition}:cloudtrail:{region}:{account}:{resource}/{id}")
    }

    fn owns(&self, arn: &shapes::CloudTrailArn<'_>) -> bool {
        arn.partition == self.partition && arn.region == self.region && arn.account == self.account
    }
}

/// Limits that differ between endpoints (their profile).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    pub channel_quota: usize,
    pub store_quota: usize,
    /// Partner source names this endpoint knows beyond the shipped list (§6).
    pub extra_sources: Vec<String>,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            channel_quota: shapes::CHANNEL_QUOTA,
            store_quota: shapes::STORE_QUOTA,
            extra_sources: Vec::new(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Destination {
    pub kind: DestinationType,
    pub location: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Channel {
    pub id: String,
    pub name: String,
    pub source: String,
    pub destinations: Vec<Destination>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Store {
    pub id: String,
    pub name: String,
    /// The `eventCategory` its selectors collect (`Management` by default).
    pub category: String,
    pub status: StoreStatus,
    pub termination_protection: bool,
    /// Termination protection was not asked for either way: its default is
    /// undocumented (§5), so a delete may succeed or be refused for it.
    pub termination_protection_by_default: bool,
    pub retention_days: i64,
    pub selectors: Vec<Value>,
    pub multi_region: bool,
    pub billing_mode: String,
    pub kms_key_id: Option<String>,
    pub created: f64,
}

/// A channel as a successful CreateChannel will make it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewChannel {
    pub name: String,
    pub source: String,
    pub destinations: Vec<Destination>,
    /// `None` when the request sent no `Tags` member.
    pub tags: Option<Vec<Tag>>,
}

/// An event data store as a successful CreateEventDataStore will make it.
#[derive(Clone, Debug, PartialEq)]
pub struct NewStore {
    pub name: String,
    pub selectors: Option<Vec<Value>>,
    pub retention_days: Option<i64>,
    pub termination_protection: Option<bool>,
    pub multi_region: Option<bool>,
    pub start_ingestion: Option<bool>,
    pub billing_mode: Option<String>,
    pub kms_key_id: Option<String>,
    pub tags: Option<Vec<Tag>>,
}

/// What a request that conforms will do.
#[derive(Clone, Debug, PartialEq)]
pub enum Plan {
    CreateChannel(NewChannel),
    GetChannel {
        id: String,
    },
    ListChannels {
        start: usize,
        max: usize,
    },
    UpdateChannel {
        id: String,
        name: Option<String>,
        destinations: Option<Vec<Destination>>,
    },
    DeleteChannel {
        id: String,
    },
    CreateStore(NewStore),
    GetStore {
        id: String,
    },
    ListStores {
        start: usize,
        max: usize,
    },
    StopIngestion {
        id: String,
    },
    StartIngestion {
        id: String,
    },
    DeleteStore {
        id: String,
    },
}

/// The rules a request breaks against a state, and what it does if it conforms.
#[derive(Clone, Debug, PartialEq)]
pub struct Evaluation {
    /// In the order a server would find them: types, input, then state.
    pub violations: Vec<Violation>,
    /// `Some` when success conforms (no rule that must be refused is broken).
    pub plan: Option<Plan>,
}

impl Evaluation {
    fn new(violations: Vec<Violation>, plan: impl FnOnce() -> Plan) -> Evaluation {
        let plan = violations.iter().all(|v| !v.is_must()).then(plan);
        Evaluation { violations, plan }
    }

    fn refused(violation: Violation) -> Evaluation {
        Evaluation {
            violations: vec![violation],
            plan: None,
        }
    }

    /// The violation the reference emulator answers, if it refuses at all.
    pub fn emulator_refusal(&self) -> Option<&Violation> {
        self.violations.iter().find(|v| v.emulator_refuses())
    }
}

/// The fresh values a successful create takes from its server.
#[derive(Clone, Debug)]
pub struct Fresh {
    pub id: String,
    /// Seconds since the epoch (awsJson1_1 timestamps are epoch numbers).
    pub now: f64,
}

/// One account and region of an endpoint.
#[derive(Clone, Debug)]
pub struct Region {
    pub identity: Identity,
    pub limits: Limits,
    /// In creation order, which ListChannels keeps.
    pub channels: Vec<Channel>,
    pub stores: Vec<Store>,
}

const PAGE_TOKEN_PREFIX: &str = "ctc-page-";

impl Region {
    pub fn new(identity: Identity, limits: Limits) -> Region {
        Region {
            identity,
            limits,
            channels: Vec::new(),
            stores: Vec::new(),
        }
    }

    /// The rules `body` breaks as a request for `operation` against this state.
    pub fn evaluate(&self, operation: Operation, body: &Map<String, Value>) -> Evaluation {
        match operation {
            Operation::CreateChannel => self.evaluate_create_channel(body),
            Operation::GetChannel => {
                self.evaluate_channel_target(body, |id| Plan::GetChannel { id })
            }
            Operation::DeleteChannel => {
                self.evaluate_channel_target(body, |id| Plan::DeleteChannel { id })
            }
            Operation::UpdateChannel => self.evaluate_update_channel(body),
            Operation::ListChannels => self.evaluate_page(
                body,
                self.channels.len(),
                // ValidationException first, as for a missing Channel.
                (
                    RuleId::OP4,
                    &[ValidationException, InvalidParameterException],
                ),
                |start, max| Plan::ListChannels { start, max },
            ),
            Operation::CreateEventDataStore => self.evaluate_create_store(body),
            Operation::GetEventDataStore => self.evaluate_store_target(body, |_, id| {
                Evaluation::new(Vec::new(), || Plan::GetStore { id })
            }),
            Operation::ListEventDataStores => {
                let codes: &'static [ErrorCode] = &[
                    InvalidMaxResultsException,
                    InvalidParameterException,
                    ValidationException,
                ];
                self.evaluate_page(
                    body,
                    self.stores.len(),
                    (RuleId::OP1, codes),
                    |start, max| Plan::ListStores { start, max },
                )
            }
            Operation::StopEventDataStoreIngestion => {
                self.evaluate_store_target(body, |store, id| {
                    let violations = ingestion_change(store, StoreStatus::Enabled);
                    Evaluation::new(violations, || Plan::StopIngestion { id })
                })
            }
            Operation::StartEventDataStoreIngestion => {
                self.evaluate_store_target(body, |store, id| {
                    let violations = ingestion_change(store, StoreStatus::StoppedIngestion);
                    Evaluation::new(violations, || Plan::StartIngestion { id })
                })
            }
            Operation::DeleteEventDataStore => self.evaluate_store_target(body, |store, id| {
                Evaluation::new(self.store_deletable(store), || Plan::DeleteStore { id })
            }),
        }
    }

    // --- CreateChannel (§2, §3) -------------------------------------------

    fn evaluate_create_channel(&self, body: &Map<String, Value>) -> Evaluation {
        let mut violations = Vec::new();
        let mut reader = Reader::new(body, &mut violations);
        let name = reader.string("Name");
        let source = reader.string("Source");
        let destinations = reader.list_of_objects("Destinations", read_destination);
        let tags = reader.list_of_objects("Tags", read_tag);

        rules::check_name(&name, true, &mut violations);
        rules::check_source(&source, &self.limits.extra_sources, &mut violations);
        let checked_destinations = self.check_destinations(&destinations, true, &mut violations);
        rules::check_tags(&tags, &mut violations);

        // §3: a server checks state after input, but where several rules are
        // broken the order is undocumented and any broken rule's error
        // conforms, so the state rules are judged whatever else is wrong.
        self.check_channel_state(name.present(), source.present(), &mut violations);
        Evaluation::new(violations, || {
            Plan::CreateChannel(NewChannel {
                name: name.present().cloned().unwrap_or_default(),
                source: source.present().cloned().unwrap_or_default(),
                destinations: checked_destinations,
                tags: tags
                    .present()
                    .map(|tags| tags.iter().filter_map(TagInput::to_tag).collect()),
            })
        })
    }

    /// D1..D4 and E1..E4; returns the destinations as a success echoes them.
    fn check_destinations(
        &self,
        destinations: &Member<Vec<DestinationInput>>,
        required: bool,
        violations: &mut Vec<Violation>,
    ) -> Vec<Destination> {
        let destinations = match destinations {
            Member::Absent if required => {
                violations.push(Violation::of(RuleId::D1, "Destinations is missing"));
                return Vec::new();
            }
            Member::Present(destinations) => destinations,
            Member::Absent | Member::WrongType => return Vec::new(),
        };
        rules::check_destination_count(destinations.len(), violations);
        let mut checked: Vec<Destination> = Vec::with_capacity(destinations.len());
        // A destination equal to the one before that passed every rule
        // passes them too: lists padded to the count limit repeat one entry
        // up to 200 times, and each check looks the store up.
        let mut passed: Option<&DestinationInput> = None;
        for (index, destination) in destinations.iter().enumerate() {
            if passed == Some(destination) {
                let again = checked
                    .last()
                    .expect("a passed destination was kept")
                    .clone();
                checked.push(again);
                continue;
            }
            let before = violations.len();
            let destination_checked = self.check_destination(index, destination, violations);
            passed = None;
            if let Some(valid) = destination_checked {
                if violations.len() == before {
                    passed = Some(destination);
                }
                checked.push(valid);
            }
        }
        checked
    }

    fn check_destination(
        &self,
        index: usize,
        destination: &DestinationInput,
        violations: &mut Vec<Violation>,
    ) -> Option<Destination> {
        let kind = rules::check_type(index, &destination.kind, violations);
        let location = rules::check_location(index, kind, &destination.location, violations)?;
        let kind = kind?;
        if kind == DestinationType::EventDataStore {
            let lookup = self
                .find_store(location)
                .map(|store| (store.category.as_str(), store.status));
            rules::check_store(index, lookup, violations);
        }
        Some(Destination {
            kind,
            location: location.to_string(),
        })
    }

    fn check_channel_state(
        &self,
        name: Option<&String>,
        source: Option<&String>,
        violations: &mut Vec<Violation>,
    ) {
        if let Some(name) = name.filter(|name| self.channels.iter().any(|c| &c.name == *name)) {
            violations.push(Violation::of(
                RuleId::C1,
                format!("a channel named {name:?} exists"),
            ));
        }
        if let Some(source) = source.filter(|source| *source != shapes::CUSTOM_SOURCE) {
            // A re-cased name is accepted or refused (§6); once accepted, it
            // may count as its partner or as a name of its own, and a
            // re-cased `custom` may count as Custom, which backs many
            // channels: C2 then holds or not [set, not yet ruled].
            let recased = source.eq_ignore_ascii_case(shapes::CUSTOM_SOURCE)
                || shapes::classify_source(source, &self.limits.extra_sources)
                    == SourceKind::Recased;
            let exact = self.channels.iter().any(|c| &c.source == source);
            let other_case = self
                .channels
                .iter()
                .any(|c| c.source != *source && c.source.eq_ignore_ascii_case(source));
            if exact || other_case {
                let violation = Violation::of(
                    RuleId::C2,
                    format!("a channel for partner source {source:?} exists"),
                );
                violations.push(if recased || !exact {
                    violation.optional(exact)
                } else {
                    violation
                });
            }
        }
        if self.channels.len() >= self.limits.channel_quota {
            let quota = self.limits.channel_quota;
            violations.push(Violation::of(
                RuleId::C3,
                format!("the account holds {quota} channels, the quota"),
            ));
        }
    }

    // --- Channel operations (§5) -------------------------------------------

    fn evaluate_channel_target(
        &self,
        body: &Map<String, Value>,
        plan: impl FnOnce(String) -> Plan,
    ) -> Evaluation {
        match self.channel_target(body) {
            Ok(id) => Evaluation::new(Vec::new(), || plan(id)),
            Err(violations) => Evaluation {
                violations,
                plan: None,
            },
        }
    }

    /// The id of the channel named by the `Channel` member (OP4), or the
    /// violations that name it (contract §5: what each form of identifier
    /// may be answered with).
    fn channel_target(&self, body: &Map<String, Value>) -> Result<String, Vec<Violation>> {
        let mut violations = Vec::new();
        let channel = Reader::new(body, &mut violations).string("Channel");
        let reference = match channel {
            Member::Present(reference) => reference,
            Member::Absent => {
                // §1: a missing required member of a supporting operation.
                // ValidationException first: AWS's validation layer answers a
                // broken model constraint before the operation runs
                // (docs/fidelity.md).
                let codes: &'static [ErrorCode] = &[
                    ValidationException,
                    InvalidParameterException,
                    ChannelARNInvalidException,
                ];
                return Err(vec![Violation::with_codes(
                    RuleId::OP4,
                    codes,
                    "Channel is missing",
                )]);
            }
            Member::WrongType => return Err(violations),
        };
        if !shapes::length_within(&reference, shapes::ARN_LENGTH)
            || !shapes::is_arn_pattern(&reference)
        {
            let codes: &'static [ErrorCode] = &[
                ChannelARNInvalidException,
                InvalidParameterException,
                ValidationException,
            ];
            return Err(vec![Violation::with_codes(
                RuleId::OP4,
                codes,
                format!(
                    "Channel {:?} is not {} characters of [a-zA-Z0-9._/-:]",
                    abbreviate(&reference),
                    range(shapes::ARN_LENGTH)
                ),
            )]);
        }
        // §5: a value that is neither a channel ARN nor a UUID id matches the
        // member's pattern, so AWS may look it up as an id or refuse its form.
        const NEITHER_ARN_NOR_ID: &[ErrorCode] =
            &[ChannelARNInvalidException, ChannelNotFoundException];
        let id = if reference.starts_with("arn:") {
            let Some(arn) = shapes::parse_arn(&reference, "channel") else {
                return Err(vec![Violation::with_codes(
                    RuleId::OP4,
                    NEITHER_ARN_NOR_ID,
                    format!("Channel {reference:?} is not a channel ARN"),
                )]);
            };
            if !self.identity.owns(&arn) {
                let codes: &'static [ErrorCode] =
                    &[ChannelNotFoundException, ChannelARNInvalidException];
                return Err(vec![Violation::with_codes(
                    RuleId::OP4,
                    codes,
                    "Channel names another account or region",
                )]);
            }
            arn.id
        } else {
            reference.as_str()
        };
        if self.channels.iter().any(|c| c.id == id) {
            return Ok(id.to_string());
        }
        let codes: &'static [ErrorCode] = if reference.starts_with("arn:") || shapes::is_uuid(id) {
            &[ChannelNotFoundException]
        } else {
            &[ChannelNotFoundException, ChannelARNInvalidException]
        };
        Err(vec![Violation::with_codes(
            RuleId::OP4,
            codes,
            format!("no channel {id:?}"),
        )])
    }

    fn evaluate_update_channel(&self, body: &Map<String, Value>) -> Evaluation {
        // Every member is read and judged whatever the channel: several
        // broken rules allow any of their errors (§1), the channel's too.
        let target = self.channel_target(body);
        let mut violations = Vec::new();
        let mut reader = Reader::new(body, &mut violations);
        let name = reader.string("Name");
        let destinations = reader.list_of_objects("Destinations", read_destination);
        rules::check_name(&name, false, &mut violations);
        let checked = self.check_destinations(&destinations, false, &mut violations);
        if let Member::Present(name) = &name {
            let renamed = target.as_ref().ok();
            if self
                .channels
                .iter()
                .any(|c| &c.name == name && Some(&c.id) != renamed)
            {
                violations.push(Violation::of(
                    RuleId::OP5,
                    format!("another channel is named {name:?}"),
                ));
            }
        }
        let id = match target {
            Ok(id) => id,
            Err(mut refused) => {
                refused.append(&mut violations);
                // Deserialisation comes first on AWS's stacks (§1): a type
                // error is the first thing a server finds.
                refused.sort_by_key(|v| v.rule != RuleId::P4);
                return Evaluation {
                    violations: refused,
                    plan: None,
                };
            }
        };
        Evaluation::new(violations, || Plan::UpdateChannel {
            id,
            name: name.present().cloned(),
            destinations: destinations.present().map(|_| checked),
        })
    }

    fn evaluate_page(
        &self,
        body: &Map<String, Value>,
        total: usize,
        (rule, max_results_codes): (RuleId, &'static [ErrorCode]),
        plan: impl FnOnce(usize, usize) -> Plan,
    ) -> Evaluation {
        let mut violations = Vec::new();
        let mut reader = Reader::new(body, &mut violations);
        let max_results = reader.integer("MaxResults");
        let token = reader.string("NextToken");
        let (min, max) = shapes::MAX_RESULTS;
        let page_size = match max_results {
            Member::Present(n) if (min..=max).contains(&n) => n as usize,
            Member::Present(n) => {
                violations.push(Violation::with_codes(
                    rule,
                    max_results_codes,
                    format!("MaxResults {n} is not {min}..={max}"),
                ));
                0
            }
            _ => max as usize,
        };
        let start = match &token {
            Member::Present(token) => match parse_page_token(token) {
                Some(start) if start <= total => start,
                _ => {
                    let codes: &'static [ErrorCode] = &[InvalidNextTokenException];
                    violations.push(Violation::with_codes(
                        rule,
                        codes,
                        "NextToken is not one this endpoint issued",
                    ));
                    0
                }
            },
            _ => 0,
        };
        Evaluation::new(violations, || plan(start, page_size))
    }

    // --- Event data stores (§5) ---------------------------------------------

    fn evaluate_create_store(&self, body: &Map<String, Value>) -> Evaluation {
        let mut violations = Vec::new();
        let input = store_input::check(body, &mut violations);
        // State is judged whatever else is wrong: any broken rule's error
        // conforms (§1).
        if let Member::Present(name) = &input.name {
            if self.stores.iter().any(|s| &s.name == name) {
                let codes: &'static [ErrorCode] = &[EventDataStoreAlreadyExistsException];
                violations.push(Violation::with_codes(
                    RuleId::OP1,
                    codes,
                    format!("an event data store named {name:?} exists"),
                ));
            }
        }
        if self.stores.len() >= self.limits.store_quota {
            let codes: &'static [ErrorCode] = &[EventDataStoreMaxLimitExceededException];
            violations.push(Violation::with_codes(
                RuleId::OP1,
                codes,
                "the region holds the most event data stores it may",
            ));
        }
        Evaluation::new(violations, || {
            Plan::CreateStore(NewStore {
                name: input.name.present().cloned().unwrap_or_default(),
                selectors: input.selectors.present().cloned(),
                retention_days: input.retention_days.present().copied(),
                termination_protection: input.termination_protection.present().copied(),
                multi_region: input.multi_region.present().copied(),
                start_ingestion: input.start_ingestion.present().copied(),
                billing_mode: input.billing_mode.present().cloned(),
                kms_key_id: input.kms_key_id.present().cloned(),
                tags: input.tags(),
            })
        })
    }

    fn evaluate_store_target(
        &self,
        body: &Map<String, Value>,
        evaluate: impl FnOnce(&Store, String) -> Evaluation,
    ) -> Evaluation {
        let mut violations = Vec::new();
        let reference = Reader::new(body, &mut violations).string("EventDataStore");
        let reference = match reference {
            Member::Present(reference) => reference,
            Member::Absent => {
                // §1: a missing required member of a supporting operation.
                let codes: &'static [ErrorCode] = &[
                    InvalidParameterException,
                    ValidationException,
                    EventDataStoreARNInvalidException,
                ];
                return Evaluation::refused(Violation::with_codes(
                    RuleId::OP1,
                    codes,
                    "EventDataStore is missing",
                ));
            }
            Member::WrongType => {
                return Evaluation {
                    violations,
                    plan: None,
                }
            }
        };
        let codes: &'static [ErrorCode] = &[
            EventDataStoreARNInvalidException,
            InvalidParameterException,
            ValidationException,
        ];
        if !shapes::length_within(&reference, shapes::ARN_LENGTH)
            || !shapes::is_arn_pattern(&reference)
        {
            return Evaluation::refused(Violation::with_codes(
                RuleId::OP1,
                codes,
                format!(
                    "EventDataStore is not {} characters of [a-zA-Z0-9._/-:]",
                    range(shapes::ARN_LENGTH)
                ),
            ));
        }
        let store = match self.find_store(&reference) {
            StoreLookup::Found(store) => store,
            StoreLookup::MalformedArn => {
                // §5: neither a store ARN nor an id, so looked up or refused.
                let codes: &'static [ErrorCode] = &[
                    EventDataStoreARNInvalidException,
                    EventDataStoreNotFoundException,
                ];
                return Evaluation::refused(Violation::with_codes(
                    RuleId::OP1,
                    codes,
                    "EventDataStore is not an event data store ARN",
                ));
            }
            // §5: a well-formed ARN of this account and Region, or a UUID
            // id, that names no store is not found; a value that is neither
            // may be refused for its form too, and another account's or
            // Region's ARN as E2 allows for a destination (§2).
            StoreLookup::UnknownArn => {
                let codes: &'static [ErrorCode] = &[EventDataStoreNotFoundException];
                return Evaluation::refused(Violation::with_codes(
                    RuleId::OP1,
                    codes,
                    "EventDataStore names no event data store here",
                ));
            }
            StoreLookup::UnknownId | StoreLookup::ForeignArn => {
                let codes: &'static [ErrorCode] = if shapes::is_uuid(&reference) {
                    &[EventDataStoreNotFoundException]
                } else {
                    &[
                        EventDataStoreNotFoundException,
                        EventDataStoreARNInvalidException,
                    ]
                };
                return Evaluation::refused(Violation::with_codes(
                    RuleId::OP1,
                    codes,
                    "EventDataStore names no event data store here",
                ));
            }
        };
        evaluate(store, store.id.clone())
    }

    /// OP3: every reason the store cannot be deleted now (any of them
    /// conforms, §1).
    fn store_deletable(&self, store: &Store) -> Vec<Violation> {
        let mut violations = Vec::new();
        if store.termination_protection {
            let codes: &'static [ErrorCode] = &[EventDataStoreTerminationProtectedException];
            let violation = Violation::with_codes(
                RuleId::OP3,
                codes,
                "the event data store has termination protection",
            );
            violations.push(if store.termination_protection_by_default {
                violation.optional(true)
            } else {
                violation
            });
        }
        if store.status == StoreStatus::PendingDeletion {
            let codes: &'static [ErrorCode] = &[
                InactiveEventDataStoreException,
                EventDataStoreNotFoundException,
            ];
            violations.push(Violation::with_codes(
                RuleId::OP3,
                codes,
                "the event data store is already pending deletion",
            ));
        }
        if self.channels_using(&store.id).next().is_some() {
            violations.push(Violation::of(
                RuleId::OP3,
                "a channel points at the event data store",
            ));
        }
        violations
    }

    /// The channels whose destinations point at the store `id`, by ARN or id.
    pub fn channels_using<'a>(&'a self, id: &'a str) -> impl Iterator<Item = &'a Channel> + 'a {
        self.channels.iter().filter(move |channel| {
            channel.destinations.iter().any(|d| {
                d.kind == DestinationType::EventDataStore
                    && matches!(self.find_store(&d.location), StoreLookup::Found(s) if s.id == id)
            })
        })
    }

    fn find_store(&self, reference: &str) -> StoreLookup<&Store> {
        let id = if reference.starts_with("arn:") {
            let Some(arn) = shapes::parse_arn(reference, "eventdatastore") else {
                return StoreLookup::MalformedArn;
            };
            if !self.identity.owns(&arn) {
                return StoreLookup::ForeignArn;
            }
            arn.id
        } else {
            reference
        };
        match self.stores.iter().find(|s| s.id == id) {
            Some(store) => StoreLookup::Found(store),
            None if reference.starts_with("arn:") => StoreLookup::UnknownArn,
            None => StoreLookup::UnknownId,
        }
    }

    // --- Applying a plan -----------------------------------------------------

    /// Carries out a conforming request's plan and returns the success body.
    pub fn apply(&mut self, plan: &Plan, fresh: &Fresh) -> Value {
        let body = self.success_body(plan, fresh);
        self.commit(plan, fresh);
        body
    }

    /// The body a success of `plan` answers, read from the state before the
    /// plan is carried out: pure, so the oracle can preview it without
    /// copying the region.
    pub fn success_body(&self, plan: &Plan, fresh: &Fresh) -> Value {
        match plan {
            Plan::CreateChannel(new) => {
                let mut body = self.channel_summary(&fresh.id, &new.name, &new.source);
                body.insert("Destinations".into(), destinations_json(&new.destinations));
                if let Some(tags) = &new.tags {
                    body.insert("Tags".into(), tags_json(tags));
                }
                Value::Object(body)
            }
            Plan::GetChannel { id } => {
                let Some(channel) = self.channel(id) else {
                    return json!({});
                };
                let mut body = self.channel_body(channel);
                body.insert(
                    "SourceConfig".into(),
                    json!({"ApplyToAllRegions": false, "AdvancedEventSelectors": []}),
                );
                body.insert("IngestionStatus".into(), json!({}));
                Value::Object(body)
            }
            Plan::UpdateChannel {
                id,
                name,
                destinations,
            } => {
                let Some(channel) = self.channel(id) else {
                    return json!({});
                };
                let name = name.as_deref().unwrap_or(&channel.name);
                let destinations = destinations.as_deref().unwrap_or(&channel.destinations);
                let mut body = self.channel_summary(&channel.id, name, &channel.source);
                body.insert("Destinations".into(), destinations_json(destinations));
                Value::Object(body)
            }
            Plan::ListChannels { start, max } => {
                let page: Vec<Value> = self
                    .channels
                    .iter()
                    .skip(*start)
                    .take(*max)
                    .map(
                        |c| json!({"ChannelArn": self.identity.channel_arn(&c.id), "Name": c.name}),
                    )
                    .collect();
                page_body("Channels", page, *start, *max, self.channels.len())
            }
            Plan::CreateStore(new) => {
                let mut body = self.store_body(&new_store(new, fresh));
                if let Some(tags) = &new.tags {
                    body.insert("TagsList".into(), tags_json(tags));
                }
                Value::Object(body)
            }
            Plan::GetStore { id } => match self.stores.iter().find(|s| &s.id == id) {
                Some(store) => Value::Object(self.store_body(store)),
                None => json!({}),
            },
            Plan::ListStores { start, max } => {
                let page: Vec<Value> = self
                    .stores
                    .iter()
                    .skip(*start)
                    .take(*max)
                    .map(|s| self.store_summary(s))
                    .collect();
                page_body("EventDataStores", page, *start, *max, self.stores.len())
            }
            Plan::DeleteChannel { .. }
            | Plan::StopIngestion { .. }
            | Plan::StartIngestion { .. }
            | Plan::DeleteStore { .. } => json!({}),
        }
    }

    /// Moves the state to where a success of `plan` leaves it.
    pub fn commit(&mut self, plan: &Plan, fresh: &Fresh) {
        match plan {
            Plan::CreateChannel(new) => self.channels.push(Channel {
                id: fresh.id.clone(),
                name: new.name.clone(),
                source: new.source.clone(),
                destinations: new.destinations.clone(),
            }),
            Plan::UpdateChannel {
                id,
                name,
                destinations,
            } => {
                let Some(channel) = self.channels.iter_mut().find(|c| &c.id == id) else {
                    return;
                };
                if let Some(name) = name {
                    channel.name = name.clone();
                }
                if let Some(destinations) = destinations {
                    channel.destinations = destinations.clone();
                }
            }
            Plan::DeleteChannel { id } => self.channels.retain(|c| &c.id != id),
            Plan::CreateStore(new) => self.stores.push(new_store(new, fresh)),
            Plan::StopIngestion { id } => self.set_store_status(id, StoreStatus::StoppedIngestion),
            Plan::StartIngestion { id } => self.set_store_status(id, StoreStatus::Enabled),
            Plan::DeleteStore { id } => self.set_store_status(id, StoreStatus::PendingDeletion),
            Plan::GetChannel { .. }
            | Plan::ListChannels { .. }
            | Plan::GetStore { .. }
            | Plan::ListStores { .. } => {}
        }
    }

    fn channel(&self, id: &str) -> Option<&Channel> {
        self.channels.iter().find(|c| c.id == id)
    }

    fn set_store_status(&mut self, id: &str, status: StoreStatus) {
        if let Some(store) = self.stores.iter_mut().find(|s| s.id == id) {
            store.status = status;
        }
    }

    /// A channel's ARN, name and source: the members every channel body has.
    fn channel_summary(&self, id: &str, name: &str, source: &str) -> Map<String, Value> {
        let mut body = Map::new();
        body.insert("ChannelArn".into(), self.identity.channel_arn(id).into());
        body.insert("Name".into(), name.into());
        body.insert("Source".into(), source.into());
        body
    }

    fn channel_body(&self, channel: &Channel) -> Map<String, Value> {
        let mut body = self.channel_summary(&channel.id, &channel.name, &channel.source);
        body.insert(
            "Destinations".into(),
            destinations_json(&channel.destinations),
        );
        body
    }

    /// A store as CreateEventDataStore and GetEventDataStore describe it:
    /// the members both output shapes have (Create adds `TagsList`).
    fn store_body(&self, store: &Store) -> Map<String, Value> {
        let mut body = Map::new();
        let mut put = |member: &str, value: Value| body.insert(member.into(), value);
        put(
            "EventDataStoreArn",
            self.identity.store_arn(&store.id).into(),
        );
        put("Name", store.name.clone().into());
        put("Status", store.status.as_str().into());
        put("AdvancedEventSelectors", store.selectors.clone().into());
        put("MultiRegionEnabled", store.multi_region.into());
        put("OrganizationEnabled", false.into());
        put("RetentionPeriod", store.retention_days.into());
        put(
            "TerminationProtectionEnabled",
            store.termination_protection.into(),
        );
        put("CreatedTimestamp", store.created.into());
        put("UpdatedTimestamp", store.created.into());
        if let Some(key) = &store.kms_key_id {
            put("KmsKeyId", key.clone().into());
        }
        put("BillingMode", store.billing_mode.clone().into());
        body
    }

    /// A store as ListEventDataStores lists it: the model's `EventDataStore`
    /// shape marks every other member deprecated and "no longer returned by
    /// ListEventDataStores", and has no `BillingMode` or `KmsKeyId`.
    fn store_summary(&self, store: &Store) -> Value {
        json!({
            "EventDataStoreArn": self.identity.store_arn(&store.id),
            "Name": store.name,
        })
    }
}

/// `DestinationInput` and `TagInput` hold members as read, before the rules;
/// a `Tag` is one the rules accepted.
pub use super::rules::{Tag, TagInput};

#[derive(Clone, Debug, PartialEq)]
pub struct DestinationInput {
    pub kind: Member<String>,
    pub location: Member<String>,
}

fn read_destination(reader: &mut Reader<'_>) -> DestinationInput {
    DestinationInput {
        kind: reader.string("Type"),
        location: reader.string("Location"),
    }
}

fn read_tag(reader: &mut Reader<'_>) -> TagInput {
    TagInput {
        key: reader.string("Key"),
        value: reader.string("Value"),
    }
}

/// OP2 and the status a change of ingestion needs: only stores of the
/// Management, Data, NetworkActivity and ConfigurationItem categories stop
/// and start (the operations' API reference), so an ActivityAuditLog or an
/// Insight store is refused whatever its status.
fn ingestion_change(store: &Store, needed: StoreStatus) -> Vec<Violation> {
    // Both are judged: a store of the wrong category that is also in the
    // wrong status may be refused for either (§1, several broken rules).
    let mut violations = Vec::new();
    if !shapes::INGESTION_CATEGORIES.contains(&store.category.as_str()) {
        violations.push(Violation::of(
            RuleId::OP2,
            format!(
                "an event data store of category {} has no ingestion to stop or start",
                store.category
            ),
        ));
    }
    if store.status != needed {
        let codes: &'static [ErrorCode] = &[InvalidEventDataStoreStatusException];
        violations.push(Violation::with_codes(
            RuleId::OP2,
            codes,
            format!("the event data store is {}", store.status.as_str()),
        ));
    }
    violations
}

/// Why a GetEventDataStore answer cannot be taken into the model.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DescribedStoreError {
    /// `Status` is absent, or a status the contract does not model.
    UnmodelledStatus(Option<String>),
    /// The answer has no `Name`.
    NoName,
}

impl std::fmt::Display for DescribedStoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DescribedStoreError::UnmodelledStatus(status) => write!(
                f,
                "Status {:?} is not one the contract models",
                status.as_deref()
            ),
            DescribedStoreError::NoName => f.write_str("the answer has no Name"),
        }
    }
}

impl std::error::Error for DescribedStoreError {}

impl Store {
    /// A store an endpoint already holds, as its GetEventDataStore answer
    /// describes it: how a run takes pre-created stores into its model.
    pub fn described(id: &str, body: &Value) -> Result<Store, DescribedStoreError> {
        let text = |member: &str| body.get(member).and_then(Value::as_str);
        let status = text("Status").and_then(StoreStatus::parse).ok_or_else(|| {
            DescribedStoreError::UnmodelledStatus(text("Status").map(str::to_string))
        })?;
        let selectors = body
            .get("AdvancedEventSelectors")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        Ok(Store {
            id: id.to_string(),
            name: text("Name").ok_or(DescribedStoreError::NoName)?.to_string(),
            category: store_category(&selectors),
            status,
            termination_protection: body
                .get("TerminationProtectionEnabled")
                .and_then(Value::as_bool)
                .unwrap_or(DEFAULT_TERMINATION_PROTECTION),
            termination_protection_by_default: body
                .get("TerminationProtectionEnabled")
                .and_then(Value::as_bool)
                .is_none(),
            retention_days: body
                .get("RetentionPeriod")
                .and_then(Value::as_i64)
                .unwrap_or(DEFAULT_RETENTION_DAYS),
            selectors,
            multi_region: body
                .get("MultiRegionEnabled")
                .and_then(Value::as_bool)
                .unwrap_or(DEFAULT_MULTI_REGION),
            billing_mode: text("BillingMode")
                .unwrap_or(DEFAULT_BILLING_MODE)
                .to_string(),
            kms_key_id: text("KmsKeyId").map(str::to_string),
            created: body
                .get("CreatedTimestamp")
                .and_then(Value::as_f64)
                .unwrap_or_default(),
        })
    }
}

// What a store has when its create request leaves a setting out, and what
// a description that omits one is read as.

/// The model leaves it open; the console enables protection, so the
/// emulator does too and scenarios must say `false` to delete.
const DEFAULT_TERMINATION_PROTECTION: bool = true;
const DEFAULT_RETENTION_DAYS: i64 = shapes::EXTENDABLE_RETENTION_DEFAULT;
const DEFAULT_MULTI_REGION: bool = true;
const DEFAULT_BILLING_MODE: &str = shapes::BILLING_MODES[0];

fn new_store(new: &NewStore, fresh: &Fresh) -> Store {
    let selectors = new.selectors.clone().unwrap_or_else(|| {
        vec![json!({"Name": "Default management events", "FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}]})]
    });
    let billing_mode = new
        .billing_mode
        .clone()
        .unwrap_or_else(|| DEFAULT_BILLING_MODE.into());
    // Each pricing has its own default retention (BillingMode's documentation).
    let default_retention = if billing_mode == shapes::FIXED_PRICING {
        shapes::FIXED_RETENTION_MAX
    } else {
        shapes::EXTENDABLE_RETENTION_DEFAULT
    };
    Store {
        id: fresh.id.clone(),
        name: new.name.clone(),
        category: store_category(&selectors),
        // StartIngestion defaults to true; false leaves the store created
        // but not ingesting, which StartEventDataStoreIngestion changes
        // for the categories that can start (`ingestion_change`).
        status: if new.start_ingestion == Some(false) {
            StoreStatus::StoppedIngestion
        } else {
            StoreStatus::Enabled
        },
        termination_protection: new
            .termination_protection
            .unwrap_or(DEFAULT_TERMINATION_PROTECTION),
        termination_protection_by_default: new.termination_protection.is_none(),
        retention_days: new.retention_days.unwrap_or(default_retention),
        selectors,
        multi_region: new.multi_region.unwrap_or(DEFAULT_MULTI_REGION),
        billing_mode,
        kms_key_id: new.kms_key_id.clone(),
        created: fresh.now,
    }
}

/// The `eventCategory` an event data store's selectors collect.
pub fn store_category(selectors: &[Value]) -> String {
    selectors
        .iter()
        .filter_map(|s| s.get("FieldSelectors")?.as_array())
        .flatten()
        .filter(|f| f.get("Field").and_then(Value::as_str) == Some("eventCategory"))
        .find_map(|f| f.get("Equals")?.get(0)?.as_str())
        .unwrap_or("Management")
        .to_string()
}

fn destinations_json(destinations: &[Destination]) -> Value {
    destinations
        .iter()
        .map(|d| json!({"Type": d.kind.as_str(), "Location": d.location}))
        .collect()
}

fn tags_json(tags: &[Tag]) -> Value {
    tags.iter()
        .map(|tag| match &tag.value {
            Some(value) => json!({"Key": tag.key, "Value": value}),
            None => json!({"Key": tag.key}),
        })
        .collect()
}

fn page_body(member: &str, page: Vec<Value>, start: usize, max: usize, total: usize) -> Value {
    let mut body = Map::new();
    body.insert(member.into(), Value::Array(page));
    if start + max < total {
        body.insert(
            "NextToken".into(),
            format!("{PAGE_TOKEN_PREFIX}{}", start + max).into(),
        );
    }
    Value::Object(body)
}

fn parse_page_token(token: &str) -> Option<usize> {
    token.strip_prefix(PAGE_TOKEN_PREFIX)?.parse().ok()
}

/// A limit as messages write it: `3..=128`. Built from the limit, so a
/// changed limit cannot leave its old number in a message.
fn range((min, max): (usize, usize)) -> String {
    format!("{min}..={max}")
}
