//! The fuzzer as a model-based tester in two Regions and under concurrency
//! (issue 14 items 8 and 9): it finds an endpoint that keeps channel names
//! account-wide across Regions, one that counts the store quota
//! account-wide, and one whose uniqueness check races (creates one after
//! another are refused, creates at once both succeed), each within a case
//! budget; and it finds nothing in two conforming endpoints (the embedded
//! emulator and the N-version witness) with both Regions and concurrent
//! groups exercised. Faults are made as in tests/mutations.rs: a proxy in
//! front of the reference emulator (tests/common) rewrites answers.
//!
//! The budget is in cases, not seconds (a loaded machine cannot fail it);
//! how long each fault took is printed:
//! `cargo test --release --test integration fuzz_regions:: -- --nocapture`.

use crate::common;
use crate::witness;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{fabricated_success, rewritten, Exchange, Reply, Rewrite};
use ctconform::contract::shapes::STORE_QUOTA;
use ctconform::fuzz::{fuzz, FuzzOptions, FuzzReport};
use serde_json::Value;

/// Cases the fuzzer may take to find one fault (as tests/fuzz_faults.rs).
const CASES: u64 = 12_000;

/// Only a stop for a wedged run: the verdict is the case budget's.
const WALL: Duration = Duration::from_secs(300);

fn rewrite(f: impl Fn(&Exchange) -> Option<Reply> + Send + Sync + 'static) -> Rewrite {
    Arc::new(f)
}

fn member(value: &Option<Value>, key: &str) -> Option<String> {
    value.as_ref()?.get(key)?.as_str().map(str::to_string)
}

/// The Region of a signed request (every request the fuzzer sends is).
fn region_of(x: &Exchange) -> String {
    x.region.clone().unwrap_or_else(|| "us-east-1".into())
}

/// A made-up CreateChannel success, its ARN in the request's Region.
fn made_up_channel(x: &Exchange) -> Reply {
    let mut reply = fabricated_success(x);
    let mut body: Value = serde_json::from_slice(&reply.body).unwrap_or_default();
    body["ChannelArn"] = Value::from(format!(
        "arn:aws:cloudtrail:{}:123456789012:channel/{}",
        region_of(x),
        uuid::Uuid::new_v4()
    ));
    reply.body = serde_json::to_vec(&body).unwrap();
    reply
}

/// C1 across Regions, as localemu 1.3.2 does: a create its Region accepts
/// is refused when another Region has a channel of that Name (the channel
/// made behind the refusal is swept by the run like any leftover).
fn names_account_wide() -> Rewrite {
    let names: Arc<Mutex<BTreeMap<String, String>>> = Arc::default();
    rewrite(move |x| {
        if x.operation() != "CreateChannel" || x.status != 200 {
            return None;
        }
        let name = member(&x.request_json, "Name")?;
        let region = region_of(x);
        let mut names = names.lock().unwrap();
        if names.get(&name).is_some_and(|r| *r != region) {
            return Some(Reply::error(400, "ChannelAlreadyExistsException"));
        }
        names.insert(name, region);
        None
    })
}

/// The store quota counted over the account: a create the Region would
/// accept is refused once all Regions together hold the quota (the store
/// made behind the refusal is swept by the run like any leftover).
fn store_quota_account_wide() -> Rewrite {
    let made: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
    rewrite(move |x| {
        if x.operation() != "CreateEventDataStore" || x.status != 200 {
            return None;
        }
        let mut made = made.lock().unwrap();
        let total: usize = made.values().sum();
        if total >= STORE_QUOTA {
            return Some(Reply::error(400, "EventDataStoreMaxLimitExceededException"));
        }
        *made.entry(region_of(x)).or_default() += 1;
        None
    })
}

/// A racy uniqueness check: a CreateChannel whose Name another create was
/// taking at the same moment is let through, though the emulator refused
/// it; one after another, creates are refused as they should be.
fn racy_name_check() -> Rewrite {
    struct Races {
        in_flight: HashMap<(String, String), usize>,
        raced: HashSet<(String, String)>,
    }
    let races = Arc::new(Mutex::new(Races {
        in_flight: HashMap::new(),
        raced: HashSet::new(),
    }));
    rewrite(move |x| {
        if x.operation() != "CreateChannel" {
            return None;
        }
        let key = (region_of(x), member(&x.request_json, "Name")?);
        let mut races = races.lock().unwrap();
        if x.status == 0 {
            let count = races.in_flight.entry(key.clone()).or_default();
            *count += 1;
            if *count > 1 {
                races.raced.insert(key);
            }
            return None;
        }
        let count = races.in_flight.entry(key.clone()).or_default();
        *count = count.saturating_sub(1);
        let last = *count == 0;
        let raced = races.raced.contains(&key);
        if last {
            races.raced.remove(&key);
        }
        let conflict = x
            .json
            .as_ref()
            .and_then(|b| b.get("__type"))
            .and_then(Value::as_str)
            == Some("ChannelAlreadyExistsException");
        (raced && conflict).then(|| made_up_channel(x))
    })
}

