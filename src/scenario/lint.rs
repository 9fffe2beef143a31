//! Suite checks on loaded scenarios (what `ctconform check` reports beyond
//! the loader): duplicate names, undefined and circular variables, steps
//! whose expectation names no outcome, `successes` without `parallel`.

use std::collections::{BTreeMap, BTreeSet};

use super::diagnostic::Diagnostic;
use super::format::{Expect, ExpectKind, Phase, Scenario, Step};
use super::vars::{
    for_each_outcome, is_runner_var, referenced_vars, resolution_order, Site, VarError,
};
use crate::contract::Operation;

/// Every problem of `scenarios` as a suite; `known_vars` are extra
/// runner-provided names (`--var`), beyond `run_id`, `region`, `account`,
/// `partition` and `fixture.*`.
pub fn check(scenarios: &[Scenario], known_vars: &[String]) -> Vec<Diagnostic> {
    let mut diagnostics = duplicate_names(scenarios);
    for scenario in scenarios {
        diagnostics.extend(check_scenario(scenario, known_vars));
    }
    diagnostics
}

fn duplicate_names(scenarios: &[Scenario]) -> Vec<Diagnostic> {
    let mut first_by_name: BTreeMap<&str, &Scenario> = BTreeMap::new();
    let mut diagnostics = Vec::new();
    for scenario in scenarios {
        let name = scenario.name.value.as_str();
        match first_by_name.get(name) {
            Some(first) => diagnostics.push(Diagnostic::new(
                &scenario.path,
                scenario.name.pos,
                format!(
                    "duplicate scenario name `{name}`: also in {}:{}",
                    first.path.display(),
                    first.name.pos
                ),
            )),
            None => {
                first_by_name.insert(name, scenario);
            }
        }
    }
    diagnostics
}

/// The checks of one scenario on its own.
pub fn check_scenario(scenario: &Scenario, known_vars: &[String]) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let mut report = |pos, message: String| out.push(Diagnostic::new(&scenario.path, pos, message));

    if scenario.steps.is_empty() {
        report(scenario.name.pos, "the scenario has no [[steps]]".into());
    }

    let cycle = match resolution_order(&scenario.vars) {
        Err(err @ VarError::Cycle(_)) => Some(err),
        _ => None,
    };
    if let Some(VarError::Cycle(names)) = &cycle {
        let pos = scenario
            .vars
            .iter()
            .find(|v| Some(&v.name) == names.first())
            .map(|v| v.pos)
            .unwrap_or_default();
        report(pos, VarError::Cycle(names.clone()).to_string());
    }

    let scenario_vars: BTreeSet<&str> = scenario.vars.iter().map(|v| v.name.as_str()).collect();
    let ordered: Vec<&Step> = scenario.all_steps().collect();
    let position_of = |phase: Phase, index: usize| {
        ordered
            .iter()
            .position(|s| s.phase == phase && s.index == index)
            .unwrap_or(0)
    };
    for reference in referenced_vars(scenario) {
        let name = reference.name.as_str();
        let mut defined = is_runner_var(name)
            || known_vars.iter().any(|k| k == name)
            || scenario_vars.contains(name);
        if let Site::Step(phase, index) = reference.site {
            let before = position_of(phase, index);
            let captures = |s: &Step| {
                std::iter::once(s)
                    .chain(s.nested())
                    .any(|inner| inner.captures.iter().any(|c| c.var == name))
            };
            defined |= ordered[..before].iter().any(|s| captures(s));
            // Inside a race, a call's capture serves its outcomes' `then`
            // steps (the order within the race is not checked).
            defined |= ordered[before].race().is_some() && captures(ordered[before]);
        }
        if !defined {
            report(reference.pos, format!("undefined variable `{name}`"));
        }
    }

    let mut step_names: BTreeMap<&str, &Step> = BTreeMap::new();
    let then_steps = ordered.iter().flat_map(|step| {
        step.race()
            .into_iter()
            .flat_map(|race| race.outcomes.iter().flat_map(|o| o.then.iter()))
    });
    for step in ordered.iter().copied().chain(then_steps) {
        if let Some(first) = step_names.insert(step.name.as_str(), step) {
            report(
                step.pos,
                format!(
                    "duplicate step name `{}` (also at {})",
                    step.name, first.pos
                ),
            );
        }
        check_step(step, &mut report);
    }
    out
}

