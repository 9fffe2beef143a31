//! `ctconform check` (scenario files without running them) and
//! `ctconform coverage` (contract rules × scenarios).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;
use std::path::PathBuf;

use clap::Args;

use super::matrix::Matrix;
use super::run::load_checked;
use super::{CommandError, Exit, Expected};
use ctconform::contract::{RuleId, RULES};
use ctconform::fuzz::{fuzz, FuzzOptions};
use ctconform::scenario::Scenario;

#[derive(Debug, Args)]
pub(super) struct CheckArgs {
    /// Where the scenario files are (a directory, or one file).
    #[arg(default_value = "scenarios")]
    dir: PathBuf,
    /// Variables the run will be given with --var, as `ctconform run`
    /// takes them (KEY=VALUE; a bare KEY also counts as defined).
    #[arg(long = "var", value_name = "KEY=VALUE", value_parser = var_name)]
    vars: Vec<String>,
}

/// The name of a `--var`, given as run takes it (`K=V`) or bare (`K`).
fn var_name(text: &str) -> Result<String, CommandError> {
    let name = text.split_once('=').map_or(text, |(name, _)| name);
    if name.is_empty() {
        return Err(CommandError::value(text, Expected::VarName));
    }
    Ok(name.to_string())
}

pub(super) fn check(args: CheckArgs) -> Exit {
    match load_checked(&args.dir, &args.vars) {
        Ok(scenarios) => {
            println!(
                "{} scenario file(s) in {}: no problems",
                scenarios.len(),
                args.dir.display()
            );
            Exit::Conform
        }
        Err(error) => Exit::Usage(error),
    }
}

#[derive(Debug, Args)]
pub(super) struct CoverageArgs {
    /// Where the scenario files are.
    #[arg(default_value = "scenarios")]
    dir: PathBuf,
    /// Also fuzz the embedded emulator this long and count the cases that
    /// exercised each rule.
    #[arg(long, value_name = "DURATION", value_parser = super::args::duration)]
    fuzz: Option<std::time::Duration>,
    /// A lifecycle matrix to check instead of the built-in one
    /// (docs/lifecycle-matrix.toml).
    #[arg(long, value_name = "FILE")]
    matrix: Option<PathBuf>,
}

pub(super) async fn coverage(args: CoverageArgs) -> Exit {
    let scenarios = match load_checked(&args.dir, &[]) {
        Ok(scenarios) => scenarios,
        Err(error) => return Exit::Usage(error),
    };
    let matrix_text = match &args.matrix {
        Some(path) => match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(error) => {
                return Exit::Usage(CommandError::Read {
                    path: path.clone(),
                    why: error.to_string(),
                })
            }
        },
        None => super::matrix::BUILT_IN.to_string(),
    };
    let matrix = match Matrix::parse(&matrix_text) {
        Ok(matrix) => matrix,
        Err(error) => return Exit::Usage(error),
    };
    let table = coverage_table(scenarios.scenarios());
    let fuzz_cases = match args.fuzz {
        Some(duration) => {
            let options = FuzzOptions {
                duration: Some(duration),
                ..FuzzOptions::default()
            };
            let report = fuzz(options).await;
            if let Some(error) = report.error.or(report.setup_failure) {
                return Exit::Usage(CommandError::CoverageFuzz(error));
            }
            Some(report.coverage)
        }
        None => None,
    };
    print!("{}", render(&table, fuzz_cases.as_ref()));
    println!();
    print!("{}", matrix.render());
    let known: BTreeSet<&str> = scenarios
        .scenarios()
        .iter()
        .map(|s| s.name.value.as_str())
        .collect();
    let gaps = matrix.gaps(&known);
    let uncovered: Vec<&str> = table
        .iter()
        .filter(|(_, names)| names.is_empty())
        .map(|(id, _)| id.as_str())
        .collect();
    if uncovered.is_empty() {
        println!(
            "every one of the {} contract rules has a scenario",
            table.len()
        );
    } else {
        println!("rules without a scenario: {}", uncovered.join(", "));
    }
    if gaps.is_empty() {
        println!(
            "every one of the {} determined lifecycle cells has a scenario",
            matrix.determined_cells()
        );
    } else {
        println!("lifecycle cells without a scenario: {}", gaps.join("; "));
    }
    if uncovered.is_empty() && gaps.is_empty() {
        Exit::Conform
    } else {
        Exit::Diverged
    }
}

/// Rule → the scenarios naming it, in contract order.
pub(super) fn coverage_table(scenarios: &[Scenario]) -> Vec<(RuleId, Vec<String>)> {
    let mut by_rule: BTreeMap<RuleId, Vec<String>> = BTreeMap::new();
    for scenario in scenarios {
        for rule in scenario
            .rules
            .iter()
            .filter_map(|r| RuleId::parse(&r.value))
        {
            by_rule
                .entry(rule)
                .or_default()
                .push(scenario.name.value.clone());
        }
    }
    RULES
        .iter()
        .map(|rule| (rule.id, by_rule.remove(&rule.id).unwrap_or_default()))
        .collect()
}

fn render(table: &[(RuleId, Vec<String>)], fuzz_cases: Option<&BTreeMap<String, u64>>) -> String {
    let mut out = String::new();
    let fuzz_header = if fuzz_cases.is_some() {
        " fuzz cases"
    } else {
        ""
    };
    let _ = writeln!(
        out,
        "{:<5} {:<26} {:>9}{fuzz_header}  summary / examples",
        "rule", "section", "scenarios"
    );
    for (id, names) in table {
        let rule = id.rule();
        let examples: Vec<&str> = names.iter().take(3).map(String::as_str).collect();
        let more = names.len().saturating_sub(examples.len());
        let fuzzed = fuzz_cases
            .map(|cases| format!(" {:>10}", cases.get(id.as_str()).copied().unwrap_or(0)))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "{:<5} {:<26} {:>9}{fuzzed}  {}",
            id.as_str(),
            rule.section.title(),
            names.len(),
            rule.summary()
        );
        if !examples.is_empty() {
            let tail = if more > 0 {
                format!(" (+{more} more)")
            } else {
                String::new()
            };
            let _ = writeln!(out, "{:<43}  e.g. {}{tail}", "", examples.join(", "));
        }
    }
    out
}
