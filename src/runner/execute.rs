//! Running one scenario: setup, steps and cleanup in order, each step's
//! request built from the scenario and its variables, sent, judged against
//! its expectation, captured from and snapshot-compared; then the ledger
//! deletes what the scenario made. Hurl-like, the steps of a scenario stop
//! at the first that fails; cleanup always runs.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::control::Controls;
use super::result::{Answer, CallResult, ScenarioResult, SentRequest, StepResult, Verdict};
use crate::account::{
    self, describe, list_all, list_channels, success_problem, FixtureVars, Ledger, ListError,
    UnknownAnswer,
};
use crate::contract::{shapes, Operation, RuleId};
use crate::protocol::TargetForm;
use crate::scenario::vars::VarError;
use crate::scenario::{
    capture, interpolate_str, interpolate_value, judge_parallel, judge_race, referenced_vars, Body,
    Header, Layer, Observed, Phase, Race, Repeat, Scenario, Step, Vars,
};
use crate::snapshot::{self, Observation, Redactor, SnapshotOutcome};
use crate::wire::{self, Attempt, Client, ClientConfig, Exchange, Received, Request};

/// Everything scenarios share during a run.
pub(super) struct Context {
    pub client: Client,
    pub config: ClientConfig,
    /// The runner's variables: run_id, region, account, fixtures, `--var`.
    pub vars: Vars,
    pub fixtures: FixtureVars,
    pub snapshots: Option<super::Snapshots>,
    pub channel_quota: usize,
    pub run_id: String,
    pub account: String,
    pub interrupted: Arc<AtomicBool>,
    /// How the endpoint answers an operation that does not exist.
    pub unknown: UnknownAnswer,
    /// Which operations the endpoint accepted a valid request of.
    pub controls: Controls,
    /// What the scenarios created, added up as each ends.
    pub made: std::sync::Mutex<super::Created>,
}

/// Bodies and texts kept in reports are cut here.
const REPORT_TEXT_LIMIT: usize = 4096;

pub(super) async fn run_scenario(context: &Context, scenario: &Scenario) -> ScenarioResult {
    let started = Instant::now();
    let mut run = ScenarioRun {
        context,
        scenario,
        ledger: Ledger::default(),
        redactor: Redactor::new(&context.run_id, &context.account),
        steps: Vec::new(),
        malformed_success: false,
        channel_names: BTreeSet::new(),
    };
    let (verdict, reason) = run.execute().await;
    let mut result = not_run(scenario, verdict, reason);
    // A failure is reported against the failing step's own rules, when it
    // names some: a scenario checking several rules does not blame them all.
    if verdict != Verdict::Pass && verdict != Verdict::Skip && run.malformed_success {
        // A success of the wrong form breaks §1, whatever the scenario checks:
        // a listing can show another scenario's malformed resource.
        result.rules = vec![RuleId::P3.as_str().to_string()];
    } else if verdict != Verdict::Pass && verdict != Verdict::Skip {
        let failing = run
            .steps
            .iter()
            .find(|step| step.verdict != Verdict::Pass && step.phase != Phase::Cleanup)
            .and_then(|failed| {
                scenario
                    .all_steps()
                    .find(|s| s.phase == failed.phase && s.name == failed.name)
            })
            .filter(|step| !step.rules.is_empty());
        if let Some(step) = failing {
            result.rules = step.rules.iter().map(|r| r.value.clone()).collect();
        }
    }
    result.steps = run.steps;
    result.duration = started.elapsed();
    result
}

/// A scenario's result without steps: one that was never started, or the
/// frame `run_scenario` fills in.
pub(super) fn not_run(
    scenario: &Scenario,
    verdict: Verdict,
    reason: Option<String>,
) -> ScenarioResult {
    ScenarioResult {
        name: scenario.name.value.clone(),
        path: scenario.path.clone(),
        description: scenario.description.clone(),
        rules: scenario
            .rules
            .iter()
            .map(|rule| rule.value.clone())
            .collect(),
        tags: scenario.tags.clone(),
        verdict,
        reason,
        steps: Vec::new(),
        duration: Duration::ZERO,
    }
}

struct ScenarioRun<'a> {
    context: &'a Context,
    scenario: &'a Scenario,
    ledger: Ledger,
    redactor: Redactor,
    steps: Vec<StepResult>,
    /// A setup or judged step answered as expected, but with a success of
    /// the wrong form (no request id, a member of the wrong type).
    malformed_success: bool,
    /// Names of the channels this scenario's creates made: a retried create
    /// meeting one of these met a channel of its own making on purpose.
    channel_names: BTreeSet<String>,
}

