//! D1-D4: the channel's `Destinations` and each destination's `Type` and
//! `Location` (contract §2). What a location names (E1-E4) is `store.rs`.

use super::{abbreviate, Limit, LimitUnit, Rule, RuleId, Section, PARAMETER};
use crate::contract::input::Member;
use crate::contract::rules::ErrorCode::*;
use crate::contract::shapes::{self, DestinationType};
use crate::contract::violation::Violation;

/// `Destinations`' entries (the model and the API reference: 1..=200).
pub const DESTINATIONS: Limit = Limit {
    name: "destinations",
    member: "Destinations",
    counts: LimitUnit::Entries,
    min: 1,
    max: 200,
};

/// `Location`'s length (the model: min 3, max 1024).
pub const LOCATION: Limit = Limit {
    name: "location",
    member: "Destinations.0.Location",
    counts: LimitUnit::Characters,
    min: 3,
    max: 1024,
};

pub(super) static D1: Rule = Rule {
    id: RuleId::D1,
    section: Section::Input,
    documented: true,
    open: true,
    limits: &[DESTINATIONS],
    words: "Destinations is present with {destinations} entries",
    errors: PARAMETER,
    cites: "model: Destinations (min, max); API reference CreateChannel; CloudFormation AWS::CloudTrail::Channel says at most 10 for its own resource",
};

pub(super) static D2: Rule = Rule {
    id: RuleId::D2,
    section: Section::Input,
    documented: true,
    open: true,
    limits: &[],
    words: "each destination Type is EVENT_DATA_STORE or AWS_SERVICE (case-sensitive) and Location is present",
    errors: &[
        InvalidParameterException,
        ValidationException,
        SerializationException,
    ],
    cites: "model: Destination (Type enum DestinationType, Location required)",
};

pub(super) static D3: Rule = Rule {
    id: RuleId::D3,
    section: Section::Input,
    documented: true,
    open: true,
    limits: &[LOCATION],
    words: "each Location has {location} characters matching ^[a-zA-Z0-9._/\\-:*]+$",
    errors: &[
        InvalidParameterException,
        ValidationException,
        EventDataStoreARNInvalidException,
    ],
    cites: "model: Location (min, max, pattern)",
};

pub(super) static D4: Rule = Rule {
    id: RuleId::D4,
    section: Section::Input,
    documented: false,
    open: true,
    limits: &[],
    words: "a customer may not create a service-linked channel (Type AWS_SERVICE)",
    errors: &[
        InvalidParameterException,
        OperationNotPermittedException,
        UnsupportedOperationException,
    ],
    cites: "user guide: service-linked channels are created by AWS services; the API reference does not say how a customer's AWS_SERVICE is refused",
};

/// D1's count, for a `Destinations` list that is present.
pub(in crate::contract) fn check_count(count: usize, violations: &mut Vec<Violation>) {
    if !DESTINATIONS.contains(count) {
        violations.push(Violation::of(
            RuleId::D1,
            format!(
                "Destinations has {count} entries, not {}",
                DESTINATIONS.words()
            ),
        ));
    }
}

/// D2 for one destination's `Type`: the type, when it is one.
pub(in crate::contract) fn check_type(
    index: usize,
    kind: &Member<String>,
    violations: &mut Vec<Violation>,
) -> Option<DestinationType> {
    match kind {
        Member::Present(kind) => {
            let parsed = DestinationType::parse(kind);
            if parsed.is_none() {
                violations.push(Violation::of(
                    RuleId::D2,
                    format!(
                        "Destinations[{index}].Type {kind:?} is not EVENT_DATA_STORE or AWS_SERVICE"
                    ),
                ));
            }
            parsed
        }
        Member::Absent => {
            violations.push(Violation::of(
                RuleId::D2,
                format!("Destinations[{index}].Type is missing"),
            ));
            None
        }
        Member::WrongType => None,
    }
}

/// D2's missing `Location`, D3 and D4 for one destination whose `Type` read
/// as `kind`: the location when it passes D3, for the store rules.
pub(in crate::contract) fn check_location<'a>(
    index: usize,
    kind: Option<DestinationType>,
    location: &'a Member<String>,
    violations: &mut Vec<Violation>,
) -> Option<&'a str> {
    let location = match location {
        Member::Present(location) => location,
        Member::Absent => {
            violations.push(Violation::of(
                RuleId::D2,
                format!("Destinations[{index}].Location is missing"),
            ));
            return None;
        }
        Member::WrongType => return None,
    };
    if !LOCATION.admits_length(location) || !shapes::is_location_pattern(location) {
        violations.push(Violation::of(
            RuleId::D3,
            format!(
                "Destinations[{index}].Location {:?} is not {} characters of [a-zA-Z0-9._/-:*]",
                abbreviate(location),
                LOCATION.words()
            ),
        ));
        // Such a location names no event data store either: E1 is broken
        // too, and its codes conform as well (§3, last paragraph: any
        // broken rule's error).
        if kind == Some(DestinationType::EventDataStore) {
            violations.push(Violation::of(
                RuleId::E1,
                format!("Destinations[{index}].Location names no event data store"),
            ));
        }
        return None;
    }
    if kind == Some(DestinationType::AwsService) {
        violations.push(Violation::of(
            RuleId::D4,
            format!("Destinations[{index}] is AWS_SERVICE: a customer cannot create a service-linked channel"),
        ));
    }
    Some(location)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn location(text: String, kind: DestinationType) -> Vec<RuleId> {
        let mut violations = Vec::new();
        check_location(0, Some(kind), &Member::Present(text), &mut violations);
        violations.into_iter().map(|v| v.rule).collect()
    }

    #[test]
    fn count_at_the_ends_passes_and_past_them_breaks_d1() {
        for count in [DESTINATIONS.min, DESTINATIONS.max] {
            let mut violations = Vec::new();
            check_count(count, &mut violations);
            assert!(violations.is_empty(), "{count}");
        }
        for count in [DESTINATIONS.min - 1, DESTINATIONS.max + 1] {
            let mut violations = Vec::new();
            check_count(count, &mut violations);
            assert_eq!(violations[0].rule, RuleId::D1);
            assert!(violations[0].detail.ends_with(&DESTINATIONS.words()));
        }
    }

    #[test]
    fn location_length_and_pattern_break_d3_and_e1_for_a_store() {
        let store = DestinationType::EventDataStore;
        assert!(location("l".repeat(LOCATION.max), store).is_empty());
        assert!(location("l".repeat(LOCATION.min), store).is_empty());
        assert_eq!(
            location("l".repeat(LOCATION.max + 1), store),
            [RuleId::D3, RuleId::E1]
        );
        assert_eq!(location("l@l".into(), store), [RuleId::D3, RuleId::E1]);
        assert_eq!(
            location("l@l".into(), DestinationType::AwsService),
            [RuleId::D3]
        );
    }

    #[test]
    fn aws_service_breaks_d4() {
        assert_eq!(
            location("lll".into(), DestinationType::AwsService),
            [RuleId::D4]
        );
    }

    #[test]
    fn type_is_case_sensitive() {
        let mut violations = Vec::new();
        let kind = check_type(
            0,
            &Member::Present("event_data_store".into()),
            &mut violations,
        );
        assert_eq!((kind, violations[0].rule), (None, RuleId::D2));
    }
}
