//! The runner: replays scenarios against an endpoint. It selects scenarios,
//! prepares the shared fixtures, schedules scenarios concurrently within
//! their locks and the channel quota, runs each (`execute`), cleans up what
//! they made and checks that nothing of the run is left. It reports through
//! `RunReport`; rendering is the `report` module's.

pub mod baseline;
mod control;
mod execute;
mod result;
mod schedule;
mod select;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;

// The account model the runner stands on, re-exported for the callers
// that reach it through the runner.
pub use crate::account::{
    found_busy, is_fixture_store_name, list_channels, new_run_id, run_id_age, run_id_of,
    second_region, sweep, third_region, unimplemented, Created, Resource, SweepReport, SweepTarget,
    UnknownAnswer, LOCK_CHANNEL_NAME,
};
pub use result::{
    Answer, CallResult, Counts, RunReport, ScenarioResult, SentRequest, StepResult, Verdict,
};
pub use select::Selection;

use crate::account::{self, delete, NotLocked};
use crate::contract::shapes;
use crate::scenario::{referenced_vars, Layer, Scenario, Vars};
use crate::snapshot::{SnapshotMode, SnapshotStore};
use crate::wire::{Client, ClientConfig};
use control::Controls;
use execute::Context;
use schedule::Scheduler;

/// How a run compares snapshots.
pub struct Snapshots {
    pub store: SnapshotStore,
    pub mode: SnapshotMode,
    /// Whether a step without a recording fails (`--snapshots verify` said
    /// so) or only leaves a `.snap.new` (verification by default, so a new
    /// scenario folder does not fail for lack of recordings).
    pub missing_fails: bool,
    /// Steps that had no recording to compare with (counted, and noted in
    /// the report, when they do not fail).
    pub unrecorded: std::sync::atomic::AtomicUsize,
}

/// A callback for each finished scenario.
pub type OnResult = Arc<dyn Fn(&ScenarioResult) + Send + Sync>;

/// How to run.
pub struct RunOptions {
    /// Unique per run: every name a scenario makes carries it.
    pub run_id: String,
    /// Scenarios at once.
    pub jobs: usize,
    /// `--var K=V`: runner variables (and fixtures given as `fixture.NAME`).
    pub vars: BTreeMap<String, String>,
    /// The endpoint's channel quota (C3).
    pub channel_quota: usize,
    /// Where and how to compare snapshots; `None` for off.
    pub snapshots: Option<Snapshots>,
    /// The whole run stops starting scenarios after this.
    pub deadline: Duration,
    /// Set by an interrupt: start nothing new, clean up, report.
    pub interrupted: Arc<AtomicBool>,
    /// Called as each scenario ends (progress display).
    pub on_result: Option<OnResult>,
    /// How the endpoint is named in reports.
    pub endpoint_label: String,
    /// Whether scenarios that create event data stores of their own run:
    /// each leaves a store pending deletion, which counts towards the
    /// region's 10 for 7 days (contract section 5). Off for a long-lived
    /// endpoint unless asked for; such scenarios are then skipped.
    pub create_stores: bool,
}

impl RunOptions {
    pub fn new(run_id: impl Into<String>) -> RunOptions {
        RunOptions {
            run_id: run_id.into(),
            jobs: 8,
            vars: BTreeMap::new(),
            channel_quota: shapes::CHANNEL_QUOTA,
            snapshots: None,
            deadline: Duration::from_secs(30 * 60),
            interrupted: Arc::new(AtomicBool::new(false)),
            on_result: None,
            endpoint_label: String::new(),
            create_stores: true,
        }
    }
}

