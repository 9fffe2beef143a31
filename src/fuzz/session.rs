//! Driving one session: the shared fixtures every session may point at,
//! and the [`Driver`] that renders each step against what the session has
//! created so far, asks the contract's [`Oracle`] what may come back, and
//! judges what did ([`CaseVerdict`]). Transport-free: the live runner sends over
//! HTTP, the in-process target calls the emulator's `answer_read`, and both
//! go through this one judge.

use std::time::Duration;

use http::HeaderMap;
use serde_json::{json, Value};

use super::plan::{groups, PlannedCall, PlannedRegion, Session};
use super::render::{call_parts, render, var, CallParts, Handle, Namespace, Resources};
use crate::account::{fixture_store_request, FixtureError, FixtureRole, Resource};
use crate::contract::shapes::{self, StoreStatus, PARTNER_SOURCES};
use crate::contract::{
    read_call, Acceptable, Identity, Limits, Operation, Oracle, ReadCall, Region,
    RequestedOperation, RuleId, Store,
};
use crate::emulator;
use crate::scenario::vars::{
    FIXTURE_EDS_INTEGRATION, FIXTURE_EDS_INTEGRATION_ID, FIXTURE_EDS_MANAGEMENT,
    FIXTURE_EDS_PENDING,
};
use crate::wire::{json_response, Fault, Received, Request};

/// The event data stores the runner makes before any session, shared by all.
#[derive(Clone, Debug)]
pub struct SessionFixtures {
    pub identity: Identity,
    pub integration: Handle,
    pub management: Handle,
    pub pending: Handle,
    /// An oracle that knows the three stores, cloned for every session.
    pub template: Oracle,
    /// An ENABLED ActivityAuditLog store of the second Region, so that
    /// channels can be made there too; `None`: none (given fixtures), and
    /// only stores the session makes there can take a channel.
    pub second_integration: Option<SecondStore>,
}

/// A store of the second Region, as made and as the model knows it.
#[derive(Clone, Debug)]
pub struct SecondStore {
    pub handle: Handle,
    pub store: Store,
}

/// The scenario variable an exported finding captures the second Region's
/// store in (its setup makes one).
pub const SECOND_STORE_VAR: &str = "eds_region2";

/// Pre-created fixture stores, by ARN (as `ctconform run` takes them:
/// `--var fixture.eds_integration=ARN` and so on): a run that is given
/// them creates and deletes none, which keeps a shared account's 10-store
/// quota for the sessions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GivenFixtures {
    /// An ENABLED store of category ActivityAuditLog.
    pub integration: String,
    /// A store of another category.
    pub management: String,
    /// An ActivityAuditLog store pending deletion.
    pub pending: String,
}

impl GivenFixtures {
    /// The scenario variables that name them, as `ctconform run` spells them.
    pub const VARIABLES: [&'static str; 3] = [
        FIXTURE_EDS_INTEGRATION,
        FIXTURE_EDS_MANAGEMENT,
        FIXTURE_EDS_PENDING,
    ];

    /// From `--var` pairs: all three or none; any other variable is an error.
    pub fn from_vars(vars: &[(String, String)]) -> Result<Option<GivenFixtures>, SetupError> {
        if let Some((unknown, _)) = vars
            .iter()
            .find(|(name, _)| !Self::VARIABLES.contains(&name.as_str()))
        {
            return Err(SetupError::UnknownVariable(unknown.clone()));
        }
        let value = |name: &str| {
            vars.iter()
                .rev()
                .find(|(key, _)| key == name)
                .map(|(_, value)| value.clone())
        };
        match Self::VARIABLES.map(value) {
            [None, None, None] => Ok(None),
            [Some(integration), Some(management), Some(pending)] => Ok(Some(GivenFixtures {
                integration,
                management,
                pending,
            })),
            _ => Err(SetupError::NotAllGiven),
        }
    }

    /// GetEventDataStore for each, in the order of `SessionFixtures::from_given`.
    pub fn describe_requests(&self) -> [Request; 3] {
        [&self.integration, &self.management, &self.pending]
            .map(|arn| Request::json("GetEventDataStore", json!({ "EventDataStore": arn })))
    }
}

/// The three fixture stores to create: integration, wrong category, and
/// one to delete at once (pending deletion). Protection off: the run
/// deletes them at the end.
pub fn fixture_creates(prefix: &str) -> [Request; 3] {
    [
        fixture_store_request(&format!("{prefix}fx-int"), true),
        fixture_store_request(&format!("{prefix}fx-mgmt"), false),
        fixture_store_request(&format!("{prefix}fx-pend"), true),
    ]
}

/// The ARN a success body names under `member`, if it is one of `resource`.
pub fn created_arn(outcome: &Received, member: &str, resource: &str) -> Option<Handle> {
    let response = outcome.response()?;
    if !(200..300).contains(&response.status) {
        return None;
    }
    let arn = response.json.as_ref().ok()?.get(member)?.as_str()?;
    let id = shapes::parse_arn(arn, resource)?.id.to_string();
    Some(Handle {
        arn: arn.to_string(),
        id,
    })
}

/// Why the fixture stores cannot be used for sessions: given ones that are
/// not what their variable says, or stores the endpoint would not make or
/// describe. Rendered in one place, below.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SetupError {
    /// `--var` named something other than the fixture variables.
    UnknownVariable(String),
    /// Some fixture variables were given, not all three.
    NotAllGiven,
    /// No store was given.
    NoneGiven,
    /// A given value (for the variable) that is no event data store ARN.
    NotAStoreArn(&'static str, String),
    /// GetEventDataStore of a given store (its variable) failed or did not read.
    Undescribed(&'static str, String),
    /// A given store that does not fit its variable's role.
    Misfit {
        variable: &'static str,
        wanted: &'static str,
        status: String,
        category: String,
    },
    /// The stores could not be created: each answer, briefly.
    NotCreated(Vec<String>),
    /// A created store's ARN does not parse.
    UnreadArn,
    /// A setup exchange (its operation) was refused or unanswered.
    Refused(String, String),
    /// A setup exchange (its operation) diverged from the contract.
    Diverged(String, String),
    /// The stable fixture stores could not be found or made.
    Account(FixtureError),
    /// The second Region's integration store could not be found, made or
    /// used: the Region and why.
    SecondRegion(String, String),
}

impl std::fmt::Display for SetupError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let variables = GivenFixtures::VARIABLES.join(", ");
        match self {
            SetupError::UnknownVariable(name) => {
                write!(
                    f,
                    "ctconform fuzz takes only {variables} as --var, not {name}"
                )
            }
            SetupError::NotAllGiven => {
                write!(f, "give all three fixture stores or none: {variables}")
            }
            SetupError::NoneGiven => write!(f, "no fixture store was given"),
            SetupError::NotAStoreArn(variable, arn) => {
                write!(f, "{variable} {arn:?} is not an event data store ARN")
            }
            SetupError::Undescribed(variable, why) => {
                write!(f, "GetEventDataStore for {variable}: {why}")
            }
            SetupError::Misfit {
                variable,
                wanted,
                status,
                category,
            } => write!(
                f,
                "{variable} must be {wanted}; it is {status} of category {category}"
            ),
            SetupError::NotCreated(answers) => write!(
                f,
                "could not create the fixture event data stores: {}",
                answers.join("; ")
            ),
            SetupError::UnreadArn => write!(f, "the fixture store's ARN does not parse"),
            SetupError::Refused(operation, why) | SetupError::Diverged(operation, why) => {
                write!(f, "fixture {operation}: {why}")
            }
            SetupError::Account(error) => write!(f, "{error}"),
            SetupError::SecondRegion(region, why) => {
                write!(f, "the integration store in {region}: {why}")
            }
        }
    }
}

