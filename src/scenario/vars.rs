//! Variables and generators: the `${...}` template syntax, the layered
//! variable store (`Vars`), interpolation of strings and JSON values,
//! `[vars]` resolution with cycle detection, and `referenced_vars` for the lint.

use std::collections::BTreeMap;
use std::fmt;

use serde_json::{json, Value};

use super::format::{ExpectKind, Matcher, Outcome, Phase, Pos, Scenario, ScenarioVar};

/// Variable names the runner always provides.
pub const RUNNER_VARS: [&str; 11] = [
    "run_id",
    "region",
    "region2",
    "region3",
    "store_quota_remaining",
    "account",
    "partition",
    "channel_quota",
    "channel_quota_remaining",
    "repeat_index",
    "copy_index",
];
/// Names starting with this are runner-provided fixtures.
pub const FIXTURE_PREFIX: &str = "fixture.";
/// The ARN of an ENABLED ActivityAuditLog store (a channel's destination).
pub const FIXTURE_EDS_INTEGRATION: &str = "fixture.eds_integration";
/// The same store's bare id.
pub const FIXTURE_EDS_INTEGRATION_ID: &str = "fixture.eds_integration_id";
/// The ARN of a store of another category (E3).
pub const FIXTURE_EDS_MANAGEMENT: &str = "fixture.eds_management";
/// The ARN of an ActivityAuditLog store pending deletion (E4).
pub const FIXTURE_EDS_PENDING: &str = "fixture.eds_pending";

/// Upper bound on what one `repeat` may produce, in characters.
pub const MAX_REPEAT_CHARS: usize = 1 << 20;
/// Upper bound on the `N` of `tags(N)` and `destinations(N, ...)`.
pub const MAX_GENERATED_ITEMS: usize = 10_000;

/// Why interpolation failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VarError {
    Undefined(String),
    /// The names of a `[vars]` cycle, the first repeated at the end.
    Cycle(Vec<String>),
    /// A malformed `${...}` expression.
    Syntax {
        expr: String,
        message: String,
    },
    /// An expression yielding a non-string inside a longer string.
    NotAString {
        expr: String,
        found: &'static str,
    },
}

impl fmt::Display for VarError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VarError::Undefined(name) => write!(f, "undefined variable `{name}`"),
            VarError::Cycle(names) => write!(f, "circular variables: {}", names.join(" -> ")),
            VarError::Syntax { expr, message } => write!(f, "bad expression `{expr}`: {message}"),
            VarError::NotAString { expr, found } => write!(
                f,
                "`{expr}` yields {found}, which cannot be part of a longer string (write it as the whole string)"
            ),
        }
    }
}

impl std::error::Error for VarError {}

/// Which layer a variable lives in; later layers shadow earlier ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Layer {
    /// `run_id`, `region`, `account`, `partition`, `fixture.*`, `--var`.
    Runner,
    /// A scenario's `[vars]`.
    Scenario,
    /// Bound by `capture`.
    Capture,
}

/// Layered variables: runner globals < scenario vars < captures.
#[derive(Clone, Debug, Default)]
pub struct Vars {
    layers: [BTreeMap<String, Value>; 3],
}

impl Vars {
    pub fn new() -> Self {
        Vars::default()
    }

    pub fn set(&mut self, layer: Layer, name: impl Into<String>, value: Value) {
        self.layers[layer as usize].insert(name.into(), value);
    }

    /// The value of `name` from the highest layer that has it.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.layers.iter().rev().find_map(|layer| layer.get(name))
    }

    /// Drops one layer (e.g. the scenario and capture layers between scenarios).
    pub fn clear(&mut self, layer: Layer) {
        self.layers[layer as usize].clear();
    }

    /// Interpolates `[vars]` in dependency order and sets them in the scenario layer.
    pub fn bind_scenario_vars(&mut self, vars: &[ScenarioVar]) -> Result<(), VarError> {
        let order = resolution_order(vars)?;
        for index in order {
            let value = interpolate_value(&vars[index].value, self)?;
            self.set(Layer::Scenario, vars[index].name.clone(), value);
        }
        Ok(())
    }
}

