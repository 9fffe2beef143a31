//! The race scenarios catch racy implementations (issue 14 item 9): for each
//! race property of the corpus (one Name, one partner Source, the last slot
//! of the channel quota, a store's deletion against a channel pointing at
//! it) an endpoint whose check of that property alone is not atomic (check,
//! yield, act) fails the race scenarios of that property, naming its rule,
//! and passes every other race scenario; the conforming emulator passes
//! them all, run after run.
//!
//! The racy endpoint is built here from the contract's state model, as the
//! emulator is, so the shipped emulator carries no fault switch: an
//! accepted CreateChannel or DeleteEventDataStore is judged under the lock,
//! then waits `WINDOW` with the lock released, then is judged again. If by
//! then only the faulted rules refuse it, the stale plan is carried out
//! anyway: the check passed a moment ago and the act no longer looks. A
//! request refused at its first check is answered at once, so requests one
//! after another are answered right; only simultaneous ones diverge.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method};
use axum::response::Response;
use axum::Router;
use ctconform::contract::{
    judge_read, read_call, Call, CallBody, Fresh, Identity, Judged, Limits, MediaType, Operation,
    Region, RequestedOperation, RuleId,
};
use ctconform::emulator::{answer_read, Emulator, EmulatorConfig};
use ctconform::protocol::{self, Target};
use ctconform::runner::{self, RunOptions, RunReport, Verdict};
use ctconform::scenario::{self, Scenario};
use ctconform::wire::{Client, ClientConfig, RetryPolicy};
use tokio::net::TcpListener;

/// How long a racy check-then-act yields between its check and its act:
/// long enough that requests sent together are all checked before any
/// acts, whatever the load of the machine.
const WINDOW: Duration = Duration::from_millis(100);

/// The race scenarios: every scenario with a `parallel` or `race` step.
fn race_corpus() -> Vec<Scenario> {
    scenario::load_dir("scenarios")
        .expect("scenarios load")
        .into_iter()
        .filter(|s| {
            s.steps
                .iter()
                .any(|st| st.is_parallel() || st.race().is_some())
        })
        .collect()
}

/// A race property: the checks a racy implementation makes non-atomic, the
/// rule its scenarios must name, and those scenarios.
struct Property {
    what: &'static str,
    racy_checks: &'static [RuleId],
    named: &'static str,
    scenarios: &'static [&'static str],
    /// In the reason of each of them: the divergence is the race's.
    reason: &'static str,
}

const PROPERTIES: &[Property] = &[
    Property {
        what: "one Name (C1 checked, then acted on)",
        racy_checks: &[RuleId::C1],
        named: "OK4",
        scenarios: &[
            "success-ok4-create-race-8",
            "success-ok4-create-race-16",
            "lifecycle-race-region2-name",
        ],
        reason: "successes: expected 1, got ",
    },
    Property {
        what: "one partner Source (C2 checked, then acted on)",
        racy_checks: &[RuleId::C2],
        named: "C2",
        scenarios: &["lifecycle-race-partner-source"],
        reason: "successes: expected 1, got ",
    },
    Property {
        what: "the last channel slot (C3 checked, then acted on)",
        racy_checks: &[RuleId::C3],
        named: "C3",
        scenarios: &["lifecycle-quota-channels-last-slot"],
        reason: "successes: expected 1, got ",
    },
    Property {
        what: "a store's deletion against a channel to it (OP3 and E4 checked, then acted on)",
        racy_checks: &[RuleId::OP3, RuleId::E4],
        named: "OP3",
        scenarios: &["lifecycle-race-store-delete-vs-channel"],
        reason: "joint outcome: expected one of create-first, delete-first, got delete status 200; create status 200",
    },
];

// ------------------------------------------------------------ racy endpoint

