//! Suite-level fixtures: the event data stores scenarios point channels at.
//! A real account holds at most 10 stores per region, a deleted one still
//! counts for 7 days (contract section 5) and they are billed, so the
//! fixture stores have stable names (`ctconform-fixture-...`): every run
//! finds them by name, checks that each still fits its role, creates one
//! only when it is missing, and never deletes them (`ctconform cleanup
//! --fixtures` retires them). Or they are taken as given with `--var
//! fixture.NAME=...`.
//!
//! - `fixture.eds_integration` (and `_id`): an ENABLED ActivityAuditLog store;
//! - `fixture.eds_management`: a store of another category (E3);
//! - `fixture.eds_pending`: an ActivityAuditLog store pending deletion (E4).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Value};

use super::listing::{list_all, text};
use super::probe::UnknownAnswer;
use super::shape::describe;
use crate::contract::shapes::{self, StoreStatus};
use crate::contract::{Operation, Store};
use crate::scenario::vars::{
    FIXTURE_EDS_INTEGRATION, FIXTURE_EDS_INTEGRATION_ID, FIXTURE_EDS_MANAGEMENT,
    FIXTURE_EDS_PENDING,
};
use crate::wire::{Client, Request};

/// One kind of store a fixture variable stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum FixtureRole {
    Integration,
    Management,
    Pending,
}

impl FixtureRole {
    fn of(variable: &str) -> Option<FixtureRole> {
        match variable {
            FIXTURE_EDS_INTEGRATION | FIXTURE_EDS_INTEGRATION_ID => Some(FixtureRole::Integration),
            FIXTURE_EDS_MANAGEMENT => Some(FixtureRole::Management),
            FIXTURE_EDS_PENDING => Some(FixtureRole::Pending),
            _ => None,
        }
    }

    /// The scenario variable naming the store of this role.
    pub fn variable(self) -> &'static str {
        match self {
            FixtureRole::Integration => FIXTURE_EDS_INTEGRATION,
            FixtureRole::Management => FIXTURE_EDS_MANAGEMENT,
            FixtureRole::Pending => FIXTURE_EDS_PENDING,
        }
    }
}

/// The stable names of the fixture stores, found and reused by every run
/// and by the fuzzer; nothing else is named so.
pub(super) const FIXTURE_STORE_NAMES: [&str; 3] = [
    "ctconform-fixture-integration",
    "ctconform-fixture-management",
    "ctconform-fixture-pending",
];

impl FixtureRole {
    /// Every role, in the order of [`FIXTURE_STORE_NAMES`].
    pub const ALL: [FixtureRole; 3] = [
        FixtureRole::Integration,
        FixtureRole::Management,
        FixtureRole::Pending,
    ];

    fn stable_name(self) -> &'static str {
        match self {
            FixtureRole::Integration => FIXTURE_STORE_NAMES[0],
            FixtureRole::Management => FIXTURE_STORE_NAMES[1],
            FixtureRole::Pending => FIXTURE_STORE_NAMES[2],
        }
    }

    /// Why a described store does not fit this role, if it does not.
    pub fn misfit(self, store: &Store) -> Option<&'static str> {
        let audit = store.category == shapes::ACTIVITY_AUDIT_LOG;
        let fits = match self {
            FixtureRole::Integration => audit && store.status == StoreStatus::Enabled,
            FixtureRole::Management => !audit && store.status != StoreStatus::PendingDeletion,
            FixtureRole::Pending => audit && store.status == StoreStatus::PendingDeletion,
        };
        (!fits).then_some(match self {
            FixtureRole::Integration => "an ENABLED ActivityAuditLog store",
            FixtureRole::Management => {
                "a store of another category than ActivityAuditLog, not pending deletion"
            }
            FixtureRole::Pending => "an ActivityAuditLog store PENDING_DELETION",
        })
    }
}

/// The fixtures of one run.
#[derive(Debug, Default)]
pub struct FixtureVars {
    /// Variables to give every scenario.
    pub vars: BTreeMap<String, String>,
    /// Variable → why it could not be made; scenarios using it are skipped.
    pub unavailable: BTreeMap<String, String>,
    /// Fixture stores passed over because they no longer fit their role.
    pub notes: Vec<String>,
    /// Fixture stores this run had to make (none once they exist).
    pub created: usize,
    /// The account and partition read off a store ARN, when one was made.
    pub account: Option<String>,
    pub partition: Option<String>,
}

