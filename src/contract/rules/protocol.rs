//! P1-P9: the awsJson1_1 wire protocol (contract §1). The checks are the
//! oracle's (`contract::oracle`), as they read the request's envelope.

use super::{Rule, RuleId, Section};
use crate::contract::rules::ErrorCode::*;

pub(super) static P1: Rule = Rule {
    id: RuleId::P1,
    section: Section::Protocol,
    documented: true,
    open: false,
    limits: &[],
    words: "both X-Amz-Target forms (model targetPrefix and service shape name) are accepted",
    errors: &[],
    cites: "model: metadata.targetPrefix; Smithy awsJson1_1 protocol (X-Amz-Target)",
};

pub(super) static P2: Rule = Rule {
    id: RuleId::P2,
    section: Section::Protocol,
    documented: true,
    open: false,
    limits: &[],
    words: "Content-Type application/x-amz-json-1.1 is accepted with media-type parameters",
    errors: &[],
    cites: "Smithy awsJson1_1 protocol (Content-Type application/x-amz-json-1.1)",
};

pub(super) static P3: Rule = Rule {
    id: RuleId::P3,
    section: Section::Protocol,
    documented: true,
    open: false,
    limits: &[],
    words: "errors carry a resolvable code (x-amzn-ErrorType, code, __type) and a status allowed for it; success is 200 with a JSON object",
    errors: &[],
    cites: "Smithy awsJson1_1 error serialization; smithy-rs error code resolution; model: error shapes' httpStatusCode",
};

pub(super) static P4: Rule = Rule {
    id: RuleId::P4,
    section: Section::Protocol,
    documented: true,
    open: true,
    limits: &[],
    words: "a body that is not JSON, not an object, or has a member of the wrong type is refused",
    errors: &[
        SerializationException,
        ValidationException,
        InvalidParameterException,
    ],
    cites: "Smithy awsJson1_1 protocol (SerializationException); API reference Common Errors",
};

pub(super) static P5: Rule = Rule {
    id: RuleId::P5,
    section: Section::Protocol,
    documented: true,
    open: true,
    limits: &[],
    words: "an empty body is the same as {}",
    errors: &[SerializationException],
    cites: "Smithy awsJson1_1 protocol (an empty body is {})",
};

pub(super) static P6: Rule = Rule {
    id: RuleId::P6,
    section: Section::Protocol,
    documented: true,
    open: true,
    limits: &[],
    words: "an unknown X-Amz-Target operation is refused with UnknownOperationException; a missing target with a 4xx",
    errors: &[UnknownOperationException],
    cites: "API reference Common Errors (UnknownOperationException)",
};

pub(super) static P7: Rule = Rule {
    id: RuleId::P7,
    section: Section::Protocol,
    documented: false,
    open: true,
    limits: &[],
    words: "a missing or other Content-Type is processed as JSON or refused with a 4xx; another method gets a 4xx; never a 5xx",
    errors: &[UnknownOperationException],
    cites: "not documented; the contract's acceptable set",
};

pub(super) static P8: Rule = Rule {
    id: RuleId::P8,
    section: Section::Protocol,
    documented: true,
    open: false,
    limits: &[],
    words: "unknown input members are ignored; a null member is the same as an absent one",
    errors: &[],
    cites: "Smithy protocol tests (unknown members ignored, null is absent)",
};

pub(super) static P9: Rule = Rule {
    id: RuleId::P9,
    section: Section::Protocol,
    documented: true,
    open: true,
    limits: &[],
    words: "where authentication is enforced, a missing or bad signature is refused",
    errors: &[MissingAuthenticationTokenException, InvalidSignatureException, UnrecognizedClientException],
    cites: "API reference Common Errors (MissingAuthenticationToken, InvalidSignatureException, UnrecognizedClientException); SigV4",
};

#[cfg(test)]
mod tests {
    use super::*;

    /// §1: deserialisation comes first on AWS's stacks, so the emulator's
    /// choice for a bad body is SerializationException, and an unknown
    /// operation has one documented code.
    #[test]
    fn emulator_choices_lead_the_sets() {
        assert_eq!(P4.errors[0], SerializationException);
        assert_eq!(P6.errors, &[UnknownOperationException]);
        assert!(P9.open && P7.open && !P7.documented);
    }

    #[test]
    fn protocol_rules_sit_in_section_1() {
        for rule in [&P1, &P2, &P3, &P4, &P5, &P6, &P7, &P8, &P9] {
            assert_eq!(rule.section, Section::Protocol, "{}", rule.id);
            assert!(rule.limits.is_empty(), "{}", rule.id);
        }
    }
}
