//! The Markdown report: contract rules × verdict for one endpoint, grouped
//! by contract section, for a GitHub step summary or a README. Per rule:
//! enforced (its scenarios passed), diverges (one failed or errored; they are
//! named), indeterminate (a scenario stayed throttled past the retry budget,
//! none diverged) or not testable here (all skipped, or none selected). Free of dates,
//! run ids and timings, so the same endpoint gives the same page.

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::contract::{RuleId, Section, RULES};
use crate::runner::baseline::ScenarioDivergence;
use crate::runner::{RunReport, ScenarioResult, Verdict};

/// Failing scenarios named in a rule's row; the rest are counted.
const NAMED_PER_RULE: usize = 4;

/// What a run showed about one rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RuleStatus {
    Enforced,
    Diverges,
    /// Every divergence is in the baseline.
    DivergesKnown,
    /// Nothing diverged, but throttling kept a scenario from testing it.
    Indeterminate,
    NotTestable,
}

impl RuleStatus {
    pub fn label(self) -> &'static str {
        match self {
            RuleStatus::Enforced => "✅ enforced",
            RuleStatus::Diverges => "❌ diverges",
            RuleStatus::DivergesKnown => "🟡 diverges (known)",
            RuleStatus::Indeterminate => "⏳ indeterminate",
            RuleStatus::NotTestable => "⚪ not testable here",
        }
    }
}

/// One row of the matrix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleRow {
    pub rule: RuleId,
    pub status: RuleStatus,
    pub passed: usize,
    /// Failed or errored.
    pub diverged: usize,
    pub skipped: usize,
    /// Throttled past the retry budget.
    pub indeterminate: usize,
    /// The diverging scenarios, in report order.
    pub diverging: Vec<String>,
}

/// The matrix: a row per contract rule, in contract order.
pub fn rule_rows(report: &RunReport) -> Vec<RuleRow> {
    let mut by_rule: BTreeMap<RuleId, Vec<&ScenarioResult>> = BTreeMap::new();
    for scenario in &report.scenarios {
        for rule in scenario.rules.iter().filter_map(|r| RuleId::parse(r)) {
            by_rule.entry(rule).or_default().push(scenario);
        }
    }
    let known = known_scenarios(report);
    RULES
        .iter()
        .map(|rule| {
            row(
                rule.id,
                by_rule.get(&rule.id).map_or(&[][..], Vec::as_slice),
                &known,
            )
        })
        .collect()
}

fn row(rule: RuleId, scenarios: &[&ScenarioResult], known: &[&str]) -> RuleRow {
    let count = |f: fn(Verdict) -> bool| scenarios.iter().filter(|s| f(s.verdict)).count();
    let diverging: Vec<String> = scenarios
        .iter()
        .filter(|s| diverged(s.verdict))
        .map(|s| s.name.clone())
        .collect();
    let passed = count(|v| v == Verdict::Pass);
    let indeterminate = count(|v| v == Verdict::Indeterminate);
    let status = if !diverging.is_empty() {
        if diverging.iter().all(|name| known.contains(&name.as_str())) {
            RuleStatus::DivergesKnown
        } else {
            RuleStatus::Diverges
        }
    } else if indeterminate > 0 {
        RuleStatus::Indeterminate
    } else if passed > 0 {
        RuleStatus::Enforced
    } else {
        RuleStatus::NotTestable
    };
    RuleRow {
        rule,
        status,
        passed,
        diverged: diverging.len(),
        skipped: count(|v| v == Verdict::Skip),
        indeterminate,
        diverging,
    }
}

fn diverged(verdict: Verdict) -> bool {
    matches!(verdict, Verdict::Fail | Verdict::Error)
}

/// Scenarios whose divergence the baseline knows.
fn known_scenarios(report: &RunReport) -> Vec<&str> {
    report
        .baseline
        .iter()
        .flat_map(|b| b.known.iter().map(|d| d.scenario.as_str()))
        .collect()
}

/// The whole page.
pub fn markdown(report: &RunReport) -> String {
    let rows = rule_rows(report);
    let mut out = String::new();
    header(&mut out, report, &rows);
    for section in sections() {
        let in_section: Vec<&RuleRow> = rows
            .iter()
            .filter(|row| row.rule.rule().section == section)
            .collect();
        if !in_section.is_empty() {
            table(&mut out, section, &in_section);
        }
    }
    if let Some(baseline) = &report.baseline {
        baseline_section(&mut out, baseline);
    }
    divergences_section(&mut out, report);
    indeterminate_section(&mut out, report);
    flaky_section(&mut out, report);
    skips_section(&mut out, report);
    out
}

