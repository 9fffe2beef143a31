//! Running the fuzzer against an endpoint: [`fuzz`] makes the shared
//! fixtures, runs `jobs` workers of sessions (session k's plan comes from
//! the seed and k alone, so a seed replays the same traffic), under a
//! global request rate and a case or time budget; then shrinks each new
//! divergence against the live target, exports it, deletes everything it
//! made and reports ([`FuzzReport`]).
//!
//! A case is one judged request of a session; requests also count fixtures,
//! cleanup and shrinking replays.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use arbitrary::{Arbitrary, Unstructured};
use rand::{RngCore, SeedableRng};
use serde::Serialize;

use super::export::{self, FindingHeader};
use super::plan::{groups, PlannedCall, PlannedRegion, Session};
use super::render::Namespace;
use super::session::{
    partners_for, CaseVerdict, Class, Deviation, Driver, ExportStep, GivenFixtures, Prepared,
    SessionFixtures, SetupError,
};
use super::shrink::{self, Replay};
use crate::account::{self, Resource};
use crate::contract::shapes::{CHANNEL_QUOTA, STORE_QUOTA};
use crate::contract::{Operation, RequestedOperation, RuleId};
use crate::emulator::{Emulator, EmulatorConfig, Listener};
use crate::wire::{Client, ClientConfig, Exchange, Received, Request};

/// What to fuzz and for how long.
#[derive(Clone, Debug)]
pub struct FuzzOptions {
    /// The endpoint under test; `None` starts the embedded emulator.
    pub endpoint: Option<String>,
    /// The SigV4 signing region.
    pub region: String,
    /// Stop after this long (with `cases`, whichever comes first).
    pub duration: Option<Duration>,
    /// Stop after this many cases.
    pub cases: Option<u64>,
    pub seed: u64,
    /// Sessions run at once.
    pub jobs: usize,
    /// Per request.
    pub timeout: Duration,
    /// Requests per second, all workers together; `None`: unlimited.
    pub rate: Option<f64>,
    /// Attempts per request and their backoff (`--retries`).
    pub retry: crate::wire::RetryPolicy,
    /// Per-operation pacing (`--pace`).
    pub pace: crate::wire::Pace,
    /// Where to write each finding's scenario and curl reproducer.
    pub out: Option<PathBuf>,
    /// Replays allowed to shrink one finding.
    pub shrink_budget: usize,
    /// Names are prefixed `ctf-<run_id>-`; `None`: a fresh one that
    /// `ctconform cleanup --older-than` can date.
    pub run_id: Option<String>,
    /// Whose credentials sign; `None`: the local identity for loopback
    /// endpoints, the AWS chain otherwise.
    pub credentials: Option<crate::wire::CredentialSource>,
    /// Pre-created fixture stores; `None`: the stable ones every run
    /// reuses, found or made (and never deleted).
    pub fixtures: Option<GivenFixtures>,
    /// Threads the sessions run on (at most `jobs`), each with its own
    /// client and runtime.
    pub threads: usize,
    /// Cases judged so far, counted as they are (for a progress display).
    pub cases_done: Arc<AtomicU64>,
    /// Stop once this many distinct divergences are found (libFuzzer stops
    /// at its first crash); `None`: run the whole budget.
    pub max_findings: Option<usize>,
}

/// The emulator a fuzz run embeds: the one `ctconform serve` runs, with
/// the contract's quotas. Stores pending deletion hold their slot (as on
/// AWS for 7 days), so the store quota is full within the first moments;
/// creates past it are answered with the quota error and counted as
/// `quota_refusals`, not judged, and the three fixture stores keep the
/// destination rules covered. A larger quota bought no coverage (it filled
/// as fast) and made every ListEventDataStores answer longer.
fn embedded_emulator_config(region: &str) -> EmulatorConfig {
    EmulatorConfig {
        region: region.to_string(),
        ..EmulatorConfig::default()
    }
}

impl Default for FuzzOptions {
    fn default() -> Self {
        FuzzOptions {
            endpoint: None,
            region: "us-east-1".into(),
            duration: Some(Duration::from_secs(60)),
            cases: None,
            seed: 0,
            jobs: 2,
            timeout: crate::wire::DEFAULT_TIMEOUT,
            rate: None,
            retry: crate::wire::RetryPolicy::default(),
            pace: crate::wire::Pace::Auto,
            out: None,
            shrink_budget: 200,
            run_id: None,
            credentials: None,
            fixtures: None,
            threads: 1,
            cases_done: Arc::new(AtomicU64::new(0)),
            max_findings: None,
        }
    }
}

