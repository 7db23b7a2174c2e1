//! KC-RBAC-003 rbac-pod-exec-attach.

use kubecomply_core::rule::reference;
use kubecomply_core::{Category, Object, RuleMeta, Severity};

use super::{ROLE_KINDS, fail_grants, grants, want};
use crate::rule::{Context, Rule, Target, Violations};

/// The rule.
pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "KC-RBAC-003",
        slug: "rbac-pod-exec-attach",
        title: "Role or ClusterRole can exec, attach or port-forward into pods",
        severity: Severity::High,
        category: Category::Rbac,
        since: "0.1.0",
        docs: DOCS,
        references: &[
            reference("checkov", "CKV2_K8S_2"),
            reference("kubescape", "C-0002"),
            reference("kubescape", "C-0063"),
            reference("trivy", "KSV-0053"),
            reference("trivy", "KSV-0054"),
            reference("polaris", "clusterrolePodExecAttach"),
            reference("polaris", "rolePodExecAttach"),
        ],
    },
    target: Target::Kinds(ROLE_KINDS),
    reads: &[],
    check,
};

const DOCS: &str = r#"## What it checks
Fails for every rule of a Role or ClusterRole that grants `create` or `get` on the pod
subresources `pods/exec`, `pods/attach` or `pods/portforward` (core API group). A `resources`
entry covers a subresource when it is `*`, the exact `pods/exec`, or `*/exec`; `pods/*` and
`pods` do **not** cover subresources, exactly as in the RBAC authorizer. `get` counts as well as
`create`: clients that connect over WebSocket (as recent `kubectl` versions do) open the stream
with an HTTP GET, which the API server authorises with the `get` verb, so on many clusters `get`
alone is enough to run commands. Aggregated ClusterRoles' own `rules` are ignored.

## Why it matters
Exec and attach run commands inside any pod the subject can reach, with that pod's
ServiceAccount token, mounted Secrets and network position; port-forward reaches the pod's
ports without going through Services, Ingress or NetworkPolicy. These are debugging
permissions that turn into lateral movement.

## How to fix
Keep exec, attach and port-forward out of roles bound to applications and CI. Grant them to
people through a separate, time-limited role (or use ephemeral debug containers under an
audited process).

## Differences from other tools
Checkov's CKV2_K8S_2 is about `create` (as its title says) and so misses WebSocket access
through `get`.
"#;

fn check(_cx: &Context<'_>, obj: &Object, out: &mut Violations) {
    let found = grants(
        obj,
        &[
            want("", "pods/exec"),
            want("", "pods/attach"),
            want("", "pods/portforward"),
        ],
        &["create", "get"],
        false,
    );
    fail_grants(
        obj,
        out,
        found,
        "its subjects can run commands in, or open connections to, pods and use their credentials",
    );
}
