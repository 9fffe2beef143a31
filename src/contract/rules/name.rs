//! N1-N3: the channel's `Name` (contract §2).

use super::{abbreviate, Limit, LimitUnit, Rule, RuleId, Section, PARAMETER};
use crate::contract::input::Member;
use crate::contract::shapes;
use crate::contract::violation::Violation;

/// `ChannelName`'s length (the model: min 3, max 128).
pub const NAME: Limit = Limit {
    name: "name",
    member: "Name",
    counts: LimitUnit::Characters,
    min: 3,
    max: 128,
};

pub(super) static N1: Rule = Rule {
    id: RuleId::N1,
    section: Section::Input,
    documented: true,
    open: true,
    limits: &[],
    words: "Name is present",
    errors: PARAMETER,
    cites: "model: CreateChannelRequest requires Name",
};

pub(super) static N2: Rule = Rule {
    id: RuleId::N2,
    section: Section::Input,
    documented: true,
    open: true,
    limits: &[NAME],
    words: "Name has {name} characters",
    errors: PARAMETER,
    cites: "model: ChannelName (min, max); API reference CreateChannel",
};

pub(super) static N3: Rule = Rule {
    id: RuleId::N3,
    section: Section::Input,
    documented: true,
    open: true,
    limits: &[],
    words: "Name matches ^[a-zA-Z0-9._\\-]+$",
    errors: PARAMETER,
    cites: "model: ChannelName pattern; API reference CreateChannel",
};

/// N1..N3; `required` is false for UpdateChannel, whose Name is optional.
pub(in crate::contract) fn check(
    name: &Member<String>,
    required: bool,
    violations: &mut Vec<Violation>,
) {
    let name = match name {
        Member::Absent if required => {
            return violations.push(Violation::of(RuleId::N1, "Name is missing"))
        }
        Member::Present(name) => name,
        Member::Absent | Member::WrongType => return,
    };
    if !NAME.admits_length(name) {
        let count = shapes::char_count(name);
        violations.push(Violation::of(
            RuleId::N2,
            format!("Name has {count} characters, not {}", NAME.words()),
        ));
    }
    if !shapes::is_name_pattern(name) {
        violations.push(Violation::of(
            RuleId::N3,
            format!(
                "Name {:?} has characters outside [a-zA-Z0-9._-]",
                abbreviate(name)
            ),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn broken(name: Member<String>, required: bool) -> Vec<(RuleId, String)> {
        let mut violations = Vec::new();
        check(&name, required, &mut violations);
        violations.into_iter().map(|v| (v.rule, v.detail)).collect()
    }

    #[test]
    fn lengths_at_the_ends_pass_and_past_them_break_n2() {
        for length in [NAME.min, NAME.max] {
            assert!(broken(Member::Present("n".repeat(length)), true).is_empty());
        }
        let over = broken(Member::Present("n".repeat(NAME.max + 1)), true);
        assert_eq!(
            over,
            [(
                RuleId::N2,
                format!(
                    "Name has {} characters, not {}..={}",
                    NAME.max + 1,
                    NAME.min,
                    NAME.max
                )
            )]
        );
        assert_eq!(broken(Member::Present("nn".into()), true)[0].0, RuleId::N2);
    }

    #[test]
    fn missing_breaks_n1_only_where_required() {
        assert_eq!(broken(Member::Absent, true)[0].0, RuleId::N1);
        assert!(broken(Member::Absent, false).is_empty());
        assert!(broken(Member::WrongType, true).is_empty());
    }

    #[test]
    fn pattern_breaks_n3() {
        let rules: Vec<RuleId> = broken(Member::Present("a b c".into()), true)
            .into_iter()
            .map(|(rule, _)| rule)
            .collect();
        assert_eq!(rules, [RuleId::N3]);
    }

    #[test]
    fn n2_states_its_limit() {
        assert_eq!(
            N2.summary(),
            format!("Name has {} characters", NAME.words())
        );
    }
}
