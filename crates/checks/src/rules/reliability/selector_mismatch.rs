//! KC-REL-005 selector-mismatch.

use kubecomply_core::value::Field;

use kubecomply_core::pointer::join;
use kubecomply_core::rule::reference;
use kubecomply_core::{Category, Object, RuleMeta, Severity};
use kubecomply_core::{Map, Value};

use crate::rule::{Context, Rule, Target, Violations};

/// The rule.
pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "KC-REL-005",
        slug: "selector-mismatch",
        title: "Controller selector does not select its own pod template",
        severity: Severity::High,
        category: Category::Reliability,
        since: "0.1.0",
        docs: DOCS,
        references: &[
            reference(
                "kube-score",
                "deployment-pod-selector-labels-match-template-metadata-labels",
            ),
            reference("kube-linter", "mismatching-selector"),
        ],
    },
    target: Target::Kinds(&["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"]),
    reads: &[],
    check,
};

const DOCS: &str = r#"## What it checks
For Deployments, StatefulSets, DaemonSets and ReplicaSets of the `apps` (or legacy
`extensions`) API group, evaluates `spec.selector` against
`spec.template.metadata.labels` exactly as the API server does and fails when the selector does
not select the template:

- every `matchLabels` entry must be a template label with the same value;
- every `matchExpressions` entry must hold: `In` (the label exists and its value is one of
  `values`), `NotIn` (the label is absent or its value is not one of `values`), `Exists` (the
  label is present), `DoesNotExist` (the label is absent); any other operator is reported as
  invalid.

In `apps/v1` the selector is required and may not be empty, so a missing `spec.selector`, or one
with neither `matchLabels` nor `matchExpressions` entries, fails as well. Older API versions
(`extensions/v1beta1`, `apps/v1beta1`, `apps/v1beta2`) defaulted a missing selector to the
template labels, so only an explicit mismatching selector fails there. Each failing entry is
reported at its own pointer. Label values of the wrong type are treated as absent.

## Why it matters
The API server rejects such an object (`selector does not match template labels`), so the
manifest never deploys; if it came through a tool that skips validation, the controller would
create pods it cannot see and keep creating more.

## How to fix
Make the template labels include every label the selector asks for. The selector of an existing
Deployment is immutable, so change the template labels rather than the selector.
"#;

fn label<'a>(labels: Option<&'a Map>, key: &str) -> Option<&'a str> {
    labels?.get(key)?.as_str()
}

fn check(_cx: &Context<'_>, obj: &Object, out: &mut Violations) {
    if !matches!(obj.group(), "apps" | "extensions") {
        return;
    }
    let labels = kubecomply_core::pointer::get(&obj.value, "/spec/template/metadata/labels")
        .and_then(Value::as_object);
    let strict = obj.api_version == "apps/v1";
    let Some(selector) =
        kubecomply_core::pointer::get(&obj.value, "/spec/selector").filter(|s| !s.is_null())
    else {
        if strict {
            out.fail(
                if obj.value.field("spec").is_some() {
                    "/spec"
                } else {
                    ""
                },
                format!(
                    "{} {:?} has no spec.selector, which apps/v1 requires",
                    obj.kind, obj.name
                ),
            );
        }
        return;
    };
    let match_labels = selector.field("matchLabels").and_then(Value::as_object);
    let exprs = selector
        .field("matchExpressions")
        .and_then(Value::as_array)
        .map(|a| a.as_slice())
        .unwrap_or(&[]);
    if strict && match_labels.is_none_or(Map::is_empty) && exprs.is_empty() {
        out.fail(
            "/spec/selector",
            format!(
                "{} {:?} has an empty selector, which apps/v1 rejects",
                obj.kind, obj.name
            ),
        );
        return;
    }
    for (key, want) in match_labels.into_iter().flatten() {
        let Some(want) = want.as_str() else { continue };
        let have = label(labels, key);
        if have != Some(want) {
            let found = match have {
                Some(v) => format!("the template has {key}={v}"),
                None => format!("the template has no label {key:?}"),
            };
            out.fail(
                join("/spec/selector/matchLabels", &[key]),
                format!("selector requires {key}={want} but {found}"),
            );
        }
    }
    for (i, e) in exprs.iter().enumerate() {
        let key = e.field("key").and_then(Value::as_str).unwrap_or("");
        let op = e.field("operator").and_then(Value::as_str).unwrap_or("");
        let values: Vec<&str> = e
            .field("values")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let have = label(labels, key);
        let ok = match op {
            "In" => have.is_some_and(|v| values.contains(&v)),
            "NotIn" => have.is_none_or(|v| !values.contains(&v)),
            "Exists" => have.is_some(),
            "DoesNotExist" => have.is_none(),
            _ => {
                out.fail(
                    format!("/spec/selector/matchExpressions/{i}"),
                    format!("selector expression on {key:?} has unknown operator {op:?}"),
                );
                continue;
            }
        };
        if !ok {
            let found = match have {
                Some(v) => format!("the template has {key}={v}"),
                None => format!("the template has no label {key:?}"),
            };
            out.fail(
                format!("/spec/selector/matchExpressions/{i}"),
                format!("selector expression {key} {op} {values:?} does not hold: {found}"),
            );
        }
    }
}
