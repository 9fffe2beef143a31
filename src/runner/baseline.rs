//! Baselines: the divergences of an endpoint that are already known, so a
//! run fails only on new ones. A divergence is keyed by scenario, step and a
//! signature of expected versus actual built from stable facts only (the
//! expectation as written, the answer's status and error code, a fault's
//! kind), never message texts, ids or timings. The file is TOML
//! (`docs/baseline.md`); `classify` sorts a run's divergences into new,
//! known and fixed. Pure: reading and writing the file is all it does.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub use super::result::{BaselineVerdict, ScenarioDivergence};
use super::result::{RunReport, ScenarioResult, StepResult, Verdict};

/// The format version written into baseline files.
pub const VERSION: u32 = 1;

/// The known divergences of one endpoint.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Baseline {
    pub divergences: Vec<ScenarioDivergence>,
}

/// The file's shape.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    version: u32,
    #[serde(default, rename = "divergence")]
    divergences: Vec<ScenarioDivergence>,
}

const HEADER: &str = "\
# Known divergences of an endpoint, for `ctconform run --baseline FILE`.
# Written by `ctconform run --baseline FILE --baseline-update`; see docs/baseline.md.
# A run fails only on divergences not listed here; an entry whose scenario
# now passes is reported as fixed (remove it, or rerun with --baseline-update).
";

impl Baseline {
    /// Reads a baseline file.
    pub fn load(path: &Path) -> Result<Baseline, BaselineError> {
        let text = std::fs::read_to_string(path)
            .map_err(|error| BaselineError::new(BaselineErrorKind::Read(error)).at(path))?;
        Baseline::parse(&text).map_err(|error| error.at(path))
    }

    pub fn parse(text: &str) -> Result<Baseline, BaselineError> {
        let file: File = toml::from_str(text)
            .map_err(|error| BaselineError::new(BaselineErrorKind::Toml(error.to_string())))?;
        if file.version != VERSION {
            return Err(BaselineError::new(BaselineErrorKind::Version(file.version)));
        }
        Ok(Baseline {
            divergences: file.divergences,
        })
    }

    /// Writes the baseline, sorted, so a file rewritten from an unchanged
    /// endpoint does not change.
    pub fn save(&self, path: &Path) -> Result<(), BaselineError> {
        std::fs::write(path, self.render())
            .map_err(|error| BaselineError::new(BaselineErrorKind::Write(error)).at(path))
    }

    pub fn render(&self) -> String {
        let mut divergences = self.divergences.clone();
        divergences.sort();
        divergences.dedup();
        let file = File {
            version: VERSION,
            divergences,
        };
        let body = toml::to_string(&file).unwrap_or_default();
        format!("{HEADER}\n{body}")
    }

    /// This run's divergences, plus the entries of scenarios the run could
    /// not judge (not selected, skipped, indeterminate): an update from a
    /// partial run keeps them.
    pub fn updated(&self, report: &RunReport) -> Baseline {
        let judged: BTreeSet<&str> = report
            .scenarios
            .iter()
            .filter(|s| !matches!(s.verdict, Verdict::Skip | Verdict::Indeterminate))
            .map(|s| s.name.as_str())
            .collect();
        let mut divergences: Vec<ScenarioDivergence> = self
            .divergences
            .iter()
            .filter(|d| !judged.contains(d.scenario.as_str()))
            .cloned()
            .collect();
        divergences.extend(divergences_of(report));
        divergences.sort();
        divergences.dedup();
        Baseline { divergences }
    }

    fn contains(&self, divergence: &ScenarioDivergence) -> bool {
        self.divergences
            .iter()
            .any(|known| known.key() == divergence.key())
    }
}

/// Why a baseline could not be read or written: what went wrong, and the
/// file when there is one.
#[derive(Debug)]
pub struct BaselineError {
    pub path: Option<PathBuf>,
    pub kind: BaselineErrorKind,
}

#[derive(Debug)]
pub enum BaselineErrorKind {
    Read(std::io::Error),
    Write(std::io::Error),
    /// Not TOML of the baseline's shape: the parser's message.
    Toml(String),
    /// A format version this ctconform does not read.
    Version(u32),
}

impl BaselineError {
    fn new(kind: BaselineErrorKind) -> BaselineError {
        BaselineError { path: None, kind }
    }

    fn at(mut self, path: &Path) -> BaselineError {
        self.path = Some(path.to_path_buf());
        self
    }
}

