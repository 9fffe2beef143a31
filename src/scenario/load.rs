//! Loading: reading `scenarios/**.toml`, parsing TOML into spanned values
//! (`toml::de::DeTable`) and walking them into `format` types, reporting every
//! problem found (not just the first) at the line and column of the
//! offending key or value.

use std::ops::Range;
use std::path::{Path, PathBuf};

use serde_json::{Map, Number, Value};
use toml::de::{DeTable, DeValue};
use toml::Spanned;

use super::diagnostic::{Diagnostic, LineIndex};
use super::expect::first_line;
use super::format::{
    Body, Capture, Expect, ExpectKind, Header, Located, Matcher, Outcome, Phase, Pos, Race,
    RaceOutcome, Repeat, ResponseCheck, Scenario, ScenarioVar, StatusSet, Step,
};
use super::path::Path as ResponsePath;
use super::vars::{is_var_name, Piece, Template};
use crate::contract::{Operation, RuleId};
use crate::protocol::TargetForm;

/// Larger files are refused unread.
pub const MAX_FILE_BYTES: usize = 1 << 20;
/// Upper bound on `repeat`.
const MAX_REPEAT: i64 = 1000;
/// Upper bound on `parallel`.
pub const MAX_PARALLEL: i64 = 64;

const SCENARIO_KEYS: &[&str] = &[
    "name",
    "description",
    "rules",
    "tags",
    "locks",
    "vars",
    "setup",
    "steps",
    "cleanup",
];
const STEP_KEYS: &[&str] = &[
    "name",
    "op",
    "input",
    "raw_body",
    "target",
    "target_form",
    "content_type",
    "sign",
    "authorization",
    "method",
    "parallel",
    "repeat",
    "region",
    "paginate",
    "rules",
    "snapshot",
    "capture",
    "expect",
];
const EXPECT_KEYS: &[&str] = &[
    "status",
    "error",
    "response",
    "any_of",
    "successes",
    "others",
];
const OTHERS_KEYS: &[&str] = &["status", "error", "response", "any_of"];
/// A `race = [...]` step: its calls and outcomes replace `op` and `expect`.
const RACE_STEP_KEYS: &[&str] = &["name", "rules", "snapshot", "race", "outcomes"];
const RACE_CALL_KEYS: &[&str] = &["name", "op", "input", "region", "capture"];
/// Beside these, a `[[steps.outcomes]]` table has one key per call name.
const RACE_OUTCOME_KEYS: &[&str] = &["name", "then"];
const OUTCOME_KEYS: &[&str] = &["status", "error", "response"];

type Node<'i> = Spanned<DeValue<'i>>;

/// Loads every `*.toml` under `dir` (recursively, sorted by path; other files
/// are ignored). Per-file problems only: run `lint::check` for the
/// suite-wide ones (duplicate names, undefined variables, ...).
pub fn load_dir(dir: impl AsRef<Path>) -> Result<Vec<Scenario>, Vec<Diagnostic>> {
    let mut files = Vec::new();
    let mut diagnostics = Vec::new();
    // One scenario file stands for itself.
    if dir.as_ref().is_file() {
        files.push(dir.as_ref().to_path_buf());
    } else {
        collect_toml_files(dir.as_ref(), &mut files, &mut diagnostics);
    }
    files.sort();
    let mut scenarios = Vec::new();
    for file in files {
        let loaded = match std::fs::metadata(&file) {
            Ok(meta) if meta.len() > MAX_FILE_BYTES as u64 => Err(vec![too_big(&file, meta.len())]),
            _ => match std::fs::read(&file) {
                Ok(bytes) => load_bytes(&file, &bytes),
                Err(err) => Err(vec![file_error(&file, format!("cannot read: {err}"))]),
            },
        };
        match loaded {
            Ok(scenario) => scenarios.push(scenario),
            Err(found) => diagnostics.extend(found),
        }
    }
    if diagnostics.is_empty() {
        Ok(scenarios)
    } else {
        Err(diagnostics)
    }
}

fn collect_toml_files(dir: &Path, files: &mut Vec<PathBuf>, diagnostics: &mut Vec<Diagnostic>) {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(err) => {
            diagnostics.push(file_error(dir, format!("cannot read directory: {err}")));
            return;
        }
    };
    for entry in entries.flatten() {
        let path = entry.path();
        match entry.file_type() {
            Ok(kind) if kind.is_dir() => collect_toml_files(&path, files, diagnostics),
            Ok(_) if path.extension().is_some_and(|ext| ext == "toml") => files.push(path),
            _ => {}
        }
    }
}

/// The byte offset of the first `[` or `{` of a value that is never
/// closed, if any: brackets are counted outside strings and comments, and
/// a line that starts with `[` outside any value is a table header.
fn unclosed_opener(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut open: Vec<usize> = Vec::new();
    let mut at = 0;
    let mut line_start = true;
    while at < bytes.len() {
        let byte = bytes[at];
        match byte {
            b'\n' => line_start = true,
            b' ' | b'\t' | b'\r' => {}
            b'[' if line_start && open.is_empty() => {
                // A table header: skip the line.
                while at < bytes.len() && bytes[at] != b'\n' {
                    at += 1;
                }
                continue;
            }
            b'#' => {
                while at < bytes.len() && bytes[at] != b'\n' {
                    at += 1;
                }
                continue;
            }
            b'"' | b'\'' => {
                let triple = bytes.get(at..at + 3) == Some(&[byte, byte, byte][..]);
                let quote_len = if triple { 3 } else { 1 };
                at += quote_len;
                while at < bytes.len() {
                    if byte == b'"' && bytes[at] == b'\\' {
                        at += 2;
                        continue;
                    }
                    if !triple && bytes[at] == b'\n' {
                        break;
                    }
                    if bytes[at] == byte
                        && (!triple || bytes.get(at..at + 3) == Some(&[byte, byte, byte][..]))
                    {
                        at += quote_len;
                        break;
                    }
                    at += 1;
                }
                line_start = false;
                continue;
            }
            b'[' | b'{' => {
                open.push(at);
                line_start = false;
            }
            b']' | b'}' => {
                open.pop();
                line_start = false;
            }
            _ => line_start = false,
        }
        at += 1;
    }
    open.first().copied()
}

fn file_error(path: &Path, message: String) -> Diagnostic {
    Diagnostic::new(path, Pos { line: 1, col: 1 }, message)
}

fn too_big(path: &Path, len: u64) -> Diagnostic {
    file_error(
        path,
        format!(
            "file is {len} bytes; scenario files are limited to 1 MiB ({MAX_FILE_BYTES} bytes)"
        ),
    )
}

/// Loads one scenario from raw bytes: refuses more than 1 MiB and invalid UTF-8.
pub fn load_bytes(path: impl AsRef<Path>, bytes: &[u8]) -> Result<Scenario, Vec<Diagnostic>> {
    let path = path.as_ref();
    if bytes.len() > MAX_FILE_BYTES {
        return Err(vec![too_big(path, bytes.len() as u64)]);
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => load_str(path, text),
        Err(err) => {
            let valid = std::str::from_utf8(&bytes[..err.valid_up_to()]).unwrap_or_default();
            let pos = LineIndex::new(valid).pos(valid.len());
            Err(vec![Diagnostic::new(path, pos, "invalid UTF-8")])
        }
    }
}

/// Loads one scenario from its text; `path` names it in diagnostics.
pub fn load_str(path: impl AsRef<Path>, text: &str) -> Result<Scenario, Vec<Diagnostic>> {
    let path = path.as_ref();
    if text.len() > MAX_FILE_BYTES {
        return Err(vec![too_big(path, text.len() as u64)]);
    }
    let mut loader = Loader {
        path: path.to_path_buf(),
        lines: LineIndex::new(text),
        diagnostics: Vec::new(),
    };
    let (root, errors) = DeTable::parse_recoverable(text);
    if !errors.is_empty() {
        // The parser recovers and goes on, so one slip (an unclosed `[`)
        // cascades into a dozen errors after it: report the one cause.
        if let Some(opener) = unclosed_opener(text) {
            let what = if text.as_bytes()[opener] == b'[' {
                "array"
            } else {
                "inline table"
            };
            let bracket = text.as_bytes()[opener] as char;
            loader.error(
                opener..opener + 1,
                format!("TOML: unclosed {what}: this `{bracket}` is never closed"),
            );
            return Err(loader.diagnostics);
        }
        let first = errors
            .into_iter()
            .min_by_key(|error| error.span().map_or(0, |span| span.start));
        if let Some(error) = first {
            let span = error.span().unwrap_or(0..0);
            let mut message = format!("TOML: {}", error.message());
            if error.message() == "duplicate key" {
                if let Some(key) = text.get(span.clone()) {
                    message = format!("TOML: duplicate key `{key}`");
                }
            }
            loader.error(span, message);
        }
        return Err(loader.diagnostics);
    }
    let scenario = loader.scenario(root.get_ref());
    match scenario {
        Some(scenario) if loader.diagnostics.is_empty() => Ok(scenario),
        _ => {
            loader.diagnostics.sort_by_key(|d| (d.line, d.col));
            Err(loader.diagnostics)
        }
    }
}

