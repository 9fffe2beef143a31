//! The scenarios shipped in `scenarios/` load and pass the suite checks.

use std::path::Path;

use ctconform::scenario::{check, load_dir};

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
