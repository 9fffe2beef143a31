//! ctconform: a conformance test harness and fuzzer for implementations of the
//! AWS CloudTrail `CreateChannel` API.

pub mod cli;
pub mod contract;
pub mod emulator;
pub mod fuzz;
pub mod protocol;
pub mod scenario;
pub mod wire;