struct Racy {
    account: String,
    regions: Mutex<HashMap<String, Arc<Mutex<Region>>>>,
    /// The rules whose check is not atomic with the act.
    racy_checks: &'static [RuleId],
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

impl Racy {
    fn region(&self, name: &str) -> Arc<Mutex<Region>> {
        let mut regions = lock(&self.regions);
        Arc::clone(regions.entry(name.to_string()).or_insert_with(|| {
            let identity = Identity::new(name, self.account.clone());
            Arc::new(Mutex::new(Region::new(identity, Limits::default())))
        }))
    }
}

/// A racy endpoint on 127.0.0.1; dropping it stops the server.
struct RacyEndpoint {
    url: String,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for RacyEndpoint {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn racy_endpoint(racy_checks: &'static [RuleId]) -> RacyEndpoint {
    let racy = Arc::new(Racy {
        account: EmulatorConfig::default().account,
        regions: Mutex::new(HashMap::new()),
        racy_checks,
    });
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let app = Router::new().fallback(handle).with_state(racy);
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    RacyEndpoint { url, server }
}

async fn handle(State(racy): State<Arc<Racy>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body = to_bytes(body, 1 << 20).await.unwrap_or_default();
    let region_name = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(protocol::region_from_authorization)
        .unwrap_or("us-east-1")
        .to_string();
    let call = Call {
        method_is_post: parts.method == Method::POST,
        operation: requested_operation(&parts.headers),
        media_type: media_type(&parts.headers),
        body: CallBody::Bytes(&body),
    };
    let read = read_call(&call);
    let region = racy.region(&region_name);
    let checked = judge_read(&lock(&region), &read);
    let (status, body) = match checked {
        Judged::Evaluated {
            operation: Operation::CreateChannel | Operation::DeleteEventDataStore,
            evaluation,
            ..
        } if evaluation.emulator_refusal().is_none() => {
            // Checked and passed; yield before acting.
            tokio::time::sleep(WINDOW).await;
            let mut state = lock(&region);
            let stale_only = match judge_read(&state, &read) {
                Judged::Evaluated {
                    evaluation: now, ..
                } => {
                    let refusing: Vec<RuleId> = now
                        .violations
                        .iter()
                        .filter(|v| v.emulator_refuses())
                        .map(|v| v.rule)
                        .collect();
                    !refusing.is_empty() && refusing.iter().all(|r| racy.racy_checks.contains(r))
                }
                _ => false,
            };
            match evaluation.plan {
                Some(plan) if stale_only => {
                    let fresh = Fresh {
                        id: uuid::Uuid::new_v4().to_string(),
                        now: SystemTime::now()
                            .duration_since(UNIX_EPOCH)
                            .map(|d| d.as_secs_f64().floor())
                            .unwrap_or_default(),
                    };
                    (200, state.apply(&plan, &fresh))
                }
                _ => answer_read(&mut state, &read),
            }
        }
        _ => answer_read(&mut lock(&region), &read),
    };
    let mut response = Response::new(Body::from(serde_json::to_vec(&body).unwrap()));
    *response.status_mut() = axum::http::StatusCode::from_u16(status).unwrap();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(protocol::CONTENT_TYPE),
    );
    headers.insert(
        protocol::HEADER_REQUEST_ID,
        HeaderValue::from_str(&uuid::Uuid::new_v4().to_string()).unwrap(),
    );
    response
}

fn requested_operation(headers: &HeaderMap) -> RequestedOperation {
    match headers.get(protocol::HEADER_TARGET).map(|v| v.to_str()) {
        None => RequestedOperation::Missing,
        Some(Err(_)) => RequestedOperation::Unknown,
        Some(Ok(value)) => match protocol::parse_target(value) {
            Target::Known(operation) => RequestedOperation::Known(operation),
            Target::Unknown(_) => RequestedOperation::Unknown,
        },
    }
}

fn media_type(headers: &HeaderMap) -> MediaType {
    match headers.get(header::CONTENT_TYPE).map(|v| v.to_str()) {
        None => MediaType::Missing,
        Some(Ok(value)) if protocol::is_json_1_1(value) => MediaType::Json11,
        Some(_) => MediaType::Other,
    }
}

// ------------------------------------------------------------------- runs

/// The race scenarios against `url`, `jobs` at a time.
async fn run_races(url: &str, jobs: usize) -> RunReport {
    let mut config = ClientConfig::new(url, "us-east-1");
    config.retry = RetryPolicy::with_retries(0);
    let client = Client::new(config.clone()).await.unwrap();
    let mut options = RunOptions::new(runner::new_run_id());
    options.jobs = jobs;
    runner::run(race_corpus(), client, config, options).await
}

/// The scenarios that failed or errored, each with the rules it names.
fn failing(report: &RunReport) -> Vec<(String, Vec<String>)> {
    report
        .scenarios
        .iter()
        .filter(|s| matches!(s.verdict, Verdict::Fail | Verdict::Error))
        .map(|s| (s.name.clone(), s.rules.clone()))
        .collect()
}

/// Why `report` does not show exactly `property` broken, if it does not.
fn miss(property: &Property, report: &RunReport) -> Option<String> {
    let failing = failing(report);
    let names: BTreeSet<&str> = failing.iter().map(|(n, _)| n.as_str()).collect();
    let expected: BTreeSet<&str> = property.scenarios.iter().copied().collect();
    let named = failing
        .iter()
        .filter(|(n, _)| expected.contains(n.as_str()))
        .all(|(_, rules)| rules.iter().any(|r| r == property.named));
    let the_race = report
        .scenarios
        .iter()
        .filter(|s| expected.contains(s.name.as_str()))
        .all(|s| {
            s.reason
                .as_deref()
                .is_some_and(|r| r.contains(property.reason))
        });
    (names != expected || !named || !the_race || report.conforms()).then(|| {
        let reasons: Vec<String> = report
            .scenarios
            .iter()
            .filter(|s| s.verdict != Verdict::Pass)
            .map(|s| format!("  {} {:?} {:?}: {:?}", s.name, s.verdict, s.rules, s.reason))
            .collect();
        format!(
            "{}: expected exactly {expected:?} to fail naming {}; got:\n{}",
            property.what,
            property.named,
            reasons.join("\n")
        )
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_racy_check_of_one_property_fails_only_its_race_scenarios_and_names_its_rule() {
    let corpus: BTreeSet<String> = race_corpus().into_iter().map(|s| s.name.value).collect();
    let mut misses = Vec::new();
    for property in PROPERTIES {
        for name in property.scenarios {
            assert!(corpus.contains(*name), "no race scenario `{name}`");
        }
        let endpoint = racy_endpoint(property.racy_checks).await;
        // One scenario at a time: a racy Name check lets a race make 8 or
        // 16 channels where one is due, and scenarios running beside it
        // would then meet the channel quota, a failure of this fault's
        // making that is not theirs.
        let report = run_races(&endpoint.url, 1).await;
        misses.extend(miss(property, &report));
    }
    assert!(misses.is_empty(), "{}", misses.join("\n"));
}

/// The same endpoint with no racy check (every check atomic with its act,
/// as the emulator's) passes every race scenario; so does the emulator, run
/// after run: the race scenarios do not flake, and none is skipped.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn atomic_endpoints_pass_every_race_scenario_run_after_run() {
    let atomic = racy_endpoint(&[]).await;
    let report = run_races(&atomic.url, 8).await;
    assert!(report.conforms(), "{:?}", failing(&report));
    for run in 1..=3 {
        // A fresh one each run: the stores a run deletes stay pending
        // deletion and count towards the Region's 10 (contract section 5).
        let emulator = Emulator::start_local(EmulatorConfig::default())
            .await
            .unwrap();
        let report = run_races(&emulator.url(), 8).await;
        let passed = report
            .scenarios
            .iter()
            .filter(|s| s.verdict == Verdict::Pass)
            .count();
        assert!(
            report.conforms() && passed == report.scenarios.len(),
            "run {run}: {:?}",
            report
                .scenarios
                .iter()
                .filter(|s| s.verdict != Verdict::Pass)
                .map(|s| (&s.name, s.verdict, &s.reason))
                .collect::<Vec<_>>()
        );
    }
}

/// How often each racy property is caught, for the figures in the hand-off:
/// `RACES_REPEAT=20 cargo test --test integration races::catch_rate -- --ignored --nocapture`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement: run with RACES_REPEAT=N"]
async fn catch_rate() {
    let repeat: usize = std::env::var("RACES_REPEAT")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(20);
    for property in PROPERTIES {
        let mut caught = 0;
        let started = std::time::Instant::now();
        for rep in 0..repeat {
            let endpoint = racy_endpoint(property.racy_checks).await;
            let report = run_races(&endpoint.url, 1).await;
            if rep == 0 {
                // What a user reads: the failures as `ctconform run` shows them.
                let shown =
                    ctconform::report::pretty(&report, ctconform::report::Style::Plain, true);
                eprintln!("{shown}");
            }
            match miss(property, &report) {
                None => caught += 1,
                Some(why) => eprintln!("{why}"),
            }
        }
        eprintln!(
            "{}: caught {caught}/{repeat} in {:.1} s",
            property.what,
            started.elapsed().as_secs_f64()
        );
    }
}

/// The fuzzer finds a racy check too (issue 14 item 9): its sessions send
/// groups of calls at once and judge them by linearisability, so against
/// the racy endpoint of a property it reports a divergence within the case
/// budget `fuzz_faults` uses. Properties it does not reach are in
/// `FUZZ_NOT_FOUND`, with why; the scenarios above catch them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_fuzzer_finds_a_racy_check() {
    let mut missed = Vec::new();
    for (index, property) in PROPERTIES.iter().enumerate() {
        if FUZZ_NOT_FOUND
            .iter()
            .any(|(what, _)| *what == property.what)
        {
            continue;
        }
        let endpoint = racy_endpoint(property.racy_checks).await;
        let started = std::time::Instant::now();
        let report = ctconform::fuzz(ctconform::FuzzOptions {
            endpoint: Some(endpoint.url.clone()),
            duration: Some(Duration::from_secs(300)),
            cases: Some(12_000),
            seed: 1,
            jobs: 4,
            run_id: Some(format!("racy{index}")),
            max_findings: Some(1),
            shrink_budget: 0,
            ..ctconform::FuzzOptions::default()
        })
        .await;
        assert!(
            report.error.is_none(),
            "{}: {:?}",
            property.what,
            report.error
        );
        let rules: Vec<String> = report.findings.iter().map(|f| f.rules.join("+")).collect();
        eprintln!(
            "{}: {} cases, {} groups, {:?}, findings {rules:?}",
            property.what,
            report.cases,
            report.concurrent_groups,
            started.elapsed()
        );
        if report.findings.is_empty() {
            missed.push(format!("{}: {} cases", property.what, report.cases));
        }
    }
    assert!(
        missed.is_empty(),
        "racy checks the fuzzer did not find:\n{}",
        missed.join("\n")
    );
}

/// Racy checks the fuzzer does not find within the budget, and why.
const FUZZ_NOT_FOUND: &[(&str, &str)] = &[(
    "the last channel slot (C3 checked, then acted on)",
    "a session never holds 25 channels (as in fuzz_faults)",
)];