/// True when the runner provides `name` whatever the scenario.
pub fn is_runner_var(name: &str) -> bool {
    RUNNER_VARS.contains(&name) || name.starts_with(FIXTURE_PREFIX)
}

/// True for a well-formed variable name: ASCII letters, digits, `_`, `-`, `.`.
pub fn is_var_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
}

// ---------------------------------------------------------------- templates

/// A parsed template string.
#[derive(Clone, Debug, PartialEq)]
pub struct Template {
    pub pieces: Vec<Piece>,
}

/// A literal run, a variable or a generator.
#[derive(Clone, Debug, PartialEq)]
pub enum Piece {
    Text(String),
    Var(String),
    Gen(Generator),
}

#[derive(Clone, Debug, PartialEq)]
pub enum Generator {
    /// `repeat(TEXT, N)`: TEXT N times.
    Repeat { text: String, count: usize },
    /// `uuid()`: a random v4 UUID.
    Uuid,
    /// `tags(N)` / `tags(N, PREFIX)`.
    Tags { count: usize, prefix: String },
    /// `destinations(N, LOCATION)`.
    Destinations { count: usize, location: Template },
    /// `null()`.
    Null,
    /// `arn_id(VAR)`: what follows the last `/` of the ARN in VAR (the
    /// resource id, e.g. of a captured ChannelArn).
    ArnId { var: String },
}

impl Generator {
    pub const NAMES: [&'static str; 6] =
        ["repeat", "uuid", "tags", "destinations", "null", "arn_id"];

    fn yields_string(&self) -> bool {
        matches!(
            self,
            Generator::Repeat { .. } | Generator::Uuid | Generator::ArnId { .. }
        )
    }
}

impl Template {
    /// Parses `text`: `${name}`, `${generator(args)}`, `$${` for a literal `${`.
    pub fn parse(text: &str) -> Result<Template, VarError> {
        let mut pieces = Vec::new();
        let mut literal = String::new();
        let mut rest = text;
        while let Some(dollar) = rest.find('$') {
            literal.push_str(&rest[..dollar]);
            let from_dollar = &rest[dollar..];
            if let Some(after) = from_dollar.strip_prefix("$${") {
                literal.push_str("${");
                rest = after;
            } else if let Some(after) = from_dollar.strip_prefix("${") {
                let Some(end) = closing_brace(after) else {
                    return Err(syntax(from_dollar, "no closing `}`"));
                };
                if !literal.is_empty() {
                    pieces.push(Piece::Text(std::mem::take(&mut literal)));
                }
                pieces.push(parse_expr(&after[..end])?);
                rest = &after[end + 1..];
            } else {
                literal.push('$');
                rest = &from_dollar[1..];
            }
        }
        literal.push_str(rest);
        if !literal.is_empty() {
            pieces.push(Piece::Text(literal));
        }
        let template = Template { pieces };
        template.check_string_context()?;
        Ok(template)
    }

    /// The template's only piece when it is one expression.
    fn whole_expression(&self) -> Option<&Piece> {
        match self.pieces.as_slice() {
            [piece @ (Piece::Var(_) | Piece::Gen(_))] => Some(piece),
            _ => None,
        }
    }

    fn check_string_context(&self) -> Result<(), VarError> {
        if self.whole_expression().is_some() {
            return Ok(());
        }
        for piece in &self.pieces {
            if let Piece::Gen(generator) = piece {
                if !generator.yields_string() {
                    return Err(VarError::NotAString {
                        expr: generator.to_string(),
                        found: "a non-string",
                    });
                }
            }
        }
        Ok(())
    }

    /// Every variable name the template references, nested ones included.
    pub fn var_names(&self) -> Vec<&str> {
        let mut names = Vec::new();
        for piece in &self.pieces {
            match piece {
                Piece::Var(name) => names.push(name.as_str()),
                Piece::Gen(Generator::Destinations { location, .. }) => {
                    names.extend(location.var_names())
                }
                Piece::Gen(Generator::ArnId { var }) => names.push(var.as_str()),
                _ => {}
            }
        }
        names
    }

