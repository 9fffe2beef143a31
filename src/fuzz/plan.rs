//! What the fuzzer decides to send, as a structure rather than bytes: a
//! [`Session`] is a short sequence of [`PlannedCall`]s (create, read, update and
//! delete channels and event data stores), each member of each request
//! chosen between a valid value and the interesting invalid ones of the
//! contract: lengths at and around every limit, pattern-breaking and
//! multi-byte characters, wrong JSON types, `null`, absent and unknown
//! members, partner / recased / unknown sources, destinations naming stores
//! that exist, do not, are of the wrong category or pending deletion, and,
//! now and then, a bent envelope (other target, media type, method, body).
//!
//! Plans name no concrete resource: they refer to fixtures and to what the
//! session created earlier by index, so one plan replays in any namespace,
//! and shrinking (see `shrink.rs`) works on this structure.

use arbitrary::{Arbitrary, Result, Unstructured};

use crate::contract::rules;

/// Most steps in one session.
pub const MAX_STEPS: usize = 12;

// The probes at and around each limit are the rule units' own
// (`contract::rules`, `Limit::around`), so a changed limit moves them.

/// Lengths tried for channel and store names.
pub const NAME_LENGTHS: &[u16] = &rules::NAME.around();
/// Lengths tried for `Source`.
pub const SOURCE_LENGTHS: &[u16] = &rules::SOURCE.around();
/// Lengths tried for a destination `Location`.
pub const LOCATION_LENGTHS: &[u16] = &rules::LOCATION.around();
/// Lengths tried for a tag key.
pub const KEY_LENGTHS: &[u16] = &rules::KEY.around();
/// Lengths tried for a tag value (no minimum but T5's empty value).
pub const VALUE_LENGTHS: &[u16] = &rules::VALUE_PROBES;
/// Destination counts tried by padding.
pub const DESTINATION_COUNTS: &[u16] = &[
    rules::DESTINATIONS.max as u16,
    rules::DESTINATIONS.max as u16 + 1,
];
/// Tag counts tried by padding (the contract's limit and the model's).
pub const TAG_COUNTS: &[u16] = &[
    rules::TAGS.max as u16,
    rules::TAGS.max as u16 + 1,
    rules::MODEL_TAGS.max as u16,
    rules::MODEL_TAGS.max as u16 + 1,
];
/// `MaxResults` values tried (limit 1..=1000).
pub const MAX_RESULTS: &[i64] = &[-1, 0, 1, 2, 1000, 1001];
/// `RetentionPeriod` values tried (limit 7..=3653).
pub const RETENTION_DAYS: &[i64] = &[6, 7, 3653, 3654];

/// One fuzz case group: steps run in order against one namespace.
#[derive(Clone, Debug, PartialEq)]
pub struct Session {
    pub steps: Vec<PlannedCall>,
}

/// One request: what it asks, how its envelope is bent, the Region it goes
/// to, and whether it is sent at once with the calls before it.
#[derive(Clone, Debug, PartialEq)]
pub struct PlannedCall {
    pub action: Action,
    pub envelope: Envelope,
    /// State is per account and Region (contract sections 4 and 5): the
    /// call is signed for this Region and judged against its model.
    pub region: PlannedRegion,
    /// Sent together with the call before it (and that one's group, up to
    /// [`GROUP_MAX`] calls), all at once; ignored on a session's first call.
    pub concurrent: bool,
}

/// The Region a call is sent to: the run's, or a second one (the
/// scenarios' `region2`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum PlannedRegion {
    #[default]
    Home,
    Second,
}

/// Most calls sent at once.
pub const GROUP_MAX: usize = 3;

/// The session's calls as groups sent at once (most of one call), in order:
/// each range is one group.
pub fn groups(calls: &[PlannedCall]) -> Vec<std::ops::Range<usize>> {
    let mut out: Vec<std::ops::Range<usize>> = Vec::new();
    for (index, call) in calls.iter().enumerate() {
        match out.last_mut() {
            Some(group) if call.concurrent && group.len() < GROUP_MAX => group.end = index + 1,
            _ => out.push(index..index + 1),
        }
    }
    out
}

