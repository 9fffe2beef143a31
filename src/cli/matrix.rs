//! The lifecycle matrix (`docs/lifecycle-matrix.toml`): what each
//! state-changing operation implies for every later observer, per the
//! contract, and the scenarios that check each cell. `ctconform coverage`
//! prints it and fails on a determined cell without a scenario.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use serde::Deserialize;

use super::CommandError;

/// The matrix shipped with ctconform, derived from the contract.
pub(super) const BUILT_IN: &str = include_str!("../../docs/lifecycle-matrix.toml");

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Matrix {
    pub observers: Vec<Observer>,
    pub rows: Vec<Row>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Observer {
    pub id: String,
    pub title: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Row {
    pub id: String,
    pub title: String,
    /// Observer id → cell.
    pub cells: BTreeMap<String, Cell>,
}

/// One cell: determined (`expect` and its `scenarios`) or `not_determined`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Cell {
    pub expect: Option<String>,
    #[serde(default)]
    pub scenarios: Vec<String>,
    pub not_determined: Option<String>,
}

impl Cell {
    pub(super) fn is_determined(&self) -> bool {
        self.expect.is_some()
    }
}

impl Matrix {
    /// Parses and checks the matrix's own form: every row has exactly one
    /// cell per observer, each cell either determined or not.
    pub(super) fn parse(text: &str) -> Result<Matrix, CommandError> {
        let matrix: Matrix =
            toml::from_str(text).map_err(|e| CommandError::Matrix(e.to_string()))?;
        let observers: BTreeSet<&str> = matrix.observers.iter().map(|o| o.id.as_str()).collect();
        let mut problems = Vec::new();
        for row in &matrix.rows {
            let cells: BTreeSet<&str> = row.cells.keys().map(String::as_str).collect();
            for missing in observers.difference(&cells) {
                problems.push(format!("row `{}` has no cell for `{missing}`", row.id));
            }
            for unknown in cells.difference(&observers) {
                problems.push(format!("row `{}`: unknown observer `{unknown}`", row.id));
            }
            for (observer, cell) in &row.cells {
                match (&cell.expect, &cell.not_determined) {
                    (Some(_), None) => {}
                    (None, Some(_)) if cell.scenarios.is_empty() => {}
                    (None, Some(_)) => problems.push(format!(
                        "row `{}`, `{observer}`: a cell not determined names no scenarios",
                        row.id
                    )),
                    _ => problems.push(format!(
                        "row `{}`, `{observer}`: give either `expect` or `not_determined`",
                        row.id
                    )),
                }
            }
        }
        if problems.is_empty() {
            Ok(matrix)
        } else {
            Err(CommandError::Matrix(problems.join("; ")))
        }
    }

    /// What is wrong with the matrix against the corpus: determined cells
    /// without a scenario, and scenario names no scenario has.
    pub(super) fn gaps(&self, known: &BTreeSet<&str>) -> Vec<String> {
        let mut gaps = Vec::new();
        for row in &self.rows {
            for (observer, cell) in row.cells.iter().filter(|(_, c)| c.is_determined()) {
                if cell.scenarios.is_empty() {
                    gaps.push(format!("{} × {observer}: no scenario", row.id));
                }
                for name in cell
                    .scenarios
                    .iter()
                    .filter(|n| !known.contains(n.as_str()))
                {
                    gaps.push(format!(
                        "{} × {observer}: no scenario named `{name}`",
                        row.id
                    ));
                }
            }
        }
        gaps
    }

    /// The matrix as text: a grid of scenario counts ("-" not determined,
    /// "0" a gap), then every determined cell with its scenarios.
    pub(super) fn render(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "lifecycle matrix (docs/lifecycle-matrix.toml): rows change state, columns observe"
        );
        let _ = write!(out, "{:<34}", "");
        for (i, _) in self.observers.iter().enumerate() {
            let _ = write!(out, " {:>3}", format!("c{}", i + 1));
        }
        let _ = writeln!(out);
        for row in &self.rows {
            let _ = write!(out, "{:<34}", row.id);
            for observer in &self.observers {
                let shown = match row.cells.get(&observer.id) {
                    Some(cell) if cell.is_determined() => cell.scenarios.len().to_string(),
                    _ => "-".into(),
                };
                let _ = write!(out, " {shown:>3}");
            }
            let _ = writeln!(out);
        }
        for (i, observer) in self.observers.iter().enumerate() {
            let _ = writeln!(out, "  c{:<3} {}", i + 1, observer.title);
        }
        for row in &self.rows {
            let _ = writeln!(out, "{}", row.title);
            for observer in &self.observers {
                let Some(cell) = row.cells.get(&observer.id) else {
                    continue;
                };
                match (&cell.expect, &cell.not_determined) {
                    (Some(expect), _) => {
                        let _ = writeln!(
                            out,
                            "  {}: {expect}\n      {}",
                            observer.title,
                            if cell.scenarios.is_empty() {
                                "NO SCENARIO".to_string()
                            } else {
                                cell.scenarios.join(", ")
                            }
                        );
                    }
                    (None, Some(why)) => {
                        let _ = writeln!(out, "  {}: not determined ({why})", observer.title);
                    }
                    (None, None) => {}
                }
            }
        }
        out
    }

    pub(super) fn determined_cells(&self) -> usize {
        self.rows
            .iter()
            .flat_map(|row| row.cells.values())
            .filter(|cell| cell.is_determined())
            .count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_matrix_is_covered_by_the_corpus() {
        let matrix = Matrix::parse(BUILT_IN).unwrap();
        let scenarios = ctconform::scenario::load_dir("scenarios").expect("the corpus loads");
        let known: BTreeSet<&str> = scenarios.iter().map(|s| s.name.value.as_str()).collect();
        assert_eq!(matrix.gaps(&known), Vec::<String>::new());
        assert!(matrix.determined_cells() > 40);
        assert_eq!(matrix.observers.len(), 12);
    }

    #[test]
    fn gaps_and_malformed_cells_are_named() {
        let text = r#"
            [[observers]]
            id = "get"
            title = "GetChannel"
            [[observers]]
            id = "list"
            title = "ListChannels"
            [[rows]]
            id = "create"
            title = "CreateChannel"
            [rows.cells]
            get = { expect = "200", scenarios = [] }
            list = { expect = "listed", scenarios = ["gone"] }
        "#;
        let matrix = Matrix::parse(text).unwrap();
        assert_eq!(
            matrix.gaps(&BTreeSet::new()),
            [
                "create × get: no scenario",
                "create × list: no scenario named `gone`"
            ]
        );
        let missing_cell =
            text.replace("list = { expect = \"listed\", scenarios = [\"gone\"] }", "");
        assert!(Matrix::parse(&missing_cell)
            .unwrap_err()
            .to_string()
            .contains("row `create` has no cell for `list`"));
        let both = text.replace(
            "scenarios = [] }",
            "scenarios = [], not_determined = \"x\" }",
        );
        assert!(Matrix::parse(&both)
            .unwrap_err()
            .to_string()
            .contains("give either `expect` or `not_determined`"));
    }
}
