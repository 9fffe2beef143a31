//! The contract's rules as data: every rule id, the error codes a conforming
//! endpoint may answer when the rule is broken, and the HTTP statuses each
//! code may carry. One owner for these facts; the emulator, the oracle, the
//! scenario lint and the coverage table all read them from here.

use std::fmt;

/// An enum of names, with `ALL` and `as_str` (the variant's own name), so
/// each list of the contract's names is written once.
macro_rules! named_enum {
    ($(#[$doc:meta])* $name:ident { $($variant:ident),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($variant),* }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),*];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => stringify!($variant)),* }
            }

            /// The value named exactly `name` (case-sensitive).
            pub fn parse(name: &str) -> Option<$name> {
                $name::ALL.iter().copied().find(|value| value.as_str() == name)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

named_enum!(
    /// An error code named by the contract (the resolved `__type`, without namespace).
    ErrorCode {
        InvalidParameterException,
        ValidationException,
        SerializationException,
        InvalidSourceException,
        EventDataStoreARNInvalidException,
        EventDataStoreNotFoundException,
        InvalidEventDataStoreCategoryException,
        InactiveEventDataStoreException,
        TagsLimitExceededException,
        InvalidTagParameterException,
        OperationNotPermittedException,
        UnsupportedOperationException,
        ChannelAlreadyExistsException,
        ChannelMaxLimitExceededException,
        ChannelNotFoundException,
        ChannelARNInvalidException,
        ChannelExistsForEDSException,
        EventDataStoreAlreadyExistsException,
        EventDataStoreMaxLimitExceededException,
        EventDataStoreTerminationProtectedException,
        InvalidEventDataStoreStatusException,
        InvalidEventSelectorsException,
        InvalidKmsKeyIdException,
        InvalidNextTokenException,
        InvalidMaxResultsException,
        UnknownOperationException,
        MissingAuthenticationTokenException,
        InvalidSignatureException,
        UnrecognizedClientException,
        ConflictException,
        ThrottlingException,
    }
);

impl ErrorCode {
    /// The statuses a conforming endpoint may send with this code (contract §1).
    /// The first is the reference emulator's choice: 404 for the two NotFound
    /// errors, as AWS's Smithy model says.
    pub fn statuses(self) -> &'static [u16] {
        use ErrorCode::*;
        match self {
            EventDataStoreNotFoundException | ChannelNotFoundException => &[404, 400],
            ConflictException => &[409],
            ThrottlingException => &[429, 400],
            MissingAuthenticationTokenException
            | InvalidSignatureException
            | UnrecognizedClientException => &[400, 403],
            _ => &[400],
        }
    }

    /// The status the reference emulator sends with this code.
    pub fn emulator_status(self) -> u16 {
        self.statuses()[0]
    }
}

/// How the contract knows what it says about a rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Basis {
    /// Documented by AWS or the model.
    Documented,
    /// Undocumented: any member of the acceptable set conforms.
    AcceptableSet,
}

/// Where in the contract a rule stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Section {
    Protocol,
    Input,
    State,
    Success,
    Supporting,
}

impl Section {
    pub fn title(self) -> &'static str {
        match self {
            Section::Protocol => "§1 wire protocol",
            Section::Input => "§2 CreateChannel input",
            Section::State => "§3 CreateChannel state",
            Section::Success => "§4 CreateChannel success",
            Section::Supporting => "§5 supporting operations",
        }
    }
}

named_enum!(
    /// A contract rule's id, as the contract (and scenario files) spell it.
    RuleId {
        P1, P2, P3, P4, P5, P6, P7, P8, P9, N1, N2, N3, S1, S2, D1, D2, D3, D4, E1, E2, E3, E4, T1, T2,
        T3, T4, T5, C1, C2, C3, OK1, OK2, OK3, OK4, OP1, OP2, OP3, OP4, OP5,
    }
);

impl RuleId {
    pub fn rule(self) -> &'static Rule {
        RULES
            .iter()
            .find(|rule| rule.id == self)
            .expect("every RuleId has an entry in RULES")
    }
}

