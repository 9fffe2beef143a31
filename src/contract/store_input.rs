//! CreateEventDataStore's input, read and checked as its model and the
//! CloudTrail API reference constrain it (docs/fidelity.md has the table and
//! the sources). Only the input: the state rules (unique names, the store
//! quota) stay with the state model.
//!
//! Which code answers a broken constraint. A constraint the model itself
//! states (a length, a range, a pattern, an enum, a required member) is
//! checked by AWS's request validation layer before CloudTrail's handler
//! runs; that layer answers `ValidationException` ("1 validation error
//! detected: Value ... at '...' failed to satisfy constraint: ..."), the
//! error every AWS API reference lists under Common Errors. So the emulator
//! answers that, and accepts `InvalidParameterException` (the operation's
//! own modelled code for a bad parameter) and the member's specific code.
//! A rule the model does not state (duplicate tag keys, the `aws:` prefix,
//! 50 tags, 5 selectors) is CloudTrail's own: its specific modelled code.

use serde_json::{Map, Value};

use super::input::{json_type, Member, Reader};
use super::rules::{ErrorCode, RuleId, KEY, MODEL_TAGS, TAGS, VALUE};
use super::rules::{Tag, TagInput};
use super::shapes;
use super::violation::Violation;

use ErrorCode::*;

/// A constraint the model states, on a plain member.
const MODEL: &[ErrorCode] = &[ValidationException, InvalidParameterException];
/// A constraint the model states, on a tag.
const TAG_MODEL: &[ErrorCode] = &[
    ValidationException,
    InvalidTagParameterException,
    InvalidParameterException,
];
/// More tags than the model's list allows: also more than CloudTrail's 50.
const TAGS_OVER_MODEL: &[ErrorCode] = &[
    ValidationException,
    InvalidTagParameterException,
    TagsLimitExceededException,
    InvalidParameterException,
];
/// 51..=200 tags: CloudTrail's limit of 50 per event data store.
/// `InvalidTagParameterException` is the operation's modelled code ("too
/// many tags on the resource"); `TagsLimitExceededException` is the code
/// AddTags and CreateChannel use for the same limit.
const TAGS_OVER_LIMIT: &[ErrorCode] = &[InvalidTagParameterException, TagsLimitExceededException];
/// Duplicate keys and the reserved prefix: documented for this code alone.
const TAG_RULE: &[ErrorCode] = &[InvalidTagParameterException];
/// A constraint the model states, inside the advanced event selectors.
const SELECTOR_MODEL: &[ErrorCode] = &[
    ValidationException,
    InvalidEventSelectorsException,
    InvalidParameterException,
];
/// A selector rule of CloudTrail's own (five selectors, an operator).
const SELECTOR_RULE: &[ErrorCode] = &[
    InvalidEventSelectorsException,
    InvalidParameterException,
    ValidationException,
];
const KMS_MODEL: &[ErrorCode] = &[
    ValidationException,
    InvalidKmsKeyIdException,
    InvalidParameterException,
];
/// A parameter rule of CloudTrail's own (retention under fixed pricing).
const HANDLER: &[ErrorCode] = &[InvalidParameterException, ValidationException];

/// The operator members of an `AdvancedFieldSelector`, each an `Operator`.
const OPERATORS: [&str; 6] = [
    "Equals",
    "StartsWith",
    "EndsWith",
    "NotEquals",
    "NotStartsWith",
    "NotEndsWith",
];

/// A CreateEventDataStore request's members as read.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct StoreInput {
    pub name: Member<String>,
    /// Kept as sent: a store echoes its selectors.
    pub selectors: Member<Vec<Value>>,
    pub retention_days: Member<i64>,
    pub termination_protection: Member<bool>,
    pub multi_region: Member<bool>,
    pub start_ingestion: Member<bool>,
    pub billing_mode: Member<String>,
    pub kms_key_id: Member<String>,
    pub tags: Member<Vec<TagInput>>,
}

