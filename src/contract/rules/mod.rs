//! The contract's rules, one unit per family of rules. Each unit declares its
//! rules ([`Rule`]: id, section, whether AWS documents it, whether its error
//! set is open, its limits, its error codes, its words) and owns the checks
//! that need nothing but the request; the checks that read the account
//! (E1-E4's store lookups, C1-C3) live with the model in `contract::state`
//! and take their limits and words from here.
//!
//! Everything else that describes a rule is generated from [`RULES`] or
//! checked against it by a test: the rule table of `docs/contract.md`
//! ([`markdown_table`]), the scenario index (`scenarios/README.md`), the
//! coverage and markdown matrix summaries, the fuzzer's boundary probes
//! ([`Limit::around`]) and the boundary scenarios' values (a lint in
//! `tests/scenarios.rs`). Changing a limit is one line in its unit.

mod destinations;
mod name;
mod protocol;
mod source;
mod state;
mod store;
mod success;
mod supporting;
mod tags;

pub use destinations::{DESTINATIONS, LOCATION};
pub use name::NAME;
pub use source::SOURCE;
pub use state::CHANNEL_QUOTA;
pub use supporting::STORE_QUOTA;
pub use tags::{Tag, TagInput, KEY, MODEL_TAGS, TAGS, VALUE, VALUE_PROBES};

pub(super) use destinations::{check_count as check_destination_count, check_location, check_type};
pub(super) use name::check as check_name;
pub(super) use source::check as check_source;
pub(super) use store::{check as check_store, StoreLookup};
pub(super) use tags::check as check_tags;

use std::fmt;

/// An enum of names, with `ALL` and `as_str` (the variant's own name), so
/// each list of the contract's names is written once.
macro_rules! named_enum {
    ($(#[$doc:meta])* $name:ident { $($variant:ident),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($variant),* }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),*];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => stringify!($variant)),* }
            }

            /// The value named exactly `name` (case-sensitive).
            pub fn parse(name: &str) -> Option<$name> {
                $name::ALL.iter().copied().find(|value| value.as_str() == name)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

named_enum!(
    /// An error code named by the contract (the resolved `__type`, without namespace).
    ErrorCode {
        InvalidParameterException,
        ValidationException,
        SerializationException,
        InvalidSourceException,
        EventDataStoreARNInvalidException,
        EventDataStoreNotFoundException,
        InvalidEventDataStoreCategoryException,
        InactiveEventDataStoreException,
        TagsLimitExceededException,
        InvalidTagParameterException,
        OperationNotPermittedException,
        UnsupportedOperationException,
        ChannelAlreadyExistsException,
        ChannelMaxLimitExceededException,
        ChannelNotFoundException,
        ChannelARNInvalidException,
        ChannelExistsForEDSException,
        EventDataStoreAlreadyExistsException,
        EventDataStoreMaxLimitExceededException,
        EventDataStoreTerminationProtectedException,
        InvalidEventDataStoreStatusException,
        InvalidEventSelectorsException,
        InvalidKmsKeyIdException,
        InvalidNextTokenException,
        InvalidMaxResultsException,
        UnknownOperationException,
        MissingAuthenticationTokenException,
        InvalidSignatureException,
        UnrecognizedClientException,
        ConflictException,
        ThrottlingException,
    }
);

impl ErrorCode {
    /// The statuses a conforming endpoint may send with this code (contract §1).
    /// The first is the reference emulator's choice: 404 for the two NotFound
    /// errors, as AWS's Smithy model says.
    pub fn statuses(self) -> &'static [u16] {
        use ErrorCode::*;
        match self {
            EventDataStoreNotFoundException | ChannelNotFoundException => &[404, 400],
            ConflictException => &[409],
            ThrottlingException => &[429, 400],
            MissingAuthenticationTokenException
            | InvalidSignatureException
            | UnrecognizedClientException => &[400, 403],
            _ => &[400],
        }
    }

    /// The status the reference emulator sends with this code.
    pub fn emulator_status(self) -> u16 {
        self.statuses()[0]
    }
}

/// Where in the contract a rule stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Section {
    Protocol,
    Input,
    State,
    Success,
    Supporting,
}

impl Section {
    pub fn title(self) -> &'static str {
        match self {
            Section::Protocol => "§1 wire protocol",
            Section::Input => "§2 CreateChannel input",
            Section::State => "§3 CreateChannel state",
            Section::Success => "§4 CreateChannel success",
            Section::Supporting => "§5 supporting operations",
        }
    }
}

