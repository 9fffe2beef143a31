//! Why a command stops before its verdict (exit 2): a closed kind with its
//! context, rendered here and nowhere else (as hurl's parser errors). Flag
//! values that do not parse are [`CommandError::Value`]; clap adds which flag.

use std::fmt;
use std::path::PathBuf;

use ctconform::runner::baseline::BaselineError;
use ctconform::scenario::Diagnostic;
use ctconform::wire::WireError;

/// A usage or input error: the invocation, its input or its surroundings
/// are wrong, and nothing (more) was sent.
#[derive(Debug)]
pub(crate) enum CommandError {
    /// A flag's value, as given, that is not what the flag takes.
    Value { text: String, expected: Expected },
    /// Flags that cannot go together, or one that is missing.
    Flags(&'static str),
    /// `--body` that is not JSON; serde_json's reason.
    BodyNotJson(String),
    /// A `--rule` that names no contract rule.
    UnknownRule(String),
    /// `--run-id` that is not a run id.
    NotRunId(String),
    /// The scenario path is neither a file nor a directory.
    NoScenarioPath(PathBuf),
    /// Scenario files that do not load or check.
    Scenarios(Vec<Diagnostic>),
    /// The selection leaves no scenario to run.
    NothingSelected,
    /// An endpoint off this machine without `--allow-remote`.
    Remote { endpoint: String, acts: Remote },
    /// The endpoint is not usable, or a client could not be set up.
    Wire(WireError),
    /// Nothing listens at the endpoint.
    Unreachable { endpoint: String, why: String },
    /// Something the command needs did not start.
    Start { what: Start, why: String },
    /// A file that cannot be read.
    Read { path: PathBuf, why: String },
    /// A file that cannot be written.
    Write { path: PathBuf, why: String },
    /// A report file whose directory does not exist.
    NoDirectory { path: PathBuf, dir: PathBuf },
    /// The lifecycle matrix does not parse or hold together.
    Matrix(String),
    /// The baseline file cannot be read or written (the runner's reason).
    Baseline(BaselineError),
    /// The fuzzer could not run (its reason), or its fixture variables are wrong.
    Fuzzer(String),
    /// `coverage --fuzz`: the fuzzer could not run (its reason).
    CoverageFuzz(String),
    /// The fuzzer's report could not be serialised.
    FuzzReport(String),
    /// Another run held the endpoint until the deadline.
    EndpointBusy,
}

/// What a flag takes, for [`CommandError::Value`].
#[derive(Debug)]
pub(crate) enum Expected {
    /// `auto`, `aws`, `off` or `READS:WRITES`.
    Pacing,
    /// One side of `READS:WRITES`, not a positive rate.
    PacingRate { part: String },
    /// A positive number of requests per second.
    Rate,
    /// `10s`, `500ms`, `2m`...
    Duration,
    /// A duration with a unit we do not know.
    DurationUnit { unit: String },
    /// A duration of 0 or less, or past a year.
    PositiveDuration,
    /// A count of at least 1.
    Count,
    /// `KEY=VALUE`.
    KeyValue,
    /// A variable name (`--var K` or `--var K=V`).
    VarName,
    /// A `--report` format.
    ReportFormat,
    /// `FORMAT=FILE` with a file.
    ReportFile,
    /// 500 or 503.
    FaultStatus,
    /// 12 digits.
    AccountId,
}

/// What a command would do off this machine, for [`CommandError::Remote`].
#[derive(Debug)]
pub(crate) enum Remote {
    /// `call`: one call on the account of these credentials.
    Call,
    /// `cleanup`: deletes what runs left, in `region` of whose account.
    Cleanup { region: String, credentials: String },
    /// `fuzz`: creates and deletes resources.
    Fuzz,
    /// `run`: the run's plan, in one sentence.
    Run { plan: String },
}

/// What did not start, for [`CommandError::Start`].
#[derive(Debug)]
pub(crate) enum Start {
    Runtime,
    Emulator,
    /// A listener on this address.
    Listener(String),
}

impl CommandError {
    pub(crate) fn value(text: &str, expected: Expected) -> CommandError {
        CommandError::Value {
            text: text.to_string(),
            expected,
        }
    }
}

const ALLOW_REMOTE: &str = "pass --allow-remote (or CTCONFORM_ALLOW_REMOTE=1) to proceed";

impl fmt::Display for CommandError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CommandError::Value { text, expected } => match expected {
                Expected::Pacing => write!(
                    f,
                    "`{text}` is not a pacing: auto, aws, off or READS:WRITES (e.g. 20:2)"
                ),
                Expected::PacingRate { part } => write!(
                    f,
                    "`{text}`: {part:?} is not a positive number of requests per second"
                ),
                Expected::Rate => write!(
                    f,
                    "`{text}` is not a positive number of requests per second"
                ),
                Expected::Duration => {
                    write!(f, "`{text}` is not a duration such as 10s, 500ms or 2m")
                }
                Expected::DurationUnit { unit } => {
                    write!(f, "`{text}`: unknown unit `{unit}` (use ms, s, m, h or d)")
                }
                Expected::PositiveDuration => write!(f, "`{text}` is not a positive duration"),
                Expected::Count => write!(f, "`{text}` is not a count of at least 1"),
                Expected::KeyValue => write!(f, "`{text}` is not KEY=VALUE"),
                Expected::VarName => write!(f, "`{text}` names no variable"),
                Expected::ReportFormat => write!(
                    f,
                    "`{text}` is not a report format (pretty, json, junit, markdown)"
                ),
                Expected::ReportFile => write!(f, "`{text}` names no file"),
                Expected::FaultStatus => write!(f, "the fault status is 500 or 503"),
                Expected::AccountId => write!(f, "an account id is 12 digits"),
            },
            CommandError::Flags(what) => f.write_str(what),
            CommandError::BodyNotJson(why) => write!(
                f,
                "--body is not JSON ({why}); use --raw-body to send it anyway"
            ),
            CommandError::UnknownRule(id) => write!(
                f,
                "unknown rule id `{id}` (`ctconform coverage` lists them)"
            ),
            CommandError::NotRunId(id) => write!(
                f,
                "`{id}` is not a run id (`r` and 8 lowercase letters or digits; reports print it first, e.g. r0f3k2abc)"
            ),
            CommandError::NoScenarioPath(path) => write!(
                f,
                "{} is neither a scenario file nor a directory of them",
                path.display()
            ),
            CommandError::Scenarios(diagnostics) => {
                for diagnostic in diagnostics {
                    writeln!(f, "{diagnostic}")?;
                }
                write!(
                    f,
                    "{} problem(s) in scenario files; nothing was sent",
                    diagnostics.len()
                )
            }
            CommandError::NothingSelected => f.write_str("no scenario matches the selection"),
            CommandError::Remote { endpoint, acts } => match acts {
                Remote::Call => write!(
                    f,
                    "{endpoint} is not on this machine: the call would act on the account of \
                     these credentials; {ALLOW_REMOTE}"
                ),
                Remote::Cleanup {
                    region,
                    credentials,
                } => write!(
                    f,
                    "{endpoint} is not on this machine: cleanup deletes channels and event data \
                     stores named ctc-<run id>-... or ctf-<run id>-..., and channels delivering \
                     into those stores, in region {region} of the account of these credentials \
                     ({credentials}); {ALLOW_REMOTE}, --dry-run to only list them"
                ),
                Remote::Fuzz => write!(
                    f,
                    "{endpoint} is not on this machine: fuzzing there creates and deletes \
                     channels and event data stores (billed, at most 10 per region) in the \
                     account of these credentials; {ALLOW_REMOTE}, and --rate to spare a shared \
                     account"
                ),
                Remote::Run { plan } => write!(f, "{plan}; {ALLOW_REMOTE}"),
            },
            CommandError::Wire(error) => write!(f, "{error}"),
            CommandError::Unreachable { endpoint, why } => write!(f, "cannot reach {endpoint}: {why}"),
            CommandError::Start { what, why } => match what {
                Start::Runtime => write!(f, "cannot start the async runtime: {why}"),
                Start::Emulator => write!(f, "cannot start the embedded emulator: {why}"),
                Start::Listener(addr) => write!(f, "cannot listen on {addr}: {why}"),
            },
            CommandError::Read { path, why } => write!(f, "{}: {why}", path.display()),
            CommandError::Write { path, why } => write!(f, "cannot write {}: {why}", path.display()),
            CommandError::NoDirectory { path, dir } => write!(
                f,
                "cannot write {}: no directory {}; nothing was sent",
                path.display(),
                dir.display()
            ),
            CommandError::Matrix(why) => write!(f, "lifecycle matrix: {why}"),
            CommandError::Baseline(why) => write!(f, "{why}"),
            CommandError::Fuzzer(why) => f.write_str(why),
            CommandError::CoverageFuzz(why) => write!(f, "the fuzzer could not run: {why}"),
            CommandError::FuzzReport(why) => write!(f, "the fuzz report: {why}"),
            CommandError::EndpointBusy => f.write_str(
                "nothing was tested: the endpoint stayed busy with another run until the deadline",
            ),
        }
    }
}

impl std::error::Error for CommandError {}

impl From<WireError> for CommandError {
    fn from(error: WireError) -> CommandError {
        CommandError::Wire(error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remote_errors_say_how_to_proceed() {
        let error = CommandError::Remote {
            endpoint: "https://cloudtrail.us-east-1.amazonaws.com".into(),
            acts: Remote::Call,
        };
        let text = error.to_string();
        assert!(
            text.starts_with("https://cloudtrail.us-east-1.amazonaws.com is not on this machine")
        );
        assert!(text.ends_with("pass --allow-remote (or CTCONFORM_ALLOW_REMOTE=1) to proceed"));
    }

    #[test]
    fn value_errors_quote_the_value() {
        let error = CommandError::value("7x", Expected::DurationUnit { unit: "x".into() });
        assert_eq!(
            error.to_string(),
            "`7x`: unknown unit `x` (use ms, s, m, h or d)"
        );
    }
}
