//! Shape facts from the CloudTrail API model: limits, patterns, the partner
//! source names (contract §6), destination types and ARN formats. Lengths
//! count Unicode scalar values, as the model does.

// The limits of the input rules (Name, Source, Destinations, Location,
// Tags) are declared by their rule units (`contract::rules`), which read
// this module, never the other way round.

/// The reserved tag key prefix (T4).
pub const RESERVED_TAG_PREFIX: &str = "aws:";
/// `ChannelArn` and `EventDataStoreArn` as identifiers: 3..=256 characters.
pub const ARN_LENGTH: (usize, usize) = (3, 256);
/// `EventDataStoreName`: as `ChannelName`.
pub const STORE_NAME_LENGTH: (usize, usize) = (3, 128);
/// `RetentionPeriod` in days.
pub const RETENTION_DAYS: (i64, i64) = (7, 3653);
/// `BillingMode`'s enum values; the first is the default.
pub const BILLING_MODES: [&str; 2] = ["EXTENDABLE_RETENTION_PRICING", FIXED_PRICING];
pub const FIXED_PRICING: &str = "FIXED_RETENTION_PRICING";
/// The longest retention fixed pricing keeps, and its default (the
/// `RetentionPeriod` and `BillingMode` documentation).
pub const FIXED_RETENTION_MAX: i64 = 2557;
/// The default retention under extendable pricing (`BillingMode` documentation).
pub const EXTENDABLE_RETENTION_DEFAULT: i64 = 366;
/// `EventDataStoreKmsKeyId`: 1..=350 characters of `[a-zA-Z0-9._/-:]`.
pub const KMS_KEY_ID_LENGTH: (usize, usize) = (1, 350);
/// Advanced event selectors per event data store ("up to five",
/// CreateEventDataStore's API reference); the model's list has no maximum.
pub const STORE_SELECTORS_MAX: usize = 5;
/// `SelectorName`: 0..=1000 characters.
pub const SELECTOR_NAME_MAX: usize = 1000;
/// `SelectorField`: 1..=1000 characters of `[\w|\d|\.|_]`.
pub const SELECTOR_FIELD_LENGTH: (usize, usize) = (1, 1000);
/// `OperatorValue`: 1..=2048 characters.
pub const OPERATOR_VALUE_LENGTH: (usize, usize) = (1, 2048);
/// The event categories whose stores can stop and start ingestion
/// (Stop/StartEventDataStoreIngestion's API reference).
pub const INGESTION_CATEGORIES: [&str; 4] =
    ["Management", "Data", "NetworkActivity", "ConfigurationItem"];
/// `ListChannelsMaxResultsCount` and `ListEventDataStoresMaxResultsCount`.
pub const MAX_RESULTS: (i64, i64) = (1, 1000);
/// The channel quota (C3): integration channels per account and region.
pub const CHANNEL_QUOTA: usize = 25;
/// Event data stores per region (OP1).
pub const STORE_QUOTA: usize = 10;

/// `Source` for a customer's own integration; may back many channels (C2).
pub const CUSTOM_SOURCE: &str = "Custom";

/// Partner source names (the API values), from the CloudTrail user guide's
/// table of integration partners.
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

/// The selector that makes an event data store one for channels (E3).
pub const ACTIVITY_AUDIT_LOG: &str = "ActivityAuditLog";

/// A destination's `Type` (D2): case-sensitive enum values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DestinationType {
    EventDataStore,
    AwsService,
}

impl DestinationType {
    pub fn parse(value: &str) -> Option<DestinationType> {
        match value {
            "EVENT_DATA_STORE" => Some(DestinationType::EventDataStore),
            "AWS_SERVICE" => Some(DestinationType::AwsService),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            DestinationType::EventDataStore => "EVENT_DATA_STORE",
            DestinationType::AwsService => "AWS_SERVICE",
        }
    }
}

/// An event data store's status (the model's `EventDataStoreStatus`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StoreStatus {
    Enabled,
    StoppedIngestion,
    PendingDeletion,
}

