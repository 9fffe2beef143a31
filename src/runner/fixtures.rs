//! Suite-level fixtures: the event data stores scenarios point channels at,
//! made once per run and shared (a real account holds at most 10 stores per
//! region, and they are billed), or taken as given with `--var fixture.NAME=...`.
//!
//! - `fixture.eds_integration` (and `_id`): an ENABLED ActivityAuditLog store;
//! - `fixture.eds_management`: a store of another category (E3);
//! - `fixture.eds_pending`: an ActivityAuditLog store pending deletion (E4).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Value};

use super::execute::UnknownAnswer;
use super::ledger::{delete, Resource};
use super::shape::success_body_problem;
use crate::contract::shapes;
use crate::scenario::vars::{
    FIXTURE_EDS_INTEGRATION, FIXTURE_EDS_INTEGRATION_ID, FIXTURE_EDS_MANAGEMENT,
    FIXTURE_EDS_PENDING,
};
use crate::wire::{Client, Outcome, Request};

/// One kind of store a fixture variable stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Integration,
    Management,
    Pending,
}

impl Kind {
    fn of(variable: &str) -> Option<Kind> {
        match variable {
            FIXTURE_EDS_INTEGRATION | FIXTURE_EDS_INTEGRATION_ID => Some(Kind::Integration),
            FIXTURE_EDS_MANAGEMENT => Some(Kind::Management),
            FIXTURE_EDS_PENDING => Some(Kind::Pending),
            _ => None,
        }
    }

    fn variable(self) -> &'static str {
        match self {
            Kind::Integration => FIXTURE_EDS_INTEGRATION,
            Kind::Management => FIXTURE_EDS_MANAGEMENT,
            Kind::Pending => FIXTURE_EDS_PENDING,
        }
    }

    fn suffix(self) -> &'static str {
        match self {
            Kind::Integration => "integration",
            Kind::Management => "management",
            Kind::Pending => "pending",
        }
    }
}

/// The fixtures of one run.
#[derive(Debug, Default)]
pub struct Fixtures {
    /// Variables to give every scenario.
    pub vars: BTreeMap<String, String>,
    /// Variable → why it could not be made; scenarios using it are skipped.
    pub unavailable: BTreeMap<String, String>,
    /// Stores this run made and must delete.
    created: Vec<String>,
    /// The account and partition read off a store ARN, when one was made.
    pub account: Option<String>,
    pub partition: Option<String>,
}

/// The fixture variables a scenario needs that the runner could not provide.
pub fn missing<'a>(
    fixtures: &'a Fixtures,
    referenced: impl Iterator<Item = &'a str>,
) -> Option<(String, String)> {
    referenced
        .filter_map(|name| fixtures.unavailable.get_key_value(name))
        .map(|(name, why)| (name.clone(), why.clone()))
        .next()
}

/// Makes the stores behind `needed` fixture variables, unless `given` has them.
pub async fn prepare(
    client: &Client,
    run_id: &str,
    needed: &BTreeSet<String>,
    given: &BTreeMap<String, String>,
    unknown: &UnknownAnswer,
) -> Fixtures {
    let mut fixtures = Fixtures::default();
    let kinds: BTreeSet<Kind> = needed.iter().filter_map(|name| Kind::of(name)).collect();
    for kind in kinds {
        if let Some(arn) = given.get(kind.variable()) {
            fixtures.provide(kind, arn.clone());
            continue;
        }
        match make(client, run_id, kind, unknown).await {
            Ok(arn) => {
                fixtures.created.push(arn.clone());
                fixtures.provide(kind, arn);
            }
            Err(why) => {
                for name in needed.iter().filter(|name| Kind::of(name) == Some(kind)) {
                    fixtures.unavailable.insert(name.clone(), why.clone());
                }
            }
        }
    }
    fixtures
}

impl Fixtures {
    fn provide(&mut self, kind: Kind, arn: String) {
        if let Some(parsed) = shapes::parse_arn(&arn, "eventdatastore") {
            self.account
                .get_or_insert_with(|| parsed.account.to_string());
            self.partition
                .get_or_insert_with(|| parsed.partition.to_string());
            if kind == Kind::Integration {
                self.vars
                    .insert(FIXTURE_EDS_INTEGRATION_ID.into(), parsed.id.to_string());
            }
        }
        self.vars.insert(kind.variable().into(), arn);
    }

    /// Deletes the stores this run made; returns what could not be deleted.
    pub async fn teardown(&mut self, client: &Client) -> Vec<String> {
        let mut problems = Vec::new();
        for arn in std::mem::take(&mut self.created) {
            if let Some(problem) = delete(client, &Resource::Store(arn)).await {
                problems.push(problem);
            }
        }
        problems
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

async fn make(
    client: &Client,
    run_id: &str,
    kind: Kind,
    unknown: &UnknownAnswer,
) -> Result<String, String> {
    let name = format!("ctc-{run_id}-{}", kind.suffix());
    let created = client
        .send(&fixture_store_request(&name, kind != Kind::Management))
        .await;
    let arn = created
        .response()
        .filter(|_| created.is_success())
        .and_then(|r| r.json.as_ref().ok())
        .and_then(|body| body.get("EventDataStoreArn"))
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| {
            if let Some(why) = unknown.why(&created, "CreateEventDataStore") {
                return format!(
                    "the endpoint does not implement CreateEventDataStore ({why}), needed for {}",
                    kind.variable()
                );
            }
            let why = match describe(&created) {
                why if created.is_success() && !why.contains("answer:") => format!(
                    "HTTP {} answer: wrong shape: no `EventDataStoreArn` string",
                    created.status().unwrap_or_default()
                ),
                why => why,
            };
            format!("CreateEventDataStore for {} failed: {why}", kind.variable())
        })?;
    if kind == Kind::Pending {
        let deleted = client
            .send(&Request::json(
                "DeleteEventDataStore",
                json!({ "EventDataStore": arn }),
            ))
            .await;
        if !deleted.is_success() {
            return Err(format!(
                "DeleteEventDataStore for {} failed: {}",
                kind.variable(),
                describe(&deleted)
            ));
        }
    }
    Ok(arn)
}

/// An outcome in a few words, for reasons.
pub fn describe(outcome: &Outcome) -> String {
    match (outcome.fault(), outcome.response()) {
        (Some(fault), _) => fault.to_string(),
        (None, Some(response)) => {
            if let Some(problem) = success_body_problem(response) {
                return problem;
            }
            let code = response.error_code.as_deref().unwrap_or("no error code");
            format!("{} {code}", response.status)
        }
        (None, None) => "no answer".into(),
    }
}