/// What a fuzz run found.
#[derive(Clone, Debug, Serialize)]
pub struct FuzzReport {
    pub endpoint: String,
    /// True when the endpoint was the embedded emulator.
    pub embedded: bool,
    pub seed: u64,
    pub run_id: String,
    pub jobs: usize,
    /// The second Region sessions also use.
    pub region2: String,
    pub sessions: u64,
    pub cases: u64,
    pub requests: u64,
    pub elapsed_secs: f64,
    pub cases_per_sec: f64,
    pub requests_per_sec: f64,
    /// Creates refused for an account-wide quota other sessions filled.
    pub quota_refusals: u64,
    /// Cases whose answer stayed throttled past the retry budget: not
    /// judged (contract section 8), their session ended there.
    pub throttled: u64,
    /// Retries the client made (throttling and transient faults).
    pub retries: u64,
    /// Cases that diverged only after a retry whose earlier attempt may
    /// have been processed: not findings, their session ended there.
    pub ambiguous: u64,
    /// Cases sent to the second Region (`region2`).
    pub second_region_cases: u64,
    /// Groups of calls sent at once and judged by linearisability.
    pub concurrent_groups: u64,
    pub findings: Vec<Finding>,
    /// Cases per contract rule (every rule listed, 0 included).
    pub coverage: BTreeMap<String, u64>,
    /// Deletions that failed at the end: what may be left behind.
    pub cleanup_failures: Vec<String>,
    pub out_dir: Option<PathBuf>,
    /// Set when the run could not start for a reason of ours (no client).
    pub error: Option<String>,
    /// Set when the endpoint's answers kept the run from starting (the
    /// fixture stores could not be made): a divergence, not a usage error.
    pub setup_failure: Option<String>,
}

/// One distinct divergence, shrunk when it could be.
#[derive(Clone, Debug, Serialize)]
pub struct Finding {
    pub class: Class,
    pub rules: Vec<String>,
    /// Each broken rule with what broke it: the oracle's reasoning.
    pub broken: Vec<String>,
    /// Every answer that would have conformed (the acceptable set).
    pub expected: String,
    pub actual: String,
    pub reason: String,
    /// How many sessions hit it (before shrinking merged them).
    pub occurrences: u64,
    pub session: u64,
    pub steps_found: usize,
    pub steps_shrunk: usize,
    pub replays: usize,
    /// The last request as a curl command (secrets masked).
    pub curl: String,
    /// The exported scenario's text.
    pub scenario: String,
    pub scenario_path: Option<PathBuf>,
}

impl FuzzReport {
    pub fn diverged(&self) -> bool {
        !self.findings.is_empty() || self.setup_failure.is_some()
    }

    /// `ctconform run --scenarios OUT [--endpoint URL]`, when findings were written.
    pub fn replay_command(&self) -> Option<String> {
        let out = self.out_dir.as_ref().filter(|_| self.diverged())?;
        let mut command = format!("ctconform run --scenarios {}", out.display());
        if !self.embedded {
            command.push_str(&format!(" --endpoint {}", self.endpoint));
        }
        Some(command)
    }
}

/// Session `index`'s plan under `seed`: its own RNG, 4 KiB of bytes,
/// read as a [`Session`].
pub fn session_plan(seed: u64, index: u64) -> Session {
    let mut rng = rand::rngs::StdRng::seed_from_u64(splitmix(seed ^ splitmix(index)));
    let mut bytes = vec![0u8; 4096];
    rng.fill_bytes(&mut bytes);
    Session::arbitrary(&mut Unstructured::new(&bytes)).unwrap_or(Session { steps: Vec::new() })
}

/// The first `count` session plans of `seed`.
pub fn plans(seed: u64, count: u64) -> Vec<Session> {
    (0..count).map(|index| session_plan(seed, index)).collect()
}

fn splitmix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// A global request rate: each request takes the next free slot.
struct RateLimit {
    interval: Duration,
    next: tokio::sync::Mutex<Instant>,
}

impl RateLimit {
    async fn acquire(&self) {
        let slot = {
            let mut next = self.next.lock().await;
            let slot = (*next).max(Instant::now());
            *next = slot + self.interval;
            slot
        };
        tokio::time::sleep_until(slot.into()).await;
    }
}

/// A divergence as first found, before shrinking.
struct RawFinding {
    session: u64,
    worker: usize,
    steps: Vec<PlannedCall>,
    deviation: Deviation,
    occurrences: u64,
}

fn finding_key(d: &Deviation) -> (Class, Vec<RuleId>, String, String) {
    let mut rules = d.rules.clone();
    rules.sort();
    (d.class, rules, d.expected.clone(), d.actual.clone())
}

struct RunContext {
    client: Client,
    config: ClientConfig,
    limiter: Option<RateLimit>,
    fixtures: SessionFixtures,
    run_id: String,
    seed: u64,
    jobs: usize,
    deadline: Option<Instant>,
    /// The end of `--duration`: sessions stop before it (at `deadline`) to
    /// leave shrinking and cleanup time within it.
    hard_end: Option<Instant>,
    case_budget: Option<u64>,
    max_findings: Option<usize>,
    stop: AtomicBool,
    cases: Arc<AtomicU64>,
    requests: AtomicU64,
    sessions: AtomicU64,
    quota_refusals: AtomicU64,
    throttled: AtomicU64,
    ambiguous: AtomicU64,
    /// Per Region (the run's, the second): quotas count per Region.
    channels_live: [AtomicI64; 2],
    stores_made: [AtomicI64; 2],
    /// Creates sent and not yet settled, per Region: channels, stores.
    creates_in_flight: [[AtomicI64; 2]; 2],
    /// Cases sent to the second Region, and groups of calls sent at once.
    second_region_cases: AtomicU64,
    concurrent_groups: AtomicU64,
    /// The second Region's name.
    region2: String,
    coverage: Mutex<BTreeMap<RuleId, u64>>,
    findings: Mutex<Vec<RawFinding>>,
    cleanup_failures: Mutex<Vec<String>>,
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

impl RunContext {
    /// Sends through `client` (each thread of sessions has its own).
    async fn send_via(&self, client: &Client, request: &Request) -> Received {
        self.send_recorded_via(client, request).await.outcome
    }

