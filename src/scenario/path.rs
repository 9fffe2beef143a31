//! Response paths (`Destinations[0].Location`, `Channels[*].Name`): their
//! syntax and lookup in a JSON value. Shared by `capture` and the
//! `response` matchers.

use std::fmt;

use serde_json::Value;

/// One step of a path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Segment {
    /// `Name`: an object member.
    Key(String),
    /// `[N]`: an array element.
    Index(usize),
    /// `[*]`: every array element.
    Any,
}

/// A parsed path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Path {
    pub segments: Vec<Segment>,
}

/// Why a path does not parse.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PathError(pub String);

impl fmt::Display for PathError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Path {
    /// Parses `Key(.Key | [N] | [*])*`; keys are any characters but `.`, `[` and `]`.
    pub fn parse(text: &str) -> Result<Path, PathError> {
        if text.is_empty() {
            return Err(PathError("empty path".into()));
        }
        let mut segments = Vec::new();
        let mut rest = text;
        let mut expect_key = true;
        while !rest.is_empty() {
            if let Some(after) = rest.strip_prefix('[') {
                let Some((inner, tail)) = after.split_once(']') else {
                    return Err(PathError(format!("unclosed `[` in path `{text}`")));
                };
                segments.push(parse_bracket(inner, text)?);
                rest = tail;
                expect_key = false;
            } else if let Some(after) = rest.strip_prefix('.') {
                if expect_key {
                    return Err(PathError(format!("empty key in path `{text}`")));
                }
                rest = after;
                expect_key = true;
                if rest.is_empty() {
                    return Err(PathError(format!("path `{text}` ends with `.`")));
                }
            } else {
                if !expect_key {
                    return Err(PathError(format!(
                        "expected `.` or `[` after `]` in path `{text}`"
                    )));
                }
                let end = rest.find(['.', '[', ']']).unwrap_or(rest.len());
                if end == 0 {
                    return Err(PathError(format!("unexpected `]` in path `{text}`")));
                }
                segments.push(Segment::Key(rest[..end].to_string()));
                rest = &rest[end..];
                expect_key = false;
            }
        }
        Ok(Path { segments })
    }

    pub fn has_wildcard(&self) -> bool {
        self.segments.contains(&Segment::Any)
    }

    /// Every value the path reaches in `root` (several only through `[*]`).
    pub fn select<'v>(&self, root: &'v Value) -> Vec<&'v Value> {
        let mut current = vec![root];
        for segment in &self.segments {
            current = current
                .into_iter()
                .flat_map(|value| step(value, segment))
                .collect();
        }
        current
    }
}

fn parse_bracket(inner: &str, text: &str) -> Result<Segment, PathError> {
    if inner == "*" {
        return Ok(Segment::Any);
    }
    match inner.parse::<usize>() {
        Ok(index) if inner.bytes().all(|b| b.is_ascii_digit()) => Ok(Segment::Index(index)),
        _ => Err(PathError(format!(
            "`[{inner}]` in path `{text}` is neither an index nor `[*]`"
        ))),
    }
}

fn step<'v>(value: &'v Value, segment: &Segment) -> Vec<&'v Value> {
    match (segment, value) {
        (Segment::Key(key), Value::Object(map)) => map.get(key).into_iter().collect(),
        (Segment::Index(i), Value::Array(items)) => items.get(*i).into_iter().collect(),
        (Segment::Any, Value::Array(items)) => items.iter().collect(),
        _ => Vec::new(),
    }
}

/// The value at `path` in `body`: for a path with `[*]`, the array of every
/// value reached. `None` when the path is invalid or reaches nothing.
pub fn capture(body: &Value, path: &str) -> Option<Value> {
    let path = Path::parse(path).ok()?;
    let found = path.select(body);
    if path.has_wildcard() {
        Some(Value::Array(found.into_iter().cloned().collect()))
    } else {
        found.first().map(|value| (*value).clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_keys_indexes_and_wildcards() {
        let path = Path::parse("Destinations[0].Location").unwrap();
        assert_eq!(
            path.segments,
            vec![
                Segment::Key("Destinations".into()),
                Segment::Index(0),
                Segment::Key("Location".into())
            ]
        );
        assert!(Path::parse("Channels[*].Name").unwrap().has_wildcard());
        assert!(Path::parse("a[1][2]").is_ok());
    }

    #[test]
    fn rejects_malformed_paths() {
        for bad in [
            "", ".a", "a.", "a..b", "a[", "a[x]", "a[-1]", "a[+1]", "a]b", "a[0]b",
        ] {
            assert!(Path::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn capture_looks_up_values() {
        let body = json!({
            "ChannelArn": "arn:x",
            "Destinations": [{"Location": "l0"}, {"Location": "l1"}],
            "Tags": [],
        });
        assert_eq!(capture(&body, "ChannelArn"), Some(json!("arn:x")));
        assert_eq!(
            capture(&body, "Destinations[1].Location"),
            Some(json!("l1"))
        );
        assert_eq!(capture(&body, "Destinations[2].Location"), None);
        assert_eq!(capture(&body, "Missing"), None);
        assert_eq!(capture(&body, "ChannelArn.x"), None);
        assert_eq!(capture(&body, "ChannelArn[0]"), None);
        assert_eq!(
            capture(&body, "Destinations[*].Location"),
            Some(json!(["l0", "l1"]))
        );
        assert_eq!(capture(&body, "Tags[*].Key"), Some(json!([])));
        assert_eq!(capture(&body, "a["), None);
    }
}
