//! The terminal report: one line per scenario, the whole story of each
//! failure (request, expected, actual, diff), the indeterminate and flaky
//! scenarios with their attempts, what retrying cost, and the closing
//! summary `N passed, N failed, N skipped` (after `N indeterminate`, when
//! there are some).

use std::fmt::Write;

use crate::runner::baseline::BaselineVerdict;
use crate::runner::{RunReport, ScenarioResult, StepResult, Verdict};

/// Whether to colour the output (a TTY without `NO_COLOR`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    Plain,
    Color,
}

impl Style {
    fn paint(self, verdict: Verdict, text: &str) -> String {
        let code = match verdict {
            Verdict::Pass => "32",
            Verdict::Fail | Verdict::Error => "31",
            Verdict::Skip => "33",
            Verdict::Indeterminate => "35",
        };
        match self {
            Style::Plain => text.to_string(),
            Style::Color => format!("\x1b[{code}m{text}\x1b[0m"),
        }
    }
}

/// One line for a finished scenario: `PASS input-n2-name-over-max [N2] 3ms`.
pub fn scenario_line(result: &ScenarioResult, style: Style) -> String {
    let label = style.paint(result.verdict, &format!("{:<5}", result.verdict.label()));
    let mut line = format!(
        "{label} {} [{}] {}ms",
        result.name,
        result.rules.join(","),
        result.duration.as_millis()
    );
    // A pass carries a reason only for a failed cleanup step.
    if let (Some(reason), Verdict::Skip | Verdict::Indeterminate | Verdict::Pass) =
        (&result.reason, result.verdict)
    {
        let _ = write!(line, " ({reason})");
    }
    if result.flaky() {
        let _ = write!(line, " (flaky: {})", attempts_text(result));
    }
    line
}