impl StoreStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            StoreStatus::Enabled => "ENABLED",
            StoreStatus::StoppedIngestion => "STOPPED_INGESTION",
            StoreStatus::PendingDeletion => "PENDING_DELETION",
        }
    }

    /// The status a `Status` member names, if the model tracks it.
    pub fn parse(text: &str) -> Option<StoreStatus> {
        [
            StoreStatus::Enabled,
            StoreStatus::StoppedIngestion,
            StoreStatus::PendingDeletion,
        ]
        .into_iter()
        .find(|status| status.as_str() == text)
    }
}

pub fn char_count(text: &str) -> usize {
    text.chars().count()
}

pub fn length_within(text: &str, (min, max): (usize, usize)) -> bool {
    (min..=max).contains(&char_count(text))
}

/// `^[a-zA-Z0-9._\-]+$` (ChannelName, EventDataStoreName).
pub fn is_name_pattern(text: &str) -> bool {
    matches_class(text, &NAME_BYTES)
}

/// `^[a-zA-Z0-9._/\-:*]+$` (Location).
pub fn is_location_pattern(text: &str) -> bool {
    matches_class(text, &LOCATION_BYTES)
}

/// `^[a-zA-Z0-9._/\-:]+$` (ChannelArn, EventDataStoreArn).
pub fn is_arn_pattern(text: &str) -> bool {
    matches_class(text, &ARN_BYTES)
}

/// Whether `text` has a UUID's form (8-4-4-4-12 hex digits, either case):
/// the form AWS documents for channel and event data store ids (§4).
pub fn is_uuid(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() == 36
        && bytes.iter().enumerate().all(|(at, byte)| match at {
            8 | 13 | 18 | 23 => *byte == b'-',
            _ => byte.is_ascii_hexdigit(),
        })
}

/// `[\w|\d|\.|_]+` (SelectorField), read as a whole-value match: ASCII
/// letters, digits, `_`, `|` and `.`.
pub fn is_selector_field_pattern(text: &str) -> bool {
    matches_class(text, &SELECTOR_FIELD_BYTES)
}

/// Whether `text` is one or more bytes of the class. The classes are
/// ASCII, so a byte of a multi-byte character never matches, as its
/// character would not. A table rather than comparisons: locations are
/// checked up to 200 per request, and the fuzz build traces every compare.
fn matches_class(text: &str, class: &[bool; 256]) -> bool {
    !text.is_empty() && text.bytes().all(|b| class[usize::from(b)])
}

const NAME_BYTES: [bool; 256] = byte_class(b"._-");
const LOCATION_BYTES: [bool; 256] = byte_class(b"._/-:*");
const ARN_BYTES: [bool; 256] = byte_class(b"._/-:");
const SELECTOR_FIELD_BYTES: [bool; 256] = byte_class(b"_|.");

/// ASCII letters and digits, and `extra`.
const fn byte_class(extra: &[u8]) -> [bool; 256] {
    let mut class = [false; 256];
    let mut b = 0;
    while b < 128 {
        class[b] = (b as u8).is_ascii_alphanumeric();
        b += 1;
    }
    let mut i = 0;
    while i < extra.len() {
        class[extra[i] as usize] = true;
        i += 1;
    }
    class
}

/// How a `Source` value stands against the known names (S2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SourceKind {
    Custom,
    Partner,
    /// A known name in other letter case: the contract leaves it open.
    Recased,
    Unknown,
}

pub fn classify_source(source: &str, extra_partners: &[String]) -> SourceKind {
    let partners = PARTNER_SOURCES
        .iter()
        .copied()
        .chain(extra_partners.iter().map(String::as_str));
    if source == CUSTOM_SOURCE {
        return SourceKind::Custom;
    }
    let mut recased = source.eq_ignore_ascii_case(CUSTOM_SOURCE);
    for partner in partners {
        if partner == source {
            return SourceKind::Partner;
        }
        recased |= partner.eq_ignore_ascii_case(source);
    }
    if recased {
        SourceKind::Recased
    } else {
        SourceKind::Unknown
    }
}

/// The parts of `arn:<partition>:cloudtrail:<region>:<account>:<resource>/<id>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CloudTrailArn<'a> {
    pub partition: &'a str,
    pub region: &'a str,
    pub account: &'a str,
    pub id: &'a str,
}