impl ScenarioRun<'_> {
    async fn execute(&mut self) -> (Verdict, Option<String>) {
        let referenced = referenced_vars(self.scenario);
        if let Some((name, why)) = account::missing_fixture(
            &self.context.fixtures,
            referenced.iter().map(|r| r.name.as_str()),
        ) {
            return (
                Verdict::Skip,
                Some(format!("fixture `{name}` unavailable: {why}")),
            );
        }
        let mut vars = self.context.vars.clone();
        if let Err(error) = vars.bind_scenario_vars(&self.scenario.vars) {
            return (Verdict::Error, Some(format!("[vars]: {error}")));
        }
        if self.scenario.runs_alone() {
            let remaining = self.channel_quota_remaining().await;
            vars.set(
                Layer::Runner,
                "channel_quota_remaining",
                Value::from(remaining),
            );
        }
        let mut outcome = self.main_phases(&mut vars).await;
        for step in &self.scenario.cleanup {
            let result = self.step(step, &mut vars).await;
            // Never a verdict on the rules, but shown.
            if let (Some(problem), None) = (result.problems.first(), &outcome.1) {
                outcome.1 = Some(format!("cleanup step `{}` failed: {problem}", step.name));
            }
            self.steps.push(result);
        }
        {
            let made = self.ledger.made();
            let mut total = self.context.made.lock().unwrap_or_else(|p| p.into_inner());
            total.channels += made.channels;
            total.stores += made.stores;
        }
        let problems = self.ledger.clean(&self.context.client).await;
        if outcome.0 == Verdict::Pass {
            if let Some(why) = self.uncontrolled_refusal() {
                outcome = (Verdict::Skip, Some(why));
            }
        }
        if !problems.is_empty() && outcome.0 == Verdict::Pass {
            outcome = (
                Verdict::Fail,
                Some(format!(
                    "cleanup left resources behind: {}",
                    problems.join("; ")
                )),
            );
        }
        outcome
    }

    /// Why a passing scenario proves nothing: one of its steps passed on a
    /// refusal of an operation the endpoint was never seen to accept, in the
    /// run's controls or earlier in this scenario.
    fn uncontrolled_refusal(&self) -> Option<String> {
        let mut accepted = Vec::new();
        // A race step answers once per call, each for its own operation.
        let answers = self.steps.iter().flat_map(|step| {
            let calls: Vec<(&str, &Answer)> = if step.calls.is_empty() {
                vec![(step.operation.as_str(), &step.answer)]
            } else {
                step.calls
                    .iter()
                    .map(|c| (c.operation.as_str(), &c.answer))
                    .collect()
            };
            calls
                .into_iter()
                .map(move |(op, answer)| (step, op, answer))
        });
        for (step, operation, answer) in answers {
            let status = answer.status.unwrap_or(0);
            // Always an operation's name (`step.op.name()`); were it not, that
            // one step is passed over, never the scenario's other steps.
            let Some(operation) = Operation::from_name(operation) else {
                continue;
            };
            if (200..300).contains(&status) {
                accepted.push(operation);
            } else if step.phase == Phase::Steps && !accepted.contains(&operation) {
                if let Some(why) = self.context.controls.untested(operation) {
                    return Some(why);
                }
            }
        }
        None
    }

    async fn main_phases(&mut self, vars: &mut Vars) -> (Verdict, Option<String>) {
        for step in &self.scenario.setup {
            let mut result = self.step(step, vars).await;
            // Lacking an operation the scenario tests is a divergence, not a gap.
            let missing_tested = result.verdict == Verdict::Skip && self.tests_operation(step.op);
            if missing_tested {
                result.verdict = Verdict::Fail;
            }
            let verdict = result.verdict;
            let reason = result.problems.first().cloned().unwrap_or_default();
            self.steps.push(result);
            // Otherwise a setup answer that prepares nothing means the rule
            // cannot be tested (docs/scenario-format.md): not a divergence.
            if verdict == Verdict::Fail && !missing_tested {
                return (
                    Verdict::Skip,
                    Some(format!("cannot test: setup step `{}`: {reason}", step.name)),
                );
            }
            if verdict != Verdict::Pass {
                return (
                    verdict,
                    Some(format!("setup step `{}`: {reason}", step.name)),
                );
            }
        }
        for step in &self.scenario.steps {
            if self.context.interrupted.load(Ordering::Relaxed) {
                return (Verdict::Skip, Some("interrupted".into()));
            }
            if let Some(race) = step.race() {
                if let Some(stop) = self.race(step, race, vars).await {
                    return stop;
                }
                continue;
            }
            let result = self.step(step, vars).await;
            let verdict = result.verdict;
            let reason = result.problems.first().cloned().unwrap_or_default();
            self.steps.push(result);
            if verdict != Verdict::Pass {
                return (verdict, Some(format!("step `{}`: {reason}", step.name)));
            }
        }
        (Verdict::Pass, None)
    }

    /// A race step, then the `then` steps of the joint outcome it matched;
    /// `Some` stops the scenario there.
    async fn race(
        &mut self,
        step: &Step,
        race: &Race,
        vars: &mut Vars,
    ) -> Option<(Verdict, Option<String>)> {
        let result = self.send_race(step, race, vars).await;
        let (verdict, matched) = (result.verdict, result.outcome.clone());
        let reason = result.problems.first().cloned().unwrap_or_default();
        self.steps.push(result);
        if verdict != Verdict::Pass {
            return Some((verdict, Some(format!("step `{}`: {reason}", step.name))));
        }
        let outcome = race
            .outcomes
            .iter()
            .find(|o| matched.as_deref() == Some(o.name.as_str()))?;
        for then in &outcome.then {
            if self.context.interrupted.load(Ordering::Relaxed) {
                return Some((Verdict::Skip, Some("interrupted".into())));
            }
            let result = self.step(then, vars).await;
            let verdict = result.verdict;
            let reason = result.problems.first().cloned().unwrap_or_default();
            self.steps.push(result);
            if verdict != Verdict::Pass {
                return Some((verdict, Some(format!("step `{}`: {reason}", then.name))));
            }
        }
        None
    }

    /// Sends every call of a race at the same moment and judges the answers
    /// jointly: the first conforming joint outcome that holds is the one
    /// that matched; each call's captures bind from its own 2xx answer.
    async fn send_race(&mut self, step: &Step, race: &Race, vars: &mut Vars) -> StepResult {
        let mut built = Vec::with_capacity(race.calls.len());
        for call in &race.calls {
            let sendable = step_client(&self.context.client, call, vars)
                .and_then(|client| build_request(call, vars).map(|built| (client, built)));
            match sendable {
                Ok((client, (request, input))) => built.push((client, request, input)),
                Err(problem) => {
                    return self.not_sent(step, format!("call `{}`: {problem}", call.name))
                }
            }
        }
        let sends = built
            .iter()
            .map(|(client, request, _)| client.send_recorded(request));
        let exchanges = futures_util::future::join_all(sends).await;
        let flaky = exchanges.iter().any(Exchange::flaky);
        let throttled = exchanges
            .iter()
            .zip(&race.calls)
            .find_map(|(e, call)| Some(format!("call `{}`: {}", call.name, throttled_through(e)?)));
        let (outcomes, retried) = answers_and_retries(exchanges);
        let mut calls = Vec::with_capacity(outcomes.len());
        for ((call, (client, request, input)), outcome) in
            race.calls.iter().zip(&built).zip(&outcomes)
        {
            self.observe(call.op, input.as_ref(), outcome, client.region());
            let mut config = self.context.config.clone();
            config.region = client.region().to_string();
            calls.push(CallResult {
                name: call.name.clone(),
                operation: call.op.name().to_string(),
                request: sent_request(&config, request),
                answer: answer(outcome),
            });
        }
        let mut problems = Vec::new();
        let mut matched = None;
        let fault = race
            .calls
            .iter()
            .zip(&outcomes)
            .find_map(|(call, o)| o.fault().map(|f| format!("call `{}`: {f}", call.name)));
        let malformed: Vec<String> = race
            .calls
            .iter()
            .zip(&outcomes)
            .filter_map(|(call, outcome)| {
                malformed_success(call, std::slice::from_ref(outcome))
                    .map(|why| format!("call `{}`: {why}", call.name))
            })
            .collect();
        let mut verdict = if let Some(fault) = fault {
            problems.push(fault);
            Verdict::Error
        } else if let Some(reason) = throttled {
            problems.push(reason);
            Verdict::Indeterminate
        } else {
            problems.extend(malformed.iter().cloned());
            let observed: Vec<Observed> = outcomes.iter().filter_map(observed).collect();
            match judge_race(race, &observed, vars) {
                Ok(index) => {
                    matched = Some(&race.outcomes[index]);
                    Verdict::Pass
                }
                Err(mismatches) => {
                    problems.extend(mismatches.iter().map(ToString::to_string));
                    Verdict::Fail
                }
            }
        };
        if verdict == Verdict::Pass {
            self.malformed_success |= !malformed.is_empty();
            for (call, outcome) in race.calls.iter().zip(&outcomes) {
                if outcome.is_success() {
                    bind_captures(call, std::slice::from_ref(outcome), vars, &mut problems);
                }
            }
        }
        if !problems.is_empty() {
            verdict = verdict.max(Verdict::Fail);
        }
        let (mut snapshot_name, mut snapshot, mut snapshot_diff) = (None, None, None);
        if let (Some(outcome), true) = (matched, step.snapshot) {
            // One recording per joint outcome: which one happens varies.
            let observations: Vec<(&str, Observation)> = race
                .calls
                .iter()
                .zip(&outcomes)
                .map(|(call, o)| (call.name.as_str(), observation(o)))
                .collect();
            let content = snapshot::render_race(&outcome.name, &observations, &mut self.redactor);
            let name = snapshot::snapshot_name(
                &self.scenario.name.value,
                &format!("{}.{}", step.name, outcome.name),
            );
            if let Some(diff) = self.compare_snapshot(step, &name, &content, &mut problems) {
                snapshot_diff = Some(diff);
                verdict = verdict.max(Verdict::Fail);
            }
            (snapshot_name, snapshot) = (Some(name), Some(content));
        }
        let operations: Vec<&str> = race.calls.iter().map(|c| c.op.name()).collect();
        StepResult {
            phase: step.phase,
            name: step.name.clone(),
            operation: format!("race of {}", operations.join(", ")),
            verdict,
            expected: expected_text(step),
            request: calls.first().map(|c| c.request.clone()),
            answer: outcomes.first().map(answer).unwrap_or_default(),
            requests: outcomes.len(),
            problems,
            snapshot_name,
            snapshot,
            snapshot_diff,
            latency: outcomes.iter().map(|o| o.latency).max().unwrap_or_default(),
            retried,
            flaky,
            resolved: None,
            outcome: matched.map(|o| o.name.clone()),
            calls,
        }
    }

    /// Takes note of what an answer made: the ledger for cleanup, and the
    /// Name of a channel created (a retried create may meet it).
    fn observe(&mut self, op: Operation, input: Option<&Value>, outcome: &Received, region: &str) {
        self.ledger.observe(op, input, outcome, region);
        if op == Operation::CreateChannel && outcome.is_success() {
            if let Some(name) = input.and_then(|i| i.get("Name")).and_then(Value::as_str) {
                self.channel_names.insert(name.to_string());
            }
        }
    }

    /// Whether a step under test (not setup or cleanup) calls `op`.
    fn tests_operation(&self, op: Operation) -> bool {
        self.scenario.steps.iter().any(|step| step.op == op)
    }

    /// One step, repeated as it says; stops at the first repetition that fails.
    async fn step(&mut self, step: &Step, vars: &mut Vars) -> StepResult {
        if let Some(Repeat::Template(template)) = &step.repeat {
            if template.contains(STORE_QUOTA_REMAINING) {
                match self.store_quota_remaining(step, vars).await {
                    Ok(remaining) => {
                        vars.set(Layer::Runner, STORE_QUOTA_REMAINING, Value::from(remaining))
                    }
                    Err(problem) => return self.unsendable(step, problem),
                }
            }
        }
        let repetitions = match repetitions(step, vars) {
            Ok(n) => n,
            Err(problem) => return self.unsendable(step, problem),
        };
        let mut result = None;
        for index in 1..=repetitions {
            if repetitions > 1 || step.repeat.is_some() {
                vars.set(Layer::Capture, "repeat_index", Value::from(index));
            }
            let attempt = self.send_and_judge(step, vars).await;
            let failed = attempt.verdict != Verdict::Pass;
            result = Some(match result.take() {
                None => attempt,
                Some(previous) => merge_repetition(previous, attempt),
            });
            if failed {
                break;
            }
        }
        result.unwrap_or_else(|| self.skipped_repeat(step))
    }

    async fn send_and_judge(&mut self, step: &Step, vars: &mut Vars) -> StepResult {
        let client = match step_client(&self.context.client, step, vars) {
            Ok(client) => client,
            Err(problem) => return self.unsendable(step, problem),
        };
        if step.is_parallel() {
            vars.set(Layer::Capture, "copy_index", Value::from(1));
        }
        let (request, input) = match build_request(step, vars) {
            Ok(built) => built,
            Err(problem) => return self.unsendable(step, problem),
        };
        let mut config = self.context.config.clone();
        config.region = client.region().to_string();
        let sent = sent_request(&config, &request);
        let copies = step.parallel.max(1) as usize;
        let mut problems = Vec::new();
        let mut exchanges: Vec<Exchange> = if let Some(member) = &step.paginate {
            let (pages, problem) = paginate(&client, &request, input.as_ref(), member).await;
            problems.extend(problem);
            vec![joined_pages(pages, member)]
        } else if copies == 1 {
            vec![client.send_recorded(&request).await]
        } else {
            // Each copy is built with its own `${copy_index}` (1..=N), so
            // copies can race for one resource under different names.
            let mut requests = Vec::with_capacity(copies);
            for index in 1..=copies {
                vars.set(Layer::Capture, "copy_index", Value::from(index));
                match build_request(step, vars) {
                    Ok((request, _)) => requests.push(request),
                    Err(problem) => return self.unsendable(step, problem),
                }
            }
            let sends = requests.iter().map(|request| client.send_recorded(request));
            futures_util::future::join_all(sends).await
        };
        let resolved = match step.op {
            Operation::CreateChannel => {
                self.resolve_retried_create(input.as_ref(), &mut exchanges)
                    .await
            }
            Operation::DeleteChannel | Operation::DeleteEventDataStore => {
                self.resolve_retried_delete(step.op, input.as_ref(), &mut exchanges)
            }
            _ => None,
        };
        let flaky = exchanges.iter().any(Exchange::flaky);
        let throttled = exchanges.iter().find_map(throttled_through);
        let (outcomes, retried) = answers_and_retries(exchanges);
        for outcome in &outcomes {
            self.observe(step.op, input.as_ref(), outcome, client.region());
        }
        let faulted = outcomes.iter().any(|o| o.fault().is_some());
        // A fault that persisted is a finding; throttling that persisted
        // judged nothing (contract section 8).
        let verdict = match throttled {
            Some(reason) if !faulted => {
                problems.push(reason);
                Verdict::Indeterminate
            }
            _ => self.judge(step, &outcomes, vars, &mut problems),
        };
        // The answer was what the step expects, but not a whole success:
        // that breaks §1 (P3) alone.
        if verdict == Verdict::Pass && step.phase != Phase::Cleanup {
            self.malformed_success |= malformed_success(step, &outcomes).is_some();
        }
        if verdict == Verdict::Pass {
            bind_captures(step, &outcomes, vars, &mut problems);
        }
        let mut verdict = if problems.is_empty() {
            verdict
        } else {
            verdict.max(Verdict::Fail)
        };
        let (mut snapshot_name, mut snapshot, mut snapshot_diff) = (None, None, None);
        let judged = !matches!(verdict, Verdict::Error | Verdict::Indeterminate);
        if step.phase == Phase::Steps && step.snapshot && judged {
            let (name, content) = self.render_snapshot(step, &outcomes);
            if let Some(diff) = self.compare_snapshot(step, &name, &content, &mut problems) {
                snapshot_diff = Some(diff);
                verdict = verdict.max(Verdict::Fail);
            }
            (snapshot_name, snapshot) = (Some(name), Some(content));
        }
        StepResult {
            phase: step.phase,
            name: step.name.clone(),
            operation: step.op.name().to_string(),
            verdict,
            expected: expected_text(step),
            request: Some(sent),
            answer: answer(&outcomes[0]),
            requests: copies,
            problems,
            snapshot_name,
            snapshot,
            snapshot_diff,
            latency: outcomes.iter().map(|o| o.latency).max().unwrap_or_default(),
            retried,
            flaky,
            resolved,
            outcome: None,
            calls: Vec::new(),
        }
    }

    /// A delete whose earlier attempt may have been processed and whose
    /// retry met "not found" deleted the resource on that earlier attempt:
    /// when the resource is one this scenario made and still holds, the
    /// delete is answered as the success it was.
    fn resolve_retried_delete(
        &self,
        operation: Operation,
        input: Option<&Value>,
        exchanges: &mut [Exchange],
    ) -> Option<String> {
        let member = if operation == Operation::DeleteChannel {
            "Channel"
        } else {
            "EventDataStore"
        };
        let reference = input?.get(member)?.as_str()?;
        if !self.ledger.holds(operation, reference) {
            return None;
        }
        let exchange = exchanges.iter_mut().find(|e| {
            e.maybe_processed_before()
                && matches!(
                    e.outcome.error_code(),
                    Some("ChannelNotFoundException" | "EventDataStoreNotFoundException")
                )
        })?;
        let first = exchange
            .retried
            .iter()
            .find(|a| a.retryable == wire::Retryable::Transient)
            .map(Attempt::summary)
            .unwrap_or_default();
        let met = describe(&exchange.outcome);
        // Taken as deleted: the retry's request id stands for the success.
        let mut taken = wire::json_response(200, &http::HeaderMap::new(), serde_json::json!({}));
        taken.request_id = exchange
            .outcome
            .response()
            .and_then(|r| r.request_id.clone());
        exchange.outcome = Received {
            latency: exchange.outcome.latency,
            result: Ok(taken),
        };
        Some(format!(
            "an attempt answered {first} may have deleted {reference}, which this scenario made; \
             the retry met {met}: taken as deleted"
        ))
    }

    /// A CreateChannel whose earlier attempt may have been processed (a 5xx,
    /// a reset, a timeout) and whose retry met ChannelAlreadyExistsException
    /// most likely met the channel its own first attempt made (contract
    /// section 8): that is no C1 divergence. When no copy of the request
    /// succeeded and no create of this scenario made a channel of that name,
    /// the channel is read back (ListChannels by name, then GetChannel) and
    /// the create answered with it, so it is judged, captured and cleaned up
    /// as the success it was. Returns how it was settled.
    async fn resolve_retried_create(
        &self,
        input: Option<&Value>,
        exchanges: &mut [Exchange],
    ) -> Option<String> {
        if exchanges.iter().any(|e| e.outcome.is_success()) {
            return None;
        }
        let name = input?.get("Name")?.as_str()?;
        if self.channel_names.contains(name) {
            return None;
        }
        let exchange = exchanges.iter_mut().find(|e| {
            e.maybe_processed_before()
                && e.outcome.error_code() == Some("ChannelAlreadyExistsException")
        })?;
        let client = &self.context.client;
        let channels = list_channels(client).await.ok()?;
        let (arn, _) = channels.into_iter().find(|(_, listed)| listed == name)?;
        let read = client
            .send(&Request::json(
                "GetChannel",
                serde_json::json!({ "Channel": arn }),
            ))
            .await;
        let channel = read.success_json()?;
        let mut answer = serde_json::json!({ "ChannelArn": arn, "Name": name });
        for member in ["Source", "Destinations"] {
            if let Some(value) = channel.get(member) {
                answer[member] = value.clone();
            }
        }
        if let Some(tags) = input?.get("Tags") {
            answer["Tags"] = tags.clone();
        }
        let first = exchange
            .retried
            .iter()
            .find(|a| a.retryable == wire::Retryable::Transient)
            .map(Attempt::summary)
            .unwrap_or_default();
        let met = describe(&exchange.outcome);
        // The made-up answer carries the read-back's request id: it stands
        // for a success, and successes are checked whole.
        let mut made_up = wire::json_response(200, &http::HeaderMap::new(), answer);
        made_up.request_id = read.response().and_then(|r| r.request_id.clone());
        exchange.outcome = Received {
            latency: exchange.outcome.latency + read.latency,
            result: Ok(made_up),
        };
        Some(format!(
            "an attempt answered {first} may have made the channel; the retry met {met}; \
             read back {arn} by name: no C1 divergence"
        ))
    }

    /// The step's verdict from its answers, before captures and snapshots.
    fn judge(
        &self,
        step: &Step,
        outcomes: &[Received],
        vars: &Vars,
        problems: &mut Vec<String>,
    ) -> Verdict {
        if let Some(fault) = outcomes.iter().find_map(Received::fault) {
            problems.push(fault.to_string());
            return Verdict::Error;
        }
        if step.phase != Phase::Cleanup {
            // First, so that it is the step's one-line reason.
            problems.extend(malformed_success(step, outcomes));
        }
        match step.phase {
            Phase::Setup => judge_setup(step, outcomes, &self.context.unknown, problems),
            Phase::Cleanup => {
                judge_cleanup(outcomes, problems);
                Verdict::Pass
            }
            Phase::Steps => {
                let Some(expect) = &step.expect else {
                    problems.push("the step names no expectation".into());
                    return Verdict::Fail;
                };
                let observed: Vec<Observed> = outcomes.iter().filter_map(observed).collect();
                let mismatches = if step.is_parallel() {
                    judge_parallel(expect, &observed, vars)
                } else {
                    expect.judge(&observed[0], vars)
                };
                if !mismatches.is_empty() && plain_request(step) {
                    let why = outcomes
                        .iter()
                        .find_map(|o| self.context.unknown.why(o, step.op.name()));
                    if let Some(why) = why {
                        problems.push(not_implemented(step, &why));
                    }
                }
                problems.extend(mismatches.iter().map(ToString::to_string));
                if mismatches.is_empty() {
                    Verdict::Pass
                } else {
                    Verdict::Fail
                }
            }
        }
    }

    /// The step's answers, normalised: the snapshot's name and content.
    fn render_snapshot(&mut self, step: &Step, outcomes: &[Received]) -> (String, String) {
        let observations: Vec<Observation> = outcomes.iter().map(observation).collect();
        let content = if step.is_parallel() {
            snapshot::render_parallel(&observations, &mut self.redactor)
        } else {
            snapshot::render(&observations[0], &mut self.redactor)
        };
        (
            snapshot::snapshot_name(&self.scenario.name.value, &step.name),
            content,
        )
    }

    /// Compares a rendered snapshot with the stored one, when snapshots are
    /// on; returns the diff when they differ.
    fn compare_snapshot(
        &self,
        step: &Step,
        name: &str,
        content: &str,
        problems: &mut Vec<String>,
    ) -> Option<String> {
        let snapshots = self.context.snapshots.as_ref()?;
        let (store, mode) = (&snapshots.store, snapshots.mode);
        let source = self.scenario.path.to_string_lossy();
        let expression = format!("{} {}", step.op, step.name);
        match store.check(name, &source, &expression, content, mode) {
            Ok(SnapshotOutcome::Differs { diff, pending }) => {
                problems.push(format!(
                    "snapshot differs from {} (new: {})",
                    store.snap_path(name).display(),
                    pending.display()
                ));
                Some(diff)
            }
            Ok(SnapshotOutcome::New { .. }) if !snapshots.missing_fails => {
                snapshots.unrecorded.fetch_add(1, Ordering::Relaxed);
                None
            }
            Ok(SnapshotOutcome::New { pending }) => {
                problems.push(format!(
                    "no snapshot recorded; new one at {}",
                    pending.display()
                ));
                Some(String::new())
            }
            Ok(_) => None,
            Err(error) => {
                problems.push(format!("snapshot {name}: {error}"));
                Some(String::new())
            }
        }
    }

    /// The store quota (10 per Region) minus the stores the step's Region
    /// lists now, pending deletion included: they still count (contract §5).
    async fn store_quota_remaining(&self, step: &Step, vars: &Vars) -> Result<usize, StepError> {
        let client = step_client(&self.context.client, step, vars)?;
        let held = list_all(&client, Operation::ListEventDataStores, "EventDataStores")
            .await
            .map_err(|why| StepError::new(STORE_QUOTA_REMAINING, StepErrorKind::Listing(why)))?;
        Ok(shapes::STORE_QUOTA.saturating_sub(held.len()))
    }

    async fn channel_quota_remaining(&self) -> usize {
        let held = count_channels(&self.context.client.persistent())
            .await
            .unwrap_or(0);
        self.context.channel_quota.saturating_sub(held)
    }

    fn unsendable(&self, step: &Step, error: StepError) -> StepResult {
        let throttled = error.throttled();
        let mut result = self.not_sent(step, error.to_string());
        // Throttling that outlasted the retries tested nothing (contract
        // section 8): indeterminate, not an error.
        if throttled {
            result.verdict = Verdict::Indeterminate;
        }
        result
    }

    fn not_sent(&self, step: &Step, problem: String) -> StepResult {
        StepResult {
            phase: step.phase,
            name: step.name.clone(),
            operation: step.op.name().to_string(),
            verdict: Verdict::Error,
            expected: expected_text(step),
            request: None,
            answer: Answer::default(),
            requests: 0,
            problems: vec![problem],
            snapshot_name: None,
            snapshot: None,
            snapshot_diff: None,
            latency: Duration::ZERO,
            retried: Vec::new(),
            flaky: false,
            resolved: None,
            outcome: None,
            calls: Vec::new(),
        }
    }

    fn skipped_repeat(&self, step: &Step) -> StepResult {
        StepResult {
            verdict: Verdict::Pass,
            problems: Vec::new(),
            ..self.not_sent(step, String::new())
        }
    }
}