named_enum!(
    /// A contract rule's id, as the contract (and scenario files) spell it.
    RuleId {
        P1, P2, P3, P4, P5, P6, P7, P8, P9, N1, N2, N3, S1, S2, D1, D2, D3, D4, E1, E2, E3, E4, T1, T2,
        T3, T4, T5, C1, C2, C3, OK1, OK2, OK3, OK4, OP1, OP2, OP3, OP4, OP5,
    }
);

impl RuleId {
    pub fn rule(self) -> &'static Rule {
        RULES
            .iter()
            .copied()
            .find(|rule| rule.id == self)
            .expect("every RuleId has an entry in RULES")
    }
}

/// One rule of the contract, declared by its unit.
#[derive(Debug)]
pub struct Rule {
    pub id: RuleId,
    pub section: Section,
    /// AWS documents the rule ([doc]: the model, an API reference page, the
    /// quotas page, the user guide); false where only the contract rules on
    /// an undocumented behaviour ([set]).
    pub documented: bool,
    /// The contract gives a set of outcomes, any member of which conforms
    /// (several codes, or success as well), rather than one answer.
    pub open: bool,
    /// The limits the rule sets; its words and the fuzzer's probes read them.
    pub limits: &'static [Limit],
    /// What a conforming endpoint does, in one line; `{name}` stands for the
    /// limit of that name as `min..=max`, `{name.max}` and `{name.min}` for
    /// one end (see [`Rule::summary`]).
    pub words: &'static str,
    /// Every code the contract allows when the rule is broken (the union of
    /// its cases); the first is the reference emulator's choice. Empty for
    /// rules that describe success or protocol handling rather than a refusal.
    pub errors: &'static [ErrorCode],
    /// Where AWS says it: the sources `docs/contract.md` cites.
    pub cites: &'static str,
}

impl Rule {
    /// The rule's one line, its limits written in.
    pub fn summary(&self) -> String {
        let mut text = self.words.to_string();
        for limit in self.limits {
            let name = limit.name;
            text = text
                .replace(&format!("{{{name}}}"), &limit.words())
                .replace(&format!("{{{name}.max}}"), &limit.max.to_string())
                .replace(&format!("{{{name}.min}}"), &limit.min.to_string());
        }
        text
    }

    /// The limit of this rule named `name`.
    pub fn limit(&self, name: &str) -> Option<&'static Limit> {
        self.limits.iter().find(|limit| limit.name == name)
    }
}

/// What a limit counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LimitUnit {
    /// Unicode scalar values, as the model's length traits do.
    Characters,
    /// Entries of a list, or resources in the account.
    Entries,
}

/// A limit a rule sets: `min..=max` characters or entries of one member.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limit {
    /// Its name in the rule's words (`{key}`) and in boundary scenario file
    /// names (`t2-key-at-max`); unique among all rules.
    pub name: &'static str,
    /// Where a CreateChannel request carries the limited value, as a path
    /// of members and list indexes (`Tags.0.Key`); empty for account quotas.
    pub member: &'static str,
    pub counts: LimitUnit,
    pub min: usize,
    pub max: usize,
}

impl Limit {
    /// As `(min, max)`, the form `contract::shapes` has always used.
    pub const fn range(&self) -> (usize, usize) {
        (self.min, self.max)
    }

    pub fn contains(&self, count: usize) -> bool {
        (self.min..=self.max).contains(&count)
    }

    /// Whether `text`'s length in characters is within the limit.
    pub fn admits_length(&self, text: &str) -> bool {
        self.contains(text.chars().count())
    }

    /// The limit as messages and summaries write it: `3..=128`.
    pub fn words(&self) -> String {
        format!("{}..={}", self.min, self.max)
    }

    /// The values the fuzzer probes: none, one below, at and one above the
    /// minimum, one below, at and one above the maximum.
    pub const fn around(&self) -> [u16; 7] {
        let (min, max) = (self.min as u16, self.max as u16);
        [
            0,
            min.saturating_sub(1),
            min,
            min + 1,
            max - 1,
            max,
            max + 1,
        ]
    }
}

