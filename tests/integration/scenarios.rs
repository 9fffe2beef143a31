//! The scenarios shipped in `scenarios/` load and pass the suite checks.

use std::path::Path;

use ctconform::scenario::{check, load_dir, load_str};

#[test]
fn shipped_scenarios_load_cleanly() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let scenarios = load_dir(&dir).unwrap_or_else(|diagnostics| {
        let lines: Vec<String> = diagnostics.iter().map(ToString::to_string).collect();
        panic!("scenarios/ does not load:\n{}", lines.join("\n"))
    });
    assert!(scenarios.len() >= 3, "{} scenarios", scenarios.len());
    let problems: Vec<String> = check(&scenarios, &[])
        .iter()
        .map(ToString::to_string)
        .collect();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The `toml` blocks of `docs/scenario-format.md`: the first is a whole
/// scenario; each later one is a fragment that must parse inside a step.
#[test]
fn documented_examples_load() {
    let doc = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/scenario-format.md"),
    )
    .unwrap();
    let blocks: Vec<&str> = doc
        .split("```toml\n")
        .skip(1)
        .map(|rest| rest.split("```").next().unwrap_or(""))
        .collect();
    assert!(blocks.len() >= 4);
    let whole = load_str("doc-example.toml", blocks[0]).unwrap_or_else(|d| panic!("{d:?}"));
    assert!(check(&[whole], &[]).is_empty());
    let head = "name = \"a\"\ndescription = \"d\"\nrules = [\"C1\"]\n[vars]\nname = \"n\"\n";
    for block in &blocks[1..] {
        let block = if block.contains("[[steps]]") {
            block.to_string()
        } else {
            format!("[[steps]]\nop = \"ListChannels\"\n{block}")
        };
        let text = format!("{head}{block}");
        if let Err(found) = load_str("doc-fragment.toml", &text) {
            panic!("{text}\n{found:?}");
        }
    }
}

/// `scenarios/README.md` states how many scenarios each folder holds; the
/// corpus grows, so the line is checked against the folders.
#[test]
fn the_corpus_readme_counts_what_the_folders_hold() {
    let readme = std::fs::read_to_string("scenarios/README.md").unwrap();
    let line = readme
        .lines()
        .find(|line| line.contains(" scenarios: `input/`"))
        .expect("a line `N scenarios: `input/` N, ...`");
    let mut expected = Vec::new();
    let mut total = 0;
    let mut folders: Vec<_> = std::fs::read_dir("scenarios")
        .unwrap()
        .flatten()
        .filter(|entry| entry.path().is_dir())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    folders.sort();
    for folder in folders {
        let count = ctconform::scenario::load_dir(format!("scenarios/{folder}"))
            .unwrap()
            .len();
        total += count;
        expected.push(format!("`{folder}/` {count}"));
    }
    let generated = format!("{total} scenarios: {}.", expected.join(", "));
    assert!(
        line.contains(&generated),
        "scenarios/README.md says:\n{line}\nthe folders hold:\n{generated}"
    );
}

