//! The fuzzer end to end: against the embedded emulator it finds nothing and
//! leaves nothing behind; against an endpoint with one rule disabled it
//! finds the divergence, shrinks it and exports a scenario that loads and
//! lints; given fixture stores are used and kept; the same seed gives the
//! same plans.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use ctconform::contract::{
    Call, CallBody, Identity, Limits, MediaType, Region, RequestedOperation,
};
use ctconform::emulator::answer_call;
use ctconform::fuzz::{fuzz, plans, FuzzOptions, GivenFixtures};
use ctconform::protocol::{self, Target};
use ctconform::scenario::{check, load_str, Step};
use ctconform::wire::{Client, ClientConfig, Request as WireRequest};
use serde_json::{json, Value};

fn options(endpoint: Option<String>, cases: u64) -> FuzzOptions {
    FuzzOptions {
        endpoint,
        duration: Some(Duration::from_secs(3)),
        cases: Some(cases),
        seed: 1,
        jobs: 2,
        run_id: Some("t".into()),
        ..FuzzOptions::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_embedded_emulator_conforms() {
    let report = fuzz(options(None, 2000)).await;
    assert!(report.error.is_none(), "{:?}", report.error);
    assert!(
        !report.diverged(),
        "{}",
        ctconform::report::fuzz_pretty(&report)
    );
    assert!(
        report.cases >= 200,
        "{}",
        ctconform::report::fuzz_pretty(&report)
    );
    assert!(
        report.cleanup_failures.is_empty(),
        "{:?}",
        report.cleanup_failures
    );
    assert!(report.coverage["N2"] > 0 && report.coverage["OK1"] > 0);
}

/// Sends the embedded-emulator-shaped state through a server that leaves
/// nothing behind: after a run against the wrong endpoint, its region holds
/// no channel and only PENDING_DELETION stores.
#[derive(Clone)]
struct Wrong {
    region: Arc<Mutex<Region>>,
}

fn call_of<'a>(headers: &HeaderMap, post: bool, body: &'a [u8]) -> Call<'a> {
    let operation = match headers.get("x-amz-target").map(|v| v.to_str()) {
        None => RequestedOperation::Missing,
        Some(Ok(value)) => match protocol::parse_target(value) {
            Target::Known(op) => RequestedOperation::Known(op),
            Target::Unknown(_) => RequestedOperation::Unknown,
        },
        Some(Err(_)) => RequestedOperation::Unknown,
    };
    let media_type = match headers.get(header::CONTENT_TYPE).map(|v| v.to_str()) {
        None => MediaType::Missing,
        Some(Ok(v)) if protocol::is_json_1_1(v) => MediaType::Json11,
        Some(_) => MediaType::Other,
    };
    Call {
        method_is_post: post,
        operation,
        media_type,
        body: CallBody::Bytes(body),
    }
}

/// The contract with N2 broken: a two-character Name is accepted.
async fn wrong_handler(State(wrong): State<Wrong>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body = to_bytes(body, 4 << 20).await.unwrap_or_default();
    let call = call_of(&parts.headers, parts.method == "POST", &body);
    let is_create =
        call.operation == RequestedOperation::Known(ctconform::contract::Operation::CreateChannel);
    let parsed: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let (status, bytes) = match parsed.get("Name").and_then(Value::as_str) {
        Some(name) if is_create && name.chars().count() == 2 => {
            let echo = json!({
                "ChannelArn": format!("arn:aws:cloudtrail:us-east-1:123456789012:channel/{}", uuid::Uuid::new_v4()),
                "Name": name, "Source": parsed["Source"], "Destinations": parsed["Destinations"],
            });
            (200, serde_json::to_vec(&echo).unwrap())
        }
        _ => {
            let (status, body) = answer_call(&mut wrong.region.lock().unwrap(), &call);
            (status, serde_json::to_vec(&body).unwrap())
        }
    };
    let mut response = (StatusCode::from_u16(status).unwrap(), Body::from(bytes)).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        protocol::CONTENT_TYPE.parse().unwrap(),
    );
    response
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disabled_rule_is_found_shrunk_and_exported() {
    let limits = Limits {
        store_quota: 1_000_000,
        ..Limits::default()
    };
    let region = Region::new(Identity::new("us-east-1", "123456789012"), limits);
    let wrong = Wrong {
        region: Arc::new(Mutex::new(region)),
    };
    let app = Router::new()
        .fallback(wrong_handler)
        .with_state(wrong.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });

    let out = std::env::temp_dir().join(format!("ctconform-fuzz-{}", uuid::Uuid::new_v4()));
    let mut options = options(Some(url.clone()), 3000);
    options.out = Some(out.clone());
    let report = fuzz(options).await;
    assert!(report.error.is_none(), "{:?}", report.error);
    let finding = report
        .findings
        .iter()
        .find(|f| f.rules == ["N2"])
        .unwrap_or_else(|| panic!("N2 not found:\n{}", ctconform::report::fuzz_pretty(&report)));
    assert!(finding.steps_shrunk <= finding.steps_found);

    let path = finding.scenario_path.as_ref().expect("written");
    let text = std::fs::read_to_string(path).unwrap();
    let scenario = load_str(path, &text).unwrap_or_else(|d| panic!("{text}\n{d:?}"));
    let problems = check(std::slice::from_ref(&scenario), &[]);
    assert!(problems.is_empty(), "{text}\n{problems:?}");
    assert!(path.with_extension("curl").exists());

    let last: &Step = scenario.steps.last().unwrap();
    assert_eq!(last.op.name(), "CreateChannel", "{text}");
    // A conforming endpoint refuses it: nothing to capture.
    assert!(last.captures.is_empty(), "{text}");
    let ctconform::scenario::Body::Json(input) = &last.body else {
        panic!("{text}")
    };
    let input = input.as_object().unwrap();
    assert!(input.len() <= 3, "{text}");
    let name = input["Name"].as_str().unwrap();
    assert_eq!(name.chars().count(), 2, "{text}");
    assert!(report.replay_command().unwrap().contains("--endpoint"));

    // Nothing left: no channel, only stores pending deletion and the
    // fixture stores every run reuses.
    let region = wrong.region.lock().unwrap();
    assert!(region.channels.is_empty(), "{:?}", region.channels);
    assert!(region
        .stores
        .iter()
        .all(|s| s.status.as_str() == "PENDING_DELETION"
            || ctconform::runner::is_fixture_store_name(&s.name)));
    let _ = std::fs::remove_dir_all(out);
}