/// The rules of the contract, in its order: everything that lists, counts or
/// describes the rules iterates this.
pub static RULES: &[&Rule] = &[
    &protocol::P1,
    &protocol::P2,
    &protocol::P3,
    &protocol::P4,
    &protocol::P5,
    &protocol::P6,
    &protocol::P7,
    &protocol::P8,
    &protocol::P9,
    &name::N1,
    &name::N2,
    &name::N3,
    &source::S1,
    &source::S2,
    &destinations::D1,
    &destinations::D2,
    &destinations::D3,
    &destinations::D4,
    &store::E1,
    &store::E2,
    &store::E3,
    &store::E4,
    &tags::T1,
    &tags::T2,
    &tags::T3,
    &tags::T4,
    &tags::T5,
    &state::C1,
    &state::C2,
    &state::C3,
    &success::OK1,
    &success::OK2,
    &success::OK3,
    &success::OK4,
    &supporting::OP1,
    &supporting::OP2,
    &supporting::OP3,
    &supporting::OP4,
    &supporting::OP5,
];

/// Every limit of every rule, with its rule.
pub fn limits() -> impl Iterator<Item = (&'static Rule, &'static Limit)> {
    RULES
        .iter()
        .flat_map(|rule| rule.limits.iter().map(move |limit| (*rule, limit)))
}

/// The limit named `name` (`key`, `location`, ...), with its rule.
pub fn limit_named(name: &str) -> Option<(&'static Rule, &'static Limit)> {
    limits().find(|(_, limit)| limit.name == name)
}

/// The rule table of `docs/contract.md`, generated from [`RULES`]: a test
/// fails when the checked-in table is stale (`CTCONFORM_BLESS=1 cargo test
/// --lib contract::rules` rewrites it).
pub fn markdown_table() -> String {
    let mut out = String::from(
        "| rule | section | AWS documents it | outcome | errors when broken (statuses) | limits (fuzz probes) | a conforming endpoint | source |\n\
         | --- | --- | --- | --- | --- | --- | --- | --- |\n",
    );
    for rule in RULES {
        let errors: Vec<String> = rule
            .errors
            .iter()
            .map(|code| {
                let statuses: Vec<String> = code.statuses().iter().map(u16::to_string).collect();
                format!("`{code}` ({})", statuses.join("/"))
            })
            .collect();
        let limits: Vec<String> = rule
            .limits
            .iter()
            .map(|limit| {
                let probes: Vec<String> = limit.around().iter().map(u16::to_string).collect();
                let unit = match limit.counts {
                    LimitUnit::Characters => "characters",
                    LimitUnit::Entries => "entries",
                };
                let member = if limit.member.is_empty() {
                    String::new()
                } else {
                    format!(" of `{}`", limit.member)
                };
                format!(
                    "{}: {} {unit}{member} ({})",
                    limit.name,
                    limit.words(),
                    probes.join(", ")
                )
            })
            .collect();
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} |\n",
            rule.id,
            rule.section.title(),
            if rule.documented {
                "yes [doc]"
            } else {
                "no [set]"
            },
            if rule.open {
                "a set [set]"
            } else {
                "one answer"
            },
            if errors.is_empty() {
                "none (not a refusal)".into()
            } else {
                errors.join(", ")
            },
            if limits.is_empty() {
                "".into()
            } else {
                limits.join("; ")
            },
            markdown_cell(&rule.summary()),
            markdown_cell(rule.cites),
        ));
    }
    out
}

fn markdown_cell(text: &str) -> String {
    text.replace('|', "\\|")
}

/// Long values are cut in messages so a 200 KiB name stays a line.
pub(super) fn abbreviate(text: &str) -> String {
    const KEEP: usize = 40;
    if text.chars().count() <= KEEP {
        text.to_string()
    } else {
        let head: String = text.chars().take(KEEP).collect();
        format!("{head}…")
    }
}