/// Why a step could not be sent: the field of the step that could not be
/// made into a request, and what was wrong with it.
#[derive(Debug)]
pub(super) struct StepError {
    /// The step's field (`region`, `repeat`, `input`, ...) or the runner
    /// variable being computed.
    pub field: &'static str,
    pub kind: StepErrorKind,
}

#[derive(Debug)]
pub(super) enum StepErrorKind {
    /// A `${...}` that could not be filled in.
    Variable(VarError),
    /// The field's text, which is no Region name.
    NotARegion(String),
    /// The field's text, which is no count of 0..=1000.
    NotACount(String),
    /// A listing the runner needed failed.
    Listing(ListError),
}

impl StepError {
    /// What the step needed was throttled past the retry budget.
    fn throttled(&self) -> bool {
        matches!(&self.kind, StepErrorKind::Listing(why) if why.throttled())
    }

    fn new(field: &'static str, kind: StepErrorKind) -> StepError {
        StepError { field, kind }
    }

    /// For `map_err`: a variable of `field` that could not be filled in.
    fn var(field: &'static str) -> impl FnOnce(VarError) -> StepError {
        move |error| StepError::new(field, StepErrorKind::Variable(error))
    }
}

impl std::fmt::Display for StepError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let field = self.field;
        match &self.kind {
            StepErrorKind::Variable(error) => write!(f, "{field}: {error}"),
            StepErrorKind::NotARegion(text) => {
                write!(f, "{field}: `{text}` is not a Region name")
            }
            StepErrorKind::NotACount(text) => {
                write!(f, "{field}: `{text}` is not a count of 0..=1000")
            }
            StepErrorKind::Listing(why) => write!(f, "{field}: {why}"),
        }
    }
}

