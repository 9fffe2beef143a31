//! Rendering: turns one observed answer (or a set of parallel answers) into
//! the small, stable, human-readable text that is stored as a snapshot.
//! Everything volatile goes through the scenario's [`Redactor`].

use std::collections::BTreeMap;

use serde_json::Value;

use super::redact::Redactor;

/// How much of a non-JSON body is kept, in bytes.
pub const RAW_BODY_LIMIT: usize = 4096;

/// One answer as the runner observed it.
#[derive(Clone, Copy, Debug, Default)]
pub struct Observation<'a> {
    /// The HTTP status, when an answer arrived.
    pub status: Option<u16>,
    /// The error code the protocol layer identified.
    pub error_code: Option<&'a str>,
    /// The error message.
    pub message: Option<&'a str>,
    /// The body, when it parsed as JSON.
    pub body: Option<&'a Value>,
    /// The body, when it is not JSON.
    pub raw_body: Option<&'a [u8]>,
    /// The transport fault kind (e.g. `timeout`) when no answer arrived.
    pub fault: Option<&'a str>,
}

/// Renders one answer, one `label: value` line per present part, the body
/// last as pretty JSON with sorted keys.
pub fn render(obs: &Observation<'_>, redactor: &mut Redactor) -> String {
    let mut out = String::new();
    if let Some(fault) = obs.fault {
        push_line(&mut out, "fault", &redactor.redact_str(fault));
    }
    if let Some(status) = obs.status {
        push_line(&mut out, "status", &status.to_string());
    }
    if let Some(code) = obs.error_code {
        push_line(&mut out, "error", &redactor.redact_str(code));
    }
    if let Some(message) = obs.message {
        push_line(
            &mut out,
            "message",
            &one_line(&redactor.redact_str(message)),
        );
    }
    if let Some(body) = obs.body {
        out.push_str("body:\n");
        out.push_str(&pretty_json(&redactor.redact_value(body)));
        out.push('\n');
    } else if let Some(raw) = obs.raw_body {
        push_line(&mut out, "raw body", &render_raw(raw, redactor));
    }
    out
}

