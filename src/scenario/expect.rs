//! Judging: does an observed answer conform to a step's expectation? Pure and
//! independent of the HTTP client; the runner turns an HTTP response into an
//! `Observed` and reports the `Mismatch`es.

use std::fmt;

use serde_json::Value;

use super::format::{write_one_of, Expect, ExpectKind, Matcher, Outcome, Race, ResponseCheck};
use super::path::Path;
use super::vars::{interpolate_str, interpolate_value, Vars};

pub use super::path::capture;

/// One answer as the judge sees it.
#[derive(Clone, Copy, Debug)]
pub struct Observed<'a> {
    pub status: u16,
    /// The resolved error code (`protocol::resolve_error_code`).
    pub error_code: Option<&'a str>,
    /// The response body, when it is JSON.
    pub body: Option<&'a Value>,
}

/// One way an answer departs from its expectation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mismatch {
    /// What was compared: `status`, `error code`, `response.Name`, ...
    pub what: String,
    pub expected: String,
    pub actual: String,
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: expected {}, got {}",
            self.what, self.expected, self.actual
        )
    }
}

fn mismatch(
    what: impl Into<String>,
    expected: impl Into<String>,
    actual: impl Into<String>,
) -> Mismatch {
    Mismatch {
        what: what.into(),
        expected: expected.into(),
        actual: actual.into(),
    }
}

impl Expect {
    /// The ways `observed` departs from this expectation; empty = conforms.
    /// A `successes`/`others` expectation judges `observed` as the only copy.
    pub fn judge(&self, observed: &Observed, vars: &Vars) -> Vec<Mismatch> {
        match &self.kind {
            ExpectKind::One(outcome) => judge_outcome(outcome, observed, vars),
            ExpectKind::AnyOf(outcomes) => judge_any_of(outcomes, observed, vars),
            ExpectKind::Parallel { .. } => {
                judge_parallel(self, std::slice::from_ref(observed), vars)
            }
            // A race is judged on every call's answer (`judge_race`), never one.
            ExpectKind::Race(race) => judge_race(race, std::slice::from_ref(observed), vars)
                .err()
                .unwrap_or_default(),
        }
    }
}

/// Judges the answers of a race, one per call in call order: the index of
/// the first joint outcome whose every call's expectation holds, or why
/// none does: first one line naming the answers, then each outcome's
/// mismatches, prefixed `outcome O: call C: `.
pub fn judge_race(race: &Race, observed: &[Observed], vars: &Vars) -> Result<usize, Vec<Mismatch>> {
    let answers: Vec<String> = race
        .calls
        .iter()
        .zip(observed)
        .map(|(call, answer)| format!("{} {}", call.name, describe_observed(answer)))
        .collect();
    if observed.len() != race.calls.len() {
        return Err(vec![mismatch(
            "race",
            format!("{} answers", race.calls.len()),
            format!("{}: {}", observed.len(), answers.join("; ")),
        )]);
    }
    let mut details = Vec::new();
    for (index, outcome) in race.outcomes.iter().enumerate() {
        let mut mismatches = Vec::new();
        for ((call, expect), answer) in race.calls.iter().zip(&outcome.expect).zip(observed) {
            mismatches.extend(expect.judge(answer, vars).into_iter().map(|m| Mismatch {
                what: format!("outcome {}: call {}: {}", outcome.name, call.name, m.what),
                ..m
            }));
        }
        if mismatches.is_empty() {
            return Ok(index);
        }
        details.extend(mismatches);
    }
    let names: Vec<&str> = race.outcomes.iter().map(|o| o.name.as_str()).collect();
    let mut all = vec![mismatch(
        "joint outcome",
        format!("one of {}", names.join(", ")),
        answers.join("; "),
    )];
    all.extend(details);
    Err(all)
}

