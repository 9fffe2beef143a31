//! Secrets stay secret: with known fake AWS credentials in the environment
//! and `--credentials chain` (so they really sign), every output ctconform
//! writes — stdout, stderr, reports, snapshots, fuzz artefacts, curl
//! reproducers of failures — is searched for the secret key, the session
//! token, the access key id and any full SigV4 `Authorization` value.

use crate::common;
use crate::harness;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use aws_credential_types::Credentials;
use ctconform::wire::{Client, ClientConfig, CredentialSource};
use harness::{FakeCredentials, Finished, TempDir};

const ACCESS_KEY_ID: &str = "AKIAFAKECTCSAFETY042";
const SECRET_ACCESS_KEY: &str = "fakeSecret/ctconformSAFETY+wJalrXUtnFEMI0042";
const SESSION_TOKEN: &str = "FakeSessionToken//ctconformSAFETY0042+IQoJb3JpZ2luX2VjEJr";
const LIMIT: Duration = Duration::from_secs(120);

/// The binary with the fake credentials as the only source the chain finds.
fn with_fake_credentials(args: &[&str]) -> Command {
    harness::with_fake_credentials(
        args,
        &FakeCredentials {
            access_key_id: ACCESS_KEY_ID,
            secret_access_key: SECRET_ACCESS_KEY,
            session_token: SESSION_TOKEN,
        },
    )
}

/// Where a text shows a secret, if it does.
fn leaks(text: &str) -> Vec<&'static str> {
    let signature = regex::Regex::new(r"Signature=[0-9a-f]{64}").unwrap();
    let mut found: Vec<&'static str> = [
        ("secret access key", SECRET_ACCESS_KEY),
        ("session token", SESSION_TOKEN),
        ("access key id", ACCESS_KEY_ID),
    ]
    .into_iter()
    .filter(|(_, secret)| text.contains(secret))
    .map(|(what, _)| what)
    .collect();
    if signature.is_match(text) {
        found.push("a full Authorization value");
    }
    found
}

fn files_under(dir: &Path, files: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files_under(&path, files);
        } else {
            files.push(path);
        }
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// Asserts that neither the run's output nor any file under `dir` leaks.
fn assert_no_leak(what: &str, finished: &Finished, dir: &Path) {
    assert!(!finished.killed, "{what}: hung");
    assert!(
        !finished.text().contains("panicked"),
        "{what}: {}",
        finished.text()
    );
    let found = leaks(&finished.text());
    assert!(
        found.is_empty(),
        "{what}: output shows {found:?}:\n{}",
        finished.text()
    );
    let mut files = Vec::new();
    files_under(dir, &mut files);
    for file in files {
        let bytes = std::fs::read(&file).unwrap();
        let found = leaks(&String::from_utf8_lossy(&bytes));
        assert!(
            found.is_empty(),
            "{what}: {} shows {found:?}",
            file.display()
        );
    }
}