impl std::error::Error for SetupError {}

impl From<FixtureError> for SetupError {
    fn from(error: FixtureError) -> SetupError {
        SetupError::Account(error)
    }
}

impl SessionFixtures {
    /// Learns the identity from the first store's ARN and replays the four
    /// setup exchanges (three creates, one delete) through a fresh oracle,
    /// which must find each one a conforming success.
    pub fn from_exchanges(
        exchanges: &[(Request, Received)],
    ) -> Result<SessionFixtures, SetupError> {
        let handles: Vec<Option<Handle>> = exchanges
            .iter()
            .take(3)
            .map(|(_, outcome)| created_arn(outcome, "EventDataStoreArn", "eventdatastore"))
            .collect();
        let [Some(integration), Some(management), Some(pending)] = handles.as_slice() else {
            let answers: Vec<String> = exchanges.iter().map(|(_, o)| describe(o)).collect();
            return Err(SetupError::NotCreated(answers));
        };
        let parsed =
            shapes::parse_arn(&integration.arn, "eventdatastore").ok_or(SetupError::UnreadArn)?;
        let identity = Identity::of(&parsed);
        let mut oracle = Oracle::new(Region::new(identity.clone(), session_limits()));
        for (request, outcome) in exchanges {
            let parts = call_parts(request);
            let expected = oracle.expect(&parts.call(request));
            let operation = || request.operation.clone();
            let response = outcome
                .response()
                .ok_or_else(|| SetupError::Refused(operation(), describe(outcome)))?;
            let body = response.json.as_ref().ok();
            oracle
                .observe(
                    &expected,
                    response.status,
                    response.error_code.as_deref(),
                    body,
                )
                .map_err(|d| SetupError::Diverged(operation(), d.to_string()))?;
            if !(200..300).contains(&response.status) {
                return Err(SetupError::Refused(operation(), describe(outcome)));
            }
        }
        Ok(SessionFixtures {
            identity,
            integration: integration.clone(),
            management: management.clone(),
            pending: pending.clone(),
            template: oracle,
            second_integration: None,
        })
    }

    /// Takes pre-created stores from their GetEventDataStore answers (in
    /// the order of [`GivenFixtures::describe_requests`]); each must fit its
    /// role, or the rules it stands for would be judged against the wrong store.
    pub fn from_given(
        given: &GivenFixtures,
        answers: &[Received; 3],
    ) -> Result<SessionFixtures, SetupError> {
        let arns = [&given.integration, &given.management, &given.pending];
        let mut stores = Vec::new();
        let mut handles = Vec::new();
        // The integration store's, as for fixtures a run makes.
        let mut identity = None;
        for ((arn, outcome), variable) in arns.iter().zip(answers).zip(GivenFixtures::VARIABLES) {
            let parsed = shapes::parse_arn(arn, "eventdatastore")
                .ok_or_else(|| SetupError::NotAStoreArn(variable, arn.to_string()))?;
            let undescribed = |why: String| SetupError::Undescribed(variable, why);
            let response = outcome
                .response()
                .filter(|r| (200..300).contains(&r.status))
                .ok_or_else(|| undescribed(describe(outcome)))?;
            let body = response
                .json
                .as_ref()
                .map_err(|_| undescribed("the answer is not JSON".into()))?;
            let store =
                Store::described(parsed.id, body).map_err(|e| undescribed(e.to_string()))?;
            identity.get_or_insert_with(|| Identity::of(&parsed));
            handles.push(Handle {
                arn: arn.to_string(),
                id: parsed.id.to_string(),
            });
            stores.push(store);
        }
        // The roles the runner's fixtures check, in the same order.
        for ((role, variable), store) in FixtureRole::ALL
            .into_iter()
            .zip(GivenFixtures::VARIABLES)
            .zip(&stores)
        {
            if let Some(wanted) = role.misfit(store) {
                return Err(SetupError::Misfit {
                    variable,
                    wanted,
                    status: store.status.as_str().to_string(),
                    category: store.category.clone(),
                });
            }
        }
        let identity = identity.ok_or(SetupError::NoneGiven)?;
        let mut region = Region::new(identity.clone(), session_limits());
        region.stores = stores;
        let [integration, management, pending] = [&handles[0], &handles[1], &handles[2]];
        Ok(SessionFixtures {
            identity,
            integration: integration.clone(),
            management: management.clone(),
            pending: pending.clone(),
            template: Oracle::new(region),
            second_integration: None,
        })
    }

    /// With the second Region's store, from its ARN and GetEventDataStore
    /// answer body.
    pub fn with_second_integration(
        mut self,
        region: &str,
        arn: &str,
        body: &Value,
    ) -> Result<SessionFixtures, SetupError> {
        let unusable = |why: String| SetupError::SecondRegion(region.to_string(), why);
        let parsed = shapes::parse_arn(arn, "eventdatastore")
            .ok_or_else(|| unusable(format!("its store {arn:?} is no store ARN")))?;
        let store = Store::described(parsed.id, body)
            .map_err(|why| unusable(format!("its store: {why}")))?;
        if store.status != StoreStatus::Enabled || store.category != shapes::ACTIVITY_AUDIT_LOG {
            return Err(unusable(format!(
                "its store {arn} is {} of category {}",
                store.status.as_str(),
                store.category
            )));
        }
        self.second_integration = Some(SecondStore {
            handle: Handle {
                arn: arn.to_string(),
                id: parsed.id.to_string(),
            },
            store,
        });
        Ok(self)
    }

    fn resources(&self, partners: Vec<&'static str>) -> Resources {
        Resources {
            identity: self.identity.clone(),
            integration: self.integration.clone(),
            management: self.management.clone(),
            pending: self.pending.clone(),
            channels: Vec::new(),
            channel_names: Vec::new(),
            stores: Vec::new(),
            store_names: Vec::new(),
            partners,
        }
    }
}

