//! The CEL part of a policy, shared by admission policies and Gatekeeper templates:
//! match conditions, variables and validations, compiled once and run per review.

use std::collections::HashMap;
use std::sync::Arc;

use kube_cel::cel::objects::{Key, Map};
use kube_cel::cel::{Context, Value};
use kubecomply_core::Value as Json;

use crate::convert::{Sizes, to_cel};
use crate::expr::{CompileError, Expression, object_ident, variable_ident};

/// An expression that did not compile, with the JSON pointer of its field in the policy.
#[derive(Clone, Debug)]
pub(crate) struct FieldError {
    /// JSON pointer of the expression's field (relative to the given source).
    pub pointer: String,
    /// The parse error, positioned inside the expression.
    pub error: CompileError,
}

#[derive(Debug)]
struct Validation {
    expression: Expression,
    message: Option<String>,
    message_expression: Option<Expression>,
}

#[derive(Debug)]
struct Named {
    name: String,
    expression: Expression,
}

/// Compiled match conditions, variables and validations.
#[derive(Debug, Default)]
pub(crate) struct Checks {
    match_conditions: Vec<Named>,
    variables: Vec<Named>,
    validations: Vec<Validation>,
}

/// One failed validation.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Violation {
    /// The expression evaluated to false: the message to report.
    Failed {
        /// Index of the validation.
        index: usize,
        /// The message (from `messageExpression`, `message` or the default).
        message: String,
    },
    /// The expression could not be evaluated.
    Error {
        /// Index of the validation.
        index: usize,
        /// The expression.
        expression: String,
        /// Why.
        message: String,
    },
}

/// The outcome of one review.
#[derive(Debug, PartialEq)]
pub(crate) enum Outcome {
    /// A match condition is false: the policy does not apply.
    NotMatched,
    /// A match condition could not be evaluated: the failure policy decides.
    MatchError(String),
    /// Validations ran; the failed ones.
    Evaluated(Vec<Violation>),
}

fn str_field<'a>(v: &'a Json, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Json::as_str)
}

fn compile_at(source: &str, pointer: String, errors: &mut Vec<FieldError>) -> Option<Expression> {
    match Expression::compile(source) {
        Ok(e) => Some(e),
        Err(error) => {
            errors.push(FieldError { pointer, error });
            None
        }
    }
}

impl Checks {
    /// Compiles the `matchConditions`, `variables` and `validations` arrays of `spec` (a
    /// policy spec or a Gatekeeper `source`); `base` is the pointer of `spec`. Every
    /// expression that fails to compile is reported.
    pub fn compile(spec: &Json, base: &str) -> Result<Checks, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut checks = Checks::default();
        let list = |key: &str| {
            spec.get(key)
                .and_then(Json::as_array)
                .map(Vec::as_slice)
                .unwrap_or(&[])
        };
        for (key, out) in [
            ("matchConditions", &mut checks.match_conditions),
            ("variables", &mut checks.variables),
        ] {
            for (i, item) in list(key).iter().enumerate() {
                let name = str_field(item, "name").unwrap_or("").to_string();
                let pointer = format!("{base}/{key}/{i}/expression");
                let Some(src) = str_field(item, "expression") else {
                    errors.push(FieldError {
                        pointer,
                        error: CompileError {
                            message: format!("{key}[{i}] has no expression"),
                            line: 0,
                            column: 0,
                        },
                    });
                    continue;
                };
                if let Some(expression) = compile_at(src, pointer, &mut errors) {
                    out.push(Named { name, expression });
                }
            }
        }
        for (i, item) in list("validations").iter().enumerate() {
            let pointer = format!("{base}/validations/{i}/expression");
            let Some(src) = str_field(item, "expression") else {
                errors.push(FieldError {
                    pointer,
                    error: CompileError {
                        message: format!("validations[{i}] has no expression"),
                        line: 0,
                        column: 0,
                    },
                });
                continue;
            };
            let expression = compile_at(src, pointer, &mut errors);
            let message_expression = str_field(item, "messageExpression").and_then(|m| {
                compile_at(
                    m,
                    format!("{base}/validations/{i}/messageExpression"),
                    &mut errors,
                )
            });
            if let Some(expression) = expression {
                checks.validations.push(Validation {
                    expression,
                    message: str_field(item, "message").map(str::to_string),
                    message_expression,
                });
            }
        }
        if errors.is_empty() {
            Ok(checks)
        } else {
            Err(errors)
        }
    }

    /// The field paths from `object` its expressions read (see `Expression::object_paths`).
    pub fn object_paths(&self) -> impl Iterator<Item = &[String]> {
        self.match_conditions
            .iter()
            .chain(&self.variables)
            .map(|n| &n.expression)
            .chain(
                self.validations.iter().flat_map(|v| {
                    std::iter::once(&v.expression).chain(v.message_expression.as_ref())
                }),
            )
            .flat_map(|e| e.object_paths.iter().map(Vec::as_slice))
    }

    /// Number of validations.
    pub fn validation_count(&self) -> usize {
        self.validations.len()
    }

    /// Runs the checks in `scope` (where `object`, `request`, `params`, ... are bound);
    /// `sizes` bounds the bound data. `preset` are variables defined before the policy's own
    /// (Gatekeeper's `params` and `anyObject`).
    pub fn run(&self, scope: &mut Context<'_>, sizes: Sizes, preset: &[(&str, Value)]) -> Outcome {
        let mut values: HashMap<Key, Value> = HashMap::new();
        let mut sizes = sizes;
        for (name, v) in preset {
            sizes = sizes.max(Sizes::of_cel(v));
            values.insert(Key::String(Arc::new((*name).to_string())), v.clone());
            scope.add_variable_from_value(variable_ident(name), v.clone());
        }
        let mut failed: HashMap<&str, String> = HashMap::new();
        // Each variable is bound under its own identifier as soon as it is computed; the
        // `variables` map is bound only for the few expressions that read it as a whole.
        let mut map_stale = true;
        for v in &self.variables {
            bind_map(scope, &values, &v.expression, &mut map_stale);
            let result = v
                .expression
                .evaluate(scope, sizes)
                .map_err(|e| first_failed(&v.expression, &failed).unwrap_or(e));
            match result {
                Ok(value) => {
                    sizes = sizes.max(Sizes::of_cel(&value));
                    scope.add_variable_from_value(variable_ident(&v.name), value.clone());
                    values.insert(Key::String(Arc::new(v.name.clone())), value);
                    map_stale = true;
                }
                Err(e) => {
                    failed.insert(v.name.as_str(), e);
                }
            }
        }
        for e in self.match_conditions.iter().map(|c| &c.expression).chain(
            self.validations
                .iter()
                .flat_map(|v| std::iter::once(&v.expression).chain(v.message_expression.as_ref())),
        ) {
            bind_map(scope, &values, e, &mut map_stale);
        }
        for c in &self.match_conditions {
            let result = c
                .expression
                .evaluate_bool(scope, sizes)
                .map_err(|e| first_failed(&c.expression, &failed).unwrap_or(e));
            match result {
                Ok(true) => {}
                Ok(false) => return Outcome::NotMatched,
                Err(e) => {
                    return Outcome::MatchError(format!(
                        "matchCondition '{}' resulted in error: {e}",
                        c.name
                    ));
                }
            }
        }
        let mut violations = Vec::new();
        for (index, v) in self.validations.iter().enumerate() {
            let result = v
                .expression
                .evaluate_bool(scope, sizes)
                .map_err(|e| first_failed(&v.expression, &failed).unwrap_or(e));
            match result {
                Ok(true) => {}
                Ok(false) => violations.push(Violation::Failed {
                    index,
                    message: message_of(v, scope, sizes),
                }),
                Err(message) => violations.push(Violation::Error {
                    index,
                    expression: v.expression.source.clone(),
                    message,
                }),
            }
        }
        Outcome::Evaluated(violations)
    }
}