    /// As `send_via`, with the attempts retried.
    async fn send_recorded_via(&self, client: &Client, request: &Request) -> Exchange {
        if let Some(limiter) = &self.limiter {
            limiter.acquire().await;
        }
        self.requests.fetch_add(1, Ordering::Relaxed);
        client.send_recorded(request).await
    }

    /// Takes one case from the budget; false once the run is over.
    fn take_case(&self) -> bool {
        if self.stop.load(Ordering::Relaxed) {
            return false;
        }
        if self.deadline.is_some_and(|d| Instant::now() >= d) {
            self.stop.store(true, Ordering::Relaxed);
            return false;
        }
        let taken = self.cases.fetch_add(1, Ordering::Relaxed) + 1;
        if self.case_budget.is_some_and(|budget| taken > budget) {
            self.cases.fetch_sub(1, Ordering::Relaxed);
            self.stop.store(true, Ordering::Relaxed);
            return false;
        }
        true
    }

    /// Whether the account may have been at its quota in `region` when the
    /// create being judged arrived: what every session holds there, plus
    /// every other create of that kind sent there and not yet settled (which
    /// may have been made first). Quotas count per Region.
    fn quota_full(&self, operation: Operation, region: PlannedRegion) -> bool {
        let at = region_index(region);
        let Some(kind) = create_kind(operation) else {
            return false;
        };
        let (held, quota) = match kind {
            0 => (&self.channels_live[at], CHANNEL_QUOTA),
            _ => (&self.stores_made[at], STORE_QUOTA),
        };
        // The count in flight includes the create being judged.
        let others = self.creates_in_flight[at][kind].load(Ordering::Relaxed) - 1;
        held.load(Ordering::Relaxed) + others.max(0) >= quota as i64
    }

    /// Counts a group's creates as in flight (`delta` 1) or settled (-1).
    fn in_flight(&self, group: &[Prepared], delta: i64) {
        for prepared in group {
            if let RequestedOperation::Known(operation) = prepared.parts.operation {
                if let Some(kind) = create_kind(operation) {
                    self.creates_in_flight[region_index(prepared.region)][kind]
                        .fetch_add(delta, Ordering::Relaxed);
                }
            }
        }
    }

