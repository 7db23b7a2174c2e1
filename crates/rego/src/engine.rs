//! What every Rego evaluation here shares: building an engine with our builtins and limits,
//! turning regorus errors into positions, converting values.

use std::num::NonZeroU32;
use std::time::Duration;

use regorus::Engine;
use regorus::utils::limits::ExecutionTimerConfig;

use crate::builtins;

/// The wall-clock limit of one evaluation (one rule on one object) unless configured.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(2);

/// Which Rego syntax a module is parsed with.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum RegoVersion {
    /// Rego v0 (OPA before 1.0: `if` and `contains` optional, `future.keywords` imports).
    V0,
    /// Rego v1 (OPA 1.0 and later).
    #[default]
    V1,
}

impl RegoVersion {
    /// Parses `v0` / `v1` (also `0` / `1`).
    pub fn parse(s: &str) -> Option<RegoVersion> {
        match s.trim().trim_start_matches(['v', 'V']) {
            "0" => Some(RegoVersion::V0),
            "1" => Some(RegoVersion::V1),
            _ => None,
        }
    }
}

/// A fresh engine with the deprecated OPA builtins registered and a wall-clock limit on every
/// evaluation.
/// The default time budget of all Rego evaluations of one run (`--policy-deadline`).
pub const DEFAULT_RUN_BUDGET: Duration = Duration::from_secs(600);

/// When the Rego evaluations of one run must stop: after it, every evaluation not yet done
/// gives an `error` finding (never a silent pass). Starts when a run's evaluation starts.
#[derive(Clone, Copy, Debug)]
pub struct RunDeadline {
    at: Option<std::time::Instant>,
    budget: Duration,
}

impl RunDeadline {
    /// A deadline `budget` from now; a zero budget means none.
    pub fn start(budget: Duration) -> RunDeadline {
        RunDeadline {
            at: (!budget.is_zero()).then(|| std::time::Instant::now() + budget),
            budget,
        }
    }

    /// Why an evaluation was not run, once the deadline has passed.
    pub fn passed(&self) -> Option<String> {
        let at = self.at?;
        (std::time::Instant::now() >= at).then(|| {
            format!(
                "not evaluated: the policy time budget of this run ({} s, --policy-deadline) was spent",
                self.budget.as_secs()
            )
        })
    }
}

pub(crate) fn new_engine(
    version: RegoVersion,
    timeout: Duration,
    det: crate::builtins::Determinism,
) -> Engine {
    let mut engine = Engine::new();
    engine.set_rego_v0(version == RegoVersion::V0);
    engine.set_execution_timer_config(ExecutionTimerConfig {
        limit: timeout,
        // Checking the clock on every statement cost 15% of evaluation time; every 256 work
        // units keeps the limit within microseconds of the deadline.
        check_interval: NonZeroU32::new(256).unwrap_or(NonZeroU32::MIN),
    });
    // OPA's default: a builtin that fails (bad regex, wrong type) makes the expression
    // undefined instead of aborting the whole query.
    engine.set_strict_builtin_errors(false);
    engine.set_gather_prints(true);
    builtins::register(&mut engine, det);
    engine
}

/// Runs the analysis of every added module (regorus does it lazily on the first evaluation),
/// so that compile errors surface at load time and clones start prepared.
pub(crate) fn prepare(engine: &mut Engine) -> anyhow::Result<()> {
    engine.eval_query("true".to_string(), false).map(|_| ())
}

/// A position and message extracted from a regorus error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ErrorAt {
    /// The file the error names (the path given to `add_policy`), if any.
    pub file: Option<String>,
    /// 1-based line, 0 when unknown.
    pub line: u32,
    /// 1-based column, 0 when unknown.
    pub column: u32,
    /// The message without the source excerpt.
    pub message: String,
}

/// Splits regorus' `--> file:line:col` excerpt form into a position and a one-line message.
pub(crate) fn error_at(err: &anyhow::Error) -> ErrorAt {
    let text = format!("{err:#}");
    let mut at = ErrorAt {
        file: None,
        line: 0,
        column: 0,
        message: String::new(),
    };
    let mut message_lines = Vec::new();
    for line in text.lines() {
        let trimmed = line.trim_start();
        if let Some(rest) = trimmed.strip_prefix("--> ") {
            if at.file.is_none() {
                let mut parts = rest.rsplitn(3, ':');
                let col = parts.next().and_then(|c| c.trim().parse::<u32>().ok());
                let ln = parts.next().and_then(|l| l.trim().parse::<u32>().ok());
                let file = parts.next();
                if let (Some(c), Some(l), Some(f)) = (col, ln, file) {
                    at.file = Some(f.to_string());
                    at.line = l;
                    at.column = c;
                }
            }
            continue;
        }
        // Source excerpt lines: `  |`, `12 | text`, `   |    ^`.
        if is_excerpt_line(trimmed) {
            continue;
        }
        if let Some(m) = trimmed.strip_prefix("error: ") {
            message_lines.push(m.to_string());
        } else if !trimmed.is_empty() {
            message_lines.push(trimmed.to_string());
        }
    }
    at.message = if message_lines.is_empty() {
        text.trim().to_string()
    } else {
        message_lines.join(": ")
    };
    at
}

