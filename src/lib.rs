//! ctconform: a conformance test harness and fuzzer for implementations of the
//! AWS CloudTrail `CreateChannel` API.

pub mod contract;
pub mod protocol;
pub mod wire;