    fn count_capture(&self, capture: &super::session::CreatedVar) {
        let at = region_index(capture.region);
        let counter = if capture.member == "ChannelArn" {
            &self.channels_live[at]
        } else {
            &self.stores_made[at]
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// The run's client and the same signing for the second Region.
    fn clients(&self, client: &Client) -> [Client; 2] {
        [client.clone(), client.with_region(&self.region2)]
    }

    /// Sends a group's calls at once, each to its Region.
    /// The caller counts them settled (`in_flight(group, -1)`) once judged.
    async fn send_group(&self, clients: &[Client; 2], group: &[Prepared]) -> Vec<Exchange> {
        self.in_flight(group, 1);
        futures_util::future::join_all(group.iter().map(|prepared| {
            self.send_recorded_via(&clients[region_index(prepared.region)], &prepared.request)
        }))
        .await
    }

    async fn run_worker(&self, worker: usize, client: &Client) {
        let clients = self.clients(client);
        let mut index = worker as u64;
        while !self.stop.load(Ordering::Relaxed) {
            self.run_session(index, worker, &clients).await;
            index += self.jobs as u64;
        }
    }

    /// `clients`: the worker's, for the run's Region and the second one.
    async fn run_session(&self, index: u64, worker: usize, clients: &[Client; 2]) {
        let session = session_plan(self.seed, index);
        let ns = Namespace::session(&self.run_id, index);
        // Scenario twins are rendered again when a finding is replayed.
        let mut driver =
            Driver::new(&self.fixtures, ns, partners_for(worker, self.jobs)).without_templates();
        let mut ran = false;
        'session: for group in groups(&session.steps) {
            let calls = &session.steps[group.clone()];
            if !(0..calls.len()).all(|_| self.take_case()) {
                break;
            }
            ran = true;
            // Every call of a group is read against the state before it.
            let prepared: Vec<Prepared> = calls.iter().map(|c| driver.prepare(c)).collect();
            {
                let mut coverage = lock(&self.coverage);
                for member in &prepared {
                    for rule in super::session::exercised(&member.expected) {
                        *coverage.entry(rule).or_default() += 1;
                    }
                }
            }
            let exchanges = self.send_group(clients, &prepared).await;
            if exchanges
                .iter()
                .any(|e| crate::wire::is_throttled(&e.outcome))
            {
                self.in_flight(&prepared, -1);
                // Refused before any work: nothing to judge, and the
                // session's later steps may need what this one would make.
                self.throttled.fetch_add(1, Ordering::Relaxed);
                break;
            }
            let outcomes: Vec<Received> = exchanges.iter().map(|e| e.outcome.clone()).collect();
            let (verdict, captures) = if prepared.len() == 1 {
                let region = prepared[0].region;
                let (verdict, capture) =
                    driver.settle(&prepared[0], &outcomes[0], |op| self.quota_full(op, region));
                (verdict, vec![capture])
            } else {
                let settled = driver.settle_group(&prepared, &outcomes, |op, region| {
                    self.quota_full(op, region)
                });
                (settled.verdict, settled.captures)
            };
            for capture in captures.iter().flatten() {
                self.count_capture(capture);
            }
            self.in_flight(&prepared, -1);
            let second = prepared
                .iter()
                .filter(|p| p.region == PlannedRegion::Second)
                .count();
            self.second_region_cases
                .fetch_add(second as u64, Ordering::Relaxed);
            if prepared.len() > 1 {
                self.concurrent_groups.fetch_add(1, Ordering::Relaxed);
            }
            match verdict {
                CaseVerdict::Exhausted => {
                    self.quota_refusals.fetch_add(1, Ordering::Relaxed);
                }
                CaseVerdict::Diverged(_)
                    if exchanges.iter().any(Exchange::maybe_processed_before) =>
                {
                    // An earlier attempt may have done the work its retry
                    // met (a create meeting its own channel): the model no
                    // longer knows the state, so this is no finding.
                    self.ambiguous.fetch_add(1, Ordering::Relaxed);
                    break 'session;
                }
                CaseVerdict::Diverged(deviation) => {
                    self.record(index, worker, &session.steps[..group.end], deviation);
                    break 'session;
                }
                CaseVerdict::Open => break 'session,
                CaseVerdict::Conform | CaseVerdict::NotSent => {}
            }
        }
        if ran {
            self.sessions.fetch_add(1, Ordering::Relaxed);
        }
        self.clean_up(&driver, clients).await;
    }

    fn record(&self, session: u64, worker: usize, steps: &[PlannedCall], deviation: Deviation) {
        let mut findings = lock(&self.findings);
        let key = finding_key(&deviation);
        if let Some(known) = findings
            .iter_mut()
            .find(|f| finding_key(&f.deviation) == key)
        {
            known.occurrences += 1;
            return;
        }
        findings.push(RawFinding {
            session,
            worker,
            steps: steps.to_vec(),
            deviation,
            occurrences: 1,
        });
        if self.max_findings.is_some_and(|most| findings.len() >= most) {
            self.stop.store(true, Ordering::Relaxed);
        }
    }

    /// Deletes what a session's driver saw created, each in the Region it
    /// was made in: channels, then stores.
    async fn clean_up(&self, driver: &Driver, clients: &[Client; 2]) {
        for (channel, region) in driver.channels().iter().zip(driver.channel_regions()) {
            let at = region_index(*region);
            self.remove_via(&clients[at], Resource::Channel(channel.arn.clone()))
                .await;
            self.channels_live[at].fetch_sub(1, Ordering::Relaxed);
        }
        for (store, region) in driver.stores().iter().zip(driver.store_regions()) {
            self.remove_via(
                &clients[region_index(*region)],
                Resource::Store(store.arn.clone()),
            )
            .await;
        }
    }

    /// Deletes one resource within the rate limit (the ledger's deletion,
    /// sent through the fuzzer's limiter) and notes what stayed.
    async fn remove_via(&self, client: &Client, resource: Resource) {
        // Past `--retries`: nothing is to be left behind for the load.
        let outcome = self
            .send_via(&client.for_cleanup(), &resource.deletion())
            .await;
        if let Some(problem) = resource.left_by(&outcome) {
            lock(&self.cleanup_failures).push(problem);
        }
    }
}

/// Replays candidate sessions for the shrinker, each in a fresh namespace.
struct LiveReplayer<'a> {
    shared: &'a RunContext,
    partners: Vec<&'static str>,
    next_session: u64,
    literal_prefix: String,
    /// Replays refused from then on (the end of `--duration`), so that
    /// shrinking stops with what it has.
    stop_at: Option<Instant>,
}

impl Replay for LiveReplayer<'_> {
    type Record = Vec<ExportStep>;

    async fn replay(&mut self, steps: &[PlannedCall]) -> Option<(CaseVerdict, Vec<ExportStep>)> {
        if self.stop_at.is_some_and(|end| Instant::now() >= end) {
            return None;
        }
        let shared = self.shared;
        let index = self.next_session;
        self.next_session += 1;
        let ns = Namespace::session(&shared.run_id, index);
        let mut driver = Driver::new(&shared.fixtures, ns, self.partners.clone())
            .with_template_literals(self.literal_prefix.clone(), base_code(index));
        let mut records = Vec::new();
        let mut result = None;
        let clients = shared.clients(&shared.client);
        let all = groups(steps);
        for (group_index, group) in all.iter().enumerate() {
            let prepared: Vec<Prepared> = steps[group.clone()]
                .iter()
                .map(|c| driver.prepare(c))
                .collect();
            let outcomes: Vec<Received> = shared
                .send_group(&clients, &prepared)
                .await
                .into_iter()
                .map(|e| e.outcome)
                .collect();
            // Replays run after the sessions: what they make is deleted at
            // once and counts towards no session's quota.
            shared.in_flight(&prepared, -1);
            if outcomes.iter().any(crate::wire::is_throttled) {
                // The replay judged nothing: not a reproduction.
                shared.clean_up(&driver, &clients).await;
                return None;
            }
            // Exported one call after another (see `export_finding`).
            let (verdict, recorded) = driver.settle_recorded(prepared, &outcomes, |op, region| {
                shared.quota_full(op, region)
            });
            records.extend(recorded);
            if group_index + 1 == all.len() {
                result = Some(verdict);
            } else if matches!(verdict, CaseVerdict::Diverged(_) | CaseVerdict::Open) {
                break;
            }
        }
        shared.clean_up(&driver, &clients).await;
        result.map(|verdict| (verdict, records))
    }
}