/// Quotas are account-wide while the oracle sees one session: the runner
/// judges quota refusals itself (see `CaseVerdict::Exhausted`).
fn session_limits() -> Limits {
    Limits {
        channel_quota: usize::MAX,
        store_quota: usize::MAX,
        extra_sources: Vec::new(),
    }
}

/// The resources as scenario variables, for the exporter.
fn template_resources(partners: Vec<&'static str>) -> Resources {
    let both = |name: &str, id: &str| Handle {
        arn: var(name),
        id: var(id),
    };
    Resources {
        identity: Identity {
            partition: var("partition"),
            region: var("region"),
            account: var("account"),
        },
        integration: both(FIXTURE_EDS_INTEGRATION, FIXTURE_EDS_INTEGRATION_ID),
        // No id variables for these two: the ARN stands in.
        management: both(FIXTURE_EDS_MANAGEMENT, FIXTURE_EDS_MANAGEMENT),
        pending: both(FIXTURE_EDS_PENDING, FIXTURE_EDS_PENDING),
        channels: Vec::new(),
        channel_names: Vec::new(),
        stores: Vec::new(),
        store_names: Vec::new(),
        partners,
    }
}

/// The partner sources worker `worker` of `workers` may use: C2 allows one
/// channel per partner source account-wide, so workers split them.
pub fn partners_for(worker: usize, workers: usize) -> Vec<&'static str> {
    PARTNER_SOURCES
        .iter()
        .enumerate()
        .filter(|(i, _)| i % workers.max(1) == worker)
        .map(|(_, p)| *p)
        .collect()
}

/// How an answer diverged.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub enum Class {
    /// A success where the contract requires a refusal.
    UnexpectedSuccess,
    /// A success whose body is not what the contract says.
    BadSuccess,
    /// A 4xx with a code (or status) outside the acceptable set.
    WrongError,
    /// A 5xx.
    ServerError,
    /// Some other status (1xx, 3xx).
    WrongStatus,
    /// No complete HTTP answer.
    Transport,
}

/// One divergence, as found.
#[derive(Clone, Debug, PartialEq)]
pub struct Deviation {
    pub class: Class,
    /// The contract rules the request breaks (from the acceptable set).
    pub rules: Vec<RuleId>,
    /// Each broken rule with what broke it (`N2: Name has 2 characters, ...`),
    /// so a reader can check the harness's reasoning as well as the endpoint.
    pub broken: Vec<String>,
    /// `Acceptable::describe` of what would have conformed.
    pub expected: String,
    /// What came back, briefly: `200`, `400 FooException`, `fault: timeout`.
    pub actual: String,
    /// Why it does not conform.
    pub reason: String,
}

/// What one answer means.
#[derive(Clone, Debug, PartialEq)]
pub enum CaseVerdict {
    Conform,
    /// A quota refusal the session's oracle could not foresee because other
    /// sessions share the quota; the state is unchanged.
    Exhausted,
    /// The request was never sent (the client refused to build it).
    NotSent,
    /// A concurrent group's answers fit orders leaving more states than
    /// the session keeps (`MAX_MODELS`): not judged further.
    Open,
    Diverged(Deviation),
}

/// A step ready to send: the request, its scenario-variable twin, and what
/// may come back.
#[derive(Clone, Debug)]
pub struct Prepared {
    pub request: Request,
    /// The Region it is signed for and judged in.
    pub region: PlannedRegion,
    /// The request with scenario variables, when the driver renders them.
    pub template: Option<Request>,
    pub parts: CallParts,
    pub expected: Acceptable,
}

impl Prepared {
    /// The contract's reading of the request.
    pub fn read(&self) -> ReadCall<'_> {
        read_call(&self.parts.call(&self.request))
    }

    /// The step as the exporter writes it, once its answer is in; without
    /// a rendered template the live request stands in.
    pub fn recorded(self, outcome: &Received, capture: Option<CreatedVar>) -> ExportStep {
        let template = self.template.unwrap_or_else(|| self.request.clone());
        ExportStep {
            region: self.region,
            live: self.request,
            template,
            expected: self.expected,
            status: outcome.status(),
            capture,
        }
    }
}

/// One step of a finding as replayed: what was sent (live and as
/// variables), what the oracle allowed, and what came back.
#[derive(Clone, Debug)]
pub struct ExportStep {
    /// The Region the step was sent to: the second one is written
    /// `region = "${region2}"`, as the scenarios name it.
    pub region: PlannedRegion,
    pub live: Request,
    pub template: Request,
    pub expected: Acceptable,
    /// The status answered, when an HTTP answer came.
    pub status: Option<u16>,
    pub capture: Option<CreatedVar>,
}

/// What a settled step created, as a variable for the exporter to capture.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CreatedVar {
    pub var: String,
    pub member: &'static str,
    /// The Region it was made in.
    pub region: PlannedRegion,
}

/// What the endpoint must hold, as far as a session knows: one oracle per
/// Region (state is per account and Region, contract sections 4 and 5), so
/// a resource of one Region named in the other is foreign to that one's
/// model, and names, partner sources and quotas count per Region.
#[derive(Clone, Debug)]
pub struct Model {
    home: Oracle,
    second: Oracle,
}

impl Model {
    pub fn oracle(&self, region: PlannedRegion) -> &Oracle {
        match region {
            PlannedRegion::Home => &self.home,
            PlannedRegion::Second => &self.second,
        }
    }

    fn oracle_mut(&mut self, region: PlannedRegion) -> &mut Oracle {
        match region {
            PlannedRegion::Home => &mut self.home,
            PlannedRegion::Second => &mut self.second,
        }
    }

    /// The same channels and stores in both Regions.
    fn same_state(&self, other: &Model) -> bool {
        [(&self.home, &other.home), (&self.second, &other.second)]
            .iter()
            .all(|(a, b)| {
                a.region().channels == b.region().channels && a.region().stores == b.region().stores
            })
    }
}

/// Most models a session keeps at once. Concurrent groups whose orders all
/// conform but leave different states keep one model per state; past this
/// many, a session ends its judging (`CaseVerdict::Open`) rather than guess.
pub const MAX_MODELS: usize = 16;

/// How a group of calls sent at once was judged.
#[derive(Clone, Debug)]
pub struct GroupSettled {
    pub verdict: CaseVerdict,
    /// What each member created, in the group's order.
    pub captures: Vec<Option<CreatedVar>>,
    /// Each member's acceptable set when the group is replayed one call
    /// after another in its own order (what an exported scenario can say).
    pub sequential: Vec<Acceptable>,
}

