//! KC-RBAC-011 rbac-create-pods.

use kubecomply_core::rule::reference;
use kubecomply_core::{Category, Object, RuleMeta, Severity};

use super::{ROLE_KINDS, fail_grants, grants, want};
use crate::rule::{Context, Rule, Target, Violations};

/// The rule.
pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "KC-RBAC-011",
        slug: "rbac-create-pods",
        title: "Role or ClusterRole can create pods or workloads",
        severity: Severity::Medium,
        category: Category::Rbac,
        since: "0.1.0",
        docs: DOCS,
        references: &[
            reference("kubescape", "C-0188"),
            reference("trivy", "KSV-0048"),
            reference("kube-linter", "access-to-create-pods"),
            reference("cis", "5.1.4"),
        ],
    },
    target: Target::Kinds(ROLE_KINDS),
    reads: &[],
    check,
};

const DOCS: &str = r#"## What it checks
Fails for every rule of a Role or ClusterRole that grants `create` on `pods` or
`replicationcontrollers` (core group), `deployments`, `daemonsets`, `statefulsets` or
`replicasets` (`apps`), or `jobs` or `cronjobs` (`batch`). Wildcards in `apiGroups`,
`resources` and `verbs` count. Aggregated ClusterRoles' own `rules` are ignored.

## Why it matters
Whoever can create a pod, directly or through a workload controller, chooses its
`serviceAccountName` and so runs code with the token of any ServiceAccount in the namespace,
and can mount any Secret or ConfigMap there. Unless Pod Security admission stops it, the pod
can also be privileged and take over its node. Creating pods is therefore worth as much as the
most privileged ServiceAccount and Secret in the namespace.

## How to fix
Grant pod and workload creation to deployment tooling only, in namespaces enforced by Pod
Security admission (`baseline` or `restricted`), and keep privileged ServiceAccounts out of
those namespaces.
"#;

fn check(_cx: &Context<'_>, obj: &Object, out: &mut Violations) {
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
        &["create"],
        false,
    );
    fail_grants(
        obj,
        out,
        found,
        "its subjects can run pods as any ServiceAccount of the namespace and mount its Secrets",
    );
}
