//! The corpus catches divergences: for every contract rule, an endpoint that
//! gets only that rule wrong fails the suite, and the failing scenarios name
//! the rule; an endpoint that differs only where the contract allows
//! (another code of the acceptable set, another message, a namespaced or
//! header-only error code, 400 for NotFound, extra response members) passes.

use crate::common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

use common::{fabricated_success, rewritten, Exchange, Reply, Rewrite};
use ctconform::contract::RuleId;
use ctconform::runner::{self, RunOptions, RunReport, Selection, Verdict};
use ctconform::scenario::{self, Scenario};
use ctconform::wire::{Client, ClientConfig};
use serde_json::Value;

async fn run_suite(url: &str, scenarios: Vec<Scenario>) -> RunReport {
    let mut config = ClientConfig::new(url, "us-east-1");
    // One attempt: a mutant's 5xx would otherwise be retried with backoff
    // (the SDKs' way) and only cost time; it fails either way.
    config.retry = ctconform::wire::RetryPolicy::with_retries(0);
    let client = Client::new(config.clone()).await.unwrap();
    let mut options = RunOptions::new(runner::new_run_id());
    options.jobs = 8;
    runner::run(scenarios, client, config, options).await
}

fn corpus(selection: Selection) -> Vec<Scenario> {
    selection.apply(scenario::load_dir("scenarios").expect("scenarios load"))
}

fn failing_rules(report: &RunReport) -> BTreeSet<String> {
    report
        .scenarios
        .iter()
        .filter(|s| matches!(s.verdict, Verdict::Fail | Verdict::Error))
        .flat_map(|s| s.rules.iter().cloned())
        .collect()
}

fn rewrite(f: impl Fn(&Exchange) -> Option<Reply> + Send + Sync + 'static) -> Rewrite {
    Arc::new(f)
}

/// Answers success where the emulator refuses for `rule`: the check is missing.
fn accepts_what(rule: &'static str) -> Rewrite {
    rewrite(move |x| (x.refused_rule() == Some(rule)).then(|| fabricated_success(x)))
}

fn top_level_members(x: &Exchange) -> Vec<(String, Value)> {
    match &x.request_json {
        Some(Value::Object(map)) => map.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
        _ => Vec::new(),
    }
}

const KNOWN_MEMBERS: &[&str] = &[
    "Name",
    "Source",
    "Destinations",
    "Tags",
    "Channel",
    "MaxResults",
    "NextToken",
    "EventDataStore",
    "AdvancedEventSelectors",
    "TerminationProtectionEnabled",
    "RetentionPeriod",
];