/// Every order of `n` calls.
fn orders(n: usize) -> Vec<Vec<usize>> {
    if n <= 1 {
        return vec![(0..n).collect()];
    }
    let mut out = Vec::new();
    for first in 0..n {
        for rest in orders(n - 1) {
            let mut order = vec![first];
            order.extend(rest.into_iter().map(|i| if i >= first { i + 1 } else { i }));
            out.push(order);
        }
    }
    out
}

/// The Region a call goes to, by name, for reports.
pub fn region_label(region: PlannedRegion) -> &'static str {
    match region {
        PlannedRegion::Home => "the run's Region",
        PlannedRegion::Second => "region2",
    }
}

/// Runs one session's steps through the oracle, tracking what it made.
#[derive(Clone, Debug)]
pub struct Driver {
    /// The states the endpoint may be in: one, unless a concurrent group's
    /// answers fit orders that leave different states; a later answer is
    /// judged against each, and those it fits are kept.
    models: Vec<Model>,
    /// Who the second Region's resources belong to (live and template).
    second_identity: Identity,
    second_template_identity: Identity,
    /// The second Region's integration store (live and template), which a
    /// call to that Region names where one to the run's names the fixture.
    second_integration: Option<(Handle, Handle)>,
    /// The Region each channel and store of `live` was created in.
    channel_regions: Vec<PlannedRegion>,
    store_regions: Vec<PlannedRegion>,
    ns: Namespace,
    live: Resources,
    template_ns: Namespace,
    template: Resources,
    /// Whether `prepare` also renders the scenario-variable twin (only the
    /// exporter needs it; in-process fuzzing skips it for speed).
    render_templates: bool,
}

impl Driver {
    pub fn new(fixtures: &SessionFixtures, ns: Namespace, partners: Vec<&'static str>) -> Driver {
        let template_ns = Namespace {
            fresh_prefix: format!("ctf-{}-", var("run_id")),
            exact_prefix: ns.exact_prefix.clone(),
            short_code: ns.short_code.clone(),
        };
        let second_identity = Identity {
            region: crate::account::second_region(&fixtures.identity.region).to_string(),
            ..fixtures.identity.clone()
        };
        let template = template_resources(partners.clone());
        let second_template_identity = Identity {
            region: var("region2"),
            ..template.identity.clone()
        };
        let mut second_region = Region::new(second_identity.clone(), session_limits());
        let second_integration = fixtures.second_integration.as_ref().map(|second| {
            second_region.stores.push(second.store.clone());
            let template = Handle {
                arn: var(SECOND_STORE_VAR),
                id: var(SECOND_STORE_VAR),
            };
            (second.handle.clone(), template)
        });
        let second = Oracle::new(second_region);
        Driver {
            models: vec![Model {
                home: fixtures.template.clone(),
                second,
            }],
            second_identity,
            second_template_identity,
            second_integration,
            channel_regions: Vec::new(),
            store_regions: Vec::new(),
            live: fixtures.resources(partners),
            template,
            ns,
            template_ns,
            render_templates: true,
        }
    }

    /// Skips rendering scenario twins (`Prepared::template` is then `None`):
    /// only the exporter needs them.
    pub fn without_templates(mut self) -> Driver {
        self.render_templates = false;
        self
    }

    /// Uses other literal texts for exact-length names in scenario renders.
    pub fn with_template_literals(mut self, exact_prefix: String, short_code: String) -> Driver {
        self.template_ns.exact_prefix = exact_prefix;
        self.template_ns.short_code = short_code;
        self
    }

    pub fn prepare(&mut self, step: &PlannedCall) -> Prepared {
        self.prepare_and(step, |_| ()).0
    }

