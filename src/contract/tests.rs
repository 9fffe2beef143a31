//! Rule-by-rule tests of the contract at both sides of every boundary.

use serde_json::{json, Value};

use super::oracle::{
    acceptable, judge_call, read_call, Acceptable, Call, CallBody, MediaType, RequestedOperation,
};
use super::rules::{self, ErrorCode, RuleId};
use super::state::{Fresh, Identity, Limits, Plan, Region};
use super::Operation;

const AUDIT: &str = "eds-audit";
const MANAGEMENT: &str = "eds-management";
const PENDING: &str = "eds-pending";

/// A region with one store of each kind the E rules need.
fn region() -> Region {
    let mut region = Region::new(
        Identity::new("us-east-1", "123456789012"),
        Limits::default(),
    );
    let audit =
        json!([{"FieldSelectors": [{"Field": "eventCategory", "Equals": ["ActivityAuditLog"]}]}]);
    create(
        &mut region,
        Operation::CreateEventDataStore,
        json!({"Name": "audit", "AdvancedEventSelectors": audit}),
        AUDIT,
    );
    create(
        &mut region,
        Operation::CreateEventDataStore,
        json!({"Name": "management"}),
        MANAGEMENT,
    );
    create(
        &mut region,
        Operation::CreateEventDataStore,
        json!({"Name": "pending", "AdvancedEventSelectors": audit, "TerminationProtectionEnabled": false}),
        PENDING,
    );
    create(
        &mut region,
        Operation::DeleteEventDataStore,
        json!({"EventDataStore": PENDING}),
        "",
    );
    region
}

fn create(region: &mut Region, operation: Operation, body: Value, id: &str) -> Value {
    let evaluation = region.evaluate(operation, body.as_object().unwrap());
    let plan = evaluation
        .plan
        .unwrap_or_else(|| panic!("{operation} refused: {:?}", evaluation.violations));
    region.apply(
        &plan,
        &Fresh {
            id: id.into(),
            now: 0.0,
        },
    )
}

fn judge(region: &Region, operation: Operation, body: &Value) -> Acceptable {
    let bytes = serde_json::to_vec(body).unwrap();
    let call = Call {
        method_is_post: true,
        operation: RequestedOperation::Known(operation),
        media_type: MediaType::Json11,
        body: CallBody::Bytes(&bytes),
    };
    acceptable(region, judge_call(region, &call))
}

fn channel(name: &str) -> Value {
    json!({"Name": name, "Source": "Custom", "Destinations": [{"Type": "EVENT_DATA_STORE", "Location": AUDIT}]})
}

fn with(mut body: Value, key: &str, value: Value) -> Value {
    body[key] = value;
    body
}

fn tags(n: usize) -> Value {
    (0..n)
        .map(|i| json!({"Key": format!("k{i}"), "Value": "v"}))
        .collect()
}

#[track_caller]
fn conforms(body: &Value) {
    let acceptable = judge(&region(), Operation::CreateChannel, body);
    assert!(
        acceptable.success.is_some() && acceptable.errors.is_empty(),
        "{acceptable:#?}"
    );
}

#[track_caller]
fn breaks(body: &Value, rule: RuleId, code: ErrorCode) {
    let acceptable = judge(&region(), Operation::CreateChannel, body);
    assert!(
        acceptable.success.is_none(),
        "success should not conform: {acceptable:#?}"
    );
    assert!(
        acceptable.rules.contains(&rule),
        "{rule} not among {:?}",
        acceptable.rules
    );
    assert!(
        acceptable.errors.contains(&code),
        "{code} not among {:?}",
        acceptable.errors
    );
}

#[test]
fn name_length_boundaries() {
    conforms(&channel("abc"));
    conforms(&channel(&"a".repeat(128)));
    breaks(
        &channel("ab"),
        RuleId::N2,
        ErrorCode::InvalidParameterException,
    );
    breaks(
        &channel(&"a".repeat(129)),
        RuleId::N2,
        ErrorCode::ValidationException,
    );
}

#[test]
fn name_presence_and_pattern() {
    let mut body = channel("abc");
    body.as_object_mut().unwrap().remove("Name");
    breaks(&body, RuleId::N1, ErrorCode::InvalidParameterException);
    breaks(
        &with(channel("x"), "Name", Value::Null),
        RuleId::N1,
        ErrorCode::ValidationException,
    );
    conforms(&channel("aZ0._-"));
    for bad in ["a b c", "a/bc", "a@bc", "néé"] {
        breaks(
            &channel(bad),
            RuleId::N3,
            ErrorCode::InvalidParameterException,
        );
    }
}

