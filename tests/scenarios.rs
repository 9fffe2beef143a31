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