fn sections() -> Vec<Section> {
    let mut sections: Vec<Section> = RULES.iter().map(|rule| rule.section).collect();
    sections.dedup();
    sections
}

fn header(out: &mut String, report: &RunReport, rows: &[RuleRow]) {
    let tally = |status: RuleStatus| rows.iter().filter(|r| r.status == status).count();
    let counts = report.counts();
    let _ = writeln!(out, "## CreateChannel conformance: `{}`\n", report.endpoint);
    let _ = writeln!(
        out,
        "Region `{}`. **{} rules**: {} enforced, {} diverge{}, {}{} not testable here. \
         **{} scenarios**: {} passed{}, {} failed, {} errored, {} skipped{}.",
        report.region,
        rows.len(),
        tally(RuleStatus::Enforced),
        tally(RuleStatus::Diverges) + tally(RuleStatus::DivergesKnown),
        match tally(RuleStatus::DivergesKnown) {
            0 => String::new(),
            n => format!(" ({n} only in known ways)"),
        },
        match tally(RuleStatus::Indeterminate) {
            0 => String::new(),
            n => format!("{n} indeterminate, "),
        },
        tally(RuleStatus::NotTestable),
        report.scenarios.len(),
        counts.passed,
        match counts.flaky {
            0 => String::new(),
            n => format!(" ({n} flaky)"),
        },
        counts.failed,
        counts.errored,
        counts.skipped,
        match counts.indeterminate {
            0 => String::new(),
            n => format!(", {n} indeterminate"),
        }
    );
    if !report.leaks.is_empty() {
        let _ = writeln!(
            out,
            "\n**{} resource(s) of the run were left behind** (a failure).",
            report.leaks.len()
        );
    }
    out.push('\n');
}

fn table(out: &mut String, section: Section, rows: &[&RuleRow]) {
    let _ = writeln!(out, "### {}\n", section.title());
    let _ = writeln!(
        out,
        "| rule | verdict | pass | fail | skip | the contract says | diverging scenarios |"
    );
    let _ = writeln!(out, "|---|---|--:|--:|--:|---|---|");
    for row in rows {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} |",
            row.rule,
            match row.status {
                RuleStatus::Indeterminate =>
                    format!("{} ({})", row.status.label(), row.indeterminate),
                status => status.label().to_string(),
            },
            row.passed,
            row.diverged,
            row.skipped,
            cell(&row.rule.rule().summary()),
            named(&row.diverging)
        );
    }
    out.push('\n');
}

fn named(names: &[String]) -> String {
    let mut shown: Vec<String> = names
        .iter()
        .take(NAMED_PER_RULE)
        .map(|name| format!("`{name}`"))
        .collect();
    if names.len() > NAMED_PER_RULE {
        shown.push(format!("+{} more", names.len() - NAMED_PER_RULE));
    }
    shown.join(", ")
}

fn baseline_section(out: &mut String, baseline: &crate::runner::baseline::BaselineVerdict) {
    let _ = writeln!(
        out,
        "### Baseline\n\n{} new, {} known, {} fixed{}: the run is {}.\n",
        baseline.new.len(),
        baseline.known.len(),
        baseline.fixed.len(),
        match baseline.unchecked {
            0 => String::new(),
            n => format!(", {n} not checked by this run"),
        },
        if baseline.accepted {
            "accepted"
        } else {
            "not accepted"
        }
    );
    let lists: [(&str, &[ScenarioDivergence]); 3] = [
        ("new", &baseline.new),
        ("known", &baseline.known),
        ("fixed: remove from the baseline", &baseline.fixed),
    ];
    for (label, list) in lists {
        for divergence in list {
            let _ = writeln!(
                out,
                "- **{label}** `{}` step `{}`: {}",
                divergence.scenario,
                divergence.step,
                cell(&divergence.signature)
            );
        }
    }
    if !baseline.new.is_empty() || !baseline.known.is_empty() || !baseline.fixed.is_empty() {
        out.push('\n');
    }
}

fn divergences_section(out: &mut String, report: &RunReport) {
    let diverging: Vec<&ScenarioResult> = report
        .scenarios
        .iter()
        .filter(|s| diverged(s.verdict))
        .collect();
    if diverging.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "<details><summary>{} diverging scenario(s)</summary>\n",
        diverging.len()
    );
    for scenario in diverging {
        let _ = writeln!(
            out,
            "- {} `{}` [{}] ({}): {}",
            scenario.verdict.label(),
            scenario.name,
            scenario.rules.join(", "),
            scenario.path.display(),
            cell(&stable(report, scenario.reason.as_deref().unwrap_or("")))
        );
    }
    let _ = writeln!(out, "\n</details>\n");
}