/// True for a scenario or step name: ASCII letters, digits, `-`, `_`, `.`
/// (names become snapshot file names).
fn is_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

fn type_name(value: &DeValue) -> &'static str {
    match value {
        DeValue::String(_) => "a string",
        DeValue::Integer(_) => "an integer",
        DeValue::Float(_) => "a float",
        DeValue::Boolean(_) => "a boolean",
        DeValue::Datetime(_) => "a datetime",
        DeValue::Array(_) => "an array",
        DeValue::Table(_) => "a table",
    }
}

struct Loader<'t> {
    path: PathBuf,
    lines: LineIndex<'t>,
    diagnostics: Vec<Diagnostic>,
}

impl Loader<'_> {
    // ------------------------------------------------------------ reporting

    fn pos(&self, span: &Range<usize>) -> Pos {
        self.lines.pos(span.start)
    }

    fn error(&mut self, span: Range<usize>, message: impl Into<String>) {
        let pos = self.pos(&span);
        self.error_at(pos, message);
    }

    fn error_at(&mut self, pos: Pos, message: impl Into<String>) {
        self.diagnostics
            .push(Diagnostic::new(&self.path, pos, message));
    }

    fn wrong_type(&mut self, node: &Node, key: &str, expected: &str) {
        let found = type_name(node.get_ref());
        self.error(
            node.span(),
            format!("`{key}` must be {expected}, found {found}"),
        );
    }

    fn check_keys(&mut self, table: &DeTable, valid: &[&str], context: &str) {
        for (key, _) in table.iter() {
            let name: &str = key.get_ref();
            if !valid.contains(&name) {
                self.error(
                    key.span(),
                    format!(
                        "unknown key `{name}` in {context}; valid keys: {}",
                        valid.join(", ")
                    ),
                );
            }
        }
    }

    fn required<'a, 'i>(
        &mut self,
        table: &'a DeTable<'i>,
        table_span: &Range<usize>,
        key: &str,
        context: &str,
    ) -> Option<&'a Node<'i>> {
        let found = table.get(key);
        if found.is_none() {
            self.error(
                table_span.clone(),
                format!("missing required key `{key}` in {context}"),
            );
        }
        found
    }

    // -------------------------------------------------------------- values

    fn string(&mut self, node: &Node, key: &str) -> Option<String> {
        match node.get_ref() {
            DeValue::String(s) => Some(s.to_string()),
            _ => {
                self.wrong_type(node, key, "a string");
                None
            }
        }
    }

    fn located_string(&mut self, node: &Node, key: &str) -> Option<Located<String>> {
        let pos = self.pos(&node.span());
        self.string(node, key).map(|s| Located::new(s, pos))
    }

    fn string_list(&mut self, node: &Node, key: &str) -> Option<Vec<Located<String>>> {
        let DeValue::Array(items) = node.get_ref() else {
            self.wrong_type(node, key, "an array of strings");
            return None;
        };
        let mut out = Vec::new();
        let mut ok = true;
        for item in items.iter() {
            match self.located_string(item, &format!("{key}[]")) {
                Some(s) => out.push(s),
                None => ok = false,
            }
        }
        ok.then_some(out)
    }

    fn boolean(&mut self, node: &Node, key: &str) -> Option<bool> {
        match node.get_ref() {
            DeValue::Boolean(b) => Some(*b),
            _ => {
                self.wrong_type(node, key, "a boolean");
                None
            }
        }
    }

    fn integer(&mut self, node: &Node, key: &str) -> Option<i64> {
        match node.get_ref() {
            DeValue::Integer(i) => match i64::from_str_radix(i.as_str(), i.radix()) {
                Ok(n) => Some(n),
                Err(_) => {
                    self.error(node.span(), format!("`{key}` is out of range"));
                    None
                }
            },
            _ => {
                self.wrong_type(node, key, "an integer");
                None
            }
        }
    }

    fn integer_in(&mut self, node: &Node, key: &str, range: Range<i64>) -> Option<i64> {
        let n = self.integer(node, key)?;
        if range.contains(&n) {
            Some(n)
        } else {
            let (low, high) = (range.start, range.end - 1);
            self.error(
                node.span(),
                format!("`{key}` must be between {low} and {high}, found {n}"),
            );
            None
        }
    }

    /// The node as JSON; every string is recorded in `templates`.
    fn json(&mut self, node: &Node, templates: &mut Vec<Located<String>>) -> Option<Value> {
        let span = node.span();
        Some(match node.get_ref() {
            DeValue::String(s) => {
                templates.push(Located::new(s.to_string(), self.pos(&span)));
                Value::String(s.to_string())
            }
            DeValue::Integer(i) => match i64::from_str_radix(i.as_str(), i.radix()) {
                Ok(n) => Value::from(n),
                Err(_) => {
                    self.error(span, "integer out of range");
                    return None;
                }
            },
            DeValue::Float(f) => {
                let number = f
                    .as_str()
                    .replace('_', "")
                    .parse::<f64>()
                    .ok()
                    .and_then(Number::from_f64);
                match number {
                    Some(n) => Value::Number(n),
                    None => {
                        self.error(span, format!("float `{}` has no JSON form", f.as_str()));
                        return None;
                    }
                }
            }
            DeValue::Boolean(b) => Value::Bool(*b),
            DeValue::Datetime(d) => Value::String(d.to_string()),
            DeValue::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                let mut ok = true;
                for item in items.iter() {
                    match self.json(item, templates) {
                        Some(v) => out.push(v),
                        None => ok = false,
                    }
                }
                if !ok {
                    return None;
                }
                Value::Array(out)
            }
            DeValue::Table(table) => {
                let mut out = Map::new();
                let mut ok = true;
                for (key, item) in table.iter() {
                    match self.json(item, templates) {
                        Some(v) => {
                            out.insert(key.get_ref().to_string(), v);
                        }
                        None => ok = false,
                    }
                }
                if !ok {
                    return None;
                }
                Value::Object(out)
            }
        })
    }

    fn check_templates(&mut self, templates: &[Located<String>]) {
        for template in templates {
            if let Err(err) = Template::parse(&template.value) {
                self.error_at(template.pos, err.to_string());
            }
        }
    }

    // ------------------------------------------------------------ scenario

    fn scenario(&mut self, root: &DeTable) -> Option<Scenario> {
        let whole = 0..0;
        let context = "the scenario";
        self.check_keys(root, SCENARIO_KEYS, context);
        let name = self
            .required(root, &whole, "name", context)
            .and_then(|node| self.located_string(node, "name"));
        if let Some(name) = &name {
            if !is_name(&name.value) {
                self.error_at(
                    name.pos,
                    format!(
                        "`name` `{}` must be ASCII letters, digits, `-`, `_` or `.`",
                        name.value
                    ),
                );
            }
        }
        let description = self
            .required(root, &whole, "description", context)
            .and_then(|node| self.string(node, "description"));
        let rules = self
            .required(root, &whole, "rules", context)
            .and_then(|node| self.rules(node));
        let mut optional_list = |key: &str| -> Vec<String> {
            root.get(key)
                .and_then(|node| self.string_list(node, key))
                .map(|items| items.into_iter().map(|s| s.value).collect())
                .unwrap_or_default()
        };
        let tags = optional_list("tags");
        let locks = optional_list("locks");
        let vars = root
            .get("vars")
            .map(|node| self.vars(node))
            .unwrap_or_default();
        let setup = self.steps(root, Phase::Setup);
        let steps = self.steps(root, Phase::Steps);
        let cleanup = self.steps(root, Phase::Cleanup);
        if let Some(rules) = &rules {
            let every_step = setup
                .iter()
                .chain(&steps)
                .chain(&cleanup)
                .flat_map(|step| std::iter::once(step).chain(step.nested()));
            for step in every_step {
                for rule in &step.rules {
                    if !rules.iter().any(|r| r.value == rule.value) {
                        self.error_at(
                            rule.pos,
                            format!(
                                "step rule `{}` is not among the scenario's `rules`",
                                rule.value
                            ),
                        );
                    }
                }
            }
        }
        Some(Scenario {
            path: self.path.clone(),
            name: name?,
            description: description?,
            rules: rules?,
            tags,
            locks,
            vars,
            setup,
            steps,
            cleanup,
        })
    }

    fn rules(&mut self, node: &Node) -> Option<Vec<Located<String>>> {
        let rules = self.string_list(node, "rules")?;
        if rules.is_empty() {
            self.error(node.span(), "`rules` names no rule");
        }
        for rule in &rules {
            if RuleId::parse(&rule.value).is_none() {
                self.error_at(rule.pos, format!("unknown rule id `{}`", rule.value));
            }
        }
        Some(rules)
    }

    fn vars(&mut self, node: &Node) -> Vec<ScenarioVar> {
        let DeValue::Table(table) = node.get_ref() else {
            self.wrong_type(node, "vars", "a table");
            return Vec::new();
        };
        let mut vars = Vec::new();
        for (key, value) in table.iter() {
            let name: &str = key.get_ref();
            let pos = self.pos(&key.span());
            if !is_var_name(name) {
                self.error_at(
                    pos,
                    format!(
                        "variable name `{name}` must be ASCII letters, digits, `_`, `-` or `.`"
                    ),
                );
            }
            let mut templates = Vec::new();
            if let Some(value) = self.json(value, &mut templates) {
                self.check_templates(&templates);
                vars.push(ScenarioVar {
                    name: name.to_string(),
                    value,
                    pos,
                    templates,
                });
            }
        }
        vars
    }

    // --------------------------------------------------------------- steps

    fn steps(&mut self, root: &DeTable, phase: Phase) -> Vec<Step> {
        let key = phase.key();
        let Some(node) = root.get(key) else {
            return Vec::new();
        };
        let DeValue::Array(items) = node.get_ref() else {
            self.wrong_type(node, key, &format!("an array of tables ([[{key}]])"));
            return Vec::new();
        };
        let mut steps = Vec::new();
        for (index, item) in items.iter().enumerate() {
            match item.get_ref() {
                DeValue::Table(table) => {
                    if let Some(step) = self.step(table, &item.span(), phase, index, None) {
                        steps.push(step);
                    }
                }
                _ => self.wrong_type(item, &format!("{key}[{index}]"), "a table"),
            }
        }
        steps
    }

    /// One step; `then_of` is `race.outcome` for a step of an outcome's
    /// `then`, whose default name it prefixes.
    fn step(
        &mut self,
        table: &DeTable,
        span: &Range<usize>,
        phase: Phase,
        index: usize,
        then_of: Option<&str>,
    ) -> Option<Step> {
        if table.contains_key("race") && then_of.is_none() {
            return self.race_step(table, span, phase, index);
        }
        let context = match then_of {
            Some(outcome) => format!("`then` #{} of outcome `{outcome}`", index + 1),
            None => format!("[[{}]] #{}", phase.key(), index + 1),
        };
        self.check_keys(table, STEP_KEYS, &context);
        let mut templates = Vec::new();
        let op = self
            .required(table, span, "op", &context)
            .and_then(|node| self.operation(node));
        let name = self.step_name(table);
        let rules = table
            .get("rules")
            .and_then(|node| self.rules(node))
            .unwrap_or_default();
        let body = self.body(table, &mut templates);
        let target = self.header(table, "target", &mut templates);
        let target_form = table.get("target_form").and_then(|node| {
            match self.string(node, "target_form")?.as_str() {
                "service" => Some(TargetForm::ServiceShape),
                "prefixed" => Some(TargetForm::Prefixed),
                other => {
                    self.error(
                        node.span(),
                        format!(
                            "`target_form` must be \"service\" or \"prefixed\", found \"{other}\""
                        ),
                    );
                    None
                }
            }
        });
        let content_type = self.header(table, "content_type", &mut templates);
        let sign = table
            .get("sign")
            .and_then(|node| self.boolean(node, "sign"))
            .unwrap_or(true);
        let authorization = table.get("authorization").and_then(|node| {
            let value = self.located_string(node, "authorization")?;
            templates.push(value.clone());
            Some(value.value)
        });
        let method = table
            .get("method")
            .and_then(|node| {
                let method = self.string(node, "method")?;
                if http::Method::from_bytes(method.as_bytes()).is_err() {
                    self.error(
                        node.span(),
                        format!("`method` `{method}` is not an HTTP method token"),
                    );
                }
                Some(method)
            })
            .unwrap_or_else(|| "POST".to_string());
        let parallel = table
            .get("parallel")
            .and_then(|node| self.integer_in(node, "parallel", 1..MAX_PARALLEL + 1))
            .unwrap_or(1) as u32;
        let repeat = table
            .get("repeat")
            .and_then(|node| self.repeat(node, &mut templates));
        let region = table.get("region").and_then(|node| {
            let value = self.located_string(node, "region")?;
            templates.push(value.clone());
            Some(value.value)
        });
        let paginate = table.get("paginate").and_then(|node| {
            let member = self.string(node, "paginate")?;
            if !is_name(&member) {
                self.error(
                    node.span(),
                    format!(
                        "`paginate` names a list member such as \"Channels\", found \"{member}\""
                    ),
                );
            }
            Some(member)
        });
        let snapshot = table
            .get("snapshot")
            .and_then(|node| self.boolean(node, "snapshot"))
            .unwrap_or(true);
        let captures = table
            .get("capture")
            .map(|node| self.captures(node))
            .unwrap_or_default();
        let expect = table
            .get("expect")
            .and_then(|node| self.expect(node, EXPECT_KEYS, &mut templates));
        self.check_templates(&templates);
        let op = op?;
        let name = name.unwrap_or_else(|| match (then_of, phase) {
            (Some(outcome), _) => format!("{outcome}.{}-{op}", index + 1),
            (None, Phase::Steps) => format!("{}-{op}", index + 1),
            (None, _) => format!("{}-{}-{op}", phase.key(), index + 1),
        });
        Some(Step {
            phase,
            index,
            name,
            op,
            rules,
            body,
            target,
            target_form,
            content_type,
            sign,
            authorization,
            method,
            parallel,
            region,
            paginate,
            repeat,
            snapshot,
            captures,
            expect,
            pos: self.pos(span),
            templates,
        })
    }

    /// `name = "..."` of a step, checked.
    fn step_name(&mut self, table: &DeTable) -> Option<String> {
        table.get("name").and_then(|node| {
            let name = self.located_string(node, "name")?;
            if !is_name(&name.value) {
                self.error_at(
                    name.pos,
                    format!(
                        "step name `{}` must be ASCII letters, digits, `-`, `_` or `.`",
                        name.value
                    ),
                );
            }
            Some(name.value)
        })
    }

    /// A `race = [...]` step with its `[[steps.outcomes]]`.
    fn race_step(
        &mut self,
        table: &DeTable,
        span: &Range<usize>,
        phase: Phase,
        index: usize,
    ) -> Option<Step> {
        let context = format!("[[{}]] #{} (a race)", phase.key(), index + 1);
        self.check_keys(table, RACE_STEP_KEYS, &context);
        let race_node = table.get("race")?;
        if phase != Phase::Steps {
            self.error(
                race_node.span(),
                format!("`race` is only for [[steps]], not [[{}]]", phase.key()),
            );
        }
        let name = self
            .step_name(table)
            .unwrap_or_else(|| format!("{}-race", index + 1));
        let rules = table
            .get("rules")
            .and_then(|node| self.rules(node))
            .unwrap_or_default();
        let snapshot = table
            .get("snapshot")
            .and_then(|node| self.boolean(node, "snapshot"))
            .unwrap_or(true);
        let calls = self.race_calls(race_node, index);
        let mut templates = Vec::new();
        let outcomes_node = self.required(table, span, "outcomes", &context);
        let outcomes = match (outcomes_node, &calls) {
            (Some(node), Some(calls)) => self.race_outcomes(node, calls, &name, &mut templates),
            _ => None,
        };
        self.check_templates(&templates);
        let (calls, outcomes, outcomes_node) = (calls?, outcomes?, outcomes_node?);
        Some(Step {
            phase,
            index,
            name,
            // For reports; each call sends its own operation.
            op: calls[0].op,
            rules,
            body: Body::Empty,
            target: Header::Default,
            target_form: None,
            content_type: Header::Default,
            sign: true,
            authorization: None,
            method: "POST".to_string(),
            parallel: 1,
            region: None,
            paginate: None,
            repeat: None,
            snapshot,
            captures: Vec::new(),
            expect: Some(Expect {
                kind: ExpectKind::Race(Box::new(Race { calls, outcomes })),
                pos: self.pos(&outcomes_node.span()),
            }),
            pos: self.pos(span),
            templates,
        })
    }

    /// `race = [{ name, op, input, region, capture }, ...]`: 2 to 64 calls
    /// with distinct names.
    fn race_calls(&mut self, node: &Node, step_index: usize) -> Option<Vec<Step>> {
        let DeValue::Array(items) = node.get_ref() else {
            self.wrong_type(node, "race", "an array of tables (one per call)");
            return None;
        };
        if items.len() < 2 || items.len() as i64 > MAX_PARALLEL {
            self.error(
                node.span(),
                format!(
                    "`race` sends 2 to {MAX_PARALLEL} calls at once, found {}",
                    items.len()
                ),
            );
        }
        let mut calls: Vec<Step> = Vec::new();
        let mut ok = true;
        for (i, item) in items.iter().enumerate() {
            let DeValue::Table(table) = item.get_ref() else {
                self.wrong_type(item, &format!("race[{i}]"), "a table");
                ok = false;
                continue;
            };
            let span = item.span();
            let context = format!("`race` call #{}", i + 1);
            self.check_keys(table, RACE_CALL_KEYS, &context);
            let mut templates = Vec::new();
            let name = self
                .required(table, &span, "name", &context)
                .and_then(|node| self.located_string(node, "name"));
            let op = self
                .required(table, &span, "op", &context)
                .and_then(|node| self.operation(node));
            if let Some(name) = &name {
                if !is_name(&name.value) || RACE_OUTCOME_KEYS.contains(&name.value.as_str()) {
                    self.error_at(
                        name.pos,
                        format!(
                            "call name `{}` must be ASCII letters, digits, `-`, `_` or `.`, \
                             and neither `name` nor `then`",
                            name.value
                        ),
                    );
                } else if calls.iter().any(|c| c.name == name.value) {
                    self.error_at(name.pos, format!("duplicate call name `{}`", name.value));
                }
            }
            let body = self.body(table, &mut templates);
            let region = table.get("region").and_then(|node| {
                let value = self.located_string(node, "region")?;
                templates.push(value.clone());
                Some(value.value)
            });
            let captures = table
                .get("capture")
                .map(|node| self.captures(node))
                .unwrap_or_default();
            self.check_templates(&templates);
            let (Some(name), Some(op)) = (name, op) else {
                ok = false;
                continue;
            };
            calls.push(Step {
                phase: Phase::Steps,
                index: step_index,
                name: name.value,
                op,
                rules: Vec::new(),
                body,
                target: Header::Default,
                target_form: None,
                content_type: Header::Default,
                sign: true,
                authorization: None,
                method: "POST".to_string(),
                parallel: 1,
                region,
                paginate: None,
                repeat: None,
                snapshot: false,
                captures,
                expect: None,
                pos: self.pos(&span),
                templates,
            });
        }
        ok.then_some(calls)
    }

    /// `[[steps.outcomes]]`: each a `name`, one expectation per call (keyed
    /// by the call's name) and optional `[[steps.outcomes.then]]` steps.
    fn race_outcomes(
        &mut self,
        node: &Node,
        calls: &[Step],
        race: &str,
        templates: &mut Vec<Located<String>>,
    ) -> Option<Vec<RaceOutcome>> {
        let DeValue::Array(items) = node.get_ref() else {
            self.wrong_type(node, "outcomes", "an array of tables ([[steps.outcomes]])");
            return None;
        };
        if items.is_empty() {
            self.error(node.span(), "`outcomes` lists no joint outcome");
        }
        let mut valid: Vec<&str> = RACE_OUTCOME_KEYS.to_vec();
        valid.extend(calls.iter().map(|c| c.name.as_str()));
        let mut outcomes: Vec<RaceOutcome> = Vec::new();
        let mut ok = true;
        for (i, item) in items.iter().enumerate() {
            let DeValue::Table(table) = item.get_ref() else {
                self.wrong_type(item, &format!("outcomes[{i}]"), "a table");
                ok = false;
                continue;
            };
            let span = item.span();
            let context = format!("`outcomes` #{}", i + 1);
            self.check_keys(table, &valid, &context);
            let name = self
                .required(table, &span, "name", &context)
                .and_then(|node| self.located_string(node, "name"));
            if let Some(name) = &name {
                if !is_name(&name.value) {
                    self.error_at(
                        name.pos,
                        format!(
                            "outcome name `{}` must be ASCII letters, digits, `-`, `_` or `.`",
                            name.value
                        ),
                    );
                } else if outcomes.iter().any(|o| o.name == name.value) {
                    self.error_at(name.pos, format!("duplicate outcome name `{}`", name.value));
                }
            }
            let mut expect = Vec::new();
            for call in calls {
                let what = format!("{context} (call `{}`)", call.name);
                let Some(node) = self.required(table, &span, &call.name, &what) else {
                    continue;
                };
                let context = format!("`{}` of outcome #{}", call.name, i + 1);
                if let Some(e) = self.expect_in(node, OTHERS_KEYS, &context, templates) {
                    expect.push(e);
                }
            }
            let Some(name) = name else {
                ok = false;
                continue;
            };
            let then_of = format!("{race}.{}", name.value);
            let then = self.then_steps(table, &then_of);
            if expect.len() != calls.len() {
                ok = false;
                continue;
            }
            outcomes.push(RaceOutcome {
                name: name.value,
                pos: self.pos(&span),
                expect,
                then,
            });
        }
        ok.then_some(outcomes)
    }

    /// `[[steps.outcomes.then]]`: steps judged only when their outcome matched.
    fn then_steps(&mut self, table: &DeTable, then_of: &str) -> Vec<Step> {
        let Some(node) = table.get("then") else {
            return Vec::new();
        };
        let DeValue::Array(items) = node.get_ref() else {
            self.wrong_type(node, "then", "an array of tables ([[steps.outcomes.then]])");
            return Vec::new();
        };
        let mut steps = Vec::new();
        for (index, item) in items.iter().enumerate() {
            match item.get_ref() {
                DeValue::Table(inner) => {
                    if let Some((key, _)) = inner.get_key_value("race") {
                        self.error(
                            key.span(),
                            "a `then` step cannot race; put the race in [[steps]]",
                        );
                        continue;
                    }
                    if let Some(step) =
                        self.step(inner, &item.span(), Phase::Steps, index, Some(then_of))
                    {
                        steps.push(step);
                    }
                }
                _ => self.wrong_type(item, &format!("then[{index}]"), "a table"),
            }
        }
        steps
    }

    /// `repeat = N` (1..=1000) or `repeat = "${var}"` (a count the runner knows).
    fn repeat(&mut self, node: &Node, templates: &mut Vec<Located<String>>) -> Option<Repeat> {
        match node.get_ref() {
            DeValue::String(_) => {
                let text = self.located_string(node, "repeat")?;
                templates.push(text.clone());
                Some(Repeat::Template(text.value))
            }
            _ => self
                .integer_in(node, "repeat", 1..MAX_REPEAT + 1)
                .map(|count| Repeat::Count(count as u32)),
        }
    }

    fn operation(&mut self, node: &Node) -> Option<Operation> {
        let name = self.string(node, "op")?;
        let op = Operation::from_name(&name);
        if op.is_none() {
            let known: Vec<&str> = Operation::ALL.iter().map(|op| op.name()).collect();
            self.error(
                node.span(),
                format!("unknown operation `{name}`; known: {}", known.join(", ")),
            );
        }
        op
    }

    fn body(&mut self, table: &DeTable, templates: &mut Vec<Located<String>>) -> Body {
        let input = table.get("input");
        if let (Some(_), Some((raw_key, _))) = (input, table.get_key_value("raw_body")) {
            self.error(
                raw_key.span(),
                "`input` and `raw_body` are mutually exclusive",
            );
        }
        if let Some(node) = input {
            return match node.get_ref() {
                DeValue::Table(_) => self.json(node, templates).map_or(Body::Empty, Body::Json),
                _ => {
                    self.wrong_type(node, "input", "a table (use `raw_body` for anything else)");
                    Body::Empty
                }
            };
        }
        match table.get("raw_body") {
            Some(node) => match self.located_string(node, "raw_body") {
                Some(raw) => {
                    templates.push(raw.clone());
                    Body::Raw(raw.value)
                }
                None => Body::Empty,
            },
            None => Body::Empty,
        }
    }

    fn header(
        &mut self,
        table: &DeTable,
        key: &str,
        templates: &mut Vec<Located<String>>,
    ) -> Header {
        let Some(node) = table.get(key) else {
            return Header::Default;
        };
        match node.get_ref() {
            DeValue::String(s) => {
                templates.push(Located::new(s.to_string(), self.pos(&node.span())));
                Header::Value(s.to_string())
            }
            DeValue::Boolean(false) => Header::Drop,
            _ => {
                self.wrong_type(node, key, "a string or false");
                Header::Default
            }
        }
    }

    fn captures(&mut self, node: &Node) -> Vec<Capture> {
        let DeValue::Table(table) = node.get_ref() else {
            self.wrong_type(node, "capture", "a table of variable = \"path\"");
            return Vec::new();
        };
        let mut captures = Vec::new();
        for (key, value) in table.iter() {
            let var: &str = key.get_ref();
            if !is_var_name(var) {
                self.error(
                    key.span(),
                    format!("variable name `{var}` must be ASCII letters, digits, `_`, `-` or `.`"),
                );
            }
            let Some(path) = self.string(value, &format!("capture.{var}")) else {
                continue;
            };
            if path.is_empty() {
                self.error(value.span(), format!("empty capture path for `{var}`"));
                continue;
            }
            if let Err(err) = ResponsePath::parse(&path) {
                self.error(value.span(), err.to_string());
                continue;
            }
            captures.push(Capture {
                var: var.to_string(),
                path,
                pos: self.pos(&key.span()),
            });
        }
        captures
    }

    // ---------------------------------------------------------- expectations

    fn expect(
        &mut self,
        node: &Node,
        keys: &[&str],
        templates: &mut Vec<Located<String>>,
    ) -> Option<Expect> {
        let context = if keys == EXPECT_KEYS {
            "`expect`"
        } else {
            "`others`"
        };
        self.expect_in(node, keys, context, templates)
    }

    /// An expectation table whose unknown keys are reported in `context`.
    fn expect_in(
        &mut self,
        node: &Node,
        keys: &[&str],
        context: &str,
        templates: &mut Vec<Located<String>>,
    ) -> Option<Expect> {
        let DeValue::Table(table) = node.get_ref() else {
            self.wrong_type(node, "expect", "a table");
            return None;
        };
        let span = node.span();
        let pos = self.pos(&span);
        self.check_keys(table, keys, context);
        let is_parallel = keys.contains(&"successes")
            && (table.contains_key("successes") || table.contains_key("others"));
        let kind = if is_parallel {
            self.parallel_expect(table, &span, templates)?
        } else if let Some(any_of) = table.get("any_of") {
            self.refuse_with(table, &["status", "error", "response"], "any_of");
            ExpectKind::AnyOf(self.any_of(any_of, templates)?)
        } else {
            ExpectKind::One(self.outcome(table, templates)?)
        };
        Some(Expect { kind, pos })
    }

    /// Reports each of `keys` present in `table`: they cannot go with `with`.
    fn refuse_with(&mut self, table: &DeTable, keys: &[&str], with: &str) {
        for key in keys {
            if let Some((key_node, _)) = table.get_key_value(*key) {
                self.error(
                    key_node.span(),
                    format!("`{key}` cannot be combined with `{with}`"),
                );
            }
        }
    }

    fn parallel_expect(
        &mut self,
        table: &DeTable,
        span: &Range<usize>,
        templates: &mut Vec<Located<String>>,
    ) -> Option<ExpectKind> {
        self.refuse_with(
            table,
            &["status", "error", "response", "any_of"],
            "successes",
        );
        let successes = self
            .required(table, span, "successes", "`expect`")
            .and_then(|node| self.integer_in(node, "successes", 0..MAX_PARALLEL + 1));
        let others = match table.get("others") {
            Some(node) => Some(Box::new(self.expect(node, OTHERS_KEYS, templates)?)),
            None => None,
        };
        Some(ExpectKind::Parallel {
            successes: successes? as u32,
            others,
        })
    }

    fn any_of(
        &mut self,
        node: &Node,
        templates: &mut Vec<Located<String>>,
    ) -> Option<Vec<Outcome>> {
        let DeValue::Array(items) = node.get_ref() else {
            self.wrong_type(node, "any_of", "an array of tables");
            return None;
        };
        if items.is_empty() {
            self.error(node.span(), "`any_of` lists no alternative");
        }
        let mut outcomes = Vec::new();
        let mut ok = true;
        for item in items.iter() {
            let DeValue::Table(table) = item.get_ref() else {
                self.wrong_type(item, "any_of[]", "a table");
                ok = false;
                continue;
            };
            self.check_keys(table, OUTCOME_KEYS, "an `any_of` alternative");
            match self.outcome(table, templates) {
                Some(outcome) => outcomes.push(outcome),
                None => ok = false,
            }
        }
        ok.then_some(outcomes)
    }

    fn outcome(
        &mut self,
        table: &DeTable,
        templates: &mut Vec<Located<String>>,
    ) -> Option<Outcome> {
        let status = table.get("status").map(|node| self.status(node));
        let error = table.get("error").map(|node| self.error_codes(node));
        let response = table
            .get("response")
            .map(|node| self.response(node, templates));
        Some(Outcome {
            status: status.map_or(Some(None), |s| s.map(Some))?,
            error: error.map_or(Some(None), |e| e.map(Some))?,
            response: response.unwrap_or(Some(Vec::new()))?,
        })
    }

    fn status(&mut self, node: &Node) -> Option<StatusSet> {
        const EXPECTED: &str = "an integer, an array of integers or \"2xx\"/\"4xx\"/\"5xx\"";
        match node.get_ref() {
            DeValue::Integer(_) => self.status_code(node).map(|c| StatusSet::Codes(vec![c])),
            DeValue::Array(items) => {
                if items.is_empty() {
                    self.error(node.span(), "`status` lists no status");
                    return None;
                }
                let codes: Vec<Option<u16>> =
                    items.iter().map(|item| self.status_code(item)).collect();
                codes
                    .into_iter()
                    .collect::<Option<Vec<u16>>>()
                    .map(StatusSet::Codes)
            }
            DeValue::String(s) => match s.as_bytes() {
                [digit @ b'1'..=b'5', b'x', b'x'] => {
                    Some(StatusSet::Class(u16::from(digit - b'0')))
                }
                _ => {
                    self.wrong_type(node, "status", EXPECTED);
                    None
                }
            },
            _ => {
                self.wrong_type(node, "status", EXPECTED);
                None
            }
        }
    }

    fn status_code(&mut self, node: &Node) -> Option<u16> {
        self.integer_in(node, "status", 100..600).map(|c| c as u16)
    }

    fn error_codes(&mut self, node: &Node) -> Option<Vec<String>> {
        match node.get_ref() {
            DeValue::String(s) => Some(vec![s.to_string()]),
            DeValue::Array(_) => {
                let codes = self.string_list(node, "error")?;
                if codes.is_empty() {
                    self.error(node.span(), "`error` lists no error code");
                    return None;
                }
                Some(codes.into_iter().map(|c| c.value).collect())
            }
            _ => {
                self.wrong_type(node, "error", "a string or an array of strings");
                None
            }
        }
    }

    fn response(
        &mut self,
        node: &Node,
        templates: &mut Vec<Located<String>>,
    ) -> Option<Vec<ResponseCheck>> {
        let DeValue::Table(table) = node.get_ref() else {
            self.wrong_type(node, "response", "a table of \"path\" = value or matcher");
            return None;
        };
        let mut checks = Vec::new();
        let mut ok = true;
        for (key, value) in table.iter() {
            let path_text: &str = key.get_ref();
            let path = match ResponsePath::parse(path_text) {
                Ok(path) => Some(path),
                Err(err) => {
                    self.error(key.span(), err.to_string());
                    None
                }
            };
            let matcher = self.matcher(value, templates);
            let (Some(path), Some(matcher)) = (path, matcher) else {
                ok = false;
                continue;
            };
            if path.has_wildcard()
                && !matches!(
                    matcher,
                    Matcher::Contains(_) | Matcher::NotContains(_) | Matcher::SameItemsVar(_)
                )
            {
                self.error(
                    key.span(),
                    "`[*]` is only allowed with `contains`, `not_contains` and `same_items_var`",
                );
                ok = false;
                continue;
            }
            checks.push(ResponseCheck {
                path: path_text.to_string(),
                matcher,
                pos: self.pos(&key.span()),
            });
        }
        ok.then_some(checks)
    }

    fn matcher(&mut self, node: &Node, templates: &mut Vec<Located<String>>) -> Option<Matcher> {
        let DeValue::Table(table) = node.get_ref() else {
            return self.json(node, templates).map(Matcher::Equals);
        };
        let keywords = Matcher::KEYWORDS.join(", ");
        if table.is_empty() {
            self.error(
                node.span(),
                format!("empty matcher; use one of: {keywords}"),
            );
            return None;
        }
        let mut ok = true;
        for (i, (key, _)) in table.iter().enumerate() {
            let name: &str = key.get_ref();
            if !Matcher::KEYWORDS.contains(&name) {
                self.error(
                    key.span(),
                    format!(
                        "unknown matcher keyword `{name}`; valid: {keywords} \
                         (to compare a table, write {{ equals = {{ ... }} }})"
                    ),
                );
                ok = false;
            } else if i > 0 {
                self.error(key.span(), "a matcher takes exactly one keyword");
                ok = false;
            }
        }
        let (key, value) = table.iter().next()?;
        if !ok {
            return None;
        }
        let keyword: &str = key.get_ref();
        match keyword {
            "equals" => self.json(value, templates).map(Matcher::Equals),
            "contains" => self.json(value, templates).map(Matcher::Contains),
            "not_contains" => self.json(value, templates).map(Matcher::NotContains),
            "regex" => self.regex(value, templates),
            "length" => self
                .integer_in(value, "length", 0..i64::MAX)
                .map(|n| Matcher::Length(n as u64)),
            "equals_var" | "not_equals_var" | "same_items_var" => {
                let name = self.string(value, keyword)?;
                if !is_var_name(&name) {
                    self.error(value.span(), format!("`{name}` is not a variable name"));
                    return None;
                }
                Some(match keyword {
                    "equals_var" => Matcher::EqualsVar(name),
                    "not_equals_var" => Matcher::NotEqualsVar(name),
                    _ => Matcher::SameItemsVar(name),
                })
            }
            "absent" => {
                self.boolean(value, keyword)
                    .map(|b| if b { Matcher::Absent } else { Matcher::Present })
            }
            _ => {
                self.boolean(value, keyword)
                    .map(|b| if b { Matcher::Present } else { Matcher::Absent })
            }
        }
    }

    /// A `regex` matcher: checked with its `${...}` expressions left out.
    fn regex(&mut self, node: &Node, templates: &mut Vec<Located<String>>) -> Option<Matcher> {
        let pattern = self.located_string(node, "regex")?;
        templates.push(pattern.clone());
        if let Ok(template) = Template::parse(&pattern.value) {
            let literal: String = template
                .pieces
                .iter()
                .filter_map(|piece| match piece {
                    Piece::Text(text) => Some(text.as_str()),
                    _ => None,
                })
                .collect();
            if let Err(err) = regex::Regex::new(&literal) {
                self.error_at(
                    pattern.pos,
                    format!("invalid regex: {}", first_line(&err.to_string())),
                );
                return None;
            }
        }
        Some(Matcher::Regex(pattern.value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The diagnostics of loading `text` as `s.toml`, displayed.
    fn diags(text: &str) -> Vec<String> {
        match load_str("s.toml", text) {
            Ok(_) => Vec::new(),
            Err(found) => found.iter().map(ToString::to_string).collect(),
        }
    }

    const HEAD: &str = "name = \"a\"\ndescription = \"d\"\nrules = [\"C1\"]\n";

    fn with_head(rest: &str) -> Vec<String> {
        diags(&format!("{HEAD}{rest}"))
    }

    const STEP: &str = "[[steps]]\nop = \"ListChannels\"\nexpect = { status = 200 }\n";

    #[test]
    fn loads_the_documented_example() {
        let text = r#"
name = "duplicate-name"
description = "A second channel with an existing name is refused."
rules = ["C1"]
tags = ["state"]
locks = ["channel-quota"]
[vars]
name = "ctc-${run_id}-dup"

[[setup]]
op = "CreateChannel"
input = { Name = "${name}", Source = "Custom", Destinations = [{ Type = "EVENT_DATA_STORE", Location = "${fixture.eds_integration}" }] }
capture = { first = "ChannelArn" }

[[steps]]
name = "second-create"
op = "CreateChannel"
raw_body = '{"Name": '
target = false
target_form = "service"
content_type = "text/plain"
sign = false
authorization = "AWS4-HMAC-SHA256 Credential=bad"
method = "GET"
parallel = 8
snapshot = false
expect = { successes = 1, others = { status = [400, 404], error = "ChannelAlreadyExistsException" } }

[[steps]]
op = "GetChannel"
input = { Channel = "${first}" }
expect = { any_of = [{ status = "2xx" }, { error = ["A", "B"], response = { "Name" = "x", "Tags" = { absent = true }, "Channels[*].Name" = { contains = "x" }, "N" = 1.5 } }] }

[[cleanup]]
op = "DeleteChannel"
input = { Channel = "${first}" }
"#;
        let scenario = load_str("s.toml", text).unwrap_or_else(|d| panic!("{d:?}"));
        assert_eq!(scenario.name.value, "duplicate-name");
        assert!(scenario.runs_alone());
        assert_eq!(scenario.vars[0].name, "name");
        let setup = &scenario.setup[0];
        assert_eq!(setup.name, "setup-1-CreateChannel");
        assert_eq!(setup.captures[0].var, "first");
        assert_eq!(setup.captures[0].path, "ChannelArn");
        assert_eq!(setup.templates.len(), 4, "{:?}", setup.templates);
        let step = &scenario.steps[0];
        assert_eq!(step.name, "second-create");
        assert_eq!(step.body, Body::Raw("{\"Name\": ".into()));
        assert_eq!(step.target, Header::Drop);
        assert_eq!(step.target_form, Some(TargetForm::ServiceShape));
        assert_eq!(step.content_type, Header::Value("text/plain".into()));
        assert!(!step.sign && !step.snapshot);
        assert_eq!(step.method, "GET");
        assert_eq!(step.parallel, 8);
        let Some(ExpectKind::Parallel {
            successes: 1,
            others: Some(others),
        }) = step.expect.as_ref().map(|e| &e.kind)
        else {
            panic!("{:?}", step.expect)
        };
        let ExpectKind::One(outcome) = &others.kind else {
            panic!()
        };
        assert_eq!(outcome.status, Some(StatusSet::Codes(vec![400, 404])));
        let get = &scenario.steps[1];
        assert_eq!(get.name, "2-GetChannel");
        assert!(get.sign);
        assert_eq!(get.method, "POST");
        let Some(ExpectKind::AnyOf(alternatives)) = get.expect.as_ref().map(|e| &e.kind) else {
            panic!()
        };
        assert_eq!(alternatives[0].status, Some(StatusSet::Class(2)));
        assert_eq!(alternatives[1].error, Some(vec!["A".into(), "B".into()]));
        let matchers: Vec<&Matcher> = alternatives[1]
            .response
            .iter()
            .map(|c| &c.matcher)
            .collect();
        assert_eq!(
            matchers,
            [
                &Matcher::Equals("x".into()),
                &Matcher::Absent,
                &Matcher::Contains("x".into()),
                &Matcher::Equals(1.5.into())
            ]
        );
        assert_eq!(alternatives[1].response[1].pos, Pos { line: 32, col: 91 });
        assert_eq!(scenario.cleanup[0].name, "cleanup-1-DeleteChannel");
    }

    const RACE: &str = "[[steps]]\nname = \"r\"\nrace = [\n  { name = \"a\", op = \"DeleteEventDataStore\", input = { EventDataStore = \"x\" } },\n  { name = \"b\", op = \"CreateChannel\", capture = { c = \"ChannelArn\" } },\n]\n";

    #[test]
    fn a_race_loads_its_calls_outcomes_and_then_steps() {
        let text = format!(
            "{HEAD}{RACE}[[steps.outcomes]]\nname = \"a-first\"\na = {{ status = 200 }}\nb = {{ status = 400, error = \"X\" }}\n\
             [[steps.outcomes.then]]\nop = \"GetChannel\"\nexpect = {{ status = 200 }}\n\
             [[steps.outcomes]]\nname = \"b-first\"\na = {{ error = \"Y\" }}\nb = {{ any_of = [{{ status = 200 }}] }}\n"
        );
        let scenario = load_str("s.toml", &text).unwrap_or_else(|d| panic!("{d:?}"));
        let step = &scenario.steps[0];
        let race = step.race().expect("a race step");
        assert_eq!(step.name, "r");
        let calls: Vec<_> = race.calls.iter().map(|c| (c.name.as_str(), c.op)).collect();
        assert_eq!(
            calls,
            [
                ("a", Operation::DeleteEventDataStore),
                ("b", Operation::CreateChannel)
            ]
        );
        assert_eq!(race.calls[1].captures[0].var, "c");
        let outcomes: Vec<_> = race.outcomes.iter().map(|o| o.name.as_str()).collect();
        assert_eq!(outcomes, ["a-first", "b-first"]);
        assert_eq!(race.outcomes[0].expect.len(), 2);
        assert_eq!(race.outcomes[0].then[0].name, "r.a-first.1-GetChannel");
        assert!(race.outcomes[1].then.is_empty());
        assert_eq!(step.nested().count(), 3);
    }

    #[test]
    fn race_mistakes_are_reported_where_written() {
        let outcome = "[[steps.outcomes]]\nname = \"o\"\na = { status = 200 }\n";
        assert_eq!(
            with_head(&format!("{RACE}op = \"GetChannel\"\n{outcome}")),
            [
                "s.toml:10:1: unknown key `op` in [[steps]] #1 (a race); valid keys: name, rules, snapshot, race, outcomes",
                "s.toml:11:1: missing required key `b` in `outcomes` #1 (call `b`)",
            ]
        );
        assert_eq!(
            with_head(&format!(
                "{RACE}{outcome}b = {{ status = 200 }}\nc = {{ status = 1 }}\n"
            )),
            ["s.toml:14:1: unknown key `c` in `outcomes` #1; valid keys: name, then, a, b"]
        );
        assert_eq!(
            with_head("[[steps]]\nrace = [{ name = \"a\", op = \"ListChannels\" }]\n[[steps.outcomes]]\nname = \"o\"\na = { status = 200 }\n"),
            ["s.toml:5:8: `race` sends 2 to 64 calls at once, found 1"]
        );
        assert_eq!(
            with_head("[[steps]]\nrace = [{ name = \"a\", op = \"ListChannels\" }, { name = \"a\", op = \"GetChannel\", expect = {} }]\n"),
            [
                "s.toml:4:1: missing required key `outcomes` in [[steps]] #1 (a race)",
                "s.toml:5:55: duplicate call name `a`",
                "s.toml:5:79: unknown key `expect` in `race` call #2; valid keys: name, op, input, region, capture",
            ]
        );
        assert_eq!(
            with_head(&format!("[[setup]]\nrace = []\n{STEP}")),
            [
                "s.toml:4:1: missing required key `outcomes` in [[setup]] #1 (a race)",
                "s.toml:5:8: `race` is only for [[steps]], not [[setup]]",
                "s.toml:5:8: `race` sends 2 to 64 calls at once, found 0",
            ]
        );
    }

    #[test]
    fn toml_syntax_errors() {
        assert_eq!(
            diags("name = \"a\nx = 1\n"),
            ["s.toml:1:10: TOML: invalid basic string, expected `\"`"]
        );
        assert_eq!(
            with_head("[vars]\na = 1\n[vars]\n"),
            ["s.toml:6:2: TOML: duplicate key `vars`"]
        );
        assert_eq!(
            with_head("x = [\n"),
            ["s.toml:4:5: TOML: unclosed array: this `[` is never closed"]
        );
        // One cause, not the dozen errors the parser's recovery finds after it.
        assert_eq!(
            diags("name = \"x\"\nrules = [\"N1\"\n[[steps]]\nop = \"CreateChannel\"\ninput = { a = \"]\" }\n"),
            ["s.toml:2:9: TOML: unclosed array: this `[` is never closed"]
        );
        assert_eq!(
            diags("a = { b = 1\nc = 2\n"),
            ["s.toml:1:5: TOML: unclosed inline table: this `{` is never closed"]
        );
    }

    #[test]
    fn invalid_utf8_names_the_line_of_the_first_bad_byte() {
        let mut bytes = b"name = \"a\"\ndescription = \"".to_vec();
        bytes.extend_from_slice(&[0xC3, 0xA9, b'x', 0xFF, b'"']);
        let found = load_bytes("s.toml", &bytes).unwrap_err();
        assert_eq!(found[0].to_string(), "s.toml:2:18: invalid UTF-8");
    }

    #[test]
    fn files_over_one_mib_are_refused() {
        let text = format!("{HEAD}# {}\n", "x".repeat(MAX_FILE_BYTES));
        assert_eq!(
            diags(&text),
            [format!(
                "s.toml:1:1: file is {} bytes; scenario files are limited to 1 MiB (1048576 bytes)",
                text.len()
            )]
        );
        assert!(load_bytes("s.toml", text.as_bytes()).is_err());
    }

    #[test]
    fn missing_required_keys() {
        assert_eq!(
            diags("tags = []\n"),
            [
                "s.toml:1:1: missing required key `name` in the scenario",
                "s.toml:1:1: missing required key `description` in the scenario",
                "s.toml:1:1: missing required key `rules` in the scenario",
            ]
        );
        assert_eq!(
            with_head("\n[[steps]]\nexpect = { status = 200 }\n"),
            ["s.toml:5:1: missing required key `op` in [[steps]] #1"]
        );
        assert_eq!(
            with_head("[[steps]]\nop = \"ListChannels\"\nparallel = 2\nexpect = { others = {} }\n"),
            ["s.toml:7:10: missing required key `successes` in `expect`"]
        );
    }

    #[test]
    fn unknown_keys_name_the_key_and_the_valid_ones() {
        assert_eq!(
            with_head(&format!("descriptoin = \"x\"\n{STEP}")),
            ["s.toml:4:1: unknown key `descriptoin` in the scenario; valid keys: name, description, \
              rules, tags, locks, vars, setup, steps, cleanup"]
        );
        assert_eq!(
            with_head("[[steps]]\nop = \"ListChannels\"\nexpect = { status = 200, errors = \"X\" }\n"),
            ["s.toml:6:26: unknown key `errors` in `expect`; valid keys: status, error, response, \
              any_of, successes, others"]
        );
        assert_eq!(
            with_head("[[cleanup]]\nop = \"ListChannels\"\nexpect = { any_of = [{ sttus = 200 }] }\n"),
            ["s.toml:6:24: unknown key `sttus` in an `any_of` alternative; valid keys: status, error, response"]
        );
        assert_eq!(
            with_head("[[steps]]\nop = \"ListChannels\"\n  inptu = {}\n"),
            ["s.toml:6:3: unknown key `inptu` in [[steps]] #1; valid keys: name, op, input, raw_body, \
              target, target_form, content_type, sign, authorization, method, parallel, repeat, region, paginate, rules, snapshot, capture, expect"]
        );
    }

    #[test]
    fn wrong_types() {
        assert_eq!(
            diags("name = 1\ndescription = [\"d\"]\nrules = \"C1\"\ntags = [1]\nsteps = 3\n"),
            [
                "s.toml:1:8: `name` must be a string, found an integer",
                "s.toml:2:15: `description` must be a string, found an array",
                "s.toml:3:9: `rules` must be an array of strings, found a string",
                "s.toml:4:9: `tags[]` must be a string, found an integer",
                "s.toml:5:9: `steps` must be an array of tables ([[steps]]), found an integer",
            ]
        );
        assert_eq!(
            with_head(
                "[[steps]]\nop = \"ListChannels\"\nsign = \"no\"\ntarget = true\ninput = \"x\"\n\
                 target_form = \"sdk\"\nmethod = \"G T\"\nexpect = { status = \"4xy\", error = 5, response = { A = { length = -1 } } }\n"
            ),
            [
                "s.toml:6:8: `sign` must be a boolean, found a string",
                "s.toml:7:10: `target` must be a string or false, found a boolean",
                "s.toml:8:9: `input` must be a table (use `raw_body` for anything else), found a string",
                "s.toml:9:15: `target_form` must be \"service\" or \"prefixed\", found \"sdk\"",
                "s.toml:10:10: `method` `G T` is not an HTTP method token",
                "s.toml:11:21: `status` must be an integer, an array of integers or \"2xx\"/\"4xx\"/\"5xx\", found a string",
                "s.toml:11:36: `error` must be a string or an array of strings, found an integer",
                "s.toml:11:67: `length` must be between 0 and 9223372036854775806, found -1",
            ]
        );
        assert_eq!(
            with_head("[[steps]]\nop = \"ListChannels\"\nexpect = { status = [200, 700] }\n"),
            ["s.toml:6:27: `status` must be between 100 and 599, found 700"]
        );
        assert_eq!(
            with_head("[[steps]]\nop = \"ListChannels\"\ninput = { X = nan }\nexpect = { status = 200 }\n"),
            ["s.toml:6:15: float `nan` has no JSON form"]
        );
    }

    #[test]
    fn unknown_operations_and_rule_ids() {
        assert_eq!(
            diags("name = \"a\"\ndescription = \"d\"\nrules = [\"C1\", \"C9\", \"X\"]\n[[steps]]\nop = \"CreateTrail\"\n"),
            [
                "s.toml:3:16: unknown rule id `C9`",
                "s.toml:3:22: unknown rule id `X`",
                "s.toml:5:6: unknown operation `CreateTrail`; known: CreateChannel, GetChannel, \
                 ListChannels, UpdateChannel, DeleteChannel, CreateEventDataStore, GetEventDataStore, \
                 ListEventDataStores, StopEventDataStoreIngestion, StartEventDataStoreIngestion, DeleteEventDataStore",
            ]
        );
        assert_eq!(
            diags("name = \"a b\"\ndescription = \"d\"\nrules = []\n"),
            [
                "s.toml:1:8: `name` `a b` must be ASCII letters, digits, `-`, `_` or `.`",
                "s.toml:3:9: `rules` names no rule",
            ]
        );
    }

    #[test]
    fn input_and_raw_body_are_exclusive() {
        assert_eq!(
            with_head("[[steps]]\nop = \"ListChannels\"\ninput = {}\nraw_body = \"{}\"\nexpect = { status = 200 }\n"),
            ["s.toml:7:1: `input` and `raw_body` are mutually exclusive"]
        );
    }

    #[test]
    fn parallel_is_between_1_and_64() {
        for (value, col) in [("0", 12), ("65", 12), ("-1", 12)] {
            assert_eq!(
                with_head(&format!("[[steps]]\nop = \"ListChannels\"\nparallel = {value}\nexpect = {{ status = 200 }}\n")),
                [format!("s.toml:6:{col}: `parallel` must be between 1 and 64, found {value}")]
            );
        }
        assert!(with_head(
            "[[steps]]\nop = \"ListChannels\"\nparallel = 64\nexpect = { status = 200 }\n"
        )
        .is_empty());
    }

    #[test]
    fn invalid_regex() {
        assert_eq!(
            with_head("[[steps]]\nop = \"ListChannels\"\nexpect = { response = { A = { regex = \"(x\" } } }\n"),
            ["s.toml:6:39: invalid regex: unclosed group"]
        );
        assert!(with_head(
            "[[steps]]\nop = \"ListChannels\"\nexpect = { response = { A = { regex = \"^arn:${partition}:x$\" } } }\n"
        )
        .is_empty());
    }

    #[test]
    fn captures_need_a_valid_path() {
        assert_eq!(
            with_head(
                "[[steps]]\nop = \"ListChannels\"\ncapture = { a = \"\", b = \"X[\", \"c d\" = \"Y\", e = 1 }\nexpect = { status = 200 }\n"
            ),
            [
                "s.toml:6:17: empty capture path for `a`",
                "s.toml:6:25: unclosed `[` in path `X[`",
                "s.toml:6:31: variable name `c d` must be ASCII letters, digits, `_`, `-` or `.`",
                "s.toml:6:48: `capture.e` must be a string, found an integer",
            ]
        );
    }

    #[test]
    fn matchers() {
        assert_eq!(
            with_head(
                "[[steps]]\nop = \"ListChannels\"\nexpect = { response = { \
                 A = { equal = 1 }, B = {}, C = { absent = true, present = true }, \"D[\" = 1, \
                 \"E[*]\" = { equals = 1 }, F = { equals_var = \"a b\" } } }\n"
            ),
            [
                "s.toml:6:31: unknown matcher keyword `equal`; valid: equals, regex, length, equals_var, \
                 not_equals_var, absent, present, contains, same_items_var, not_contains (to compare a table, write { equals = { ... } })",
                "s.toml:6:48: empty matcher; use one of: equals, regex, length, equals_var, not_equals_var, \
                 absent, present, contains, same_items_var, not_contains",
                "s.toml:6:73: a matcher takes exactly one keyword",
                "s.toml:6:91: unclosed `[` in path `D[`",
                "s.toml:6:101: `[*]` is only allowed with `contains`, `not_contains` and `same_items_var`",
                "s.toml:6:145: `a b` is not a variable name",
            ]
        );
    }

    #[test]
    fn expectation_shapes_do_not_mix() {
        assert_eq!(
            with_head(
                "[[steps]]\nop = \"ListChannels\"\nparallel = 2\n\
                 expect = { status = 200, successes = 1, others = { successes = 1 } }\n\
                 [[steps]]\nop = \"ListChannels\"\nexpect = { error = \"X\", any_of = [] }\n"
            ),
            [
                "s.toml:7:12: `status` cannot be combined with `successes`",
                "s.toml:7:52: unknown key `successes` in `others`; valid keys: status, error, response, any_of",
                "s.toml:10:12: `error` cannot be combined with `any_of`",
                "s.toml:10:34: `any_of` lists no alternative",
            ]
        );
    }

    #[test]
    fn template_syntax_errors_are_reported_where_written() {
        assert_eq!(
            with_head(
                "[vars]\nv = \"${repeat(a)}\"\n[[steps]]\nop = \"ListChannels\"\n\
                 input = { Tags = \"x${tags(2)}\", N = \"${nope(1)}\" }\n\
                 expect = { status = 200, response = { A = \"${a b}\" } }\n\
                 [[steps]]\nop = \"ListChannels\"\nraw_body = \"${run_id\"\nexpect = { status = 200 }\n"
            ),
            [
                "s.toml:5:5: bad expression `${repeat(a)}`: expected repeat(TEXT, N)",
                "s.toml:8:18: `${tags(2)}` yields a non-string, which cannot be part of a longer string \
                 (write it as the whole string)",
                "s.toml:8:37: bad expression `${nope(1)}`: unknown generator `nope`; known: repeat, uuid, \
                 tags, destinations, null, arn_id",
                "s.toml:9:43: bad expression `${a b}`: a variable name is ASCII letters, digits, `_`, `-` and `.`",
                "s.toml:12:12: bad expression `${run_id`: no closing `}`",
            ]
        );
    }

    #[test]
    fn reports_every_problem_at_once() {
        let found = diags(
            "name = 3\nrules = [\"ZZ\"]\nbogus = 1\n[[steps]]\nop = \"Nope\"\nparallel = 0\n\
             [[steps]]\nop = \"ListChannels\"\ncapture = { x = \"\" }\n",
        );
        assert_eq!(found.len(), 7, "{found:#?}");
    }

    #[test]
    fn load_dir_is_recursive_sorted_and_reads_only_toml() {
        let dir = std::env::temp_dir().join(format!("ctc-load-dir-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        let scenario = |name: &str| {
            format!("name = \"{name}\"\ndescription = \"d\"\nrules = [\"C1\"]\n{STEP}")
        };
        std::fs::write(dir.join("sub/b.toml"), scenario("b")).unwrap();
        std::fs::write(dir.join("a.toml"), scenario("a")).unwrap();
        std::fs::write(dir.join("README.md"), "not toml").unwrap();
        std::fs::write(dir.join("notes.txt"), "x = ").unwrap();
        let names: Vec<String> = load_dir(&dir)
            .unwrap()
            .into_iter()
            .map(|s| s.name.value)
            .collect();
        assert_eq!(names, ["a", "b"]);
        std::fs::write(dir.join("c.toml"), "name = \n").unwrap();
        std::fs::write(dir.join("sub/d.toml"), vec![b'#'; MAX_FILE_BYTES + 1]).unwrap();
        let found: Vec<String> = load_dir(&dir)
            .unwrap_err()
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(
            found[0].ends_with(
                "c.toml:1:8: TOML: string values must be quoted, expected literal string"
            ),
            "{found:?}"
        );
        assert!(found[1].ends_with("d.toml:1:1: file is 1048577 bytes; scenario files are limited to 1 MiB (1048576 bytes)"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn never_panics_on_garbage() {
        use rand::{Rng, SeedableRng};
        let valid = format!(
            "{HEAD}[vars]\nv = \"${{repeat(é, 3)}}\"\n[[steps]]\nop = \"CreateChannel\"\n\
             input = {{ Name = \"${{v}}\", Tags = \"${{tags(2, p)}}\" }}\ncapture = {{ c = \"A[0].B\" }}\n\
             expect = {{ any_of = [{{ status = 200 }}, {{ error = [\"X\"], response = {{ \"A[*]\" = {{ contains = 1 }} }} }}] }}\n"
        );
        assert!(load_str("s.toml", &valid).is_ok());
        for end in 0..=valid.len() {
            let _ = load_bytes("s.toml", &valid.as_bytes()[..end]);
        }
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        for _ in 0..2000 {
            let mut bytes = valid.as_bytes().to_vec();
            for _ in 0..rng.random_range(1..8) {
                let i = rng.random_range(0..bytes.len());
                bytes[i] = rng.random();
            }
            let _ = load_bytes("s.toml", &bytes);
            let _ = load_str("s.toml", &String::from_utf8_lossy(&bytes));
        }
        for _ in 0..500 {
            let len = rng.random_range(0..200);
            let bytes: Vec<u8> = (0..len).map(|_| rng.random()).collect();
            let _ = load_bytes("s.toml", &bytes);
            let text: String = (0..len)
                .map(|_| {
                    *b"[]{}=\"'.,$ \nabc#1"
                        .get(rng.random_range(0..18))
                        .unwrap_or(&b'x') as char
                })
                .collect();
            let _ = load_str("s.toml", &text);
        }
    }
}
