//! KC-CTR-002 run-as-root-allowed.

use kubecomply_core::rule::reference;
use kubecomply_core::{Category, Object, RuleMeta, Severity};

use super::{effective_bool, effective_i64, missing};
use crate::rule::{Context, Rule, Target, Violations};

/// The rule.
pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "KC-CTR-002",
        slug: "run-as-root-allowed",
        title: "Container may run as root",
        severity: Severity::High,
        category: Category::ContainerHardening,
        since: "0.1.0",
        docs: DOCS,
        references: &[
            reference("checkov", "CKV_K8S_23"),
            reference("kubescape", "C-0013"),
            reference("trivy", "KSV-0012"),
            reference("polaris", "runAsRootAllowed"),
            reference("kube-linter", "run-as-non-root"),
            reference("pss", "restricted/runAsNonRoot"),
            reference("cis", "5.2.7"),
        ],
    },
    target: Target::PodTemplates,
    reads: &[],
    check,
};

const DOCS: &str = r#"## What it checks
For every container, init container and ephemeral container, computes the effective
`runAsNonRoot` and `runAsUser` (the container's `securityContext` wins, else the pod's
`spec.securityContext`) and fails when **both**

- the effective `runAsNonRoot` is not `true` (unset or `false`), and
- the effective `runAsUser` is unset or `0`.

So `runAsNonRoot: true` at pod level protects every container that does not override it, and a
non-zero `runAsUser` is enough on its own. Values of the wrong type count as unset. An explicit
`runAsUser: 0` is also reported by `run-as-uid-zero`.

## Why it matters
Without either setting the container runs as whatever user the image declares, and most images
still default to root. Root inside the container shares UID 0 with the node (unless the pod uses
a user namespace): any escape, writable host mount or kernel bug is then exploited as root.

## How to fix
Set `runAsNonRoot: true` in the pod's `securityContext` (the kubelet then refuses to start a
container whose image would run as UID 0), and preferably a fixed non-zero `runAsUser` and
`runAsGroup`.

## Differences from other tools
Checkov's CKV_K8S_23 only looks at regular `containers`, so a root init container passes there;
kubecomply checks init and ephemeral containers as well. Kubescape's C-0013 also fails when
`runAsGroup` is unset, which kubecomply leaves to `root-group` (which only flags an explicit
group 0).
"#;

fn check(_cx: &Context<'_>, obj: &Object, out: &mut Violations) {
    for t in obj.templates() {
        for c in t.containers() {
            let non_root = effective_bool(&t, &c, "runAsNonRoot");
            if matches!(non_root, Some((true, _))) {
                continue;
            }
            let user = effective_i64(&t, &c, "runAsUser");
            let (pointer, detail) = match (&user, &non_root) {
                (Some((n, _)), _) if *n != 0 => continue,
                (Some((_, p)), _) => (p.clone(), "runAsUser is 0"),
                (None, Some((_, p))) => (p.clone(), "runAsNonRoot is false and runAsUser is unset"),
                (None, None) => (
                    missing(obj, &t, &c, &["securityContext", "runAsNonRoot"]),
                    "neither runAsNonRoot: true nor a non-zero runAsUser is set",
                ),
            };
            out.fail_container(
                &c,
                pointer,
                format!("{} {:?} may run as root: {}", c.kind.noun(), c.name, detail),
            );
        }
    }
}
