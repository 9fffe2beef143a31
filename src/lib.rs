//! ctconform: a conformance test harness and fuzzer for implementations of the
//! AWS CloudTrail `CreateChannel` API.
//!
//! Emulator authors start with [`Suite`]: run the shipped scenario corpus
//! against their endpoint from their own `cargo test`, with [`Options`], and
//! read the [`Report`]. The types re-exported here are the library's API:
//!
//! - running scenarios: [`Suite`] for the common case; [`Scenario`]s loaded
//!   with [`scenario::load_dir`], picked by a [`Selection`] and run by
//!   [`runner::run`] with [`RunOptions`] into a [`RunReport`];
//! - the embedded reference [`Emulator`] (with [`EmulatorConfig`] and, for
//!   staging-grade runs, [`ChaosConfig`]);
//! - the fuzzer: [`fuzz()`] with [`FuzzOptions`] into a [`FuzzReport`], and
//!   [`InProcess`] for fuzzing the contract's oracle with no network;
//! - the wire client both use: [`Client`], [`ClientConfig`],
//!   [`CredentialSource`];
//! - the contract's rules: [`RuleId`], [`Rule`], [`RULES`];
//! - the report renderers, in [`report`].
//!
//! The modules below stay public because the `ctconform` binary (which
//! reaches the library only through this API), the fuzz targets, the
//! examples and the integration tests drive their parts directly; one
//! concern each: the contract, the awsJson1_1 protocol, the wire client, the
//! account model the runner and the fuzzer share, the reference emulator,
//! scenarios, the runner, the fuzzer, snapshots and reports. Inside them an
//! item is `pub` only when this API reaches it.

// As smithy-rs: an item the API does not reach is `pub(crate)`, so the
// public surface is what this file lists.
#![deny(unreachable_pub)]

pub mod account;
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

/// An emulator author's entry point: a set of scenarios, the options of a
/// run, its report and why a run could not start.
pub use suite::{Error, Options, Report, Suite};

/// One scenario file, loaded and checked.
pub use scenario::Scenario;

/// Running scenarios without [`Suite`]: which to run, how, and what came of
/// each (see [`runner::run`]).
pub use runner::{RunOptions, RunReport, ScenarioResult, Selection, Verdict};

/// The reference emulator, served on 127.0.0.1 or embedded in a run.
pub use emulator::{ChaosConfig, Emulator, EmulatorConfig};

/// The fuzzer: a run against an endpoint under a seed and a budget, its
/// findings, and the network-free session against the contract's oracle.
pub use fuzz::{fuzz, Finding, FuzzOptions, FuzzReport, InProcess};

/// The signed awsJson1_1 client that scenarios and the fuzzer send through.
pub use wire::{Client, ClientConfig, CredentialSource};

/// The contract's rules, by id.
pub use contract::{Rule, RuleId, RULES};