/// A one-line description of a runtime error, with its policy position when it has one.
pub(crate) fn describe(err: &anyhow::Error) -> String {
    let at = error_at(err);
    match at.file {
        Some(f) if at.line > 0 => format!("{f}:{}:{}: {}", at.line, at.column, at.message),
        _ => at.message,
    }
}

fn is_excerpt_line(line: &str) -> bool {
    let digits = line.trim_start_matches(|c: char| c.is_ascii_digit());
    digits.trim_start().starts_with('|')
}

/// Converts a JSON value into a Rego value.
pub(crate) fn to_rego(v: &kubecomply_core::Value) -> regorus::Value {
    regorus::Value::from(v.to_json())
}

/// Converts a Rego value into JSON (sets become arrays, undefined becomes null).
pub(crate) fn to_json(v: &regorus::Value) -> kubecomply_core::Value {
    match v {
        regorus::Value::Undefined => kubecomply_core::Value::Null,
        other => serde_json::to_value(other).map_or(kubecomply_core::Value::Null, Into::into),
    }
}

/// A Rego object with string keys built from pairs.
pub(crate) fn object(pairs: Vec<(&str, regorus::Value)>) -> regorus::Value {
    let map: std::collections::BTreeMap<regorus::Value, regorus::Value> = pairs
        .into_iter()
        .map(|(k, v)| (regorus::Value::from(k), v))
        .collect();
    regorus::Value::from(map)
}

/// A rule reference that is safe for any package name: `data["a"]["b"].rule`.
pub(crate) fn rule_path(package: &str, rule: &str) -> String {
    let mut s = String::from("data");
    for part in package.trim_start_matches("data.").split('.') {
        s.push_str("[\"");
        s.push_str(&part.replace('\\', "\\\\").replace('"', "\\\""));
        s.push_str("\"]");
    }
    s.push('.');
    s.push_str(rule);
    s
}

/// The messages of a rule result the way conftest and Gatekeeper read them: a set or array of
/// strings or of objects with `msg`, a single string or object, or `true` (a message-less
/// failure, reported with `fallback`). Each item keeps its `details` when it has some.
pub(crate) fn messages(
    result: &regorus::Value,
    fallback: &str,
) -> Vec<(String, Option<kubecomply_core::Value>)> {
    let mut out = Vec::new();
    match result {
        regorus::Value::Set(s) => s.iter().for_each(|v| push_message(v, fallback, &mut out)),
        regorus::Value::Array(a) => a.iter().for_each(|v| push_message(v, fallback, &mut out)),
        regorus::Value::Bool(true) => out.push((fallback.to_string(), None)),
        regorus::Value::Undefined | regorus::Value::Null | regorus::Value::Bool(false) => {}
        other => push_message(other, fallback, &mut out),
    }
    out
}

fn push_message(
    v: &regorus::Value,
    fallback: &str,
    out: &mut Vec<(String, Option<kubecomply_core::Value>)>,
) {
    match v {
        regorus::Value::String(s) => out.push((s.to_string(), None)),
        regorus::Value::Object(_) => {
            let json = to_json(v);
            let msg = json
                .get("msg")
                .and_then(kubecomply_core::Value::as_str)
                .map(str::to_string)
                .unwrap_or_else(|| fallback.to_string());
            let details = json.get("details").cloned();
            out.push((msg, details));
        }
        regorus::Value::Bool(true) => out.push((fallback.to_string(), None)),
        regorus::Value::Bool(false) | regorus::Value::Undefined | regorus::Value::Null => {}
        other => out.push((to_json(other).to_string(), None)),
    }
}

/// The text of a module to give regorus (see `opa_syntax`): OPA forms regorus reads
/// differently rewritten.
pub(crate) fn source_for_regorus(text: &str, version: RegoVersion) -> String {
    crate::opa_syntax::for_regorus(text, version == RegoVersion::V0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_position_is_parsed_from_the_excerpt() {
        let mut e = new_engine(RegoVersion::V1, DEFAULT_TIMEOUT, Default::default());
        let err = e
            .add_policy(
                "p.rego".into(),
                "package p\n\ndeny contains msg if {\n  msg := \n}\n".into(),
            )
            .expect_err("syntax error");
        let at = error_at(&err);
        assert_eq!(at.file.as_deref(), Some("p.rego"));
        assert!(at.line >= 4, "{at:?}");
        assert!(at.column > 0);
        assert!(!at.message.contains("-->"));
    }

    #[test]
    fn rule_paths_quote_package_parts() {
        assert_eq!(rule_path("data.a.b", "deny"), "data[\"a\"][\"b\"].deny");
    }
}
