//! Positive controls: a refusal counts as conformance only where the
//! endpoint has shown, in the same run, that it accepts a valid request of
//! the same operation (as dynamodb-conformance probes before it scores).
//! An endpoint that refuses everything (ministack answers every CloudTrail
//! operation with `400 InvalidParameterException`, a legal CreateChannel
//! code) would otherwise be credited with every rule whose error it happens
//! to send.
//!
//! Before any scenario starts, the runner sends one valid request of each
//! operation the selected scenarios' steps call: a control channel is made,
//! read, updated and deleted; the fixture stores are read, listed and one
//! is stopped and started again. A scenario whose own earlier step was
//! accepted by the endpoint is controlled for that operation too.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Value};

use crate::account::{describe, list_channels, FixtureVars, UnknownAnswer};
use crate::contract::{shapes, Operation};
use crate::scenario::vars::{FIXTURE_EDS_INTEGRATION, FIXTURE_EDS_MANAGEMENT, FIXTURE_EDS_PENDING};
use crate::wire::{Client, Received, Request};

/// Which operations the endpoint accepted a valid request of, and why the
/// others are untested.
#[derive(Clone, Debug, Default)]
pub(super) struct Controls {
    accepted: BTreeSet<Operation>,
    /// Operation → why its control failed or could not be tried.
    untested: BTreeMap<Operation, String>,
}

impl Controls {
    /// Sends the controls for `operations`. The control channel is named
    /// with the run id, so a leak check finds it should its delete fail.
    pub(super) async fn probe(
        client: &Client,
        run_id: &str,
        fixtures: &FixtureVars,
        unknown: &UnknownAnswer,
        operations: &BTreeSet<Operation>,
    ) -> Controls {
        let mut controls = Controls::default();
        let wants = |operation| operations.contains(&operation);
        let mut probe = Probe {
            client,
            unknown,
            controls: &mut controls,
        };
        // A store a fixture names exists in the account: CreateEventDataStore
        // (and, for the pending one, DeleteEventDataStore) accepted it once.
        let integration = fixtures.vars.get(FIXTURE_EDS_INTEGRATION);
        let vouched = [
            (Operation::CreateEventDataStore, integration.is_some()),
            (
                Operation::DeleteEventDataStore,
                fixtures.vars.contains_key(FIXTURE_EDS_PENDING),
            ),
        ];
        for (operation, vouched) in vouched {
            if wants(operation) {
                probe.vouch(operation, vouched, "no fixture store shows it");
            }
        }
        if wants(Operation::ListChannels) {
            probe.send(Operation::ListChannels, json!({})).await;
        }
        if wants(Operation::ListEventDataStores) {
            probe.send(Operation::ListEventDataStores, json!({})).await;
        }
        if wants(Operation::GetEventDataStore) {
            match integration {
                Some(arn) => {
                    probe
                        .send(
                            Operation::GetEventDataStore,
                            json!({ "EventDataStore": arn }),
                        )
                        .await;
                }
                None => probe.vouch(Operation::GetEventDataStore, false, "no fixture store"),
            }
        }
        let ingestion = [
            Operation::StopEventDataStoreIngestion,
            Operation::StartEventDataStoreIngestion,
        ];
        if ingestion.into_iter().any(wants) {
            match fixtures.vars.get(FIXTURE_EDS_MANAGEMENT) {
                Some(arn) => {
                    let store = json!({ "EventDataStore": arn });
                    for operation in ingestion {
                        probe.send(operation, store.clone()).await;
                    }
                }
                None => {
                    for operation in ingestion {
                        probe.vouch(operation, false, "no fixture store of a stoppable category");
                    }
                }
            }
        }
        let channel_operations = [
            Operation::CreateChannel,
            Operation::GetChannel,
            Operation::UpdateChannel,
            Operation::DeleteChannel,
        ];
        if channel_operations.into_iter().any(wants) {
            probe.channel_lifecycle(run_id, integration).await;
        }
        controls
    }

    /// `None` when the endpoint accepted a valid `operation`; otherwise why
    /// a refusal of it proves nothing.
    pub(super) fn untested(&self, operation: Operation) -> Option<String> {
        if self.accepted.contains(&operation) {
            return None;
        }
        let why = self
            .untested
            .get(&operation)
            .map(String::as_str)
            .unwrap_or("no control was sent");
        Some(format!(
            "untested: the endpoint accepted no valid {operation} in this run ({why}), \
             so a refusal of it proves nothing"
        ))
    }

