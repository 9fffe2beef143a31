//! The `ctconform` binary as a user runs it: exit codes, the summary line,
//! other endpoints, reports and input errors.

use crate::common;
use crate::harness;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use common::rewritten;
use harness::Finished;

/// Far above any run here: a hang fails the test instead of stalling it.
const LIMIT: Duration = Duration::from_secs(120);

fn ctconform(args: &[&str]) -> Finished {
    harness::ctconform(args, LIMIT)
}

fn text(output: &Finished) -> String {
    output.text()
}

fn last_line(output: &Finished) -> String {
    output.stdout.lines().last().unwrap_or_default().to_string()
}

/// `ctconform serve` on a free port, and the URL it announces.
fn serve() -> (Child, String) {
    let mut server = Command::new(env!("CARGO_BIN_EXE_ctconform"))
        .args(["serve", "--addr", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut ready = String::new();
    BufReader::new(server.stdout.take().unwrap())
        .read_line(&mut ready)
        .unwrap();
    let url = ready.trim().rsplit(' ').next().unwrap().to_string();
    assert!(url.starts_with("http://127.0.0.1:"), "{ready}");
    (server, url)
}

fn stop(server: &mut Child) {
    server.kill().unwrap();
    server.wait().unwrap();
}

#[test]
fn run_against_the_embedded_emulator_passes_and_ends_with_the_summary() {
    let output = ctconform(&["run"]);
    assert_eq!(output.code, Some(0), "{}", text(&output));
    let summary = last_line(&output);
    let counts: Vec<&str> = summary.split(", ").collect();
    assert!(
        counts.len() == 3
            && counts[0].ends_with(" passed")
            && counts[1] == "0 failed"
            && counts[2].ends_with(" skipped"),
        "{summary}"
    );
}

#[test]
fn run_against_a_separately_started_emulator() {
    let (mut server, url) = serve();
    let output = ctconform(&["run", "--endpoint", &url, "--snapshot-profile", "reference"]);
    stop(&mut server);
    assert_eq!(output.code, Some(0), "{}", text(&output));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_answer_exits_1_with_a_readable_diff() {
    // Names of 129 characters are accepted: N2 is broken.
    let wrong = rewritten(Arc::new(|x| {
        (x.refused_rule() == Some("N2")).then(|| common::fabricated_success(x))
    }))
    .await;
    let url = wrong.url.clone();
    let output = tokio::task::spawn_blocking(move || {
        ctconform(&[
            "run",
            "--endpoint",
            &url,
            "--rule",
            "N2",
            "--snapshot-profile",
            "reference",
        ])
    })
    .await
    .unwrap();
    let report = text(&output);
    assert_eq!(output.code, Some(1), "{report}");
    assert!(report.contains("FAIL input-n2-name-over-max"), "{report}");
    assert!(
        report.contains(
            "expected: status 400, error one of InvalidParameterException, ValidationException"
        ),
        "{report}"
    );
    assert!(report.contains("status: expected 400, got 200"), "{report}");
    assert!(
        report.contains("--- stored") && report.contains("+status: 200"),
        "the snapshot diff: {report}"
    );
    assert!(report.contains("repro:    curl"), "{report}");
}

#[test]
fn junit_reports_are_valid() {
    let path = std::env::temp_dir().join(format!("ctconform-junit-{}.xml", std::process::id()));
    let output = ctconform(&[
        "run",
        "--format",
        "junit",
        "--output",
        path.to_str().unwrap(),
        "--rule",
        "C1",
    ]);
    assert_eq!(output.code, Some(0), "{}", text(&output));
    let xml = std::fs::read_to_string(&path).unwrap();
    let report = quick_junit::Report::deserialize_from_str(&xml).expect("valid JUnit XML");
    assert!(report.tests > 0);
    assert_eq!(report.failures, 0);
    let _ = std::fs::remove_file(path);
}

#[test]
fn json_reports_carry_the_schema_and_every_scenario() {
    let output = ctconform(&["run", "--format", "json", "--rule", "T1"]);
    assert_eq!(output.code, Some(0));
    let report: serde_json::Value = serde_json::from_str(&output.stdout).expect("JSON");
    assert_eq!(report["schema"], "ctconform.run/1");
    assert_eq!(report["conforms"], true);
    let scenarios = report["scenarios"].as_array().unwrap();
    assert!(!scenarios.is_empty());
    assert!(scenarios
        .iter()
        .all(|s| s["rules"].as_array().unwrap().contains(&"T1".into()) && s["verdict"] == "pass"));
}

#[test]
fn a_malformed_scenario_exits_2_naming_file_line_and_column() {
    let dir = std::env::temp_dir().join(format!("ctconform-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("bad.toml"), "name = \"bad\"\ndescription = \"d\"\nrules = [\"N9\"]\n[[steps]]\nop = \"CreateChanel\"\nexpect = { status = 200 }\n").unwrap();
    // An endpoint that nothing listens on: reaching it would be an error of its own.
    let output = ctconform(&[
        "run",
        "--scenarios",
        dir.to_str().unwrap(),
        "--endpoint",
        "http://127.0.0.1:9",
    ]);
    let report = text(&output);
    assert_eq!(output.code, Some(2), "{report}");
    assert!(
        report.contains("bad.toml:3:11: unknown rule id `N9`") || report.contains("bad.toml:3:"),
        "{report}"
    );
    assert!(report.contains("bad.toml:5:6:"), "{report}");
    assert!(report.contains("nothing was sent"), "{report}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn usage_errors_exit_2_with_one_sentence() {
    for args in [
        vec!["run", "--endpoint", "localhost:4566"],
        vec!["run", "--endpoint", "http://127.0.0.1:9"],
        vec!["run", "--timeout", "soon"],
        vec!["run", "--rule", "NOPE"],
        vec!["bogus"],
    ] {
        let output = ctconform(&args);
        assert_eq!(output.code, Some(2), "{args:?}: {}", text(&output));
        assert!(!output.stderr.contains("panicked"), "{args:?}");
    }
}

#[test]
fn a_remote_endpoint_needs_allow_remote() {
    let output = ctconform(&[
        "run",
        "--endpoint",
        "https://cloudtrail.us-east-1.amazonaws.com",
    ]);
    assert_eq!(output.code, Some(2));
    assert!(
        text(&output).contains("--allow-remote"),
        "{}",
        text(&output)
    );
}

#[test]
fn check_and_coverage() {
    let output = ctconform(&["check"]);
    assert_eq!(output.code, Some(0), "{}", text(&output));
    let output = ctconform(&["coverage"]);
    assert_eq!(output.code, Some(0), "{}", text(&output));
    assert!(text(&output).contains("every one of the"));
    assert!(text(&output).contains("determined lifecycle cells has a scenario"));
}

#[test]
fn coverage_fails_on_a_determined_cell_without_a_scenario() {
    let path = std::env::temp_dir().join(format!("ctconform-matrix-{}.toml", std::process::id()));
    let matrix = "[[observers]]\nid = \"get\"\ntitle = \"GetChannel by ARN\"\n\
                  [[rows]]\nid = \"create\"\ntitle = \"CreateChannel accepted\"\n\
                  [rows.cells]\nget = { expect = \"200\", scenarios = [\"no-such-scenario\"] }\n";
    std::fs::write(&path, matrix).unwrap();
    let output = ctconform(&["coverage", "--matrix", path.to_str().unwrap()]);
    let _ = std::fs::remove_file(&path);
    assert_eq!(output.code, Some(1), "{}", text(&output));
    assert!(
        text(&output).contains("create × get: no scenario named `no-such-scenario`"),
        "{}",
        text(&output)
    );
}

#[test]
fn call_prints_the_answer() {
    let (mut server, url) = serve();
    let output = ctconform(&[
        "call",
        "GetChannel",
        "--endpoint",
        &url,
        "--body",
        r#"{"Channel":"nope"}"#,
    ]);
    stop(&mut server);
    let printed = text(&output);
    assert_eq!(output.code, Some(1), "{printed}");
    assert!(
        printed.contains("status: 404") && printed.contains("error: ChannelNotFoundException"),
        "{printed}"
    );
}
