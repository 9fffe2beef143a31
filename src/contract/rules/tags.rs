//! T1-T5: the channel's `Tags` (contract §2). CreateEventDataStore's
//! `TagsList` follows the same limits (`contract::store_input`).

use std::collections::HashSet;

use super::{abbreviate, Limit, LimitUnit, Rule, RuleId, Section};
use crate::contract::input::Member;
use crate::contract::rules::ErrorCode::{self, *};
use crate::contract::shapes;
use crate::contract::violation::Violation;

/// CloudTrail's tags per resource (T1: "at most 50", the tagging quotas).
pub const TAGS: Limit = Limit {
    name: "tags",
    member: "Tags",
    counts: LimitUnit::Entries,
    min: 0,
    max: 50,
};

/// The model's `TagsList` maximum; more is refused by model validation too.
pub const MODEL_TAGS: Limit = Limit {
    name: "model-tags",
    member: "Tags",
    counts: LimitUnit::Entries,
    min: 0,
    max: 200,
};

/// `TagKey`'s length (the model: min 1, max 128).
pub const KEY: Limit = Limit {
    name: "key",
    member: "Tags.0.Key",
    counts: LimitUnit::Characters,
    min: 1,
    max: 128,
};

/// `TagValue`'s length: at most 256; its minimum is T5's open question.
pub const VALUE: Limit = Limit {
    name: "value",
    member: "Tags.0.Value",
    counts: LimitUnit::Characters,
    min: 0,
    max: 256,
};

/// The value lengths the fuzzer probes: around 1..=max, as 0 is T5's empty value.
pub const VALUE_PROBES: [u16; 7] = Limit { min: 1, ..VALUE }.around();

pub(super) static T1: Rule = Rule {
    id: RuleId::T1,
    section: Section::Input,
    documented: true,
    open: true,
    limits: &[TAGS, MODEL_TAGS],
    words: "at most {tags.max} tags (the model's list allows {model-tags.max})",
    errors: &[
        TagsLimitExceededException,
        ValidationException,
        InvalidParameterException,
    ],
    cites: "API reference CreateChannel (TagsLimitExceededException); model: TagsList (max)",
};

pub(super) static T2: Rule = Rule {
    id: RuleId::T2,
    section: Section::Input,
    documented: true,
    open: true,
    limits: &[KEY, VALUE],
    words: "each tag Key has {key} characters; a Value at most {value.max}",
    errors: &[
        InvalidTagParameterException,
        ValidationException,
        InvalidParameterException,
    ],
    cites: "model: TagKey, TagValue (min, max); API reference Tag",
};

pub(super) static T3: Rule = Rule {
    id: RuleId::T3,
    section: Section::Input,
    documented: true,
    open: false,
    limits: &[],
    words: "tag keys are unique within the request",
    errors: &[InvalidTagParameterException],
    cites: "AWS tagging rules (Tagging AWS resources: each key unique per resource)",
};

pub(super) static T4: Rule = Rule {
    id: RuleId::T4,
    section: Section::Input,
    documented: true,
    open: false,
    limits: &[],
    words: "no tag key starts with the reserved prefix aws:",
    errors: &[InvalidTagParameterException],
    cites: "AWS tagging rules (the aws: prefix is reserved)",
};

pub(super) static T5: Rule = Rule {
    id: RuleId::T5,
    section: Section::Input,
    documented: false,
    open: true,
    limits: &[],
    words: "an empty tag Value is accepted or refused",
    errors: &[
        InvalidTagParameterException,
        ValidationException,
        InvalidParameterException,
    ],
    cites: "model and API reference: TagValue min 1; CloudFormation AWS::CloudTrail::Channel Tag: min 0",
};

