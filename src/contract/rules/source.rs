//! S1-S2: the channel's `Source` (contract §2 and §6).

use super::{Limit, LimitUnit, Rule, RuleId, Section};
use crate::contract::input::Member;
use crate::contract::rules::ErrorCode::*;
use crate::contract::shapes::{self, SourceKind};
use crate::contract::violation::Violation;

/// `Source`'s length (the model: min 1, max 256).
pub const SOURCE: Limit = Limit {
    name: "source",
    member: "Source",
    counts: LimitUnit::Characters,
    min: 1,
    max: 256,
};

pub(super) static S1: Rule = Rule {
    id: RuleId::S1,
    section: Section::Input,
    documented: true,
    open: true,
    limits: &[SOURCE],
    words: "Source is present with {source} characters",
    errors: &[
        InvalidParameterException,
        ValidationException,
        InvalidSourceException,
    ],
    cites: "model: CreateChannelRequest requires Source (min, max)",
};

pub(super) static S2: Rule = Rule {
    id: RuleId::S2,
    section: Section::Input,
    documented: true,
    open: false,
    limits: &[],
    words: "Source is Custom or a known partner source name",
    errors: &[InvalidSourceException],
    cites: "API reference CreateChannel (Source); user guide, CloudTrail Lake integrations with partners (docs/reference/partner-sources.txt)",
};

/// S1 and S2; `extra_partners` are the partner names an endpoint's profile adds.
pub(in crate::contract) fn check(
    source: &Member<String>,
    extra_partners: &[String],
    violations: &mut Vec<Violation>,
) {
    let source = match source {
        Member::Absent => return violations.push(Violation::of(RuleId::S1, "Source is missing")),
        Member::WrongType => return,
        Member::Present(source) => source,
    };
    if !SOURCE.admits_length(source) {
        let count = shapes::char_count(source);
        return violations.push(Violation::of(
            RuleId::S1,
            format!("Source has {count} characters, not {}", SOURCE.words()),
        ));
    }
    match shapes::classify_source(source, extra_partners) {
        SourceKind::Custom | SourceKind::Partner => {}
        // §6: the case of Source is undocumented, so success conforms too.
        SourceKind::Recased => violations.push(
            Violation::of(
                RuleId::S2,
                format!("Source {source:?} is a known name in other letter case"),
            )
            .optional(true),
        ),
        SourceKind::Unknown => violations.push(Violation::of(
            RuleId::S2,
            format!("Source {source:?} is neither Custom nor a partner source"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn broken(source: &str) -> Vec<Violation> {
        let mut violations = Vec::new();
        check(&Member::Present(source.into()), &[], &mut violations);
        violations
    }

    #[test]
    fn length_is_checked_before_the_name() {
        let over = broken(&"s".repeat(SOURCE.max + 1));
        assert_eq!(over.len(), 1);
        assert_eq!(over[0].rule, RuleId::S1);
        assert!(
            over[0].detail.ends_with(&SOURCE.words()),
            "{}",
            over[0].detail
        );
        // At the maximum the length passes and the name is judged (S2).
        assert_eq!(broken(&"s".repeat(SOURCE.max))[0].rule, RuleId::S2);
    }

    #[test]
    fn known_names_pass_and_recased_ones_may() {
        assert!(broken("Custom").is_empty());
        assert!(broken("GitHub").is_empty());
        let recased = broken("github");
        assert_eq!(recased[0].rule, RuleId::S2);
        assert!(!recased[0].is_must());
        assert!(broken("Nope")[0].is_must());
    }

    #[test]
    fn missing_breaks_s1() {
        let mut violations = Vec::new();
        check(&Member::Absent, &[], &mut violations);
        assert_eq!(violations[0].rule, RuleId::S1);
    }
}
