//! Plans sent to the live endpoint named by `CTCONFORM_ENDPOINT` (signing
//! region `CTCONFORM_REGION`, default us-east-1), judged by the oracle. A
//! divergence panics with the request, the acceptable set and the answer,
//! so libFuzzer keeps the input. Each input runs in its own namespace and
//! deletes what it created.

#![no_main]

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

use arbitrary::{Arbitrary, Unstructured};
use ctconform::fuzz::render::Namespace;
use ctconform::fuzz::session::{fixture_creates, partners_for, created_arn};
use ctconform::fuzz::plan::PlannedRegion;
use ctconform::fuzz::{CaseVerdict, Driver, Session, SessionFixtures};
use ctconform::runner::Resource;
use ctconform::wire::{Client, ClientConfig, Request};
use libfuzzer_sys::fuzz_target;

struct Live {
    runtime: tokio::runtime::Runtime,
    client: Client,
    fixtures: SessionFixtures,
    run_id: String,
    next: AtomicU64,
}

fn live() -> &'static Live {
    static LIVE: OnceLock<Live> = OnceLock::new();
    LIVE.get_or_init(|| {
        let endpoint = std::env::var("CTCONFORM_ENDPOINT")
            .expect("set CTCONFORM_ENDPOINT to the endpoint under test");
        let region = std::env::var("CTCONFORM_REGION").unwrap_or_else(|_| "us-east-1".into());
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("a tokio runtime");
        let run_id = format!("lf{}", std::process::id());
        let (client, fixtures) = runtime.block_on(async {
            let client = Client::new(ClientConfig::new(endpoint, region))
                .await
                .expect("a client for CTCONFORM_ENDPOINT");
            let mut exchanges: Vec<(Request, _)> = Vec::new();
            for request in fixture_creates(&format!("ctf-{run_id}-")) {
                let outcome = client.send(&request).await;
                exchanges.push((request, outcome));
            }
            if let Some(pending) = created_arn(&exchanges[2].1, "EventDataStoreArn", "eventdatastore") {
                let request = Resource::Store(pending.arn.clone()).deletion();
                let outcome = client.send(&request).await;
                exchanges.push((request, outcome));
            }
            let fixtures = SessionFixtures::from_exchanges(&exchanges).expect("fixture stores");
            (client, fixtures)
        });
        Live { runtime, client, fixtures, run_id, next: AtomicU64::new(0) }
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(session) = Session::arbitrary(&mut Unstructured::new(data)) else {
        return;
    };
    let live = live();
    let index = live.next.fetch_add(1, Ordering::Relaxed);
    let mut driver = Driver::new(&live.fixtures, Namespace::session(&live.run_id, index), partners_for(0, 1));
    // Calls to the second Region are signed for it; a concurrent group is
    // sent one call after another here (one of its orders).
    let second = live
        .client
        .with_region(ctconform::runner::second_region(live.client.region()));
    let client_for = |region| match region {
        PlannedRegion::Home => &live.client,
        PlannedRegion::Second => &second,
    };
    let found = live.runtime.block_on(async {
        let mut found = None;
        for step in &session.steps {
            let prepared = driver.prepare(step);
            let outcome = client_for(prepared.region).send(&prepared.request).await;
            // One session at a time: a quota refusal is the account's state.
            let (verdict, _) = driver.settle(&prepared, &outcome, |_| true);
            if let CaseVerdict::Diverged(deviation) = verdict {
                found = Some((prepared, deviation));
                break;
            }
        }
        for (channel, region) in driver.channels().iter().zip(driver.channel_regions()) {
            client_for(*region).send(&Resource::Channel(channel.arn.clone()).deletion()).await;
        }
        for (store, region) in driver.stores().iter().zip(driver.store_regions()) {
            client_for(*region).send(&Resource::Store(store.arn.clone()).deletion()).await;
        }
        found
    });
    if let Some((prepared, deviation)) = found {
        panic!(
            "{:?} divergence [{}]\n  request: {:?}\n  expected: {}\n  actual: {}\n  reason: {}",
            deviation.class,
            deviation.rules.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(", "),
            prepared.request,
            deviation.expected,
            deviation.actual,
            deviation.reason
        );
    }
});