#[tokio::test]
async fn nothing_is_left_in_the_embedded_emulator_state_model() {
    // The embedded emulator goes away with the run; check the same cleanup
    // through a served one instead.
    let emulator =
        ctconform::emulator::Emulator::start_local(ctconform::emulator::EmulatorConfig {
            limits: Limits {
                store_quota: 1_000_000,
                ..Limits::default()
            },
            ..Default::default()
        })
        .await
        .unwrap();
    let report = fuzz(options(Some(emulator.url()), 600)).await;
    assert!(
        !report.diverged(),
        "{}",
        ctconform::report::fuzz_pretty(&report)
    );
    let client = Client::new(ClientConfig::new(emulator.url(), "us-east-1"))
        .await
        .unwrap();
    let channels = client
        .send(&WireRequest::json("ListChannels", json!({})))
        .await;
    let body = channels.response().unwrap().json.clone().unwrap();
    assert_eq!(body["Channels"], json!([]), "{body}");
    let stores = client
        .send(&WireRequest::json("ListEventDataStores", json!({})))
        .await;
    let body = stores.response().unwrap().json.clone().unwrap();
    // ListEventDataStores lists ARN and Name only (the model's list shape).
    for store in body["EventDataStores"].as_array().unwrap() {
        let fixture = ctconform::runner::is_fixture_store_name(store["Name"].as_str().unwrap());
        let arn = store["EventDataStoreArn"].as_str().unwrap();
        assert!(
            fixture || store_status(&client, arn).await == "PENDING_DELETION",
            "{store}"
        );
    }
}

/// Makes a store on `client`'s endpoint; its ARN.
async fn make_store(client: &Client, name: &str, category: &str) -> String {
    let body = json!({
        "Name": name,
        "TerminationProtectionEnabled": false,
        "AdvancedEventSelectors": [{"Name": "s", "FieldSelectors": [
            {"Field": "eventCategory", "Equals": [category]}]}],
    });
    let outcome = client
        .send(&WireRequest::json("CreateEventDataStore", body))
        .await;
    let json = outcome.response().unwrap().json.clone().unwrap();
    json["EventDataStoreArn"].as_str().unwrap().to_string()
}

async fn store_status(client: &Client, arn: &str) -> Value {
    let outcome = client
        .send(&WireRequest::json(
            "GetEventDataStore",
            json!({"EventDataStore": arn}),
        ))
        .await;
    outcome.response().unwrap().json.clone().unwrap()["Status"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn given_fixture_stores_are_used_and_kept() {
    // The contract's quota of 10, as on a shared account.
    let emulator = ctconform::emulator::Emulator::start_local(Default::default())
        .await
        .unwrap();
    let client = Client::new(ClientConfig::new(emulator.url(), "us-east-1"))
        .await
        .unwrap();
    let integration = make_store(&client, "given-int", "ActivityAuditLog").await;
    let management = make_store(&client, "given-mgmt", "Management").await;
    let pending = make_store(&client, "given-pend", "ActivityAuditLog").await;
    client
        .send(&WireRequest::json(
            "DeleteEventDataStore",
            json!({"EventDataStore": pending}),
        ))
        .await;
    let given = GivenFixtures {
        integration: integration.clone(),
        management: management.clone(),
        pending: pending.clone(),
    };

    let mut run = options(Some(emulator.url()), 600);
    run.fixtures = Some(given.clone());
    let report = fuzz(run).await;
    assert!(report.error.is_none(), "{:?}", report.error);
    assert!(
        !report.diverged(),
        "{}",
        ctconform::report::fuzz_pretty(&report)
    );
    assert!(report.coverage["E3"] > 0 && report.coverage["E4"] > 0);
    // Kept as they were; no fixture of the run's own was made.
    assert_eq!(store_status(&client, &integration).await, "ENABLED");
    assert_eq!(store_status(&client, &management).await, "ENABLED");
    let stores = client
        .send(&WireRequest::json("ListEventDataStores", json!({})))
        .await;
    let body = stores.response().unwrap().json.clone().unwrap();
    let names: Vec<&str> = body["EventDataStores"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["Name"].as_str())
        .collect();
    assert!(!names.iter().any(|n| n.contains("fx-")), "{names:?}");

    // A store that does not fit its role is the caller's error, not the endpoint's.
    let mut run = options(Some(emulator.url()), 10);
    run.fixtures = Some(GivenFixtures {
        integration: management.clone(),
        ..given
    });
    let report = fuzz(run).await;
    let error = report.error.expect("a misfit fixture is refused");
    assert!(
        error.contains("fixture.eds_integration") && error.contains("Management"),
        "{error}"
    );
    assert_eq!(report.cases, 0);
}

#[test]
fn the_same_seed_gives_the_same_plans() {
    assert_eq!(plans(42, 50), plans(42, 50));
    assert_ne!(plans(42, 20), plans(43, 20));
}