impl std::error::Error for StepError {}

/// The runner variable a `repeat` names to fill a Region's store quota.
const STORE_QUOTA_REMAINING: &str = "store_quota_remaining";

/// More pages than this: `NextToken` never ends.
const MAX_PAGES: usize = 1000;

/// The client for a step: the run's, or one signing for the step's `region`.
fn step_client(client: &Client, step: &Step, vars: &Vars) -> Result<Client, StepError> {
    match &step.region {
        None => Ok(client.clone()),
        Some(template) => {
            let region = interpolate_str(template, vars).map_err(StepError::var("region"))?;
            if region.is_empty()
                || !region
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-')
            {
                return Err(StepError::new("region", StepErrorKind::NotARegion(region)));
            }
            Ok(client.with_region(&region))
        }
    }
}

/// Sends `request`, then again with each answer's `NextToken`, until an
/// answer has none, is not a success, or breaks a paging rule (contract §7:
/// a page longer than `MaxResults`, a token or an item seen before, no end).
/// Returns every answer and the first paging problem.
async fn paginate(
    client: &Client,
    request: &Request,
    input: Option<&Value>,
    member: &str,
) -> (Vec<Exchange>, Option<String>) {
    let max_results = input
        .and_then(|i| i.get("MaxResults"))
        .and_then(Value::as_u64);
    let mut pages: Vec<Exchange> = Vec::new();
    let mut tokens: Vec<String> = Vec::new();
    let mut seen: Vec<Value> = Vec::new();
    let mut request = request.clone();
    for page in 1..=MAX_PAGES {
        let exchange = client.send_recorded(&request).await;
        let body = exchange.outcome.success_json().cloned();
        pages.push(exchange);
        let Some(body) = body else {
            return (pages, None);
        };
        let items = body.get(member).and_then(Value::as_array);
        let count = items.map_or(0, Vec::len);
        if let Some(max) = max_results.filter(|max| count as u64 > *max) {
            return (
                pages,
                Some(format!(
                    "page {page} has {count} `{member}`, more than MaxResults {max}"
                )),
            );
        }
        for item in items.into_iter().flatten() {
            if seen.contains(item) {
                return (
                    pages,
                    Some(format!(
                        "page {page} repeats an item of an earlier page: {item}"
                    )),
                );
            }
            seen.push(item.clone());
        }
        let Some(token) = body.get("NextToken").and_then(Value::as_str) else {
            return (pages, None);
        };
        if tokens.iter().any(|t| t == token) {
            return (
                pages,
                Some(format!(
                    "page {page}'s NextToken was given before: paging never ends"
                )),
            );
        }
        tokens.push(token.to_string());
        let mut next = input.cloned().unwrap_or_else(|| serde_json::json!({}));
        if let Some(object) = next.as_object_mut() {
            object.insert("NextToken".into(), Value::from(token));
        }
        request.body = wire::RequestBody::Json(next);
    }
    let problem = format!("NextToken still given after {MAX_PAGES} pages: paging never ends");
    (pages, Some(problem))
}