    /// As [`Driver::prepare`], and hands the contract's reading of the
    /// request to `also` as well: the in-process emulator answers from the
    /// same reading as the oracle, which borrows the rendered body rather
    /// than copying it.
    pub fn prepare_and<T>(
        &mut self,
        step: &PlannedCall,
        also: impl FnOnce(&ReadCall<'_>) -> T,
    ) -> (Prepared, T) {
        // A call to the second Region names that Region in the ARNs it
        // makes up (unknown, another Region's); the resources the session
        // made are named as made, whichever Region the call goes to.
        let second = step.region == PlannedRegion::Second;
        if second {
            self.swap_identities();
        }
        let request = render(step, &self.ns, &self.live);
        let template = self
            .render_templates
            .then(|| render(step, &self.template_ns, &self.template));
        if second {
            self.swap_identities();
        }
        let parts = call_parts(&request);
        let (expected, also) = {
            let read = read_call(&parts.call(&request));
            (
                self.models[0].oracle(step.region).expect_read(&read),
                also(&read),
            )
        };
        let prepared = Prepared {
            region: step.region,
            request,
            template,
            parts,
            expected,
        };
        (prepared, also)
    }

    fn swap_identities(&mut self) {
        std::mem::swap(&mut self.live.identity, &mut self.second_identity);
        std::mem::swap(
            &mut self.template.identity,
            &mut self.second_template_identity,
        );
        if let Some((live, template)) = &mut self.second_integration {
            std::mem::swap(&mut self.live.integration, live);
            std::mem::swap(&mut self.template.integration, template);
        }
    }

    /// Channels the endpoint said it created (conforming or not), for cleanup.
    pub fn channels(&self) -> &[Handle] {
        &self.live.channels
    }

    pub fn stores(&self) -> &[Handle] {
        &self.live.stores
    }

    /// The Region each of [`Driver::channels`] was created in.
    pub fn channel_regions(&self) -> &[PlannedRegion] {
        &self.channel_regions
    }

    /// The Region each of [`Driver::stores`] was created in.
    pub fn store_regions(&self) -> &[PlannedRegion] {
        &self.store_regions
    }

    /// The states the endpoint may be in now (at least one).
    pub fn models(&self) -> &[Model] {
        &self.models
    }

    /// Judges the answer to `prepared` and follows the state. `quota_full`
    /// says whether the account may be at its quota for that operation in
    /// the call's Region.
    pub fn settle(
        &mut self,
        prepared: &Prepared,
        outcome: &Received,
        quota_full: impl Fn(Operation) -> bool,
    ) -> (CaseVerdict, Option<CreatedVar>) {
        if let Err(Fault::Client(_)) = &outcome.result {
            return (CaseVerdict::NotSent, None);
        }
        let capture = self.track_created(prepared, outcome);
        let region = prepared.region;
        let mut first_divergence = None;
        let mut accepted = None;
        let mut fits = Vec::with_capacity(self.models.len());
        for (index, model) in self.models.iter_mut().enumerate() {
            // The first model's set was read in `prepare`.
            let here;
            let expected = if index == 0 {
                &prepared.expected
            } else {
                here = model.oracle(region).expect_read(&prepared.read());
                &here
            };
            let verdict = judge(model.oracle_mut(region), expected, outcome, &quota_full);
            let fit = matches!(verdict, CaseVerdict::Conform | CaseVerdict::Exhausted);
            fits.push(fit);
            if fit {
                accepted.get_or_insert(verdict);
            } else {
                first_divergence.get_or_insert(verdict);
            }
        }
        match accepted {
            Some(verdict) => {
                // A model that refused the answer is not the endpoint's state.
                let mut fit = fits.into_iter();
                self.models.retain(|_| fit.next().unwrap_or(false));
                (verdict, capture)
            }
            // Nothing fits: every model is left as it was (a refused answer
            // moves none).
            None => (first_divergence.unwrap_or(CaseVerdict::NotSent), capture),
        }
    }

    /// Settles one call, or a group sent at once, and records it as the
    /// exporter writes it: a group one call after another, each with the
    /// set its place in the matching order allows.
    pub fn settle_recorded(
        &mut self,
        prepared: Vec<Prepared>,
        outcomes: &[Received],
        quota_full: impl Fn(Operation, PlannedRegion) -> bool,
    ) -> (CaseVerdict, Vec<ExportStep>) {
        if let [single] = prepared.as_slice() {
            let region = single.region;
            let (verdict, capture) = self.settle(single, &outcomes[0], |op| quota_full(op, region));
            return (
                verdict,
                vec![single.clone().recorded(&outcomes[0], capture)],
            );
        }
        let settled = self.settle_group(&prepared, outcomes, quota_full);
        let records = prepared
            .into_iter()
            .zip(outcomes)
            .zip(settled.captures)
            .zip(settled.sequential)
            .map(|(((prepared, outcome), capture), expected)| {
                Prepared {
                    expected,
                    ..prepared
                }
                .recorded(outcome, capture)
            })
            .collect();
        (settled.verdict, records)
    }

    /// Judges the answers to calls sent at once by linearisability: they
    /// conform if some order of them, applied one by one to the model,
    /// makes every answer acceptable to the oracle. The states of every
    /// such order are kept (as many models, the same states merged).
    pub fn settle_group(
        &mut self,
        members: &[Prepared],
        outcomes: &[Received],
        quota_full: impl Fn(Operation, PlannedRegion) -> bool,
    ) -> GroupSettled {
        let captures: Vec<Option<CreatedVar>> = members
            .iter()
            .zip(outcomes)
            .map(|(prepared, outcome)| match &outcome.result {
                Err(Fault::Client(_)) => None,
                _ => self.track_created(prepared, outcome),
            })
            .collect();
        // One after another in the group's own order, on the first model.
        let sequential = {
            let mut model = self.models[0].clone();
            members
                .iter()
                .zip(outcomes)
                .map(|(prepared, outcome)| {
                    let oracle = model.oracle_mut(prepared.region);
                    let expected = oracle.expect_read(&prepared.read());
                    let _ = judge(oracle, &expected, outcome, &|op| {
                        quota_full(op, prepared.region)
                    });
                    expected
                })
                .collect()
        };
        // Calls the client never sent are no part of the race.
        let sent: Vec<usize> = (0..members.len())
            .filter(|&i| !matches!(outcomes[i].result, Err(Fault::Client(_))))
            .collect();
        let mut next: Vec<Model> = Vec::new();
        // The order that went furthest before an answer did not fit.
        let mut furthest: Option<(usize, Vec<usize>, Deviation)> = None;
        for model in &self.models {
            for order in orders(sent.len()) {
                let order: Vec<usize> = order.into_iter().map(|i| sent[i]).collect();
                let mut state = model.clone();
                let mut failed = None;
                for (position, &member) in order.iter().enumerate() {
                    let prepared = &members[member];
                    let oracle = state.oracle_mut(prepared.region);
                    let expected = oracle.expect_read(&prepared.read());
                    let verdict = judge(oracle, &expected, &outcomes[member], &|op| {
                        quota_full(op, prepared.region)
                    });
                    if let CaseVerdict::Diverged(deviation) = verdict {
                        failed = Some((position, deviation));
                        break;
                    }
                }
                match failed {
                    None => {
                        if !next.iter().any(|kept| kept.same_state(&state)) {
                            next.push(state);
                        }
                    }
                    Some((position, deviation)) => {
                        if furthest.as_ref().is_none_or(|(p, _, _)| position > *p) {
                            furthest = Some((position, order.clone(), deviation));
                        }
                    }
                }
            }
        }
        let verdict = if !next.is_empty() {
            if next.len() > MAX_MODELS {
                CaseVerdict::Open
            } else {
                self.models = next;
                CaseVerdict::Conform
            }
        } else if let Some((position, order, mut deviation)) = furthest {
            let calls: Vec<String> = members
                .iter()
                .enumerate()
                .map(|(i, p)| {
                    format!(
                        "{} {} in {}",
                        i + 1,
                        p.request.operation,
                        region_label(p.region)
                    )
                })
                .collect();
            let failing = order[position] + 1;
            let order: Vec<String> = order.iter().map(|i| (i + 1).to_string()).collect();
            deviation.reason = format!(
                "{} calls sent at once ({}): no order of them conforms; the order {} fits \
                 furthest and call {failing} fails there: {}",
                members.len(),
                calls.join(", "),
                order.join(", "),
                deviation.reason
            );
            CaseVerdict::Diverged(deviation)
        } else {
            CaseVerdict::NotSent
        };
        GroupSettled {
            verdict,
            captures,
            sequential,
        }
    }

    /// Records a resource the endpoint says it created (any 2xx create).
    fn track_created(&mut self, prepared: &Prepared, outcome: &Received) -> Option<CreatedVar> {
        let RequestedOperation::Known(operation) = prepared.parts.operation else {
            return None;
        };
        let (member, resource, prefix) = match operation {
            Operation::CreateChannel => ("ChannelArn", "channel", "ch"),
            Operation::CreateEventDataStore => ("EventDataStoreArn", "eventdatastore", "eds"),
            _ => return None,
        };
        let handle = created_arn(outcome, member, resource)?;
        let name = |request: &Request| match &request.body {
            crate::wire::RequestBody::Json(body) => body
                .get("Name")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            crate::wire::RequestBody::Raw(_) => String::new(),
        };
        let (live_list, live_names, template_list, template_names, regions) = if prefix == "ch" {
            (
                &mut self.live.channels,
                &mut self.live.channel_names,
                &mut self.template.channels,
                &mut self.template.channel_names,
                &mut self.channel_regions,
            )
        } else {
            (
                &mut self.live.stores,
                &mut self.live.store_names,
                &mut self.template.stores,
                &mut self.template.store_names,
                &mut self.store_regions,
            )
        };
        // Both lists grow together, so the live count names the variable.
        let var_name = format!("{prefix}{}", live_list.len());
        live_list.push(handle);
        regions.push(prepared.region);
        live_names.push(name(&prepared.request));
        if let Some(template) = &prepared.template {
            // Scenarios cannot cut an id out of a captured ARN: the ARN stands in.
            template_list.push(Handle {
                arn: var(&var_name),
                id: var(&var_name),
            });
            template_names.push(name(template));
        }
        Some(CreatedVar {
            var: var_name,
            member,
            region: prepared.region,
        })
    }
}

/// One answer against one oracle: conforming (the oracle follows it), a
/// quota refusal others may have caused, or a divergence.
fn judge(
    oracle: &mut Oracle,
    expected: &Acceptable,
    outcome: &Received,
    quota_full: &impl Fn(Operation) -> bool,
) -> CaseVerdict {
    let response = match &outcome.result {
        Err(Fault::Client(_)) => return CaseVerdict::NotSent,
        Err(fault) => {
            let deviation = deviation(
                Class::Transport,
                expected,
                format!("fault: {}", fault.kind()),
                fault.to_string(),
            );
            return CaseVerdict::Diverged(deviation);
        }
        Ok(response) => response,
    };
    let status = response.status;
    let code = response.error_code.as_deref();
    let actual = match code {
        Some(code) => format!("{status} {code}"),
        None => status.to_string(),
    };
    let body = response.json.as_ref().ok();
    if status >= 500 {
        let preview =
            String::from_utf8_lossy(&response.body[..response.body.len().min(200)]).into_owned();
        let reason = format!("answered {actual}: {preview}");
        return CaseVerdict::Diverged(deviation(Class::ServerError, expected, actual, reason));
    }
    match oracle.observe(expected, status, code, body) {
        // A success is also its header (contract section 1): without a
        // request id an SDK's answer carries none.
        Ok(())
            if (200..300).contains(&status)
                && response.request_id.as_deref().is_none_or(str::is_empty) =>
        {
            let reason = "a success with no `x-amzn-RequestId` header".to_string();
            let mut deviation = deviation(Class::BadSuccess, expected, actual, reason);
            deviation.rules.push(RuleId::P3);
            CaseVerdict::Diverged(deviation)
        }
        Ok(()) => CaseVerdict::Conform,
        Err(_) if is_quota_refusal(expected, code, quota_full) => CaseVerdict::Exhausted,
        Err(divergence) => {
            let class = match status {
                200..=299 if expected.success.is_some() => Class::BadSuccess,
                200..=299 => Class::UnexpectedSuccess,
                400..=499 => Class::WrongError,
                _ => Class::WrongStatus,
            };
            CaseVerdict::Diverged(deviation(class, expected, actual, divergence.reason))
        }
    }
}

/// A quota error on a create the oracle let succeed, while the account-wide
/// count may be at the quota: other sessions' doing, not a divergence.
fn is_quota_refusal(
    expected: &Acceptable,
    code: Option<&str>,
    quota_full: &impl Fn(Operation) -> bool,
) -> bool {
    let Some(success) = &expected.success else {
        return false;
    };
    let quota_code = match success.operation {
        Operation::CreateChannel => "ChannelMaxLimitExceededException",
        Operation::CreateEventDataStore => "EventDataStoreMaxLimitExceededException",
        _ => return false,
    };
    code == Some(quota_code) && quota_full(success.operation)
}

fn deviation(class: Class, expected: &Acceptable, actual: String, reason: String) -> Deviation {
    Deviation {
        class,
        rules: expected.rules.clone(),
        broken: expected
            .details
            .iter()
            .map(|(rule, detail)| format!("{rule}: {detail}"))
            .collect(),
        expected: expected.describe(),
        actual,
        reason,
    }
}

/// The rules a case exercised: those it breaks, or for a request that may
/// succeed, the success rule it checks.
pub fn exercised(expected: &Acceptable) -> Vec<RuleId> {
    let mut rules = expected.rules.clone();
    if let Some(success) = &expected.success {
        let rule = match success.operation {
            Operation::CreateChannel => Some(RuleId::OK1),
            Operation::GetChannel | Operation::ListChannels => Some(RuleId::OK2),
            Operation::DeleteChannel => Some(RuleId::OK3),
            Operation::UpdateChannel => Some(RuleId::OP4),
            Operation::CreateEventDataStore => Some(RuleId::OP1),
            Operation::DeleteEventDataStore => Some(RuleId::OP3),
            Operation::StopEventDataStoreIngestion | Operation::StartEventDataStoreIngestion => {
                Some(RuleId::OP2)
            }
            Operation::GetEventDataStore | Operation::ListEventDataStores => None,
        };
        rules.extend(rule.filter(|r| !rules.contains(r)));
    }
    rules
}

use crate::account::describe;

// ------------------------------------------------------------ in process

/// Sends a request to the reference emulator's logic directly: no HTTP.
pub fn answer_in_process(region: &mut Region, request: &Request) -> Received {
    answer_read(region, &read_call(&call_parts(request).call(request)))
}

/// As [`answer_in_process`], for a request already read.
pub fn answer_read(region: &mut Region, read: &ReadCall<'_>) -> Received {
    let (status, body) = emulator::answer_read(region, read);
    let mut headers = HeaderMap::new();
    headers.insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static(crate::protocol::CONTENT_TYPE),
    );
    // The served emulator's HTTP layer adds a request id to every answer.
    headers.insert(
        crate::protocol::HEADER_REQUEST_ID,
        http::HeaderValue::from_static("in-process"),
    );
    Received {
        latency: Duration::ZERO,
        result: Ok(json_response(status, &headers, body)),
    }
}

