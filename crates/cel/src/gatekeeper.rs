//! Gatekeeper's `K8sNativeValidation` engine: the CEL source of a ConstraintTemplate.
//!
//! Gatekeeper turns such a template into a ValidatingAdmissionPolicy whose `paramKind` is the
//! constraint kind. So, as in Gatekeeper:
//!
//! * `params` is the constraint (here `{"spec": {"parameters": <parameters>}}`, built from the
//!   parameters the caller passes), so `params.spec.parameters.x` works;
//! * `variables.params` is the constraint's `spec.parameters` (null when it has none);
//! * `variables.anyObject` is `object` (there is no `oldObject` offline);
//! * `object`, `oldObject` (null), `request` (a CREATE) and `namespaceObject` are as for
//!   admission policies.

use kube_cel::cel::Value;
use serde_json::{Value as Json, json};

use crate::checks::{Checks, Outcome, Violation, bind_admission};
use crate::convert::{Sizes, to_cel};
use crate::expr::with_scope;
use crate::resources::create_request;

/// A compiled `K8sNativeValidation` source.
#[derive(Debug)]
pub struct GatekeeperCel {
    checks: Checks,
}

impl GatekeeperCel {
    /// Compiles a template's `spec.targets[0].code[i].source` (with `validations`,
    /// `variables`, `matchConditions`). The error names the field and the position inside
    /// the expression (`validations[0].expression:1:5: ...`).
    pub fn compile(source: &Json) -> Result<GatekeeperCel, String> {
        if !source.is_object() {
            return Err("K8sNativeValidation source is not a mapping".to_string());
        }
        match Checks::compile(source, "") {
            Ok(checks) if checks.validation_count() == 0 => {
                Err("K8sNativeValidation source has no validations".to_string())
            }
            Ok(checks) => Ok(GatekeeperCel { checks }),
            Err(errors) => Err(errors
                .iter()
                .map(|e| {
                    let field = pointer_to_field(&e.pointer);
                    if e.error.line > 0 {
                        format!(
                            "{field}:{}:{}: {}",
                            e.error.line, e.error.column, e.error.message
                        )
                    } else {
                        format!("{field}: {}", e.error.message)
                    }
                })
                .collect::<Vec<_>>()
                .join("; ")),
        }
    }

    /// The violation messages of `object` under a constraint with `params` (its
    /// `spec.parameters`, `Value::Null` when it has none). Empty when a match condition is
    /// false or every validation holds; an error when an expression cannot be evaluated.
    pub fn violations(
        &self,
        object: &Json,
        params: &Json,
        namespace_object: Option<&Json>,
    ) -> Result<Vec<String>, String> {
        let namespace = object
            .get("metadata")
            .and_then(|m| m.get("namespace"))
            .and_then(Json::as_str);
        let request = create_request(object, namespace);
        let constraint = json!({"spec": {"parameters": params}});
        let mut sizes = Sizes::of(object).max(Sizes::of(params));
        if let Some(ns) = namespace_object {
            sizes = sizes.max(Sizes::of(ns));
        }
        let object_value = to_cel(object);
        let namespace_value = namespace_object.map(to_cel);
        let outcome = with_scope(|scope| {
            bind_admission(scope, &object_value, &request, namespace_value.as_ref());
            scope.add_variable_from_value("params", to_cel(&constraint));
            let preset: [(&str, Value); 2] = [
                ("params", to_cel(params)),
                ("anyObject", object_value.clone()),
            ];
            self.checks.run(scope, sizes, &preset)
        });
        match outcome {
            Outcome::NotMatched => Ok(Vec::new()),
            Outcome::MatchError(e) => Err(e),
            Outcome::Evaluated(violations) => {
                let mut messages = Vec::with_capacity(violations.len());
                for v in violations {
                    match v {
                        Violation::Failed { message, .. } => messages.push(message),
                        Violation::Error {
                            expression,
                            message,
                            ..
                        } => {
                            return Err(format!(
                                "expression '{expression}' resulted in error: {message}"
                            ));
                        }
                    }
                }
                Ok(messages)
            }
        }
    }
}

/// `/validations/0/expression` → `validations[0].expression`.
fn pointer_to_field(pointer: &str) -> String {
    let mut out = String::new();
    for token in pointer.split('/').filter(|t| !t.is_empty()) {
        if token.chars().all(|c| c.is_ascii_digit()) {
            out.push_str(&format!("[{token}]"));
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(token);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_names() {
        assert_eq!(
            pointer_to_field("/validations/0/expression"),
            "validations[0].expression"
        );
    }
}