    /// One note per operation whose control failed, for the run's notes.
    pub(super) fn notes(&self) -> Vec<String> {
        self.untested
            .iter()
            .map(|(operation, why)| {
                format!("positive control: {operation} not accepted ({why}); its refusals are not credited")
            })
            .collect()
    }
}

/// A well-formed event data store id that names no store.
const NO_SUCH_STORE: &str = "00000000-0000-4000-8000-00000000c0de";

struct Probe<'a> {
    client: &'a Client,
    unknown: &'a UnknownAnswer,
    controls: &'a mut Controls,
}

impl Probe<'_> {
    fn vouch(&mut self, operation: Operation, accepted: bool, why: &str) {
        if accepted {
            self.controls.accepted.insert(operation);
        } else {
            self.controls.untested.insert(operation, why.to_string());
        }
    }

    /// Sends a valid request; returns the success body when it was accepted.
    async fn send(&mut self, operation: Operation, input: Value) -> Option<Value> {
        let outcome = self
            .client
            .send(&Request::json(operation.name(), input))
            .await;
        self.record(operation, &outcome)
    }

    fn record(&mut self, operation: Operation, outcome: &Received) -> Option<Value> {
        if outcome.is_success() {
            self.controls.accepted.insert(operation);
            return outcome
                .response()
                .and_then(|r| r.json.as_ref().ok())
                .cloned();
        }
        let why = match self.unknown.why(outcome, operation.name()) {
            Some(why) => format!("it does not implement {operation}: {why}"),
            None => format!("a valid request got {}", describe(outcome)),
        };
        self.controls.untested.insert(operation, why);
        None
    }

    /// Create, read, update and delete one channel.
    async fn channel_lifecycle(&mut self, run_id: &str, store: Option<&String>) {
        let dependents = [
            Operation::GetChannel,
            Operation::UpdateChannel,
            Operation::DeleteChannel,
        ];
        let name = format!("ctc-{run_id}-control");
        // Without a store the create cannot succeed, but its answer still
        // tells an endpoint that lacks CreateChannel from one that refuses
        // the unknown store.
        let location = store.map_or(NO_SUCH_STORE, String::as_str);
        let created = self
            .send(
                Operation::CreateChannel,
                json!({
                    "Name": name,
                    "Source": shapes::CUSTOM_SOURCE,
                    "Destinations": [{ "Type": "EVENT_DATA_STORE", "Location": location }],
                }),
            )
            .await;
        if store.is_none() && created.is_none() {
            let why = self
                .controls
                .untested
                .entry(Operation::CreateChannel)
                .or_default();
            if !why.contains("does not implement") {
                *why = format!("no fixture store to deliver to; {why}");
            }
        }
        let mut arn = created
            .as_ref()
            .and_then(|body| body.get("ChannelArn"))
            .and_then(Value::as_str)
            .map(str::to_string);
        if arn.is_none() && store.is_some() {
            // A retried create whose first attempt was processed meets its
            // own channel (contract §8); the name carries the run id, so a
            // channel of that name is this control's, and it was accepted.
            arn = list_channels(self.client)
                .await
                .ok()
                .and_then(|channels| channels.into_iter().find(|(_, listed)| *listed == name))
                .map(|(arn, _)| arn);
            if arn.is_some() {
                self.controls.untested.remove(&Operation::CreateChannel);
                self.controls.accepted.insert(Operation::CreateChannel);
            }
        }
        let Some(arn) = arn.as_deref() else {
            for operation in dependents {
                self.vouch(operation, false, "no control channel could be made");
            }
            return;
        };
        let channel = json!({ "Channel": arn });
        self.send(Operation::GetChannel, channel.clone()).await;
        self.send(
            Operation::UpdateChannel,
            json!({ "Channel": arn, "Name": name }),
        )
        .await;
        // The leak check deletes it should this fail.
        self.send(Operation::DeleteChannel, channel).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_accepted_operation_is_tested_and_a_refused_one_says_why() {
        let mut controls = Controls::default();
        controls.accepted.insert(Operation::ListChannels);
        controls.untested.insert(
            Operation::CreateChannel,
            "it does not implement CreateChannel: HTTP 400".into(),
        );
        assert_eq!(controls.untested(Operation::ListChannels), None);
        let why = controls.untested(Operation::CreateChannel).unwrap();
        assert!(why.contains("accepted no valid CreateChannel"), "{why}");
        assert!(why.contains("does not implement"), "{why}");
        assert!(controls
            .untested(Operation::GetChannel)
            .unwrap()
            .contains("no control was sent"));
        assert_eq!(controls.notes().len(), 1);
    }
}
