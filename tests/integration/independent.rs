//! The N-version witness (`tests/witness/`): a second implementation of
//! the contract, written apart from `src/contract`, that takes the other
//! legitimate choice wherever the contract gives a set. The harness must find
//! it conforming: every scenario passes and the fuzzer reports no divergence.
//! A failure here means the harness (or the witness) misreads the contract;
//! `docs/witness.md` says how to tell which.

use crate::common;
use crate::witness;

use std::time::Duration;

use ctconform::fuzz::{fuzz, FuzzOptions};
use ctconform::runner::{self, RunOptions, Selection};
use ctconform::scenario;
use ctconform::wire::{Client, ClientConfig, Request as WireRequest};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_scenario_passes_against_the_witness() {
    let witness = witness::start().await;
    let scenarios = Selection {
        skip_tags: vec!["auth".into()],
        ..Selection::default()
    }
    .apply(scenario::load_dir("scenarios").expect("scenarios load"));
    let config = ClientConfig::new(witness.url.clone(), "us-east-1");
    let client = Client::new(config.clone()).await.expect("a client");
    let mut options = RunOptions::new(runner::new_run_id());
    options.endpoint_label = witness.url.clone();
    let report = runner::run(scenarios, client, config, options).await;
    let failures = common::not_passed(&report);
    assert!(
        failures.is_empty(),
        "{} scenarios did not pass against the witness:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(report.leaks.is_empty(), "leaks: {:?}", report.leaks);
}

/// The rules whose cases the fuzzer counts: every refusal of CreateChannel,
/// the protocol rules it bends, and the supporting operations (OP1 store
/// create/get/list, OP2 stop/start, OP3 store delete, OP4 channel
/// get/update/delete, OK2 get/list after create).
const FUZZED_RULES: &[&str] = &[
    "P4", "P5", "P6", "P7", "N1", "N2", "N3", "S1", "S2", "D1", "D2", "D3", "D4", "E1", "E2", "E3",
    "E4", "T1", "T2", "T3", "T4", "T5", "C1", "C2", "OK1", "OK2", "OK3", "OP1", "OP2", "OP3",
    "OP4",
];

/// Fixed seed, enough cases for every operation and rule the plans reach.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_fuzzer_finds_no_divergence_in_the_witness() {
    let witness = witness::start().await;
    let report = fuzz(FuzzOptions {
        endpoint: Some(witness.url.clone()),
        duration: Some(Duration::from_secs(30)),
        cases: Some(20_000),
        seed: 12,
        jobs: 4,
        run_id: Some("w".into()),
        ..FuzzOptions::default()
    })
    .await;
    assert!(report.error.is_none(), "{:?}", report.error);
    assert!(report.setup_failure.is_none(), "{:?}", report.setup_failure);
    assert!(
        !report.diverged(),
        "{} findings against the witness:\n{}",
        report.findings.len(),
        ctconform::report::fuzz_pretty(&report)
    );
    // Every rule a plan can break, and so every operation, was exercised.
    let untouched: Vec<&str> = FUZZED_RULES
        .iter()
        .copied()
        .filter(|rule| report.coverage.get(*rule).is_none_or(|n| *n == 0))
        .collect();
    assert!(untouched.is_empty(), "rules no case reached: {untouched:?}");
}

/// The witness differs from the reference emulator where the contract lets
/// it: if these choices drifted back, the witness would prove nothing.
#[tokio::test]
async fn the_witness_takes_the_other_choices() {
    let witness = witness::start().await;
    let client = Client::new(ClientConfig::new(witness.url.clone(), "us-east-1"))
        .await
        .unwrap();
    let call = |op: &'static str, body: serde_json::Value| {
        let client = &client;
        async move {
            let outcome = client.send(&WireRequest::json(op, body)).await;
            let response = outcome.response().expect("an answer").clone();
            (response.status, response.error_code, response.json.ok())
        }
    };
    let (status, code, _) = call("GetChannel", json!({"Channel": "ccc"})).await;
    assert_eq!(
        (status, code.as_deref()),
        (400, Some("ChannelARNInvalidException"))
    );
    let (status, code, _) = call(
        "GetChannel",
        json!({"Channel": "00000000-0000-4000-8000-00000000c7f0"}),
    )
    .await;
    assert_eq!(
        (status, code.as_deref()),
        (400, Some("ChannelNotFoundException"))
    );
    let (_, code, _) = call("StartEventDataStoreIngestion", json!({})).await;
    assert_eq!(code.as_deref(), Some("EventDataStoreARNInvalidException"));
    let (_, code, body) = call(
        "CreateEventDataStore",
        json!({"Name": "witness-store", "AdvancedEventSelectors": [{"FieldSelectors": [
            {"Field": "eventCategory", "Equals": ["ActivityAuditLog"]}]}]}),
    )
    .await;
    assert_eq!(code, None, "{body:?}");
    let store = body.unwrap()["EventDataStoreArn"].clone();
    let create = |name: &str, extra: serde_json::Value| {
        let mut body = json!({"Name": name, "Source": "Custom",
            "Destinations": [{"Type": "EVENT_DATA_STORE", "Location": store}]});
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        body
    };
    let (status, _, body) = call(
        "CreateChannel",
        create("with-empty-tags", json!({"Tags": []})),
    )
    .await;
    assert_eq!(status, 200);
    assert!(body.unwrap().get("Tags").is_none());
    let (_, code, _) = call(
        "CreateChannel",
        create("empty-value", json!({"Tags": [{"Key": "k", "Value": ""}]})),
    )
    .await;
    assert_eq!(code.as_deref(), Some("InvalidParameterException"));
    let (status, _, _) = call(
        "CreateChannel",
        create("lower-custom", json!({"Source": "custom"})),
    )
    .await;
    assert_eq!(status, 200);
}