impl StoreInput {
    /// The tags a success keeps, in request order.
    pub(super) fn tags(&self) -> Option<Vec<Tag>> {
        self.tags.present().map(|tags| {
            tags.iter()
                .filter_map(|tag| {
                    Some(Tag {
                        key: tag.key.present()?.clone(),
                        value: tag.value.present().cloned(),
                    })
                })
                .collect()
        })
    }
}

/// Reads `body` as a CreateEventDataStore request and pushes every input
/// rule it breaks (wrong JSON types as P4, the rest as OP1).
pub(super) fn check(body: &Map<String, Value>, violations: &mut Vec<Violation>) -> StoreInput {
    let mut reader = Reader::new(body, violations);
    let input = StoreInput {
        name: reader.string("Name"),
        selectors: reader.raw_list("AdvancedEventSelectors"),
        retention_days: reader.integer("RetentionPeriod"),
        termination_protection: reader.boolean("TerminationProtectionEnabled"),
        multi_region: reader.boolean("MultiRegionEnabled"),
        start_ingestion: reader.boolean("StartIngestion"),
        billing_mode: reader.string("BillingMode"),
        kms_key_id: reader.string("KmsKeyId"),
        tags: reader.list_of_objects("TagsList", |tag| TagInput {
            key: tag.string("Key"),
            value: tag.string("Value"),
        }),
    };
    // Read for its type only: an organization store needs AWS Organizations,
    // which the emulator does not model.
    let _organization = reader.boolean("OrganizationEnabled");

    check_name(&input.name, violations);
    check_retention(&input, violations);
    if let Member::Present(mode) = &input.billing_mode {
        if !shapes::BILLING_MODES.contains(&mode.as_str()) {
            violations.push(broken(
                MODEL,
                format!(
                    "BillingMode {:?} is not one of {}",
                    abbreviate(mode),
                    shapes::BILLING_MODES.join(", ")
                ),
            ));
        }
    }
    if let Member::Present(key) = &input.kms_key_id {
        if !shapes::length_within(key, shapes::KMS_KEY_ID_LENGTH) || !shapes::is_arn_pattern(key) {
            violations.push(broken(
                KMS_MODEL,
                format!(
                    "KmsKeyId {:?} is not 1..=350 characters of [a-zA-Z0-9._/-:]",
                    abbreviate(key)
                ),
            ));
        }
    }
    if let Member::Present(selectors) = &input.selectors {
        check_selectors(selectors, violations);
    }
    if let Member::Present(tags) = &input.tags {
        check_tags(tags, violations);
    }
    input
}

fn broken(codes: &'static [ErrorCode], detail: impl Into<String>) -> Violation {
    Violation::with_codes(RuleId::OP1, codes, detail)
}

fn wrong_type(path: &str, expected: &str, found: &Value) -> Violation {
    Violation::of(
        RuleId::P4,
        format!("member {path} is {}, not {expected}", json_type(found)),
    )
}

fn check_name(name: &Member<String>, violations: &mut Vec<Violation>) {
    match name {
        Member::Absent => violations.push(broken(MODEL, "Name is missing")),
        Member::Present(name)
            if !shapes::length_within(name, shapes::STORE_NAME_LENGTH)
                || !shapes::is_name_pattern(name) =>
        {
            violations.push(broken(
                MODEL,
                format!(
                    "Name {:?} is not {}..={} characters of [a-zA-Z0-9._-]",
                    abbreviate(name),
                    shapes::STORE_NAME_LENGTH.0,
                    shapes::STORE_NAME_LENGTH.1
                ),
            ));
        }
        _ => {}
    }
}

