//! Plans through the reference emulator's request logic in process (no
//! HTTP): every answer must be in the contract oracle's acceptable set, and
//! the emulator must never panic.

#![no_main]

use std::sync::OnceLock;

use arbitrary::{Arbitrary, Unstructured};
use ctconform::fuzz::{InProcess, Session};
use libfuzzer_sys::fuzz_target;

#[cfg(feature = "fast-alloc")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn world() -> &'static InProcess {
    static WORLD: OnceLock<InProcess> = OnceLock::new();
    WORLD.get_or_init(|| InProcess::new().expect("the in-process emulator makes its fixtures"))
}

fuzz_target!(|data: &[u8]| {
    let Ok(session) = Session::arbitrary(&mut Unstructured::new(data)) else {
        return;
    };
    if let Err(found) = world().run(&session) {
        panic!(
            "the reference emulator diverges from the oracle at step {}:\n  request: {:?}\n  expected: {}\n  actual: {}\n  reason: {}",
            found.step,
            found.request,
            found.deviation.expected,
            found.deviation.actual,
            found.deviation.reason
        );
    }
});