/// Which create counter an operation moves: channels 0, stores 1.
fn create_kind(operation: Operation) -> Option<usize> {
    match operation {
        Operation::CreateChannel => Some(0),
        Operation::CreateEventDataStore => Some(1),
        _ => None,
    }
}

/// Where a Region's counters and client are kept.
fn region_index(region: PlannedRegion) -> usize {
    match region {
        PlannedRegion::Home => 0,
        PlannedRegion::Second => 1,
    }
}

fn base_code(n: u64) -> String {
    format!("{:08x}", splitmix(n))
}

/// Runs the fuzzer; never panics on what the endpoint answers.
pub async fn fuzz(options: FuzzOptions) -> FuzzReport {
    let started = Instant::now();
    let run_id = options.run_id.clone().unwrap_or_else(account::new_run_id);
    let mut report = FuzzReport {
        endpoint: options.endpoint.clone().unwrap_or_default(),
        embedded: options.endpoint.is_none(),
        seed: options.seed,
        run_id: run_id.clone(),
        jobs: options.jobs.max(1),
        region2: crate::account::second_region(&options.region).to_string(),
        sessions: 0,
        cases: 0,
        requests: 0,
        elapsed_secs: 0.0,
        cases_per_sec: 0.0,
        requests_per_sec: 0.0,
        quota_refusals: 0,
        throttled: 0,
        retries: 0,
        ambiguous: 0,
        second_region_cases: 0,
        concurrent_groups: 0,
        findings: Vec::new(),
        coverage: RuleId::ALL.iter().map(|r| (r.to_string(), 0)).collect(),
        cleanup_failures: Vec::new(),
        out_dir: options.out.clone(),
        error: None,
        setup_failure: None,
    };
    let emulator = match &options.endpoint {
        Some(_) => None,
        None => {
            let config = embedded_emulator_config(&options.region);
            match Emulator::start_local(config).await {
                Ok(emulator) => Some(emulator),
                Err(error) => {
                    report.error = Some(format!("cannot start the embedded emulator: {error}"));
                    return report;
                }
            }
        }
    };
    let endpoint = match (&options.endpoint, &emulator) {
        (Some(endpoint), _) => endpoint.clone(),
        (None, Some(emulator)) => emulator.url(),
        (None, None) => unreachable!("an emulator was started when no endpoint was given"),
    };
    report.endpoint = endpoint.clone();
    let mut config = ClientConfig::new(endpoint, options.region.clone());
    config.timeout = options.timeout;
    if let Some(credentials) = &options.credentials {
        config.credentials = credentials.clone();
    }
    config.retry = options.retry;
    config.pacing.per_operation = options.pace.per_operation(&config.endpoint);
    let client = match Client::new(config.clone()).await {
        Ok(client) => client,
        Err(error) => {
            report.error = Some(error.to_string());
            return report;
        }
    };
    // This runtime keeps `client` (setup, shrinking, cleanup); each thread
    // of sessions gets the same client over connections of its own.
    let threads = options.threads.clamp(1, options.jobs.max(1));
    let lane_clients: Result<Vec<_>, _> = (0..threads)
        .map(|_| lane_client(&client, emulator.as_ref()))
        .collect();
    let lane_clients = match lane_clients {
        Ok(clients) => clients,
        Err(error) => {
            report.error = Some(error.to_string());
            return report;
        }
    };
    let limiter = options.rate.filter(|r| *r > 0.0).map(|rate| RateLimit {
        interval: Duration::from_secs_f64(1.0 / rate),
        next: tokio::sync::Mutex::new(Instant::now()),
    });
    // SessionFixtures are retried past `--retries`: a run is not to fail to
    // start, nor to leave stores behind, for the endpoint's load.
    let (fixtures, setup_requests) = match make_fixtures(
        &client.persistent(),
        limiter.as_ref(),
        options.fixtures.as_ref(),
        crate::account::second_region(&options.region),
    )
    .await
    {
        Ok(made) => made,
        // Given stores that do not fit are the caller's input (exit 2);
        // stores the endpoint would not make are its failure (exit 1).
        Err(failure) if options.fixtures.is_some() => {
            report.error = Some(format!(
                "the given fixture stores cannot be used: {failure}"
            ));
            return report;
        }
        Err(failure) => {
            report.setup_failure = Some(failure.to_string());
            return report;
        }
    };
    // What the region already holds counts towards its quotas: the stores
    // of earlier runs stay pending deletion for days.
    let (channels_held, stores_held) = account::held(&client).await;
    let region2 = crate::account::second_region(&options.region).to_string();
    let (channels_held2, stores_held2) = account::held(&client.with_region(&region2)).await;
    let shared = Arc::new(RunContext {
        client,
        config,
        limiter,
        fixtures,
        run_id,
        seed: options.seed,
        jobs: options.jobs.max(1),
        // Up to a second (a fifth of a short run) for shrinking, exporting
        // and cleaning up, when there is shrinking to do; replays stop at
        // `hard_end` whatever is left.
        deadline: options.duration.map(|d| {
            let reserve = if options.shrink_budget > 0 {
                (d / 5).min(Duration::from_secs(1))
            } else {
                Duration::ZERO
            };
            started + d - reserve
        }),
        hard_end: options.duration.map(|d| started + d),
        case_budget: options.cases,
        max_findings: options.max_findings,
        stop: AtomicBool::new(false),
        cases: Arc::clone(&options.cases_done),
        requests: AtomicU64::new(setup_requests),
        sessions: AtomicU64::new(0),
        quota_refusals: AtomicU64::new(0),
        throttled: AtomicU64::new(0),
        ambiguous: AtomicU64::new(0),
        channels_live: [
            AtomicI64::new(channels_held.unwrap_or(0) as i64),
            AtomicI64::new(channels_held2.unwrap_or(0) as i64),
        ],
        stores_made: [
            AtomicI64::new(stores_held.unwrap_or(3) as i64),
            AtomicI64::new(stores_held2.unwrap_or(0) as i64),
        ],
        creates_in_flight: Default::default(),
        second_region_cases: AtomicU64::new(0),
        concurrent_groups: AtomicU64::new(0),
        region2,
        coverage: Mutex::new(BTreeMap::new()),
        findings: Mutex::new(Vec::new()),
        cleanup_failures: Mutex::new(Vec::new()),
    });
    let lanes: Vec<_> = lane_clients
        .into_iter()
        .enumerate()
        .map(|(lane, (client, listener))| {
            let shared = Arc::clone(&shared);
            tokio::task::spawn_blocking(move || run_lane(&shared, lane, threads, client, listener))
        })
        .collect();
    for lane in lanes {
        if let Ok(Err(error)) = lane.await {
            report.error = Some(error.to_string());
        }
    }
    let fuzz_elapsed = started.elapsed().as_secs_f64();
    let raw_findings = std::mem::take(&mut *lock(&shared.findings));
    report.findings = shrink_and_export(&shared, raw_findings, &options).await;
    sweep_channels(&shared).await;

    report.cases = shared.cases.load(Ordering::Relaxed);
    report.requests = shared.requests.load(Ordering::Relaxed);
    report.sessions = shared.sessions.load(Ordering::Relaxed);
    report.quota_refusals = shared.quota_refusals.load(Ordering::Relaxed);
    report.throttled = shared.throttled.load(Ordering::Relaxed);
    report.ambiguous = shared.ambiguous.load(Ordering::Relaxed);
    report.second_region_cases = shared.second_region_cases.load(Ordering::Relaxed);
    report.concurrent_groups = shared.concurrent_groups.load(Ordering::Relaxed);
    report.retries = shared.client.stats().retries as u64;
    report.elapsed_secs = started.elapsed().as_secs_f64();
    report.cases_per_sec = report.cases as f64 / fuzz_elapsed.max(1e-9);
    report.requests_per_sec = report.requests as f64 / report.elapsed_secs.max(1e-9);
    for (rule, count) in lock(&shared.coverage).iter() {
        report.coverage.insert(rule.to_string(), *count);
    }
    report.cleanup_failures = std::mem::take(&mut *lock(&shared.cleanup_failures));
    if let Some(emulator) = emulator {
        emulator.stop().await;
    }
    report
}

