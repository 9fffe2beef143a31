//! The suite against an endpoint that implements none of the channel
//! operations: moto's server (`pip install 'moto[server]'`), which answers
//! them, like any operation it lacks, with HTTP 500 and a generic HTML page.
//! The report must be clean and honest: failures saying "not implemented"
//! where the operation under test is missing, skips where only a fixture is,
//! no crash, no hang. A moto-like endpoint made from the test proxy checks
//! the same without Python; the real moto runs when `moto_server` is on PATH
//! (`.ci/run` installs it).

use crate::common;
use crate::harness;

use std::sync::Arc;
use std::time::Duration;

use common::{rewritten, Reply};
use harness::{on_path, Finished, Peer};
use serde_json::Value;

/// A run against moto must end well within this.
const BOUND: Duration = Duration::from_secs(90);

/// The page moto (werkzeug) sends for an operation it does not implement.
const MOTO_PAGE: &str = "<!doctype html>\n<html lang=en>\n<title>500 Internal Server Error</title>\n\
<h1>Internal Server Error</h1>\n<p>The server encountered an internal error and was unable to \
complete your request. Either the server is overloaded or there is an error in the application.</p>\n";

/// A run and how long it took (a hang past the limit fails the test).
fn ctconform(args: &[&str]) -> (Finished, Duration) {
    let finished = harness::ctconform(args, Duration::from_secs(120));
    let took = finished.elapsed;
    (finished, took)
}

fn stderr(output: &Finished) -> String {
    output.stderr.clone()
}