fn check_retention(input: &StoreInput, violations: &mut Vec<Violation>) {
    let Member::Present(days) = input.retention_days else {
        return;
    };
    let (min, max) = shapes::RETENTION_DAYS;
    if !(min..=max).contains(&days) {
        return violations.push(broken(
            MODEL,
            format!("RetentionPeriod {days} is not {min}..={max}"),
        ));
    }
    let fixed = input.billing_mode.present().map(String::as_str) == Some(shapes::FIXED_PRICING);
    if fixed && days > shapes::FIXED_RETENTION_MAX {
        violations.push(broken(
            HANDLER,
            format!(
                "RetentionPeriod {days} is more than {} days, the most FIXED_RETENTION_PRICING keeps",
                shapes::FIXED_RETENTION_MAX
            ),
        ));
    }
}

/// The `AdvancedEventSelectors` list, walked as raw JSON (it is echoed as sent).
fn check_selectors(selectors: &[Value], violations: &mut Vec<Violation>) {
    if selectors.len() > shapes::STORE_SELECTORS_MAX {
        violations.push(broken(
            SELECTOR_RULE,
            format!(
                "{} advanced event selectors, more than the {} an event data store takes",
                selectors.len(),
                shapes::STORE_SELECTORS_MAX
            ),
        ));
    }
    for (index, selector) in selectors.iter().enumerate() {
        let at = format!("AdvancedEventSelectors[{index}]");
        let Value::Object(selector) = selector else {
            violations.push(wrong_type(&at, "an object", selector));
            continue;
        };
        match member(selector, "Name") {
            None | Some(Value::String(_)) => {}
            Some(other) => violations.push(wrong_type(&format!("{at}.Name"), "a string", other)),
        }
        if let Some(Value::String(name)) = member(selector, "Name") {
            let count = shapes::char_count(name);
            if count > shapes::SELECTOR_NAME_MAX {
                violations.push(broken(
                    SELECTOR_MODEL,
                    format!(
                        "{at}.Name has {count} characters, more than {}",
                        shapes::SELECTOR_NAME_MAX
                    ),
                ));
            }
        }
        match member(selector, "FieldSelectors") {
            None => violations.push(broken(
                SELECTOR_MODEL,
                format!("{at}.FieldSelectors is missing"),
            )),
            Some(Value::Array(fields)) => {
                if fields.is_empty() {
                    violations.push(broken(
                        SELECTOR_MODEL,
                        format!("{at}.FieldSelectors is empty: it needs at least one"),
                    ));
                }
                for (field_index, field) in fields.iter().enumerate() {
                    let at = format!("{at}.FieldSelectors[{field_index}]");
                    check_field_selector(&at, field, violations);
                }
            }
            Some(other) => {
                violations.push(wrong_type(&format!("{at}.FieldSelectors"), "a list", other))
            }
        }
    }
}

fn check_field_selector(at: &str, field: &Value, violations: &mut Vec<Violation>) {
    let Value::Object(field) = field else {
        return violations.push(wrong_type(at, "an object", field));
    };
    match member(field, "Field") {
        None => violations.push(broken(SELECTOR_MODEL, format!("{at}.Field is missing"))),
        Some(Value::String(name)) => {
            if !shapes::length_within(name, shapes::SELECTOR_FIELD_LENGTH)
                || !shapes::is_selector_field_pattern(name)
            {
                violations.push(broken(
                    SELECTOR_MODEL,
                    format!(
                        "{at}.Field {:?} is not 1..=1000 characters of [A-Za-z0-9_.|]",
                        abbreviate(name)
                    ),
                ));
            }
        }
        Some(other) => violations.push(wrong_type(&format!("{at}.Field"), "a string", other)),
    }
    let mut operators = 0;
    for operator in OPERATORS {
        let Some(values) = member(field, operator) else {
            continue;
        };
        operators += 1;
        let at = format!("{at}.{operator}");
        let Value::Array(values) = values else {
            violations.push(wrong_type(&at, "a list", values));
            continue;
        };
        if values.is_empty() {
            violations.push(broken(
                SELECTOR_MODEL,
                format!("{at} is empty: it needs at least one value"),
            ));
        }
        for (index, value) in values.iter().enumerate() {
            match value {
                Value::String(text) => {
                    if !shapes::length_within(text, shapes::OPERATOR_VALUE_LENGTH) {
                        violations.push(broken(
                            SELECTOR_MODEL,
                            format!(
                                "{at}[{index}] has {} characters, not 1..=2048",
                                shapes::char_count(text)
                            ),
                        ));
                    }
                }
                other => violations.push(wrong_type(&format!("{at}[{index}]"), "a string", other)),
            }
        }
    }
    // The model lets every operator be absent; the service does not
    // (aws/aws-sdk-go#4260: a Field alone is answered with a 400).
    if operators == 0 {
        violations.push(broken(
            SELECTOR_RULE,
            format!("{at} has no operator (Equals, StartsWith, ...)"),
        ));
    }
}

