//! Sweeping an account for what runs left behind (`ctconform cleanup`):
//! channels, then event data stores, whose names carry a run id after a
//! ctconform prefix (`ctc-<run id>-` for scenarios, `ctf-<run id>-` for the
//! fuzzer). A name must have the prefix, a well-formed run id and a `-`
//! after it. The one other thing touched is a channel that delivers into a
//! store being swept: only the run that made the store can have put it there
//! (the boundary scenarios' exact-length names, like `ctc`, have no room for
//! a run id), and while it exists the store cannot be deleted.

use std::time::Duration;

use serde_json::{json, Value};

use super::endpoint_lock::LOCK_CHANNEL_NAME;
use super::fixtures::is_fixture_store_name;
use super::ledger::{delete, same_resource, Resource};
use super::listing::{list_all, list_channels, text, ListError};
use super::run_id::run_id_age;
use super::shape::describe;
use crate::contract::Operation;
use crate::wire::{Client, Request};

/// The name prefixes of ctconform's resources: scenarios, fuzzer.
pub(super) const RESOURCE_PREFIXES: [&str; 2] = ["ctc-", "ctf-"];

/// Which runs' resources to sweep.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SweepTarget {
    /// One run.
    RunId(String),
    /// Every run started at least this long ago.
    OlderThan(Duration),
    /// The stable fixture stores every run reuses, and the endpoint lock
    /// (`ctconform cleanup --fixtures`).
    Fixtures,
}

impl SweepTarget {
    /// True when `name` is a resource of a run this target covers.
    pub fn covers(&self, name: &str) -> bool {
        if *self == SweepTarget::Fixtures {
            return is_fixture_store_name(name) || name == LOCK_CHANNEL_NAME;
        }
        let Some(run_id) = run_id_of(name) else {
            return false;
        };
        match self {
            SweepTarget::RunId(wanted) => run_id == wanted,
            SweepTarget::OlderThan(limit) => run_id_age(run_id).is_some_and(|age| age >= *limit),
            SweepTarget::Fixtures => false,
        }
    }
}

/// The run id in a ctconform resource name (`ctc-<run id>-...`), if any.
pub fn run_id_of(name: &str) -> Option<&str> {
    let rest = RESOURCE_PREFIXES
        .iter()
        .find_map(|prefix| name.strip_prefix(prefix))?;
    let (run_id, _) = rest.split_once('-')?;
    (!run_id.is_empty()).then_some(run_id)
}

/// What a sweep did (or, dry, would do).
#[derive(Debug, Default)]
pub struct SweepReport {
    /// `channel NAME (ARN)` / `event data store NAME (ARN)`: deleted, or
    /// in a dry run to delete.
    pub matched: Vec<String>,
    /// What could not be listed or deleted.
    pub problems: Vec<String>,
}

/// Deletes (unless `dry_run`) the channels, then the event data stores not
/// already pending deletion, that `target` covers, and any other channel
/// that delivers into one of those stores.
pub async fn sweep(client: &Client, target: &SweepTarget, dry_run: bool) -> SweepReport {
    let mut report = SweepReport::default();
    let stores = match list_stores(client, target).await {
        Ok(stores) => stores
            .into_iter()
            .filter(|s| s.status != "PENDING_DELETION")
            .collect(),
        Err(why) => {
            report.problems.push(why.to_string());
            Vec::new()
        }
    };
    match list_channels(client).await {
        Ok(channels) => {
            for (arn, name) in channels {
                let described = if target.covers(&name) {
                    format!("channel {name} ({arn})")
                } else {
                    match delivers_into(client, &arn, &stores).await {
                        Ok(Some(store)) => {
                            format!("channel {name} ({arn}), which delivers into {store}")
                        }
                        Ok(None) => continue,
                        Err(why) => {
                            report.problems.push(why);
                            continue;
                        }
                    }
                };
                report
                    .remove(client, Resource::Channel(arn), described, dry_run)
                    .await;
            }
        }
        Err(why) => report.problems.push(why.to_string()),
    }
    for store in stores {
        let described = format!("event data store {} ({})", store.name, store.arn);
        report
            .remove(client, Resource::Store(store.arn), described, dry_run)
            .await;
    }
    report
}

/// The name of the first of `stores` that channel `arn` delivers into, if
/// any. Asks the endpoint only when there are stores to ask about.
async fn delivers_into(
    client: &Client,
    arn: &str,
    stores: &[StoreSummary],
) -> Result<Option<String>, String> {
    if stores.is_empty() {
        return Ok(None);
    }
    let request = Request::json(Operation::GetChannel.name(), json!({ "Channel": arn }));
    let outcome = client.send(&request).await;
    let Some(body) = outcome.success_json() else {
        return Err(format!("GetChannel {arn}: {}", describe(&outcome)));
    };
    let locations = body
        .get("Destinations")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|destination| destination.get("Location").and_then(Value::as_str));
    for location in locations {
        // By ARN or by the bare id that ends it (E1 accepts both).
        let named = |store: &&StoreSummary| same_resource(&store.arn, location, "eventdatastore");
        if let Some(store) = stores.iter().find(named) {
            return Ok(Some(store.name.clone()));
        }
    }
    Ok(None)
}

