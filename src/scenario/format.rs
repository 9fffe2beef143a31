//! The scenario file format as types: what a loaded scenario is, independent
//! of TOML. The loader (`load.rs`) builds these; the runner, the lint
//! (`lint.rs`) and the judge (`expect.rs`) read them.

use std::fmt;
use std::path::PathBuf;

use serde_json::Value;

use crate::contract::Operation;
use crate::protocol::TargetForm;

/// A 1-based line and column (in characters) in a scenario file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Pos {
    pub line: usize,
    pub col: usize,
}

impl fmt::Display for Pos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.col)
    }
}

/// A value and where it was written.
#[derive(Clone, Debug, PartialEq)]
pub struct Located<T> {
    pub value: T,
    pub pos: Pos,
}

impl<T> Located<T> {
    pub fn new(value: T, pos: Pos) -> Self {
        Located { value, pos }
    }
}

/// One scenario: one file of `scenarios/**.toml`.
#[derive(Clone, Debug)]
pub struct Scenario {
    pub path: PathBuf,
    /// Unique across the suite.
    pub name: Located<String>,
    pub description: String,
    /// Contract rule ids the scenario exercises.
    pub rules: Vec<Located<String>>,
    pub tags: Vec<String>,
    /// Account-wide resources held exclusively while the scenario runs.
    pub locks: Vec<String>,
    /// Scenario-local variables, in file order; values are uninterpolated.
    pub vars: Vec<ScenarioVar>,
    pub setup: Vec<Step>,
    pub steps: Vec<Step>,
    pub cleanup: Vec<Step>,
}

impl Scenario {
    /// True when the scenario must run with nothing else running.
    pub fn runs_alone(&self) -> bool {
        self.locks.iter().any(|lock| lock == CHANNEL_QUOTA_LOCK)
    }

    /// Every step in run order: setup, steps, cleanup.
    pub fn all_steps(&self) -> impl Iterator<Item = &Step> {
        self.setup.iter().chain(&self.steps).chain(&self.cleanup)
    }
}

/// The lock that also means "run alone".
pub const CHANNEL_QUOTA_LOCK: &str = "channel-quota";

/// One entry of `[vars]`.
#[derive(Clone, Debug, PartialEq)]
pub struct ScenarioVar {
    pub name: String,
    /// The value as written (strings may hold `${...}` expressions).
    pub value: Value,
    /// Where the key is written.
    pub pos: Pos,
    /// Every string inside `value`, with its position.
    pub templates: Vec<Located<String>>,
}

/// Which array of tables a step belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Phase {
    Setup,
    Steps,
    Cleanup,
}

impl Phase {
    /// The TOML key of the phase's array of tables.
    pub fn key(self) -> &'static str {
        match self {
            Phase::Setup => "setup",
            Phase::Steps => "steps",
            Phase::Cleanup => "cleanup",
        }
    }
}

/// One request (or `parallel` copies of it) and what it should answer.
#[derive(Clone, Debug)]
pub struct Step {
    pub phase: Phase,
    /// 0-based index within its phase.
    pub index: usize,
    /// Given, or `"<index+1>-<op>"` (prefixed `setup-`/`cleanup-` outside `[[steps]]`).
    pub name: String,
    pub op: Operation,
    /// `rules = [...]`: the rules this step checks, when the scenario checks
    /// several; a failure of the step is reported against these alone.
    /// Empty: the scenario's rules.
    pub rules: Vec<Located<String>>,
    pub body: Body,
    pub target: Header,
    /// Form of the default `X-Amz-Target`; `None` lets the runner choose.
    pub target_form: Option<TargetForm>,
    pub content_type: Header,
    /// `false`: send no `Authorization` (unless `authorization` is given).
    pub sign: bool,
    /// Sent as the `Authorization` header instead of a signature.
    pub authorization: Option<String>,
    pub method: String,
    /// Copies sent at once; 1 when not given.
    pub parallel: u32,
    /// `region = "..."`: the Region the step is signed for (its SigV4
    /// credential scope), a template; `None` is the run's Region.
    pub region: Option<String>,
    /// `paginate = "Member"`: follow `NextToken` to the last page; the
    /// expectation and captures see every page's `Member` items joined.
    pub paginate: Option<String>,
    /// Sequential repetitions, each with `${repeat_index}` = 1..=N.
    pub repeat: Option<Repeat>,
    pub snapshot: bool,
    /// Variables bound from the response, in file order (for a `parallel`
    /// step: from the first copy, in copy order, that answered 2xx).
    pub captures: Vec<Capture>,
    pub expect: Option<Expect>,
    /// Where the step's table starts.
    pub pos: Pos,
    /// Every interpolated string of the step (body, headers, expectation
    /// values), with its position: what the lint checks for undefined names.
    pub templates: Vec<Located<String>>,
}