#[test]
fn source_rules() {
    breaks(
        &with(channel("abc"), "Source", Value::Null),
        RuleId::S1,
        ErrorCode::InvalidSourceException,
    );
    breaks(
        &with(channel("abc"), "Source", json!("")),
        RuleId::S1,
        ErrorCode::ValidationException,
    );
    breaks(
        &with(channel("abc"), "Source", json!("x".repeat(257))),
        RuleId::S1,
        ErrorCode::InvalidParameterException,
    );
    breaks(
        &with(channel("abc"), "Source", json!("x".repeat(256))),
        RuleId::S2,
        ErrorCode::InvalidSourceException,
    );
    conforms(&with(channel("abc"), "Source", json!("GitHub")));
    let recased = judge(
        &region(),
        Operation::CreateChannel,
        &with(channel("abc"), "Source", json!("github")),
    );
    assert!(recased.success.is_some());
    assert!(recased.errors.contains(&ErrorCode::InvalidSourceException));
}

#[test]
fn destination_count_boundaries() {
    let destinations = |n: usize| -> Value {
        (0..n)
            .map(|_| json!({"Type": "EVENT_DATA_STORE", "Location": AUDIT}))
            .collect()
    };
    breaks(
        &with(channel("abc"), "Destinations", destinations(0)),
        RuleId::D1,
        ErrorCode::InvalidParameterException,
    );
    conforms(&with(channel("abc"), "Destinations", destinations(1)));
    conforms(&with(channel("abc"), "Destinations", destinations(200)));
    breaks(
        &with(channel("abc"), "Destinations", destinations(201)),
        RuleId::D1,
        ErrorCode::ValidationException,
    );
}

#[test]
fn destination_type_location_and_service() {
    let one = |d: Value| with(channel("abc"), "Destinations", json!([d]));
    breaks(
        &one(json!({"Type": "event_data_store", "Location": AUDIT})),
        RuleId::D2,
        ErrorCode::SerializationException,
    );
    breaks(
        &one(json!({"Type": "EVENT_DATA_STORE"})),
        RuleId::D2,
        ErrorCode::InvalidParameterException,
    );
    breaks(
        &one(json!({"Type": "EVENT_DATA_STORE", "Location": "ab"})),
        RuleId::D3,
        ErrorCode::ValidationException,
    );
    breaks(
        &one(json!({"Type": "EVENT_DATA_STORE", "Location": "a".repeat(1025)})),
        RuleId::D3,
        ErrorCode::InvalidParameterException,
    );
    breaks(
        &one(json!({"Type": "EVENT_DATA_STORE", "Location": "eds audit"})),
        RuleId::D3,
        ErrorCode::EventDataStoreARNInvalidException,
    );
    breaks(
        &one(json!({"Type": "AWS_SERVICE", "Location": "cloudtrail.amazonaws.com"})),
        RuleId::D4,
        ErrorCode::OperationNotPermittedException,
    );
}

#[test]
fn event_data_store_rules() {
    let at = |location: &str| {
        with(
            channel("abc"),
            "Destinations",
            json!([{"Type": "EVENT_DATA_STORE", "Location": location}]),
        )
    };
    let identity = Identity::new("us-east-1", "123456789012");
    conforms(&at(&identity.store_arn(AUDIT)));
    conforms(&at(AUDIT));
    breaks(
        &at("arn:aws:cloudtrail:us-east-1:123:eventdatastore/x"),
        RuleId::E1,
        ErrorCode::EventDataStoreARNInvalidException,
    );
    breaks(
        &at("no-such-store"),
        RuleId::E1,
        ErrorCode::EventDataStoreNotFoundException,
    );
    breaks(
        &at(&identity.store_arn("no-such-store")),
        RuleId::E2,
        ErrorCode::EventDataStoreNotFoundException,
    );
    breaks(
        &at(&Identity::new("eu-west-1", "123456789012").store_arn(AUDIT)),
        RuleId::E2,
        ErrorCode::EventDataStoreARNInvalidException,
    );
    breaks(
        &at(MANAGEMENT),
        RuleId::E3,
        ErrorCode::InvalidEventDataStoreCategoryException,
    );
    breaks(
        &at(PENDING),
        RuleId::E4,
        ErrorCode::InactiveEventDataStoreException,
    );
    let unknown_arn = judge(
        &region(),
        Operation::CreateChannel,
        &at(&identity.store_arn("nope")),
    );
    assert!(
        !unknown_arn
            .errors
            .contains(&ErrorCode::EventDataStoreARNInvalidException),
        "only NotFound for an own-region ARN"
    );
}

#[test]
fn tag_count_boundaries() {
    conforms(&with(channel("abc"), "Tags", tags(0)));
    conforms(&with(channel("abc"), "Tags", tags(50)));
    let fifty_one = judge(
        &region(),
        Operation::CreateChannel,
        &with(channel("abc"), "Tags", tags(51)),
    );
    assert_eq!(
        fifty_one.errors.iter().copied().collect::<Vec<_>>(),
        vec![ErrorCode::TagsLimitExceededException]
    );
    breaks(
        &with(channel("abc"), "Tags", tags(200)),
        RuleId::T1,
        ErrorCode::TagsLimitExceededException,
    );
    let over_model = judge(
        &region(),
        Operation::CreateChannel,
        &with(channel("abc"), "Tags", tags(201)),
    );
    assert!(over_model.errors.contains(&ErrorCode::ValidationException));
}

