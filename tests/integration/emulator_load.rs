//! The emulator under load: thousands of concurrent mixed requests (creates
//! of colliding names, deletes, gets, lists) from many tasks, then the final
//! state must be exactly what the successful calls imply: every channel
//! created and not deleted is listed once, nothing else is, no name twice,
//! and each listed channel reads back the same by GetChannel.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use ctconform::contract::Limits;
use ctconform::emulator::{Emulator, EmulatorConfig};
use ctconform::runner::list_channels;
use ctconform::wire::{Client, ClientConfig, Request};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};

const TASKS: u64 = 64;
const REQUESTS: u64 = 4000;
/// Few names, so that creates collide.
const NAMES: usize = 40;

/// What the successful calls did, as the clients saw it.
#[derive(Default)]
struct Ledger {
    /// ARN → Name, for every create that succeeded.
    created: BTreeMap<String, String>,
    /// ARNs of every delete that succeeded.
    deleted: BTreeSet<String>,
    failures_by_code: BTreeMap<String, usize>,
}

fn create_input(name: &str, store: &str) -> Value {
    json!({"Name": name, "Source": "Custom", "Destinations": [{"Type": "EVENT_DATA_STORE", "Location": store}]})
}

/// One task's share of the load: random operations on the shared names.
async fn hammer(client: Client, store: String, seed: u64, ledger: Arc<Mutex<Ledger>>) {
    let mut rng = StdRng::seed_from_u64(seed);
    for _ in 0..REQUESTS / TASKS {
        let name = format!("load-{}", rng.random_range(0..NAMES));
        let known: Option<String> = {
            let ledger = ledger.lock().unwrap();
            let arns: Vec<&String> = ledger.created.keys().collect();
            (!arns.is_empty()).then(|| arns[rng.random_range(0..arns.len())].clone())
        };
        let roll = rng.random_range(0..100);
        let (operation, input) = match (roll, &known) {
            (0..40, _) | (_, None) => ("CreateChannel", create_input(&name, &store)),
            (40..65, Some(arn)) => ("DeleteChannel", json!({"Channel": arn})),
            (65..85, Some(arn)) => ("GetChannel", json!({"Channel": arn})),
            _ => ("ListChannels", json!({})),
        };
        let outcome = client.send(&Request::json(operation, input.clone())).await;
        let mut ledger = ledger.lock().unwrap();
        if !outcome.is_success() {
            let code = outcome.error_code().unwrap_or("(fault)").to_string();
            *ledger
                .failures_by_code
                .entry(format!("{operation} {code}"))
                .or_default() += 1;
            continue;
        }
        let body = outcome.response().unwrap().json.as_ref().unwrap();
        match operation {
            "CreateChannel" => {
                let arn = body["ChannelArn"]
                    .as_str()
                    .expect("a ChannelArn")
                    .to_string();
                ledger.created.insert(arn, name);
            }
            "DeleteChannel" => {
                ledger
                    .deleted
                    .insert(input["Channel"].as_str().unwrap().to_string());
            }
            _ => {}
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_mixed_requests_leave_a_consistent_state() {
    let started = Instant::now();
    let config = EmulatorConfig {
        limits: Limits {
            channel_quota: 10_000,
            ..Limits::default()
        },
        ..EmulatorConfig::default()
    };
    let emulator = Emulator::start_local(config).await.unwrap();
    let client = Client::new(ClientConfig::new(emulator.url(), "us-east-1"))
        .await
        .unwrap();
    let store = client
        .send(&Request::json(
            "CreateEventDataStore",
            json!({"Name": "load", "TerminationProtectionEnabled": false,
                   "AdvancedEventSelectors": [{"FieldSelectors": [{"Field": "eventCategory", "Equals": ["ActivityAuditLog"]}]}]}),
        ))
        .await;
    let store = store.response().unwrap().json.as_ref().unwrap()["EventDataStoreArn"]
        .as_str()
        .unwrap()
        .to_string();

    let ledger = Arc::new(Mutex::new(Ledger::default()));
    let tasks: Vec<_> = (0..TASKS)
        .map(|seed| {
            tokio::spawn(hammer(
                client.clone(),
                store.clone(),
                seed,
                Arc::clone(&ledger),
            ))
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    let ledger = Arc::try_unwrap(ledger).ok().unwrap().into_inner().unwrap();
    assert!(
        ledger
            .failures_by_code
            .keys()
            .all(|k| !k.contains("(fault)") && !k.contains("Internal")),
        "{:?}",
        ledger.failures_by_code
    );
    assert!(
        ledger.created.len() > NAMES,
        "too few creates to mean anything: {}",
        ledger.created.len()
    );
    assert!(!ledger.deleted.is_empty());

    let expected: BTreeMap<&String, &String> = ledger
        .created
        .iter()
        .filter(|(arn, _)| !ledger.deleted.contains(*arn))
        .collect();
    let listed = list_channels(&client).await.unwrap();
    let listed_arns: Vec<&String> = listed.iter().map(|(arn, _)| arn).collect();
    let unique_arns: BTreeSet<&String> = listed_arns.iter().copied().collect();
    assert_eq!(unique_arns.len(), listed.len(), "an ARN is listed twice");
    let names: BTreeSet<&String> = listed.iter().map(|(_, name)| name).collect();
    assert_eq!(
        names.len(),
        listed.len(),
        "a name is listed twice: {listed:?}"
    );
    assert_eq!(
        unique_arns,
        expected.keys().copied().collect::<BTreeSet<_>>(),
        "listed channels differ from created-and-not-deleted ones"
    );
    for (arn, name) in &listed {
        assert_eq!(expected[arn], name, "{arn}");
        let got = client
            .send(&Request::json("GetChannel", json!({"Channel": arn})))
            .await;
        let body = got.response().unwrap().json.as_ref().unwrap();
        assert_eq!(body["Name"], json!(name), "{arn}");
        assert_eq!(
            body["Destinations"],
            json!([{"Type": "EVENT_DATA_STORE", "Location": store}]),
            "{arn}"
        );
    }
    eprintln!(
        "{} creates, {} deletes succeeded, {} listed; refusals {:?}; {:?}",
        ledger.created.len(),
        ledger.deleted.len(),
        listed.len(),
        ledger.failures_by_code,
        started.elapsed()
    );
    // No bound on the time it took: in the one test binary other tests share
    // the machine (main's run took 10.7 s against a 10 s bound under load).
    // A hang still ends: every request has the client's timeout.
    emulator.stop().await;
}