impl SweepReport {
    /// Deletes one resource (unless `dry_run`) and notes how that went.
    async fn remove(
        &mut self,
        client: &Client,
        resource: Resource,
        described: String,
        dry_run: bool,
    ) {
        let problem = if dry_run {
            None
        } else {
            delete(client, &resource).await
        };
        match problem {
            None => self.matched.push(described),
            Some(problem) => self.problems.push(problem),
        }
    }
}

/// An event data store as ListEventDataStores shows it.
#[derive(Debug)]
struct StoreSummary {
    arn: String,
    name: String,
    status: String,
}

/// The stores `target` covers, each with its status. ListEventDataStores
/// no longer returns `Status` (the model marks it deprecated), so a store
/// listed without one is described with GetEventDataStore.
async fn list_stores(
    client: &Client,
    target: &SweepTarget,
) -> Result<Vec<StoreSummary>, ListError> {
    let stores = list_all(client, Operation::ListEventDataStores, "EventDataStores").await?;
    let mut covered = Vec::new();
    for store in stores.iter().filter(|s| target.covers(&text(s, "Name"))) {
        let arn = text(store, "EventDataStoreArn");
        let mut status = text(store, "Status");
        if status.is_empty() {
            let request = Request::json(
                Operation::GetEventDataStore.name(),
                json!({ "EventDataStore": arn }),
            );
            // Unknown when it cannot be described: the delete then says why.
            let outcome = client.send(&request).await;
            if let Some(body) = outcome.success_json() {
                status = text(body, "Status");
            }
        }
        covered.push(StoreSummary {
            arn,
            name: text(store, "Name"),
            status,
        });
    }
    Ok(covered)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::account::new_run_id;

    #[test]
    fn run_ids_are_read_from_names() {
        assert_eq!(run_id_of("ctc-r0abcd123-n2-short"), Some("r0abcd123"));
        assert_eq!(run_id_of("ctf-r0abcd123-7"), Some("r0abcd123"));
        assert_eq!(run_id_of("ctc-r0abcd123"), None);
        assert_eq!(run_id_of("ctc--x"), None);
        assert_eq!(run_id_of("aws-service-channel/guardduty/x"), None);
        assert_eq!(run_id_of("my-channel"), None);
    }

    #[test]
    fn one_run_is_covered_exactly() {
        let target = SweepTarget::RunId("r0abcd123".into());
        assert!(target.covers("ctc-r0abcd123-c1"));
        assert!(target.covers("ctf-r0abcd123-c1"));
        assert!(!target.covers("ctc-r0abcd124-c1"));
        assert!(!target.covers("xctc-r0abcd123-c1"));
        assert!(!target.covers("r0abcd123"));
    }

    #[test]
    fn fixtures_cover_the_stable_stores_and_the_lock_only() {
        let target = SweepTarget::Fixtures;
        assert!(target.covers("ctconform-fixture-integration"));
        assert!(target.covers("ctconform-fixture-pending"));
        assert!(target.covers("ctconform-lock"));
        assert!(target.covers("ctconform-fixture-management-2"));
        assert!(!target.covers("ctconform-fixture-integration2"));
        assert!(!target.covers("ctconform-fixture-integration-0"));
        assert!(!target.covers("ctconform-fixture-integration-"));
        assert!(!target.covers("ctc-r0abcd123-c1"));
        assert!(!SweepTarget::RunId("r0abcd123".into()).covers("ctconform-lock"));
    }

    #[test]
    fn a_location_names_a_store_by_arn_or_bare_id() {
        let arn = "arn:aws:cloudtrail:us-east-1:123456789012:eventdatastore/abc-123";
        let named = |location| same_resource(arn, location, "eventdatastore");
        assert!(named(arn));
        assert!(named("abc-123"));
        assert!(!named("abc-12"));
        assert!(!named("eventdatastore/abc-123"));
        assert!(!named(""));
    }

    #[test]
    fn old_runs_are_covered_young_ones_are_not() {
        let target = SweepTarget::OlderThan(Duration::from_secs(86_400));
        assert!(target.covers("ctc-r00000000-c1"), "made in January 2024");
        assert!(!target.covers(&format!("ctc-{}-c1", new_run_id())));
        assert!(!target.covers("ctc-notarunid-c1"));
        assert!(!target.covers("aws-service-channel/x"));
    }
}