#[test]
fn tag_key_and_value_lengths_count_characters() {
    let tag = |key: String, value: Option<String>| match value {
        Some(value) => with(
            channel("abc"),
            "Tags",
            json!([{"Key": key, "Value": value}]),
        ),
        None => with(channel("abc"), "Tags", json!([{"Key": key}])),
    };
    // The limits are the unit's: this test is about what they count
    // (characters, not bytes); the boundary scenarios check the numbers.
    let (key, value) = (rules::KEY.max, rules::VALUE.max);
    conforms(&tag("k".into(), None));
    conforms(&tag("é".repeat(key), Some("v".into())));
    conforms(&tag("日".repeat(key), Some("v".into())));
    breaks(
        &tag("é".repeat(key + 1), None),
        RuleId::T2,
        ErrorCode::InvalidTagParameterException,
    );
    breaks(
        &tag(String::new(), None),
        RuleId::T2,
        ErrorCode::ValidationException,
    );
    conforms(&tag("k".into(), Some("é".repeat(value))));
    breaks(
        &tag("k".into(), Some("v".repeat(value + 1))),
        RuleId::T2,
        ErrorCode::InvalidParameterException,
    );
    breaks(
        &with(channel("abc"), "Tags", json!([{"Value": "v"}])),
        RuleId::T2,
        ErrorCode::InvalidTagParameterException,
    );
}

#[test]
fn tag_duplicates_reserved_prefix_and_empty_value() {
    breaks(
        &with(channel("abc"), "Tags", json!([{"Key": "a"}, {"Key": "a"}])),
        RuleId::T3,
        ErrorCode::InvalidTagParameterException,
    );
    breaks(
        &with(channel("abc"), "Tags", json!([{"Key": "aws:x"}])),
        RuleId::T4,
        ErrorCode::InvalidTagParameterException,
    );
    for open_case in [
        json!([{"Key": "AWS:x"}]),
        json!([{"Key": "k", "Value": ""}]),
    ] {
        let acceptable = judge(
            &region(),
            Operation::CreateChannel,
            &with(channel("abc"), "Tags", open_case),
        );
        assert!(acceptable.success.is_some(), "success conforms");
        assert!(acceptable
            .errors
            .contains(&ErrorCode::InvalidTagParameterException));
    }
}

#[test]
fn state_rules() {
    let mut region = region();
    create(
        &mut region,
        Operation::CreateChannel,
        channel("taken"),
        "c1",
    );
    let again = judge(&region, Operation::CreateChannel, &channel("taken"));
    assert_eq!(again.rules, vec![RuleId::C1]);
    conforms_in(&region, &channel("other-custom"));

    create(
        &mut region,
        Operation::CreateChannel,
        with(channel("github-1"), "Source", json!("GitHub")),
        "c2",
    );
    let partner = judge(
        &region,
        Operation::CreateChannel,
        &with(channel("github-2"), "Source", json!("GitHub")),
    );
    assert_eq!(partner.rules, vec![RuleId::C2]);

    let mut full = Region::new(
        region.identity.clone(),
        Limits {
            channel_quota: 3,
            ..Limits::default()
        },
    );
    full.stores = region.stores.clone();
    for i in 0..3 {
        conforms_in(&full, &channel(&format!("fill-{i}")));
        create(
            &mut full,
            Operation::CreateChannel,
            channel(&format!("fill-{i}")),
            &format!("f{i}"),
        );
    }
    assert_eq!(
        judge(&full, Operation::CreateChannel, &channel("one-more")).rules,
        vec![RuleId::C3]
    );
}

#[track_caller]
fn conforms_in(region: &Region, body: &Value) {
    let acceptable = judge(region, Operation::CreateChannel, body);
    assert!(
        acceptable.success.is_some() && acceptable.errors.is_empty(),
        "{acceptable:#?}"
    );
}

/// §3 checks state after input, but the order of checks is undocumented:
/// a state rule broken beside an input rule joins the acceptable set.
#[test]
fn state_rules_join_broken_input_rules() {
    let mut region = region();
    create(
        &mut region,
        Operation::CreateChannel,
        channel("taken"),
        "c1",
    );
    let acceptable = judge(
        &region,
        Operation::CreateChannel,
        &with(channel("taken"), "Tags", tags(51)),
    );
    assert_eq!(acceptable.rules, vec![RuleId::T1, RuleId::C1]);
    assert!(acceptable
        .errors
        .contains(&ErrorCode::ChannelAlreadyExistsException));
    let mut no_source = channel("taken");
    no_source.as_object_mut().unwrap().remove("Source");
    let acceptable = judge(&region, Operation::CreateChannel, &no_source);
    assert_eq!(acceptable.rules, vec![RuleId::S1, RuleId::C1]);
}

