//! Measures in-process sessions per second (the `contract_oracle` target's
//! work without libFuzzer): `cargo run --release --example inprocess_rate`.
//! With a number, runs exactly that many random sessions instead of 5 s, for
//! instruction counts that do not depend on the machine's load
//! (`valgrind --tool=callgrind target/release/examples/inprocess_rate 2000`).
//! With a directory (a libFuzzer corpus, e.g. `fuzz/corpus/contract_oracle`),
//! runs each of its inputs once and says how many requests its sessions
//! hold, which turns libFuzzer's exec/s into requests judged per second.

use std::path::Path;
use std::time::Instant;

#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use arbitrary::{Arbitrary, Unstructured};
use ctconform::fuzz::{InProcess, Session};
use rand::{RngCore, SeedableRng};

fn main() {
    let argument = std::env::args().nth(1);
    let world = InProcess::new().expect("fixtures");
    let started = Instant::now();
    let (runs, steps) = match argument.as_deref() {
        Some(dir) if Path::new(dir).is_dir() => corpus(&world, Path::new(dir)),
        other => random(&world, other.and_then(|n| n.parse().ok())),
    };
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "{runs} sessions ({steps} requests, {:.1} per session) in {seconds:.1} s: {:.0} sessions/s, {:.0} requests/s",
        steps as f64 / runs.max(1) as f64,
        runs as f64 / seconds,
        steps as f64 / seconds
    );
}

/// Random 1 KiB inputs, for 5 s or exactly `fixed` sessions.
fn random(world: &InProcess, fixed: Option<u64>) -> (u64, usize) {
    let mut rng = rand::rngs::StdRng::seed_from_u64(1);
    let mut bytes = vec![0u8; 1024];
    let started = Instant::now();
    let (mut runs, mut steps) = (0u64, 0usize);
    let more = |runs: u64| match fixed {
        Some(count) => runs < count,
        None => started.elapsed().as_secs_f64() < 5.0,
    };
    while more(runs) {
        rng.fill_bytes(&mut bytes);
        steps += run(world, &bytes);
        runs += 1;
    }
    (runs, steps)
}

/// Each file of a corpus once.
fn corpus(world: &InProcess, dir: &Path) -> (u64, usize) {
    let (mut runs, mut steps) = (0u64, 0usize);
    for entry in std::fs::read_dir(dir).expect("read the corpus").flatten() {
        let bytes = std::fs::read(entry.path()).expect("read an input");
        steps += run(world, &bytes);
        runs += 1;
    }
    (runs, steps)
}

/// Steps run for one input, as `contract_oracle` runs it.
fn run(world: &InProcess, bytes: &[u8]) -> usize {
    let Ok(session) = Session::arbitrary(&mut Unstructured::new(bytes)) else {
        return 0;
    };
    world.run(&session).expect("the emulator conforms")
}
