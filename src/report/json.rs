//! The JSON report: the `RunReport` as serde writes it, under a schema tag
//! (`ctconform.run/1`) so consumers can tell versions apart. The schema is
//! documented in `docs/report-format.md`.

use serde::Serialize;

use crate::runner::{Counts, RunReport};

pub(super) const SCHEMA: &str = "ctconform.run/1";

#[derive(Serialize)]
struct Document<'a> {
    schema: &'static str,
    counts: Counts,
    conforms: bool,
    /// Nothing diverged but throttling left scenarios indeterminate.
    incomplete: bool,
    #[serde(flatten)]
    report: &'a RunReport,
}

pub fn json(report: &RunReport) -> String {
    let document = Document {
        schema: SCHEMA,
        counts: report.counts(),
        conforms: report.conforms(),
        incomplete: report.incomplete(),
        report,
    };
    serde_json::to_string_pretty(&document)
        .unwrap_or_else(|error| format!("{{\"error\": \"{error}\"}}"))
}
