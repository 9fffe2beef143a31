//! What a run produced: a verdict per scenario and per step, with the
//! request, the expectation and the answer behind each. Reports render these;
//! nothing here formats for a terminal or a file.

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::account::Created;
use crate::scenario::Phase;
use crate::wire::{Attempt, WireStats};

/// A scenario's or a step's verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Pass,
    /// An expectation was not met: the endpoint diverges.
    Fail,
    /// A transport fault (timeout, reset, not HTTP, body too large).
    Error,
    /// The endpoint lacks an operation a setup step needs: the rule cannot be tested.
    Skip,
    /// The endpoint kept throttling past the retry budget: the rule was not
    /// tested (contract section 8). Not a failure, not a pass.
    Indeterminate,
}

impl Verdict {
    pub fn label(self) -> &'static str {
        match self {
            Verdict::Pass => "PASS",
            Verdict::Fail => "FAIL",
            Verdict::Error => "ERROR",
            Verdict::Skip => "SKIP",
            Verdict::Indeterminate => "INDETERMINATE",
        }
    }
}

/// The request as sent, for reports: never with credentials.
#[derive(Clone, Debug, Serialize)]
pub struct SentRequest {
    pub operation: String,
    pub method: String,
    pub target: Option<String>,
    pub content_type: Option<String>,
    /// The body as text (lossy for bytes that are not UTF-8), cut at 4 KiB.
    pub body: String,
    /// An equivalent curl command, secrets masked.
    pub curl: String,
}

/// The answer as received.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Answer {
    pub status: Option<u16>,
    pub error_code: Option<String>,
    pub message: Option<String>,
    /// The body as text, cut at 4 KiB.
    pub body: String,
    /// A transport fault instead of an answer: `timeout: ...`.
    pub fault: Option<String>,
    pub request_id: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct StepResult {
    pub phase: Phase,
    pub name: String,
    pub operation: String,
    pub verdict: Verdict,
    /// The expectation, in words.
    pub expected: String,
    pub request: Option<SentRequest>,
    /// One answer, or the first of several (`parallel`, `repeat`).
    pub answer: Answer,
    /// How many requests the step sent.
    pub requests: usize,
    /// One line per way the answer departs from the expectation.
    pub problems: Vec<String>,
    /// The snapshot's file stem and its normalised content, for snapshot steps.
    pub snapshot_name: Option<String>,
    pub snapshot: Option<String>,
    /// A unified diff against the stored snapshot, when they differ.
    pub snapshot_diff: Option<String>,
    #[serde(serialize_with = "as_millis")]
    pub latency: Duration,
    /// Attempts retried before the answers above (throttling, 5xx, resets,
    /// timeouts), in the order sent; empty when every first attempt stood.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub retried: Vec<Attempt>,
    /// An answer came only after a transient fault (5xx, reset, timeout).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub flaky: bool,
    /// How an ambiguous answer was settled: a retried CreateChannel that met
    /// ChannelAlreadyExistsException, read back.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resolved: Option<String>,
    /// A race step: the joint outcome its answers matched, by name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome: Option<String>,
    /// A race step: every call's request and answer, in call order
    /// (`request` and `answer` above are the first call's).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub calls: Vec<CallResult>,
}

/// One call of a race step.
#[derive(Clone, Debug, Serialize)]
pub struct CallResult {
    pub name: String,
    pub operation: String,
    pub request: SentRequest,
    pub answer: Answer,
}

#[derive(Clone, Debug, Serialize)]
pub struct ScenarioResult {
    pub name: String,
    pub path: PathBuf,
    pub description: String,
    pub rules: Vec<String>,
    pub tags: Vec<String>,
    pub verdict: Verdict,
    /// Why the scenario failed, errored or was skipped, in one line.
    pub reason: Option<String>,
    pub steps: Vec<StepResult>,
    #[serde(serialize_with = "as_millis")]
    pub duration: Duration,
}

impl ScenarioResult {
    /// Passed, but some answer came only after a transient fault.
    pub fn flaky(&self) -> bool {
        self.verdict == Verdict::Pass && self.steps.iter().any(|s| s.flaky)
    }