/// A divergence of the in-process emulator: which step, what was sent,
/// what the oracle allowed, and what came back.
#[derive(Debug)]
pub struct InProcessDivergence {
    pub step: usize,
    pub request: Request,
    pub expected: Acceptable,
    pub deviation: Deviation,
}

/// The reference emulator in process, with the fixtures made: the
/// `contract_oracle` fuzz target's world. Each session starts from a copy.
#[derive(Clone, Debug)]
pub struct InProcess {
    /// The emulator's state of the run's Region and of the second one.
    regions: [Region; 2],
    fixtures: SessionFixtures,
    /// The driver every live session starts from, built once: a session
    /// copies it rather than formatting names and resources anew.
    driver: Driver,
}

/// The driver every in-process session starts from: one namespace and one
/// set of partner sources, so that a recorded run renders the requests
/// `InProcess::run` sent.
fn in_process_driver(fixtures: &SessionFixtures) -> Driver {
    Driver::new(
        fixtures,
        Namespace::session("inproc", 0),
        partners_for(0, 1),
    )
}

fn emulator_region(regions: &mut [Region; 2], region: PlannedRegion) -> &mut Region {
    match region {
        PlannedRegion::Home => &mut regions[0],
        PlannedRegion::Second => &mut regions[1],
    }
}

