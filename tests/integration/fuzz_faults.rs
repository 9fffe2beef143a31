//! The fuzzer catches what the scenarios catch: for every rule whose
//! refusal the fuzzer's plans reach, an endpoint that drops only that check
//! (answers success where the reference emulator refuses for that rule, the
//! main fault family of tests/integration/mutations.rs) is found within a case budget,
//! and the finding names the rule. The proxy and its rewrites are
//! tests/integration/common.rs's.
//!
//! The budget is in cases, not seconds, so a loaded machine cannot fail it;
//! how long each fault takes to find is printed, and measured in release by
//! `cargo test --release --test integration fuzz_faults:: -- --nocapture` (docs/fuzzing.md).

use crate::common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{fabricated_success, rewritten, Rewrite};
use ctconform::contract::RuleId;
use ctconform::fuzz::{fuzz, FuzzOptions};

/// Cases the fuzzer may take to find one fault: about 20 s of a debug build
/// on an idle 2-core machine, a few seconds in release.
const CASES: u64 = 12_000;

/// Only a stop for a wedged run: the verdict is the case budget's.
const WALL: Duration = Duration::from_secs(300);

/// Answers success where the emulator refuses for `rule`: the check is missing.
fn accepts_what(rule: &'static str) -> Rewrite {
    Arc::new(move |x| (x.refused_rule() == Some(rule)).then(|| fabricated_success(x)))
}

/// The rules a missing check of which the fuzzer must find. Left out, with
/// why: P5 (an empty body is one form, covered by the scenarios), P7 (any
/// 4xx conforms), P9 (the emulator does not enforce authentication), T5
/// (success conforms too), OK4 (a race), C3 (the fuzzer's sessions never
/// hold 25 channels at once).
fn reachable() -> Vec<RuleId> {
    RuleId::ALL
        .iter()
        .copied()
        .filter(|rule| !rule.rule().errors.is_empty())
        .filter(|rule| {
            !matches!(
                rule,
                RuleId::P5 | RuleId::P7 | RuleId::P9 | RuleId::T5 | RuleId::OK4 | RuleId::C3
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_fuzzer_finds_every_single_missing_check() {
    let mut missed = Vec::new();
    let mut slowest = (RuleId::P1, Duration::ZERO);
    for (index, rule) in reachable().into_iter().enumerate() {
        let endpoint = rewritten(accepts_what(rule.as_str())).await;
        let started = Instant::now();
        let report = fuzz(FuzzOptions {
            endpoint: Some(endpoint.url.clone()),
            duration: Some(WALL),
            cases: Some(CASES),
            seed: 1,
            jobs: 4,
            run_id: Some(format!("fault{index}")),
            max_findings: Some(1),
            shrink_budget: 0,
            ..FuzzOptions::default()
        })
        .await;
        let took = started.elapsed();
        assert!(report.error.is_none(), "{rule}: {:?}", report.error);
        let found = report
            .findings
            .iter()
            .any(|finding| finding.rules.iter().any(|r| r == rule.as_str()));
        if !found {
            missed.push(format!(
                "{rule}: not found in {} cases ({took:?}); found instead: {:?}",
                report.cases,
                report
                    .findings
                    .iter()
                    .map(|f| f.rules.join("+"))
                    .collect::<Vec<_>>()
            ));
        }
        eprintln!("{rule}: {} cases, {took:?}", report.cases);
        if took > slowest.1 {
            slowest = (rule, took);
        }
    }
    eprintln!("slowest fault to find: {} in {:?}", slowest.0, slowest.1);
    assert!(missed.is_empty(), "{}", missed.join("\n"));
}