    /// Every attempt its steps retried.
    pub fn retried(&self) -> impl Iterator<Item = (&StepResult, &Attempt)> {
        self.steps
            .iter()
            .flat_map(|step| step.retried.iter().map(move |a| (step, a)))
    }
}

/// Scenario counts by verdict.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub passed: usize,
    pub failed: usize,
    pub errored: usize,
    pub skipped: usize,
    pub indeterminate: usize,
    /// Passed only after a retried transient fault (among `passed`).
    pub flaky: usize,
}

#[derive(Clone, Debug, Serialize)]
pub struct RunReport {
    /// The endpoint URL, or `embedded` for the in-process emulator.
    pub endpoint: String,
    pub region: String,
    pub run_id: String,
    /// Notes for the reader (snapshot profile missing, fixtures taken from --var, ...).
    pub notes: Vec<String>,
    pub scenarios: Vec<ScenarioResult>,
    /// Resources of this run still present after cleanup: each a failure.
    pub leaks: Vec<String>,
    /// Cleanup requests that did not succeed.
    pub cleanup_problems: Vec<String>,
    /// Every request the run sent: steps, fixtures, cleanup and checks,
    /// retries included.
    pub requests: usize,
    /// Retries, throttling answers, transient faults and the settled rate.
    pub wire: WireStats,
    /// Channels and stores the run created (and deleted).
    pub created: Created,
    #[serde(serialize_with = "as_millis")]
    pub duration: Duration,
    /// The divergences sorted against `--baseline`, when one was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline: Option<BaselineVerdict>,
}

impl RunReport {
    pub fn counts(&self) -> Counts {
        let mut counts = Counts::default();
        for scenario in &self.scenarios {
            match scenario.verdict {
                Verdict::Pass => counts.passed += 1,
                Verdict::Fail => counts.failed += 1,
                Verdict::Error => counts.errored += 1,
                Verdict::Skip => counts.skipped += 1,
                Verdict::Indeterminate => counts.indeterminate += 1,
            }
            counts.flaky += usize::from(scenario.flaky());
        }
        counts
    }

    /// True when nothing failed, errored or stayed indeterminate, nothing
    /// leaked, and at least one scenario passed: an endpoint that skips
    /// everything has shown nothing, and a rule that was not tested for
    /// throttling was not shown to hold (the run exits 1, see
    /// [`RunReport::incomplete`]).
    pub fn conforms(&self) -> bool {
        let counts = self.counts();
        counts.failed == 0
            && counts.errored == 0
            && counts.indeterminate == 0
            && counts.passed > 0
            && self.leaks.is_empty()
    }

    /// Nothing diverged, but throttling left scenarios indeterminate: the
    /// run is incomplete, not a divergence.
    pub fn incomplete(&self) -> bool {
        let counts = self.counts();
        counts.indeterminate > 0
            && counts.failed == 0
            && counts.errored == 0
            && self.leaks.is_empty()
    }
}

/// One divergence: a scenario that failed or errored, where and how.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ScenarioDivergence {
    pub scenario: String,
    /// The first failing step, or `-` when the scenario failed outside its steps.
    pub step: String,
    /// Expected versus actual, e.g. `expected status 400, error ...; got 200`.
    pub signature: String,
    /// The scenario's contract rules: for readers, not part of the key.
    #[serde(default)]
    pub rules: Vec<String>,
}

impl ScenarioDivergence {
    /// What identifies it in a baseline: scenario, step and signature.
    pub(super) fn key(&self) -> (&str, &str, &str) {
        (&self.scenario, &self.step, &self.signature)
    }
}

/// A run's divergences sorted against a baseline.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct BaselineVerdict {
    /// Not in the baseline: these fail the run.
    pub new: Vec<ScenarioDivergence>,
    /// In the baseline: reported, not failing.
    pub known: Vec<ScenarioDivergence>,
    /// Baseline entries whose scenario now passes: remove them from the baseline.
    pub fixed: Vec<ScenarioDivergence>,
    /// Baseline entries this run could not check: scenario not selected,
    /// skipped, or now diverging another way (then it is also under `new`).
    pub unchecked: usize,
    /// The run is acceptable: no new divergence, no leak, and something
    /// passed or was known.
    pub accepted: bool,
}

fn as_millis<S: serde::Serializer>(duration: &Duration, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_u64(duration.as_millis() as u64)
}
