//! Writing a minimal finding as a ready-to-run scenario (the format of
//! `docs/scenario-format.md`) and a curl reproducer. Leading steps that
//! succeeded become `[[setup]]` (they build the state the finding needs);
//! the rest are `[[steps]]` whose expectation is the oracle's acceptable set,
//! so the last one fails on the endpoint that diverged; everything the steps
//! may create is deleted in `[[cleanup]]`. Names use `${run_id}`, stores the
//! runner's fixtures (`${fixture.eds_integration}`, ...), and resources made
//! by earlier steps are captured variables.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::Value;

use super::plan::PlannedRegion;
use super::render::var;
use super::render::{VAR_CLOSE, VAR_OPEN};
use super::session::{exercised, CreatedVar, ExportStep, SECOND_STORE_VAR};
use crate::contract::shapes::PARTNER_SOURCES;
use crate::contract::{Acceptable, RuleId};
use crate::protocol::TargetForm;
use crate::wire::{curl_command, ClientConfig, HeaderValue, Request, RequestBody, TargetHeader};

/// What to say about the finding at the top of the file.
#[derive(Clone, Debug)]
pub struct FindingHeader<'a> {
    pub name: &'a str,
    pub description: &'a str,
    /// Free comment lines (what was answered, the seed, ...).
    pub notes: &'a [String],
}

/// The scenario's `rules`: those the last step breaks, or when it may
/// succeed, the success rules it checks; never empty.
pub fn scenario_rules(last: &Acceptable) -> Vec<RuleId> {
    let mut rules = exercised(last);
    if rules.is_empty() {
        rules.push(RuleId::P3);
    }
    rules
}

/// The scenario file text.
pub fn scenario_toml(header: &FindingHeader<'_>, steps: &[ExportStep]) -> String {
    let mut out = String::new();
    for note in header.notes {
        for line in note.lines() {
            let _ = writeln!(out, "# {line}");
        }
    }
    let last = steps.last().map(|s| &s.expected);
    let rules: Vec<String> = last
        .map(scenario_rules)
        .unwrap_or_default()
        .iter()
        .map(|r| toml_string(r.as_str()))
        .collect();
    let _ = writeln!(out, "name = {}", toml_string(header.name));
    let _ = writeln!(out, "description = {}", toml_string(header.description));
    let _ = writeln!(out, "rules = [{}]", rules.join(", "));
    let _ = writeln!(out, "tags = [\"fuzz\"]");
    let locks = partner_locks(steps);
    if !locks.is_empty() {
        let locks: Vec<String> = locks.iter().map(|l| toml_string(l)).collect();
        let _ = writeln!(out, "locks = [{}]", locks.join(", "));
    }
    // The steps are written apart first: a step naming the second Region's
    // store needs a setup step that makes one there.
    let head = std::mem::take(&mut out);
    let setup_count = steps
        .iter()
        .take(steps.len().saturating_sub(1))
        .take_while(|s| s.status.is_some_and(|code| (200..300).contains(&code)))
        .count();
    for (index, step) in steps.iter().enumerate() {
        let phase = if index < setup_count {
            "setup"
        } else {
            "steps"
        };
        let _ = writeln!(out, "\n[[{phase}]]");
        write_request(&mut out, &step.template);
        if step.region == PlannedRegion::Second {
            out.push_str(SECOND_REGION);
        }
        if let Some(capture) = kept_capture(step) {
            let _ = writeln!(
                out,
                "capture = {{ {} = {} }}",
                capture.var,
                toml_string(capture.member)
            );
        }
        if phase == "steps" {
            let _ = writeln!(out, "expect = {}", expectation(&step.expected));
        }
    }
    let second_store = format!("${{{SECOND_STORE_VAR}}}");
    let needs_second_store = out.contains(&second_store);
    write_cleanup(&mut out, steps);
    if !needs_second_store {
        return head + &out;
    }
    let mut setup = String::from("\n[[setup]]\n");
    let request =
        crate::account::fixture_store_request(&format!("ctf-{}-fx2", var("run_id")), true);
    write_request(&mut setup, &request);
    setup.push_str(SECOND_REGION);
    let _ = writeln!(
        setup,
        "capture = {{ {SECOND_STORE_VAR} = \"EventDataStoreArn\" }}"
    );
    let _ = write!(
        out,
        "\n[[cleanup]]\nop = \"DeleteEventDataStore\"\ninput = {{ EventDataStore = \"{second_store}\" }}\n{SECOND_REGION}"
    );
    head + &setup + &out
}