/// T1..T5 for CreateChannel's (and UpdateChannel's) `Tags`.
pub(in crate::contract) fn check(tags: &Member<Vec<TagInput>>, violations: &mut Vec<Violation>) {
    let Member::Present(tags) = tags else { return };
    if tags.len() > MODEL_TAGS.max {
        violations.push(Violation::of(
            RuleId::T1,
            format!(
                "{} tags, more than the model's {}",
                tags.len(),
                MODEL_TAGS.max
            ),
        ));
    } else if tags.len() > TAGS.max {
        let codes: &'static [ErrorCode] = &[TagsLimitExceededException];
        violations.push(Violation::with_codes(
            RuleId::T1,
            codes,
            format!("{} tags, more than {}", tags.len(), TAGS.max),
        ));
    }
    let mut seen = HashSet::new();
    for (index, tag) in tags.iter().enumerate() {
        match &tag.key {
            Member::Absent => violations.push(Violation::of(
                RuleId::T2,
                format!("Tags[{index}].Key is missing"),
            )),
            Member::WrongType => {}
            Member::Present(key) => {
                if !KEY.admits_length(key) {
                    let count = shapes::char_count(key);
                    violations.push(Violation::of(
                        RuleId::T2,
                        format!(
                            "Tags[{index}].Key has {count} characters, not {}",
                            KEY.words()
                        ),
                    ));
                }
                if !seen.insert(key.as_str()) {
                    violations.push(Violation::of(
                        RuleId::T3,
                        format!("tag key {:?} appears twice", abbreviate(key)),
                    ));
                }
                let prefix = shapes::RESERVED_TAG_PREFIX;
                if key.starts_with(prefix) {
                    violations.push(Violation::of(
                        RuleId::T4,
                        format!("Tags[{index}].Key starts with the reserved prefix aws:"),
                    ));
                } else if key
                    .get(..prefix.len())
                    .is_some_and(|p| p.eq_ignore_ascii_case(prefix))
                {
                    // Other casings are open (§2 T4): success conforms too.
                    violations.push(Violation::of(RuleId::T4, format!("Tags[{index}].Key starts with {:?}, the reserved prefix in other letter case", &key[..prefix.len()])).optional(true));
                }
            }
        }
        if let Member::Present(value) = &tag.value {
            let count = shapes::char_count(value);
            if count > VALUE.max {
                violations.push(Violation::of(
                    RuleId::T2,
                    format!(
                        "Tags[{index}].Value has {count} characters, more than {}",
                        VALUE.max
                    ),
                ));
            } else if value.is_empty() {
                violations.push(
                    Violation::of(RuleId::T5, format!("Tags[{index}].Value is empty"))
                        .optional(false),
                );
            }
        }
    }
}

/// A tag as read, before the rules.
#[derive(Clone, Debug, PartialEq)]
pub struct TagInput {
    pub key: Member<String>,
    pub value: Member<String>,
}

/// A tag as a resource holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tag {
    pub key: String,
    pub value: Option<String>,
}

impl TagInput {
    /// The tag this input holds, when it has a key.
    pub(in crate::contract) fn to_tag(&self) -> Option<Tag> {
        Some(Tag {
            key: self.key.present()?.clone(),
            value: self.value.present().cloned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tag(key: &str, value: &str) -> TagInput {
        TagInput {
            key: Member::Present(key.into()),
            value: Member::Present(value.into()),
        }
    }

    fn broken(tags: Vec<TagInput>) -> Vec<Violation> {
        let mut violations = Vec::new();
        check(&Member::Present(tags), &mut violations);
        violations
    }

    #[test]
    fn key_at_max_passes_and_over_breaks_t2_counting_characters() {
        assert!(broken(vec![tag(&"é".repeat(KEY.max), "v")]).is_empty());
        let over = broken(vec![tag(&"é".repeat(KEY.max + 1), "v")]);
        assert_eq!(over[0].rule, RuleId::T2);
        assert_eq!(
            over[0].detail,
            format!(
                "Tags[0].Key has {} characters, not {}..={}",
                KEY.max + 1,
                KEY.min,
                KEY.max
            )
        );
    }

    #[test]
    fn value_at_max_passes_over_breaks_t2_and_empty_may_t5() {
        assert!(broken(vec![tag("k", &"v".repeat(VALUE.max))]).is_empty());
        assert_eq!(
            broken(vec![tag("k", &"v".repeat(VALUE.max + 1))])[0].rule,
            RuleId::T2
        );
        let empty = broken(vec![tag("k", "")]);
        assert_eq!(empty[0].rule, RuleId::T5);
        assert!(!empty[0].is_must());
    }

    #[test]
    fn counts_break_t1_with_the_codes_of_each_limit() {
        let tags = |count: usize| (0..count).map(|i| tag(&format!("k{i}"), "v")).collect();
        assert!(broken(tags(TAGS.max)).is_empty());
        let over = broken(tags(TAGS.max + 1));
        assert_eq!(over[0].codes, &[TagsLimitExceededException]);
        let over_model = broken(tags(MODEL_TAGS.max + 1));
        assert_eq!(over_model[0].codes, T1.errors);
    }

    #[test]
    fn duplicates_and_reserved_prefix() {
        let rules = |tags| broken(tags).into_iter().map(|v| v.rule).collect::<Vec<_>>();
        assert_eq!(rules(vec![tag("k", "v"), tag("k", "w")]), [RuleId::T3]);
        assert_eq!(rules(vec![tag("aws:k", "v")]), [RuleId::T4]);
        assert!(!broken(vec![tag("AWS:k", "v")])[0].is_must());
        assert!(broken(vec![tag("k-aws:", "v")]).is_empty());
    }

    #[test]
    fn t1_and_t2_state_their_limits() {
        assert!(T1
            .summary()
            .starts_with(&format!("at most {} tags", TAGS.max)));
        assert!(T1.summary().contains(&format!("allows {}", MODEL_TAGS.max)));
        assert_eq!(
            T2.summary(),
            format!(
                "each tag Key has {} characters; a Value at most {}",
                KEY.words(),
                VALUE.max
            )
        );
    }
}