/// The scenarios throttled past the retry budget, with their reasons.
fn indeterminate_section(out: &mut String, report: &RunReport) {
    let undecided: Vec<&ScenarioResult> = report
        .scenarios
        .iter()
        .filter(|s| s.verdict == Verdict::Indeterminate)
        .collect();
    if undecided.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "<details><summary>{} indeterminate scenario(s): throttled past the retry budget, \
         their rules not tested</summary>\n",
        undecided.len()
    );
    for scenario in undecided {
        let _ = writeln!(
            out,
            "- `{}` [{}]: {}",
            scenario.name,
            scenario.rules.join(", "),
            cell(&stable(report, scenario.reason.as_deref().unwrap_or("")))
        );
    }
    let _ = writeln!(out, "\n</details>\n");
}

/// The passes that needed a retry after a transient fault.
fn flaky_section(out: &mut String, report: &RunReport) {
    let flaky: Vec<&ScenarioResult> = report.scenarios.iter().filter(|s| s.flaky()).collect();
    if flaky.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "<details><summary>{} flaky scenario(s): passed after a transient fault</summary>\n",
        flaky.len()
    );
    for scenario in flaky {
        let attempts: Vec<String> = scenario
            .retried()
            .map(|(step, attempt)| format!("`{}`: {}", step.name, attempt.summary()))
            .collect();
        let _ = writeln!(out, "- `{}`: {}", scenario.name, cell(&attempts.join("; ")));
    }
    let _ = writeln!(out, "\n</details>\n");
}

/// Why scenarios were skipped, each reason once with its count.
fn skips_section(out: &mut String, report: &RunReport) {
    let mut reasons: BTreeMap<String, usize> = BTreeMap::new();
    for scenario in report
        .scenarios
        .iter()
        .filter(|s| s.verdict == Verdict::Skip)
    {
        let reason = stable(
            report,
            scenario.reason.as_deref().unwrap_or("no reason given"),
        );
        *reasons.entry(reason).or_default() += 1;
    }
    if reasons.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "<details><summary>why scenarios were skipped</summary>\n"
    );
    for (reason, count) in reasons {
        let _ = writeln!(out, "- {count} × {}", cell(&reason));
    }
    let _ = writeln!(out, "\n</details>\n");
}

/// A text with the run id taken out, so pages of two runs compare equal.
fn stable(report: &RunReport, text: &str) -> String {
    if report.run_id.is_empty() {
        text.to_string()
    } else {
        text.replace(&report.run_id, "<run-id>")
    }
}