/// Why a thread of sessions could not start.
#[derive(Debug)]
pub enum LaneError {
    /// The thread's client could not be made.
    Client(crate::wire::WireError),
    /// No listener of the embedded emulator for the thread.
    Listen(std::io::Error),
    /// No runtime for the thread.
    Runtime(std::io::Error),
    /// The embedded emulator could not be served on the thread.
    Serve(std::io::Error),
}

impl std::fmt::Display for LaneError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LaneError::Client(error) => write!(f, "{error}"),
            LaneError::Listen(error) => {
                write!(f, "cannot listen for the embedded emulator: {error}")
            }
            LaneError::Runtime(error) => {
                write!(f, "cannot start a fuzzing thread's runtime: {error}")
            }
            LaneError::Serve(error) => write!(f, "cannot serve the embedded emulator: {error}"),
        }
    }
}

impl std::error::Error for LaneError {}

/// A thread's client: over connections of its own and, with the embedded
/// emulator, to a listener of the emulator's that the thread serves itself.
fn lane_client(
    client: &Client,
    emulator: Option<&Emulator>,
) -> Result<(Client, Option<Listener>), LaneError> {
    let Some(emulator) = emulator else {
        let client = client.with_own_connections().map_err(LaneError::Client)?;
        return Ok((client, None));
    };
    let listener = emulator.another_listener().map_err(LaneError::Listen)?;
    let url = listener.url().map_err(LaneError::Listen)?;
    let client = client
        .with_own_connections_to(&url)
        .map_err(LaneError::Client)?;
    Ok((client, Some(listener)))
}