impl InProcess {
    pub fn new() -> Result<InProcess, SetupError> {
        let account = "123456789012";
        let identity = Identity::new("us-east-1", account);
        let region2 = crate::account::second_region("us-east-1");
        let second = Identity::new(region2, account);
        let mut region = Region::new(identity, Limits::default());
        let mut exchanges = Vec::new();
        for request in fixture_creates("ctf-inproc-") {
            let outcome = answer_in_process(&mut region, &request);
            exchanges.push((request, outcome));
        }
        let pending = created_arn(&exchanges[2].1, "EventDataStoreArn", "eventdatastore")
            .ok_or(SetupError::NotCreated(vec![describe(&exchanges[2].1)]))?;
        let delete = Resource::Store(pending.arn.clone()).deletion();
        let outcome = answer_in_process(&mut region, &delete);
        exchanges.push((delete, outcome));
        let mut second = Region::new(second, Limits::default());
        let made = answer_in_process(&mut second, &fixture_store_request("ctf-inproc-fx2", true));
        let second_store = created_arn(&made, "EventDataStoreArn", "eventdatastore")
            .ok_or_else(|| SetupError::NotCreated(vec![describe(&made)]))?;
        let described = answer_in_process(
            &mut second,
            &Request::json(
                "GetEventDataStore",
                json!({ "EventDataStore": second_store.arn }),
            ),
        );
        let body = described
            .success_json()
            .ok_or_else(|| SetupError::SecondRegion(region2.to_string(), describe(&described)))?;
        let fixtures = SessionFixtures::from_exchanges(&exchanges)?.with_second_integration(
            region2,
            &second_store.arn,
            body,
        )?;
        let driver = in_process_driver(&fixtures).without_templates();
        Ok(InProcess {
            regions: [region, second],
            fixtures,
            driver,
        })
    }

    /// Runs a session in process and keeps each step as the exporter needs it.
    pub fn run_recorded(&self, session: &Session) -> Vec<ExportStep> {
        let mut regions = self.regions.clone();
        let mut driver = in_process_driver(&self.fixtures);
        let mut records = Vec::new();
        for group in groups(&session.steps) {
            let (prepared, outcomes) =
                Self::send_group(&mut driver, &mut regions, &session.steps[group]);
            let (_, recorded) = driver.settle_recorded(prepared, &outcomes, |_, _| true);
            records.extend(recorded);
        }
        records
    }

    /// Prepares a group against the state before it and has the emulator
    /// answer its calls in the group's order (one linearisation of them).
    fn send_group(
        driver: &mut Driver,
        regions: &mut [Region; 2],
        calls: &[PlannedCall],
    ) -> (Vec<Prepared>, Vec<Received>) {
        calls
            .iter()
            .map(|call| {
                let region = emulator_region(regions, call.region);
                driver.prepare_and(call, |read| answer_read(region, read))
            })
            .unzip()
    }