#[test]
fn several_broken_rules_union_their_codes() {
    let body = with(
        with(channel("ab"), "Source", json!("Nope")),
        "Tags",
        tags(51),
    );
    let acceptable = judge(&region(), Operation::CreateChannel, &body);
    assert_eq!(acceptable.rules, vec![RuleId::N2, RuleId::S2, RuleId::T1]);
    for code in [
        ErrorCode::ValidationException,
        ErrorCode::InvalidSourceException,
        ErrorCode::TagsLimitExceededException,
    ] {
        assert!(acceptable.errors.contains(&code));
    }
}

#[test]
fn protocol_rules() {
    let region = region();
    let call = |operation, media_type, body: &'static [u8]| {
        acceptable(
            &region,
            judge_call(
                &region,
                &Call {
                    method_is_post: true,
                    operation,
                    media_type,
                    body: CallBody::Bytes(body),
                },
            ),
        )
    };
    let create = RequestedOperation::Known(Operation::CreateChannel);
    let not_json = call(create.clone(), MediaType::Json11, b"{\"Name\": ");
    assert_eq!(
        not_json.errors.iter().copied().collect::<Vec<_>>(),
        vec![ErrorCode::SerializationException]
    );
    assert_eq!(
        call(create.clone(), MediaType::Json11, b"[]").rules,
        vec![RuleId::P4]
    );
    assert_eq!(
        call(create.clone(), MediaType::Json11, b"\"x\"").rules,
        vec![RuleId::P4]
    );
    let empty = call(create.clone(), MediaType::Json11, b"");
    assert!(
        empty.rules.contains(&RuleId::N1)
            && empty.errors.contains(&ErrorCode::SerializationException)
    );
    let list = call(
        RequestedOperation::Known(Operation::ListChannels),
        MediaType::Json11,
        b"",
    );
    assert!(list.success.is_some() && list.errors.is_empty());
    let unknown = call(RequestedOperation::Unknown, MediaType::Json11, b"{}");
    assert_eq!(
        unknown.errors.iter().copied().collect::<Vec<_>>(),
        vec![ErrorCode::UnknownOperationException]
    );
    assert!(call(RequestedOperation::Missing, MediaType::Json11, b"{}").any_client_error);
    let other_media = call(
        RequestedOperation::Known(Operation::ListChannels),
        MediaType::Other,
        b"{}",
    );
    assert!(other_media.success.is_some() && other_media.any_client_error);
}

#[test]
fn wrong_member_types_are_serialization_errors() {
    for (key, value) in [
        ("Name", json!(12345)),
        ("Destinations", json!({})),
        ("Tags", json!("k=v")),
        ("Source", json!(["Custom"])),
    ] {
        let acceptable = judge(
            &region(),
            Operation::CreateChannel,
            &with(channel("abc"), key, value),
        );
        assert_eq!(acceptable.rules, vec![RuleId::P4], "{key}");
        assert!(acceptable
            .errors
            .contains(&ErrorCode::SerializationException));
    }
}

#[test]
fn unknown_members_are_ignored_and_not_echoed() {
    let mut body = with(channel("abc"), "Unknown", json!({"x": 1}));
    body["Destinations"][0]["Extra"] = json!(true);
    let acceptable = judge(&region(), Operation::CreateChannel, &body);
    let success = acceptable.success.expect("success conforms");
    assert_eq!(
        success.members["Destinations"],
        json!([{"Type": "EVENT_DATA_STORE", "Location": AUDIT}])
    );
}

#[test]
fn success_echo_and_fresh_arn() {
    let mut oracle = super::Oracle::new(region());
    let body = with(channel("abc"), "Tags", json!([{"Key": "k", "Value": "v"}]));
    let bytes = serde_json::to_vec(&body).unwrap();
    let call = Call {
        method_is_post: true,
        operation: RequestedOperation::Known(Operation::CreateChannel),
        media_type: MediaType::Json11,
        body: CallBody::Bytes(&bytes),
    };
    let expected = oracle.expect(&call);
    let arn =
        "arn:aws:cloudtrail:us-east-1:123456789012:channel/4f6c5c1e-8a55-4c1b-9e0f-0a1b2c3d4e5f";
    let mut answer = body.clone();
    answer["ChannelArn"] = json!(arn);
    answer["Extra"] = json!("ignored");
    assert!(oracle.observe(&expected, 200, None, Some(&answer)).is_ok());
    // The same answer again: the name is taken now, and the id was used.
    let expected = oracle.expect(&call);
    assert!(oracle.observe(&expected, 200, None, Some(&answer)).is_err());
    assert!(oracle
        .observe(&expected, 400, Some("ChannelAlreadyExistsException"), None)
        .is_ok());
    assert!(oracle
        .observe(&expected, 500, Some("ChannelAlreadyExistsException"), None)
        .is_err());

    let mut wrong_echo = answer.clone();
    wrong_echo["Name"] = json!("abd");
    let fresh = super::Oracle::new(region());
    assert!(fresh
        .clone()
        .observe(&fresh.expect(&call), 200, None, Some(&wrong_echo))
        .is_err());
    let mut other_account = answer.clone();
    other_account["ChannelArn"] = json!("arn:aws:cloudtrail:us-east-1:999999999999:channel/x");
    assert!(fresh
        .clone()
        .observe(&fresh.expect(&call), 200, None, Some(&other_account))
        .is_err());
}