/// The answer a paginated step is judged on: the first page throttled past
/// the retries or not a success, else the last page with `member` holding
/// every page's items.
fn joined_pages(mut pages: Vec<Exchange>, member: &str) -> Exchange {
    if let Some(failed) = pages
        .iter()
        .position(|e| e.throttled_through() || e.outcome.success_json().is_none())
    {
        return pages.swap_remove(failed);
    }
    let items: Vec<Value> = pages
        .iter()
        .filter_map(|e| e.outcome.success_json())
        .filter_map(|body| body.get(member).and_then(Value::as_array))
        .flatten()
        .cloned()
        .collect();
    let retried: Vec<Attempt> = pages.iter_mut().flat_map(|e| e.retried.drain(..)).collect();
    let mut last = pages.pop().expect("at least one page is sent");
    if let Ok(response) = &mut last.outcome.result {
        if let Ok(Value::Object(body)) = &mut response.json {
            body.insert(member.to_string(), Value::Array(items));
        }
    }
    last.retried = retried;
    last
}

/// Why an answer to `step` is not a whole success, if one is not.
fn malformed_success(step: &Step, outcomes: &[Received]) -> Option<String> {
    outcomes
        .iter()
        .filter_map(Received::response)
        .find_map(|response| success_problem(step.op.name(), response))
}