/// Parses a CloudTrail ARN of the given resource type (`channel`,
/// `eventdatastore`); `None` when it is not one.
pub fn parse_arn<'a>(text: &'a str, resource: &str) -> Option<CloudTrailArn<'a>> {
    let mut parts = text.splitn(6, ':');
    let (arn, partition, service, region, account, rest) = (
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
    );
    let id = rest.strip_prefix(resource)?.strip_prefix('/')?;
    let well_formed = arn == "arn"
        && service == "cloudtrail"
        && !partition.is_empty()
        && !region.is_empty()
        && account.len() == 12
        && account.bytes().all(|b| b.is_ascii_digit())
        && !id.is_empty()
        && !id.bytes().any(|b| b == b'/' || b == b':');
    well_formed.then_some(CloudTrailArn {
        partition,
        region,
        account,
        id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuid_form() {
        assert!(is_uuid("00000000-0000-4000-8000-00000000c7f0"));
        assert!(is_uuid("ABCDEF01-2345-6789-abcd-ef0123456789"));
        assert!(!is_uuid("ccc"));
        assert!(!is_uuid("00000000-0000-4000-8000-00000000c7f"));
        assert!(!is_uuid("00000000x0000-4000-8000-00000000c7f0"));
        assert!(!is_uuid("g0000000-0000-4000-8000-00000000c7f0"));
    }

    #[test]
    fn lengths_count_characters_not_bytes() {
        let key = "é".repeat(128);
        assert_eq!(key.len(), 256);
        assert!(length_within(&key, (1, 128)));
        assert!(!length_within(&"é".repeat(129), (1, 128)));
    }

    #[test]
    fn name_pattern() {
        assert!(is_name_pattern("a.b_c-D9"));
        for bad in ["a b", "a/b", "a@b", "né", ""] {
            assert!(!is_name_pattern(bad), "{bad}");
        }
    }

    #[test]
    fn partner_sources_are_the_documented_list() {
        let documented: Vec<&str> = include_str!("../../docs/reference/partner-sources.txt")
            .lines()
            .filter(|line| !line.trim().is_empty())
            .collect();
        assert_eq!(documented, PARTNER_SOURCES);
    }

    #[test]
    fn selector_field_pattern() {
        assert!(is_selector_field_pattern("resources.type"));
        assert!(is_selector_field_pattern("eventCategory"));
        for bad in ["event category", "a-b", "a:b", "", "é"] {
            assert!(!is_selector_field_pattern(bad), "{bad}");
        }
    }

    #[test]
    fn location_pattern() {
        assert!(is_location_pattern(
            "arn:aws:cloudtrail:us-east-1:123456789012:eventdatastore/x*"
        ));
        assert!(!is_location_pattern("a b"));
        assert!(!is_location_pattern("a@b"));
    }

    #[test]
    fn sources() {
        assert_eq!(classify_source("Custom", &[]), SourceKind::Custom);
        assert_eq!(classify_source("GitHub", &[]), SourceKind::Partner);
        assert_eq!(classify_source("github", &[]), SourceKind::Recased);
        assert_eq!(classify_source("custom", &[]), SourceKind::Recased);
        assert_eq!(classify_source("Nope", &[]), SourceKind::Unknown);
        assert_eq!(
            classify_source("Nope", &["Nope".into()]),
            SourceKind::Partner
        );
        assert_eq!(PARTNER_SOURCES.len(), 15);
    }

    #[test]
    fn arns() {
        let arn = "arn:aws:cloudtrail:us-east-1:123456789012:channel/abc-1";
        let parsed = parse_arn(arn, "channel").unwrap();
        assert_eq!(
            (parsed.region, parsed.account, parsed.id),
            ("us-east-1", "123456789012", "abc-1")
        );
        assert!(parse_arn(arn, "eventdatastore").is_none());
        for bad in [
            "arn:aws:cloudtrail:us-east-1:12345:channel/x",
            "arn:aws:s3:us-east-1:123456789012:channel/x",
            "arn:aws:cloudtrail:us-east-1:123456789012:channel/",
            "arn:aws:cloudtrail:us-east-1:123456789012:channel",
            "nope",
        ] {
            assert!(parse_arn(bad, "channel").is_none(), "{bad}");
        }
    }
}
