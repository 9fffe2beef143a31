//! How an emulator author uses ctconform from Rust: start the emulator, run
//! the shipped suite against its URL, print the report, fail on divergence.
//!
//!     cargo run --example test_your_emulator                   # the reference emulator stands in
//!     cargo run --example test_your_emulator -- http://127.0.0.1:4566   # your running emulator
//!
//! In your own crate, the same lines go in a `#[tokio::test]` with
//! `ctconform` as a dev-dependency, ending in `report.assert_conforms()`.

use ctconform::emulator::{Emulator, EmulatorConfig};
use ctconform::{Options, Suite};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let (url, _stand_in) = match std::env::args().nth(1) {
        Some(url) => (url, None),
        None => {
            let emulator = Emulator::start_local(EmulatorConfig::default())
                .await
                .expect("an ephemeral port");
            (emulator.url(), Some(emulator))
        }
    };
    let suite = Suite::embedded();
    println!("running {} scenarios against {url}", suite.len());
    match suite.run(&url, &Options::default()).await {
        Ok(report) => {
            println!("{report}");
            if report.conforms() {
                std::process::ExitCode::SUCCESS
            } else {
                std::process::ExitCode::from(1)
            }
        }
        Err(error) => {
            eprintln!("error: {error}");
            std::process::ExitCode::from(2)
        }
    }
}