/// How often a step runs: its `repeat`, evaluated now.
fn repetitions(step: &Step, vars: &Vars) -> Result<usize, StepError> {
    match &step.repeat {
        None => Ok(1),
        Some(Repeat::Count(n)) => Ok(*n as usize),
        Some(Repeat::Template(template)) => {
            let text = interpolate_str(template, vars).map_err(StepError::var("repeat"))?;
            text.trim()
                .parse::<usize>()
                .ok()
                .filter(|n| *n <= 1000)
                .ok_or_else(|| StepError::new("repeat", StepErrorKind::NotACount(text)))
        }
    }
}

/// Folds a repetition into the step's result: the first answer is kept, the
/// requests add up, the last failing repetition explains itself.
fn merge_repetition(mut previous: StepResult, attempt: StepResult) -> StepResult {
    previous.requests += attempt.requests;
    previous.latency = previous.latency.max(attempt.latency);
    previous.retried.extend(attempt.retried);
    previous.flaky |= attempt.flaky;
    previous.resolved = previous.resolved.or(attempt.resolved);
    if attempt.verdict != Verdict::Pass {
        previous.verdict = attempt.verdict;
        previous.problems = attempt.problems;
        previous.answer = attempt.answer;
        previous.request = attempt.request;
        previous.snapshot_diff = attempt.snapshot_diff;
    }
    previous
}

