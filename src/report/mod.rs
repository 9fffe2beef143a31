//! Reports of a run: pretty terminal text, a JSON document with a stable
//! schema (`docs/report-format.md`), JUnit XML for CI dashboards and a
//! Markdown rules × verdict matrix for step summaries and READMEs; and the
//! fuzzer's report for a terminal. They only render a `RunReport` or a
//! `FuzzReport`; they send nothing and decide nothing.

mod fuzz;
mod json;
mod junit;
mod markdown;
mod pretty;

pub use fuzz::fuzz_pretty;
pub use json::json;
pub use junit::junit;
pub use markdown::{markdown, rule_rows, RuleRow, RuleStatus};
pub use pretty::{pretty, scenario_line, summary_line, Style};