/// Why no store fits a fixture role: the role, and what went wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FixtureError {
    pub role: FixtureRole,
    pub kind: FixtureErrorKind,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FixtureErrorKind {
    /// No store of the role's names fits it; each passed over, and why.
    NoneFits { passed_over: Vec<String> },
    /// A store of the role's name that is not what the role needs.
    Misfit {
        name: String,
        arn: String,
        status: String,
        category: String,
        /// What the role needs, in words.
        wanted: &'static str,
    },
    /// The pending store's DeleteEventDataStore did not leave it pending
    /// deletion: the answer, briefly.
    NotDeleted { arn: String, answer: String },
    /// The endpoint does not implement CreateEventDataStore: why it seems so.
    Unimplemented(String),
    /// CreateEventDataStore failed: the answer, and the stores passed over.
    NotCreated {
        name: String,
        answer: String,
        passed_over: Vec<String>,
    },
    /// GetEventDataStore of a candidate failed or did not read.
    Undescribed { arn: String, detail: String },
}

impl FixtureError {
    fn new(role: FixtureRole, kind: FixtureErrorKind) -> FixtureError {
        FixtureError { role, kind }
    }
}

impl std::fmt::Display for FixtureError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let variable = self.role.variable();
        match &self.kind {
            FixtureErrorKind::NoneFits { passed_over } => write!(
                f,
                "no store named {}... fits {variable}: {}",
                self.role.stable_name(),
                passed_over.join("; ")
            ),
            FixtureErrorKind::Misfit {
                name,
                arn,
                status,
                category,
                wanted,
            } => write!(
                f,
                "the fixture store {name} ({arn}) is {status} of category {category}, not {wanted}"
            ),
            FixtureErrorKind::NotDeleted { arn, answer } => write!(
                f,
                "DeleteEventDataStore for {variable} ({arn}) failed: {answer}"
            ),
            FixtureErrorKind::Unimplemented(why) => write!(
                f,
                "the endpoint does not implement CreateEventDataStore ({why}), needed for {variable}"
            ),
            FixtureErrorKind::NotCreated {
                name,
                answer,
                passed_over,
            } => {
                write!(f, "CreateEventDataStore for {variable} ({name}) failed: {answer}")?;
                if !passed_over.is_empty() {
                    write!(f, " (passed over: {})", passed_over.join("; "))?;
                }
                Ok(())
            }
            FixtureErrorKind::Undescribed { arn, detail } => {
                write!(f, "GetEventDataStore for {variable} ({arn}): {detail}")
            }
        }
    }
}

impl std::error::Error for FixtureError {}

/// The fixture variables a scenario needs that the runner could not provide.
pub fn missing_fixture<'a>(
    fixtures: &'a FixtureVars,
    referenced: impl Iterator<Item = &'a str>,
) -> Option<(String, String)> {
    referenced
        .filter_map(|name| fixtures.unavailable.get_key_value(name))
        .map(|(name, why)| (name.clone(), why.clone()))
        .next()
}

/// Finds or makes the stores behind `needed` fixture variables, unless
/// `given` has them.
pub async fn prepare_fixtures(
    client: &Client,
    needed: &BTreeSet<String>,
    given: &BTreeMap<String, String>,
    unknown: &UnknownAnswer,
) -> FixtureVars {
    let mut fixtures = FixtureVars::default();
    let kinds: BTreeSet<FixtureRole> = needed
        .iter()
        .filter_map(|name| FixtureRole::of(name))
        .collect();
    let mut finder = Finder::new(client, unknown);
    for kind in kinds {
        if let Some(arn) = given.get(kind.variable()) {
            fixtures.provide(kind, arn.clone());
            continue;
        }
        match finder.obtain(kind).await {
            Ok(arn) => fixtures.provide(kind, arn),
            Err(why) => {
                for name in needed
                    .iter()
                    .filter(|name| FixtureRole::of(name) == Some(kind))
                {
                    fixtures.unavailable.insert(name.clone(), why.to_string());
                }
            }
        }
    }
    fixtures.notes = finder.notes;
    fixtures.created = finder.made;
    fixtures
}

/// The three stable fixture stores, found or made, by ARN in the order of
/// [`FIXTURE_STORE_NAMES`] (the fuzzer's fixtures; it checks their roles
/// itself).
pub async fn stable_stores(
    client: &Client,
    unknown: &UnknownAnswer,
) -> Result<[String; 3], FixtureError> {
    let mut finder = Finder::new(client, unknown);
    let mut arns: [String; 3] = Default::default();
    for (arn, role) in arns.iter_mut().zip(FixtureRole::ALL) {
        *arn = finder.obtain(role).await?;
    }
    Ok(arns)
}

