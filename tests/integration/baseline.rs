//! Baselines end to end: an endpoint that breaks N2 fails a run; the
//! divergence is written with `--baseline-update`; the next run with
//! `--baseline` passes and lists it as known; against a conforming endpoint
//! the same baseline passes and reports it fixed. Plus the Markdown report
//! and the GitHub step summary.

use crate::common;
use crate::harness;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use common::rewritten;
use harness::Finished;

fn ctconform(args: &[&str], summary: Option<&Path>) -> Finished {
    let mut command = harness::command(args);
    if let Some(summary) = summary {
        command.env("GITHUB_STEP_SUMMARY", summary);
    }
    harness::run(command, Duration::from_secs(120))
}

/// A fresh directory for one test's files.
fn scratch(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ctconform-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn text(output: &Finished) -> String {
    output.text()
}

async fn run(args: Vec<String>) -> Finished {
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        ctconform(&args, None)
    })
    .await
    .unwrap()
}

fn args(url: &str, extra: &[&str]) -> Vec<String> {
    ["run", "--endpoint", url, "--rule", "N2"]
        .iter()
        .chain(extra)
        .map(|s| s.to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn known_divergences_pass_new_ones_fail_fixed_ones_are_reported() {
    let dir = scratch("known");
    let baseline = dir.join("baseline.toml");
    let baseline_arg = baseline.to_str().unwrap();
    // Names of 129 characters are accepted: N2 is broken.
    let broken = rewritten(Arc::new(|x| {
        (x.refused_rule() == Some("N2")).then(|| common::fabricated_success(x))
    }))
    .await;

    let first = run(args(&broken.url, &[])).await;
    assert_eq!(first.code, Some(1), "{}", text(&first));

    let update = run(args(
        &broken.url,
        &["--baseline", baseline_arg, "--baseline-update"],
    ))
    .await;
    assert_eq!(update.code, Some(0), "{}", text(&update));
    let written = std::fs::read_to_string(&baseline).unwrap();
    assert!(
        written.contains("scenario = \"input-n2-name-over-max\"")
            && written.contains("step = \"create\"")
            && written.contains("got 200 (no error code)"),
        "{written}"
    );

    let again = run(args(
        &broken.url,
        &["--baseline", baseline_arg, "--baseline-update"],
    ))
    .await;
    assert_eq!(again.code, Some(0), "{}", text(&again));
    assert_eq!(
        std::fs::read_to_string(&baseline).unwrap(),
        written,
        "rewriting from the same endpoint changes nothing"
    );

    let known = run(args(&broken.url, &["--baseline", baseline_arg])).await;
    let report = text(&known);
    assert_eq!(known.code, Some(0), "{report}");
    assert!(
        report.contains("known divergence: input-n2-name-over-max step create"),
        "{report}"
    );
    assert!(
        report.contains("baseline: 0 new, 4 known, 0 fixed, 0 not checked: accepted"),
        "{report}"
    );

    let json = run(args(
        &broken.url,
        &["--baseline", baseline_arg, "--format", "json"],
    ))
    .await;
    assert_eq!(json.code, Some(0), "{}", text(&json));
    let document: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(document["baseline"]["accepted"], true);
    let known: Vec<&str> = document["baseline"]["known"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|d| d["scenario"].as_str())
        .collect();
    assert!(known.contains(&"input-n2-name-over-max"), "{known:?}");

    let markdown = run(args(
        &broken.url,
        &["--baseline", baseline_arg, "--format", "markdown"],
    ))
    .await;
    let page = markdown.stdout.as_str();
    assert_eq!(markdown.code, Some(0), "{page}");
    assert!(page.contains("| N2 | 🟡 diverges (known) |"), "{page}");
    assert!(
        page.contains("- **known** `input-n2-name-over-max` step `create`"),
        "{page}"
    );

    // The plain emulator conforms: the known divergence is fixed.
    let conforming = rewritten(Arc::new(|_| None)).await;
    let fixed = run(args(&conforming.url, &["--baseline", baseline_arg])).await;
    let report = text(&fixed);
    assert_eq!(fixed.code, Some(0), "{report}");
    assert!(
        report.contains("fixed: input-n2-name-over-max now passes: remove it from the baseline"),
        "{report}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_divergence_fails_despite_a_baseline() {
    let dir = scratch("new");
    let baseline = dir.join("baseline.toml");
    std::fs::write(&baseline, "version = 1\n").unwrap();
    let broken = rewritten(Arc::new(|x| {
        (x.refused_rule() == Some("N2")).then(|| common::fabricated_success(x))
    }))
    .await;
    let output = run(args(
        &broken.url,
        &["--baseline", baseline.to_str().unwrap()],
    ))
    .await;
    let report = text(&output);
    assert_eq!(output.code, Some(1), "{report}");
    assert!(
        report.contains("new divergence: input-n2-name-over-max step create"),
        "{report}"
    );
}

#[test]
fn a_missing_or_malformed_baseline_is_a_usage_error() {
    let dir = scratch("usage");
    let missing = dir.join("missing.toml");
    let output = ctconform(&["run", "--baseline", missing.to_str().unwrap()], None);
    assert_eq!(output.code, Some(2), "{}", text(&output));
    assert!(text(&output).contains("cannot read baseline"));

    let malformed = dir.join("malformed.toml");
    std::fs::write(&malformed, "version = 7\n").unwrap();
    let output = ctconform(&["run", "--baseline", malformed.to_str().unwrap()], None);
    assert_eq!(output.code, Some(2), "{}", text(&output));
    assert!(text(&output).contains("version 7"), "{}", text(&output));

    let output = ctconform(&["run", "--baseline-update"], None);
    assert_eq!(output.code, Some(2), "{}", text(&output));
}

#[test]
fn markdown_goes_to_stdout_and_to_the_github_step_summary() {
    let dir = scratch("summary");
    let summary = dir.join("summary.md");
    std::fs::write(&summary, "earlier step\n").unwrap();
    let output = ctconform(
        &["run", "--rule", "N2", "--format", "markdown"],
        Some(&summary),
    );
    let page = output.stdout.clone();
    assert_eq!(output.code, Some(0), "{page}");
    assert!(
        page.starts_with("## CreateChannel conformance: `embedded`"),
        "{page}"
    );
    assert!(page.contains("| N2 | ✅ enforced |"), "{page}");
    assert!(
        page.contains("| N1 | ⚪ not testable here | 0 | 0 | 0 |"),
        "{page}"
    );
    let appended = std::fs::read_to_string(&summary).unwrap();
    assert!(appended.starts_with("earlier step\n## CreateChannel conformance"));
    assert!(appended.contains("| N2 | ✅ enforced |"));

    // Whatever the format.
    let output = ctconform(&["run", "--rule", "N1", "--format", "json"], Some(&summary));
    assert_eq!(output.code, Some(0), "{}", text(&output));
    let appended = std::fs::read_to_string(&summary).unwrap();
    assert_eq!(appended.matches("## CreateChannel conformance").count(), 2);
    assert!(appended.contains("| N1 | ✅ enforced |"));
}

#[test]
fn one_run_writes_several_reports() {
    let dir = scratch("reports");
    let (junit, json, markdown) = (
        dir.join("report.xml"),
        dir.join("report.json"),
        dir.join("matrix.md"),
    );
    let output = ctconform(
        &[
            "run",
            "--rule",
            "N1",
            "--format",
            "junit",
            "--output",
            junit.to_str().unwrap(),
            "--report",
            &format!("json={}", json.display()),
            "--report",
            &format!("markdown={}", markdown.display()),
        ],
        None,
    );
    assert_eq!(output.code, Some(0), "{}", text(&output));
    assert!(std::fs::read_to_string(&junit)
        .unwrap()
        .contains("<testsuite"));
    let document: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(document["conforms"], true);
    assert!(std::fs::read_to_string(&markdown)
        .unwrap()
        .contains("| N1 | ✅ enforced |"));

    let output = ctconform(&["run", "--report", "yaml=x"], None);
    assert_eq!(output.code, Some(2));
    assert!(
        text(&output).contains("not a report format"),
        "{}",
        text(&output)
    );
}

/// Issue 17 item 4: the signature of a parallel step's divergence does not
/// depend on which copy answered first. The endpoint lets the first create
/// of a Name through and answers every later copy 409 ConflictException (C1
/// wants 400 ChannelAlreadyExistsException); which copy is first varies from
/// run to run. Five runs against one baseline all see the same divergence.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_parallel_step_signs_the_same_divergence_whichever_copy_wins() {
    let seen = Arc::new(std::sync::Mutex::new(std::collections::HashSet::new()));
    let endpoint = rewritten(Arc::new(move |x: &common::Exchange| {
        if x.status != 0 || x.operation() != "CreateChannel" {
            return None;
        }
        let name = x.request_json.as_ref()?.get("Name")?.as_str()?.to_string();
        if !name.contains("ok4-race") || seen.lock().unwrap().insert(name) {
            return None;
        }
        Some(common::Reply::error(409, "ConflictException"))
    }))
    .await;
    let dir = scratch("parallel-signature");
    let baseline = dir.join("baseline.toml");
    let baseline_arg = baseline.to_str().unwrap().to_string();
    let race = |extra: &[&str]| -> Vec<String> {
        [
            "run",
            "--endpoint",
            &endpoint.url,
            "--filter",
            "success-ok4-create-race-8",
        ]
        .iter()
        .chain(extra)
        .map(|s| s.to_string())
        .collect()
    };
    let first = run(race(&["--baseline", &baseline_arg, "--baseline-update"])).await;
    assert_eq!(first.code, Some(0), "{}", text(&first));
    for _ in 0..5 {
        let again = run(race(&["--baseline", &baseline_arg])).await;
        assert_eq!(
            again.code,
            Some(0),
            "a rerun saw a new divergence:\n{}",
            text(&again)
        );
    }
    let _ = std::fs::remove_dir_all(dir);
}
