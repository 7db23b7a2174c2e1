//! KC-NET-008 tiller-service.

use kubecomply_core::Value;
use kubecomply_core::rule::reference;
use kubecomply_core::value::Field;
use kubecomply_core::value::{array_at, str_at};
use kubecomply_core::{Category, Object, RuleMeta, Severity};

use crate::rule::{Context, Rule, Target, Violations};

/// The rule.
pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "KC-NET-008",
        slug: "tiller-service",
        title: "Service exposes Tiller (Helm v2)",
        severity: Severity::High,
        category: Category::Network,
        since: "0.1.0",
        docs: DOCS,
        references: &[reference("checkov", "CKV_K8S_44")],
    },
    target: Target::Kinds(&["Service"]),
    reads: &[],
    check,
};

/// Tiller's gRPC port.
const TILLER_PORT: i64 = 44134;

const DOCS: &str = r#"## What it checks
Fails for a Service that looks like the Tiller endpoint of Helm v2, reporting the first sign
found, in this order:
- it is named `tiller-deploy` (the name `helm init` used);
- its `spec.selector` has `app: helm` and `name: tiller` (the labels of the Tiller pods);
- one of its `spec.ports` has `port` or `targetPort` 44134, Tiller's gRPC port (a named
  `targetPort` is not resolved).

## Why it matters
Tiller, the server side of Helm v2, ran with cluster-admin rights in most installations and, by
default, accepted unauthenticated gRPC connections. Any pod that could reach its Service could
install charts, i.e. create any object in the cluster. Helm v2 has been unsupported since
November 2020.

## How to fix
Migrate to Helm 3, which has no in-cluster component, and delete the Tiller Deployment and its
Service.
"#;

fn check(_cx: &Context<'_>, obj: &Object, out: &mut Violations) {
    if obj.name == "tiller-deploy" {
        out.fail(
            "/metadata/name",
            "Service \"tiller-deploy\" is the Tiller (Helm v2) endpoint".to_string(),
        );
        return;
    }
    if str_at(&obj.value, &["spec", "selector", "app"]) == Some("helm")
        && str_at(&obj.value, &["spec", "selector", "name"]) == Some("tiller")
    {
        out.fail(
            "/spec/selector",
            format!(
                "Service {:?} selects the Tiller (Helm v2) pods (app=helm, name=tiller)",
                obj.name
            ),
        );
        return;
    }
    for (i, p) in array_at(&obj.value, &["spec", "ports"]).iter().enumerate() {
        for field in ["port", "targetPort"] {
            if p.field(field).and_then(Value::as_i64) == Some(TILLER_PORT) {
                out.fail(
                    format!("/spec/ports/{i}/{field}"),
                    format!(
                        "Service {:?} exposes {field} {TILLER_PORT}, the Tiller (Helm v2) gRPC port",
                        obj.name
                    ),
                );
                return;
            }
        }
    }
}