#[test]
fn reports_and_snapshots_of_a_signed_suite_hold_no_secret() {
    let out = TempDir::new("reports");
    let snapshots = out.file("snapshots");
    copy_dir(Path::new("snapshots"), Path::new(&snapshots));
    let (json, junit) = (out.file("report.json"), out.file("report.xml"));
    let runs: Vec<Vec<&str>> = vec![
        vec!["run", "--credentials", "chain"],
        vec![
            "run",
            "--credentials",
            "chain",
            "--format",
            "json",
            "--output",
            &json,
        ],
        vec![
            "run",
            "--credentials",
            "chain",
            "--format",
            "junit",
            "--output",
            &junit,
        ],
        vec![
            "run",
            "--credentials",
            "chain",
            "--snapshots",
            "record",
            "--snapshot-dir",
            &snapshots,
            "--snapshot-profile",
            "reference",
        ],
    ];
    let finished: Vec<(String, Finished)> = std::thread::scope(|scope| {
        let handles: Vec<_> = runs
            .iter()
            .map(|args| {
                scope.spawn(|| {
                    (
                        args.join(" "),
                        harness::run(with_fake_credentials(args), LIMIT),
                    )
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for (args, run) in &finished {
        assert_eq!(run.code, Some(0), "{args}: {}", run.text());
        assert_no_leak(args, run, &out.0);
    }
    assert!(std::fs::metadata(&json).is_ok_and(|m| m.len() > 0));
    assert!(std::fs::metadata(&junit).is_ok_and(|m| m.len() > 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_with_curl_reproducers_hold_no_secret() {
    // Names of 129 characters are accepted: N2 is broken, so failures print.
    let wrong = common::rewritten(Arc::new(|x| {
        (x.refused_rule() == Some("N2")).then(|| common::fabricated_success(x))
    }))
    .await;
    let out = TempDir::new("failures");
    let url = wrong.url.clone();
    let json = out.file("failed.json");
    let (pretty, report, call) = tokio::task::spawn_blocking(move || {
        let run = |args: &[&str]| harness::run(with_fake_credentials(args), LIMIT);
        (
            run(&[
                "run",
                "--endpoint",
                &url,
                "--credentials",
                "chain",
                "--rule",
                "N2",
                "--snapshot-profile",
                "reference",
            ]),
            run(&[
                "run",
                "--endpoint",
                &url,
                "--credentials",
                "chain",
                "--rule",
                "N2",
                "--format",
                "json",
                "--output",
                &json,
            ]),
            run(&[
                "call",
                "CreateChannel",
                "--endpoint",
                &url,
                "--credentials",
                "chain",
                "--curl",
                "--body",
                "{}",
            ]),
        )
    })
    .await
    .unwrap();
    assert_eq!(pretty.code, Some(1), "{}", pretty.text());
    assert!(
        pretty.stdout.contains("repro:    curl"),
        "{}",
        pretty.text()
    );
    assert!(
        pretty.stdout.contains("$AWS_SECRET_ACCESS_KEY"),
        "{}",
        pretty.text()
    );
    assert_no_leak("pretty failure", &pretty, &out.0);
    assert_eq!(report.code, Some(1), "{}", report.text());
    assert_no_leak("json failure", &report, &out.0);
    assert!(
        call.stdout.contains("$AWS_ACCESS_KEY_ID"),
        "{}",
        call.text()
    );
    assert_no_leak("call --curl", &call, &out.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fuzz_artefacts_hold_no_secret() {
    let out = TempDir::new("fuzz");
    let dir = out.file("fuzz");
    let run = tokio::task::spawn_blocking(move || {
        harness::run(
            with_fake_credentials(&[
                "fuzz",
                "--credentials",
                "chain",
                "--duration",
                "3s",
                "--out",
                &dir,
            ]),
            LIMIT,
        )
    })
    .await
    .unwrap();
    assert_no_leak("fuzz", &run, &out.0);
}

#[tokio::test]
async fn debug_output_of_clients_and_configs_holds_no_secret() {
    let mut config = ClientConfig::new("http://127.0.0.1:9", "us-east-1");
    config.credentials = CredentialSource::Static(Credentials::new(
        ACCESS_KEY_ID,
        SECRET_ACCESS_KEY,
        Some(SESSION_TOKEN.into()),
        None,
        "test",
    ));
    let client = Client::new(config.clone()).await.unwrap();
    for shown in [
        format!("{config:?}"),
        format!("{client:?}"),
        config.credentials.describe(),
    ] {
        assert!(leaks(&shown).is_empty(), "{shown}");
    }
}

/// An endpoint that answers every request with its own headers, as some
/// debugging proxies and mocks do.
async fn echoing_endpoint() -> String {
    use axum::http::HeaderMap;
    let app = axum::Router::new().fallback(|headers: HeaderMap| async move {
        let echoed: serde_json::Map<String, serde_json::Value> = headers
            .iter()
            .map(|(name, value)| {
                (
                    name.to_string(),
                    String::from_utf8_lossy(value.as_bytes())
                        .into_owned()
                        .into(),
                )
            })
            .collect();
        let body = serde_json::json!({
            "__type": "ValidationException",
            "message": format!("you sent {echoed:?}"),
            "headers": echoed,
        });
        (
            axum::http::StatusCode::BAD_REQUEST,
            [("content-type", "application/x-amz-json-1.1")],
            body.to_string(),
        )
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_an_endpoint_echoes_are_masked_in_every_output() {
    let url = echoing_endpoint().await;
    let out = TempDir::new("echo");
    let (json, junit) = (out.file("r.json"), out.file("r.xml"));
    let (run, call) = tokio::task::spawn_blocking(move || {
        let run = |args: &[&str]| harness::run(with_fake_credentials(args), LIMIT);
        (
            run(&[
                "run",
                "--endpoint",
                &url,
                "--credentials",
                "chain",
                "--rule",
                "N2",
                "--snapshots",
                "off",
                "--report",
                &format!("json={json}"),
                "--report",
                &format!("junit={junit}"),
            ]),
            run(&[
                "call",
                "ListChannels",
                "--endpoint",
                &url,
                "--credentials",
                "chain",
            ]),
        )
    })
    .await
    .unwrap();
    assert_eq!(run.code, Some(1), "{}", run.text());
    assert!(call.stdout.contains("[masked]"), "{}", call.text());
    assert_no_leak("run against an echoing endpoint", &run, &out.0);
    assert_no_leak("call against an echoing endpoint", &call, &out.0);
}
