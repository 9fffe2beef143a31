//! Reports of a run: pretty terminal text, a JSON document with a stable
//! schema (`docs/report-format.md`) and JUnit XML for CI dashboards. They
//! only render a `RunReport`; they send nothing and decide nothing.

mod json;
mod junit;
mod pretty;

pub use json::json;
pub use junit::junit;
pub use pretty::{pretty, scenario_line, summary_line, Style};