impl FixtureVars {
    fn provide(&mut self, kind: FixtureRole, arn: String) {
        if let Some(parsed) = shapes::parse_arn(&arn, "eventdatastore") {
            self.account
                .get_or_insert_with(|| parsed.account.to_string());
            self.partition
                .get_or_insert_with(|| parsed.partition.to_string());
            if kind == FixtureRole::Integration {
                self.vars
                    .insert(FIXTURE_EDS_INTEGRATION_ID.into(), parsed.id.to_string());
            }
        }
        self.vars.insert(kind.variable().into(), arn);
    }
}

/// The CreateEventDataStore request of a fixture store: deletable
/// (termination protection off), the shortest retention, and the
/// ActivityAuditLog selector unless it is to be of the wrong category.
/// The fuzzer makes its fixtures with it too.
pub fn fixture_store_request(name: &str, activity_audit_log: bool) -> Request {
    let mut input = json!({
        "Name": name,
        "TerminationProtectionEnabled": false,
        "RetentionPeriod": 7,
    });
    if activity_audit_log {
        input["AdvancedEventSelectors"] = json!([{
            "Name": "ctconform fixture",
            "FieldSelectors": [{ "Field": "eventCategory", "Equals": [shapes::ACTIVITY_AUDIT_LOG] }],
        }]);
    }
    Request::json("CreateEventDataStore", input)
}

/// Finds the stable fixture stores in the endpoint's listing (read once,
/// again after a create that lost a race to another run), making the
/// missing ones.
struct Finder<'a> {
    client: &'a Client,
    unknown: &'a UnknownAnswer,
    /// (name, ARN) of the stores listed; `None` before the first listing.
    listed: Option<Vec<(String, String)>>,
    /// Stores of a fixture's name that no longer fit its role, passed over.
    notes: Vec<String>,
    /// Stores made.
    made: usize,
}

/// The generation of a fixture store's name: 0 for `ctconform-fixture-KIND`,
/// n for `ctconform-fixture-KIND-n`. A retired store (`ctconform cleanup
/// --fixtures`) keeps its name while pending deletion (7 days on AWS), so
/// its successor takes the next generation.
fn generation(kind: FixtureRole, name: &str) -> Option<u32> {
    let rest = name.strip_prefix(kind.stable_name())?;
    if rest.is_empty() {
        return Some(0);
    }
    let digits = rest.strip_prefix('-')?;
    (!digits.is_empty() && digits.len() <= 4 && digits.bytes().all(|b| b.is_ascii_digit()))
        .then(|| digits.parse().ok())
        .flatten()
        .filter(|n| *n > 0)
}

/// Whether `name` is the name of a fixture store (any generation).
pub fn is_fixture_store_name(name: &str) -> bool {
    FixtureRole::ALL
        .iter()
        .any(|kind| generation(*kind, name).is_some())
}

fn generation_name(kind: FixtureRole, generation: u32) -> String {
    match generation {
        0 => kind.stable_name().to_string(),
        n => format!("{}-{n}", kind.stable_name()),
    }
}