#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    CreateChannel(ChannelInput),
    GetChannel(ChannelRef),
    ListChannels(Page),
    UpdateChannel {
        channel: ChannelRef,
        name: Field<Name>,
        destinations: Field<Destinations>,
    },
    DeleteChannel(ChannelRef),
    CreateStore(PlannedStoreInput),
    GetStore(StoreRef),
    ListStores(Page),
    StopIngestion(StoreRef),
    StartIngestion(StoreRef),
    DeleteStore(StoreRef),
}

/// A request member: a value, or one of the ways of not sending one.
#[derive(Clone, Debug, PartialEq)]
pub enum Field<T> {
    Set(T),
    Absent,
    /// JSON `null`: the same as absent (P8).
    Null,
    /// A value of another JSON type (P4).
    Wrong(Json),
}

/// A JSON value of some type, to put where another type belongs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Arbitrary)]
pub enum Json {
    Number,
    Bool,
    Text,
    List,
    Object,
}

/// The characters of a text of exact length.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Arbitrary)]
pub enum Fill {
    /// Only characters every pattern allows.
    Valid,
    Space,
    Slash,
    At,
    Colon,
    Star,
    /// Every character `é` (two bytes): lengths count characters.
    Accent,
    /// One emoji (four bytes) in the middle.
    Emoji,
    Dollar,
    Quote,
    Newline,
}

/// A channel or event data store name.
#[derive(Clone, Debug, PartialEq)]
pub enum Name {
    /// A valid name of typical length, unique in the session per variant.
    Fresh(u8),
    /// Exactly `len` characters.
    Exact { len: u16, fill: Fill },
    /// The name of the n-th channel (or store) the session created.
    Existing(u8),
}