/// One curl command per step, each after a comment saying what it is.
pub fn curl_script(config: &ClientConfig, steps: &[ExportStep]) -> String {
    let mut out = String::from(
        "# Requests of the finding as last replayed; ARNs name resources deleted since,\n\
         # so re-create them (or run the scenario) before replaying later steps.\n",
    );
    let second = ClientConfig {
        region: crate::account::second_region(&config.region).to_string(),
        ..config.clone()
    };
    for (index, step) in steps.iter().enumerate() {
        let _ = writeln!(
            out,
            "\n# step {}: {} — conforming answers: {}",
            index + 1,
            step.live.operation,
            step.expected.describe()
        );
        let _ = match step.region {
            PlannedRegion::Home => writeln!(out, "{}", curl_command(config, &step.live)),
            PlannedRegion::Second => writeln!(out, "{}", curl_command(&second, &step.live)),
        };
    }
    out
}

fn write_request(out: &mut String, request: &Request) {
    let _ = writeln!(out, "op = {}", toml_string(&request.operation));
    // A finding is judged by its expectation; no endpoint has recordings of it.
    let _ = writeln!(out, "snapshot = false");
    match &request.target {
        TargetHeader::Form(TargetForm::Prefixed) => {
            let _ = writeln!(out, "target_form = \"prefixed\"");
        }
        TargetHeader::Form(TargetForm::ServiceShape) => {
            let _ = writeln!(out, "target_form = \"service\"");
        }
        TargetHeader::Value(value) => {
            let _ = writeln!(out, "target = {}", toml_string(value));
        }
        TargetHeader::Omit => out.push_str("target = false\n"),
    }
    match &request.content_type {
        HeaderValue::Default => {}
        HeaderValue::Value(value) => {
            let _ = writeln!(out, "content_type = {}", toml_string(value));
        }
        HeaderValue::Omit => out.push_str("content_type = false\n"),
    }
    if let Some(method) = &request.method {
        let _ = writeln!(out, "method = {}", toml_string(method));
    }
    match &request.body {
        RequestBody::Json(value @ Value::Object(_)) => {
            let _ = writeln!(out, "input = {}", toml_value(value));
        }
        RequestBody::Json(other) => {
            let text = serde_json::to_string(other).unwrap_or_default();
            let _ = writeln!(out, "raw_body = {}", template_string(&text));
        }
        RequestBody::Raw(bytes) if bytes.is_empty() => {}
        RequestBody::Raw(bytes) => {
            let text = String::from_utf8_lossy(bytes);
            let _ = writeln!(out, "raw_body = {}", template_string(&text));
        }
    }
}

/// A step's capture, unless the step must be refused: a conforming
/// endpoint answers it with an error, which has nothing to capture, so the
/// scenario could never pass once the endpoint is fixed. (What a wrong
/// success made anyway, the runner's ledger deletes.)
fn kept_capture(step: &ExportStep) -> Option<&CreatedVar> {
    step.capture
        .as_ref()
        .filter(|_| step.expected.success.is_some())
}

/// A scenario step's line sending it to the second Region.
const SECOND_REGION: &str = "region = \"${region2}\"\n";

fn write_cleanup(out: &mut String, steps: &[ExportStep]) {
    let captures: Vec<&CreatedVar> = steps.iter().filter_map(kept_capture).collect();
    // Channels first: a store a channel points at cannot be deleted.
    let channels = captures.iter().filter(|c| c.member == "ChannelArn");
    let stores = captures.iter().filter(|c| c.member != "ChannelArn");
    for capture in channels {
        let _ = writeln!(
            out,
            "\n[[cleanup]]\nop = \"DeleteChannel\"\ninput = {{ Channel = \"${{{}}}\" }}",
            capture.var
        );
        if capture.region == PlannedRegion::Second {
            out.push_str(SECOND_REGION);
        }
    }
    for capture in stores {
        let _ = writeln!(
            out,
            "\n[[cleanup]]\nop = \"DeleteEventDataStore\"\ninput = {{ EventDataStore = \"${{{}}}\" }}",
            capture.var
        );
        if capture.region == PlannedRegion::Second {
            out.push_str(SECOND_REGION);
        }
    }
}

/// `source:<Name>` for every partner source a step sends (C2 is account-wide).
fn partner_locks(steps: &[ExportStep]) -> Vec<String> {
    let mut locks: Vec<String> = steps
        .iter()
        .filter_map(|s| match &s.template.body {
            RequestBody::Json(body) => body.get("Source")?.as_str().map(str::to_string),
            RequestBody::Raw(_) => None,
        })
        .filter(|source| PARTNER_SOURCES.contains(&source.as_str()))
        .map(|source| format!("source:{source}"))
        .collect();
    locks.sort();
    locks.dedup();
    locks
}