#[test]
fn not_found_errors_take_400_or_404() {
    let region = region();
    let acceptable = judge(
        &region,
        Operation::GetChannel,
        &json!({"Channel": "no-such-channel"}),
    );
    assert!(acceptable
        .admits(
            404,
            Some("ChannelNotFoundException"),
            None,
            &region,
            &Default::default()
        )
        .is_ok());
    assert!(acceptable
        .admits(
            400,
            Some("ChannelNotFoundException"),
            None,
            &region,
            &Default::default()
        )
        .is_ok());
    assert!(acceptable
        .admits(
            409,
            Some("ChannelNotFoundException"),
            None,
            &region,
            &Default::default()
        )
        .is_err());
}

#[test]
fn supporting_operations() {
    let mut region = region();
    let created = create(&mut region, Operation::CreateChannel, channel("abc"), "ch1");
    let arn = created["ChannelArn"].as_str().unwrap().to_string();
    for reference in [arn.as_str(), "ch1"] {
        let get = judge(
            &region,
            Operation::GetChannel,
            &json!({"Channel": reference}),
        );
        assert!(matches!(
            get.success.as_ref().map(|s| &s.plan),
            Some(Plan::GetChannel { .. })
        ));
    }
    let malformed = judge(
        &region,
        Operation::GetChannel,
        &json!({"Channel": "arn:aws:cloudtrail:us-east-1:1:channel/c1"}),
    );
    assert!(malformed
        .errors
        .contains(&ErrorCode::ChannelARNInvalidException));
    let busy_store = judge(
        &region,
        Operation::DeleteEventDataStore,
        &json!({"EventDataStore": AUDIT}),
    );
    assert!(
        busy_store
            .errors
            .contains(&ErrorCode::ChannelExistsForEDSException)
            || busy_store
                .errors
                .contains(&ErrorCode::EventDataStoreTerminationProtectedException)
    );
    let stop = judge(
        &region,
        Operation::StopEventDataStoreIngestion,
        &json!({"EventDataStore": AUDIT}),
    );
    assert_eq!(stop.rules, vec![RuleId::OP2]);
    create(
        &mut region,
        Operation::CreateChannel,
        channel("other"),
        "ch2",
    );
    let rename = judge(
        &region,
        Operation::UpdateChannel,
        &json!({"Channel": "ch2", "Name": "abc"}),
    );
    assert_eq!(rename.rules, vec![RuleId::OP5]);
    create(
        &mut region,
        Operation::DeleteChannel,
        json!({"Channel": arn}),
        "",
    );
    conforms_in(&region, &channel("abc"));
}

#[test]
fn list_channels_pages() {
    let mut region = region();
    for i in 0..5 {
        create(
            &mut region,
            Operation::CreateChannel,
            channel(&format!("c-{i}")),
            &format!("id{i}"),
        );
    }
    let first = create(
        &mut region,
        Operation::ListChannels,
        json!({"MaxResults": 2}),
        "",
    );
    assert_eq!(first["Channels"].as_array().unwrap().len(), 2);
    let token = first["NextToken"].clone();
    let rest = create(
        &mut region,
        Operation::ListChannels,
        json!({"NextToken": token}),
        "",
    );
    assert_eq!(rest["Channels"].as_array().unwrap().len(), 3);
    assert!(rest.get("NextToken").is_none());
    let bad = judge(
        &region,
        Operation::ListChannels,
        &json!({"NextToken": "garbage"}),
    );
    assert!(bad.errors.contains(&ErrorCode::InvalidNextTokenException));
    let zero = judge(&region, Operation::ListChannels, &json!({"MaxResults": 0}));
    assert!(zero.success.is_none());
}

#[test]
fn a_malformed_store_location_also_breaks_e1() {
    let at = |location: &str| {
        with(
            channel("abc"),
            "Destinations",
            json!([{"Type": "EVENT_DATA_STORE", "Location": location}]),
        )
    };
    let acceptable = judge(&region(), Operation::CreateChannel, &at("ab"));
    assert_eq!(acceptable.rules, vec![RuleId::D3, RuleId::E1]);
    assert!(acceptable
        .errors
        .contains(&ErrorCode::EventDataStoreNotFoundException));
    let service = with(
        channel("abc"),
        "Destinations",
        json!([{"Type": "AWS_SERVICE", "Location": "ab"}]),
    );
    assert_eq!(
        judge(&region(), Operation::CreateChannel, &service).rules,
        vec![RuleId::D3]
    );
}

