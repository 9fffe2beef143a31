//! The fuzzer's report for a terminal: what ran, how fast, each finding
//! with the oracle's reasoning and its reproducers, and the cases per rule.

use crate::fuzz::FuzzReport;

/// The human-readable fuzz report.
pub fn fuzz_pretty(report: &FuzzReport) -> String {
    let mut out = format!(
        "ctconform fuzz: {}{} (seed {}, run {}, {} jobs)\n",
        report.endpoint,
        if report.embedded {
            " (embedded emulator)"
        } else {
            ""
        },
        report.seed,
        report.run_id,
        report.jobs
    );
    if let Some(error) = &report.error {
        out.push_str(&format!("  error: {error}\n"));
    }
    out.push_str(&format!(
        "  {} cases in {:.1} s: {:.0} cases/s; {} requests: {:.0} requests/s; {} sessions\n",
        report.cases,
        report.elapsed_secs,
        report.cases_per_sec,
        report.requests,
        report.requests_per_sec,
        report.sessions
    ));
    out.push_str(&format!(
        "  {} cases in {}; {} groups of calls sent at once\n",
        report.second_region_cases, report.region2, report.concurrent_groups
    ));
    if report.quota_refusals > 0 {
        out.push_str(&format!(
            "  {} creates refused for a shared quota (not judged)\n",
            report.quota_refusals
        ));
    }
    if report.throttled > 0 || report.retries > 0 {
        out.push_str(&format!(
            "  {} retries; {} cases throttled past the retry budget (not judged); \
             {} diverging only after a retry that may have repeated work (not findings)\n",
            report.retries, report.throttled, report.ambiguous
        ));
    }
    if let Some(failure) = &report.setup_failure {
        out.push_str(&format!(
            "  the endpoint kept the run from starting: {failure}\n"
        ));
    }
    if report.setup_failure.is_some() {
        out.push_str("  nothing was fuzzed: the setup failed\n");
    } else {
        out.push_str(&format!("  {} divergences\n", report.findings.len()));
    }
    for (n, finding) in report.findings.iter().enumerate() {
        out.push_str(&format!(
            "\n  {}. {:?} [{}]: answered {}\n     acceptable: {}\n     broken rules: {}\n     {}\n     shrunk from {} to {} steps in {} replays; seen {} times\n     {}\n",
            n + 1,
            finding.class,
            finding.rules.join(", "),
            finding.actual,
            finding.expected,
            if finding.broken.is_empty() {
                "none (the request conforms: only success conforms)".to_string()
            } else {
                finding.broken.join("; ")
            },
            finding.reason,
            finding.steps_found,
            finding.steps_shrunk,
            finding.replays,
            finding.occurrences,
            finding.curl,
        ));
        if let Some(path) = &finding.scenario_path {
            out.push_str(&format!("     scenario: {}\n", path.display()));
        }
    }
    out.push_str("\n  cases per rule:\n   ");
    for (i, (rule, count)) in report.coverage.iter().enumerate() {
        out.push_str(&format!(" {rule} {count}"));
        if i % 10 == 9 {
            out.push_str("\n   ");
        }
    }
    out.push('\n');
    for failure in &report.cleanup_failures {
        out.push_str(&format!("  left behind? {failure}\n"));
    }
    if let Some(command) = report.replay_command() {
        out.push_str(&format!("  replay: {command}\n"));
    }
    out
}