/// Renders a race's answers: the joint outcome they matched, then each
/// call's answer (as [`render`], indented) in call order, so a snapshot
/// shows the state the outcome left, whichever call arrived first.
pub fn render_race(
    outcome: &str,
    calls: &[(&str, Observation<'_>)],
    redactor: &mut Redactor,
) -> String {
    let mut out = format!("outcome: {outcome}\n");
    for (name, obs) in calls {
        out.push_str(&format!("call {name}:\n"));
        for line in render(obs, redactor).lines() {
            out.push_str("  ");
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// Renders answers that arrived in any order: grouped by status, error code
/// and fault, counted, and sorted, so arrival order does not show.
pub fn render_parallel(observations: &[Observation<'_>], redactor: &mut Redactor) -> String {
    let mut groups: BTreeMap<String, usize> = BTreeMap::new();
    for obs in observations {
        *groups.entry(group_key(obs)).or_insert(0) += 1;
    }
    let mut out = format!("answers: {}\n", observations.len());
    // Redacted in sorted order, so numbering is arrival-order independent.
    for (key, count) in groups {
        out.push_str(&format!("{count} x {}\n", redactor.redact_str(&key)));
    }
    out
}

/// The grouping key of one parallel answer.
fn group_key(obs: &Observation<'_>) -> String {
    let mut parts = Vec::new();
    if let Some(fault) = obs.fault {
        parts.push(format!("fault: {fault}"));
    }
    if let Some(status) = obs.status {
        parts.push(format!("status: {status}"));
    }
    if let Some(code) = obs.error_code {
        parts.push(format!("error: {code}"));
    }
    if parts.is_empty() {
        "no answer".to_string()
    } else {
        parts.join(", ")
    }
}

fn push_line(out: &mut String, label: &str, value: &str) {
    out.push_str(label);
    out.push_str(": ");
    out.push_str(value);
    out.push('\n');
}

/// Keeps a message on its line; control characters are shown escaped.
fn one_line(text: &str) -> String {
    text.chars()
        .flat_map(|c| {
            if c.is_control() {
                c.escape_default().collect::<Vec<_>>()
            } else {
                vec![c]
            }
        })
        .collect()
}

fn pretty_json(value: &Value) -> String {
    serde_json::to_string_pretty(value).expect("a JSON value always serialises")
}

/// A non-JSON body as an escaped, quoted string, cut at [`RAW_BODY_LIMIT`].
fn render_raw(raw: &[u8], redactor: &mut Redactor) -> String {
    let kept = &raw[..raw.len().min(RAW_BODY_LIMIT)];
    let text = redactor.redact_str(&String::from_utf8_lossy(kept));
    let mut rendered = format!("{text:?}");
    if raw.len() > RAW_BODY_LIMIT {
        rendered.push_str(&format!(" (truncated, {} bytes in all)", raw.len()));
    }
    rendered
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn redactor() -> Redactor {
        Redactor::new("r7x2k9", "123456789012")
    }

    #[test]
    fn renders_an_error_answer() {
        let body = json!({
            "message": "a channel named \"ctc-r7x2k9-dup\" exists",
            "__type": "ChannelAlreadyExistsException",
        });
        let obs = Observation {
            status: Some(400),
            error_code: Some("ChannelAlreadyExistsException"),
            message: Some("a channel named \"ctc-r7x2k9-dup\" exists"),
            body: Some(&body),
            ..Observation::default()
        };
        assert_eq!(
            render(&obs, &mut redactor()),
            r#"status: 400
error: ChannelAlreadyExistsException
message: a channel named "ctc-[run-id]-dup" exists
body:
{
  "__type": "ChannelAlreadyExistsException",
  "message": "a channel named \"ctc-[run-id]-dup\" exists"
}
"#
        );
    }

    #[test]
    fn renders_a_race_as_its_outcome_and_each_call_in_call_order() {
        let refused = Observation {
            status: Some(400),
            error_code: Some("ChannelExistsForEDSException"),
            ..Observation::default()
        };
        let body = json!({ "Name": "ctc-r7x2k9-x" });
        let created = Observation {
            status: Some(200),
            body: Some(&body),
            ..Observation::default()
        };
        assert_eq!(
            render_race(
                "create-first",
                &[("delete", refused), ("create", created)],
                &mut redactor()
            ),
            "outcome: create-first\ncall delete:\n  status: 400\n  error: ChannelExistsForEDSException\n\
             call create:\n  status: 200\n  body:\n  {\n    \"Name\": \"ctc-[run-id]-x\"\n  }\n"
        );
    }

    #[test]
    fn renders_a_fault() {
        let obs = Observation {
            fault: Some("timeout"),
            ..Observation::default()
        };
        assert_eq!(render(&obs, &mut redactor()), "fault: timeout\n");
    }

    #[test]
    fn renders_a_raw_body_escaped_and_truncated() {
        let raw = b"<html>\n\"oops\" r7x2k9</html>";
        let obs = Observation {
            status: Some(502),
            raw_body: Some(raw),
            ..Observation::default()
        };
        assert_eq!(
            render(&obs, &mut redactor()),
            "status: 502\nraw body: \"<html>\\n\\\"oops\\\" [run-id]</html>\"\n"
        );

        let big = vec![b'a'; RAW_BODY_LIMIT + 10];
        let obs = Observation {
            raw_body: Some(&big),
            ..Observation::default()
        };
        let text = render(&obs, &mut redactor());
        assert!(text.ends_with(&format!(
            "\" (truncated, {} bytes in all)\n",
            RAW_BODY_LIMIT + 10
        )));
        assert!(text.contains(&"a".repeat(RAW_BODY_LIMIT)));
        assert!(!text.contains(&"a".repeat(RAW_BODY_LIMIT + 1)));
    }

    #[test]
    fn messages_stay_on_one_line() {
        let obs = Observation {
            message: Some("two\nlines"),
            ..Observation::default()
        };
        assert_eq!(render(&obs, &mut redactor()), "message: two\\nlines\n");
    }

    #[test]
    fn parallel_answers_are_order_independent() {
        let ok = Observation {
            status: Some(200),
            ..Observation::default()
        };
        let dup = Observation {
            status: Some(400),
            error_code: Some("ChannelAlreadyExistsException"),
            ..Observation::default()
        };
        let timeout = Observation {
            fault: Some("timeout"),
            ..Observation::default()
        };
        let a = render_parallel(&[ok, dup, dup, timeout], &mut redactor());
        let b = render_parallel(&[dup, timeout, dup, ok], &mut redactor());
        assert_eq!(a, b);
        assert_eq!(
            a,
            "answers: 4\n1 x fault: timeout\n1 x status: 200\n2 x status: 400, error: ChannelAlreadyExistsException\n"
        );
    }
}