/// Runs `scenarios` (already selected and checked) against `client`.
pub async fn run(
    scenarios: Vec<Scenario>,
    client: Client,
    config: ClientConfig,
    options: RunOptions,
) -> RunReport {
    let started = Instant::now();
    let mut notes = Vec::new();
    let mut needed: BTreeSet<String> = scenarios
        .iter()
        .flat_map(referenced_vars)
        .map(|reference| reference.name)
        .filter(|name| name.starts_with(crate::scenario::vars::FIXTURE_PREFIX))
        .collect();
    // Always: its ARN gives `${account}` and `${partition}` whatever the
    // selection, and the endpoint lock delivers into it. Reused, it costs
    // a listing and a description.
    needed.insert(crate::scenario::vars::FIXTURE_EDS_INTEGRATION.into());
    // And the other two: the positive controls (control.rs) vouch for
    // DeleteEventDataStore with the pending one and probe the ingestion
    // operations on the one of another category, whatever the selection.
    needed.insert(crate::scenario::vars::FIXTURE_EDS_MANAGEMENT.into());
    needed.insert(crate::scenario::vars::FIXTURE_EDS_PENDING.into());
    let uses = |name: &str| {
        scenarios
            .iter()
            .flat_map(referenced_vars)
            .any(|reference| reference.name == name)
    };
    let (uses_region2, uses_region3) = (uses("region2"), uses("region3"));
    // The run's own set-up and checks retry past `--retries`: throttling is
    // to cost them time, never a wrong picture of the endpoint.
    let persistent = client.persistent();
    let unknown = UnknownAnswer::probe(&persistent).await;
    let fixtures = account::prepare_fixtures(&persistent, &needed, &options.vars, &unknown).await;
    notes.extend(
        fixtures
            .notes
            .iter()
            .map(|note| format!("passed over: {note}")),
    );
    for (name, why) in &fixtures.unavailable {
        notes.push(format!("fixture {name} unavailable: {why}"));
    }
    let account = options
        .vars
        .get("account")
        .cloned()
        .or_else(|| fixtures.account.clone())
        .unwrap_or_else(|| "000000000000".into());
    let partition = options
        .vars
        .get("partition")
        .cloned()
        .or_else(|| fixtures.partition.clone())
        .unwrap_or_else(|| "aws".into());
    let mut vars = Vars::new();
    for (name, value) in &options.vars {
        vars.set(Layer::Runner, name.clone(), Value::from(value.clone()));
    }
    vars.set(Layer::Runner, "run_id", Value::from(options.run_id.clone()));
    vars.set(Layer::Runner, "region", Value::from(config.region.clone()));
    let region2 = options
        .vars
        .get("region2")
        .cloned()
        .unwrap_or_else(|| second_region(&config.region).to_string());
    vars.set(Layer::Runner, "region2", Value::from(region2.clone()));
    let region3 = options
        .vars
        .get("region3")
        .cloned()
        .unwrap_or_else(|| third_region(&config.region, &region2).to_string());
    vars.set(Layer::Runner, "region3", Value::from(region3.clone()));
    vars.set(Layer::Runner, "account", Value::from(account.clone()));
    vars.set(Layer::Runner, "partition", Value::from(partition));
    vars.set(
        Layer::Runner,
        "channel_quota",
        Value::from(options.channel_quota),
    );
    for (name, value) in &fixtures.vars {
        vars.set(Layer::Runner, name.clone(), Value::from(value.clone()));
    }

    let lock = match fixtures
        .vars
        .get(crate::scenario::vars::FIXTURE_EDS_INTEGRATION)
    {
        Some(store) => {
            let interrupted = Arc::clone(&options.interrupted);
            let acquired = account::acquire_lock(
                &client,
                store,
                started + options.deadline,
                move || interrupted.load(Ordering::Relaxed),
                || eprintln!("waiting: {}", account::busy_message()),
            )
            .await;
            match acquired {
                Ok(lock) => Some(lock),
                Err(NotLocked::Unavailable(why)) => {
                    notes.push(format!(
                        "ran without the endpoint lock (concurrent runs may collide): {why}"
                    ));
                    None
                }
                Err(NotLocked::Busy(why)) => {
                    return RunReport {
                        endpoint: options.endpoint_label,
                        region: client.region().to_string(),
                        run_id: options.run_id,
                        notes: vec![why.clone()],
                        scenarios: scenarios
                            .iter()
                            .map(|s| execute::not_run(s, Verdict::Skip, Some(why.clone())))
                            .collect(),
                        leaks: Vec::new(),
                        cleanup_problems: Vec::new(),
                        requests: client.requests_sent(),
                        wire: client.stats(),
                        created: Created::default(),
                        duration: started.elapsed(),
                        baseline: None,
                    };
                }
            }
        }
        None => None,
    };

    let operations = scenarios
        .iter()
        .flat_map(|scenario| &scenario.steps)
        // A race step's calls and `then` steps call their own operations.
        .flat_map(|step| std::iter::once(step).chain(step.nested()))
        .map(|step| step.op)
        .collect();
    let controls = Controls::probe(
        &persistent,
        &options.run_id,
        &fixtures,
        &unknown,
        &operations,
    )
    .await;
    notes.extend(controls.notes());
    let held = list_channels(&persistent)
        .await
        .map(|c| c.len())
        .unwrap_or(0);
    let scheduler = Arc::new(Scheduler::new(
        options.jobs,
        &scenarios,
        options.channel_quota.saturating_sub(held),
    ));
    let context = Arc::new(Context {
        client: client.clone(),
        config,
        vars,
        fixtures,
        snapshots: options.snapshots,
        channel_quota: options.channel_quota,
        run_id: options.run_id.clone(),
        account,
        interrupted: Arc::clone(&options.interrupted),
        unknown,
        controls,
        made: std::sync::Mutex::new(Created::default()),
    });
    let deadline = started + options.deadline;
    let create_stores = options.create_stores;
    let tasks: Vec<_> = scenarios
        .into_iter()
        .map(|scenario| {
            let (context, scheduler, on_result) = (
                Arc::clone(&context),
                Arc::clone(&scheduler),
                options.on_result.clone(),
            );
            tokio::spawn(async move {
                let _admission = scheduler.admit(&scenario).await;
                let result = if context.interrupted.load(Ordering::Relaxed) {
                    execute::not_run(
                        &scenario,
                        Verdict::Skip,
                        Some("interrupted before it started".into()),
                    )
                } else if !create_stores && creates_stores(&scenario) {
                    execute::not_run(
                        &scenario,
                        Verdict::Skip,
                        Some(
                            "cannot test here: it creates an event data store, which stays pending deletion \
                             and counts towards the region's 10 for 7 days; pass --create-stores to run it"
                                .into(),
                        ),
                    )
                } else if Instant::now() >= deadline {
                    execute::not_run(
                        &scenario,
                        Verdict::Error,
                        Some("the run's deadline passed before it started".into()),
                    )
                } else {
                    execute::run_scenario(&context, &scenario).await
                };
                if let Some(on_result) = &on_result {
                    on_result(&result);
                }
                result
            })
        })
        .collect();
    let mut results = Vec::with_capacity(tasks.len());
    for task in tasks {
        match task.await {
            Ok(result) => results.push(result),
            Err(error) => notes.push(format!("a scenario task ended abnormally: {error}")),
        }
    }
    results.sort_by(|a, b| a.path.cmp(&b.path));

    if let Some(snapshots) = &context.snapshots {
        let unrecorded = snapshots.unrecorded.load(Ordering::Relaxed);
        if unrecorded > 0 {
            notes.push(format!(
                "{unrecorded} step(s) have no recording in {} and were not compared \
                 (new ones left as .snap.new: `--snapshots record` keeps them, `--snapshots verify` fails on them)",
                snapshots.store.dir().display()
            ));
        }
    }
    let mut context =
        Arc::try_unwrap(context).unwrap_or_else(|_| unreachable!("every task has ended"));
    let mut created = *context.made.get_mut().unwrap_or_else(|p| p.into_inner());
    created.stores += context.fixtures.created;
    let mut cleanup_problems = Vec::new();
    if let Some(lock) = lock {
        cleanup_problems.extend(lock.release(&client).await);
    }
    let mut leaks = find_leaks(&client, &options.run_id, &mut cleanup_problems).await;
    for (used, other) in [(uses_region2, &region2), (uses_region3, &region3)] {
        if used && other != client.region() {
            let other = client.with_region(other);
            leaks.extend(find_leaks(&other, &options.run_id, &mut cleanup_problems).await);
        }
    }
    RunReport {
        endpoint: options.endpoint_label,
        region: client.region().to_string(),
        run_id: options.run_id,
        notes,
        scenarios: results,
        leaks,
        cleanup_problems,
        requests: client.requests_sent(),
        wire: client.stats(),
        created,
        duration: started.elapsed(),
        baseline: None,
    }
}

/// Whether a step of `scenario` creates an event data store.
fn creates_stores(scenario: &Scenario) -> bool {
    scenario
        .all_steps()
        .flat_map(|step| std::iter::once(step).chain(step.nested()))
        .any(|step| step.op == crate::contract::Operation::CreateEventDataStore)
}

/// Channels of this run still present: leaks. Deleted on sight, still reported.
async fn find_leaks(client: &Client, run_id: &str, problems: &mut Vec<String>) -> Vec<String> {
    let channels = match list_channels(&client.persistent()).await {
        Ok(channels) => channels,
        Err(why) => {
            problems.push(format!("could not check for leaks: {why}"));
            return Vec::new();
        }
    };
    let mut leaks = Vec::new();
    for (arn, name) in channels
        .into_iter()
        .filter(|(_, name)| name.contains(run_id))
    {
        if let Some(problem) = delete(client, &Resource::Channel(arn.clone())).await {
            problems.push(problem);
        }
        leaks.push(format!("channel {name} ({arn})"));
    }
    leaks
}