    /// Evaluates the template: a single expression yields its own JSON value,
    /// anything else a string.
    pub fn eval(&self, vars: &Vars) -> Result<Value, VarError> {
        if let Some(piece) = self.whole_expression() {
            return eval_piece(piece, vars);
        }
        let mut out = String::new();
        for piece in &self.pieces {
            match piece {
                Piece::Text(text) => out.push_str(text),
                _ => match eval_piece(piece, vars)? {
                    Value::String(s) => out.push_str(&s),
                    Value::Number(n) => out.push_str(&n.to_string()),
                    Value::Bool(b) => out.push_str(if b { "true" } else { "false" }),
                    other => {
                        return Err(VarError::NotAString {
                            expr: piece_expr(piece),
                            found: json_type(&other),
                        })
                    }
                },
            }
        }
        Ok(Value::String(out))
    }
}

/// Index in `after` (the text following `${`) of the `}` closing it, nested `${...}` skipped.
fn closing_brace(after: &str) -> Option<usize> {
    let bytes = after.as_bytes();
    let mut depth = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'$' && bytes.get(i + 1) == Some(&b'{') {
            depth += 1;
            i += 2;
            continue;
        }
        if bytes[i] == b'}' {
            if depth == 0 {
                return Some(i);
            }
            depth -= 1;
        }
        i += 1;
    }
    None
}

fn syntax(expr: &str, message: impl Into<String>) -> VarError {
    VarError::Syntax {
        expr: expr.to_string(),
        message: message.into(),
    }
}

fn parse_expr(inner: &str) -> Result<Piece, VarError> {
    let expr = format!("${{{inner}}}");
    let trimmed = inner.trim();
    let Some(open) = trimmed.find('(') else {
        return if is_var_name(trimmed) {
            Ok(Piece::Var(trimmed.to_string()))
        } else {
            Err(syntax(
                &expr,
                "a variable name is ASCII letters, digits, `_`, `-` and `.`",
            ))
        };
    };
    let Some(args) = trimmed[open + 1..].strip_suffix(')') else {
        return Err(syntax(&expr, "a generator call ends with `)`"));
    };
    let generator = match trimmed[..open].trim() {
        "repeat" => {
            let Some((text, count)) = args.split_once(',') else {
                return Err(syntax(&expr, "expected repeat(TEXT, N)"));
            };
            let count = parse_count(count, &expr)?;
            if text.chars().count().saturating_mul(count) > MAX_REPEAT_CHARS {
                return Err(syntax(
                    &expr,
                    format!("repeat yields more than {MAX_REPEAT_CHARS} characters"),
                ));
            }
            Generator::Repeat {
                text: text.to_string(),
                count,
            }
        }
        "uuid" => no_args(args, &expr, Generator::Uuid)?,
        "arn_id" => {
            let var = args.trim();
            if !is_var_name(var) {
                return Err(syntax(&expr, "expected arn_id(VARIABLE)"));
            }
            Generator::ArnId {
                var: var.to_string(),
            }
        }
        "null" => no_args(args, &expr, Generator::Null)?,
        "tags" => {
            let (count, prefix) = args.split_once(',').unwrap_or((args, ""));
            Generator::Tags {
                count: parse_item_count(count, &expr)?,
                prefix: prefix.trim().to_string(),
            }
        }
        "destinations" => {
            let Some((count, location)) = args.split_once(',') else {
                return Err(syntax(&expr, "expected destinations(N, LOCATION)"));
            };
            Generator::Destinations {
                count: parse_item_count(count, &expr)?,
                location: Template::parse(location.trim())?,
            }
        }
        other => {
            return Err(syntax(
                &expr,
                format!(
                    "unknown generator `{other}`; known: {}",
                    Generator::NAMES.join(", ")
                ),
            ))
        }
    };
    Ok(Piece::Gen(generator))
}

