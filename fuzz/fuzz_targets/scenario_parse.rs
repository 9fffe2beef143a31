//! Any text as a scenario file: `scenario::load_str` (and the suite checks
//! on what loads) never panic.

#![no_main]

use ctconform::scenario::{check, load_bytes};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(scenario) = load_bytes("fuzz.toml", data) {
        let _ = check(&[scenario], &[]);
    }
});
