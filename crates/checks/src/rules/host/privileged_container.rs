//! KC-HOST-001 privileged-container.

use kubecomply_core::value::Field;

use kubecomply_core::rule::reference;
use kubecomply_core::{Category, Object, RuleMeta, Severity};

use crate::rule::{Context, Rule, Target, Violations};

/// The rule.
pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "KC-HOST-001",
        slug: "privileged-container",
        title: "Container runs in privileged mode",
        severity: Severity::Critical,
        category: Category::HostAccess,
        since: "0.1.0",
        docs: DOCS,
        references: &[
            reference("checkov", "CKV_K8S_16"),
            reference("kubescape", "C-0057"),
            reference("trivy", "KSV-0017"),
            reference("polaris", "runAsPrivileged"),
            reference("kube-score", "container-security-context-privileged"),
            reference("kube-linter", "privileged-container"),
            reference("pss", "baseline/privileged"),
            reference("cis", "5.2.2"),
            reference("nsa", "pod-security/non-privileged"),
        ],
    },
    target: Target::PodTemplates,
    reads: &[],
    check,
};

const DOCS: &str = r#"## What it checks
Fails for every container, init container and ephemeral container whose
`securityContext.privileged` is `true`. There is no pod-level `privileged` field, so only the
container's own setting counts. A value of the wrong type (`privileged: "true"`, quoted) is
reported by `invalid-field-type` instead, because the API server rejects such an object.

## Why it matters
A privileged container has every Linux capability, sees all host devices and is not confined by
seccomp or AppArmor: a process that escapes it owns the node and every pod on it.

## How to fix
Remove `privileged: true`. If the workload needs one specific capability (for example
`NET_ADMIN` for a CNI agent), grant only that capability and document an exception.

## Differences from other tools
Checkov and Polaris skip ephemeral containers; kubecomply checks them, as the Pod Security
admission controller does.
"#;

fn check(_cx: &Context<'_>, obj: &Object, out: &mut Violations) {
    for t in obj.templates() {
        for c in t.containers() {
            let privileged = c
                .value
                .field("securityContext")
                .and_then(|s| s.field("privileged"))
                .and_then(|v| v.as_bool());
            if privileged == Some(true) {
                out.fail_container(
                    &c,
                    t.container_path(&c, &["securityContext", "privileged"]),
                    format!(
                        "{} {:?} runs privileged (securityContext.privileged=true)",
                        c.kind.noun(),
                        c.name
                    ),
                );
            }
        }
    }
}