/// A step's request with every variable filled in, and the JSON input it carries.
fn build_request(step: &Step, vars: &Vars) -> Result<(Request, Option<Value>), StepError> {
    let operation = step.op.name();
    let (mut request, input) = match &step.body {
        Body::Empty => (Request::raw(operation, Vec::new()), None),
        Body::Json(value) => {
            let input = interpolate_value(value, vars).map_err(StepError::var("input"))?;
            (Request::json(operation, input.clone()), Some(input))
        }
        Body::Raw(text) => {
            let text = interpolate_str(text, vars).map_err(StepError::var("raw_body"))?;
            let input = serde_json::from_str(&text).ok();
            (Request::raw(operation, text.into_bytes()), input)
        }
    };
    request.target = match &step.target {
        Header::Default => {
            wire::TargetHeader::Form(step.target_form.unwrap_or(TargetForm::Prefixed))
        }
        Header::Drop => wire::TargetHeader::Omit,
        Header::Value(value) => wire::TargetHeader::Value(
            interpolate_str(value, vars).map_err(StepError::var("target"))?,
        ),
    };
    request.content_type = match &step.content_type {
        Header::Default => wire::HeaderValue::Default,
        Header::Drop => wire::HeaderValue::Omit,
        Header::Value(value) => wire::HeaderValue::Value(
            interpolate_str(value, vars).map_err(StepError::var("content_type"))?,
        ),
    };
    request.signing = match (&step.authorization, step.sign) {
        (Some(value), _) => wire::Signing::Authorization(
            interpolate_str(value, vars).map_err(StepError::var("authorization"))?,
        ),
        (None, true) => wire::Signing::Sign,
        (None, false) => wire::Signing::Unsigned,
    };
    if step.method != "POST" {
        request.method = Some(step.method.clone());
    }
    Ok((request, input))
}