fn check_step(step: &Step, report: &mut impl FnMut(super::format::Pos, String)) {
    let lists = matches!(
        step.op,
        Operation::ListChannels | Operation::ListEventDataStores
    );
    if lists && step.phase == Phase::Steps && step.snapshot && step.race().is_none() {
        report(
            step.pos,
            format!(
                "a {} answer depends on what else the account holds: add `snapshot = false`",
                step.op
            ),
        );
    }
    match &step.expect {
        None if step.phase == Phase::Steps => report(
            step.pos,
            "expectation names no outcome (add `expect`)".into(),
        ),
        None => {}
        Some(Expect {
            kind: ExpectKind::Race(race),
            ..
        }) => {
            for outcome in &race.outcomes {
                for (call, expect) in race.calls.iter().zip(&outcome.expect) {
                    if names_no_outcome(expect) {
                        report(
                            expect.pos,
                            format!(
                                "the expectation of call `{}` in outcome `{}` names no outcome",
                                call.name, outcome.name
                            ),
                        );
                    }
                }
            }
        }
        Some(expect) => {
            if names_no_outcome(expect) {
                report(expect.pos, "expectation names no outcome".into());
            }
            if matches!(expect.kind, ExpectKind::Parallel { .. }) && !step.is_parallel() {
                report(
                    expect.pos,
                    "`successes`/`others` need `parallel` of 2 or more".into(),
                );
            }
        }
    }
}