#[derive(Clone, Debug, PartialEq)]
pub enum Source {
    Custom,
    /// A partner source, picked among those the session may use.
    Partner(u8),
    /// A partner source in other letter case.
    Recased(u8),
    /// `custom`.
    CustomLower,
    /// A name that is neither Custom nor a partner.
    Unknown,
    Exact {
        len: u16,
        fill: Fill,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub struct ChannelInput {
    pub name: Field<Name>,
    pub source: Field<Source>,
    pub destinations: Field<Destinations>,
    pub tags: Field<Tags>,
    /// Adds a member the model does not know (ignored, P8).
    pub unknown_member: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Destinations {
    pub items: Vec<PlannedDestination>,
    /// Repeats the last item (or a valid one) up to this many entries.
    pub pad_to: Option<u16>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct PlannedDestination {
    pub kind: Field<DestinationKind>,
    pub location: Field<Location>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DestinationKind {
    EventDataStore,
    AwsService,
    /// `event_data_store`: the enum is case-sensitive.
    Lowercase,
    Unknown,
}

/// Which event data store a reference means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StoreTarget {
    /// The runner's ENABLED ActivityAuditLog store.
    Integration,
    /// The runner's store of the wrong category.
    Management,
    /// The runner's PENDING_DELETION store.
    Pending,
    /// The n-th store this session created (the integration store if none).
    Session(u8),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Arbitrary)]
pub enum By {
    Arn,
    Id,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Location {
    Store {
        target: StoreTarget,
        by: By,
    },
    /// A well-formed ARN of this account and region that names no store.
    UnknownArn,
    /// A bare id no store has.
    UnknownId,
    OtherRegion,
    OtherAccount,
    /// `arn:` but not a CloudTrail event data store ARN.
    MalformedArn,
    Exact {
        len: u16,
        fill: Fill,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub struct Tags {
    pub items: Vec<PlannedTag>,
    /// Adds distinct valid tags up to this many.
    pub pad_to: Option<u16>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct PlannedTag {
    pub key: Field<TagKey>,
    pub value: Field<TagValue>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum TagKey {
    Plain(u8),
    /// The key of the tag before (or `k0`).
    Duplicate,
    /// `aws:...`, reserved.
    AwsPrefix,
    /// `AWS:...`: the reserved prefix in other case.
    AwsUpper,
    Exact {
        len: u16,
        fill: Fill,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub enum TagValue {
    Plain,
    Empty,
    Exact { len: u16, fill: Fill },
}

/// The `Channel` member of GetChannel, UpdateChannel, DeleteChannel.
#[derive(Clone, Debug, PartialEq)]
pub enum ChannelRef {
    /// The n-th channel the session created (deleted ones included).
    Session {
        index: u8,
        by: By,
    },
    UnknownId,
    UnknownArn,
    OtherRegion,
    MalformedArn,
    Exact {
        len: u16,
        fill: Fill,
    },
    Missing,
    Wrong(Json),
}

/// The `EventDataStore` member of the store operations.
#[derive(Clone, Debug, PartialEq)]
pub enum StoreRef {
    Target { target: StoreTarget, by: By },
    UnknownArn,
    UnknownId,
    MalformedArn,
    Missing,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Page {
    pub max_results: Field<i64>,
    /// Sends a `NextToken` no endpoint issued.
    pub bogus_token: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct PlannedStoreInput {
    pub name: Field<Name>,
    pub category: Category,
    pub start_ingestion: Option<bool>,
    pub retention_days: Option<i64>,
}

/// The advanced event selectors of a new store.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Category {
    ActivityAuditLog,
    /// No selectors: management events, the wrong category for channels.
    Default,
    Management,
    /// A selector without `FieldSelectors`.
    Broken,
}

/// How the request around the body is bent.
#[derive(Clone, Debug, PartialEq)]
pub struct Envelope {
    pub target: TargetChoice,
    pub content_type: ContentTypeChoice,
    pub method: MethodChoice,
    pub body: BodyBend,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Arbitrary)]
pub enum TargetChoice {
    Prefixed,
    ServiceShape,
    Missing,
    UnknownOperation,
    /// The operation name in lower case.
    Recased,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Arbitrary)]
pub enum ContentTypeChoice {
    Json11,
    Json11Charset,
    Missing,
    ApplicationJson,
    TextPlain,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Arbitrary)]
pub enum MethodChoice {
    Post,
    Get,
    Put,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Arbitrary)]
pub enum BodyBend {
    AsIs,
    Empty,
    NotJson,
    JsonArray,
    Truncated,
    JsonNull,
}

impl Envelope {
    /// The protocol as it should be, in the model's target form.
    pub fn plain() -> Envelope {
        Envelope {
            target: TargetChoice::Prefixed,
            content_type: ContentTypeChoice::Json11,
            method: MethodChoice::Post,
            body: BodyBend::AsIs,
        }
    }

    pub fn is_plain(&self) -> bool {
        matches!(
            self.target,
            TargetChoice::Prefixed | TargetChoice::ServiceShape
        ) && matches!(
            self.content_type,
            ContentTypeChoice::Json11 | ContentTypeChoice::Json11Charset
        ) && self.method == MethodChoice::Post
            && self.body == BodyBend::AsIs
    }
}

// ---------------------------------------------------------------- choosing

/// A number in 0..100, for weighted choices.
// An exhausted `Unstructured` reads as zeros, and libFuzzer starts from
// short inputs, so every choice puts its ordinary case at 0: a short input
// makes a small valid request, not a 200-destination one.
fn percent(u: &mut Unstructured<'_>) -> Result<u8> {
    u.int_in_range(0..=99)
}

/// True `chance` percent of the time; false on an exhausted input.
fn now_and_then(u: &mut Unstructured<'_>, chance: u8) -> Result<bool> {
    Ok(percent(u)? >= 100 - chance)
}

fn pick<T: Copy>(u: &mut Unstructured<'_>, items: &[T]) -> Result<T> {
    Ok(*u.choose(items)?)
}

/// Mostly `Set`; sometimes absent, `null` or of the wrong type.
fn field<'a, T>(
    u: &mut Unstructured<'a>,
    set_percent: u8,
    value: impl FnOnce(&mut Unstructured<'a>) -> Result<T>,
) -> Result<Field<T>> {
    let roll = percent(u)?;
    let rest = 100 - set_percent;
    Ok(if roll < set_percent {
        Field::Set(value(u)?)
    } else if roll < set_percent + rest / 3 {
        Field::Absent
    } else if roll < set_percent + 2 * rest / 3 {
        Field::Null
    } else {
        Field::Wrong(Json::arbitrary(u)?)
    })
}

fn fill(u: &mut Unstructured<'_>) -> Result<Fill> {
    if percent(u)? < 55 {
        Ok(Fill::Valid)
    } else {
        Fill::arbitrary(u)
    }
}

fn name(u: &mut Unstructured<'_>) -> Result<Name> {
    Ok(match percent(u)? {
        0..=44 => Name::Fresh(u.int_in_range(0..=3)?),
        45..=84 => Name::Exact {
            len: pick(u, NAME_LENGTHS)?,
            fill: fill(u)?,
        },
        _ => Name::Existing(u.int_in_range(0..=3)?),
    })
}

fn source(u: &mut Unstructured<'_>) -> Result<Source> {
    Ok(match percent(u)? {
        0..=44 => Source::Custom,
        45..=64 => Source::Partner(u.arbitrary()?),
        65..=72 => Source::Recased(u.arbitrary()?),
        73..=77 => Source::CustomLower,
        78..=84 => Source::Unknown,
        _ => Source::Exact {
            len: pick(u, SOURCE_LENGTHS)?,
            fill: fill(u)?,
        },
    })
}

fn store_target(u: &mut Unstructured<'_>) -> Result<StoreTarget> {
    Ok(match percent(u)? {
        0..=59 => StoreTarget::Integration,
        60..=74 => StoreTarget::Session(u.int_in_range(0..=2)?),
        75..=87 => StoreTarget::Management,
        _ => StoreTarget::Pending,
    })
}

fn location(u: &mut Unstructured<'_>) -> Result<Location> {
    Ok(match percent(u)? {
        0..=69 => Location::Store {
            target: store_target(u)?,
            by: if percent(u)? < 75 { By::Arn } else { By::Id },
        },
        70..=74 => Location::UnknownArn,
        75..=79 => Location::UnknownId,
        80..=83 => Location::OtherRegion,
        84..=87 => Location::OtherAccount,
        88..=91 => Location::MalformedArn,
        _ => Location::Exact {
            len: pick(u, LOCATION_LENGTHS)?,
            fill: fill(u)?,
        },
    })
}

fn destination(u: &mut Unstructured<'_>) -> Result<PlannedDestination> {
    let kind = field(u, 94, |u| {
        Ok(match percent(u)? {
            0..=84 => DestinationKind::EventDataStore,
            85..=89 => DestinationKind::AwsService,
            90..=94 => DestinationKind::Lowercase,
            _ => DestinationKind::Unknown,
        })
    })?;
    let location = field(u, 94, location)?;
    Ok(PlannedDestination { kind, location })
}

fn destinations(u: &mut Unstructured<'_>) -> Result<Destinations> {
    let count = match percent(u)? {
        0..=74 => 1,
        75..=87 => 2,
        88..=94 => 3,
        _ => 0,
    };
    let items = (0..count)
        .map(|_| destination(u))
        .collect::<Result<Vec<_>>>()?;
    let pad_to = if now_and_then(u, 5)? {
        Some(pick(u, DESTINATION_COUNTS)?)
    } else {
        None
    };
    Ok(Destinations { items, pad_to })
}

fn tag(u: &mut Unstructured<'_>, index: u8) -> Result<PlannedTag> {
    let key = field(u, 94, |u| {
        Ok(match percent(u)? {
            0..=69 => TagKey::Plain(index),
            70..=77 => TagKey::Duplicate,
            78..=84 => TagKey::AwsPrefix,
            85..=89 => TagKey::AwsUpper,
            _ => TagKey::Exact {
                len: pick(u, KEY_LENGTHS)?,
                fill: fill(u)?,
            },
        })
    })?;
    let value = field(u, 88, |u| {
        Ok(match percent(u)? {
            0..=74 => TagValue::Plain,
            75..=84 => TagValue::Empty,
            _ => TagValue::Exact {
                len: pick(u, VALUE_LENGTHS)?,
                fill: fill(u)?,
            },
        })
    })?;
    Ok(PlannedTag { key, value })
}

fn tags(u: &mut Unstructured<'_>) -> Result<Tags> {
    let count = u.int_in_range(0..=4u8)?;
    let items = (0..count).map(|i| tag(u, i)).collect::<Result<Vec<_>>>()?;
    let pad_to = if now_and_then(u, 8)? {
        Some(pick(u, TAG_COUNTS)?)
    } else {
        None
    };
    Ok(Tags { items, pad_to })
}

fn channel_input(u: &mut Unstructured<'_>) -> Result<ChannelInput> {
    Ok(ChannelInput {
        name: field(u, 94, name)?,
        source: field(u, 94, source)?,
        destinations: field(u, 93, destinations)?,
        tags: if percent(u)? < 45 {
            Field::Absent
        } else {
            field(u, 92, tags)?
        },
        unknown_member: now_and_then(u, 5)?,
    })
}

fn channel_ref(u: &mut Unstructured<'_>) -> Result<ChannelRef> {
    Ok(match percent(u)? {
        0..=74 => ChannelRef::Session {
            index: u.int_in_range(0..=3)?,
            by: By::arbitrary(u)?,
        },
        75..=79 => ChannelRef::UnknownId,
        80..=84 => ChannelRef::UnknownArn,
        85..=87 => ChannelRef::OtherRegion,
        88..=90 => ChannelRef::MalformedArn,
        91..=94 => ChannelRef::Exact {
            len: pick(u, &[0, 1, 2, 3, 256, 257])?,
            fill: fill(u)?,
        },
        95..=97 => ChannelRef::Missing,
        _ => ChannelRef::Wrong(Json::arbitrary(u)?),
    })
}

fn store_ref(u: &mut Unstructured<'_>) -> Result<StoreRef> {
    Ok(match percent(u)? {
        0..=79 => StoreRef::Target {
            target: if percent(u)? < 75 {
                StoreTarget::Session(u.int_in_range(0..=2)?)
            } else {
                store_target(u)?
            },
            by: By::arbitrary(u)?,
        },
        80..=85 => StoreRef::UnknownArn,
        86..=91 => StoreRef::UnknownId,
        92..=96 => StoreRef::MalformedArn,
        _ => StoreRef::Missing,
    })
}

fn page(u: &mut Unstructured<'_>) -> Result<Page> {
    Ok(Page {
        max_results: if percent(u)? < 50 {
            Field::Absent
        } else {
            field(u, 85, |u| pick(u, MAX_RESULTS))?
        },
        bogus_token: now_and_then(u, 10)?,
    })
}

fn store_input(u: &mut Unstructured<'_>) -> Result<PlannedStoreInput> {
    Ok(PlannedStoreInput {
        name: field(u, 95, name)?,
        category: match percent(u)? {
            0..=69 => Category::ActivityAuditLog,
            70..=79 => Category::Default,
            80..=91 => Category::Management,
            _ => Category::Broken,
        },
        start_ingestion: match percent(u)? {
            0..=79 => None,
            80..=89 => Some(true),
            _ => Some(false),
        },
        retention_days: if percent(u)? < 85 {
            None
        } else {
            Some(pick(u, RETENTION_DAYS)?)
        },
    })
}

fn action(u: &mut Unstructured<'_>) -> Result<Action> {
    Ok(match percent(u)? {
        0..=34 => Action::CreateChannel(channel_input(u)?),
        35..=44 => Action::GetChannel(channel_ref(u)?),
        45..=49 => Action::ListChannels(page(u)?),
        50..=58 => Action::UpdateChannel {
            channel: channel_ref(u)?,
            name: if percent(u)? < 50 {
                Field::Absent
            } else {
                // A rename onto another channel's Name (OP5) needs two
                // channels in one Region: asked for more often than `name`
                // alone would, now that calls spread over two Regions.
                field(u, 90, |u| {
                    if percent(u)? < 30 {
                        Ok(Name::Existing(u.int_in_range(0..=3)?))
                    } else {
                        name(u)
                    }
                })?
            },
            destinations: if percent(u)? < 60 {
                Field::Absent
            } else {
                field(u, 90, destinations)?
            },
        },
        59..=68 => Action::DeleteChannel(channel_ref(u)?),
        69..=78 => Action::CreateStore(store_input(u)?),
        79..=82 => Action::GetStore(store_ref(u)?),
        83..=85 => Action::ListStores(page(u)?),
        86..=88 => Action::StopIngestion(store_ref(u)?),
        89..=90 => Action::StartIngestion(store_ref(u)?),
        _ => Action::DeleteStore(store_ref(u)?),
    })
}

fn envelope(u: &mut Unstructured<'_>) -> Result<Envelope> {
    let form = if u.arbitrary()? {
        TargetChoice::Prefixed
    } else {
        TargetChoice::ServiceShape
    };
    if percent(u)? < 92 {
        let content_type = if percent(u)? < 85 {
            ContentTypeChoice::Json11
        } else {
            ContentTypeChoice::Json11Charset
        };
        return Ok(Envelope {
            target: form,
            content_type,
            ..Envelope::plain()
        });
    }
    Ok(Envelope {
        target: if u.arbitrary()? {
            form
        } else {
            TargetChoice::arbitrary(u)?
        },
        content_type: ContentTypeChoice::arbitrary(u)?,
        method: if percent(u)? < 70 {
            MethodChoice::Post
        } else {
            MethodChoice::arbitrary(u)?
        },
        body: BodyBend::arbitrary(u)?,
    })
}

impl<'a> Arbitrary<'a> for PlannedCall {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        Ok(PlannedCall {
            action: action(u)?,
            envelope: envelope(u)?,
            region: if now_and_then(u, 25)? {
                PlannedRegion::Second
            } else {
                PlannedRegion::Home
            },
            concurrent: false,
        })
    }
}

/// A CreateChannel as `action` asks, under the next fresh Name.
fn under_another_name(action: &Action) -> Option<Action> {
    let Action::CreateChannel(input) = action else {
        return None;
    };
    let next = match input.name {
        Field::Set(Name::Fresh(variant)) => variant.wrapping_add(1) % 4,
        _ => 1,
    };
    Some(Action::CreateChannel(ChannelInput {
        name: Field::Set(Name::Fresh(next)),
        ..input.clone()
    }))
}

impl<'a> Arbitrary<'a> for Session {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        let count = u.int_in_range(1..=MAX_STEPS)?;
        let mut steps: Vec<PlannedCall> = Vec::with_capacity(count);
        while steps.len() < count {
            let mut call = PlannedCall::arbitrary(u)?;
            if let Some(previous) = steps.last() {
                call.concurrent = now_and_then(u, 12)?;
                // Half the groups race for one thing: the same request
                // again (one Name), or the same channel under another Name
                // (one partner Source, one quota slot), now and then in the
                // other Region, where both succeed.
                if call.concurrent && u.arbitrary()? {
                    call.action = match under_another_name(&previous.action) {
                        Some(again) if u.arbitrary()? => again,
                        _ => previous.action.clone(),
                    };
                    call.region = if now_and_then(u, 25)? {
                        call.region
                    } else {
                        previous.region
                    };
                } else if !call.concurrent && now_and_then(u, 15)? {
                    // The channel before again under another Name, in its
                    // Region: sessions rarely make two valid channels by
                    // chance, and a rename onto a taken Name (OP5) and the
                    // races between them need two.
                    if let Some(again) = under_another_name(&previous.action) {
                        call.action = again;
                        call.region = previous.region;
                        // Then, now and then, the second renamed onto the
                        // first's Name (both made: channels 1 and 0).
                        if now_and_then(u, 40)? {
                            let rename = PlannedCall {
                                action: Action::UpdateChannel {
                                    channel: ChannelRef::Session {
                                        index: 1,
                                        by: By::Arn,
                                    },
                                    name: Field::Set(Name::Existing(0)),
                                    destinations: Field::Absent,
                                },
                                envelope: Envelope::plain(),
                                region: previous.region,
                                concurrent: false,
                            };
                            steps.push(call);
                            steps.push(rename);
                            continue;
                        }
                    }
                }
            }
            steps.push(call);
            if u.is_empty() {
                break;
            }
        }
        steps.truncate(count);
        Ok(Session { steps })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_input_still_makes_a_session() {
        let session = Session::arbitrary(&mut Unstructured::new(&[])).unwrap();
        assert_eq!(session.steps.len(), 1);
    }

    #[test]
    fn an_exhausted_input_makes_a_small_valid_create() {
        let session = Session::arbitrary(&mut Unstructured::new(&[])).unwrap();
        let Action::CreateChannel(input) = &session.steps[0].action else {
            panic!("{session:?}");
        };
        let Field::Set(destinations) = &input.destinations else {
            panic!("{input:?}");
        };
        assert_eq!((destinations.items.len(), destinations.pad_to), (1, None));
        assert!(!input.unknown_member, "{input:?}");
    }

    fn call(concurrent: bool) -> PlannedCall {
        PlannedCall {
            concurrent,
            ..Session::arbitrary(&mut Unstructured::new(&[]))
                .unwrap()
                .steps[0]
                .clone()
        }
    }

    #[test]
    fn groups_follow_the_concurrent_flags_and_hold_at_most_three() {
        let calls: Vec<PlannedCall> = [true, false, true, false, true, true, true]
            .into_iter()
            .map(call)
            .collect();
        assert_eq!(groups(&calls), vec![0..1, 1..3, 3..6, 6..7]);
        assert!(groups(&[]).is_empty());
    }

    #[test]
    fn seeds_make_both_regions_and_concurrent_groups() {
        let mut second = 0;
        let mut grouped = 0;
        for seed in 0..200u32 {
            let bytes: Vec<u8> = (0..4096u32)
                .map(|i| ((i + seed * 977) * 7919 % 251) as u8 ^ seed as u8)
                .collect();
            let session = Session::arbitrary(&mut Unstructured::new(&bytes)).unwrap();
            second += session
                .steps
                .iter()
                .filter(|s| s.region == PlannedRegion::Second)
                .count();
            grouped += groups(&session.steps)
                .iter()
                .filter(|g| g.len() > 1)
                .count();
        }
        assert!(second > 0 && grouped > 0, "{second} {grouped}");
    }

    #[test]
    fn plenty_of_input_makes_varied_sessions() {
        let bytes: Vec<u8> = (0..4096u32).map(|i| (i * 7919 % 251) as u8).collect();
        let session = Session::arbitrary(&mut Unstructured::new(&bytes)).unwrap();
        assert!(!session.steps.is_empty() && session.steps.len() <= MAX_STEPS);
    }
}