impl std::fmt::Display for BaselineError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let path = self.path.as_deref().map(Path::display);
        match (&self.kind, path) {
            (BaselineErrorKind::Read(error), Some(path)) => {
                write!(f, "cannot read baseline {path}: {error}")
            }
            (BaselineErrorKind::Write(error), Some(path)) => {
                write!(f, "cannot write baseline {path}: {error}")
            }
            (BaselineErrorKind::Read(error) | BaselineErrorKind::Write(error), None) => {
                write!(f, "baseline: {error}")
            }
            (kind, Some(path)) => write!(f, "baseline {path}: {}", Detail(kind)),
            (kind, None) => write!(f, "{}", Detail(kind)),
        }
    }
}

/// What is wrong inside a baseline's text.
struct Detail<'a>(&'a BaselineErrorKind);

impl std::fmt::Display for Detail<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            BaselineErrorKind::Toml(message) => write!(f, "{message}"),
            BaselineErrorKind::Version(version) => {
                write!(f, "version {version} is not supported (expected {VERSION})")
            }
            BaselineErrorKind::Read(error) | BaselineErrorKind::Write(error) => {
                write!(f, "{error}")
            }
        }
    }
}

impl std::error::Error for BaselineError {}

/// Sorts the run's divergences into new and known, and finds the fixed entries.
pub fn classify(baseline: &Baseline, report: &RunReport) -> BaselineVerdict {
    let (known, new): (Vec<ScenarioDivergence>, Vec<ScenarioDivergence>) = divergences_of(report)
        .into_iter()
        .partition(|d| baseline.contains(d));
    let passed: BTreeSet<&str> = report
        .scenarios
        .iter()
        .filter(|s| s.verdict == Verdict::Pass)
        .map(|s| s.name.as_str())
        .collect();
    let fixed: Vec<ScenarioDivergence> = baseline
        .divergences
        .iter()
        .filter(|d| passed.contains(d.scenario.as_str()))
        .cloned()
        .collect();
    let unchecked = baseline
        .divergences
        .iter()
        .filter(|entry| !known.iter().any(|d| d.key() == entry.key()))
        .filter(|entry| !passed.contains(entry.scenario.as_str()))
        .count();
    let accepted = new.is_empty()
        && report.leaks.is_empty()
        && (report.counts().passed > 0 || !known.is_empty());
    BaselineVerdict {
        new,
        known,
        fixed,
        unchecked,
        accepted,
    }
}

/// Every failed or errored scenario of the run, as a divergence.
pub fn divergences_of(report: &RunReport) -> Vec<ScenarioDivergence> {
    let mut divergences: Vec<ScenarioDivergence> = report
        .scenarios
        .iter()
        .filter(|s| matches!(s.verdict, Verdict::Fail | Verdict::Error))
        .map(divergence)
        .collect();
    divergences.sort();
    divergences
}

fn divergence(scenario: &ScenarioResult) -> ScenarioDivergence {
    let failing = scenario
        .steps
        .iter()
        .find(|s| matches!(s.verdict, Verdict::Fail | Verdict::Error));
    let (step, signature) = match failing {
        Some(step) => (step.name.clone(), step_signature(step)),
        None => ("-".to_string(), reason_signature(scenario)),
    };
    ScenarioDivergence {
        scenario: scenario.name.clone(),
        step,
        signature,
        rules: scenario.rules.clone(),
    }
}

/// `expected <expectation>; got <status> <code>` (or the fault's kind), with
/// `; snapshot differs` when the answer met the expectation but not the snapshot.
pub fn step_signature(step: &StepResult) -> String {
    let answer = &step.answer;
    if step.requests > 1 {
        return several_answers_signature(step);
    }
    let got = match (&answer.fault, answer.status) {
        (Some(fault), _) => fault.split(':').next().unwrap_or(fault).trim().to_string(),
        (None, Some(status)) => format!(
            "{status} {}",
            answer.error_code.as_deref().unwrap_or("(no error code)")
        ),
        (None, None) => "nothing (the request could not be built)".to_string(),
    };
    let snapshot_only = step.snapshot_diff.is_some()
        && step
            .problems
            .iter()
            .all(|p| p.starts_with("snapshot") || p.starts_with("no snapshot"));
    let mut signature = format!("expected {}; got {got}", step.expected);
    if snapshot_only {
        signature.push_str("; snapshot differs");
    }
    signature
}

/// A step of several requests (`parallel`, `repeat`) keeps only its first
/// answer, and which copy answers first changes from run to run: its
/// signature names what was wrong (`successes`, `status`, `error`, ...),
/// whichever copy it was, not any one answer.
fn several_answers_signature(step: &StepResult) -> String {
    let mut kinds: Vec<&str> = step
        .problems
        .iter()
        .map(|problem| {
            let problem = match problem.strip_prefix("copy ") {
                Some(rest) => rest.split_once(": ").map_or(rest, |(_, after)| after),
                None => problem,
            };
            problem.split(':').next().unwrap_or(problem).trim()
        })
        .collect();
    kinds.sort_unstable();
    kinds.dedup();
    let got = if kinds.is_empty() {
        "an answer that does not match".to_string()
    } else {
        format!("answers that do not match on {}", kinds.join(", "))
    };
    format!("expected {}; got {got}", step.expected)
}

