//! ctconform: a conformance test harness and fuzzer for implementations of the
//! AWS CloudTrail `CreateChannel` API.
//!
//! Emulator authors start with [`Suite`]: run the shipped scenario corpus
//! against their endpoint from their own `cargo test`. The modules below are
//! the machinery, one concern each: the contract, the awsJson1_1 protocol, the
//! wire client, the reference emulator, scenarios, the runner, snapshots and
//! reports.

pub mod account;
pub mod cli;
pub mod contract;
pub mod emulator;
pub mod fuzz;
pub mod protocol;
pub mod report;
pub mod runner;
pub mod scenario;
pub mod snapshot;
mod suite;
pub mod wire;

pub use suite::{Error, Options, Report, Suite};