fn check_tags(tags: &[TagInput], violations: &mut Vec<Violation>) {
    if tags.len() > MODEL_TAGS.max {
        violations.push(broken(
            TAGS_OVER_MODEL,
            format!(
                "{} tags, more than the model's {}",
                tags.len(),
                MODEL_TAGS.max
            ),
        ));
    } else if tags.len() > TAGS.max {
        violations.push(broken(
            TAGS_OVER_LIMIT,
            format!("{} tags, more than {}", tags.len(), TAGS.max),
        ));
    }
    let mut seen = std::collections::HashSet::new();
    for (index, tag) in tags.iter().enumerate() {
        match &tag.key {
            Member::Absent => violations.push(broken(
                TAG_MODEL,
                format!("TagsList[{index}].Key is missing"),
            )),
            Member::WrongType => {}
            Member::Present(key) => {
                if !KEY.admits_length(key) {
                    violations.push(broken(
                        TAG_MODEL,
                        format!(
                            "TagsList[{index}].Key has {} characters, not {}",
                            shapes::char_count(key),
                            KEY.words()
                        ),
                    ));
                }
                if !seen.insert(key.as_str()) {
                    violations.push(broken(
                        TAG_RULE,
                        format!("tag key {:?} appears twice", abbreviate(key)),
                    ));
                }
                let prefix = shapes::RESERVED_TAG_PREFIX;
                if key.starts_with(prefix) {
                    violations.push(broken(
                        TAG_RULE,
                        format!("TagsList[{index}].Key starts with the reserved prefix aws:"),
                    ));
                } else if key
                    .get(..prefix.len())
                    .is_some_and(|p| p.eq_ignore_ascii_case(prefix))
                {
                    // As T4 for CreateChannel: other casings are open [set].
                    violations.push(
                        broken(
                            TAG_RULE,
                            format!(
                                "TagsList[{index}].Key starts with {:?}, the reserved prefix in other letter case",
                                &key[..prefix.len()]
                            ),
                        )
                        .optional(true),
                    );
                }
            }
        }
        if let Member::Present(value) = &tag.value {
            let count = shapes::char_count(value);
            if count > VALUE.max {
                violations.push(broken(
                    TAG_MODEL,
                    format!(
                        "TagsList[{index}].Value has {count} characters, more than {}",
                        VALUE.max
                    ),
                ));
            } else if count == 0 {
                // The model's TagValue has a minimum of 1; CloudFormation's
                // tag a minimum of 0 (contract T5): success conforms too,
                // the emulator follows the model.
                violations.push(
                    broken(TAG_MODEL, format!("TagsList[{index}].Value is empty")).optional(true),
                );
            }
        }
    }
}

/// A member of a raw JSON object; `null` is the same as absent (P8).
fn member<'a>(object: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    object.get(key).filter(|value| !value.is_null())
}