async fn fuzz_within_budget(url: &str, run_id: &str, max_findings: Option<usize>) -> FuzzReport {
    let started = Instant::now();
    let report = fuzz(FuzzOptions {
        endpoint: Some(url.to_string()),
        duration: Some(WALL),
        cases: Some(CASES),
        seed: 1,
        jobs: 4,
        run_id: Some(run_id.into()),
        max_findings,
        shrink_budget: 0,
        ..FuzzOptions::default()
    })
    .await;
    eprintln!(
        "{run_id}: {} cases ({} in {}, {} groups at once), {} findings, {:?}",
        report.cases,
        report.second_region_cases,
        report.region2,
        report.concurrent_groups,
        report.findings.len(),
        started.elapsed()
    );
    for finding in &report.findings {
        eprintln!(
            "  {:?} [{}] {}: {}",
            finding.class,
            finding.rules.join("+"),
            finding.actual,
            finding.reason
        );
    }
    assert!(report.error.is_none(), "{:?}", report.error);
    assert!(report.setup_failure.is_none(), "{:?}", report.setup_failure);
    report
}

fn describe(report: &FuzzReport) -> String {
    report
        .findings
        .iter()
        .map(|f| {
            format!(
                "{:?} [{}] {}: {}",
                f.class,
                f.rules.join("+"),
                f.actual,
                f.reason
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn names_kept_account_wide_across_regions_are_found() {
    let endpoint = rewritten(names_account_wide()).await;
    let report = fuzz_within_budget(&endpoint.url, "regname", Some(1)).await;
    let found = report.findings.iter().find(|f| {
        f.actual.contains("ChannelAlreadyExistsException")
            && f.expected.contains("CreateChannel success")
            && f.scenario.contains("${region2}")
    });
    let found = found.unwrap_or_else(|| panic!("not found:\n{}", describe(&report)));
    // The exported scenario sends the step to the second Region.
    assert!(
        found.scenario.contains("region = \"${region2}\""),
        "{}",
        found.scenario
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_quota_counted_account_wide_is_found() {
    let endpoint = rewritten(store_quota_account_wide()).await;
    let report = fuzz_within_budget(&endpoint.url, "regquota", Some(1)).await;
    // Refused where the oracle, counting per Region, required success: in
    // either Region, the fault shows only because the other holds stores
    // (the session's, other sessions', or the second Region's fixture, so
    // the finding's own steps need not name `${region2}`). A conforming
    // endpoint never answers so (the test above).
    let found = report.findings.iter().any(|f| {
        f.actual.contains("EventDataStoreMaxLimitExceededException")
            && f.expected.contains("CreateEventDataStore success")
    });
    assert!(found, "not found:\n{}", describe(&report));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_racy_uniqueness_check_is_found() {
    let endpoint = rewritten(racy_name_check()).await;
    let report = fuzz_within_budget(&endpoint.url, "race", Some(1)).await;
    let found = report
        .findings
        .iter()
        .find(|f| f.rules.iter().any(|r| r == "C1") && f.reason.contains("sent at once"));
    let found = found.unwrap_or_else(|| panic!("not found:\n{}", describe(&report)));
    // A scenario cannot send them at once: the finding says so.
    assert!(
        found.scenario.contains("were sent at once"),
        "{}",
        found.scenario
    );
}

/// The conforming endpoints: both Regions and concurrent groups are
/// exercised, and nothing is found.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conforming_endpoints_show_no_divergence_in_two_regions_and_under_concurrency() {
    let witness = witness::start().await;
    let proxy = rewritten(rewrite(|_| None)).await;
    for (label, url) in [("witness", &witness.url), ("emulator", &proxy.url)] {
        let report = fuzz_within_budget(url, label, None).await;
        assert!(
            report.findings.is_empty(),
            "{label}: {} divergences:\n{}",
            report.findings.len(),
            describe(&report)
        );
        assert!(
            report.second_region_cases > 0 && report.concurrent_groups > 0,
            "{label}: {} cases in region2, {} groups",
            report.second_region_cases,
            report.concurrent_groups
        );
        assert!(
            report.cleanup_failures.is_empty(),
            "{label}: {:?}",
            report.cleanup_failures
        );
    }
}