    /// Runs a session against a fresh copy of the emulator's state; the
    /// number of steps run, or the first divergence.
    pub fn run(&self, session: &Session) -> Result<usize, Box<InProcessDivergence>> {
        let mut regions = self.regions.clone();
        let mut driver = self.driver.clone();
        for group in groups(&session.steps) {
            let start = group.start;
            let (prepared, outcomes) =
                Self::send_group(&mut driver, &mut regions, &session.steps[group]);
            // The in-process emulator has the contract's own quotas.
            let verdict = if prepared.len() == 1 {
                driver.settle(&prepared[0], &outcomes[0], |_| true).0
            } else {
                driver
                    .settle_group(&prepared, &outcomes, |_, _| true)
                    .verdict
            };
            if let CaseVerdict::Diverged(deviation) = verdict {
                let last = prepared.len() - 1;
                let prepared = prepared.into_iter().nth(last).expect("a group has a call");
                return Err(Box::new(InProcessDivergence {
                    step: start + last,
                    request: prepared.request,
                    expected: prepared.expected,
                    deviation,
                }));
            }
        }
        Ok(session.steps.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arbitrary::{Arbitrary, Unstructured};
    use rand::{RngCore, SeedableRng};

    #[test]
    fn the_emulator_conforms_in_process() {
        let world = InProcess::new().unwrap();
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let mut bytes = vec![0u8; 2048];
        for _ in 0..300 {
            rng.fill_bytes(&mut bytes);
            let session = Session::arbitrary(&mut Unstructured::new(&bytes)).unwrap();
            if let Err(found) = world.run(&session) {
                panic!("{found:#?}\n{session:#?}");
            }
        }
    }

    use crate::fuzz::plan::{
        Action, By, Category, ChannelInput, ChannelRef, DestinationKind, Destinations, Envelope,
        Field, Location, Name, PlannedDestination, PlannedStoreInput, Source, StoreTarget,
    };

    fn call(action: Action, region: PlannedRegion) -> PlannedCall {
        PlannedCall {
            action,
            envelope: Envelope::plain(),
            region,
            concurrent: false,
        }
    }

    fn create_store(region: PlannedRegion) -> PlannedCall {
        call(
            Action::CreateStore(PlannedStoreInput {
                name: Field::Set(Name::Fresh(0)),
                category: Category::ActivityAuditLog,
                start_ingestion: None,
                retention_days: None,
            }),
            region,
        )
    }

    /// A Custom channel named `Fresh(name)` to the `store`-th store the
    /// session made.
    fn create_channel(name: u8, store: u8, region: PlannedRegion) -> PlannedCall {
        call(
            Action::CreateChannel(ChannelInput {
                name: Field::Set(Name::Fresh(name)),
                source: Field::Set(Source::Custom),
                destinations: Field::Set(Destinations {
                    items: vec![PlannedDestination {
                        kind: Field::Set(DestinationKind::EventDataStore),
                        location: Field::Set(Location::Store {
                            target: StoreTarget::Session(store),
                            by: By::Arn,
                        }),
                    }],
                    pad_to: None,
                }),
                tags: Field::Absent,
                unknown_member: false,
            }),
            region,
        )
    }

    /// Runs `calls` one by one in process (each judged alone).
    fn run_alone(
        world: &InProcess,
        regions: &mut [Region; 2],
        driver: &mut Driver,
        calls: &[PlannedCall],
    ) {
        for call in calls {
            let (prepared, outcomes) =
                InProcess::send_group(driver, regions, std::slice::from_ref(call));
            let (verdict, _) = driver.settle(&prepared[0], &outcomes[0], |_| true);
            assert_eq!(verdict, CaseVerdict::Conform, "{call:?}");
        }
        let _ = world;
    }

    #[test]
    fn the_same_name_in_both_regions_conforms_and_a_store_of_the_other_region_is_foreign() {
        use PlannedRegion::{Home, Second};
        let world = InProcess::new().unwrap();
        let mut regions = world.regions.clone();
        let mut driver = world.driver.clone();
        // Store 0 in the run's Region, store 1 in the second; channel c0 in both.
        let calls = [
            create_store(Home),
            create_store(Second),
            create_channel(0, 0, Home),
            create_channel(0, 1, Second),
        ];
        run_alone(&world, &mut regions, &mut driver, &calls);
        assert_eq!(driver.channel_regions(), &[Home, Second]);
        let second_arn = &driver.channels()[1].arn;
        assert!(second_arn.contains(":us-west-2:"), "{second_arn}");
        // Store 0 (of the run's Region) named from the second: foreign.
        let (prepared, _) =
            InProcess::send_group(&mut driver, &mut regions, &[create_channel(1, 0, Second)]);
        assert!(
            prepared[0].expected.success.is_none(),
            "{:?}",
            prepared[0].expected
        );
        assert!(prepared[0]
            .expected
            .rules
            .contains(&crate::contract::RuleId::E2));
    }

    #[test]
    fn a_race_for_one_name_conforms_in_either_order_and_two_winners_do_not() {
        use PlannedRegion::Home;
        let world = InProcess::new().unwrap();
        let mut regions = world.regions.clone();
        let mut driver = world.driver.clone();
        run_alone(&world, &mut regions, &mut driver, &[create_store(Home)]);
        let racing = [create_channel(0, 0, Home), create_channel(0, 0, Home)];
        let (prepared, outcomes) = InProcess::send_group(&mut driver, &mut regions, &racing);
        // The emulator answered them in order: success, then the name is taken.
        let mut reversed = outcomes.clone();
        reversed.reverse();
        let mut other = driver.clone();
        let mut both = driver.clone();
        assert_eq!(
            driver
                .settle_group(&prepared, &outcomes, |_, _| true)
                .verdict,
            CaseVerdict::Conform
        );
        // Answered the other way round (the second won), too.
        assert_eq!(
            other
                .settle_group(&prepared, &reversed, |_, _| true)
                .verdict,
            CaseVerdict::Conform
        );
        // Both winning is no order.
        let win = outcomes[0].clone();
        let settled = both.settle_group(&prepared, &[win.clone(), win], |_, _| true);
        let CaseVerdict::Diverged(deviation) = settled.verdict else {
            panic!("{:?}", settled.verdict);
        };
        assert!(
            deviation.rules.contains(&crate::contract::RuleId::C1),
            "{deviation:?}"
        );
        assert!(
            deviation.reason.contains("sent at once"),
            "{}",
            deviation.reason
        );
        // One after another in the group's order, the second must be refused.
        assert!(settled.sequential[1].success.is_none());
    }

    #[test]
    fn orders_that_leave_different_states_are_all_kept() {
        use PlannedRegion::Home;
        let world = InProcess::new().unwrap();
        let mut regions = world.regions.clone();
        let mut driver = world.driver.clone();
        run_alone(
            &world,
            &mut regions,
            &mut driver,
            &[create_store(Home), create_channel(0, 0, Home)],
        );
        let rename = |name| {
            call(
                Action::UpdateChannel {
                    channel: ChannelRef::Session {
                        index: 0,
                        by: By::Arn,
                    },
                    name: Field::Set(Name::Fresh(name)),
                    destinations: Field::Absent,
                },
                Home,
            )
        };
        let (prepared, outcomes) =
            InProcess::send_group(&mut driver, &mut regions, &[rename(1), rename(2)]);
        let settled = driver.settle_group(&prepared, &outcomes, |_, _| true);
        assert_eq!(settled.verdict, CaseVerdict::Conform);
        // Either rename may have come last.
        assert_eq!(driver.models().len(), 2);
        // A GetChannel showing the first rename's name fits one of them only.
        let get = call(
            Action::GetChannel(ChannelRef::Session {
                index: 0,
                by: By::Arn,
            }),
            Home,
        );
        let (prepared, answered) = InProcess::send_group(&mut driver, &mut regions, &[get]);
        // The emulator applied them in the group's order: it shows rename 2.
        // The same answer showing rename 1 fits the other order.
        let mut body = answered[0]
            .success_json()
            .cloned()
            .expect("a GetChannel success");
        let shown = body["Name"].as_str().unwrap_or_default().to_string();
        assert!(shown.ends_with("c2"), "{shown}");
        body["Name"] = Value::from(format!("{}c1", shown.trim_end_matches("c2")));
        let mut headers = HeaderMap::new();
        headers.insert(
            crate::protocol::HEADER_REQUEST_ID,
            http::HeaderValue::from_static("req-1"),
        );
        let shows_first = Received {
            latency: Duration::ZERO,
            result: Ok(json_response(200, &headers, body)),
        };
        let mut one = driver.clone();
        assert_eq!(
            one.settle(&prepared[0], &answered[0], |_| true).0,
            CaseVerdict::Conform
        );
        assert_eq!(one.models().len(), 1);
        let (verdict, _) = driver.settle(&prepared[0], &shows_first, |_| true);
        assert_eq!(verdict, CaseVerdict::Conform);
        assert_eq!(driver.models().len(), 1);
    }

    #[test]
    fn given_fixtures_are_all_three_or_none() {
        let var = |k: &str, v: &str| (k.to_string(), v.to_string());
        assert_eq!(GivenFixtures::from_vars(&[]), Ok(None));
        let all = [
            var("fixture.eds_integration", "a"),
            var("fixture.eds_management", "b"),
            var("fixture.eds_pending", "c"),
        ];
        let given = GivenFixtures::from_vars(&all).unwrap().unwrap();
        assert_eq!(
            (given.integration.as_str(), given.pending.as_str()),
            ("a", "c")
        );
        assert!(GivenFixtures::from_vars(&all[..2]).is_err());
        let other = [var("run_id", "x")];
        let error = GivenFixtures::from_vars(&other).unwrap_err();
        assert_eq!(error, SetupError::UnknownVariable("run_id".into()));
        assert!(error.to_string().contains("not run_id"), "{error}");
    }

    #[test]
    fn partners_are_split_between_workers() {
        let all: usize = (0..4).map(|w| partners_for(w, 4).len()).sum();
        assert_eq!(all, PARTNER_SOURCES.len());
        assert!(partners_for(0, 4)
            .iter()
            .all(|p| !partners_for(1, 4).contains(p)));
    }
}