/// The error of the first failed variable an expression refers to, reported when the
/// expression fails: variables are lazy in the API server, so a broken variable only matters
/// when an evaluation reaches it (not, say, inside a `map()` over an empty list). A failed
/// variable is left out of `variables`, so reaching it fails the evaluation.
fn first_failed(e: &Expression, failed: &HashMap<&str, String>) -> Option<String> {
    e.variables.iter().find_map(|name| {
        failed
            .get(name.as_str())
            .map(|err| format!("variables.{name}: {err}"))
    })
}

/// Binds the `variables` map before `e` when `e` reads it as a whole and it changed since it
/// was last bound.
fn bind_map(
    scope: &mut Context<'_>,
    values: &HashMap<Key, Value>,
    e: &Expression,
    stale: &mut bool,
) {
    if e.needs_variables_map && *stale {
        bind_variables(scope, values);
        *stale = false;
    }
}

fn bind_variables(scope: &mut Context<'_>, values: &HashMap<Key, Value>) {
    scope.add_variable_from_value(
        "variables",
        Value::Map(Map {
            map: Arc::new(values.clone()),
        }),
    );
}

/// The message of a failed validation: `messageExpression` when it yields a non-blank
/// single-line string, else `message`, else the API server's default.
fn message_of(v: &Validation, scope: &Context<'_>, sizes: Sizes) -> String {
    if let Some(me) = &v.message_expression
        && let Ok(Value::String(s)) = me.evaluate(scope, sizes)
        && !s.trim().is_empty()
        && !s.contains(['\n', '\r'])
    {
        return s.to_string();
    }
    match &v.message {
        Some(m) if !m.is_empty() => m.clone(),
        _ => format!("failed expression: {}", v.expression.source.trim()),
    }
}

/// Binds the admission variables shared by policies and templates.
pub(crate) fn bind_admission(
    scope: &mut Context<'_>,
    object: &Value,
    request: &Json,
    namespace_object: Option<&Value>,
) {
    scope.add_variable_from_value("object", object.clone());
    scope.add_variable_from_value("oldObject", Value::Null);
    scope.add_variable_from_value("request", to_cel(request));
    scope.add_variable_from_value(
        "namespaceObject",
        namespace_object.cloned().unwrap_or(Value::Null),
    );
}

/// Binds, for each of `paths` that resolves on `object` through maps, the value it selects
/// under [`object_ident`] (converted once per object, then read without a copy by every
/// policy). A path that does not resolve is left unbound, so the expressions reading it fall
/// back to their plain form.
pub(crate) fn bind_object_paths<'p>(
    scope: &mut Context<'_>,
    object: &Json,
    paths: impl IntoIterator<Item = &'p [String]>,
) {
    for path in paths {
        let mut cur = Some(object);
        for field in path {
            cur = cur.and_then(Json::as_object).and_then(|m| m.get(field));
        }
        if let Some(v) = cur {
            scope.add_variable_from_value(object_ident(path), to_cel(v));
        }
    }
}
