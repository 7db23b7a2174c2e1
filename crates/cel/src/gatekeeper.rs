//! Gatekeeper's `K8sNativeValidation` engine: the CEL source of a ConstraintTemplate.
//!
//! Gatekeeper turns such a template into a ValidatingAdmissionPolicy whose `paramKind` is the
//! constraint kind. So, as in Gatekeeper:
//!
//! * `params` is the constraint (here `{"spec": {"parameters": <parameters>}}`, built from the
//!   parameters the caller passes), so `params.spec.parameters.x` works;
//! * `variables.params` is the constraint's `spec.parameters` (null when it has none);
//! * `variables.anyObject` is the object under review (`object`, or `oldObject` on DELETE,
//!   as Gatekeeper's `has(request.operation) && request.operation == "DELETE" && object ==
//!   null ? oldObject : object`);
//! * `object`, `oldObject`, `request` and `namespaceObject` are as for admission policies:
//!   a CREATE by default, or the operation, user and old object of an [`Admission`] (what
//!   `gator verify` reads from an `AdmissionReview`).

use kube_cel::cel::Value;
use kubecomply_core::{Value as Json, json};

use crate::checks::{Checks, Outcome, Violation, bind_admission, bind_object_paths};
use crate::convert::{Sizes, to_cel};
use crate::expr::with_scope;
use crate::resources::create_request;

/// The admission request around the object under review. The default is a CREATE with no
/// user and no old object.
#[derive(Clone, Copy, Debug)]
pub struct Admission<'a> {
    /// `CREATE`, `UPDATE`, `DELETE` or `CONNECT`.
    pub operation: &'a str,
    /// `request.userInfo`, when known.
    pub user_info: Option<&'a Json>,
    /// `oldObject` (UPDATE and DELETE).
    pub old_object: Option<&'a Json>,
}

impl Default for Admission<'_> {
    fn default() -> Self {
        Admission {
            operation: "CREATE",
            user_info: None,
            old_object: None,
        }
    }
}

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
        self.review(object, params, namespace_object, Admission::default())
    }

    /// [`GatekeeperCel::violations`] for an admission request other than a plain CREATE.
    /// `object` is the object under review: on DELETE, the deleted object (bound as
    /// `oldObject`, with `object` null, as the API server does).
    pub fn review(
        &self,
        object: &Json,
        params: &Json,
        namespace_object: Option<&Json>,
        admission: Admission<'_>,
    ) -> Result<Vec<String>, String> {
        let namespace = object
            .get("metadata")
            .and_then(|m| m.get("namespace"))
            .and_then(Json::as_str);
        let mut request = create_request(object, namespace);
        request["operation"] = json!(admission.operation);
        if let Some(options) = options_kind(admission.operation) {
            request["options"]["kind"] = json!(options);
        } else {
            request["options"] = Json::Null;
        }
        if let Some(user) = admission.user_info {
            request["userInfo"] = user.clone();
        }
        let deleting = admission.operation == "DELETE";
        let old_object = match admission.old_object {
            Some(old) => to_cel(old),
            None if deleting => to_cel(object),
            None => Value::Null,
        };
        let constraint = json!({"spec": {"parameters": params}});
        let mut sizes = Sizes::of(object).max(Sizes::of(params));
        if let Some(ns) = namespace_object {
            sizes = sizes.max(Sizes::of(ns));
        }
        let object_value = to_cel(object);
        let namespace_value = namespace_object.map(to_cel);
        let outcome = with_scope(|scope| {
            let bound = if deleting {
                Value::Null
            } else {
                object_value.clone()
            };
            bind_admission(scope, &bound, &request, namespace_value.as_ref());
            if !deleting {
                bind_object_paths(scope, object, self.checks.object_paths());
            }
            scope.add_variable_from_value("oldObject", old_object.clone());
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

/// `request.options.kind` of an operation (CONNECT has no options).
fn options_kind(operation: &str) -> Option<&'static str> {
    match operation {
        "CREATE" => Some("CreateOptions"),
        "UPDATE" => Some("UpdateOptions"),
        "DELETE" => Some("DeleteOptions"),
        _ => None,
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