impl Step {
    pub fn is_parallel(&self) -> bool {
        self.parallel > 1
    }

    /// The race this step sends, when it is a `race = [...]` step.
    pub fn race(&self) -> Option<&Race> {
        match &self.expect {
            Some(Expect {
                kind: ExpectKind::Race(race),
                ..
            }) => Some(race),
            _ => None,
        }
    }

    /// The steps inside a race step: its calls, then every outcome's `then`
    /// steps. Empty for any other step.
    pub fn nested(&self) -> impl Iterator<Item = &Step> {
        self.race().into_iter().flat_map(|race| {
            race.calls
                .iter()
                .chain(race.outcomes.iter().flat_map(|o| o.then.iter()))
        })
    }
}

/// `race = [...]` with `[[steps.outcomes]]`: different requests sent at
/// the same moment, and the joint outcomes that conform (for a race the
/// contract rules on, the serialisable ones: as if one call came first).
#[derive(Clone, Debug)]
pub struct Race {
    /// The calls, in file order: steps with a name, `op`, `input`, `region`
    /// and `capture`, never an `expect` of their own.
    pub calls: Vec<Step>,
    /// The conforming joint outcomes, in file order; the first that holds
    /// for every call is the one that matched.
    pub outcomes: Vec<RaceOutcome>,
}

/// One conforming joint outcome of a race.
#[derive(Clone, Debug)]
pub struct RaceOutcome {
    pub name: String,
    /// Where its `[[steps.outcomes]]` table starts.
    pub pos: Pos,
    /// One expectation per call, in the order of `Race::calls`.
    pub expect: Vec<Expect>,
    /// Steps run (and judged) only when this outcome matched, right after
    /// the race: the read-backs of the state this outcome implies.
    pub then: Vec<Step>,
}

/// How often a step repeats.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Repeat {
    Count(u32),
    /// A `${...}` template the runner evaluates to a count (e.g. `${channel_quota_remaining}`).
    Template(String),
}

/// The request body.
#[derive(Clone, Debug, PartialEq)]
pub enum Body {
    /// Neither `input` nor `raw_body`.
    Empty,
    /// `input`: a TOML table, sent as JSON after interpolation.
    Json(Value),
    /// `raw_body`: sent byte for byte after interpolation.
    Raw(String),
}

/// An overridable header (`target`, `content_type`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Header {
    /// Not given: the runner sends the protocol's value.
    Default,
    /// `false`: not sent at all.
    Drop,
    /// A string: sent instead (after interpolation).
    Value(String),
}

/// `capture = { var = "Path" }`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Capture {
    pub var: String,
    pub path: String,
    pub pos: Pos,
}

/// What a step's answer must be.
#[derive(Clone, Debug)]
pub struct Expect {
    pub kind: ExpectKind,
    /// Where `expect` is written.
    pub pos: Pos,
}

#[derive(Clone, Debug)]
pub enum ExpectKind {
    /// `status` / `error` / `response`.
    One(Outcome),
    /// `any_of = [...]`: any alternative conforms.
    AnyOf(Vec<Outcome>),
    /// `successes = N, others = {...}` for a `parallel` step.
    Parallel {
        successes: u32,
        others: Option<Box<Expect>>,
    },
    /// `race = [...]` and `[[steps.outcomes]]`: the step's own expectation.
    Race(Box<Race>),
}

/// One acceptable outcome. All parts `None`/empty means "nothing named"
/// (a lint error for `[[steps]]`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Outcome {
    pub status: Option<StatusSet>,
    /// Acceptable error codes.
    pub error: Option<Vec<String>>,
    pub response: Vec<ResponseCheck>,
}

impl Outcome {
    pub fn names_nothing(&self) -> bool {
        self.status.is_none() && self.error.is_none() && self.response.is_empty()
    }
}

/// Acceptable statuses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StatusSet {
    /// `status = 400` or `status = [400, 404]`.
    Codes(Vec<u16>),
    /// `"2xx"`, `"4xx"`, `"5xx"`: the hundreds digit.
    Class(u16),
}

impl StatusSet {
    pub fn contains(&self, status: u16) -> bool {
        match self {
            StatusSet::Codes(codes) => codes.contains(&status),
            StatusSet::Class(class) => status / 100 == *class,
        }
    }
}