/// The two codes AWS may use for a malformed parameter.
const PARAMETER: &[ErrorCode] = &[
    ErrorCode::InvalidParameterException,
    ErrorCode::ValidationException,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_id_has_exactly_one_rule() {
        for id in RuleId::ALL {
            assert_eq!(
                RULES.iter().filter(|rule| rule.id == *id).count(),
                1,
                "{id}"
            );
        }
        assert_eq!(RULES.len(), RuleId::ALL.len());
        let ids: Vec<RuleId> = RULES.iter().map(|rule| rule.id).collect();
        assert_eq!(ids, RuleId::ALL, "RULES follows the contract's order");
    }

    #[test]
    fn ids_and_codes_round_trip() {
        for id in RuleId::ALL {
            assert_eq!(RuleId::parse(id.as_str()), Some(*id));
        }
        for code in ErrorCode::ALL {
            assert_eq!(ErrorCode::parse(code.as_str()), Some(*code));
        }
        assert_eq!(RuleId::parse("n1"), None);
        assert_eq!(ErrorCode::parse("ChannelAlreadyExists"), None);
    }

    /// Every `{...}` in a rule's words names one of its limits, and every
    /// limit is written into its words: a summary cannot state a number of
    /// its own, nor forget a limit its rule sets.
    #[test]
    fn words_name_exactly_their_limits() {
        let placeholder = regex::Regex::new(r"\{([a-z-]+)(\.(min|max))?\}").unwrap();
        for rule in RULES {
            for found in placeholder.captures_iter(rule.words) {
                assert!(
                    rule.limit(&found[1]).is_some(),
                    "{}'s words name {:?}, not one of its limits",
                    rule.id,
                    &found[0]
                );
            }
            for limit in rule.limits {
                assert!(
                    rule.words.contains(&format!("{{{}", limit.name)),
                    "{}'s words do not state its limit {}",
                    rule.id,
                    limit.name
                );
            }
            assert!(!placeholder.is_match(&rule.summary()), "{}", rule.id);
        }
    }

    #[test]
    fn limit_names_are_unique() {
        let mut names: Vec<&str> = limits().map(|(_, limit)| limit.name).collect();
        let count = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), count, "{names:?}");
    }

    #[test]
    fn around_a_limit() {
        let limit = Limit {
            name: "x",
            member: "X",
            counts: LimitUnit::Characters,
            min: 3,
            max: 128,
        };
        assert_eq!(limit.around(), [0, 2, 3, 4, 127, 128, 129]);
        assert_eq!(limit.words(), "3..=128");
        assert!(limit.admits_length(&"é".repeat(128)));
        assert!(!limit.admits_length(&"é".repeat(129)));
    }

    #[test]
    fn statuses_follow_section_1() {
        assert_eq!(ErrorCode::ChannelAlreadyExistsException.statuses(), &[400]);
        assert_eq!(ErrorCode::ChannelNotFoundException.emulator_status(), 404);
        assert!(ErrorCode::EventDataStoreNotFoundException
            .statuses()
            .contains(&400));
        assert_eq!(ErrorCode::ConflictException.statuses(), &[409]);
        assert_eq!(ErrorCode::ThrottlingException.statuses(), &[429, 400]);
    }

    /// The docs restate no limit of their own: in a row of any rule table
    /// (`| T2 | ...`) of the README, `docs/` or `scenarios/README.md`, every
    /// `min..=max` is one of that rule's limits, and `docs/contract.md` gives
    /// none outside its generated table. Names each file, line and range.
    #[test]
    fn docs_state_the_limits_of_the_units() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let range = regex::Regex::new(r"\b\d+\.\.=\d+\b").unwrap();
        let mut files = vec![root.join("README.md"), root.join("scenarios/README.md")];
        for entry in std::fs::read_dir(root.join("docs")).unwrap().flatten() {
            if entry.path().extension().is_some_and(|ext| ext == "md") {
                files.push(entry.path());
            }
        }
        let mut problems = Vec::new();
        for file in &files {
            let text = std::fs::read_to_string(file).unwrap();
            let shown = file.strip_prefix(root).unwrap_or(file).display();
            let generated = text.find("<!-- rules: generated").unwrap_or(text.len());
            for (number, line) in text.lines().enumerate() {
                let rule = line
                    .strip_prefix("| ")
                    .and_then(|rest| rest.split(' ').next())
                    .and_then(RuleId::parse)
                    .map(RuleId::rule);
                let at_line = text
                    .lines()
                    .take(number)
                    .map(|l| l.len() + 1)
                    .sum::<usize>();
                for found in range.find_iter(line) {
                    match rule {
                        Some(rule) if !rule.limits.iter().any(|l| l.words() == found.as_str()) => {
                            let declared: Vec<String> = rule
                                .limits
                                .iter()
                                .map(|l| format!("{} {}", l.name, l.words()))
                                .collect();
                            problems.push(format!(
                                "{shown}:{}: the {} row says {}, its unit declares {}",
                                number + 1,
                                rule.id,
                                found.as_str(),
                                declared.join(", ")
                            ));
                        }
                        None if shown.to_string() == "docs/contract.md" && at_line < generated => {
                            problems.push(format!(
                                "{shown}:{}: {} in the prose; the numbers are the generated table's",
                                number + 1,
                                found.as_str()
                            ));
                        }
                        _ => {}
                    }
                }
            }
        }
        assert!(problems.is_empty(), "{}", problems.join("\n"));
    }
}
