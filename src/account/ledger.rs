//! The cleanup ledger: every channel and event data store a scenario's
//! requests created, so that all of it is deleted at the end, whatever
//! failed on the way. Channels go first: a store with a channel pointing at
//! it cannot be deleted.

use serde::Serialize;
use serde_json::{Map, Value};

use crate::contract::{shapes, Operation};
use crate::wire::{Client, Received, Request};

/// What a run made in the account: what its ledgers recorded, and the
/// fixture stores it had to make.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Created {
    pub channels: usize,
    pub stores: usize,
}

/// A resource this run created.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Resource {
    Channel(String),
    Store(String),
}

#[derive(Debug, Default)]
pub struct Ledger {
    /// Each resource with the Region of the request that made it.
    resources: Vec<(Resource, String)>,
    /// Everything ever recorded, deleted or not, for the run's summary.
    made: Created,
}

impl Ledger {
    /// Notes what a successful answer, to a request for `region`, created or deleted.
    pub fn observe(
        &mut self,
        operation: Operation,
        input: Option<&Value>,
        outcome: &Received,
        region: &str,
    ) {
        if !outcome.is_success() {
            return;
        }
        let body = outcome.response().and_then(|r| r.json.as_ref().ok());
        let member = |key: &str| {
            body.and_then(|b| b.get(key))
                .and_then(Value::as_str)
                .map(str::to_string)
        };
        let reference = |key: &str| {
            input
                .and_then(|i| i.get(key))
                .and_then(Value::as_str)
                .map(str::to_string)
        };
        match operation {
            Operation::CreateChannel => {
                if let Some(arn) = member("ChannelArn") {
                    self.made.channels += 1;
                    self.resources
                        .push((Resource::Channel(arn), region.to_string()));
                }
            }
            Operation::CreateEventDataStore => {
                if let Some(arn) = member("EventDataStoreArn") {
                    self.made.stores += 1;
                    self.resources
                        .push((Resource::Store(arn), region.to_string()));
                }
            }
            Operation::DeleteChannel => {
                if let Some(reference) = reference("Channel") {
                    self.resources.retain(|(r, made_in)| !(made_in == region && matches!(r, Resource::Channel(arn) if same_resource(arn, &reference, "channel"))));
                }
            }
            Operation::DeleteEventDataStore => {
                if let Some(reference) = reference("EventDataStore") {
                    self.resources.retain(|(r, made_in)| !(made_in == region && matches!(r, Resource::Store(arn) if same_resource(arn, &reference, "eventdatastore"))));
                }
            }
            _ => {}
        }
    }

    /// Whether `reference` (an ARN or id) names a resource of this ledger
    /// not yet deleted.
    pub fn holds(&self, operation: Operation, reference: &str) -> bool {
        self.resources
            .iter()
            .any(|(resource, _)| match (operation, resource) {
                (Operation::DeleteChannel, Resource::Channel(arn)) => {
                    same_resource(arn, reference, "channel")
                }
                (Operation::DeleteEventDataStore, Resource::Store(arn)) => {
                    same_resource(arn, reference, "eventdatastore")
                }
                _ => false,
            })
    }

    /// What the scenario created, deleted since or not.
    pub fn made(&self) -> Created {
        self.made
    }

    /// Deletes everything recorded, channels first; returns what could not be deleted.
    pub async fn clean(&mut self, client: &Client) -> Vec<String> {
        let mut problems = Vec::new();
        let (channels, stores): (Vec<_>, Vec<_>) = std::mem::take(&mut self.resources)
            .into_iter()
            .partition(|(r, _)| matches!(r, Resource::Channel(_)));
        for (resource, region) in channels.into_iter().chain(stores) {
            if let Some(problem) = delete(&client.with_region(&region), &resource).await {
                problems.push(problem);
            }
        }
        problems
    }
}

/// Deletes one resource; `None` when it is gone (deleted now, or already).
/// Throttling and transient faults are retried past the run's `--retries`
/// (a repeated delete is safe: "not found" counts as gone): nothing is to
/// be left behind for the endpoint's load.
pub async fn delete(client: &Client, resource: &Resource) -> Option<String> {
    let outcome = client.for_cleanup().send(&resource.deletion()).await;
    resource.left_by(&outcome)
}

impl Resource {
    /// The operation that deletes this resource, the member naming it, and its ARN.
    fn delete_operation(&self) -> (&'static str, &'static str, &str) {
        match self {
            Resource::Channel(arn) => ("DeleteChannel", "Channel", arn),
            Resource::Store(arn) => ("DeleteEventDataStore", "EventDataStore", arn),
        }
    }

    /// The request that deletes this resource.
    pub fn deletion(&self) -> Request {
        let (operation, member, arn) = self.delete_operation();
        let mut body = Map::new();
        body.insert(member.into(), arn.into());
        Request::json(operation, Value::Object(body))
    }

    /// What the answer to [`Resource::deletion`] left undone: `None` when
    /// the resource is gone (deleted now, or already: not found, or a store
    /// already pending deletion).
    pub fn left_by(&self, outcome: &Received) -> Option<String> {
        let (operation, _, arn) = self.delete_operation();
        deletion_problem(operation, arn, outcome)
    }
}

fn deletion_problem(operation: &str, arn: &str, outcome: &Received) -> Option<String> {
    let gone = outcome.is_success()
        || matches!(
            outcome.error_code(),
            Some(
                "ChannelNotFoundException"
                    | "EventDataStoreNotFoundException"
                    | "InactiveEventDataStoreException"
            )
        );
    if gone {
        return None;
    }
    let why = match (outcome.fault(), outcome.status(), outcome.error_code()) {
        (Some(fault), _, _) => fault.to_string(),
        (None, status, code) => format!(
            "{} {}",
            status.unwrap_or_default(),
            code.unwrap_or("(no error code)")
        ),
    };
    Some(format!("{operation} {arn}: {why}"))
}

/// True when `reference` (an ARN or a bare id) names the resource `arn`.
pub(super) fn same_resource(arn: &str, reference: &str, kind: &str) -> bool {
    arn == reference || shapes::parse_arn(arn, kind).is_some_and(|parsed| parsed.id == reference)
}