/// Runs the sessions of workers `lane`, `lane + lanes`, ... on a runtime
/// of this thread's own. A session alternates short bursts of CPU (render,
/// sign, judge) with waits on the wire; on one thread it hands requests and
/// answers to hyper's connection tasks without cross-thread wake-ups, and
/// its client's connections are driven by this runtime only. With the
/// embedded emulator, this runtime also serves the thread's `listener`, so
/// the server side of each exchange stays on the thread too.
fn run_lane(
    shared: &Arc<RunContext>,
    lane: usize,
    lanes: usize,
    client: Client,
    listener: Option<Listener>,
) -> Result<(), LaneError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(LaneError::Runtime)?;
    let server = {
        let _context = runtime.enter();
        listener.map(Listener::serving).transpose()
    }
    .map_err(LaneError::Serve)?;
    runtime.block_on(async {
        // Ends with the runtime, once the workers are done.
        if let Some(server) = server {
            tokio::spawn(server);
        }
        let workers: Vec<_> = (lane..shared.jobs)
            .step_by(lanes)
            .map(|worker| {
                let shared = Arc::clone(shared);
                let client = client.clone();
                tokio::spawn(async move { shared.run_worker(worker, &client).await })
            })
            .collect();
        for worker in workers {
            let _ = worker.await;
        }
    });
    Ok(())
}

/// Makes the fixture stores, or describes the given ones; the fixtures and
/// the requests that took.
async fn make_fixtures(
    client: &Client,
    limiter: Option<&RateLimit>,
    given: Option<&GivenFixtures>,
    region2: &str,
) -> Result<(SessionFixtures, u64), SetupError> {
    let send = |request: Request| async move {
        if let Some(limiter) = limiter {
            limiter.acquire().await;
        }
        let outcome = client.send(&request).await;
        (request, outcome)
    };
    if let Some(given) = given {
        let [integration, management, pending] = given.describe_requests();
        let answers = [
            send(integration).await.1,
            send(management).await.1,
            send(pending).await.1,
        ];
        return SessionFixtures::from_given(given, &answers).map(|f| (f, 3));
    }
    // The stable stores every run reuses (account::FIXTURE_STORE_NAMES):
    // found or made, then described and checked for their roles as given
    // ones are, and never deleted.
    let before = client.requests_sent();
    let unknown = account::UnknownAnswer::probe(client).await;
    let [integration, management, pending] = account::stable_stores(client, &unknown).await?;
    let given = GivenFixtures {
        integration,
        management,
        pending,
    };
    let [integration, management, pending] = given.describe_requests();
    let answers = [
        send(integration).await.1,
        send(management).await.1,
        send(pending).await.1,
    ];
    let fixtures = SessionFixtures::from_given(&given, &answers)?;
    // The second Region's stable integration store (found or made, never
    // deleted), so that channels are made there too.
    let second = client.with_region(region2);
    let [integration, _, _] = account::stable_stores(&second, &unknown)
        .await
        .map_err(|why| SetupError::SecondRegion(region2.to_string(), why.to_string()))?;
    let described = second
        .send(&Request::json(
            "GetEventDataStore",
            serde_json::json!({ "EventDataStore": integration }),
        ))
        .await;
    let body = described.success_json().ok_or_else(|| {
        SetupError::SecondRegion(
            region2.to_string(),
            format!("GetEventDataStore: {}", account::describe(&described)),
        )
    })?;
    let fixtures = fixtures.with_second_integration(region2, &integration, body)?;
    let requests = client.requests_sent().saturating_sub(before) as u64;
    Ok((fixtures, requests))
}

/// Deletes any channel of this run still there: one a lost answer made
/// (its create retried after a fault that came after the work) is known to
/// no session. Each is reported among the cleanup failures. Then the run's
/// stores still enabled (a session's delete refused while such a channel
/// pointed at them).
async fn sweep_channels(shared: &RunContext) {
    for client in shared.clients(&shared.client) {
        sweep_region(shared, &client).await;
    }
}

/// [`sweep_channels`] in the Region `client` signs for.
async fn sweep_region(shared: &RunContext, region_client: &Client) {
    let client = region_client.persistent();
    let prefix = format!("ctf-{}-", shared.run_id);
    let channels = match account::list_channels(&client).await {
        Ok(channels) => channels,
        Err(why) => {
            lock(&shared.cleanup_failures).push(format!("could not check for leftovers: {why}"));
            return;
        }
    };
    for (arn, name) in channels
        .into_iter()
        .filter(|(_, name)| name.starts_with(&prefix))
    {
        shared
            .remove_via(region_client, Resource::Channel(arn.clone()))
            .await;
        lock(&shared.cleanup_failures).push(format!(
            "channel {name} ({arn}) was left by a session in {}; deleted now",
            region_client.region()
        ));
    }
    // Stores a session could not delete while such a channel pointed at them.
    let stores = account::list_stores(&client).await.unwrap_or_default();
    for (arn, name) in stores {
        // ListEventDataStores no longer carries Status (the model's list
        // shape): a store already pending deletion answers its delete as
        // gone, so every store of the run is simply deleted again.
        if name.starts_with(&prefix) {
            shared
                .remove_via(region_client, Resource::Store(arn.to_string()))
                .await;
        }
    }
}

/// Findings shrunk and exported at most; the rest are reported as found.
const MAX_SHRUNK: usize = 10;

