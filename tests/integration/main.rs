//! ctconform's integration tests: one test binary, one module per area (as
//! ripgrep's `tests/tests.rs`). Each `tests/*.rs` used to be its own binary
//! linking the whole HTTP and AWS stack; one binary links it once.
//!
//! Run one area with a filter on its module path, e.g.
//! `cargo test --test integration mutations::`; a new area is a file here
//! plus a `mod` line below (see `only_one_test_binary`).

// Shared helpers.
mod common;
mod harness;
mod witness;

// One module per area.
mod accounts;
mod baseline;
mod chaos;
mod cli;
mod emulator;
mod emulator_load;
mod first_week;
mod fuzz;
mod fuzz_faults;
mod fuzz_regions;
mod hostile;
mod independent;
mod inputs;
mod localemu;
mod moto;
mod mutations;
mod races;
mod scenarios;
mod sdk;
mod secrets;
mod snapshot_insta;
mod structure;
mod suite;
mod wire;

/// A `tests/*.rs` file would be a test binary of its own, linking the whole
/// stack again; its place is a module of this one.
#[test]
fn only_one_test_binary() {
    let tests = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let mut strays: Vec<String> = std::fs::read_dir(&tests)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| {
            path.extension().is_some_and(|ext| ext == "rs") || path.join("main.rs").is_file()
        })
        .filter(|path| !path.ends_with("integration"))
        .map(|path| path.display().to_string())
        .collect();
    strays.sort();
    assert!(
        strays.is_empty(),
        "each of these builds a test binary of its own: move it to tests/integration/ \
         (`git mv`), turn its `mod common;`/`mod harness;` into `use crate::common;`/\
         `use crate::harness;` and add `mod NAME;` to tests/integration/main.rs: {strays:?}"
    );
}
