//! Staging-grade runs (contract section 8): the real binary's suite and a
//! bounded fuzz against the emulator in chaos mode on 127.0.0.1 —
//! throttling, transient 5xx, latency, and all three — conform; under
//! `--retries 0` throttling leaves scenarios indeterminate with a reason,
//! never failed; a persistent 500 still fails; a create retried after a
//! fault that came after the work is read back, not reported as C1;
//! nothing leaks; secrets stay masked in the attempts' reports.
//!
//! The 5xx modes run with `--retries 4`: a fault every 25th request hits a
//! request's every attempt with a chance of (1/25)^attempts, which at the
//! default 3 attempts over a suite is a few percent — a flaky test.

use crate::harness;

use std::path::Path;
use std::time::Duration;

use ctconform::emulator::{ChaosConfig, Emulator, EmulatorConfig};
use ctconform::wire::{Client, ClientConfig, Request};
use harness::{FakeCredentials, Finished, TempDir};
use serde_json::{json, Value};

const LIMIT: Duration = Duration::from_secs(300);

/// The emulator behind `chaos`, on its own runtime, for a test's length.
struct ChaosEndpoint {
    runtime: tokio::runtime::Runtime,
    emulator: Emulator,
}

impl ChaosEndpoint {
    fn start(chaos: ChaosConfig) -> ChaosEndpoint {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let emulator = runtime
            .block_on(Emulator::start_with_chaos(
                EmulatorConfig::default(),
                Some(chaos),
                "127.0.0.1:0".parse().unwrap(),
            ))
            .unwrap();
        ChaosEndpoint { runtime, emulator }
    }

    fn url(&self) -> String {
        self.emulator.url()
    }

    /// Channels left on the endpoint (read through the chaos, retrying).
    fn channels(&self) -> Vec<String> {
        let body = self.call("ListChannels", json!({}));
        body["Channels"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|c| c["Name"].as_str().unwrap_or_default().to_string())
            .collect()
    }

    /// One call with a client that keeps retrying whatever comes back.
    fn call(&self, operation: &str, input: Value) -> Value {
        self.runtime.block_on(async {
            let mut config = ClientConfig::new(self.url(), "us-east-1");
            config.retry = ctconform::wire::RetryPolicy::with_retries(10);
            let client = Client::new(config).await.unwrap().persistent();
            let outcome = client.send(&Request::json(operation, input)).await;
            outcome
                .response()
                .and_then(|r| r.json.clone().ok())
                .unwrap_or(Value::Null)
        })
    }
}

fn throttle() -> ChaosConfig {
    ChaosConfig {
        throttle: Some(25.0),
        ..ChaosConfig::default()
    }
}

fn faults(fail_every: u64) -> ChaosConfig {
    ChaosConfig {
        fail_every: Some(fail_every),
        fail_status: 503,
        ..ChaosConfig::default()
    }
}

fn latency() -> ChaosConfig {
    ChaosConfig {
        latency: Duration::from_millis(80),
        ..ChaosConfig::default()
    }
}

fn all_three() -> ChaosConfig {
    ChaosConfig {
        throttle: Some(25.0),
        fail_every: Some(25),
        fail_status: 503,
        latency: Duration::from_millis(80),
        ..ChaosConfig::default()
    }
}

