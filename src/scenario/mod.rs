//! Scenarios: the TOML file format of `scenarios/**.toml` (`format`), the
//! loader and its diagnostics (`load`, `diagnostic`), variables and
//! generators (`vars`), suite checks (`lint`), response paths (`path`) and
//! judging observed answers against expectations (`expect`).
//! The reference is `docs/scenario-format.md`.

pub mod diagnostic;
pub mod expect;
pub mod format;
pub mod lint;
pub mod load;
pub mod path;
pub mod vars;

pub use diagnostic::Diagnostic;
pub use expect::{capture, judge_parallel, judge_race, Mismatch, Observed};
pub use format::{
    Body, Capture, Expect, ExpectKind, Header, Located, Matcher, Outcome, Phase, Pos, Race,
    RaceOutcome, Repeat, ResponseCheck, Scenario, ScenarioVar, StatusSet, Step,
};
pub use lint::check;
pub use load::{load_bytes, load_dir, load_str};
pub use vars::{
    interpolate_str, interpolate_value, referenced_vars, Layer, VarError, VarRef, Vars,
};