/// What every run against an endpoint without channels must show.
fn assert_clean_and_honest(url: &str) {
    let (output, took) = ctconform(&["run", "--endpoint", url, "--format", "json"]);
    eprintln!("json run against {url}: {took:?}");
    assert!(took < BOUND, "the run took {took:?}");
    assert!(!stderr(&output).contains("panicked"), "{}", stderr(&output));
    assert_eq!(output.code, Some(1), "{}", stderr(&output));
    let report: Value = serde_json::from_str(&output.stdout).expect("a JSON report");
    let scenarios = report["scenarios"].as_array().unwrap();
    assert!(!scenarios.is_empty());
    assert_eq!(report["counts"]["passed"], 0, "nothing can pass");
    assert_eq!(report["counts"]["errored"], 0, "no transport faults");

    let verdict = |s: &Value| s["verdict"].as_str().unwrap().to_string();
    let reason = |s: &Value| s["reason"].as_str().unwrap_or_default().to_string();
    let failing_op = |s: &Value| {
        s["steps"]
            .as_array()
            .unwrap()
            .iter()
            .find(|step| step["verdict"] == "fail")
            .map(|step| step["operation"].as_str().unwrap().to_string())
    };
    let create_channel_fails: Vec<&Value> = scenarios
        .iter()
        .filter(|s| verdict(s) == "fail" && failing_op(s).as_deref() == Some("CreateChannel"))
        .collect();
    assert!(
        !create_channel_fails.is_empty(),
        "some scenarios reach CreateChannel"
    );
    for scenario in &create_channel_fails {
        // Input scenarios send well-formed requests; protocol ones may not.
        if scenario["path"]
            .as_str()
            .unwrap()
            .starts_with("scenarios/input/")
        {
            assert!(
                reason(scenario).contains(
                    "the endpoint does not implement CreateChannel (HTTP 500: not implemented"
                ),
                "{}: {}",
                scenario["name"],
                reason(scenario)
            );
        }
    }
    let fixture_skips = scenarios
        .iter()
        .filter(|s| verdict(s) == "skip")
        .filter(|s| reason(s).starts_with("fixture `fixture.eds_"))
        .inspect(|s| {
            assert!(
                reason(s).contains("does not implement CreateEventDataStore"),
                "{}",
                reason(s)
            )
        })
        .count();
    assert!(fixture_skips > 0, "fixture-dependent scenarios are skipped");
    for scenario in scenarios.iter().filter(|s| verdict(s) == "skip") {
        assert!(!reason(scenario).is_empty(), "every skip says why");
    }

    let (markdown, took) = ctconform(&["run", "--endpoint", url, "--format", "markdown"]);
    eprintln!("markdown run against {url}: {took:?}");
    assert!(took < BOUND, "the run took {took:?}");
    assert_eq!(markdown.code, Some(1));
    let page = markdown.stdout.as_str();
    for rule in ["N2", "C1", "OK1", "OK2"] {
        assert!(
            page.contains(&format!("| {rule} | ⚪ not testable here |")),
            "{rule}: {page}"
        );
    }
    assert!(page.contains("| D1 | ❌ diverges |"), "{page}");
    assert!(!page.contains("✅ enforced"), "{page}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endpoint_without_channels_gives_a_clean_honest_report() {
    // Every operation answered as moto answers one it does not implement.
    let moto_like = rewritten(Arc::new(|_| {
        Some(Reply {
            status: 500,
            body: MOTO_PAGE.as_bytes().to_vec(),
            headers: vec![("content-type".into(), "text/html; charset=utf-8".into())],
            without_request_id: false,
        })
    }))
    .await;
    let url = moto_like.url.clone();
    tokio::task::spawn_blocking(move || assert_clean_and_honest(&url))
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_fault_unlike_the_unknown_operation_answer_is_not_called_unimplemented() {
    // The emulator knows every operation; CreateChannel alone crashes.
    let crashing = rewritten(Arc::new(|x| {
        (x.status == 0 && x.operation() == "CreateChannel").then(|| Reply {
            status: 500,
            body: b"<html>CreateChannel crashed</html>".to_vec(),
            headers: vec![("content-type".into(), "text/html".into())],
            without_request_id: false,
        })
    }))
    .await;
    let url = crashing.url.clone();
    let output = tokio::task::spawn_blocking(move || {
        ctconform(&[
            "run",
            "--endpoint",
            &url,
            "--rule",
            "D1",
            "--format",
            "json",
        ])
        .0
    })
    .await
    .unwrap();
    assert_eq!(output.code, Some(1), "{}", stderr(&output));
    let report: Value = serde_json::from_str(&output.stdout).unwrap();
    let text = report.to_string();
    assert!(text.contains("status: expected 400, got 500"), "{text}");
    assert!(!text.contains("not implemented"), "{text}");
}

fn start_moto() -> Option<Peer> {
    let program = on_path("moto_server")?;
    let moto = Peer::start(
        &program,
        &["-H", "127.0.0.1", "-p", "{port}"],
        &[],
        Duration::from_secs(60),
        Peer::listening,
    );
    Some(moto.unwrap_or_else(|why| panic!("{why}")))
}

#[test]
fn moto_gives_a_clean_honest_report() {
    let Some(moto) = start_moto() else {
        eprintln!(
            "SKIPPED moto_gives_a_clean_honest_report: moto_server is not on PATH \
             (pip install 'moto[server]'; .ci/run installs it)"
        );
        return;
    };
    assert_clean_and_honest(&moto.url);
}

/// What ministack answers every CloudTrail operation it lacks: a legal
/// CreateChannel code, with the operation's name in the message.
fn ministack_reply(operation: &str) -> Reply {
    Reply::json(
        400,
        &serde_json::json!({
            "__type": "InvalidParameterException",
            "message": format!("Unknown CloudTrail action: '{operation}'"),
        }),
    )
}

/// Against an endpoint that refuses everything, no refusal is credited:
/// nothing passes, the notes say which operations are missing, and the
/// matrix enforces nothing.
fn assert_nothing_credited(url: &str) {
    let (output, took) = ctconform(&["run", "--endpoint", url, "--format", "json"]);
    assert!(took < BOUND, "the run took {took:?}");
    assert_eq!(output.code, Some(1), "{}", stderr(&output));
    let report: Value = serde_json::from_str(&output.stdout).expect("a JSON report");
    assert_eq!(
        report["counts"]["passed"], 0,
        "nothing may pass: {report:#}"
    );
    assert_eq!(report["counts"]["errored"], 0, "no transport faults");
    let notes = report["notes"].to_string();
    assert!(
        notes.contains("CreateChannel not accepted (it does not implement CreateChannel"),
        "{notes}"
    );
    let scenarios = report["scenarios"].as_array().unwrap();
    let untested = scenarios
        .iter()
        .filter(|s| {
            s["reason"]
                .as_str()
                .unwrap_or_default()
                .starts_with("untested: the endpoint accepted no valid")
        })
        .count();
    assert!(untested > 0, "refusal-only scenarios are untested");
    let (markdown, _) = ctconform(&["run", "--endpoint", url, "--format", "markdown"]);
    assert!(
        !markdown.stdout.contains("✅ enforced"),
        "{}",
        markdown.stdout
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endpoint_that_refuses_everything_is_credited_with_nothing() {
    let ministack_like = rewritten(Arc::new(|x| Some(ministack_reply(x.operation())))).await;
    let url = ministack_like.url.clone();
    tokio::task::spawn_blocking(move || assert_nothing_credited(&url))
        .await
        .unwrap();
}

#[test]
fn ministack_is_credited_with_nothing() {
    let Some(program) = on_path("ministack") else {
        eprintln!(
            "SKIPPED ministack_is_credited_with_nothing: ministack is not on PATH \
             (pip install ministack; .ci/run installs it)"
        );
        return;
    };
    let server = Peer::start(
        &program,
        &[],
        &[("GATEWAY_PORT", "{port}")],
        Duration::from_secs(60),
        Peer::listening,
    )
    .unwrap_or_else(|why| panic!("{why}"));
    assert_nothing_credited(&server.url);
}
