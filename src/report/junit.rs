//! JUnit XML: one test case per scenario, class name from its folder, the
//! failing step's story (with the snapshot diff) as the failure text. A
//! flaky pass carries its retried attempts as `flakyFailure` elements, a
//! failure as `rerunFailure`; an indeterminate scenario is `skipped` with a
//! message starting `indeterminate:` (JUnit has no such status, and it is
//! no failure).

use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestRerun, TestSuite};

use crate::runner::{RunReport, ScenarioResult, Verdict};
use crate::wire::Attempt;

pub fn junit(report: &RunReport) -> String {
    let mut suite = TestSuite::new("ctconform");
    suite.set_time(report.duration);
    for scenario in &report.scenarios {
        suite.add_test_case(test_case(scenario));
    }
    for leak in &report.leaks {
        let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
        status.set_message(format!("{leak} was left behind"));
        let mut case = TestCase::new("cleanup", status);
        case.set_classname("ctconform.cleanup");
        suite.add_test_case(case);
    }
    let mut junit = Report::new("ctconform");
    junit.set_time(report.duration);
    junit.add_test_suite(suite);
    junit.to_string().unwrap_or_default()
}

fn test_case(scenario: &ScenarioResult) -> TestCase {
    let mut status = match scenario.verdict {
        Verdict::Pass => TestCaseStatus::success(),
        Verdict::Indeterminate => {
            let mut status = TestCaseStatus::skipped();
            let reason = scenario.reason.as_deref().unwrap_or("throttled");
            status.set_message(format!("indeterminate: {reason}"));
            status
        }
        Verdict::Skip => {
            let mut status = TestCaseStatus::skipped();
            if let Some(reason) = &scenario.reason {
                status.set_message(reason.clone());
            }
            status
        }
        Verdict::Fail | Verdict::Error => {
            let kind = if scenario.verdict == Verdict::Fail {
                NonSuccessKind::Failure
            } else {
                NonSuccessKind::Error
            };
            let mut status = TestCaseStatus::non_success(kind);
            status.set_message(scenario.reason.clone().unwrap_or_default());
            status.set_description(failure_text(scenario));
            status
        }
    };
    // Throttling alone is no flakiness: a pass shows its attempts only when
    // a transient fault was among them.
    if scenario.verdict != Verdict::Pass || scenario.flaky() {
        status.add_reruns(
            scenario
                .retried()
                .map(|(step, attempt)| rerun(&step.name, attempt)),
        );
    }
    let mut case = TestCase::new(scenario.name.clone(), status);
    case.set_classname(classname(scenario));
    case.set_time(scenario.duration);
    case
}

/// A retried attempt as a `flakyFailure` (in a pass) or `rerunFailure`.
fn rerun(step: &str, attempt: &Attempt) -> TestRerun {
    let kind = if attempt.fault.is_some() {
        NonSuccessKind::Error
    } else {
        NonSuccessKind::Failure
    };
    let mut rerun = TestRerun::new(kind);
    rerun.set_message(format!("step {step}: {}", attempt.summary()));
    rerun.set_type(format!("{:?}", attempt.retryable).to_lowercase());
    rerun.set_time(attempt.latency);
    rerun
}

/// `ctconform.<folder>`: the scenario's folder under `scenarios/`.
fn classname(scenario: &ScenarioResult) -> String {
    let folder = scenario
        .path
        .parent()
        .and_then(|p| p.file_name())
        .map(|name| name.to_string_lossy().into_owned())
        .or_else(|| scenario.tags.first().cloned())
        .unwrap_or_else(|| "scenarios".into());
    format!("ctconform.{folder}")
}

fn failure_text(scenario: &ScenarioResult) -> String {
    let mut text = format!(
        "rules: {}\n{}\n",
        scenario.rules.join(", "),
        scenario.description
    );
    for step in scenario.steps.iter().filter(|s| s.verdict != Verdict::Pass) {
        text.push_str(&format!(
            "step {} ({}): expected {}\n",
            step.name, step.operation, step.expected
        ));
        if let Some(request) = &step.request {
            text.push_str(&format!("request: {}\n", request.body));
        }
        match &step.answer.fault {
            Some(fault) => text.push_str(&format!("actual: {fault}\n")),
            None => text.push_str(&format!(
                "actual: {} {} {}\n",
                step.answer
                    .status
                    .map(|s| s.to_string())
                    .unwrap_or_default(),
                step.answer.error_code.as_deref().unwrap_or("-"),
                step.answer.body
            )),
        }
        for problem in &step.problems {
            text.push_str(&format!("- {problem}\n"));
        }
        if let Some(diff) = &step.snapshot_diff {
            text.push_str(diff);
        }
    }
    text
}
