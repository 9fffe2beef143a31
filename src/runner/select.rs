//! Which scenarios a run takes: `--filter`, `--tag`, `--skip-tag`, `--rule`.

use crate::scenario::Scenario;

#[derive(Clone, Debug, Default)]
pub struct Selection {
    /// Substrings of the scenario name or path; any may match.
    pub filters: Vec<String>,
    /// Only scenarios with one of these tags (none: all).
    pub tags: Vec<String>,
    /// Never scenarios with one of these tags.
    pub skip_tags: Vec<String>,
    /// Only scenarios exercising one of these rule ids (none: all).
    pub rules: Vec<String>,
}

impl Selection {
    pub fn admits(&self, scenario: &Scenario) -> bool {
        let path = scenario.path.to_string_lossy();
        let name = &scenario.name.value;
        let filtered = self.filters.is_empty()
            || self
                .filters
                .iter()
                .any(|f| name.contains(f.as_str()) || path.contains(f.as_str()));
        let tagged = self.tags.is_empty() || scenario.tags.iter().any(|t| self.tags.contains(t));
        let skipped = scenario.tags.iter().any(|t| self.skip_tags.contains(t));
        let ruled =
            self.rules.is_empty() || scenario.rules.iter().any(|r| self.rules.contains(&r.value));
        filtered && tagged && !skipped && ruled
    }

    pub fn apply(&self, scenarios: Vec<Scenario>) -> Vec<Scenario> {
        scenarios.into_iter().filter(|s| self.admits(s)).collect()
    }
}