async fn shrink_and_export(
    shared: &RunContext,
    raw: Vec<RawFinding>,
    options: &FuzzOptions,
) -> Vec<Finding> {
    let mut findings: Vec<Finding> = Vec::new();
    let mut keys = Vec::new();
    if let Some(out) = &options.out {
        let _ = std::fs::create_dir_all(out);
    }
    for (n, raw) in raw.into_iter().enumerate() {
        // Same class and answer on a superset of a shrunk finding's rules:
        // the same fault seen through more broken rules; shrinking would
        // only find it again.
        let explained = findings.iter_mut().find(|f| {
            f.class == raw.deviation.class
                && f.actual == raw.deviation.actual
                && f.rules
                    .iter()
                    .all(|r| raw.deviation.rules.iter().any(|x| x.as_str() == r))
        });
        if let Some(known) = explained {
            known.occurrences += raw.occurrences;
            continue;
        }
        let literal = format!("ctf-{}-", &base_code(raw.session)[..6]);
        let mut replayer = LiveReplayer {
            shared,
            partners: partners_for(raw.worker, shared.jobs),
            next_session: 1_000_000 + (n as u64) * 10_000,
            literal_prefix: literal,
            stop_at: shared.hard_end,
        };
        let in_time = shared.hard_end.is_none_or(|end| Instant::now() < end);
        let budget = if n < MAX_SHRUNK && in_time {
            options.shrink_budget
        } else {
            1
        };
        let shrunk = shrink::shrink(&mut replayer, raw.steps.clone(), &raw.deviation, budget).await;
        let (deviation, records) = match shrunk.record {
            Some(record) => record,
            None => {
                // Not reproduced (or out of time): export the steps as
                // found, one replay's record.
                replayer.stop_at = None;
                match replayer.replay(&raw.steps).await {
                    Some((_, records)) => (raw.deviation.clone(), records),
                    None => (raw.deviation.clone(), Vec::new()),
                }
            }
        };
        let key = finding_key(&deviation);
        if let Some(at) = keys.iter().position(|k| *k == key) {
            let known: &mut Finding = &mut findings[at];
            known.occurrences += raw.occurrences;
            continue;
        }
        keys.push(key);
        findings.push(export_finding(
            shared,
            options,
            &raw,
            deviation,
            &records,
            &shrunk.steps,
            shrunk.replays,
        ));
    }
    findings
}

fn export_finding(
    shared: &RunContext,
    options: &FuzzOptions,
    raw: &RawFinding,
    deviation: Deviation,
    records: &[ExportStep],
    shrunk: &[PlannedCall],
    replays: usize,
) -> Finding {
    let steps_shrunk = shrunk.len();
    let rules: Vec<String> = deviation.rules.iter().map(|r| r.to_string()).collect();
    let rule_part = if rules.is_empty() {
        "ok".to_string()
    } else {
        rules.join("-").to_lowercase()
    };
    let name = format!(
        "fuzz-{rule_part}-{}",
        &base_code(shared.seed ^ raw.session.wrapping_mul(31) ^ replays as u64)[..8]
    );
    let operation = records
        .last()
        .map(|r| r.live.operation.clone())
        .unwrap_or_default();
    let description = format!(
        "A {operation} the fuzzer found answered {} where the contract allows {}.",
        deviation.actual, deviation.expected
    );
    let notes = vec![
        format!(
            "Found by `ctconform fuzz --seed {}` (session {}), shrunk from {} to {} steps.",
            shared.seed,
            raw.session,
            raw.steps.len(),
            steps_shrunk
        ),
        format!(
            "The endpoint answered {}: {}",
            deviation.actual, deviation.reason
        ),
        format!("Acceptable: {}.", deviation.expected),
    ];
    // The scenario format sends one request at a time: a group sent at once
    // is written one call after another, each judged against the calls
    // before it, which a race does not reproduce.
    let raced: Vec<String> = groups(shrunk)
        .into_iter()
        .filter(|group| group.len() > 1)
        .map(|group| format!("{}-{}", group.start + 1, group.end))
        .collect();
    let raced = (!raced.is_empty()).then(|| {
        format!(
            "Steps {} were sent at once (a concurrent group); this scenario sends them one \
             after another in that order, so it may pass where the race still fails: replay \
             the finding with `ctconform fuzz --seed {}`.",
            raced.join(", "),
            shared.seed
        )
    });
    let notes: Vec<String> = notes
        .into_iter()
        .chain(raced)
        .chain(
            deviation
                .broken
                .iter()
                .map(|broken| format!("Broken rule {broken}.")),
        )
        .collect();
    let header = FindingHeader {
        name: &name,
        description: &description,
        notes: &notes,
    };
    let scenario = export::scenario_toml(&header, records);
    let curl = records
        .last()
        .map(|r| crate::wire::curl_command(&shared.config, &r.live))
        .unwrap_or_default();
    let mut scenario_path = None;
    if let Some(out) = &options.out {
        let path = out.join(format!("{name}.toml"));
        if std::fs::write(&path, &scenario).is_ok() {
            scenario_path = Some(path);
        }
        let _ = std::fs::write(
            out.join(format!("{name}.curl")),
            export::curl_script(&shared.config, records),
        );
    }
    Finding {
        class: deviation.class,
        rules,
        broken: deviation.broken,
        expected: deviation.expected,
        actual: deviation.actual,
        reason: deviation.reason,
        occurrences: raw.occurrences,
        session: raw.session,
        steps_found: raw.steps.len(),
        steps_shrunk,
        replays,
        curl,
        scenario,
        scenario_path,
    }
}