/// Judges the answers of a `parallel` step: for `successes`/`others`, the
/// number of 2xx answers must be `successes` and every other answer must
/// match `others`; any other expectation must hold for every answer.
/// Mismatches of one answer are prefixed `copy N: ` (1-based).
pub fn judge_parallel(expect: &Expect, observed: &[Observed], vars: &Vars) -> Vec<Mismatch> {
    let for_each_copy = |inner: &Expect, answers: &mut dyn Iterator<Item = (usize, &Observed)>| {
        answers
            .flat_map(|(i, answer)| {
                inner
                    .judge(answer, vars)
                    .into_iter()
                    .map(move |m| Mismatch {
                        what: format!("copy {}: {}", i + 1, m.what),
                        ..m
                    })
            })
            .collect::<Vec<_>>()
    };
    let ExpectKind::Parallel { successes, others } = &expect.kind else {
        return for_each_copy(expect, &mut observed.iter().enumerate());
    };
    let mut mismatches = Vec::new();
    let succeeded = observed.iter().filter(|o| is_success(o.status)).count();
    if succeeded != *successes as usize {
        mismatches.push(mismatch(
            "successes",
            successes.to_string(),
            format!("{succeeded} of {}", observed.len()),
        ));
    }
    if let Some(others) = others {
        let mut failed = observed
            .iter()
            .enumerate()
            .filter(|(_, o)| !is_success(o.status));
        mismatches.extend(for_each_copy(others, &mut failed));
    }
    mismatches
}

fn is_success(status: u16) -> bool {
    (200..300).contains(&status)
}

fn judge_any_of(outcomes: &[Outcome], observed: &Observed, vars: &Vars) -> Vec<Mismatch> {
    if outcomes
        .iter()
        .any(|outcome| judge_outcome(outcome, observed, vars).is_empty())
    {
        return Vec::new();
    }
    let expected = outcomes
        .iter()
        .map(describe_outcome)
        .collect::<Vec<_>>()
        .join(" | ");
    vec![mismatch(
        "outcome",
        format!("any of: {expected}"),
        describe_observed(observed),
    )]
}

fn describe_outcome(outcome: &Outcome) -> String {
    let mut parts = Vec::new();
    if let Some(status) = &outcome.status {
        parts.push(format!("status {status}"));
    }
    if let Some(codes) = &outcome.error {
        parts.push(format!("error {}", OneOf(codes)));
    }
    if !outcome.response.is_empty() {
        parts.push(format!("{} response checks", outcome.response.len()));
    }
    if outcome.status.is_none() && outcome.error.is_none() {
        parts.insert(0, "status 2xx".to_string());
    }
    parts.join(", ")
}

fn describe_observed(observed: &Observed) -> String {
    match observed.error_code {
        Some(code) => format!("status {}, error {code}", observed.status),
        None => format!("status {}", observed.status),
    }
}

struct OneOf<'a, T>(&'a [T]);

impl<T: fmt::Display> fmt::Display for OneOf<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_one_of(f, self.0)
    }
}

/// Judges one outcome: status, then error code, then response checks.
pub fn judge_outcome(outcome: &Outcome, observed: &Observed, vars: &Vars) -> Vec<Mismatch> {
    let mut mismatches = Vec::new();
    let status_ok = match (&outcome.status, &outcome.error) {
        (Some(set), _) => set
            .contains(observed.status)
            .then_some(())
            .ok_or(set.to_string()),
        (None, Some(_)) => (observed.status >= 400)
            .then_some(())
            .ok_or("4xx or 5xx".into()),
        (None, None) => is_success(observed.status)
            .then_some(())
            .ok_or("2xx".into()),
    };
    if let Err(expected) = status_ok {
        mismatches.push(mismatch("status", expected, observed.status.to_string()));
    }
    if let Some(codes) = &outcome.error {
        let matches = observed
            .error_code
            .is_some_and(|code| codes.iter().any(|c| c == code));
        if !matches {
            mismatches.push(mismatch(
                "error code",
                OneOf(codes).to_string(),
                observed.error_code.unwrap_or("none"),
            ));
        }
    }
    for check in &outcome.response {
        mismatches.extend(judge_check(check, observed.body, vars));
    }
    mismatches
}