fn observed(outcome: &Received) -> Option<Observed<'_>> {
    let response = outcome.response()?;
    Some(Observed {
        status: response.status,
        error_code: response.error_code.as_deref(),
        body: response.json.as_ref().ok(),
    })
}

fn observation(outcome: &Received) -> Observation<'_> {
    match (outcome.response(), outcome.fault()) {
        (Some(response), _) => Observation {
            status: Some(response.status),
            error_code: response.error_code.as_deref(),
            message: response.message.as_deref(),
            body: response.json.as_ref().ok(),
            raw_body: response.json.is_err().then_some(response.body.as_slice()),
            fault: None,
        },
        (None, fault) => Observation {
            status: None,
            error_code: None,
            message: None,
            body: None,
            raw_body: None,
            fault: fault.map(|f| f.kind()),
        },
    }
}

/// A setup step must succeed; when the endpoint lacks the operation, the
/// scenario cannot test its rule: a skip, not a failure.
fn judge_setup(
    step: &Step,
    outcomes: &[Received],
    unknown: &UnknownAnswer,
    problems: &mut Vec<String>,
) -> Verdict {
    for outcome in outcomes {
        if outcome.is_success() {
            continue;
        }
        if let Some(why) = unknown.why(outcome, step.op.name()) {
            problems.push(not_implemented(step, &why));
            return Verdict::Skip;
        }
        problems.push(format!("expected success, got {}", describe(outcome)));
        return Verdict::Fail;
    }
    Verdict::Pass
}

/// Cleanup failures are reported, never the scenario's verdict: a
/// resource already gone is fine.
fn judge_cleanup(outcomes: &[Received], problems: &mut Vec<String>) {
    for outcome in outcomes {
        let gone =
            matches!(outcome.error_code(), Some(code) if code.ends_with("NotFoundException"));
        if !outcome.is_success() && !gone {
            problems.push(format!("cleanup: {}", describe(outcome)));
        }
    }
}

/// A signed POST with the operation's own target and content type and a
/// JSON input: an answer to it speaks of the operation, not of the request's form.
fn plain_request(step: &Step) -> bool {
    matches!(step.target, Header::Default)
        && matches!(step.content_type, Header::Default)
        && matches!(step.body, Body::Json(_))
        && step.method == "POST"
        && step.sign
        && step.authorization.is_none()
}

/// `the endpoint does not implement CreateChannel (HTTP 500: not implemented)`.
fn not_implemented(step: &Step, why: &str) -> String {
    format!("the endpoint does not implement {} ({why})", step.op.name())
}

/// Why an exchange judged nothing, when its throttling outlasted the
/// retries (contract section 8).
fn throttled_through(exchange: &Exchange) -> Option<String> {
    if !exchange.throttled_through() {
        return None;
    }
    let attempts = exchange.retried.len() + 1;
    Some(format!(
        "throttled past the retry budget ({attempts} attempt{}, last {})",
        if attempts == 1 { "" } else { "s" },
        describe(&exchange.outcome)
    ))
}

/// The final answers of `exchanges`, and every attempt retried before them.
fn answers_and_retries(exchanges: Vec<Exchange>) -> (Vec<Received>, Vec<Attempt>) {
    let mut retried = Vec::new();
    let outcomes = exchanges
        .into_iter()
        .map(|exchange| {
            retried.extend(exchange.retried);
            exchange.outcome
        })
        .collect();
    (outcomes, retried)
}

fn bind_captures(step: &Step, outcomes: &[Received], vars: &mut Vars, problems: &mut Vec<String>) {
    if step.captures.is_empty() {
        return;
    }
    let body = outcomes
        .iter()
        .filter(|o| o.is_success())
        .find_map(|o| o.response().and_then(|r| r.json.as_ref().ok()));
    for capture_spec in &step.captures {
        match body.and_then(|body| capture(body, &capture_spec.path)) {
            Some(value) => vars.set(Layer::Capture, capture_spec.var.clone(), value),
            None => problems.push(format!(
                "capture `{}`: no `{}` in the answer",
                capture_spec.var, capture_spec.path
            )),
        }
    }
}

fn expected_text(step: &Step) -> String {
    match (&step.expect, step.phase) {
        (Some(expect), _) => expect.to_string(),
        (None, Phase::Setup) => "success (setup)".into(),
        (None, Phase::Cleanup) => "success or already gone (cleanup)".into(),
        (None, Phase::Steps) => "nothing named".into(),
    }
}

fn sent_request(config: &ClientConfig, request: &Request) -> SentRequest {
    SentRequest {
        operation: request.operation.clone(),
        method: request.method_name().to_string(),
        target: request.target_value(),
        content_type: request.content_type_value(),
        body: cut(&String::from_utf8_lossy(&request.body_bytes())),
        curl: wire::curl_command(config, request),
    }
}

fn answer(outcome: &Received) -> Answer {
    match (outcome.response(), outcome.fault()) {
        (Some(response), _) => Answer {
            status: Some(response.status),
            error_code: response.error_code.clone(),
            message: response.message.clone(),
            body: cut(&String::from_utf8_lossy(&response.body)),
            fault: None,
            request_id: response.request_id.clone(),
        },
        (None, fault) => Answer {
            fault: fault.map(ToString::to_string),
            ..Answer::default()
        },
    }
}

fn cut(text: &str) -> String {
    if text.len() <= REPORT_TEXT_LIMIT {
        return text.to_string();
    }
    let mut end = REPORT_TEXT_LIMIT;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… ({} bytes in all)", &text[..end], text.len())
}

async fn count_channels(client: &Client) -> Result<usize, ListError> {
    list_channels(client).await.map(|channels| channels.len())
}