#[test]
fn a_json_body_reads_as_its_serialisation_would() {
    let bodies = [
        json!({}),
        json!({"Name": "abc", "Source": "Custom", "Destinations": [{"Type": "EVENT_DATA_STORE", "Location": "x"}]}),
        json!({"Name": 12, "Tags": [{"Key": "é😀", "Value": null}], "Deep": {"a": [1.5, -0.0, 1e300, u64::MAX, i64::MIN]}}),
        json!([]),
        json!(null),
        json!("text"),
        json!(3.25),
    ];
    for body in bodies {
        let bytes = serde_json::to_vec(&body).unwrap();
        let call = |body| Call {
            method_is_post: true,
            operation: RequestedOperation::Known(Operation::CreateChannel),
            media_type: MediaType::Json11,
            body,
        };
        assert_eq!(
            format!("{:?}", read_call(&call(CallBody::Json(&body)))),
            format!("{:?}", read_call(&call(CallBody::Bytes(&bytes)))),
            "{body}"
        );
    }
}

/// The contract's rulings of this round (§1 several broken rules and
/// missing members, §5 identifiers, §7 undocumented points), one test each.
mod rulings {
    use super::*;

    fn codes(acceptable: &Acceptable) -> Vec<ErrorCode> {
        acceptable.errors.iter().copied().collect()
    }

    #[test]
    fn a_wrong_type_beside_an_unknown_channel_allows_either_error() {
        let acceptable = judge(
            &region(),
            Operation::UpdateChannel,
            &json!({"Channel": "00000000-0000-4000-8000-00000000c7f0", "Name": ["x"]}),
        );
        assert!(acceptable.success.is_none());
        assert_eq!(acceptable.rules, vec![RuleId::P4, RuleId::OP4]);
        for code in [
            ErrorCode::SerializationException,
            ErrorCode::ChannelNotFoundException,
        ] {
            assert!(acceptable.errors.contains(&code), "{code}");
        }
    }

    #[test]
    fn an_update_of_an_unknown_channel_also_judges_its_new_members() {
        let mut region = region();
        create(&mut region, Operation::CreateChannel, channel("abc"), "ch1");
        let acceptable = judge(
            &region,
            Operation::UpdateChannel,
            &json!({"Channel": "00000000-0000-4000-8000-00000000c7f0", "Name": "abc",
                    "Destinations": []}),
        );
        assert_eq!(acceptable.rules, vec![RuleId::OP4, RuleId::D1, RuleId::OP5]);
    }

    #[test]
    fn a_channel_value_that_is_neither_arn_nor_id_is_invalid_or_not_found() {
        let region = region();
        for reference in [
            "ccc",
            "not-an-arn",
            "arn:aws:cloudtrail:us-east-1:123456789012:channel",
            "arn:aws:cloudtrail:us-east-1:123456789012:eventdatastore/eds-audit",
        ] {
            for operation in [
                Operation::GetChannel,
                Operation::DeleteChannel,
                Operation::UpdateChannel,
            ] {
                let acceptable = judge(&region, operation, &json!({"Channel": reference}));
                assert_eq!(
                    codes(&acceptable),
                    vec![
                        ErrorCode::ChannelNotFoundException,
                        ErrorCode::ChannelARNInvalidException
                    ],
                    "{operation} {reference}"
                );
            }
        }
    }

    #[test]
    fn a_well_formed_channel_reference_naming_nothing_is_not_found_only() {
        let region = region();
        for reference in [
            "00000000-0000-4000-8000-00000000c7f0",
            "arn:aws:cloudtrail:us-east-1:123456789012:channel/00000000-0000-4000-8000-00000000c7f0",
        ] {
            let acceptable = judge(&region, Operation::GetChannel, &json!({"Channel": reference}));
            assert_eq!(
                codes(&acceptable),
                vec![ErrorCode::ChannelNotFoundException],
                "{reference}"
            );
        }
    }

    #[test]
    fn a_store_value_that_is_neither_arn_nor_id_is_invalid_or_not_found() {
        let region = region();
        for reference in [
            "ccc",
            "arn:aws:cloudtrail:us-east-1:123456789012:eventdatastore",
            "arn:aws:cloudtrail:us-east-1:123456789012:channel/eds-audit",
        ] {
            let acceptable = judge(
                &region,
                Operation::GetEventDataStore,
                &json!({"EventDataStore": reference}),
            );
            assert_eq!(
                codes(&acceptable),
                vec![
                    ErrorCode::EventDataStoreARNInvalidException,
                    ErrorCode::EventDataStoreNotFoundException
                ],
                "{reference}"
            );
        }
    }

    #[test]
    fn a_well_formed_store_reference_naming_nothing_is_not_found_only() {
        let region = region();
        for reference in [
            "00000000-0000-4000-8000-00000000c7f0",
            "arn:aws:cloudtrail:us-east-1:123456789012:eventdatastore/00000000-0000-4000-8000-00000000c7f0",
        ] {
            let acceptable = judge(
                &region,
                Operation::GetEventDataStore,
                &json!({"EventDataStore": reference}),
            );
            assert_eq!(
                codes(&acceptable),
                vec![ErrorCode::EventDataStoreNotFoundException],
                "{reference}"
            );
        }
    }