/// `503 ServiceUnavailableException, then 200` for a scenario's retried
/// attempts, step by step.
fn attempts_text(result: &ScenarioResult) -> String {
    result
        .steps
        .iter()
        .filter(|step| !step.retried.is_empty())
        .map(|step| {
            let tried: Vec<String> = step.retried.iter().map(|a| a.summary()).collect();
            format!(
                "step {}: {}, then {}",
                step.name,
                tried.join(", "),
                answer_text(step)
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn answer_text(step: &StepResult) -> String {
    let answer = &step.answer;
    match (&answer.fault, answer.status, &answer.error_code) {
        (Some(fault), _, _) => fault.clone(),
        (None, Some(status), Some(code)) => format!("{status} {code}"),
        (None, Some(status), None) => status.to_string(),
        (None, None, _) => "no answer".into(),
    }
}

/// `N indeterminate`, the line before the closing one, when there are some.
pub(super) fn indeterminate_line(report: &RunReport) -> Option<String> {
    let counts = report.counts();
    (counts.indeterminate > 0).then(|| format!("{} indeterminate", counts.indeterminate))
}

/// What retrying and pacing cost, and what the run made.
pub(super) fn wire_line(report: &RunReport) -> String {
    let wire = &report.wire;
    let mut line = format!(
        "retries: {} ({} throttled answers, {} transient faults)",
        wire.retries, wire.throttled, wire.transient
    );
    match (wire.throttled_at, wire.settled_rate) {
        (Some(limit), Some(rate)) => {
            let _ = write!(
                line,
                "; last throttled at {limit:.1} requests/s, the pace settled at {rate:.1} requests/s"
            );
        }
        _ => line.push_str("; never throttled"),
    }
    let _ = write!(
        line,
        "; created {} channels and {} event data stores",
        report.created.channels, report.created.stores
    );
    line
}

/// The closing line, exactly `N passed, N failed, N skipped` (errors count as failed).
pub fn summary_line(report: &RunReport) -> String {
    let counts = report.counts();
    // Leaks fail the run and are failures in JSON and JUnit too.
    let leaks = report.leaks.len();
    let mut line = format!(
        "{} passed, {} failed, {} skipped",
        counts.passed,
        counts.failed + counts.errored + leaks,
        counts.skipped
    );
    if leaks > 0 {
        line.push_str(&format!(" ({leaks} of the failed: resources left behind)"));
    }
    line
}

/// The whole report. With `lines_done`, the per-scenario lines were already
/// printed as scenarios ended (progress), so they are not repeated.
pub fn pretty(report: &RunReport, style: Style, lines_done: bool) -> String {
    let mut out = String::new();
    if !lines_done {
        for result in &report.scenarios {
            let _ = writeln!(out, "{}", scenario_line(result, style));
        }
    }
    let failures: Vec<&ScenarioResult> = report
        .scenarios
        .iter()
        .filter(|s| matches!(s.verdict, Verdict::Fail | Verdict::Error))
        .collect();
    for result in &failures {
        out.push('\n');
        failure(&mut out, result, style);
    }
    let undecided: Vec<&ScenarioResult> = report
        .scenarios
        .iter()
        .filter(|s| s.verdict == Verdict::Indeterminate)
        .collect();
    if !undecided.is_empty() {
        out.push('\n');
        let _ = writeln!(
            out,
            "{}",
            style.paint(
                Verdict::Indeterminate,
                "indeterminate (throttled past the retry budget: the rule was not tested):"
            )
        );
        for result in undecided {
            let reason = result.reason.as_deref().unwrap_or("throttled");
            let _ = writeln!(
                out,
                "  {} [{}]: {reason}",
                result.name,
                result.rules.join(",")
            );
        }
    }
    let flaky: Vec<&ScenarioResult> = report.scenarios.iter().filter(|s| s.flaky()).collect();
    if !flaky.is_empty() {
        out.push('\n');
        let _ = writeln!(out, "flaky (passed after a transient fault, retried):");
        for result in flaky {
            let _ = writeln!(out, "  {}: {}", result.name, attempts_text(result));
        }
    }
    out.push('\n');
    let _ = writeln!(
        out,
        "endpoint: {}  region: {}  run id: {}",
        report.endpoint, report.region, report.run_id
    );
    for note in &report.notes {
        let _ = writeln!(out, "note: {note}");
    }
    for problem in &report.cleanup_problems {
        let _ = writeln!(out, "cleanup: {problem}");
    }
    for leak in &report.leaks {
        let _ = writeln!(
            out,
            "{}",
            style.paint(Verdict::Fail, &format!("leak: {leak} was left behind"))
        );
    }
    if let Some(baseline) = &report.baseline {
        baseline_lines(&mut out, baseline, style);
    }
    let counts = report.counts();
    let seconds = report.duration.as_secs_f64();
    let _ = writeln!(
        out,
        "{} scenarios, {} requests in {seconds:.2}s ({:.0} scenarios/s, {:.0} requests/s); {} errors among the failed",
        report.scenarios.len(),
        report.requests,
        report.scenarios.len() as f64 / seconds.max(1e-9),
        report.requests as f64 / seconds.max(1e-9),
        counts.errored
    );
    let _ = writeln!(out, "{}", wire_line(report));
    if report.incomplete() {
        let _ = writeln!(
            out,
            "{}",
            style.paint(
                Verdict::Indeterminate,
                "no divergence found, but the run is incomplete: rerun with a lower --rate or --jobs (exit 1)"
            )
        );
    }
    if let Some(line) = indeterminate_line(report) {
        let _ = writeln!(out, "{line}");
    }
    let _ = writeln!(out, "{}", summary_line(report));
    out
}

/// The baseline's verdict: new divergences (failing), known and fixed ones.
fn baseline_lines(out: &mut String, baseline: &BaselineVerdict, style: Style) {
    for d in &baseline.new {
        let line = format!(
            "new divergence: {} step {}: {}",
            d.scenario, d.step, d.signature
        );
        let _ = writeln!(out, "{}", style.paint(Verdict::Fail, &line));
    }
    for d in &baseline.known {
        let _ = writeln!(
            out,
            "known divergence: {} step {}: {}",
            d.scenario, d.step, d.signature
        );
    }
    for d in &baseline.fixed {
        let line = format!(
            "fixed: {} now passes: remove it from the baseline",
            d.scenario
        );
        let _ = writeln!(out, "{}", style.paint(Verdict::Pass, &line));
    }
    let _ = writeln!(
        out,
        "baseline: {} new, {} known, {} fixed, {} not checked: {}",
        baseline.new.len(),
        baseline.known.len(),
        baseline.fixed.len(),
        baseline.unchecked,
        if baseline.accepted {
            "accepted"
        } else {
            "not accepted"
        }
    );
}

fn failure(out: &mut String, result: &ScenarioResult, style: Style) {
    let _ = writeln!(
        out,
        "{} {} ({})",
        style.paint(result.verdict, result.verdict.label()),
        result.name,
        result.path.display()
    );
    let _ = writeln!(
        out,
        "  rules: {}  {}",
        result.rules.join(", "),
        result.description
    );
    if let Some(reason) = &result.reason {
        let _ = writeln!(out, "  reason: {reason}");
    }
    if let Some(step) = result
        .steps
        .iter()
        .find(|s| matches!(s.verdict, Verdict::Fail | Verdict::Error))
    {
        step_detail(out, step);
    }
}

/// Every attempt of a step, the retried ones first.
fn attempt_lines(out: &mut String, step: &StepResult) {
    for (n, attempt) in step.retried.iter().enumerate() {
        let _ = writeln!(
            out,
            "    attempt {}: {} after {} ms; retried after {} ms",
            n + 1,
            attempt.summary(),
            attempt.latency.as_millis(),
            attempt.backoff.as_millis()
        );
    }
}

fn step_detail(out: &mut String, step: &StepResult) {
    let _ = writeln!(
        out,
        "  step {} ({:?}, {})",
        step.name, step.phase, step.operation
    );
    // A race step's request and answer are its first call's: shown per call.
    let race = !step.calls.is_empty();
    if let Some(request) = step.request.as_ref().filter(|_| !race) {
        let _ = writeln!(
            out,
            "    request:  {} {} {}",
            request.method,
            request.target.as_deref().unwrap_or("(no X-Amz-Target)"),
            one_line(&request.body, 300)
        );
        let _ = writeln!(out, "    repro:    {}", one_line(&request.curl, 600));
    }
    let _ = writeln!(out, "    expected: {}", step.expected);
    // A race: every call's request and answer, and the outcome matched.
    for call in &step.calls {
        let answer = &call.answer;
        let actual = match (&answer.fault, answer.status) {
            (Some(fault), _) => fault.clone(),
            (None, status) => format!(
                "{} {} {}",
                status.map(|s| s.to_string()).unwrap_or_default(),
                answer.error_code.as_deref().unwrap_or("-"),
                one_line(&answer.body, 200)
            ),
        };
        let _ = writeln!(
            out,
            "    call {} ({}): {}\n      answered: {actual}\n      repro:    {}",
            call.name,
            call.operation,
            one_line(&call.request.body, 200),
            one_line(&call.request.curl, 600)
        );
    }
    if let Some(outcome) = &step.outcome {
        let _ = writeln!(out, "    outcome:  {outcome}");
    }
    let answer = &step.answer;
    match &answer.fault {
        _ if race => {}
        Some(fault) => {
            let _ = writeln!(out, "    actual:   {fault}");
        }
        None => {
            let status = answer.status.map(|s| s.to_string()).unwrap_or_default();
            let code = answer.error_code.as_deref().unwrap_or("-");
            let _ = writeln!(
                out,
                "    actual:   {status} {code} {}",
                one_line(&answer.body, 300)
            );
        }
    }
    attempt_lines(out, step);
    if let Some(resolved) = &step.resolved {
        let _ = writeln!(out, "    resolved: {resolved}");
    }
    for problem in &step.problems {
        let _ = writeln!(out, "    - {problem}");
    }
    if let Some(diff) = step.snapshot_diff.as_deref().filter(|d| !d.is_empty()) {
        let _ = writeln!(out, "    snapshot diff:");
        for line in diff.lines() {
            let _ = writeln!(out, "      {line}");
        }
    }
}

fn one_line(text: &str, limit: usize) -> String {
    let flat: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if flat.chars().count() <= limit {
        flat
    } else {
        let head: String = flat.chars().take(limit).collect();
        format!("{head}…")
    }
}