/// Judges one `response` entry against the body (`None`: no JSON body).
pub fn judge_check(check: &ResponseCheck, body: Option<&Value>, vars: &Vars) -> Option<Mismatch> {
    let what = format!("response.{}", check.path);
    let path = match Path::parse(&check.path) {
        Ok(path) => path,
        Err(err) => return Some(mismatch(what, "a valid path", err.to_string())),
    };
    let found: Vec<&Value> = body.map(|b| path.select(b)).unwrap_or_default();
    let single = found.first().copied();
    let actual = || single.map_or("nothing".to_string(), Value::to_string);
    let fail = |expected: String, actual: String| Some(mismatch(what.clone(), expected, actual));
    let expected_value = |value: &Value| interpolate_value(value, vars).map_err(|e| e.to_string());
    match &check.matcher {
        Matcher::Equals(value) => match expected_value(value) {
            Err(err) => fail(format!("{value}"), err),
            Ok(expected) if single == Some(&expected) => None,
            Ok(expected) => fail(expected.to_string(), actual()),
        },
        Matcher::Regex(pattern) => {
            let regex = interpolate_str(pattern, vars)
                .map_err(|e| e.to_string())
                .and_then(|p| regex::Regex::new(&p).map_err(|e| first_line(&e.to_string())));
            match (regex, single) {
                (Err(err), _) => fail(format!("a match for /{pattern}/"), err),
                (Ok(regex), Some(Value::String(s))) if regex.is_match(s) => None,
                (Ok(regex), _) => fail(format!("a string matching /{regex}/"), actual()),
            }
        }
        Matcher::Length(expected) => match single.and_then(length_of) {
            Some(length) if length == *expected => None,
            Some(length) => fail(format!("length {expected}"), format!("length {length}")),
            None => fail(format!("length {expected}"), actual()),
        },
        Matcher::EqualsVar(name) | Matcher::NotEqualsVar(name) => {
            let want_equal = matches!(check.matcher, Matcher::EqualsVar(_));
            let Some(var) = vars.get(name) else {
                return fail(
                    format!("the value of `{name}`"),
                    format!("undefined variable `{name}`"),
                );
            };
            if (single == Some(var)) == want_equal {
                None
            } else if want_equal {
                fail(format!("{var} (the value of `{name}`)"), actual())
            } else {
                fail(
                    format!("anything but {var} (the value of `{name}`)"),
                    actual(),
                )
            }
        }
        Matcher::Absent => match single {
            None | Some(Value::Null) => None,
            Some(_) => fail("absent".into(), actual()),
        },
        Matcher::Present => match single {
            Some(value) if !value.is_null() => None,
            _ => fail("present".into(), actual()),
        },
        Matcher::Contains(value) => match expected_value(value) {
            Err(err) => fail(format!("to contain {value}"), err),
            Ok(needle) if contains(&path, &found, &needle) => None,
            Ok(needle) if path.has_wildcard() => fail(
                format!("some element equal to {needle}"),
                Value::Array(found.into_iter().cloned().collect()).to_string(),
            ),
            Ok(needle) => fail(format!("to contain {needle}"), actual()),
        },
        Matcher::NotContains(value) => match expected_value(value) {
            Err(err) => fail(format!("not to contain {value}"), err),
            Ok(needle) if !contains(&path, &found, &needle) => None,
            Ok(needle) => fail(format!("no element equal to {needle}"), {
                let shown = Value::Array(found.into_iter().cloned().collect());
                if path.has_wildcard() {
                    shown.to_string()
                } else {
                    actual()
                }
            }),
        },
        Matcher::SameItemsVar(name) => {
            let Some(var) = vars.get(name) else {
                return fail(
                    format!("the items of `{name}`"),
                    format!("undefined variable `{name}`"),
                );
            };
            let items: Vec<&Value> = if path.has_wildcard() {
                found.clone()
            } else {
                match single {
                    Some(Value::Array(items)) => items.iter().collect(),
                    _ => return fail(format!("the items of `{name}`: {var}"), actual()),
                }
            };
            let wanted: Vec<&Value> = match var {
                Value::Array(items) => items.iter().collect(),
                other => vec![other],
            };
            if same_items(&items, &wanted) {
                None
            } else {
                let shown = Value::Array(items.into_iter().cloned().collect());
                fail(format!("the items of `{name}`: {var}"), shown.to_string())
            }
        }
    }
}

/// The same items, each as often, in any order.
fn same_items(a: &[&Value], b: &[&Value]) -> bool {
    let mut rest: Vec<&Value> = b.to_vec();
    a.len() == b.len()
        && a.iter()
            .all(|item| match rest.iter().position(|r| r == item) {
                Some(i) => {
                    rest.swap_remove(i);
                    true
                }
                None => false,
            })
}