/// Text fit for a table cell: one line, pipes escaped; outside `code
/// spans`, emphasis, backslashes and tags escaped too.
fn cell(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_code = false;
    for c in text.chars() {
        match c {
            '`' => {
                in_code = !in_code;
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            '|' => out.push_str("\\|"),
            '\\' | '*' | '_' if !in_code => {
                out.push('\\');
                out.push(c);
            }
            '<' if !in_code => out.push_str("&lt;"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;
    use std::time::Duration;

    use super::*;
    use crate::runner::baseline::{classify, Baseline};

    fn scenario(name: &str, rules: &[&str], verdict: Verdict) -> ScenarioResult {
        ScenarioResult {
            name: name.into(),
            path: PathBuf::from(format!("scenarios/input/{name}.toml")),
            description: String::new(),
            rules: rules.iter().map(|r| r.to_string()).collect(),
            tags: Vec::new(),
            verdict,
            reason: match verdict {
                Verdict::Pass => None,
                Verdict::Skip => Some("fixture `fixture.eds_integration` unavailable: 500".into()),
                _ => Some("step `create`: status: expected 400, got 200 (ctc-r1234567-x)".into()),
            },
            steps: Vec::new(),
            duration: Duration::from_millis(5),
        }
    }

    fn report(scenarios: Vec<ScenarioResult>) -> RunReport {
        RunReport {
            endpoint: "http://127.0.0.1:4566".into(),
            region: "us-east-1".into(),
            run_id: "r1234567".into(),
            notes: Vec::new(),
            scenarios,
            leaks: Vec::new(),
            cleanup_problems: Vec::new(),
            requests: 42,
            wire: Default::default(),
            created: Default::default(),
            duration: Duration::from_secs(2),
            baseline: None,
        }
    }

    fn sample() -> RunReport {
        report(vec![
            scenario("n2-ok", &["N2"], Verdict::Pass),
            scenario("n2-bad", &["N2"], Verdict::Fail),
            scenario("n1-ok", &["N1"], Verdict::Pass),
            scenario("n1-skipped", &["N1"], Verdict::Skip),
            scenario("e4-skipped", &["E4"], Verdict::Skip),
            scenario("c1-error", &["C1", "OK1"], Verdict::Error),
        ])
    }

    fn status_of(rows: &[RuleRow], rule: RuleId) -> RuleStatus {
        rows.iter().find(|r| r.rule == rule).unwrap().status
    }

    #[test]
    fn each_rule_gets_a_verdict_from_its_scenarios() {
        let rows = rule_rows(&sample());
        assert_eq!(rows.len(), RULES.len());
        assert_eq!(status_of(&rows, RuleId::N1), RuleStatus::Enforced);
        assert_eq!(status_of(&rows, RuleId::N2), RuleStatus::Diverges);
        assert_eq!(status_of(&rows, RuleId::E4), RuleStatus::NotTestable);
        assert_eq!(
            status_of(&rows, RuleId::C1),
            RuleStatus::Diverges,
            "errors diverge"
        );
        assert_eq!(status_of(&rows, RuleId::OK1), RuleStatus::Diverges);
        assert_eq!(
            status_of(&rows, RuleId::P1),
            RuleStatus::NotTestable,
            "none selected"
        );
        let n1 = rows.iter().find(|r| r.rule == RuleId::N1).unwrap();
        assert_eq!((n1.passed, n1.diverged, n1.skipped), (1, 0, 1));
        let n2 = rows.iter().find(|r| r.rule == RuleId::N2).unwrap();
        assert_eq!(n2.diverging, ["n2-bad"]);
    }

    #[test]
    fn the_page_has_a_header_sections_rows_and_the_divergences() {
        let page = markdown(&sample());
        assert!(page.starts_with("## CreateChannel conformance: `http://127.0.0.1:4566`\n"));
        assert!(page.contains("**39 rules**: 1 enforced, 3 diverge, 35 not testable here"));
        assert!(page.contains("**6 scenarios**: 2 passed, 1 failed, 1 errored, 2 skipped"));
        assert!(page.contains("### §1 wire protocol\n"));
        assert!(page.contains("### §2 CreateChannel input\n"));
        assert!(page
            .contains("| N2 | ❌ diverges | 1 | 1 | 0 | Name has 3..=128 characters | `n2-bad` |"));
        assert!(page.contains("- FAIL `n2-bad` [N2] (scenarios/input/n2-bad.toml): step `create`"));
        assert!(page.contains("- 2 × fixture `fixture.eds_integration` unavailable: 500"));
    }

    #[test]
    fn the_page_is_stable_across_runs() {
        let one = sample();
        let mut two = sample();
        two.run_id = "r7654321".into();
        for s in &mut two.scenarios {
            if let Some(reason) = &mut s.reason {
                *reason = reason.replace("r1234567", "r7654321");
            }
            s.duration = Duration::from_secs(9);
        }
        two.duration = Duration::from_secs(60);
        two.requests = 1;
        assert_eq!(markdown(&one), markdown(&two));
        assert!(!markdown(&one).contains("r1234567"));
    }

    #[test]
    fn cells_escape_pipes_and_newlines() {
        assert_eq!(cell("a|b\nc"), "a\\|b c");
        assert_eq!(cell("^[a-z_\\-*]+$"), "^[a-z\\_\\\\-\\*]+$");
        assert_eq!(cell("<run-id>"), "&lt;run-id>");
        assert_eq!(cell("a `x_y|z` b_c"), "a `x_y\\|z` b\\_c");
    }

    #[test]
    fn many_diverging_scenarios_are_counted_not_all_named() {
        let names: Vec<String> = (0..6).map(|i| format!("s{i}")).collect();
        assert_eq!(named(&names), "`s0`, `s1`, `s2`, `s3`, +2 more");
    }

    #[test]
    fn known_divergences_are_shown_as_such() {
        let mut run = sample();
        let baseline = Baseline::default().updated(&run);
        run.scenarios[1].verdict = Verdict::Fail;
        run.baseline = Some(classify(&baseline, &run));
        let rows = rule_rows(&run);
        assert_eq!(status_of(&rows, RuleId::N2), RuleStatus::DivergesKnown);
        let page = markdown(&run);
        assert!(page.contains("### Baseline\n\n0 new, 2 known, 0 fixed: the run is accepted."));
        assert!(page.contains("- **known** `n2-bad` step `-`"));
        assert!(page.contains("3 diverge (3 only in known ways)"));
    }
}