impl fmt::Display for StatusSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StatusSet::Codes(codes) => write_one_of(f, codes),
            StatusSet::Class(class) => write!(f, "{class}xx"),
        }
    }
}

/// Writes `a` or `one of a, b, c`.
pub(crate) fn write_one_of<T: fmt::Display>(
    f: &mut fmt::Formatter<'_>,
    items: &[T],
) -> fmt::Result {
    if items.len() != 1 {
        f.write_str("one of ")?;
    }
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write!(f, "{item}")?;
    }
    Ok(())
}

/// One `response` entry: a path and what must hold there.
#[derive(Clone, Debug, PartialEq)]
pub struct ResponseCheck {
    pub path: String,
    pub matcher: Matcher,
    /// Where the key is written.
    pub pos: Pos,
}

/// What must hold at a response path.
#[derive(Clone, Debug, PartialEq)]
pub enum Matcher {
    /// A scalar/array written directly, or `{ equals = ... }`.
    Equals(Value),
    /// `{ regex = "..." }` (interpolated, then compiled; unanchored).
    Regex(String),
    /// `{ length = N }`: array elements, string characters or object keys.
    Length(u64),
    EqualsVar(String),
    NotEqualsVar(String),
    /// `{ absent = true }` (or `present = false`): missing or JSON null.
    Absent,
    /// `{ present = true }` (or `absent = false`).
    Present,
    /// `{ contains = V }`: with `[*]`, some element equals V; otherwise an
    /// array holding V, or a string holding the string V.
    Contains(Value),
    /// `{ same_items_var = "v" }`: with `[*]`, the values reached; otherwise
    /// the array at the path: the same items as the array in `v`, each as
    /// often, in any order (a listing's order is undocumented).
    SameItemsVar(String),
    /// `{ not_contains = V }`: the negation of `contains` (a missing path
    /// contains nothing).
    NotContains(Value),
}

impl Matcher {
    /// The matcher keywords, as written in a matcher table.
    pub const KEYWORDS: [&'static str; 10] = [
        "equals",
        "regex",
        "length",
        "equals_var",
        "not_equals_var",
        "absent",
        "present",
        "contains",
        "same_items_var",
        "not_contains",
    ];
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        if let Some(status) = &self.status {
            parts.push(format!("status {status}"));
        }
        if let Some(codes) = &self.error {
            parts.push(if codes.len() == 1 {
                format!("error {}", codes[0])
            } else {
                format!("error one of {}", codes.join(", "))
            });
        }
        for check in &self.response {
            parts.push(format!("{} {}", check.path, check.matcher));
        }
        if parts.is_empty() {
            parts.push("anything".into());
        }
        f.write_str(&parts.join(", "))
    }
}

impl fmt::Display for Matcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Matcher::Equals(value) => write!(f, "= {value}"),
            Matcher::Regex(pattern) => write!(f, "~ /{pattern}/"),
            Matcher::Length(length) => write!(f, "has length {length}"),
            Matcher::EqualsVar(name) => write!(f, "= ${{{name}}}"),
            Matcher::NotEqualsVar(name) => write!(f, "!= ${{{name}}}"),
            Matcher::Absent => f.write_str("absent"),
            Matcher::Present => f.write_str("present"),
            Matcher::Contains(value) => write!(f, "contains {value}"),
            Matcher::SameItemsVar(name) => write!(f, "has the items of ${{{name}}}"),
            Matcher::NotContains(value) => write!(f, "does not contain {value}"),
        }
    }
}

impl fmt::Display for Expect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ExpectKind::One(outcome) => write!(f, "{outcome}"),
            ExpectKind::AnyOf(outcomes) => {
                let alternatives: Vec<String> = outcomes.iter().map(|o| format!("({o})")).collect();
                write!(f, "any of {}", alternatives.join(" | "))
            }
            ExpectKind::Parallel { successes, others } => {
                write!(f, "{successes} success(es)")?;
                match others {
                    Some(others) => write!(f, ", the others {others}"),
                    None => Ok(()),
                }
            }
            ExpectKind::Race(race) => {
                let outcomes: Vec<String> = race
                    .outcomes
                    .iter()
                    .map(|outcome| {
                        let calls: Vec<String> = race
                            .calls
                            .iter()
                            .zip(&outcome.expect)
                            .map(|(call, expect)| format!("{}: {expect}", call.name))
                            .collect();
                        format!("{} ({})", outcome.name, calls.join("; "))
                    })
                    .collect();
                write!(f, "one joint outcome of {}", outcomes.join(" | "))
            }
        }
    }
}