/// A scenario that failed outside its steps (cleanup, deadline, variables):
/// its reason up to the first colon, which is where details begin.
fn reason_signature(scenario: &ScenarioResult) -> String {
    let reason = scenario.reason.as_deref().unwrap_or("no reason given");
    let head = reason.split(':').next().unwrap_or(reason).trim();
    format!("{}: {head}", scenario.verdict.label().to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;
    use std::time::Duration;

    use super::*;
    use crate::runner::result::Answer;
    use crate::scenario::Phase;

    fn step(name: &str, verdict: Verdict, status: u16, code: Option<&str>) -> StepResult {
        StepResult {
            phase: Phase::Steps,
            name: name.into(),
            operation: "CreateChannel".into(),
            verdict,
            expected: "status 400, error InvalidParameterException".into(),
            request: None,
            answer: Answer {
                status: Some(status),
                error_code: code.map(str::to_string),
                message: Some("a message with an id 1234".into()),
                request_id: Some("req-1".into()),
                ..Answer::default()
            },
            requests: 1,
            problems: vec!["status: expected 400, got 200".into()],
            snapshot_name: None,
            snapshot: None,
            snapshot_diff: None,
            latency: Duration::from_millis(7),
            retried: Vec::new(),
            flaky: false,
            resolved: None,
            outcome: None,
            calls: Vec::new(),
        }
    }

    fn scenario(name: &str, verdict: Verdict, steps: Vec<StepResult>) -> ScenarioResult {
        ScenarioResult {
            name: name.into(),
            path: PathBuf::from(format!("scenarios/{name}.toml")),
            description: String::new(),
            rules: vec!["N2".into()],
            tags: Vec::new(),
            verdict,
            reason: Some("step `create`: status: expected 400, got 200".into()),
            steps,
            duration: Duration::from_millis(3),
        }
    }

    fn report(scenarios: Vec<ScenarioResult>) -> RunReport {
        RunReport {
            endpoint: "http://127.0.0.1:1".into(),
            region: "us-east-1".into(),
            run_id: "rabc".into(),
            notes: Vec::new(),
            scenarios,
            leaks: Vec::new(),
            cleanup_problems: Vec::new(),
            requests: 0,
            wire: Default::default(),
            created: Default::default(),
            duration: Duration::from_secs(1),
            baseline: None,
        }
    }

    fn failing(name: &str) -> ScenarioResult {
        scenario(
            name,
            Verdict::Fail,
            vec![step("create", Verdict::Fail, 200, None)],
        )
    }

    fn passing(name: &str) -> ScenarioResult {
        scenario(
            name,
            Verdict::Pass,
            vec![step("create", Verdict::Pass, 400, Some("X"))],
        )
    }

    #[test]
    fn parallel_steps_sign_alike_whichever_copy_answers_first() {
        let mut one = step("race", Verdict::Fail, 200, None);
        one.requests = 5;
        one.problems = vec!["successes: expected 1, got 2 of 5".into()];
        let mut two = step("race", Verdict::Fail, 400, Some("ConflictException"));
        two.requests = 5;
        two.problems = vec!["successes: expected 1, got 3 of 5".into()];
        assert_eq!(step_signature(&one), step_signature(&two));
        let mut three = two.clone();
        three.problems = vec![
            "copy 4: error: expected ChannelAlreadyExistsException, got ConflictException".into(),
            "copy 2: error: expected ChannelAlreadyExistsException, got ConflictException".into(),
        ];
        assert!(step_signature(&three).ends_with("do not match on error"));
        assert_ne!(step_signature(&one), step_signature(&three));
    }

    #[test]
    fn signatures_use_stable_facts_only() {
        let mut one = step("create", Verdict::Fail, 400, Some("ValidationException"));
        let mut two = one.clone();
        two.answer.message = Some("another text".into());
        two.answer.request_id = Some("req-2".into());
        two.latency = Duration::from_secs(3);
        assert_eq!(step_signature(&one), step_signature(&two));
        assert_eq!(
            step_signature(&one),
            "expected status 400, error InvalidParameterException; got 400 ValidationException"
        );
        one.answer = Answer {
            fault: Some("timeout: no complete answer in time".into()),
            ..Answer::default()
        };
        assert!(step_signature(&one).ends_with("; got timeout"));
    }

    #[test]
    fn snapshot_only_differences_are_marked() {
        let mut only = step(
            "create",
            Verdict::Fail,
            400,
            Some("InvalidParameterException"),
        );
        only.problems = vec!["snapshot differs from a (new: b)".into()];
        only.snapshot_diff = Some("-x\n+y".into());
        assert!(step_signature(&only).ends_with("; snapshot differs"));
        let mut both = step("create", Verdict::Fail, 200, None);
        both.snapshot_diff = Some("-x\n+y".into());
        both.problems
            .push("snapshot differs from a (new: b)".into());
        assert!(!step_signature(&both).contains("snapshot"));
    }

    #[test]
    fn a_scenario_failing_outside_its_steps_is_keyed_by_its_reason() {
        let mut leaked = scenario("leaky", Verdict::Fail, Vec::new());
        leaked.reason = Some("cleanup left resources behind: channel ctc-rabc-x".into());
        let d = divergence(&leaked);
        assert_eq!(d.step, "-");
        assert_eq!(d.signature, "fail: cleanup left resources behind");
    }

    #[test]
    fn classify_sorts_new_known_and_fixed() {
        let baseline = Baseline {
            divergences: vec![
                divergence(&failing("known")),
                divergence(&failing("now-passes")),
                divergence(&failing("not-selected")),
            ],
        };
        let run = report(vec![
            failing("known"),
            failing("brand-new"),
            passing("now-passes"),
        ]);
        let verdict = classify(&baseline, &run);
        let names = |list: &[ScenarioDivergence]| -> Vec<String> {
            list.iter().map(|d| d.scenario.clone()).collect()
        };
        assert_eq!(names(&verdict.new), ["brand-new"]);
        assert_eq!(names(&verdict.known), ["known"]);
        assert_eq!(names(&verdict.fixed), ["now-passes"]);
        assert_eq!(verdict.unchecked, 1);
        assert!(!verdict.accepted);

        let without_new = report(vec![failing("known"), passing("now-passes")]);
        assert!(classify(&baseline, &without_new).accepted);
    }

    #[test]
    fn a_changed_divergence_is_new() {
        let baseline = Baseline {
            divergences: vec![divergence(&failing("s"))],
        };
        let changed = scenario(
            "s",
            Verdict::Fail,
            vec![step("create", Verdict::Fail, 500, None)],
        );
        let verdict = classify(&baseline, &report(vec![changed]));
        assert_eq!(verdict.new.len(), 1);
        assert!(verdict.known.is_empty() && verdict.fixed.is_empty());
        assert_eq!(verdict.unchecked, 1);
        assert!(!verdict.accepted);
    }

    #[test]
    fn nothing_passed_and_nothing_known_is_not_accepted() {
        let skipped = scenario("s", Verdict::Skip, Vec::new());
        assert!(!classify(&Baseline::default(), &report(vec![skipped])).accepted);
    }

    #[test]
    fn leaks_are_never_accepted() {
        let mut run = report(vec![passing("a")]);
        run.leaks.push("channel x".into());
        assert!(!classify(&Baseline::default(), &run).accepted);
    }

    #[test]
    fn files_round_trip_sorted_and_stable() {
        let run = report(vec![failing("b"), failing("a"), passing("c")]);
        let baseline = Baseline::default().updated(&run);
        let text = baseline.render();
        assert!(text.starts_with("# Known divergences"));
        assert!(text.find("scenario = \"a\"") < text.find("scenario = \"b\""));
        let parsed = Baseline::parse(&text).unwrap();
        assert_eq!(parsed, baseline);
        assert_eq!(parsed.render(), text, "rewriting changes nothing");
        assert!(classify(&parsed, &run).accepted);
    }

    #[test]
    fn updates_keep_entries_the_run_could_not_judge() {
        let old = Baseline {
            divergences: vec![
                divergence(&failing("not-selected")),
                divergence(&failing("fixed")),
                divergence(&failing("skipped")),
            ],
        };
        let run = report(vec![
            passing("fixed"),
            scenario("skipped", Verdict::Skip, Vec::new()),
            failing("new"),
        ]);
        let names: Vec<String> = old
            .updated(&run)
            .divergences
            .into_iter()
            .map(|d| d.scenario)
            .collect();
        assert_eq!(names, ["new", "not-selected", "skipped"]);
    }

    #[test]
    fn bad_files_are_refused_with_a_reason() {
        let error = Baseline::parse("version = 2\n").unwrap_err();
        assert!(matches!(error.kind, BaselineErrorKind::Version(2)));
        assert_eq!(
            error.at(Path::new("b.toml")).to_string(),
            "baseline b.toml: version 2 is not supported (expected 1)"
        );
        assert!(Baseline::parse("version = 1\n[[divergence]]\nscenario = 1\n").is_err());
        assert!(Baseline::parse("version = 1\nextra = true\n").is_err());
        assert_eq!(
            Baseline::parse("version = 1\n").unwrap(),
            Baseline::default()
        );
    }
}