fn names_no_outcome(expect: &Expect) -> bool {
    if let ExpectKind::Parallel { others: None, .. } = expect.kind {
        return false;
    }
    let mut empty = false;
    for_each_outcome(&expect.kind, &mut |outcome| {
        empty |= outcome.names_nothing()
    });
    empty
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::load::load_str;

    fn lint(files: &[(&str, &str)], known: &[&str]) -> Vec<String> {
        let scenarios: Vec<Scenario> = files
            .iter()
            .map(|(path, text)| load_str(path, text).unwrap_or_else(|d| panic!("{d:?}")))
            .collect();
        let known: Vec<String> = known.iter().map(|k| k.to_string()).collect();
        check(&scenarios, &known)
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    const HEAD: &str = "name = \"a\"\ndescription = \"d\"\nrules = [\"C1\"]\n";

    #[test]
    fn duplicate_names_name_both_files() {
        let text = format!("{HEAD}[[steps]]\nop = \"GetChannel\"\nexpect = {{ status = 200 }}\n");
        assert_eq!(
            lint(&[("x.toml", &text), ("y.toml", &text)], &[]),
            ["y.toml:1:8: duplicate scenario name `a`: also in x.toml:1:8"]
        );
    }

    #[test]
    fn undefined_variables_respect_runner_known_scenario_and_capture_order() {
        let text = format!(
            "{HEAD}[vars]\nv = \"${{run_id}}-${{fixture.x}}-${{nope1}}\"\n\
             [[setup]]\nop = \"CreateChannel\"\ninput = {{ Name = \"${{v}}${{cli}}\" }}\ncapture = {{ arn = \"ChannelArn\" }}\n\
             [[steps]]\nop = \"GetChannel\"\ninput = {{ Channel = \"${{arn}}${{later}}\" }}\n\
             expect = {{ response = {{ ChannelArn = {{ equals_var = \"later\" }} }} }}\ncapture = {{ later = \"x\" }}\n\
             [[cleanup]]\nop = \"DeleteChannel\"\ninput = {{ Channel = \"${{later}}\" }}\n"
        );
        assert_eq!(
            lint(&[("s.toml", &text)], &["cli"]),
            [
                "s.toml:5:5: undefined variable `nope1`",
                "s.toml:12:21: undefined variable `later`",
                "s.toml:13:25: undefined variable `later`",
            ]
        );
        assert_eq!(
            lint(&[("s.toml", &text)], &[]).len(),
            4,
            "without --var cli, `cli` is undefined too"
        );
    }

    #[test]
    fn circular_vars_are_reported_at_the_first() {
        let text = format!(
            "{HEAD}[vars]\nok = \"x\"\na = \"${{b}}\"\nb = \"${{a}}\"\n\
             [[steps]]\nop = \"GetChannel\"\nexpect = {{ status = 200 }}\n"
        );
        assert_eq!(
            lint(&[("s.toml", &text)], &[]),
            ["s.toml:6:1: circular variables: a -> b -> a"]
        );
    }

    #[test]
    fn steps_must_name_an_outcome() {
        let text = format!(
            "{HEAD}[[steps]]\nop = \"GetChannel\"\n\
             [[steps]]\nop = \"GetChannel\"\nexpect = {{}}\n\
             [[steps]]\nop = \"GetChannel\"\nexpect = {{ any_of = [{{ status = 200 }}, {{}}] }}\n\
             [[setup]]\nop = \"GetChannel\"\n"
        );
        assert_eq!(
            lint(&[("s.toml", &text)], &[]),
            [
                "s.toml:4:1: expectation names no outcome (add `expect`)",
                "s.toml:8:10: expectation names no outcome",
                "s.toml:11:10: expectation names no outcome",
            ]
        );
    }

    #[test]
    fn parallel_misuse_and_duplicate_step_names() {
        let text = format!(
            "{HEAD}[[steps]]\nname = \"x\"\nop = \"GetChannel\"\nexpect = {{ successes = 1 }}\n\
             [[steps]]\nname = \"x\"\nop = \"GetChannel\"\nparallel = 2\ncapture = {{ c = \"A\" }}\nexpect = {{ successes = 1 }}\n\
             [[cleanup]]\nop = \"GetChannel\"\ninput = {{ A = \"${{c}}\" }}\n"
        );
        assert_eq!(
            lint(&[("s.toml", &text)], &[]),
            [
                "s.toml:7:10: `successes`/`others` need `parallel` of 2 or more",
                "s.toml:8:1: duplicate step name `x` (also at 4:1)",
            ]
        );
    }

    #[test]
    fn race_captures_serve_then_steps_and_later_steps() {
        let text = format!(
            "{HEAD}[[steps]]\nname = \"r\"\n\
             race = [{{ name = \"a\", op = \"CreateChannel\", capture = {{ c = \"ChannelArn\" }} }}, {{ name = \"b\", op = \"GetChannel\", input = {{ Channel = \"${{nope}}\" }} }}]\n\
             [[steps.outcomes]]\nname = \"o\"\na = {{ status = 200 }}\nb = {{}}\n\
             [[steps.outcomes.then]]\nname = \"x\"\nop = \"GetChannel\"\ninput = {{ Channel = \"${{c}}${{later}}\" }}\nexpect = {{ status = 200 }}\n\
             [[steps.outcomes.then]]\nname = \"x\"\nop = \"GetChannel\"\n\
             [[steps]]\nop = \"GetChannel\"\ninput = {{ Channel = \"${{c}}\" }}\ncapture = {{ later = \"x\" }}\nexpect = {{ status = 200 }}\n"
        );
        assert_eq!(
            lint(&[("s.toml", &text)], &[]),
            [
                "s.toml:6:132: undefined variable `nope`",
                "s.toml:14:21: undefined variable `later`",
                "s.toml:10:5: the expectation of call `b` in outcome `o` names no outcome",
                "s.toml:16:1: duplicate step name `x` (also at 11:1)",
                "s.toml:16:1: expectation names no outcome (add `expect`)",
            ]
        );
    }

    #[test]
    fn no_steps_is_reported() {
        assert_eq!(
            lint(&[("s.toml", HEAD)], &[]),
            ["s.toml:1:8: the scenario has no [[steps]]"]
        );
    }

    #[test]
    fn list_steps_must_stay_out_of_snapshots() {
        let text = format!(
            "{HEAD}[[steps]]\nop = \"ListChannels\"\nexpect = {{ status = 200 }}\n\
             [[steps]]\nop = \"ListEventDataStores\"\nsnapshot = false\nexpect = {{ status = 200 }}\n"
        );
        assert_eq!(
            lint(&[("s.toml", &text)], &[]),
            ["s.toml:4:1: a ListChannels answer depends on what else the account holds: add `snapshot = false`"]
        );
    }
}
