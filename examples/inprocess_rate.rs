//! Measures in-process sessions per second (the `contract_oracle` target's
//! work without libFuzzer): `cargo run --release --example inprocess_rate`.
//! With a number, runs exactly that many sessions instead of 5 s, for
//! instruction counts that do not depend on the machine's load
//! (`valgrind --tool=callgrind target/release/examples/inprocess_rate 2000`).

use std::time::Instant;

#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use arbitrary::{Arbitrary, Unstructured};
use ctconform::fuzz::{InProcess, Session};
use rand::{RngCore, SeedableRng};

fn main() {
    let fixed: Option<u64> = std::env::args().nth(1).and_then(|n| n.parse().ok());
    let world = InProcess::new().expect("fixtures");
    let mut rng = rand::rngs::StdRng::seed_from_u64(1);
    let mut bytes = vec![0u8; 1024];
    let started = Instant::now();
    let mut runs = 0u64;
    let mut steps = 0usize;
    let more = |runs: u64| match fixed {
        Some(count) => runs < count,
        None => started.elapsed().as_secs_f64() < 5.0,
    };
    while more(runs) {
        rng.fill_bytes(&mut bytes);
        let session = Session::arbitrary(&mut Unstructured::new(&bytes)).expect("a session");
        steps += world.run(&session).expect("the emulator conforms");
        runs += 1;
    }
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "{runs} sessions ({steps} requests) in {seconds:.1} s: {:.0} sessions/s, {:.0} requests/s",
        runs as f64 / seconds,
        steps as f64 / seconds
    );
}
