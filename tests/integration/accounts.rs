//! Working against accounts safely: `ctconform cleanup` deletes exactly
//! what runs left behind and nothing else, and an interrupted run cleans up
//! after itself (a second interrupt exits at once, leaving what
//! `ctconform cleanup` then removes). All against the embedded emulator.

use crate::harness;

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::{to_bytes, Body};
use axum::extract::{Request as HttpRequest, State};
use axum::response::Response;
use axum::Router;
use ctconform::emulator::{Emulator, EmulatorConfig};
use ctconform::runner::new_run_id;
use ctconform::wire::{Client, ClientConfig, Request};
use serde_json::{json, Value};
use tokio::net::TcpListener;

const LIMIT: Duration = Duration::from_secs(60);
/// A run id from January 2024: older than any `--older-than` used here.
const OLD_RUN: &str = "r00000abc";

async fn client(url: &str) -> Client {
    Client::new(ClientConfig::new(url, "us-east-1"))
        .await
        .unwrap()
}

async fn call(client: &Client, operation: &str, input: Value) -> Value {
    let outcome = client.send(&Request::json(operation, input)).await;
    assert!(outcome.is_success(), "{operation}: {outcome:?}");
    outcome.response().unwrap().json.clone().unwrap()
}

async fn create_store(client: &Client, name: &str) -> String {
    let created = call(
        client,
        "CreateEventDataStore",
        json!({
            "Name": name,
            "TerminationProtectionEnabled": false,
            "AdvancedEventSelectors": [{"FieldSelectors": [{"Field": "eventCategory", "Equals": ["ActivityAuditLog"]}]}],
        }),
    )
    .await;
    created["EventDataStoreArn"].as_str().unwrap().to_string()
}

async fn create_channel(client: &Client, name: &str, store: &str) {
    call(
        client,
        "CreateChannel",
        json!({"Name": name, "Source": "Custom", "Destinations": [{"Type": "EVENT_DATA_STORE", "Location": store}]}),
    )
    .await;
}