    #[test]
    fn a_missing_identifier_member_allows_its_arn_invalid_code() {
        let region = region();
        for (operation, own) in [
            (
                Operation::StartEventDataStoreIngestion,
                ErrorCode::EventDataStoreARNInvalidException,
            ),
            (
                Operation::DeleteEventDataStore,
                ErrorCode::EventDataStoreARNInvalidException,
            ),
            (Operation::GetChannel, ErrorCode::ChannelARNInvalidException),
            (
                Operation::UpdateChannel,
                ErrorCode::ChannelARNInvalidException,
            ),
        ] {
            let acceptable = judge(&region, operation, &json!({}));
            for code in [
                ErrorCode::InvalidParameterException,
                ErrorCode::ValidationException,
                own,
            ] {
                assert!(acceptable.errors.contains(&code), "{operation}: {code}");
            }
            assert!(acceptable.success.is_none());
        }
    }

    #[test]
    fn a_null_body_is_not_an_object_or_reads_as_empty() {
        let region = region();
        let null = |operation| {
            acceptable(
                &region,
                judge_call(
                    &region,
                    &Call {
                        method_is_post: true,
                        operation: RequestedOperation::Known(operation),
                        media_type: MediaType::Json11,
                        body: CallBody::Bytes(b" null "),
                    },
                ),
            )
        };
        let create = null(Operation::CreateChannel);
        assert!(create.success.is_none());
        assert!(create.errors.contains(&ErrorCode::SerializationException));
        assert!(create.rules.contains(&RuleId::N1));
        assert!(create
            .errors
            .contains(&ErrorCode::InvalidParameterException));
        let list = null(Operation::ListChannels);
        assert!(list.success.is_some());
        assert_eq!(codes(&list), vec![ErrorCode::SerializationException]);
    }

    #[test]
    fn empty_tags_may_be_echoed_or_omitted() {
        let acceptable = judge(
            &region(),
            Operation::CreateChannel,
            &with(channel("abc"), "Tags", json!([])),
        );
        let success = acceptable.success.expect("success conforms");
        assert_eq!(success.absent_or_empty, vec!["Tags"]);
        assert!(!success.members.contains_key("Tags"));
    }

    #[test]
    fn lower_case_custom_may_succeed_or_be_an_invalid_source() {
        let acceptable = judge(
            &region(),
            Operation::CreateChannel,
            &with(channel("abc"), "Source", json!("custom")),
        );
        assert!(acceptable.success.is_some());
        assert_eq!(codes(&acceptable), vec![ErrorCode::InvalidSourceException]);
    }

    #[test]
    fn an_empty_tag_value_may_take_any_parameter_code() {
        let acceptable = judge(
            &region(),
            Operation::CreateChannel,
            &with(channel("abc"), "Tags", json!([{"Key": "k", "Value": ""}])),
        );
        assert!(acceptable.success.is_some());
        for code in [
            ErrorCode::InvalidTagParameterException,
            ErrorCode::ValidationException,
            ErrorCode::InvalidParameterException,
        ] {
            assert!(acceptable.errors.contains(&code), "{code}");
        }
    }

    #[test]
    fn a_page_longer_than_max_results_diverges() {
        let mut region = region();
        for (name, id) in [("one", "c1"), ("two", "c2")] {
            create(&mut region, Operation::CreateChannel, channel(name), id);
        }
        let acceptable = judge(&region, Operation::ListChannels, &json!({"MaxResults": 1}));
        let identity = region.identity.clone();
        // Partial pages (a NextToken): only their length is judged here.
        let page = |n: usize| {
            let items: Vec<Value> = ["c1", "c2"][..n]
                .iter()
                .map(|id| json!({"ChannelArn": identity.channel_arn(id), "Name": "n"}))
                .collect();
            json!({"Channels": items, "NextToken": "more"})
        };
        let seen = Default::default();
        assert!(acceptable
            .admits(200, None, Some(&page(1)), &region, &seen)
            .is_ok());
        assert!(acceptable
            .admits(200, None, Some(&page(2)), &region, &seen)
            .is_err());
    }

    #[test]
    fn a_store_that_cannot_be_deleted_for_several_reasons_allows_each_code() {
        let mut region = region();
        create(&mut region, Operation::CreateChannel, channel("abc"), "ch1");
        // The audit store is protected by default (no TerminationProtectionEnabled sent).
        let acceptable = judge(
            &region,
            Operation::DeleteEventDataStore,
            &json!({"EventDataStore": AUDIT}),
        );
        assert_eq!(
            codes(&acceptable),
            vec![
                ErrorCode::ChannelExistsForEDSException,
                ErrorCode::EventDataStoreTerminationProtectedException
            ]
        );
    }

    #[test]
    fn a_duplicate_store_name_joins_its_input_errors() {
        let acceptable = judge(
            &region(),
            Operation::CreateEventDataStore,
            &json!({"Name": "audit", "RetentionPeriod": 1}),
        );
        assert!(acceptable
            .errors
            .contains(&ErrorCode::EventDataStoreAlreadyExistsException));
        assert!(acceptable
            .errors
            .contains(&ErrorCode::InvalidParameterException));
    }
}