fn no_args(args: &str, expr: &str, generator: Generator) -> Result<Generator, VarError> {
    if args.trim().is_empty() {
        Ok(generator)
    } else {
        Err(syntax(expr, "takes no arguments"))
    }
}

fn parse_count(text: &str, expr: &str) -> Result<usize, VarError> {
    text.trim()
        .parse::<usize>()
        .map_err(|_| syntax(expr, format!("`{}` is not a count", text.trim())))
}

fn parse_item_count(text: &str, expr: &str) -> Result<usize, VarError> {
    let count = parse_count(text, expr)?;
    if count > MAX_GENERATED_ITEMS {
        return Err(syntax(expr, format!("at most {MAX_GENERATED_ITEMS} items")));
    }
    Ok(count)
}

fn eval_piece(piece: &Piece, vars: &Vars) -> Result<Value, VarError> {
    match piece {
        Piece::Text(text) => Ok(Value::String(text.clone())),
        Piece::Var(name) => vars
            .get(name)
            .cloned()
            .ok_or_else(|| VarError::Undefined(name.clone())),
        Piece::Gen(generator) => eval_generator(generator, vars),
    }
}

fn eval_generator(generator: &Generator, vars: &Vars) -> Result<Value, VarError> {
    Ok(match generator {
        Generator::Repeat { text, count } => Value::String(text.repeat(*count)),
        Generator::Uuid => Value::String(uuid::Uuid::new_v4().to_string()),
        Generator::Null => Value::Null,
        Generator::ArnId { var } => {
            let arn = vars
                .get(var)
                .ok_or_else(|| VarError::Undefined(var.clone()))?;
            let arn = arn.as_str().unwrap_or_default();
            Value::String(arn.rsplit('/').next().unwrap_or(arn).to_string())
        }
        Generator::Tags { count, prefix } => (0..*count)
            .map(|i| json!({ "Key": format!("{prefix}k{i}"), "Value": format!("v{i}") }))
            .collect(),
        Generator::Destinations { count, location } => {
            let location = location.eval(vars)?;
            (0..*count)
                .map(|_| json!({ "Type": "EVENT_DATA_STORE", "Location": location }))
                .collect()
        }
    })
}

impl fmt::Display for Generator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Generator::Repeat { text, count } => write!(f, "${{repeat({text}, {count})}}"),
            Generator::Uuid => f.write_str("${uuid()}"),
            Generator::Null => f.write_str("${null()}"),
            Generator::ArnId { var } => write!(f, "${{arn_id({var})}}"),
            Generator::Tags { count, prefix } if prefix.is_empty() => {
                write!(f, "${{tags({count})}}")
            }
            Generator::Tags { count, prefix } => write!(f, "${{tags({count}, {prefix})}}"),
            Generator::Destinations { count, .. } => write!(f, "${{destinations({count}, ...)}}"),
        }
    }
}

fn piece_expr(piece: &Piece) -> String {
    match piece {
        Piece::Text(text) => text.clone(),
        Piece::Var(name) => format!("${{{name}}}"),
        Piece::Gen(generator) => generator.to_string(),
    }
}

pub(crate) fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

// ------------------------------------------------------------ interpolation

/// Interpolates every string in `value` (object keys are left as written).
/// A string that is exactly one expression is replaced by its JSON value.
pub fn interpolate_value(value: &Value, vars: &Vars) -> Result<Value, VarError> {
    Ok(match value {
        Value::String(text) => Template::parse(text)?.eval(vars)?,
        Value::Array(items) => items
            .iter()
            .map(|item| interpolate_value(item, vars))
            .collect::<Result<_, _>>()?,
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(key, item)| Ok((key.clone(), interpolate_value(item, vars)?)))
                .collect::<Result<_, VarError>>()?,
        ),
        scalar => scalar.clone(),
    })
}

/// Interpolates a string; a whole-string non-string value is written as JSON
/// text (`null`, `[...]`, `42`).
pub fn interpolate_str(text: &str, vars: &Vars) -> Result<String, VarError> {
    Ok(match Template::parse(text)?.eval(vars)? {
        Value::String(s) => s,
        other => other.to_string(),
    })
}