/// One fault per rule, each an implementation mistake a real emulator could make.
fn faults() -> Vec<(RuleId, Rewrite)> {
    let mut faults: Vec<(RuleId, Rewrite)> = Vec::new();
    for rule in RuleId::ALL {
        let refusing = !rule.rule().errors.is_empty()
            && !matches!(
                rule,
                RuleId::P5 | RuleId::P7 | RuleId::P9 | RuleId::T5 | RuleId::OK4
            );
        if refusing {
            faults.push((*rule, accepts_what(rule.as_str())));
        }
    }
    faults.push((RuleId::OK4, accepts_what("C1")));
    faults.push((
        RuleId::P1,
        rewrite(|x| {
            x.target
                .as_deref()
                .is_some_and(|t| t.starts_with("CloudTrail_20131101."))
                .then(|| Reply::error(400, "UnknownOperationException"))
        }),
    ));
    faults.push((
        RuleId::P2,
        rewrite(|x| {
            x.content_type
                .as_deref()
                .is_some_and(|c| c.contains(';'))
                .then(|| Reply::error(400, "SerializationException"))
        }),
    ));
    faults.push((
        RuleId::P3,
        rewrite(|x| {
            // Errors without an error code anywhere: clients cannot tell them apart.
            (x.status >= 400).then(|| {
                Reply::json(
                    x.status,
                    &serde_json::json!({ "message": "something went wrong" }),
                )
            })
        }),
    ));
    faults.push((
        RuleId::P5,
        rewrite(|x| {
            (x.request.is_empty() && x.operation() == "ListChannels")
                .then(|| Reply::error(400, "SerializationException"))
        }),
    ));
    faults.push((
        RuleId::P7,
        rewrite(|x| (x.method != "POST").then(|| Reply::error(500, "InternalFailure"))),
    ));
    faults.push((
        RuleId::P8,
        rewrite(|x| {
            top_level_members(x)
                .iter()
                .any(|(k, v)| !KNOWN_MEMBERS.contains(&k.as_str()) || v.is_null())
                .then(|| Reply::error(400, "SerializationException"))
        }),
    ));
    faults.push((
        RuleId::T5,
        rewrite(|x| {
            let empty_value = x
                .request_json
                .as_ref()
                .and_then(|b| b.get("Tags"))
                .and_then(Value::as_array)
                .is_some_and(|tags| {
                    tags.iter()
                        .any(|t| t.get("Value") == Some(&Value::from("")))
                });
            empty_value.then(|| Reply::error(500, "InternalFailure"))
        }),
    ));
    faults.push((
        RuleId::OK1,
        rewrite(|x| {
            if x.operation() != "CreateChannel" || x.status != 200 {
                return None;
            }
            let mut body = x.json.clone()?;
            body.as_object_mut()?.remove("Tags");
            if let Some(destinations) = body.get_mut("Destinations").and_then(Value::as_array_mut) {
                destinations.reverse();
            }
            Some(Reply::json(200, &body))
        }),
    ));
    faults.push((
        RuleId::OK2,
        rewrite(|x| {
            (x.operation() == "GetChannel" && x.status == 200)
                .then(|| Reply::error(404, "ChannelNotFoundException"))
        }),
    ));
    let tombstones: Arc<Mutex<BTreeMap<String, String>>> = Arc::default();
    faults.push((
        RuleId::OK3,
        rewrite(move |x| {
            // Deleting a channel does not free its name: a mistake of emulators
            // that only mark channels deleted.
            let mut names = tombstones.lock().unwrap();
            let member = |v: &Option<Value>, k: &str| {
                v.as_ref()
                    .and_then(|b| b.get(k))
                    .and_then(Value::as_str)
                    .map(str::to_string)
            };
            match x.operation() {
                "CreateChannel" if x.status == 200 => {
                    names.insert(member(&x.json, "ChannelArn")?, member(&x.json, "Name")?);
                    None
                }
                "DeleteChannel" if x.status == 200 => {
                    let reference = member(&x.request_json, "Channel")?;
                    let name = names
                        .iter()
                        .find(|(arn, _)| arn.ends_with(&reference))
                        .map(|(_, n)| n.clone())?;
                    names.insert(format!("deleted:{name}"), name);
                    None
                }
                "CreateChannel" => None,
                _ => None,
            }
            .or_else(|| {
                let name = member(&x.request_json, "Name")?;
                (x.operation() == "CreateChannel" && names.contains_key(&format!("deleted:{name}")))
                    .then(|| Reply::error(400, "ChannelAlreadyExistsException"))
            })
        }),
    ));
    faults
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fault_in_any_single_rule_fails_the_suite_and_names_the_rule() {
    let faults = faults();
    let covered: BTreeSet<RuleId> = faults.iter().map(|(rule, _)| *rule).collect();
    let untested: Vec<&str> = RuleId::ALL
        .iter()
        .filter(|r| !covered.contains(r) && **r != RuleId::P9)
        .map(|r| r.as_str())
        .collect();
    assert!(untested.is_empty(), "rules without a fault: {untested:?}");

    let mut missed = Vec::new();
    for (rule, fault) in faults {
        let endpoint = rewritten(fault).await;
        // The lifecycle scenarios have faults of their own (below); leaving
        // them out keeps this loop over every rule's fault quick.
        let report = run_suite(
            &endpoint.url,
            corpus(Selection {
                skip_tags: vec!["auth".into(), "lifecycle".into()],
                ..Selection::default()
            }),
        )
        .await;
        let named = failing_rules(&report);
        if report.conforms() || !named.contains(rule.as_str()) {
            missed.push(format!(
                "{rule}: conforms={} failing rules={named:?}",
                report.conforms()
            ));
        }
    }
    assert!(
        missed.is_empty(),
        "faults the corpus did not catch:\n{}",
        missed.join("\n")
    );
}

/// P9 needs an endpoint that checks signatures; the emulator does not, so a
/// proxy that does stands for the conforming one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authentication_scenarios_tell_enforcing_from_open_endpoints() {
    let enforcing = rewrite(|x| match x.authorization.as_deref() {
        None => Some(Reply::error(400, "MissingAuthenticationTokenException")),
        Some(auth) if !auth.contains("Credential=AKIDCTCONFORMLOCAL/") => {
            Some(Reply::error(403, "UnrecognizedClientException"))
        }
        Some(auth) if auth.ends_with("Signature=00") => {
            Some(Reply::error(403, "InvalidSignatureException"))
        }
        Some(_) => None,
    });
    let auth_only = || {
        corpus(Selection {
            tags: vec!["auth".into()],
            ..Selection::default()
        })
    };
    assert!(!auth_only().is_empty());
    let enforcing = rewritten(enforcing).await;
    let report = run_suite(&enforcing.url, auth_only()).await;
    let reasons: Vec<String> = report
        .scenarios
        .iter()
        .map(|s| format!("{} {:?} {:?}", s.name, s.verdict, s.reason))
        .collect();
    assert!(
        report.conforms(),
        "an enforcing endpoint conforms: {reasons:#?} leaks {:?}",
        report.leaks
    );
    let open = rewritten(rewrite(|_| None)).await;
    let report = run_suite(&open.url, auth_only()).await;
    assert!(failing_rules(&report).contains("P9"));
}

