//! A broken rule, as found in one request: which rule, which codes answer it
//! here, and whether success also conforms (the contract's open cases).

use super::rules::{ErrorCode, RuleId};

/// Whether a broken rule must be refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Strictness {
    /// Only an error from `codes` conforms.
    Must,
    /// Success conforms too [set]; `emulator_refuses` records the
    /// reference emulator's own choice [choice].
    May { emulator_refuses: bool },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    pub rule: RuleId,
    /// The codes that conform for this case; the first is the emulator's choice.
    pub codes: &'static [ErrorCode],
    pub strictness: Strictness,
    /// What was wrong, for messages and reports.
    pub detail: String,
}

impl Violation {
    /// The rule broken, answered with any of the rule's codes.
    pub fn of(rule: RuleId, detail: impl Into<String>) -> Violation {
        Violation::with_codes(rule, rule.rule().errors, detail)
    }

    /// The rule broken in a case that allows only some of its codes.
    pub fn with_codes(
        rule: RuleId,
        codes: &'static [ErrorCode],
        detail: impl Into<String>,
    ) -> Violation {
        Violation {
            rule,
            codes,
            strictness: Strictness::Must,
            detail: detail.into(),
        }
    }

    /// A case where the contract lets success conform as well.
    pub fn optional(mut self, emulator_refuses: bool) -> Violation {
        self.strictness = Strictness::May { emulator_refuses };
        self
    }

    pub fn is_must(&self) -> bool {
        self.strictness == Strictness::Must
    }

    /// True when the reference emulator answers this case with an error.
    pub fn emulator_refuses(&self) -> bool {
        match self.strictness {
            Strictness::Must => true,
            Strictness::May { emulator_refuses } => emulator_refuses,
        }
    }
}