/// Boundary scenarios stay an independent check of the rules' limits: their
/// values are written out by hand, and this holds each against the limit its
/// rule unit declares (`contract::rules`). A boundary scenario says its role
/// in its name, `input-<rule>-<limit>-<role>[-non-ascii]` with a role of
/// `at-min`, `under-min` (one short), `well-under-min`, `at-max` or
/// `over-max` (one past), and must send exactly that count at the limit's
/// member; its expectation must admit success exactly when the count is
/// within the limit. Changing a limit then fails here, naming each scenario
/// file and the value it sends.
#[test]
fn boundary_scenarios_sit_at_the_limits_of_their_rules() {
    use ctconform::contract::rules::{self, LimitUnit};
    use ctconform::scenario::{interpolate_value, Body, ExpectKind, Layer, Vars};
    use serde_json::{json, Value};

    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let scenarios = load_dir(&dir).expect("scenarios load");
    let role_name = regex::Regex::new(
        r"^input-[a-z]+\d-([a-z-]+?)-(well-under-min|under-min|at-min|at-max|over-max)(-non-ascii)?$",
    )
    .unwrap();
    let number_name = regex::Regex::new(r"-\d+(-chars?|-non-ascii)?$").unwrap();
    // "A 129-character Key", "201 destinations": the value the file sends.
    let description_number = regex::Regex::new(r"^\D*?\b(\d+)[- ]").unwrap();
    // "3..=128", "maximum 1024", "at most 50", "minimum 3".
    let description_limit =
        regex::Regex::new(r"(\d+)(\.\.=)(\d+)|(maximum|minimum|at most) (\d+)").unwrap();
    let mut problems = Vec::new();
    let mut checked = 0;
    for scenario in &scenarios {
        let at = scenario
            .path
            .strip_prefix(dir.parent().unwrap())
            .unwrap_or(&scenario.path);
        let at = at.display();
        let name = &scenario.name.value;
        let Some(found) = role_name.captures(name) else {
            if scenario.tags.iter().any(|tag| tag == "boundary") && number_name.is_match(name) {
                problems.push(format!(
                    "{at}: a boundary scenario names its role (at-max, over-max, ...), not its number"
                ));
            }
            continue;
        };
        let (limit_name, role) = (&found[1], &found[2]);
        let Some((rule, limit)) = rules::limit_named(limit_name) else {
            problems.push(format!(
                "{at}: no rule declares a limit named {limit_name:?}"
            ));
            continue;
        };
        let step = &scenario.steps[0];
        let Body::Json(input) = &step.body else {
            problems.push(format!("{at}: the first step sends no input"));
            continue;
        };
        let mut vars = Vars::new();
        for (name, value) in [
            ("run_id", "r0aaaaaaa"),
            ("region", "us-east-1"),
            ("account", "123456789012"),
            ("partition", "aws"),
            (
                "fixture.eds_integration",
                "arn:aws:cloudtrail:us-east-1:123456789012:eventdatastore/x",
            ),
        ] {
            vars.set(Layer::Runner, name, json!(value));
        }
        vars.bind_scenario_vars(&scenario.vars).unwrap();
        let body = interpolate_value(input, &vars).unwrap();
        let sent =
            limit
                .member
                .split('.')
                .try_fold(&body, |value, key| match key.parse::<usize>() {
                    Ok(index) => value.get(index),
                    Err(_) => value.get(key),
                });
        let measured = match (sent, limit.counts) {
            (Some(Value::String(text)), LimitUnit::Characters) => text.chars().count(),
            (Some(Value::Array(items)), LimitUnit::Entries) => items.len(),
            (other, _) => {
                problems.push(format!("{at}: {} is {other:?}", limit.member));
                continue;
            }
        };
        let (min, max) = (limit.min, limit.max);
        let expected = match role {
            "at-min" => Some(min),
            "under-min" => min.checked_sub(1),
            "at-max" => Some(max),
            "over-max" => Some(max + 1),
            _ => None,
        };
        let fits = match role {
            "well-under-min" => measured + 1 < min,
            _ => expected == Some(measured),
        };
        if !fits {
            problems.push(format!(
                "{at}: sends {measured} at {}, but {role} of {}'s limit {limit_name} ({}) is {}",
                limit.member,
                rule.id,
                limit.words(),
                expected.map_or_else(
                    || format!("below {}", min.saturating_sub(1)),
                    |n| n.to_string()
                ),
            ));
        }
        // Within every limit the rule sets on this member: 200 tags are
        // within the model's list but past T1's 50.
        // The description restates the value and the limit in words; they
        // must say what the file sends and what the unit declares.
        let description = &scenario.description;
        let first_number = description_number
            .captures(description)
            .and_then(|found| found[1].parse::<usize>().ok());
        if first_number.is_some_and(|number| number != measured) {
            problems.push(format!(
                "{at}: its description says {}, it sends {measured}",
                first_number.unwrap()
            ));
        }
        for found in description_limit.captures_iter(description) {
            let said = &found[0];
            let states_a_limit =
                rule.limits
                    .iter()
                    .any(|other| match (&found.get(1), &found.get(3)) {
                        (Some(min), Some(max)) => {
                            min.as_str() == other.min.to_string()
                                && max.as_str() == other.max.to_string()
                        }
                        _ => {
                            let number = &found[5];
                            if found[4].starts_with("minimum") {
                                number == other.min.to_string()
                            } else {
                                number == other.max.to_string()
                            }
                        }
                    });
            if !states_a_limit {
                problems.push(format!(
                    "{at}: its description says {said:?}, {}'s limits are {}",
                    rule.id,
                    rule.limits
                        .iter()
                        .map(|other| format!("{} {}", other.name, other.words()))
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
        }
        let within = rule
            .limits
            .iter()
            .filter(|other| other.member == limit.member)
            .all(|other| other.contains(measured));
        // Per the format: an outcome with no `status` and no `error` means 2xx.
        let success_in = |outcome: &ctconform::scenario::Outcome| match &outcome.status {
            Some(statuses) => statuses.contains(200),
            None => outcome.error.is_none(),
        };
        let admits_success = step
            .expect
            .as_ref()
            .is_some_and(|expect| match &expect.kind {
                ExpectKind::One(outcome) => success_in(outcome),
                ExpectKind::AnyOf(outcomes) => outcomes.iter().any(success_in),
                ExpectKind::Parallel { .. } | ExpectKind::Race(_) => false,
            });
        // A value within the limit may still break another rule (a
        // 256-character Source names no source: S2); only a value past the
        // limit must be refused for it.
        let other_rule = scenario
            .rules
            .iter()
            .any(|named| named.value != rule.id.as_str());
        if admits_success != within && !(within && other_rule) {
            problems.push(format!(
                "{at}: sends {measured}, {} {}'s limit {limit_name} ({}), but its expectation {} success",
                if within { "within" } else { "outside" },
                rule.id,
                limit.words(),
                if admits_success { "admits" } else { "refuses" }
            ));
        }
        checked += 1;
    }
    assert!(checked >= 20, "only {checked} boundary scenarios found");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// `scenarios/README.md`'s index by rule is generated from the rule units'
/// summaries and the scenarios' `rules`: stale, this fails naming the rows
/// that differ; `CTCONFORM_BLESS=1 cargo test --test integration scenarios::` rewrites it.
#[test]
fn the_corpus_readme_indexes_every_rule() {
    use ctconform::contract::RULES;
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = root.join("scenarios");
    let scenarios = load_dir(&dir).expect("scenarios load");
    let mut table = String::from("| rule | the contract says | scenarios |\n| --- | --- | --- |\n");
    for rule in RULES {
        let mut files: Vec<String> = scenarios
            .iter()
            .filter(|s| s.rules.iter().any(|named| named.value == rule.id.as_str()))
            .map(|s| {
                let path = s.path.strip_prefix(&dir).unwrap_or(&s.path);
                format!("`{}`", path.display())
            })
            .collect();
        files.sort();
        table.push_str(&format!(
            "| {} | {} | {} |\n",
            rule.id,
            rule.summary().replace('|', "\\|"),
            files.join(", ")
        ));
    }
    let path = dir.join("README.md");
    let readme = std::fs::read_to_string(&path).unwrap();
    let start = readme
        .find("| rule | the contract says |")
        .expect("the index table");
    let end = readme[start..]
        .find("\n\n")
        .map_or(readme.len(), |at| start + at + 1);
    holds_generated(&path, &readme, start..end, &table);
}

/// `docs/contract.md`'s rule table is `markdown_table`'s output, between
/// its markers: stale, this fails naming the rows that differ;
/// `CTCONFORM_BLESS=1 cargo test --test integration scenarios::` rewrites it.
#[test]
fn docs_contract_md_has_the_rule_table() {
    const BEGIN: &str = "<!-- rules: generated from src/contract/rules, do not edit -->\n";
    const END: &str = "<!-- rules: end -->";
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/contract.md");
    let doc = std::fs::read_to_string(&path).expect("docs/contract.md");
    let start = doc.find(BEGIN).expect("the rules begin marker") + BEGIN.len();
    let end = doc.find(END).expect("the rules end marker");
    let table = ctconform::contract::rules::markdown_table();
    holds_generated(&path, &doc, start..end, &table);
}

/// `text[block]`, read from `path`, is `generated`: with `CTCONFORM_BLESS`
/// set it is rewritten so; otherwise a difference fails naming each row
/// that is only checked in or only generated.
fn holds_generated(path: &Path, text: &str, block: std::ops::Range<usize>, generated: &str) {
    let checked_in = &text[block.clone()];
    if checked_in == generated {
        return;
    }
    if std::env::var_os("CTCONFORM_BLESS").is_some() {
        let updated = format!("{}{generated}{}", &text[..block.start], &text[block.end..]);
        std::fs::write(path, updated).unwrap();
        return;
    }
    let stale: Vec<String> = checked_in
        .lines()
        .filter(|line| !generated.lines().any(|row| row == *line))
        .map(|line| format!("checked in: {line}"))
        .chain(
            generated
                .lines()
                .filter(|row| !checked_in.lines().any(|line| line == *row))
                .map(|row| format!("generated:  {row}")),
        )
        .collect();
    panic!(
        "{} is stale (CTCONFORM_BLESS=1 cargo test --test integration scenarios:: rewrites it):\n{}",
        path.display(),
        stale.join("\n")
    );
}
