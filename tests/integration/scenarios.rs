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

/// Boundary scenarios stay an independent check of the contract's limits:
/// their values are written out by hand, and this test holds each against
/// the limit in `contract::shapes`. A scenario named for a length or count
/// (`input-t2-key-129-chars`) must send exactly that many, the number must
/// sit at or just past an end of the rule's limit, and the expectation must
/// admit success exactly when the number is within it. Changing a limit then
/// fails here, naming every scenario whose values the change leaves behind.
#[test]
fn boundary_scenarios_sit_at_the_limits_of_their_rules() {
    use ctconform::contract::shapes::*;
    use ctconform::scenario::{interpolate_value, Body, ExpectKind, Layer, Vars};
    use serde_json::{json, Value};

    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let scenarios = load_dir(&dir).expect("scenarios load");
    let name_pattern =
        regex::Regex::new(r"^input-[a-z]\d-(name|source|location|key|value|destinations|tags)-(\d+)(-chars?|-non-ascii)?$")
            .unwrap();
    let mut problems = Vec::new();
    let mut checked = 0;
    for scenario in &scenarios {
        let Some(found) = name_pattern.captures(&scenario.name.value) else {
            continue;
        };
        let field = found.get(1).unwrap().as_str();
        let number: usize = found[2].parse().unwrap();
        // (path in the request, limits whose ends are boundaries, within the rule)
        let (path, ends, within): (&[&str], Vec<usize>, bool) = match field {
            "name" => (
                &["Name"],
                ends(CHANNEL_NAME_LENGTH),
                in_range(number, CHANNEL_NAME_LENGTH),
            ),
            "source" => (
                &["Source"],
                ends(SOURCE_LENGTH),
                in_range(number, SOURCE_LENGTH),
            ),
            "location" => (
                &["Destinations", "0", "Location"],
                ends(LOCATION_LENGTH),
                in_range(number, LOCATION_LENGTH),
            ),
            "key" => (
                &["Tags", "0", "Key"],
                ends(TAG_KEY_LENGTH),
                in_range(number, TAG_KEY_LENGTH),
            ),
            "value" => (
                &["Tags", "0", "Value"],
                ends((1, TAG_VALUE_MAX)),
                number <= TAG_VALUE_MAX,
            ),
            "destinations" => (
                &["Destinations"],
                ends(DESTINATIONS_COUNT),
                in_range(number, DESTINATIONS_COUNT),
            ),
            "tags" => (
                &["Tags"],
                [ends((0, TAGS_LIMIT)), ends((0, TAGS_MODEL_MAX))].concat(),
                number <= TAGS_LIMIT,
            ),
            _ => unreachable!(),
        };
        let at = scenario.path.display();
        // Short of the minimum (`n2-name-1-char`) stays a refusal whatever the
        // limit; anything else must sit at or just past an end.
        let short = number < ends[1];
        if !ends.contains(&number) && !short {
            problems.push(format!(
                "{at}: {number} is not at or just past an end of the limit (boundaries {ends:?})"
            ));
        }
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
        let sent = path
            .iter()
            .try_fold(&body, |value, key| match key.parse::<usize>() {
                Ok(index) => value.get(index),
                Err(_) => value.get(*key),
            });
        let measured = match sent {
            Some(Value::String(text)) => text.chars().count(),
            Some(Value::Array(items)) => items.len(),
            other => {
                problems.push(format!("{at}: {} is {other:?}", path.join(".")));
                continue;
            }
        };
        if measured != number {
            problems.push(format!("{at}: its name says {number}, it sends {measured}"));
        }
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
                ExpectKind::Parallel { .. } => false,
            });
        // A value within the length limit may still break another rule (a
        // 256-character Source names no source: S2); only a value past the
        // limit must be refused for it.
        let other_rule = scenario.rules.iter().any(|rule| {
            !matches!(
                (field, rule.value.as_str()),
                ("name", "N2")
                    | ("source", "S1")
                    | ("location", "D3")
                    | ("key" | "value", "T2")
                    | ("destinations", "D1")
                    | ("tags", "T1")
            )
        });
        if admits_success != within && !(within && other_rule) {
            problems.push(format!(
                "{at}: {number} is {} the limit, but the expectation {} success",
                if within { "within" } else { "outside" },
                if admits_success { "admits" } else { "refuses" }
            ));
        }
        checked += 1;
    }
    assert!(checked >= 20, "only {checked} boundary scenarios found");
    assert!(problems.is_empty(), "{}", problems.join("\n"));

    fn ends((min, max): (usize, usize)) -> Vec<usize> {
        vec![min.saturating_sub(1), min, max, max + 1]
    }
    fn in_range(number: usize, (min, max): (usize, usize)) -> bool {
        (min..=max).contains(&number)
    }
}