/// Rewrites every answer into another form the contract allows.
fn lenient(x: &Exchange) -> Option<Reply> {
    let mut body = x.json.clone()?;
    if x.status < 300 {
        body.as_object_mut()?
            .insert("UnmodelledMember".into(), Value::from(true));
        return Some(Reply::json(x.status, &body));
    }
    let message = body
        .get("message")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let code = match message.split("conforming codes: ").nth(1) {
        Some(rest) => rest
            .trim_end_matches(']')
            .split(", ")
            .last()
            .unwrap_or_default()
            .to_string(),
        None => body
            .get("__type")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
    };
    let status = if code.ends_with("NotFoundException") {
        400
    } else {
        ctconform::contract::ErrorCode::parse(&code)
            .map_or(x.status, |c| *c.statuses().last().unwrap())
    };
    let mut reply = match x.request.len() % 3 {
        0 => Reply::json(
            status,
            &serde_json::json!({ "__type": format!("com.amazonaws.cloudtrail.v20131101#{code}"), "Message": "another text" }),
        ),
        1 => Reply::json(
            status,
            &serde_json::json!({ "code": format!("{code}:http://internal.amazon.com/coral/"), "message": "" }),
        ),
        _ => Reply::json(
            status,
            &serde_json::json!({ "__type": "SomethingElse", "message": "the header wins" }),
        ),
    };
    reply.headers.push((
        "x-amzn-ErrorType".into(),
        format!("{code}:http://internal.amazon.com/coral/com.amazon.coral.service/"),
    ));
    Some(reply)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endpoint_differing_only_where_the_contract_allows_conforms() {
    let endpoint = rewritten(rewrite(lenient)).await;
    let report = run_suite(
        &endpoint.url,
        corpus(Selection {
            skip_tags: vec!["auth".into()],
            ..Selection::default()
        }),
    )
    .await;
    let failures = common::not_passed(&report);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

// --- Lifecycle, Regions, paging, atomicity, whole successes (issue 14) ---

/// The lifecycle scenarios (`scenarios/lifecycle/`).
fn lifecycle_corpus() -> Vec<Scenario> {
    corpus(Selection {
        filters: vec!["lifecycle".into()],
        ..Selection::default()
    })
}

fn member(value: &Option<Value>, key: &str) -> Option<String> {
    value.as_ref()?.get(key)?.as_str().map(str::to_string)
}

fn is_bare_id(location: &str) -> bool {
    !location.contains(':')
}

/// A fault that breaks one lifecycle property: the rule its scenarios name,
/// what it changes in answers and, for some, in requests.
struct LifecycleFault {
    what: &'static str,
    rule: &'static str,
    rewrite: Rewrite,
    request_rewrite: Option<common::RequestRewrite>,
}

fn lifecycle_faults() -> Vec<LifecycleFault> {
    let fault = |what, rule, rewrite| LifecycleFault {
        what,
        rule,
        rewrite,
        request_rewrite: None,
    };
    let mut faults = vec![
        fault(
            "a success with no x-amzn-RequestId",
            "P3",
            rewrite(|x| {
                (x.status == 200 && x.operation() == "GetChannel").then(|| Reply {
                    without_request_id: true,
                    ..Reply::json(200, x.json.as_ref().unwrap())
                })
            }),
        ),
        fault(
            "a store pending deletion accepted when named by its bare id",
            "E4",
            rewrite(|x| {
                let bare = x
                    .request_json
                    .as_ref()
                    .and_then(|b| b.get("Destinations"))
                    .and_then(Value::as_array)
                    .is_some_and(|d| {
                        d.iter()
                            .filter_map(|d| d.get("Location").and_then(Value::as_str))
                            .any(is_bare_id)
                    });
                (bare && x.refused_rule() == Some("E4")).then(|| fabricated_success(x))
            }),
        ),
        fault(
            "a second Region's ARN names the run's Region",
            "OK1",
            rewrite(|x| {
                let region = x.region.as_deref()?;
                if x.status != 200 || x.operation() != "CreateChannel" || region == "us-east-1" {
                    return None;
                }
                let mut body = x.json.clone()?;
                let arn = member(&x.json, "ChannelArn")?.replace(region, "us-east-1");
                body["ChannelArn"] = Value::from(arn);
                Some(Reply::json(200, &body))
            }),
        ),
        fault(
            "GetEventDataStore shows a stopped store ENABLED",
            "OP2",
            rewrite(|x| {
                let mut body = x.json.clone()?;
                (x.status == 200
                    && x.operation() == "GetEventDataStore"
                    && body.get("Status")? == "STOPPED_INGESTION")
                    .then(|| {
                        body["Status"] = Value::from("ENABLED");
                        Reply::json(200, &body)
                    })
            }),
        ),
        fault(
            "no 10-store quota",
            "OP1",
            rewrite(|x| {
                (x.status >= 400
                    && x.json.as_ref()?.get("__type")?.as_str()?
                        == "EventDataStoreMaxLimitExceededException")
                    .then(|| {
                        let mut body = x.request_json.clone().unwrap_or_default();
                        body["EventDataStoreArn"] = Value::from(format!(
                            "arn:aws:cloudtrail:{}:123456789012:eventdatastore/{}",
                            x.region.as_deref().unwrap_or("us-east-1"),
                            uuid::Uuid::new_v4()
                        ));
                        body["Status"] = Value::from("ENABLED");
                        Reply::json(200, &body)
                    })
            }),
        ),
        fault(
            "ListEventDataStores ends after the first page",
            "OP1",
            rewrite(|x| {
                let mut body = x.json.clone()?;
                (x.status == 200
                    && x.operation() == "ListEventDataStores"
                    && body.as_object_mut()?.remove("NextToken").is_some())
                .then(|| Reply::json(200, &body))
            }),
        ),
        fault(
            "an invalid NextToken answered with an empty page",
            "OK2",
            rewrite(|x| {
                (x.refused_rule().is_some()
                    && x.json.as_ref()?.get("__type")?.as_str()? == "InvalidNextTokenException"
                    && x.operation() == "ListChannels")
                    .then(|| Reply::json(200, &serde_json::json!({ "Channels": [] })))
            }),
        ),
    ];
    faults.push(LifecycleFault {
        what: "MaxResults ignored on ListChannels",
        rule: "OK2",
        rewrite: rewrite(|_| None),
        request_rewrite: Some(Arc::new(|x| {
            let mut body = x.request_json.clone()?;
            (x.operation() == "ListChannels"
                && body.as_object_mut()?.remove("MaxResults").is_some())
            .then_some(body)
        })),
    });
    // Channel names account-wide: a Name taken in one Region is refused in another.
    let names: Arc<Mutex<BTreeMap<String, String>>> = Arc::default();
    faults.push(fault(
        "channel names account-wide across Regions",
        "C1",
        rewrite(move |x| {
            if x.operation() != "CreateChannel" {
                return None;
            }
            let name = member(&x.request_json, "Name")?;
            let region = x.region.clone().unwrap_or_default();
            let mut names = names.lock().unwrap();
            if x.status == 0 {
                let elsewhere = names.get(&name).is_some_and(|r| *r != region);
                return elsewhere.then(|| Reply::error(400, "ChannelAlreadyExistsException"));
            }
            if x.status == 200 {
                names.insert(name, region);
            }
            None
        }),
    ));
    // A refused create keeps its Name: it was half-created.
    let refused: Arc<Mutex<BTreeSet<String>>> = Arc::default();
    faults.push(fault(
        "a create refused for a destination or a tag takes its Name",
        "E3",
        rewrite(move |x| {
            if x.operation() != "CreateChannel" {
                return None;
            }
            let name = member(&x.request_json, "Name")?;
            let mut refused = refused.lock().unwrap();
            if x.status == 0 {
                return refused
                    .contains(&name)
                    .then(|| Reply::error(400, "ChannelAlreadyExistsException"));
            }
            if matches!(x.refused_rule(), Some(rule) if rule.starts_with('E') || rule.starts_with('T') || rule.starts_with('D')) {
                refused.insert(name);
            }
            None
        }),
    ));
    // A refused update is applied all the same, as far as GetChannel shows.
    let asked: Arc<Mutex<BTreeMap<String, String>>> = Arc::default();
    faults.push(fault(
        "a refused UpdateChannel renames the channel",
        "OP5",
        rewrite(move |x| {
            let mut asked = asked.lock().unwrap();
            match x.operation() {
                "UpdateChannel" if x.status >= 400 => {
                    let channel = member(&x.request_json, "Channel")?;
                    asked.insert(channel, member(&x.request_json, "Name")?);
                    None
                }
                "GetChannel" if x.status == 200 => {
                    let arn = member(&x.json, "ChannelArn")?;
                    let name = asked
                        .iter()
                        .find(|(channel, _)| arn.ends_with(channel.as_str()))
                        .map(|(_, name)| name.clone())?;
                    let mut body = x.json.clone()?;
                    body["Name"] = Value::from(name);
                    Some(Reply::json(200, &body))
                }
                _ => None,
            }
        }),
    ));
    // A deleted channel lingers in ListChannels.
    let deleted: Arc<Mutex<Vec<Value>>> = Arc::default();
    let known: Arc<Mutex<BTreeMap<String, String>>> = Arc::default();
    faults.push(fault(
        "a deleted channel stays listed",
        "OK3",
        rewrite(move |x| match x.operation() {
            "CreateChannel" if x.status == 200 => {
                known
                    .lock()
                    .unwrap()
                    .insert(member(&x.json, "ChannelArn")?, member(&x.json, "Name")?);
                None
            }
            "DeleteChannel" if x.status == 200 => {
                let reference = member(&x.request_json, "Channel")?;
                let known = known.lock().unwrap();
                let (arn, name) = known.iter().find(|(arn, _)| arn.ends_with(&reference))?;
                deleted
                    .lock()
                    .unwrap()
                    .push(serde_json::json!({ "ChannelArn": arn, "Name": name }));
                None
            }
            "ListChannels" if x.status == 200 => {
                let mut body = x.json.clone()?;
                let channels = body.get_mut("Channels")?.as_array_mut()?;
                channels.extend(deleted.lock().unwrap().iter().cloned());
                Some(Reply::json(200, &body))
            }
            _ => None,
        }),
    ));
    faults
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lifecycle_fault_fails_the_lifecycle_scenarios_and_names_its_rule() {
    let mut missed = Vec::new();
    for fault in lifecycle_faults() {
        let endpoint = common::rewritten_with(fault.request_rewrite, fault.rewrite).await;
        let report = run_suite(&endpoint.url, lifecycle_corpus()).await;
        let named = failing_rules(&report);
        if report.conforms() || !named.contains(fault.rule) {
            missed.push(format!(
                "{} ({}): conforms={} failing rules={named:?}",
                fault.what,
                fault.rule,
                report.conforms()
            ));
        }
    }
    assert!(
        missed.is_empty(),
        "lifecycle faults the scenarios did not catch:\n{}",
        missed.join("\n")
    );
}

/// An endpoint that pages whenever it likes (two items a page unless asked
/// for fewer: section 7 allows it) conforms.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endpoint_paging_by_default_conforms() {
    let pages_of_two: common::RequestRewrite = Arc::new(|x| {
        let mut body = x
            .request_json
            .clone()
            .unwrap_or_else(|| serde_json::json!({}));
        let listing = matches!(x.operation(), "ListChannels" | "ListEventDataStores");
        (listing && body.get("MaxResults").is_none()).then(|| {
            body["MaxResults"] = Value::from(2);
            body
        })
    });
    let endpoint = common::rewritten_with(Some(pages_of_two), rewrite(|_| None)).await;
    let report = run_suite(&endpoint.url, lifecycle_corpus()).await;
    let failures = common::not_passed(&report);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The fuzzer finds the lifecycle faults too (issue 14 item 9): each fault
/// above, behind an otherwise conforming endpoint, gives the fuzzer a
/// divergence within its case budget (the one `fuzz_faults` uses). Left
/// out, with why, in `FUZZ_NOT_FOUND`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_fuzzer_finds_the_lifecycle_faults() {
    let mut missed = Vec::new();
    for (index, fault) in lifecycle_faults().into_iter().enumerate() {
        if FUZZ_NOT_FOUND.iter().any(|(what, _)| *what == fault.what) {
            continue;
        }
        let endpoint = common::rewritten_with(fault.request_rewrite, fault.rewrite).await;
        let started = std::time::Instant::now();
        let report = ctconform::fuzz(ctconform::FuzzOptions {
            endpoint: Some(endpoint.url.clone()),
            duration: Some(std::time::Duration::from_secs(300)),
            cases: Some(12_000),
            seed: 1,
            jobs: 4,
            run_id: Some(format!("lifecycle{index}")),
            max_findings: Some(1),
            shrink_budget: 0,
            ..ctconform::FuzzOptions::default()
        })
        .await;
        assert!(report.error.is_none(), "{}: {:?}", fault.what, report.error);
        let rules: Vec<String> = report.findings.iter().map(|f| f.rules.join("+")).collect();
        eprintln!(
            "{} ({}): {} cases, {:?}, findings {rules:?}",
            fault.what,
            fault.rule,
            report.cases,
            started.elapsed()
        );
        if report.findings.is_empty() {
            missed.push(format!(
                "{} ({}): {} cases",
                fault.what, fault.rule, report.cases
            ));
        }
    }
    assert!(
        missed.is_empty(),
        "lifecycle faults the fuzzer did not find:\n{}",
        missed.join("\n")
    );
}

/// Lifecycle faults the fuzzer does not find within the budget, and why;
/// the scenarios catch them (above).
const FUZZ_NOT_FOUND: &[(&str, &str)] = &[(
    "GetEventDataStore shows a stopped store ENABLED",
    "a session must make a store of another category, stop it and read it \
     back, in that order; none did in 12,000 cases (seed 1)",
)];