async fn channel_names(client: &Client) -> Vec<String> {
    let listed = call(client, "ListChannels", json!({})).await;
    let mut names: Vec<String> = listed["Channels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["Name"].as_str().unwrap().to_string())
        .collect();
    names.sort();
    names
}

/// Names of the stores not pending deletion.
async fn live_store_names(client: &Client) -> Vec<String> {
    // ListEventDataStores lists ARN and Name only (the model's list shape).
    let listed = call(client, "ListEventDataStores", json!({})).await;
    let mut names = Vec::new();
    for store in listed["EventDataStores"].as_array().unwrap() {
        let described = call(
            client,
            "GetEventDataStore",
            json!({"EventDataStore": store["EventDataStoreArn"]}),
        )
        .await;
        if described["Status"] != "PENDING_DELETION" {
            names.push(store["Name"].as_str().unwrap().to_string());
        }
    }
    names.sort();
    names
}

/// Leftovers of `run` (a store and two channels, scenario and fuzz
/// prefixes) next to resources that are not ctconform's.
async fn leftovers(client: &Client, run: &str) {
    let store = create_store(client, &format!("ctc-{run}-integration")).await;
    create_channel(client, &format!("ctc-{run}-c1"), &store).await;
    create_channel(client, &format!("ctf-{run}-7"), &store).await;
}

async fn bystanders(client: &Client) {
    let store = create_store(client, "audit").await;
    create_channel(client, "my-channel", &store).await;
    create_channel(client, "ctc-notarun-x", &store).await;
    create_channel(client, "ctc-production", &store).await;
}

/// Runs `ctconform cleanup --endpoint URL EXTRA...` off the async runtime.
async fn cleanup(url: &str, extra: &[&str]) -> harness::Finished {
    let mut args: Vec<String> = vec!["cleanup".into(), "--endpoint".into(), url.into()];
    args.extend(extra.iter().map(|arg| arg.to_string()));
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        harness::ctconform(&args, LIMIT)
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cleanup_deletes_one_runs_resources_and_nothing_else() {
    let emulator = Emulator::start_local(EmulatorConfig::default())
        .await
        .unwrap();
    let (url, client) = (emulator.url(), client(&emulator.url()).await);
    let (run, other) = (new_run_id(), new_run_id());
    leftovers(&client, &run).await;
    leftovers(&client, &other).await;
    bystanders(&client).await;

    let dry = cleanup(&url, &["--run-id", &run, "--dry-run"]).await;
    assert_eq!(dry.code, Some(0), "{}", dry.text());
    assert!(
        dry.stdout
            .contains(&format!("would delete channel ctc-{run}-c1")),
        "{}",
        dry.text()
    );
    assert_eq!(
        channel_names(&client).await.len(),
        7,
        "a dry run deletes nothing"
    );

    let done = cleanup(&url, &["--run-id", &run]).await;
    assert_eq!(done.code, Some(0), "{}", done.text());
    for deleted in [
        format!("deleted channel ctc-{run}-c1"),
        format!("deleted channel ctf-{run}-7"),
        format!("deleted event data store ctc-{run}-integration"),
    ] {
        assert!(done.stdout.contains(&deleted), "{deleted}: {}", done.text());
    }
    let mut expected = vec![
        format!("ctc-{other}-c1"),
        "ctc-notarun-x".to_string(),
        "ctc-production".to_string(),
        format!("ctf-{other}-7"),
        "my-channel".to_string(),
    ];
    expected.sort();
    assert_eq!(channel_names(&client).await, expected);
    assert_eq!(
        live_store_names(&client).await,
        vec!["audit".to_string(), format!("ctc-{other}-integration")]
    );
    emulator.stop().await;
}

/// A boundary scenario's exact-length name (`ctc`) has no room for a run
/// id; its channel still goes, because it delivers into the run's store.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cleanup_takes_channels_that_deliver_into_the_runs_stores() {
    let emulator = Emulator::start_local(EmulatorConfig::default())
        .await
        .unwrap();
    let (url, client) = (emulator.url(), client(&emulator.url()).await);
    let run = new_run_id();
    let store = create_store(&client, &format!("ctc-{run}-integration")).await;
    let bare_id = store.rsplit_once('/').unwrap().1.to_string();
    create_channel(&client, "ctc", &bare_id).await;
    create_channel(&client, &format!("ctc-n2-128-{}", "a".repeat(117)), &store).await;
    bystanders(&client).await;

    let done = cleanup(&url, &["--run-id", &run]).await;
    assert_eq!(done.code, Some(0), "{}", done.text());
    assert!(
        done.stdout.contains("deleted channel ctc (")
            && done.stdout.contains("which delivers into ctc-r"),
        "{}",
        done.text()
    );
    assert!(done.stdout.contains("3 deleted"), "{}", done.text());
    assert_eq!(
        channel_names(&client).await,
        vec!["ctc-notarun-x", "ctc-production", "my-channel"]
    );
    assert_eq!(live_store_names(&client).await, vec!["audit"]);
    emulator.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cleanup_older_than_spares_young_runs() {
    let emulator = Emulator::start_local(EmulatorConfig::default())
        .await
        .unwrap();
    let (url, client) = (emulator.url(), client(&emulator.url()).await);
    let young = new_run_id();
    leftovers(&client, OLD_RUN).await;
    leftovers(&client, &young).await;
    bystanders(&client).await;
    let done = cleanup(&url, &["--older-than", "1d"]).await;
    assert_eq!(done.code, Some(0), "{}", done.text());
    assert!(done.stdout.contains("3 deleted"), "{}", done.text());
    let names = channel_names(&client).await;
    assert!(names.iter().all(|n| !n.contains(OLD_RUN)), "{names:?}");
    assert!(names.contains(&format!("ctc-{young}-c1")), "{names:?}");
    assert_eq!(names.len(), 5, "{names:?}");
    assert!(!live_store_names(&client)
        .await
        .contains(&format!("ctc-{OLD_RUN}-integration")));
    emulator.stop().await;
}

/// A proxy in front of an emulator that waits `delay` before forwarding,
/// and refuses DeleteChannel when `refuse_deletes`.
struct Proxy {
    upstream: String,
    delay: Duration,
    refuse_deletes: bool,
    http: reqwest::Client,
}

async fn proxy(upstream: String, delay: Duration, refuse_deletes: bool) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let state = Arc::new(Proxy {
        upstream,
        delay,
        refuse_deletes,
        http: reqwest::Client::new(),
    });
    let app = Router::new().fallback(forward).with_state(state);
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    url
}

async fn forward(State(proxy): State<Arc<Proxy>>, request: HttpRequest) -> Response {
    let (parts, body) = request.into_parts();
    let body = to_bytes(body, 4 << 20).await.unwrap_or_default();
    tokio::time::sleep(proxy.delay).await;
    let target = parts
        .headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if proxy.refuse_deletes && target.ends_with(".DeleteChannel") {
        let mut refused = Response::new(Body::from(
            r#"{"__type":"AccessDeniedException","message":"no"}"#,
        ));
        *refused.status_mut() = axum::http::StatusCode::BAD_REQUEST;
        return refused;
    }
    let mut upstream = proxy.http.post(&proxy.upstream).body(body);
    for (name, value) in &parts.headers {
        if name != "host" && name != "content-length" {
            upstream = upstream.header(name, value);
        }
    }
    let answer = upstream.send().await.unwrap();
    let status = answer.status();
    let headers = answer.headers().clone();
    let mut response = Response::new(Body::from(answer.bytes().await.unwrap_or_default()));
    *response.status_mut() = status;
    for (name, value) in &headers {
        if name != "content-length" {
            response.headers_mut().insert(name, value.clone());
        }
    }
    response
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cleanup_exits_1_when_something_stays() {
    let emulator = Emulator::start_local(EmulatorConfig::default())
        .await
        .unwrap();
    let client = client(&emulator.url()).await;
    let run = new_run_id();
    leftovers(&client, &run).await;
    let refusing = proxy(emulator.url(), Duration::ZERO, true).await;
    let done = cleanup(&refusing, &["--run-id", &run]).await;
    assert_eq!(done.code, Some(1), "{}", done.text());
    assert!(
        done.stderr.contains("not cleaned: DeleteChannel"),
        "{}",
        done.text()
    );
    emulator.stop().await;
}

/// Starts `ctconform run` against `url`, waits until the emulator holds a
/// channel of it, then interrupts it `interrupts` times; returns how it ended.
async fn interrupted_run(
    url: &str,
    emulator: &Client,
    interrupts: usize,
) -> (harness::Finished, Duration) {
    let mut command =
        harness::command(&["run", "--endpoint", url, "--jobs", "8", "--timeout", "5s"]);
    let started = Instant::now();
    let child = command.spawn().unwrap();
    let pid = child.id() as libc::pid_t;
    let waiter = tokio::task::spawn_blocking(move || harness::finish(child, started, LIMIT));
    while channel_names(emulator).await.is_empty() {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the run never created a channel"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let interrupted_at = Instant::now();
    for _ in 0..interrupts {
        // SAFETY: a plain kill(2) to our own child, not yet reaped.
        unsafe { libc::kill(pid, libc::SIGINT) };
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let finished = waiter.await.unwrap();
    (finished, interrupted_at.elapsed())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_run_cleans_up_and_says_so() {
    let emulator = Emulator::start_local(EmulatorConfig::default())
        .await
        .unwrap();
    let client = client(&emulator.url()).await;
    let slow = proxy(emulator.url(), Duration::from_millis(150), false).await;
    let (finished, after_interrupt) = interrupted_run(&slow, &client, 1).await;
    assert!(
        matches!(finished.code, Some(1 | 130)),
        "{}",
        finished.text()
    );
    assert!(
        after_interrupt < Duration::from_secs(10),
        "took {after_interrupt:?} after SIGINT"
    );
    assert!(
        finished.stderr.contains("interrupted"),
        "{}",
        finished.text()
    );
    assert!(!finished.text().contains("panicked"), "{}", finished.text());
    assert_eq!(
        channel_names(&client).await,
        Vec::<String>::new(),
        "{}",
        finished.text()
    );
    // The fixture stores stay for the next run (runner::FIXTURE_STORE_NAMES).
    let left: Vec<String> = live_store_names(&client)
        .await
        .into_iter()
        .filter(|name| !ctconform::runner::is_fixture_store_name(name))
        .collect();
    assert_eq!(left, Vec::<String>::new(), "{}", finished.text());
    emulator.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_interrupt_exits_at_once_and_cleanup_removes_the_rest() {
    let emulator = Emulator::start_local(EmulatorConfig::default())
        .await
        .unwrap();
    let client = client(&emulator.url()).await;
    let slow = proxy(emulator.url(), Duration::from_millis(300), false).await;
    let (finished, after_interrupt) = interrupted_run(&slow, &client, 2).await;
    assert_eq!(finished.code, Some(130), "{}", finished.text());
    assert!(
        after_interrupt < Duration::from_secs(2),
        "took {after_interrupt:?}"
    );
    assert!(
        finished.stderr.contains("ctconform cleanup"),
        "{}",
        finished.text()
    );

    let run_ids: std::collections::BTreeSet<String> = channel_names(&client)
        .await
        .iter()
        .filter_map(|name| ctconform::runner::run_id_of(name).map(str::to_string))
        .collect();
    let url = emulator.url();
    for run in run_ids {
        let done = cleanup(&url, &["--run-id", &run]).await;
        assert_eq!(done.code, Some(0), "{}", done.text());
    }
    let left = channel_names(&client).await;
    assert!(
        left.iter().all(|name| !name.starts_with("ctc-r")),
        "{left:?}"
    );
    emulator.stop().await;
}