/// The acceptable set as an expectation: one alternative per way of
/// conforming, `any_of` when there are several.
pub fn expectation(acceptable: &Acceptable) -> String {
    let mut alternatives = Vec::new();
    if acceptable.success.is_some() {
        alternatives.push("{ status = \"2xx\" }".to_string());
    }
    let mut by_statuses: BTreeMap<&[u16], Vec<String>> = BTreeMap::new();
    for code in &acceptable.errors {
        by_statuses
            .entry(code.statuses())
            .or_default()
            .push(toml_string(code.as_str()));
    }
    for (statuses, codes) in by_statuses {
        let statuses: Vec<String> = statuses.iter().map(u16::to_string).collect();
        alternatives.push(format!(
            "{{ status = [{}], error = [{}] }}",
            statuses.join(", "),
            codes.join(", ")
        ));
    }
    if acceptable.any_client_error || alternatives.is_empty() {
        alternatives.push("{ status = \"4xx\" }".to_string());
    }
    if alternatives.len() == 1 {
        alternatives.remove(0)
    } else {
        format!("{{ any_of = [\n  {},\n] }}", alternatives.join(",\n  "))
    }
}

/// A JSON value as a TOML inline value; `null` is the `${null()}` generator.
fn toml_value(value: &Value) -> String {
    match value {
        Value::Null => "\"${null()}\"".to_string(),
        Value::Bool(flag) => flag.to_string(),
        Value::Number(number) => number.to_string(),
        Value::String(text) => template_string(text),
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(toml_value).collect();
            format!("[{}]", items.join(", "))
        }
        Value::Object(members) => {
            if members.is_empty() {
                return "{}".to_string();
            }
            let members: Vec<String> = members
                .iter()
                .map(|(key, value)| format!("{} = {}", toml_key(key), toml_value(value)))
                .collect();
            format!("{{ {} }}", members.join(", "))
        }
    }
}

fn toml_key(key: &str) -> String {
    let bare = !key.is_empty()
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if bare {
        key.to_string()
    } else {
        toml_string(key)
    }
}

/// A rendered string as a scenario string: a literal `${` is escaped, the
/// renderer's variable marks become `${name}`.
fn template_string(text: &str) -> String {
    let escaped = text.replace("${", "$${");
    let mut out = String::with_capacity(escaped.len());
    for (at, c) in escaped.char_indices() {
        match c {
            // A truncated body can cut a variable in two: drop the stump.
            VAR_OPEN if !escaped[at..].contains(VAR_CLOSE) => break,
            VAR_OPEN => out.push_str("${"),
            VAR_CLOSE => out.push('}'),
            other => out.push(other),
        }
    }
    toml_string(&out)
}

/// A TOML basic string.
pub fn toml_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fuzz::render::var;
    use serde_json::json;

    /// Every exported session, whatever its plan, loads and lints cleanly.
    #[test]
    fn exported_sessions_load_and_lint() {
        use arbitrary::{Arbitrary, Unstructured};
        use rand::{RngCore, SeedableRng};
        let world = crate::fuzz::InProcess::new().unwrap();
        let mut rng = rand::rngs::StdRng::seed_from_u64(3);
        let mut bytes = vec![0u8; 2048];
        for n in 0..300 {
            rng.fill_bytes(&mut bytes);
            let session = crate::fuzz::Session::arbitrary(&mut Unstructured::new(&bytes)).unwrap();
            let records = world.run_recorded(&session);
            let name = format!("fuzz-export-{n}");
            let notes = vec!["a note\nover two lines".to_string()];
            let header = FindingHeader {
                name: &name,
                description: "An exported session \"quoted\".",
                notes: &notes,
            };
            let text = scenario_toml(&header, &records);
            let scenario = crate::scenario::load_str("export.toml", &text)
                .unwrap_or_else(|d| panic!("{text}\n{d:?}"));
            let problems = crate::scenario::check(&[scenario], &[]);
            assert!(problems.is_empty(), "{text}\n{problems:?}");
        }
    }

    #[test]
    fn values_become_toml_with_variables() {
        let value =
            json!({"Name": format!("ctf-{}-c0", var("run_id")), "Tags": null, "x y": ["${no}", 1]});
        assert_eq!(
            toml_value(&value),
            r#"{ Name = "ctf-${run_id}-c0", Tags = "${null()}", "x y" = ["$${no}", 1] }"#
        );
        assert_eq!(toml_string("a\"b\n\u{1}"), r#""a\"b\n\u0001""#);
    }
}