impl<'a> Finder<'a> {
    fn new(client: &'a Client, unknown: &'a UnknownAnswer) -> Finder<'a> {
        Finder {
            client,
            unknown,
            listed: None,
            notes: Vec::new(),
            made: 0,
        }
    }

    /// `kind`'s stores by generation, listing the stores if not yet done
    /// (or `again`). A listing that fails is as good as an empty one: the
    /// create that follows says what is wrong.
    async fn candidates(&mut self, kind: FixtureRole, again: bool) -> Vec<(u32, String)> {
        if again || self.listed.is_none() {
            let stores = list_all(
                self.client,
                Operation::ListEventDataStores,
                "EventDataStores",
            )
            .await
            .unwrap_or_default();
            self.listed = Some(
                stores
                    .iter()
                    .map(|store| (text(store, "Name"), text(store, "EventDataStoreArn")))
                    .filter(|(name, arn)| !name.is_empty() && !arn.is_empty())
                    .collect(),
            );
        }
        let mut found: Vec<(u32, String)> = self
            .listed
            .iter()
            .flatten()
            .filter_map(|(name, arn)| generation(kind, name).map(|g| (g, arn.clone())))
            .collect();
        found.sort();
        found
    }

    /// The ARN of a store of `kind` that fits its role: a listed one, or
    /// one made under the next free name.
    async fn obtain(&mut self, kind: FixtureRole) -> Result<String, FixtureError> {
        let mut tried = BTreeSet::new();
        // A create that loses a race lists again; a few rounds at most.
        for round in 0..3 {
            let candidates = self.candidates(kind, round > 0).await;
            for (_, arn) in &candidates {
                if !tried.insert(arn.clone()) {
                    continue;
                }
                match self.fitting(kind, arn).await {
                    Ok(()) => return Ok(arn.clone()),
                    Err(why) => self.notes.push(why.to_string()),
                }
            }
            let next = candidates.iter().map(|(g, _)| g + 1).max().unwrap_or(0);
            match self.create(kind, &generation_name(kind, next)).await? {
                Some(arn) => {
                    tried.insert(arn.clone());
                    return self.fitting(kind, &arn).await.map(|()| arn);
                }
                None => continue,
            }
        }
        Err(FixtureError::new(
            kind,
            FixtureErrorKind::NoneFits {
                passed_over: self.notes.clone(),
            },
        ))
    }

    /// Checks a store for `kind`'s role; the pending one is deleted first
    /// when it is still enabled (made just now, here or by a run at the
    /// same time, which may delete it first: its description decides).
    async fn fitting(&self, kind: FixtureRole, arn: &str) -> Result<(), FixtureError> {
        let mut store = self.describe(kind, arn).await?;
        if kind == FixtureRole::Pending
            && store.status == StoreStatus::Enabled
            && store.category == shapes::ACTIVITY_AUDIT_LOG
        {
            let deleted = self
                .client
                .send(&Request::json(
                    "DeleteEventDataStore",
                    json!({ "EventDataStore": arn }),
                ))
                .await;
            store = self.describe(kind, arn).await?;
            if store.status != StoreStatus::PendingDeletion {
                let answer = describe(&deleted);
                let arn = arn.to_string();
                return Err(FixtureError::new(
                    kind,
                    FixtureErrorKind::NotDeleted { arn, answer },
                ));
            }
        }
        match kind.misfit(&store) {
            None => Ok(()),
            Some(wanted) => Err(FixtureError::new(
                kind,
                FixtureErrorKind::Misfit {
                    name: store.name,
                    arn: arn.to_string(),
                    status: store.status.as_str().to_string(),
                    category: store.category,
                    wanted,
                },
            )),
        }
    }

    /// Makes a store of `kind` named `name`: its ARN, or `None` when the
    /// name was taken meanwhile (by another run: list again).
    async fn create(
        &mut self,
        kind: FixtureRole,
        name: &str,
    ) -> Result<Option<String>, FixtureError> {
        let created = self
            .client
            .send(&fixture_store_request(
                name,
                kind != FixtureRole::Management,
            ))
            .await;
        let arn = created
            .success_json()
            .and_then(|body| body.get("EventDataStoreArn"))
            .and_then(Value::as_str)
            .map(str::to_string);
        if arn.is_some() {
            self.made += 1;
            return Ok(arn);
        }
        let lost_race = created
            .response()
            .and_then(|r| r.error_code.as_deref())
            .is_some_and(|code| code == "EventDataStoreAlreadyExistsException");
        if lost_race {
            return Ok(None);
        }
        if let Some(why) = self.unknown.why(&created, "CreateEventDataStore") {
            return Err(FixtureError::new(
                kind,
                FixtureErrorKind::Unimplemented(why),
            ));
        }
        let why = match describe(&created) {
            why if created.is_success() && !why.contains("answer:") => format!(
                "HTTP {} answer: wrong shape: no `EventDataStoreArn` string",
                created.status().unwrap_or_default()
            ),
            why => why,
        };
        Err(FixtureError::new(
            kind,
            FixtureErrorKind::NotCreated {
                name: name.to_string(),
                answer: why,
                passed_over: self.notes.clone(),
            },
        ))
    }

    async fn describe(&self, kind: FixtureRole, arn: &str) -> Result<Store, FixtureError> {
        let outcome = self
            .client
            .send(&Request::json(
                "GetEventDataStore",
                json!({ "EventDataStore": arn }),
            ))
            .await;
        let why = |detail: String| {
            let arn = arn.to_string();
            FixtureError::new(kind, FixtureErrorKind::Undescribed { arn, detail })
        };
        let body = outcome
            .success_json()
            .ok_or_else(|| why(describe(&outcome)))?;
        let id = shapes::parse_arn(arn, "eventdatastore")
            .map(|parsed| parsed.id.to_string())
            .ok_or_else(|| why("not an event data store ARN".into()))?;
        Store::described(&id, body).map_err(|error| why(error.to_string()))
    }
}