/// One rule of the contract.
#[derive(Debug)]
pub struct Rule {
    pub id: RuleId,
    pub section: Section,
    pub basis: Basis,
    /// What a conforming endpoint does, in one line.
    pub summary: &'static str,
    /// Every code the contract allows when the rule is broken (the union of
    /// its cases); the first is the reference emulator's choice. Empty for
    /// rules that describe success or protocol handling rather than a refusal.
    pub errors: &'static [ErrorCode],
}

use ErrorCode::*;

/// The three codes AWS may use for a malformed parameter.
const PARAMETER: &[ErrorCode] = &[InvalidParameterException, ValidationException];

/// The rules of the contract, in its order.
#[rustfmt::skip]
pub static RULES: &[Rule] = &[
    Rule { id: RuleId::P1, section: Section::Protocol, basis: Basis::Documented,
        summary: "both X-Amz-Target forms (model targetPrefix and service shape name) are accepted",
        errors: &[] },
    Rule { id: RuleId::P2, section: Section::Protocol, basis: Basis::Documented,
        summary: "Content-Type application/x-amz-json-1.1 is accepted with media-type parameters",
        errors: &[] },
    Rule { id: RuleId::P3, section: Section::Protocol, basis: Basis::Documented,
        summary: "errors carry a resolvable code (x-amzn-ErrorType, code, __type) and a status allowed for it; success is 200 with a JSON object",
        errors: &[] },
    Rule { id: RuleId::P4, section: Section::Protocol, basis: Basis::Documented,
        summary: "a body that is not JSON, not an object, or has a member of the wrong type is refused",
        errors: &[SerializationException, ValidationException, InvalidParameterException] },
    Rule { id: RuleId::P5, section: Section::Protocol, basis: Basis::Documented,
        summary: "an empty body is the same as {}",
        errors: &[SerializationException] },
    Rule { id: RuleId::P6, section: Section::Protocol, basis: Basis::Documented,
        summary: "an unknown X-Amz-Target operation is refused with UnknownOperationException; a missing target with a 4xx",
        errors: &[UnknownOperationException] },
    Rule { id: RuleId::P7, section: Section::Protocol, basis: Basis::AcceptableSet,
        summary: "a missing or other Content-Type is processed as JSON or refused with a 4xx; another method gets a 4xx; never a 5xx",
        errors: &[UnknownOperationException] },
    Rule { id: RuleId::P8, section: Section::Protocol, basis: Basis::Documented,
        summary: "unknown input members are ignored; a null member is the same as an absent one",
        errors: &[] },
    Rule { id: RuleId::P9, section: Section::Protocol, basis: Basis::AcceptableSet,
        summary: "where authentication is enforced, a missing or bad signature is refused",
        errors: &[MissingAuthenticationTokenException, InvalidSignatureException, UnrecognizedClientException] },
    Rule { id: RuleId::N1, section: Section::Input, basis: Basis::AcceptableSet,
        summary: "Name is present", errors: PARAMETER },
    Rule { id: RuleId::N2, section: Section::Input, basis: Basis::AcceptableSet,
        summary: "Name has 3..=128 characters", errors: PARAMETER },
    Rule { id: RuleId::N3, section: Section::Input, basis: Basis::AcceptableSet,
        summary: "Name matches ^[a-zA-Z0-9._\\-]+$", errors: PARAMETER },
    Rule { id: RuleId::S1, section: Section::Input, basis: Basis::AcceptableSet,
        summary: "Source is present with 1..=256 characters",
        errors: &[InvalidParameterException, ValidationException, InvalidSourceException] },
    Rule { id: RuleId::S2, section: Section::Input, basis: Basis::Documented,
        summary: "Source is Custom or a known partner source name",
        errors: &[InvalidSourceException] },
    Rule { id: RuleId::D1, section: Section::Input, basis: Basis::AcceptableSet,
        summary: "Destinations is present with 1..=200 entries", errors: PARAMETER },
    Rule { id: RuleId::D2, section: Section::Input, basis: Basis::AcceptableSet,
        summary: "each destination Type is EVENT_DATA_STORE or AWS_SERVICE (case-sensitive) and Location is present",
        errors: &[InvalidParameterException, ValidationException, SerializationException] },
    Rule { id: RuleId::D3, section: Section::Input, basis: Basis::AcceptableSet,
        summary: "each Location has 3..=1024 characters matching ^[a-zA-Z0-9._/\\-:*]+$",
        errors: &[InvalidParameterException, ValidationException, EventDataStoreARNInvalidException] },
    Rule { id: RuleId::D4, section: Section::Input, basis: Basis::AcceptableSet,
        summary: "a customer may not create a service-linked channel (Type AWS_SERVICE)",
        errors: &[InvalidParameterException, OperationNotPermittedException, UnsupportedOperationException] },
    Rule { id: RuleId::E1, section: Section::Input, basis: Basis::Documented,
        summary: "an EVENT_DATA_STORE location is an event data store ARN or its bare id",
        errors: &[EventDataStoreARNInvalidException, EventDataStoreNotFoundException] },
    Rule { id: RuleId::E2, section: Section::Input, basis: Basis::Documented,
        summary: "the event data store exists in the caller's account and region",
        errors: &[EventDataStoreNotFoundException, EventDataStoreARNInvalidException] },
    Rule { id: RuleId::E3, section: Section::Input, basis: Basis::Documented,
        summary: "the event data store collects events from outside AWS (eventCategory ActivityAuditLog)",
        errors: &[InvalidEventDataStoreCategoryException] },
    Rule { id: RuleId::E4, section: Section::Input, basis: Basis::Documented,
        summary: "the event data store is active (ENABLED)",
        errors: &[InactiveEventDataStoreException, EventDataStoreNotFoundException] },
    Rule { id: RuleId::T1, section: Section::Input, basis: Basis::Documented,
        summary: "at most 50 tags",
        errors: &[TagsLimitExceededException, ValidationException, InvalidParameterException] },
    Rule { id: RuleId::T2, section: Section::Input, basis: Basis::AcceptableSet,
        summary: "each tag Key has 1..=128 characters; a Value at most 256",
        errors: &[InvalidTagParameterException, ValidationException, InvalidParameterException] },
    Rule { id: RuleId::T3, section: Section::Input, basis: Basis::Documented,
        summary: "tag keys are unique within the request",
        errors: &[InvalidTagParameterException] },
    Rule { id: RuleId::T4, section: Section::Input, basis: Basis::Documented,
        summary: "no tag key starts with the reserved prefix aws:",
        errors: &[InvalidTagParameterException] },
    Rule { id: RuleId::T5, section: Section::Input, basis: Basis::AcceptableSet,
        summary: "an empty tag Value is accepted or refused",
        errors: &[InvalidTagParameterException, ValidationException, InvalidParameterException] },
    Rule { id: RuleId::C1, section: Section::State, basis: Basis::Documented,
        summary: "no channel of the same Name exists in the account and region",
        errors: &[ChannelAlreadyExistsException] },
    Rule { id: RuleId::C2, section: Section::State, basis: Basis::Documented,
        summary: "at most one channel per partner Source; Custom may back many",
        errors: &[ChannelAlreadyExistsException] },
    Rule { id: RuleId::C3, section: Section::State, basis: Basis::Documented,
        summary: "the number of channels stays within the quota (25)",
        errors: &[ChannelMaxLimitExceededException] },
    Rule { id: RuleId::OK1, section: Section::Success, basis: Basis::Documented,
        summary: "success is 200 with a fresh ChannelArn and Name, Source, Destinations (and Tags when sent) echoed as sent",
        errors: &[] },
    Rule { id: RuleId::OK2, section: Section::Success, basis: Basis::Documented,
        summary: "read after write: GetChannel (by ARN or id) and ListChannels show the created channel",
        errors: &[] },
    Rule { id: RuleId::OK3, section: Section::Success, basis: Basis::Documented,
        summary: "DeleteChannel frees the Name and the partner Source",
        errors: &[] },
    Rule { id: RuleId::OK4, section: Section::Success, basis: Basis::Documented,
        summary: "of N simultaneous creates of one Name exactly one succeeds; nothing is half-created",
        errors: &[ChannelAlreadyExistsException] },
    Rule { id: RuleId::OP1, section: Section::Supporting, basis: Basis::Documented,
        summary: "CreateEventDataStore: ENABLED on success, names unique, at most 10 per region",
        errors: &[EventDataStoreAlreadyExistsException, EventDataStoreMaxLimitExceededException] },
    Rule { id: RuleId::OP2, section: Section::Supporting, basis: Basis::Documented,
        summary: "an ActivityAuditLog event data store cannot stop ingestion",
        errors: &[InvalidEventDataStoreCategoryException] },
    Rule { id: RuleId::OP3, section: Section::Supporting, basis: Basis::Documented,
        summary: "DeleteEventDataStore is refused while a channel points at the store; otherwise PENDING_DELETION",
        errors: &[ChannelExistsForEDSException] },
    Rule { id: RuleId::OP4, section: Section::Supporting, basis: Basis::Documented,
        summary: "channel operations take an ARN or id; a well-formed one naming no channel gives ChannelNotFoundException, a value that is neither ChannelARNInvalidException or ChannelNotFoundException",
        errors: &[ChannelNotFoundException, ChannelARNInvalidException, InvalidParameterException, ValidationException] },
    Rule { id: RuleId::OP5, section: Section::Supporting, basis: Basis::Documented,
        summary: "UpdateChannel onto another channel's Name is refused",
        errors: &[ChannelAlreadyExistsException] },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_id_has_exactly_one_rule() {
        for id in RuleId::ALL {
            assert_eq!(
                RULES.iter().filter(|rule| rule.id == *id).count(),
                1,
                "{id}"
            );
        }
        assert_eq!(RULES.len(), RuleId::ALL.len());
    }

    #[test]
    fn ids_and_codes_round_trip() {
        for id in RuleId::ALL {
            assert_eq!(RuleId::parse(id.as_str()), Some(*id));
        }
        for code in ErrorCode::ALL {
            assert_eq!(ErrorCode::parse(code.as_str()), Some(*code));
        }
        assert_eq!(RuleId::parse("n1"), None);
        assert_eq!(ErrorCode::parse("ChannelAlreadyExists"), None);
    }

    /// A summary restates its rule's limits: this names the rule whose
    /// words went stale when a limit in `shapes` changed.
    #[test]
    fn summaries_state_the_limits_of_shapes() {
        use crate::contract::shapes::*;
        let range = |(min, max): (usize, usize)| format!("{min}..={max}");
        let expected: &[(RuleId, String)] = &[
            (RuleId::N2, range(CHANNEL_NAME_LENGTH)),
            (RuleId::S1, range(SOURCE_LENGTH)),
            (RuleId::D1, range(DESTINATIONS_COUNT)),
            (RuleId::D3, range(LOCATION_LENGTH)),
            (RuleId::T1, format!("at most {TAGS_LIMIT} tags")),
            (RuleId::T2, range(TAG_KEY_LENGTH)),
            (RuleId::T2, format!("at most {TAG_VALUE_MAX}")),
            (RuleId::C3, format!("({CHANNEL_QUOTA})")),
        ];
        for (rule, words) in expected {
            let summary = rule.rule().summary;
            assert!(
                summary.contains(words.as_str()),
                "{rule}'s summary {summary:?} does not say {words:?}"
            );
        }
    }

    #[test]
    fn statuses_follow_section_1() {
        assert_eq!(ErrorCode::ChannelAlreadyExistsException.statuses(), &[400]);
        assert_eq!(ErrorCode::ChannelNotFoundException.emulator_status(), 404);
        assert!(ErrorCode::EventDataStoreNotFoundException
            .statuses()
            .contains(&400));
        assert_eq!(ErrorCode::ConflictException.statuses(), &[409]);
        assert_eq!(ErrorCode::ThrottlingException.statuses(), &[429, 400]);
    }
}