mod more_rulings {
    use super::*;

    fn call(operation: Operation, media_type: MediaType, body: &[u8]) -> Acceptable {
        let region = region();
        acceptable(
            &region,
            judge_call(
                &region,
                &Call {
                    method_is_post: true,
                    operation: RequestedOperation::Known(operation),
                    media_type,
                    body: CallBody::Bytes(body),
                },
            ),
        )
    }

    /// §1: another media type may be refused with any 4xx before the body
    /// is read, so a bad body does not narrow the set to P4's code.
    #[test]
    fn another_media_type_with_a_bad_body_allows_any_client_error() {
        let refused = call(Operation::CreateChannel, MediaType::Other, b"{\"Name\": ");
        assert!(refused.any_client_error);
        assert_eq!(refused.rules, vec![RuleId::P4, RuleId::P7]);
        let json = call(Operation::CreateChannel, MediaType::Json11, b"{\"Name\": ");
        assert!(!json.any_client_error);
    }

    /// §1 and §7: starting an ENABLED ActivityAuditLog store breaks both
    /// the category rule and the status rule; either code conforms.
    #[test]
    fn starting_an_enabled_activity_store_allows_the_category_or_the_status_code() {
        let acceptable = judge(
            &region(),
            Operation::StartEventDataStoreIngestion,
            &json!({"EventDataStore": AUDIT}),
        );
        assert!(acceptable.success.is_none());
        for code in [
            ErrorCode::InvalidEventDataStoreCategoryException,
            ErrorCode::InvalidEventDataStoreStatusException,
        ] {
            assert!(acceptable.errors.contains(&code), "{code}");
        }
    }

    /// §6: a re-cased Source that an endpoint accepted may count as its
    /// partner (or as Custom) or as a name of its own for C2.
    #[test]
    fn a_recased_source_once_accepted_may_or_may_not_hold_the_partner() {
        let mut region = region();
        let body = |name: &str, source: &str| with(channel(name), "Source", json!(source));
        let evaluation = region.evaluate(
            Operation::CreateChannel,
            body("abc1", "custom").as_object().unwrap(),
        );
        // The endpoint accepted the re-cased name: the model follows it.
        let plan = evaluation.plan.expect("success conforms for custom");
        region.apply(
            &plan,
            &Fresh {
                id: "r1".into(),
                now: 0.0,
            },
        );
        let again = judge(&region, Operation::CreateChannel, &body("abc2", "custom"));
        assert!(again.success.is_some(), "Custom may back many: {again:#?}");
        let evaluation = region.evaluate(
            Operation::CreateChannel,
            body("bbb1", "netskopecloudexchange").as_object().unwrap(),
        );
        let plan = evaluation
            .plan
            .expect("success conforms for a re-cased partner");
        region.apply(
            &plan,
            &Fresh {
                id: "r2".into(),
                now: 0.0,
            },
        );
        let partner = judge(
            &region,
            Operation::CreateChannel,
            &body("bbb2", "NetskopeCloudExchange"),
        );
        assert!(partner.success.is_some());
        assert!(partner
            .errors
            .contains(&ErrorCode::ChannelAlreadyExistsException));
    }
}

/// Read after write on lists (§4, §5): what a first page must show.
mod listing {
    use super::*;
    use std::collections::HashSet;

    fn page(arns: &[String], next: bool) -> Value {
        let mut body = json!({"Channels": arns.iter().map(|a| json!({"ChannelArn": a, "Name": "n"})).collect::<Vec<_>>()});
        if next {
            body["NextToken"] = json!("more");
        }
        body
    }

    #[test]
    fn a_complete_list_shows_every_channel_and_none_deleted() {
        let mut region = region();
        let identity = region.identity.clone();
        create(
            &mut region,
            Operation::CreateChannel,
            channel("kept"),
            "ch1",
        );
        create(
            &mut region,
            Operation::CreateChannel,
            channel("gone"),
            "ch2",
        );
        create(
            &mut region,
            Operation::DeleteChannel,
            json!({"Channel": "ch2"}),
            "",
        );
        let seen: HashSet<String> = ["ch1", "ch2"].iter().map(|s| s.to_string()).collect();
        let list = judge(&region, Operation::ListChannels, &json!({}));
        let (kept, gone, other) = (
            identity.channel_arn("ch1"),
            identity.channel_arn("ch2"),
            identity.channel_arn("someone-elses"),
        );
        let admits = |body: Value| list.admits(200, None, Some(&body), &region, &seen);
        assert!(admits(page(&[kept.clone(), other.clone()], false)).is_ok());
        let missing = admits(page(std::slice::from_ref(&other), false)).unwrap_err();
        assert!(
            missing.reason.contains("does not list channel ch1"),
            "{missing}"
        );
        assert!(
            admits(page(std::slice::from_ref(&other), true)).is_ok(),
            "a partial page may lack it"
        );
        let deleted = admits(page(&[kept, gone], true)).unwrap_err();
        assert!(deleted.reason.contains("which was deleted"), "{deleted}");
    }
}
