//! The library API for emulator authors: a [`Suite`] of scenarios (the
//! corpus compiled into this crate, or a folder of your own), [`Options`]
//! for a run, and the [`Report`] it produces. The CLI is built on it.
//!
//! ```
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! use ctconform::emulator::{Emulator, EmulatorConfig};
//! use ctconform::{Options, Suite};
//!
//! // Your emulator, started by your test; here the reference emulator stands in.
//! let emulator = Emulator::start_local(EmulatorConfig::default()).await.unwrap();
//!
//! let report = Suite::embedded()
//!     .with_rules(&["N2", "C1"])
//!     .run(&emulator.url(), &Options::default())
//!     .await
//!     .expect("the endpoint can be reached");
//! report.assert_conforms(); // on failure, panics with the whole report
//! # });
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::time::Duration;

use crate::report::{self, Style};
use crate::runner::{self, RunOptions, RunReport, Selection};
use crate::scenario::{self, Diagnostic, Scenario};
use crate::wire::{self, Client, ClientConfig};

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/embedded_scenarios.rs"));
}

/// A set of scenarios to run.
#[derive(Clone, Debug)]
pub struct Suite {
    scenarios: Vec<Scenario>,
}

impl Suite {
    /// The scenario corpus shipped with this crate, authentication
    /// scenarios left out (emulators rarely check signatures; add them back
    /// with [`Suite::from_dir`] or [`Suite::with_tags`] on a full suite).
    pub fn embedded() -> Suite {
        let scenarios = embedded::EMBEDDED
            .iter()
            .map(|(path, text)| scenario::load_str(path, text).expect("the shipped scenarios load"))
            .collect();
        Suite { scenarios }.without_tags(&["auth"])
    }

    /// Every scenario under `dir`, loaded and checked.
    pub fn from_dir(dir: impl AsRef<Path>) -> Result<Suite, Vec<Diagnostic>> {
        Suite::load(dir, &[])
    }

    /// As [`Suite::from_dir`], counting `known_vars` (given to the run with
    /// `--var`) as defined.
    pub fn load(dir: impl AsRef<Path>, known_vars: &[String]) -> Result<Suite, Vec<Diagnostic>> {
        let scenarios = scenario::load_dir(dir)?;
        let problems = scenario::check(&scenarios, known_vars);
        if problems.is_empty() {
            Ok(Suite { scenarios })
        } else {
            Err(problems)
        }
    }

    /// Only the scenarios exercising one of these contract rules.
    pub fn with_rules(self, rules: &[&str]) -> Suite {
        self.select(Selection {
            rules: strings(rules),
            ..Selection::default()
        })
    }

    /// Only the scenarios carrying one of these tags.
    pub fn with_tags(self, tags: &[&str]) -> Suite {
        self.select(Selection {
            tags: strings(tags),
            ..Selection::default()
        })
    }

    /// Without the scenarios carrying any of these tags.
    pub fn without_tags(self, tags: &[&str]) -> Suite {
        self.select(Selection {
            skip_tags: strings(tags),
            ..Selection::default()
        })
    }

    /// Only the scenarios `selection` admits.
    pub fn select(self, selection: Selection) -> Suite {
        Suite {
            scenarios: selection.apply(self.scenarios),
        }
    }

    pub fn scenarios(&self) -> &[Scenario] {
        &self.scenarios
    }

    pub fn into_scenarios(self) -> Vec<Scenario> {
        self.scenarios
    }

    pub fn len(&self) -> usize {
        self.scenarios.len()
    }

    pub fn is_empty(&self) -> bool {
        self.scenarios.is_empty()
    }

    /// Runs the suite against `endpoint` (e.g. `http://127.0.0.1:4566`).
    pub async fn run(&self, endpoint: &str, options: &Options) -> Result<Report, Error> {
        if !wire::is_loopback(endpoint) && !options.allow_remote {
            return Err(Error(format!(
                "{endpoint} is not on this machine: a run there creates and deletes channels and event data \
                 stores in the account of the AWS credentials; set Options::allow_remote to proceed"
            )));
        }
        let mut config = ClientConfig::new(endpoint, options.region.clone());
        config.timeout = options.timeout;
        let client = Client::new(config.clone())
            .await
            .map_err(|e| Error(e.to_string()))?;
        let mut run_options = RunOptions::new(runner::new_run_id());
        run_options.jobs = options.jobs;
        run_options.vars = options.vars.clone();
        run_options.channel_quota = options.channel_quota;
        run_options.endpoint_label = endpoint.to_string();
        let report = runner::run(self.scenarios.clone(), client, config, run_options).await;
        Ok(Report(report))
    }
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

/// How to run a suite.
#[derive(Clone, Debug)]
pub struct Options {
    pub region: String,
    /// Scenarios at once.
    pub jobs: usize,
    /// Per-request timeout.
    pub timeout: Duration,
    /// Variables for the scenarios, e.g. `fixture.eds_integration`.
    pub vars: BTreeMap<String, String>,
    /// The endpoint's channel quota (contract C3).
    pub channel_quota: usize,
    /// Allow an endpoint that is not on this machine (a real account, signed
    /// with the AWS credential chain): off unless asked for, as for the CLI.
    pub allow_remote: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            region: "us-east-1".into(),
            jobs: 8,
            timeout: wire::DEFAULT_TIMEOUT,
            vars: BTreeMap::new(),
            channel_quota: crate::contract::shapes::CHANNEL_QUOTA,
            allow_remote: false,
        }
    }
}

/// What a run found.
#[derive(Clone, Debug)]
pub struct Report(pub RunReport);

impl Report {
    /// True when nothing diverged and something passed.
    pub fn conforms(&self) -> bool {
        self.0.conforms()
    }

    /// `N passed, N failed, N skipped`.
    pub fn summary(&self) -> String {
        report::summary_line(&self.0)
    }

    /// Panics with the whole report unless the endpoint conforms.
    #[track_caller]
    pub fn assert_conforms(&self) {
        assert!(
            self.conforms(),
            "the endpoint diverges from the contract:\n{self}"
        );
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&report::pretty(&self.0, Style::Plain, false))
    }
}

/// The endpoint could not be used at all.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error(pub String);

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_corpus_is_the_scenarios_folder() {
        let on_disk = Suite::from_dir("scenarios")
            .expect("loads")
            .without_tags(&["auth"]);
        let embedded = Suite::embedded();
        assert_eq!(embedded.len(), on_disk.len());
        assert!(embedded.len() > 100);
        assert!(Suite::embedded()
            .with_rules(&["N2"])
            .scenarios()
            .iter()
            .all(|s| s.rules.iter().any(|r| r.value == "N2")));
    }
}