/// Long values are cut in messages so a 200 KiB name stays a line.
fn abbreviate(text: &str) -> String {
    const KEEP: usize = 40;
    if text.chars().count() <= KEEP {
        text.to_string()
    } else {
        let head: String = text.chars().take(KEEP).collect();
        format!("{head}…")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The violations of a request: (rule, first code, must) for each.
    fn broken_by(body: Value) -> Vec<(RuleId, ErrorCode, bool)> {
        let mut violations = Vec::new();
        check(body.as_object().unwrap(), &mut violations);
        violations
            .iter()
            .map(|v| {
                (
                    v.rule,
                    v.codes.first().copied().unwrap_or(ValidationException),
                    v.is_must(),
                )
            })
            .collect()
    }

    fn with(member: &str, value: Value) -> Value {
        let mut body = json!({
            "Name": "store-1",
            "AdvancedEventSelectors": [{"Name": "s", "FieldSelectors": [
                {"Field": "eventCategory", "Equals": ["ActivityAuditLog"]}]}],
        });
        body[member] = value;
        body
    }

    fn one(body: Value) -> (ErrorCode, bool) {
        let found = broken_by(body);
        assert_eq!(found.len(), 1, "{found:?}");
        (found[0].1, found[0].2)
    }

    fn tags(n: usize) -> Value {
        (0..n)
            .map(|i| json!({"Key": format!("k{i}"), "Value": "v"}))
            .collect()
    }

    #[test]
    fn a_valid_request_breaks_nothing() {
        assert_eq!(broken_by(with("Name", json!("store-1"))), vec![]);
        let full = json!({
            "Name": "a.b_c-D",
            "RetentionPeriod": 7,
            "BillingMode": "FIXED_RETENTION_PRICING",
            "KmsKeyId": "arn:aws:kms:us-east-1:123456789012:alias/x",
            "TagsList": tags(50),
            "StartIngestion": false,
            "OrganizationEnabled": false,
            "AdvancedEventSelectors": [{"Name": "n".repeat(1000), "FieldSelectors": [
                {"Field": "resources.type", "StartsWith": ["x".repeat(2048)], "NotEquals": ["y"]}]}],
        });
        assert_eq!(broken_by(full), vec![]);
    }

    #[test]
    fn model_constraints_answer_validation_exception_first() {
        for body in [
            json!({}),
            with("Name", json!("ab")),
            with("Name", json!("a".repeat(129))),
            with("Name", json!("a b")),
            with("RetentionPeriod", json!(6)),
            with("RetentionPeriod", json!(3654)),
            with("BillingMode", json!("fixed")),
            with("KmsKeyId", json!("")),
            with("KmsKeyId", json!("k".repeat(351))),
            with("KmsKeyId", json!("alias/my key")),
            with(
                "AdvancedEventSelectors",
                json!([{"Name": "n".repeat(1001), "FieldSelectors": [{"Field": "eventCategory", "Equals": ["x"]}]}]),
            ),
            with("AdvancedEventSelectors", json!([{"FieldSelectors": []}])),
            with("AdvancedEventSelectors", json!([{"Name": "s"}])),
            with(
                "AdvancedEventSelectors",
                json!([{"FieldSelectors": [{"Field": "", "Equals": ["x"]}]}]),
            ),
            with(
                "AdvancedEventSelectors",
                json!([{"FieldSelectors": [{"Field": "event category", "Equals": ["x"]}]}]),
            ),
            with(
                "AdvancedEventSelectors",
                json!([{"FieldSelectors": [{"Equals": ["x"]}]}]),
            ),
            with(
                "AdvancedEventSelectors",
                json!([{"FieldSelectors": [{"Field": "eventName", "Equals": []}]}]),
            ),
            with(
                "AdvancedEventSelectors",
                json!([{"FieldSelectors": [{"Field": "eventName", "Equals": [""]}]}]),
            ),
            with(
                "AdvancedEventSelectors",
                json!([{"FieldSelectors": [{"Field": "eventName", "EndsWith": ["x".repeat(2049)]}]}]),
            ),
            with("TagsList", json!([{"Value": "v"}])),
            with("TagsList", json!([{"Key": ""}])),
            with("TagsList", json!([{"Key": "k".repeat(129)}])),
            with("TagsList", json!([{"Key": "k", "Value": "v".repeat(257)}])),
        ] {
            assert_eq!(one(body.clone()), (ValidationException, true), "{body}");
        }
    }

    #[test]
    fn cloudtrail_rules_answer_their_own_codes() {
        let six: Value = (0..6)
            .map(|_| json!({"FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}]}))
            .collect();
        for (body, code) in [
            (with("TagsList", tags(51)), InvalidTagParameterException),
            (with("TagsList", tags(201)), ValidationException),
            (
                with("TagsList", json!([{"Key": "k"}, {"Key": "k"}])),
                InvalidTagParameterException,
            ),
            (
                with("TagsList", json!([{"Key": "aws:x"}])),
                InvalidTagParameterException,
            ),
            (
                with("AdvancedEventSelectors", six),
                InvalidEventSelectorsException,
            ),
            (
                with(
                    "AdvancedEventSelectors",
                    json!([{"FieldSelectors": [{"Field": "eventName"}]}]),
                ),
                InvalidEventSelectorsException,
            ),
            (
                json!({"Name": "s-1", "BillingMode": "FIXED_RETENTION_PRICING", "RetentionPeriod": 2558}),
                InvalidParameterException,
            ),
        ] {
            assert_eq!(one(body.clone()), (code, true), "{body}");
        }
        // 3653 days are fine under the default, extendable, pricing.
        assert_eq!(
            broken_by(json!({"Name": "s-1", "RetentionPeriod": 3653})),
            vec![]
        );
    }

    #[test]
    fn open_cases_let_success_conform_and_the_emulator_follows_the_model() {
        let mut violations = Vec::new();
        check(
            with(
                "TagsList",
                json!([{"Key": "k", "Value": ""}, {"Key": "AWS:x"}]),
            )
            .as_object()
            .unwrap(),
            &mut violations,
        );
        assert_eq!(violations.len(), 2, "{violations:?}");
        assert!(violations
            .iter()
            .all(|v| !v.is_must() && v.emulator_refuses()));
    }

    #[test]
    fn wrong_types_inside_selectors_are_p4() {
        for selectors in [
            json!(["x"]),
            json!([{"FieldSelectors": {}}]),
            json!([{"FieldSelectors": [5]}]),
            json!([{"FieldSelectors": [{"Field": 5, "Equals": ["x"]}]}]),
            json!([{"FieldSelectors": [{"Field": "f", "Equals": "x"}]}]),
            json!([{"FieldSelectors": [{"Field": "f", "Equals": [1]}]}]),
            json!([{"Name": 1, "FieldSelectors": [{"Field": "f", "Equals": ["x"]}]}]),
        ] {
            let found = broken_by(with("AdvancedEventSelectors", selectors.clone()));
            assert!(
                found.iter().any(|(rule, _, _)| *rule == RuleId::P4),
                "{selectors}: {found:?}"
            );
        }
        // null is absent: a selector with a null Name is fine.
        let fine = json!([{"Name": null, "FieldSelectors": [{"Field": "f", "Equals": ["x"], "StartsWith": null}]}]);
        assert_eq!(broken_by(with("AdvancedEventSelectors", fine)), vec![]);
    }

    #[test]
    fn every_code_set_holds_the_two_parameter_codes_or_a_documented_one() {
        for codes in [
            MODEL,
            TAG_MODEL,
            TAGS_OVER_MODEL,
            SELECTOR_MODEL,
            SELECTOR_RULE,
            KMS_MODEL,
            HANDLER,
        ] {
            assert!(
                codes.contains(&ValidationException) && codes.contains(&InvalidParameterException),
                "{codes:?}"
            );
        }
        assert_eq!(TAG_RULE, &[InvalidTagParameterException]);
    }

    #[test]
    fn tags_are_kept_in_order() {
        let mut violations = Vec::new();
        let input = check(
            with(
                "TagsList",
                json!([{"Key": "b", "Value": "1"}, {"Key": "a"}]),
            )
            .as_object()
            .unwrap(),
            &mut violations,
        );
        let tags = input.tags().unwrap();
        assert_eq!(
            (tags[0].key.as_str(), tags[0].value.as_deref()),
            ("b", Some("1"))
        );
        assert_eq!(
            (tags[1].key.as_str(), tags[1].value.as_deref()),
            ("a", None)
        );
    }

    /// The store operations end to end through the state model.
    mod store_ops {
        use super::*;
        use crate::contract::operation::Operation;
        use crate::contract::state::{Fresh, Identity, Limits, Region};

        fn region() -> Region {
            Region::new(
                Identity::new("us-east-1", "123456789012"),
                Limits::default(),
            )
        }

        /// Applies `body` as `operation`: the success body, or the code refused with.
        fn call(
            region: &mut Region,
            operation: Operation,
            body: Value,
        ) -> Result<Value, ErrorCode> {
            let evaluation = region.evaluate(operation, body.as_object().unwrap());
            if let Some(refusal) = evaluation.emulator_refusal() {
                return Err(refusal.codes[0]);
            }
            let fresh = Fresh {
                id: format!("id-{}", region.stores.len()),
                now: 1.0,
            };
            Ok(region.apply(&evaluation.plan.unwrap(), &fresh))
        }

        fn create(
            region: &mut Region,
            name: &str,
            category: Option<&str>,
            start: Option<bool>,
        ) -> String {
            let mut body = json!({"Name": name, "TerminationProtectionEnabled": false});
            if let Some(category) = category {
                body["AdvancedEventSelectors"] =
                    json!([{"FieldSelectors": [{"Field": "eventCategory", "Equals": [category]}]}]);
            }
            if let Some(start) = start {
                body["StartIngestion"] = json!(start);
            }
            let answer = call(region, Operation::CreateEventDataStore, body).unwrap();
            answer["EventDataStoreArn"].as_str().unwrap().to_string()
        }

        fn status(region: &mut Region, arn: &str) -> String {
            let answer = call(
                region,
                Operation::GetEventDataStore,
                json!({"EventDataStore": arn}),
            )
            .unwrap();
            answer["Status"].as_str().unwrap().to_string()
        }

        #[test]
        fn a_store_created_stopped_can_be_started_if_its_category_allows() {
            let mut region = region();
            for category in [
                None,
                Some("Management"),
                Some("Data"),
                Some("NetworkActivity"),
                Some("ConfigurationItem"),
            ] {
                let name = format!("s-{}", category.unwrap_or("default"));
                let arn = create(&mut region, &name, category, Some(false));
                assert_eq!(status(&mut region, &arn), "STOPPED_INGESTION");
                let store = json!({"EventDataStore": arn});
                call(
                    &mut region,
                    Operation::StartEventDataStoreIngestion,
                    store.clone(),
                )
                .unwrap();
                assert_eq!(status(&mut region, &arn), "ENABLED");
                assert_eq!(
                    call(
                        &mut region,
                        Operation::StartEventDataStoreIngestion,
                        store.clone()
                    ),
                    Err(InvalidEventDataStoreStatusException)
                );
                call(
                    &mut region,
                    Operation::StopEventDataStoreIngestion,
                    store.clone(),
                )
                .unwrap();
                assert_eq!(status(&mut region, &arn), "STOPPED_INGESTION");
            }
        }

        #[test]
        fn stores_of_other_categories_neither_stop_nor_start() {
            let mut region = region();
            for category in ["ActivityAuditLog", "Insight"] {
                for start in [None, Some(false)] {
                    let name = format!("s-{category}-{start:?}").replace(['(', ')'], "");
                    let arn = create(&mut region, &name, Some(category), start);
                    for operation in [
                        Operation::StartEventDataStoreIngestion,
                        Operation::StopEventDataStoreIngestion,
                    ] {
                        assert_eq!(
                            call(&mut region, operation, json!({"EventDataStore": arn})),
                            Err(InvalidEventDataStoreCategoryException),
                            "{category} {start:?} {operation}"
                        );
                    }
                }
            }
        }

        #[test]
        fn a_wrong_category_and_a_wrong_status_let_either_error_conform() {
            let mut region = region();
            let arn = create(&mut region, "s-audit", Some("ActivityAuditLog"), None);
            let start = region.evaluate(
                Operation::StartEventDataStoreIngestion,
                json!({"EventDataStore": arn}).as_object().unwrap(),
            );
            let codes = |evaluation: &crate::contract::Evaluation| -> Vec<ErrorCode> {
                evaluation
                    .violations
                    .iter()
                    .flat_map(|v| v.codes.iter().copied())
                    .collect()
            };
            assert_eq!(
                codes(&start),
                vec![
                    InvalidEventDataStoreCategoryException,
                    InvalidEventDataStoreStatusException
                ]
            );
            let stop = region.evaluate(
                Operation::StopEventDataStoreIngestion,
                json!({"EventDataStore": arn}).as_object().unwrap(),
            );
            assert_eq!(codes(&stop), vec![InvalidEventDataStoreCategoryException]);
        }

        #[test]
        fn answers_have_exactly_the_members_of_their_output_shapes() {
            let mut region = region();
            let body = json!({"Name": "s-1", "KmsKeyId": "alias/k", "TagsList": [{"Key": "k"}], "BillingMode": "FIXED_RETENTION_PRICING"});
            let created = call(&mut region, Operation::CreateEventDataStore, body).unwrap();
            let keys = |v: &Value| {
                let mut keys: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
                keys.sort();
                keys.join(",")
            };
            assert_eq!(keys(&created), "AdvancedEventSelectors,BillingMode,CreatedTimestamp,EventDataStoreArn,KmsKeyId,MultiRegionEnabled,Name,OrganizationEnabled,RetentionPeriod,Status,TagsList,TerminationProtectionEnabled,UpdatedTimestamp");
            assert_eq!(created["KmsKeyId"], "alias/k");
            assert_eq!(created["RetentionPeriod"], shapes::FIXED_RETENTION_MAX);
            let arn = created["EventDataStoreArn"].as_str().unwrap();
            let got = call(
                &mut region,
                Operation::GetEventDataStore,
                json!({"EventDataStore": arn}),
            )
            .unwrap();
            assert_eq!(keys(&got), keys(&created).replace(",TagsList", ""));
            let listed = call(&mut region, Operation::ListEventDataStores, json!({})).unwrap();
            assert_eq!(
                listed["EventDataStores"],
                json!([{"EventDataStoreArn": arn, "Name": "s-1"}])
            );
            // Extendable pricing (the default) keeps 366 days unless told.
            let other = call(
                &mut region,
                Operation::CreateEventDataStore,
                json!({"Name": "s-2"}),
            )
            .unwrap();
            assert_eq!(
                other["RetentionPeriod"],
                shapes::EXTENDABLE_RETENTION_DEFAULT
            );
            assert!(other.get("KmsKeyId").is_none());
        }

        #[test]
        fn a_refused_store_is_not_made() {
            let mut region = region();
            for body in [
                json!({"Name": "s-1", "KmsKeyId": "bad key"}),
                json!({"Name": "s-1", "TagsList": [{"Key": "aws:x"}]}),
            ] {
                assert!(call(&mut region, Operation::CreateEventDataStore, body).is_err());
            }
            assert!(region.stores.is_empty());
        }
    }
}