fn contains(path: &Path, found: &[&Value], needle: &Value) -> bool {
    if path.has_wildcard() {
        return found.contains(&needle);
    }
    match (found.first(), needle) {
        (Some(Value::Array(items)), _) => items.contains(needle),
        (Some(Value::String(s)), Value::String(part)) => s.contains(part.as_str()),
        _ => false,
    }
}

fn length_of(value: &Value) -> Option<u64> {
    let len = match value {
        Value::Array(items) => items.len(),
        Value::String(s) => s.chars().count(),
        Value::Object(map) => map.len(),
        _ => return None,
    };
    Some(len as u64)
}

/// The line of a multi-line error message that says what is wrong.
pub(crate) fn first_line(message: &str) -> String {
    message
        .lines()
        .find_map(|line| line.trim().strip_prefix("error: "))
        .or_else(|| message.lines().next())
        .unwrap_or("")
        .trim()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::format::{Pos, StatusSet};
    use crate::scenario::vars::Layer;
    use serde_json::json;

    fn one(outcome: Outcome) -> Expect {
        Expect {
            kind: ExpectKind::One(outcome),
            pos: Pos::default(),
        }
    }

    fn status(codes: &[u16]) -> Outcome {
        Outcome {
            status: Some(StatusSet::Codes(codes.to_vec())),
            ..Outcome::default()
        }
    }

    fn error(codes: &[&str]) -> Outcome {
        Outcome {
            error: Some(codes.iter().map(|c| c.to_string()).collect()),
            ..Outcome::default()
        }
    }

    fn obs<'a>(status: u16, error_code: Option<&'a str>, body: Option<&'a Value>) -> Observed<'a> {
        Observed {
            status,
            error_code,
            body,
        }
    }

    fn check(path: &str, matcher: Matcher) -> Outcome {
        Outcome {
            response: vec![ResponseCheck {
                path: path.into(),
                matcher,
                pos: Pos::default(),
            }],
            ..Outcome::default()
        }
    }

    fn vars() -> Vars {
        let mut vars = Vars::new();
        vars.set(Layer::Capture, "first", json!("arn:1"));
        vars.set(Layer::Runner, "name", json!("n1"));
        vars
    }

    fn judge(outcome: Outcome, observed: Observed) -> Vec<Mismatch> {
        one(outcome).judge(&observed, &vars())
    }

    #[test]
    fn status_codes_and_classes() {
        assert!(judge(status(&[400]), obs(400, None, None)).is_empty());
        assert!(judge(status(&[400, 404]), obs(404, None, None)).is_empty());
        let m = judge(status(&[400, 404]), obs(500, None, None));
        assert_eq!(
            m[0].to_string(),
            "status: expected one of 400, 404, got 500"
        );
        let class = |c| Outcome {
            status: Some(StatusSet::Class(c)),
            ..Outcome::default()
        };
        assert!(judge(class(4), obs(429, None, None)).is_empty());
        assert_eq!(
            judge(class(5), obs(429, None, None))[0].to_string(),
            "status: expected 5xx, got 429"
        );
    }

    #[test]
    fn success_with_an_error_code_still_counts_as_its_status() {
        assert!(judge(status(&[200]), obs(200, Some("Weird"), None)).is_empty());
    }

    #[test]
    fn error_codes_and_implied_status() {
        assert!(judge(error(&["A"]), obs(400, Some("A"), None)).is_empty());
        assert!(judge(error(&["A", "B"]), obs(503, Some("B"), None)).is_empty());
        let m = judge(error(&["A", "B"]), obs(400, Some("C"), None));
        assert_eq!(m[0].to_string(), "error code: expected one of A, B, got C");
        let m = judge(error(&["A"]), obs(400, None, None));
        assert_eq!(m[0].to_string(), "error code: expected A, got none");
        let m = judge(error(&["A"]), obs(200, Some("A"), None));
        assert_eq!(m[0].to_string(), "status: expected 4xx or 5xx, got 200");
    }

    #[test]
    fn response_only_implies_success() {
        let body = json!({"Name": "n1"});
        let outcome = check("Name", Matcher::Equals(json!("${name}")));
        assert!(judge(outcome.clone(), obs(200, None, Some(&body))).is_empty());
        let m = judge(outcome, obs(400, None, Some(&body)));
        assert_eq!(m[0].what, "status");
    }

    #[test]
    fn every_matcher() {
        let body = json!({
            "Name": "n1",
            "ChannelArn": "arn:1",
            "Destinations": [{"Location": "l0"}],
            "Channels": [{"Name": "a"}, {"Name": "b"}],
            "Obj": {"a": 1},
            "Nothing": null,
        });
        let ok = |path: &str, matcher: Matcher| {
            let m = judge(check(path, matcher.clone()), obs(200, None, Some(&body)));
            assert!(m.is_empty(), "{path} {matcher:?}: {m:?}");
        };
        let bad = |path: &str, matcher: Matcher, text: &str| {
            let m = judge(check(path, matcher), obs(200, None, Some(&body)));
            assert_eq!(m.len(), 1, "{m:?}");
            assert_eq!(m[0].to_string(), text);
        };
        ok("Name", Matcher::Equals(json!("n1")));
        ok("Destinations[0].Location", Matcher::Equals(json!("l0")));
        ok("Obj", Matcher::Equals(json!({"a": 1})));
        bad(
            "Name",
            Matcher::Equals(json!("x")),
            "response.Name: expected \"x\", got \"n1\"",
        );
        bad(
            "Gone",
            Matcher::Equals(json!("x")),
            "response.Gone: expected \"x\", got nothing",
        );
        ok("ChannelArn", Matcher::Regex("^arn:\\d$".into()));
        bad(
            "Obj",
            Matcher::Regex("a".into()),
            "response.Obj: expected a string matching /a/, got {\"a\":1}",
        );
        bad(
            "Name",
            Matcher::Regex("(".into()),
            "response.Name: expected a match for /(/, got unclosed group",
        );
        ok("Channels", Matcher::Length(2));
        ok("Name", Matcher::Length(2));
        ok("Obj", Matcher::Length(1));
        bad(
            "Channels",
            Matcher::Length(3),
            "response.Channels: expected length 3, got length 2",
        );
        bad(
            "Gone",
            Matcher::Length(0),
            "response.Gone: expected length 0, got nothing",
        );
        ok("ChannelArn", Matcher::EqualsVar("first".into()));
        bad(
            "Name",
            Matcher::EqualsVar("first".into()),
            "response.Name: expected \"arn:1\" (the value of `first`), got \"n1\"",
        );
        bad(
            "Name",
            Matcher::EqualsVar("zz".into()),
            "response.Name: expected the value of `zz`, got undefined variable `zz`",
        );
        ok("Name", Matcher::NotEqualsVar("first".into()));
        bad(
            "ChannelArn",
            Matcher::NotEqualsVar("first".into()),
            "response.ChannelArn: expected anything but \"arn:1\" (the value of `first`), got \"arn:1\"",
        );
        ok("Tags", Matcher::Absent);
        ok("Nothing", Matcher::Absent);
        bad(
            "Name",
            Matcher::Absent,
            "response.Name: expected absent, got \"n1\"",
        );
        ok("Name", Matcher::Present);
        bad(
            "Nothing",
            Matcher::Present,
            "response.Nothing: expected present, got null",
        );
        ok("Channels[*].Name", Matcher::Contains(json!("b")));
        bad(
            "Channels[*].Name",
            Matcher::Contains(json!("c")),
            "response.Channels[*].Name: expected some element equal to \"c\", got [\"a\",\"b\"]",
        );
        ok("Channels", Matcher::Contains(json!({"Name": "a"})));
        ok("ChannelArn", Matcher::Contains(json!("rn:")));
        bad(
            "Obj",
            Matcher::Contains(json!(1)),
            "response.Obj: expected to contain 1, got {\"a\":1}",
        );
    }

    #[test]
    fn a_race_matches_the_first_joint_outcome_that_holds_for_every_call() {
        let text = "name = \"a\"\ndescription = \"d\"\nrules = [\"OP3\"]\n[[steps]]\n\
            race = [{ name = \"delete\", op = \"DeleteEventDataStore\" }, { name = \"create\", op = \"CreateChannel\" }]\n\
            [[steps.outcomes]]\nname = \"create-first\"\ndelete = { error = \"ChannelExistsForEDSException\" }\ncreate = { status = 200 }\n\
            [[steps.outcomes]]\nname = \"delete-first\"\ndelete = { status = 200 }\ncreate = { status = 400 }\n";
        let scenario = crate::scenario::load_str("s.toml", text).unwrap();
        let race = scenario.steps[0].race().unwrap();
        let judged = |answers: &[Observed]| judge_race(race, answers, &vars());
        let refused = obs(400, Some("ChannelExistsForEDSException"), None);
        assert_eq!(judged(&[refused, obs(200, None, None)]), Ok(0));
        assert_eq!(
            judged(&[obs(200, None, None), obs(400, Some("X"), None)]),
            Ok(1)
        );
        let both = judged(&[obs(200, None, None), obs(200, None, None)]).unwrap_err();
        let lines: Vec<String> = both.iter().map(ToString::to_string).collect();
        assert_eq!(
            lines,
            [
                "joint outcome: expected one of create-first, delete-first, got delete status 200; create status 200",
                "outcome create-first: call delete: status: expected 4xx or 5xx, got 200",
                "outcome create-first: call delete: error code: expected ChannelExistsForEDSException, got none",
                "outcome delete-first: call create: status: expected 400, got 200",
            ]
        );
        assert!(judged(&[obs(200, None, None)]).is_err(), "one answer short");
    }

    #[test]
    fn missing_body_means_absent() {
        assert!(judge(check("Tags", Matcher::Absent), obs(200, None, None)).is_empty());
        assert_eq!(
            judge(check("Tags", Matcher::Present), obs(200, None, None)).len(),
            1
        );
    }

    #[test]
    fn any_of_accepts_any_alternative() {
        let expect = Expect {
            kind: ExpectKind::AnyOf(vec![status(&[200]), {
                let mut o = error(&["InvalidTagParameterException", "ValidationException"]);
                o.status = Some(StatusSet::Codes(vec![400]));
                o
            }]),
            pos: Pos::default(),
        };
        let v = vars();
        assert!(expect.judge(&obs(200, None, None), &v).is_empty());
        assert!(expect
            .judge(&obs(400, Some("ValidationException"), None), &v)
            .is_empty());
        let m = expect.judge(&obs(400, Some("Other"), None), &v);
        assert_eq!(
            m[0].to_string(),
            "outcome: expected any of: status 200 | status 400, error one of \
             InvalidTagParameterException, ValidationException, got status 400, error Other"
        );
    }

    #[test]
    fn parallel_counts_successes_and_judges_the_others() {
        let expect = Expect {
            kind: ExpectKind::Parallel {
                successes: 1,
                others: Some(Box::new(one({
                    let mut o = error(&["ChannelAlreadyExistsException"]);
                    o.status = Some(StatusSet::Codes(vec![400]));
                    o
                }))),
            },
            pos: Pos::default(),
        };
        let v = vars();
        let dup = Some("ChannelAlreadyExistsException");
        let good = [
            obs(400, dup, None),
            obs(200, None, None),
            obs(400, dup, None),
        ];
        assert!(judge_parallel(&expect, &good, &v).is_empty());
        let bad = [
            obs(200, None, None),
            obs(200, None, None),
            obs(500, Some("X"), None),
        ];
        let m: Vec<String> = judge_parallel(&expect, &bad, &v)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            m,
            [
                "successes: expected 1, got 2 of 3",
                "copy 3: status: expected 400, got 500",
                "copy 3: error code: expected ChannelAlreadyExistsException, got X",
            ]
        );
        // A plain expectation must hold for every copy.
        let plain = one(status(&[400]));
        let m = judge_parallel(&plain, &[obs(400, None, None), obs(200, None, None)], &v);
        assert_eq!(m[0].to_string(), "copy 2: status: expected 400, got 200");
        // No `others`: only the count matters.
        let count_only = Expect {
            kind: ExpectKind::Parallel {
                successes: 0,
                others: None,
            },
            pos: Pos::default(),
        };
        assert!(count_only.judge(&obs(503, None, None), &v).is_empty());
    }
}