// ------------------------------------------------------------ [vars] order

/// The variable names `value` references (templates that do not parse are skipped).
fn value_var_names(value: &Value) -> Vec<String> {
    match value {
        Value::String(text) => Template::parse(text)
            .map(|t| t.var_names().into_iter().map(str::to_string).collect())
            .unwrap_or_default(),
        Value::Array(items) => items.iter().flat_map(value_var_names).collect(),
        Value::Object(map) => map.values().flat_map(value_var_names).collect(),
        _ => Vec::new(),
    }
}

/// Indexes of `vars` in an order where each comes after those it references.
pub fn resolution_order(vars: &[ScenarioVar]) -> Result<Vec<usize>, VarError> {
    let deps: Vec<Vec<usize>> = vars
        .iter()
        .map(|var| {
            value_var_names(&var.value)
                .iter()
                .filter_map(|name| vars.iter().position(|v| &v.name == name))
                .collect()
        })
        .collect();
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Open,
        Done,
    }
    fn visit(
        i: usize,
        deps: &[Vec<usize>],
        marks: &mut [Mark],
        stack: &mut Vec<usize>,
        order: &mut Vec<usize>,
    ) -> Result<(), Vec<usize>> {
        match marks[i] {
            Mark::Done => return Ok(()),
            Mark::Open => {
                let start = stack.iter().position(|&s| s == i).unwrap_or(0);
                let mut cycle = stack[start..].to_vec();
                cycle.push(i);
                return Err(cycle);
            }
            Mark::New => {}
        }
        marks[i] = Mark::Open;
        stack.push(i);
        for &dep in &deps[i] {
            visit(dep, deps, marks, stack, order)?;
        }
        stack.pop();
        marks[i] = Mark::Done;
        order.push(i);
        Ok(())
    }
    let mut marks = vec![Mark::New; vars.len()];
    let mut order = Vec::with_capacity(vars.len());
    for i in 0..vars.len() {
        visit(i, &deps, &mut marks, &mut Vec::new(), &mut order).map_err(|cycle| {
            VarError::Cycle(cycle.into_iter().map(|j| vars[j].name.clone()).collect())
        })?;
    }
    Ok(order)
}

// ---------------------------------------------------------- referenced_vars

/// Where a variable is referenced.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Site {
    /// In `[vars]`, the entry with this index.
    Var(usize),
    /// In a step.
    Step(Phase, usize),
}

/// One reference to a variable.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VarRef {
    pub name: String,
    pub pos: Pos,
    pub site: Site,
}

/// Every variable a scenario references, with where: `${...}` in its
/// templates and the names of `equals_var`/`not_equals_var`.
pub fn referenced_vars(scenario: &Scenario) -> Vec<VarRef> {
    let mut refs = Vec::new();
    let mut push_templates = |templates: &[super::format::Located<String>], site: Site| {
        for template in templates {
            if let Ok(parsed) = Template::parse(&template.value) {
                for name in parsed.var_names() {
                    refs.push(VarRef {
                        name: name.to_string(),
                        pos: template.pos,
                        site,
                    });
                }
            }
        }
    };
    for (i, var) in scenario.vars.iter().enumerate() {
        push_templates(&var.templates, Site::Var(i));
    }
    // A race's calls and `then` steps speak for the race step's site.
    let every_step = || {
        scenario.all_steps().flat_map(|step| {
            let site = Site::Step(step.phase, step.index);
            std::iter::once(step)
                .chain(step.nested())
                .map(move |inner| (site, inner))
        })
    };
    for (site, step) in every_step() {
        push_templates(&step.templates, site);
    }
    for (site, step) in every_step() {
        if let Some(expect) = &step.expect {
            for_each_outcome(&expect.kind, &mut |outcome| {
                for check in &outcome.response {
                    if let Matcher::EqualsVar(name)
                    | Matcher::NotEqualsVar(name)
                    | Matcher::SameItemsVar(name) = &check.matcher
                    {
                        refs.push(VarRef {
                            name: name.clone(),
                            pos: check.pos,
                            site,
                        });
                    }
                }
            });
        }
    }
    refs
}

