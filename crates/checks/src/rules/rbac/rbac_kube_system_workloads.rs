//! KC-RBAC-018 rbac-kube-system-workloads.

use kubecomply_core::rule::reference;
use kubecomply_core::{Category, Object, RuleMeta, Severity};

use super::{fail_grants, grants, want};
use crate::rule::{Context, Rule, Target, Violations};

/// The rule.
pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "KC-RBAC-018",
        slug: "rbac-kube-system-workloads",
        title: "Role in kube-system can create or change pods and workloads",
        severity: Severity::Critical,
        category: Category::Rbac,
        since: "0.1.0",
        docs: DOCS,
        references: &[
            reference("kubescape", "C-0188"),
            reference("trivy", "KSV-0048"),
        ],
    },
    target: Target::Kinds(&["Role"]),
    reads: &[],
    check,
};

const DOCS: &str = r#"## What it checks
Fails for every rule of a Role in the `kube-system` namespace that grants `create`, `update` or
`patch` (or `*`) on `pods`, `deployments`, `daemonsets`, `statefulsets`, `replicasets`, `jobs`,
`cronjobs` or `replicationcontrollers` (core, `apps` and `batch` groups; wildcards count).
ClusterRoles are covered by `rbac-create-pods` and, for their effective reach through
bindings, by the RBAC review (`kubecomply rbac review`).

## Why it matters
`kube-system` runs the cluster's own components with the most powerful ServiceAccounts
(controllers, CNI and CSI agents, often `hostNetwork` and privileged). A subject that can create
or change a pod there can run it as any of those accounts and mount their tokens: it is one step
from cluster-admin.

## How to fix
Do not grant workload write access in `kube-system`; deploy cluster add-ons through the
deployment pipeline or an operator with its own narrowly scoped role.
"#;

fn check(_cx: &Context<'_>, obj: &Object, out: &mut Violations) {
    if obj.namespace.as_deref() != Some("kube-system") {
        return;
    }
    let found = grants(
        obj,
        &[
            want("", "pods"),
            want("", "replicationcontrollers"),
            want("apps", "deployments"),
            want("apps", "daemonsets"),
            want("apps", "statefulsets"),
            want("apps", "replicasets"),
            want("batch", "jobs"),
            want("batch", "cronjobs"),
        ],
        &["create", "update", "patch"],
        false,
    );
    fail_grants(
        obj,
        out,
        found,
        "its subjects can run pods as kube-system's ServiceAccounts",
    );
}