fn read_json(path: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The suite against `chaos` with `extra` flags: its run, JSON report and
/// JUnit text; the endpoint is checked for leftovers.
fn suite(name: &str, chaos: ChaosConfig, extra: &[&str]) -> (Finished, Value, String) {
    let endpoint = ChaosEndpoint::start(chaos);
    let dir = TempDir::new(name);
    let (json_path, junit_path, markdown_path) = (
        dir.file("report.json"),
        dir.file("report.xml"),
        dir.file("report.md"),
    );
    let url = endpoint.url();
    let reports: Vec<String> = [
        ("json", &json_path),
        ("junit", &junit_path),
        ("markdown", &markdown_path),
    ]
    .iter()
    .map(|(format, path)| format!("{format}={path}"))
    .collect();
    // A fresh serve each time: its store quota has room for the scenarios
    // that make stores of their own.
    let mut args = vec!["run", "--endpoint", &url, "--create-stores"];
    for report in &reports {
        args.extend(["--report", report.as_str()]);
    }
    args.extend_from_slice(extra);
    let finished = harness::ctconform(&args, LIMIT);
    assert!(!finished.killed, "{name}: hung\n{}", finished.text());
    assert!(
        !finished.text().contains("panicked"),
        "{name}: {}",
        finished.text()
    );
    let left = endpoint.channels();
    assert!(left.is_empty(), "{name}: left behind {left:?}");
    let report = read_json(&json_path);
    assert_eq!(report["leaks"], json!([]), "{name}");
    let markdown = std::fs::read_to_string(&markdown_path).unwrap();
    let junit = std::fs::read_to_string(&junit_path).unwrap();
    if report["counts"]["indeterminate"].as_u64() > Some(0) {
        assert!(markdown.contains("indeterminate"), "{name}: {markdown}");
    }
    (finished, report, junit)
}

/// Every scenario passed; the run says what retrying cost.
fn assert_conforms(name: &str, finished: &Finished, report: &Value) {
    assert_eq!(finished.code, Some(0), "{name}:\n{}", finished.text());
    let counts = &report["counts"];
    assert_eq!(counts["failed"], 0, "{name}");
    assert_eq!(counts["errored"], 0, "{name}");
    assert_eq!(counts["indeterminate"], 0, "{name}");
    assert!(counts["passed"].as_u64() > Some(100), "{name}: {counts}");
    assert!(
        finished.stdout.contains("retries: "),
        "{name}:\n{}",
        finished.stdout
    );
    let last: Vec<&str> = finished.stdout.lines().rev().take(1).collect();
    assert!(
        regex::Regex::new(r"^\d+ passed, \d+ failed, \d+ skipped$")
            .unwrap()
            .is_match(last[0]),
        "{name}: {last:?}"
    );
}

/// A bounded fuzz against `chaos`: no divergence, nothing left.
fn fuzz(name: &str, chaos: ChaosConfig, extra: &[&str]) -> Finished {
    let endpoint = ChaosEndpoint::start(chaos);
    let url = endpoint.url();
    let mut args = vec![
        "fuzz",
        "--endpoint",
        &url,
        "--cases",
        "150",
        "--seed",
        "7",
        "--jobs",
        "4",
    ];
    args.extend_from_slice(extra);
    let finished = harness::ctconform(&args, LIMIT);
    assert_eq!(finished.code, Some(0), "{name}:\n{}", finished.text());
    assert!(
        finished.stdout.contains("0 divergences"),
        "{name}:\n{}",
        finished.stdout
    );
    let left = endpoint.channels();
    assert!(left.is_empty(), "{name}: left behind {left:?}");
    finished
}

#[test]
fn the_suite_and_the_fuzzer_conform_through_throttling() {
    let (finished, report, _) = suite("throttle", throttle(), &[]);
    assert_conforms("throttle", &finished, &report);
    assert!(report["wire"]["throttled"].as_u64() > Some(0), "{report}");
    assert!(
        finished.stdout.contains("settled at"),
        "{}",
        finished.stdout
    );
    fuzz("throttle fuzz", throttle(), &[]);
}

#[test]
fn throttling_past_the_budget_is_indeterminate_never_a_failure() {
    let (finished, report, junit) = suite("throttle-0", throttle(), &["--retries", "0"]);
    let counts = &report["counts"];
    assert_eq!(counts["failed"], 0, "{}", finished.text());
    assert_eq!(counts["errored"], 0, "{}", finished.text());
    let undecided = counts["indeterminate"].as_u64().unwrap();
    let scenarios = report["scenarios"].as_array().unwrap();
    for scenario in scenarios {
        match scenario["verdict"].as_str().unwrap() {
            "pass" => {}
            "indeterminate" => {
                let reason = scenario["reason"].as_str().unwrap();
                assert!(
                    reason.contains("throttled past the retry budget"),
                    "{reason}"
                );
                assert!(reason.contains("ThrottlingException"), "{reason}");
            }
            other => panic!("{}: {other}", scenario["name"]),
        }
    }
    // The fuzzer judges no throttled answer: it counts them.
    let fuzzed = fuzz("throttle-0 fuzz", throttle(), &["--retries", "0"]);
    assert!(
        fuzzed
            .stdout
            .contains("throttled past the retry budget (not judged)"),
        "{}",
        fuzzed.stdout
    );
    if undecided == 0 {
        // The pacing kept every request under the rate: a clean pass.
        assert_eq!(finished.code, Some(0), "{}", finished.text());
        return;
    }
    // Incomplete, not clean: exit 1 with its own words.
    assert_eq!(finished.code, Some(1), "{}", finished.text());
    assert!(
        finished.stderr.contains("incomplete"),
        "{}",
        finished.stderr
    );
    assert_eq!(report["incomplete"], true);
    let lines: Vec<&str> = finished.stdout.lines().rev().take(2).collect();
    assert_eq!(lines[1], format!("{undecided} indeterminate"));
    assert!(
        lines[0].ends_with(" passed, 0 failed, 0 skipped"),
        "{lines:?}"
    );
    let skipped = regex::Regex::new(
        r#"<skipped message="indeterminate: [^"]*throttled past the retry budget"#,
    )
    .unwrap();
    assert!(skipped.is_match(&junit), "{junit}");
}

#[test]
fn transient_faults_are_retried_and_passes_after_them_are_flaky() {
    let (finished, report, junit) = suite("5xx", faults(25), &["--retries", "4"]);
    assert_conforms("5xx", &finished, &report);
    assert!(report["counts"]["flaky"].as_u64() > Some(0), "{report}");
    assert!(junit.contains("<flakyFailure"), "{junit}");
    assert!(junit.contains("503 ServiceUnavailableException"));
    let flaky_step = report["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["steps"].as_array().unwrap())
        .find(|step| step["flaky"] == true)
        .unwrap();
    assert_eq!(flaky_step["retried"][0]["status"], 503);
    assert_eq!(flaky_step["retried"][0]["retryable"], "transient");
    fuzz("5xx fuzz", faults(25), &["--retries", "4"]);
}

#[test]
fn latency_costs_time_only() {
    let (finished, report, _) = suite("latency", latency(), &[]);
    assert_conforms("latency", &finished, &report);
    assert_eq!(report["wire"]["retries"], 0);
    fuzz("latency fuzz", latency(), &[]);
}

#[test]
fn throttling_faults_and_latency_together_cost_time_only() {
    let (finished, report, _) = suite("all", all_three(), &["--retries", "4"]);
    assert_conforms("all", &finished, &report);
    fuzz("all fuzz", all_three(), &["--retries", "4"]);
}

#[test]
fn a_persistent_server_fault_still_fails() {
    let endpoint = ChaosEndpoint::start(ChaosConfig {
        fail_every: Some(1),
        fail_status: 500,
        ..ChaosConfig::default()
    });
    let url = endpoint.url();
    let store = "fixture.eds_integration=arn:aws:cloudtrail:us-east-1:123456789012:eventdatastore/00000000-0000-4000-8000-000000000000";
    let finished = harness::ctconform(
        &[
            "run",
            "--endpoint",
            &url,
            "--rule",
            "N2",
            "--var",
            store,
            "--format",
            "json",
        ],
        LIMIT,
    );
    assert_eq!(finished.code, Some(1), "{}", finished.text());
    let report: Value = serde_json::from_str(&finished.stdout).unwrap();
    assert!(report["counts"]["failed"].as_u64() > Some(0), "{report}");
    assert_eq!(report["counts"]["indeterminate"], 0);
    let failed = report["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["verdict"] == "fail")
        .unwrap();
    let step = &failed["steps"][0];
    assert_eq!(step["answer"]["status"], 500, "{step}");
    // Every attempt is in the report: the two retries, then the answer.
    assert_eq!(step["retried"].as_array().unwrap().len(), 2, "{step}");
}

/// The store a scenario needs, made through the chaos with a read-back of
/// our own: a fixture's create meeting "already exists" is the runner's
/// fixtures' business, not this test's.
fn store_arn(endpoint: &ChaosEndpoint, name: &str) -> String {
    let made = endpoint.call(
        "CreateEventDataStore",
        json!({"Name": name, "RetentionPeriod": 7, "TerminationProtectionEnabled": false,
               "AdvancedEventSelectors": [{"FieldSelectors": [{"Field": "eventCategory", "Equals": ["ActivityAuditLog"]}]}]}),
    );
    if let Some(arn) = made["EventDataStoreArn"].as_str() {
        return arn.to_string();
    }
    let listed = endpoint.call("ListEventDataStores", json!({}));
    listed["EventDataStores"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["Name"] == name)
        .and_then(|s| s["EventDataStoreArn"].as_str())
        .unwrap()
        .to_string()
}

#[test]
fn a_retried_create_meeting_its_own_channel_is_read_back_not_c1() {
    // Every 2nd request is processed and its answer lost to a 503; one job
    // sends one request at a time, so past the first fault every request's
    // first attempt draws one, and every create's retry meets the channel
    // its first attempt made.
    let endpoint = ChaosEndpoint::start(ChaosConfig {
        fail_every: Some(2),
        fail_status: 503,
        fail_after_work: true,
        ..ChaosConfig::default()
    });
    let url = endpoint.url();
    let store = format!(
        "fixture.eds_integration={}",
        store_arn(&endpoint, "chaos-fixture")
    );
    let finished = harness::ctconform(
        &[
            "run",
            "--endpoint",
            &url,
            "--jobs",
            "1",
            "--filter",
            "success-ok1-channel-arn-format",
            // A create meeting a channel its scenario made on purpose is
            // C1 all the same, resolved or not.
            "--filter",
            "state-c1-duplicate-name",
            "--var",
            &store,
            "--format",
            "json",
        ],
        LIMIT,
    );
    assert_eq!(finished.code, Some(0), "{}", finished.text());
    let report: Value = serde_json::from_str(&finished.stdout).unwrap();
    let scenario = |name: &str| {
        report["scenarios"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == name)
            .unwrap()
            .clone()
    };
    let duplicate = scenario("state-c1-duplicate-name");
    assert_eq!(duplicate["verdict"], "pass", "{duplicate}");
    let second = duplicate["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "second-create")
        .unwrap();
    assert_eq!(
        second["answer"]["error_code"],
        "ChannelAlreadyExistsException"
    );
    assert!(second.get("resolved").is_none(), "{second}");
    // Its first attempt was processed too: the guard, not luck, kept C1.
    assert_eq!(second["retried"][0]["status"], 503, "{second}");
    let ok1 = scenario("success-ok1-channel-arn-format");
    let steps = ok1["steps"].as_array().unwrap();
    let create = steps
        .iter()
        .find(|s| s["operation"] == "CreateChannel")
        .unwrap();
    let resolved = create["resolved"].as_str().unwrap_or_default();
    assert!(
        resolved.contains("ChannelAlreadyExistsException") && resolved.contains("read back"),
        "{create}"
    );
    assert_eq!(create["verdict"], "pass");
    assert_eq!(report["leaks"], json!([]));
    assert_eq!(report["created"]["channels"], 2, "{report}");
    assert!(endpoint.channels().is_empty());
}

#[test]
fn retry_reports_hold_no_secret() {
    const FAKE: FakeCredentials = FakeCredentials {
        access_key_id: "AKIAFAKECTCCHAOS0042",
        secret_access_key: "fakeSecret/ctconformCHAOS+wJalrXUtnFEMI0042",
        session_token: "FakeSessionToken//ctconformCHAOS0042+IQoJb3JpZ2luX2VjEJr",
    };
    let endpoint = ChaosEndpoint::start(all_three());
    let url = endpoint.url();
    let dir = TempDir::new("secrets");
    let reports: Vec<String> = ["json", "junit", "markdown"]
        .iter()
        .map(|format| format!("{format}={}", dir.file(&format!("report.{format}"))))
        .collect();
    let command = harness::with_fake_credentials(
        &[
            "run",
            "--endpoint",
            &url,
            "--credentials",
            "chain",
            "--retries",
            "1",
            "--rule",
            "N2",
            "--rule",
            "OK1",
            "--report",
            &reports[0],
            "--report",
            &reports[1],
            "--report",
            &reports[2],
        ],
        &FAKE,
    );
    let finished = harness::run(command, LIMIT);
    assert!(finished.stdout.contains("retries: "), "{}", finished.text());
    let signature = regex::Regex::new(r"Signature=[0-9a-f]{64}").unwrap();
    let mut texts = vec![("output".to_string(), finished.text())];
    for entry in std::fs::read_dir(&dir.0).unwrap().flatten() {
        let path = entry.path();
        texts.push((
            path.display().to_string(),
            std::fs::read_to_string(Path::new(&path)).unwrap(),
        ));
    }
    for (what, text) in texts {
        for secret in FAKE.secrets() {
            assert!(!text.contains(secret), "{what} shows a secret");
        }
        assert!(!signature.is_match(&text), "{what} shows a signature");
    }
}