/// Calls `f` on every outcome inside an expectation.
pub(crate) fn for_each_outcome(kind: &ExpectKind, f: &mut dyn FnMut(&Outcome)) {
    match kind {
        ExpectKind::One(outcome) => f(outcome),
        ExpectKind::AnyOf(outcomes) => outcomes.iter().for_each(f),
        ExpectKind::Parallel { others, .. } => {
            if let Some(others) = others {
                for_each_outcome(&others.kind, f);
            }
        }
        ExpectKind::Race(race) => {
            for outcome in &race.outcomes {
                for expect in &outcome.expect {
                    for_each_outcome(&expect.kind, f);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars() -> Vars {
        let mut vars = Vars::new();
        vars.set(Layer::Runner, "run_id", json!("r1"));
        vars.set(Layer::Runner, "fixture.eds", json!("arn:eds"));
        vars.set(Layer::Runner, "n", json!(7));
        vars.set(Layer::Capture, "list", json!(["a"]));
        vars
    }

    fn s(text: &str) -> Result<String, VarError> {
        interpolate_str(text, &vars())
    }

    #[test]
    fn layers_shadow_in_order() {
        let mut vars = Vars::new();
        vars.set(Layer::Capture, "x", json!("capture"));
        vars.set(Layer::Runner, "x", json!("runner"));
        vars.set(Layer::Scenario, "x", json!("scenario"));
        assert_eq!(vars.get("x"), Some(&json!("capture")));
        vars.clear(Layer::Capture);
        assert_eq!(vars.get("x"), Some(&json!("scenario")));
        assert_eq!(vars.get("y"), None);
    }

    #[test]
    fn interpolates_variables_with_dots() {
        assert_eq!(s("ctc-${run_id}-dup").unwrap(), "ctc-r1-dup");
        assert_eq!(s("${fixture.eds}").unwrap(), "arn:eds");
        assert_eq!(s("${ run_id }").unwrap(), "r1");
        assert_eq!(s("n=${n}").unwrap(), "n=7");
        assert_eq!(s("no vars $ here $").unwrap(), "no vars $ here $");
        assert_eq!(s("").unwrap(), "");
    }

    #[test]
    fn escapes_a_literal_dollar_brace() {
        assert_eq!(s("$${run_id}").unwrap(), "${run_id}");
        assert_eq!(s("a$${b}c${run_id}").unwrap(), "a${b}cr1");
        assert_eq!(s("$$x").unwrap(), "$$x");
    }

    #[test]
    fn undefined_and_malformed_expressions_are_errors() {
        assert_eq!(s("${nope}"), Err(VarError::Undefined("nope".into())));
        assert!(matches!(s("${run_id"), Err(VarError::Syntax { .. })));
        assert!(matches!(s("${}"), Err(VarError::Syntax { .. })));
        assert!(matches!(s("${a b}"), Err(VarError::Syntax { .. })));
        assert!(matches!(s("${foo()}"), Err(VarError::Syntax { .. })));
        assert!(matches!(s("${uuid(1)}"), Err(VarError::Syntax { .. })));
        assert!(matches!(s("${repeat(a)}"), Err(VarError::Syntax { .. })));
        assert!(matches!(s("${repeat(a, x)}"), Err(VarError::Syntax { .. })));
        assert!(matches!(
            s("${repeat(a, 2000000)}"),
            Err(VarError::Syntax { .. })
        ));
        assert!(matches!(s("${tags(99999)}"), Err(VarError::Syntax { .. })));
        assert!(matches!(s("${tags(2"), Err(VarError::Syntax { .. })));
    }

    #[test]
    fn repeat_counts_characters_not_bytes() {
        let out = s("${repeat(é, 128)}").unwrap();
        assert_eq!(out.chars().count(), 128);
        assert_eq!(out.len(), 256);
        assert_eq!(s("x${repeat(ab, 3)}y").unwrap(), "xabababy");
        assert_eq!(s("${repeat(a, 0)}").unwrap(), "");
        assert_eq!(s("${repeat(a, 129)}").unwrap().len(), 129);
    }

    #[test]
    fn uuid_is_fresh_each_time() {
        let a = s("${uuid()}").unwrap();
        let b = s("${uuid()}").unwrap();
        assert_eq!(a.len(), 36);
        assert_ne!(a, b);
    }

    #[test]
    fn whole_string_generators_yield_json() {
        let v = vars();
        let value = json!({
            "Tags": "${tags(2)}",
            "Prefixed": "${tags(1, p-)}",
            "Destinations": "${destinations(2, ${fixture.eds})}",
            "Nothing": "${null()}",
            "List": "${list}",
            "Nested": ["${run_id}"],
        });
        assert_eq!(
            interpolate_value(&value, &v).unwrap(),
            json!({
                "Tags": [{"Key": "k0", "Value": "v0"}, {"Key": "k1", "Value": "v1"}],
                "Prefixed": [{"Key": "p-k0", "Value": "v0"}],
                "Destinations": [
                    {"Type": "EVENT_DATA_STORE", "Location": "arn:eds"},
                    {"Type": "EVENT_DATA_STORE", "Location": "arn:eds"}
                ],
                "Nothing": null,
                "List": ["a"],
                "Nested": ["r1"],
            })
        );
        assert_eq!(s("${null()}").unwrap(), "null");
        assert_eq!(
            interpolate_value(&json!("${destinations(1, lit)}"), &v).unwrap(),
            json!([{"Type": "EVENT_DATA_STORE", "Location": "lit"}])
        );
    }

    #[test]
    fn non_strings_inside_longer_strings_are_errors() {
        assert!(matches!(s("x${tags(2)}"), Err(VarError::NotAString { .. })));
        assert!(matches!(s("${null()} "), Err(VarError::NotAString { .. })));
        assert!(matches!(s("x${list}"), Err(VarError::NotAString { .. })));
    }

    fn var(name: &str, value: Value) -> ScenarioVar {
        ScenarioVar {
            name: name.into(),
            value,
            pos: Pos::default(),
            templates: Vec::new(),
        }
    }

    #[test]
    fn scenario_vars_resolve_in_dependency_order() {
        let mut v = vars();
        let scenario_vars = [
            var("full", json!("${base}-${suffix}")),
            var("base", json!("ctc-${run_id}")),
            var("suffix", json!("x")),
        ];
        v.bind_scenario_vars(&scenario_vars).unwrap();
        assert_eq!(v.get("full"), Some(&json!("ctc-r1-x")));
    }

    #[test]
    fn scenario_var_cycles_are_named() {
        let cycle = [
            var("a", json!("${b}")),
            var("b", json!("${c}")),
            var("c", json!("${a}")),
        ];
        assert_eq!(
            resolution_order(&cycle),
            Err(VarError::Cycle(vec![
                "a".into(),
                "b".into(),
                "c".into(),
                "a".into()
            ]))
        );
        let own = [var("x", json!("${x}"))];
        assert_eq!(
            vars().bind_scenario_vars(&own),
            Err(VarError::Cycle(vec!["x".into(), "x".into()]))
        );
    }

    #[test]
    fn arn_id_takes_the_resource_id() {
        let mut vars = Vars::new();
        vars.set(
            Layer::Capture,
            "first",
            json!("arn:aws:cloudtrail:us-east-1:123456789012:channel/abc-1"),
        );
        assert_eq!(interpolate_str("${arn_id(first)}", &vars).unwrap(), "abc-1");
        assert_eq!(
            interpolate_str("id=${arn_id(nope)}", &vars),
            Err(VarError::Undefined("nope".into()))
        );
        assert!(interpolate_str("${arn_id(a b)}", &vars).is_err());
    }
}
