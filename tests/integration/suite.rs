//! The whole scenario suite against the embedded reference emulator (or the
//! endpoint in `CTCONFORM_ENDPOINT`), every step's normalised answer checked
//! by insta against `snapshots/<profile>/` (`reference` by default).

use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::common;

use ctconform::emulator::{Emulator, EmulatorConfig};
use ctconform::runner::{self, RunOptions, Selection};
use ctconform::scenario;
use ctconform::wire::{Client, ClientConfig};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn suite_conforms_and_matches_snapshots() {
    let scenarios = scenario::load_dir("scenarios").expect("scenarios load");
    assert!(
        scenario::check(&scenarios, &[]).is_empty(),
        "scenarios lint cleanly"
    );
    let (endpoint, profile, emulator) = match std::env::var("CTCONFORM_ENDPOINT") {
        Ok(endpoint) => {
            // As `ctconform run`: a real account only when asked for.
            let allowed = std::env::var("CTCONFORM_ALLOW_REMOTE")
                .is_ok_and(|v| matches!(v.as_str(), "1" | "true" | "yes" | "on"));
            assert!(
                ctconform::wire::is_loopback(&endpoint) || allowed,
                "CTCONFORM_ENDPOINT={endpoint} is not on this machine: set CTCONFORM_ALLOW_REMOTE=1 \
                 to run the suite there (it creates and deletes channels and event data stores)"
            );
            (endpoint, std::env::var("CTCONFORM_PROFILE").ok(), None)
        }
        Err(_) => {
            let emulator = Emulator::start_local(EmulatorConfig::default())
                .await
                .unwrap();
            (
                emulator.url(),
                Some("reference".to_string()),
                Some(emulator),
            )
        }
    };
    let skip_auth = Selection {
        skip_tags: vec!["auth".into()],
        ..Selection::default()
    };
    let scenarios = skip_auth.apply(scenarios);
    let config = ClientConfig::new(endpoint.clone(), "us-east-1");
    let client = Client::new(config.clone()).await.expect("a client");
    let mut options = RunOptions::new(runner::new_run_id());
    options.endpoint_label = endpoint;
    let report = runner::run(scenarios, client, config, options).await;
    if let Some(emulator) = emulator {
        emulator.stop().await;
    }

    let failures = common::not_passed(&report);
    assert!(
        failures.is_empty(),
        "scenarios that did not pass:\n{}",
        failures.join("\n")
    );
    assert!(report.leaks.is_empty(), "leaks: {:?}", report.leaks);

    let Some(profile) = profile else { return };
    let mut mismatched = Vec::new();
    for step in report.scenarios.iter().flat_map(|s| &s.steps) {
        let (Some(name), Some(content)) = (&step.snapshot_name, &step.snapshot) else {
            continue;
        };
        let checked = catch_unwind(AssertUnwindSafe(|| {
            insta::with_settings!({
                snapshot_path => format!("../../snapshots/{profile}"),
                prepend_module_to_snapshot => false,
            }, {
                insta::assert_snapshot!(name.as_str(), content.as_str());
            });
        }));
        if checked.is_err() {
            mismatched.push(name.clone());
        }
    }
    assert!(
        mismatched.is_empty(),
        "snapshots that differ (review with `cargo insta review`):\n{}",
        mismatched.join("\n")
    );
}
