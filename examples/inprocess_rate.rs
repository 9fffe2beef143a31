//! Measures in-process sessions per second (the `contract_oracle` target's
//! work without libFuzzer): `cargo run --release --example inprocess_rate`.

use std::time::Instant;

use arbitrary::{Arbitrary, Unstructured};
use ctconform::fuzz::{InProcess, Session};
use rand::{RngCore, SeedableRng};

fn main() {
    let world = InProcess::new().expect("fixtures");
    let mut rng = rand::rngs::StdRng::seed_from_u64(1);
    let mut bytes = vec![0u8; 1024];
    let started = Instant::now();
    let mut runs = 0u64;
    while started.elapsed().as_secs_f64() < 5.0 {
        rng.fill_bytes(&mut bytes);
        let session = Session::arbitrary(&mut Unstructured::new(&bytes)).expect("a session");
        world.run(&session).expect("the emulator conforms");
        runs += 1;
    }
    let rate = runs as f64 / started.elapsed().as_secs_f64();
    println!("{runs} sessions in 5 s: {rate:.0} sessions/s");
}
