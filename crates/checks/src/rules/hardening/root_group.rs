//! KC-CTR-005 root-group.

use kubecomply_core::value::Field;

use kubecomply_core::Value;
use kubecomply_core::rule::reference;
use kubecomply_core::{Category, Object, RuleMeta, Severity};

use super::effective_i64;
use crate::rule::{Context, Rule, Target, Violations};

/// The rule.
pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "KC-CTR-005",
        slug: "root-group",
        title: "Pod or container runs with the root group (GID 0)",
        severity: Severity::Medium,
        category: Category::ContainerHardening,
        since: "0.1.0",
        docs: DOCS,
        references: &[reference("trivy", "KSV-0116")],
    },
    target: Target::PodTemplates,
    reads: &[],
    check,
};

const DOCS: &str = r#"## What it checks
Fails when group 0 (`root`) is given explicitly:

- for every container, init container and ephemeral container whose effective `runAsGroup`
  (the container's `securityContext` wins, else the pod's) is `0`; the finding points at the
  field that sets it;
- when the pod's `spec.securityContext.fsGroup` is `0` (reported once for the pod);
- for every `0` in the pod's `spec.securityContext.supplementalGroups` (reported once for the
  pod).

An unset `runAsGroup` is not reported: the image's group then applies, and `low-user-id` covers
unset identities. Values of the wrong type count as unset.

## Why it matters
Group 0 owns most of the file system, on the node and in images, and group-writable root-owned
files are common. A process in group 0 gets those group permissions on everything it reaches
through a hostPath or shared volume, and `fsGroup: 0` makes every mounted volume owned by the
root group.

## How to fix
Use a dedicated non-zero group, for example `runAsGroup: 10001` and `fsGroup: 10001`, and remove
`0` from `supplementalGroups`.
"#;

fn check(_cx: &Context<'_>, obj: &Object, out: &mut Violations) {
    for t in obj.templates() {
        for c in t.containers() {
            if let Some((0, pointer)) = effective_i64(&t, &c, "runAsGroup") {
                out.fail_container(
                    &c,
                    pointer,
                    format!(
                        "{} {:?} runs with the root group (runAsGroup=0)",
                        c.kind.noun(),
                        c.name
                    ),
                );
            }
        }
        let Some(sc) = t.pod_security_context() else {
            continue;
        };
        if sc.field("fsGroup").and_then(Value::as_i64) == Some(0) {
            out.fail(
                t.spec_path(&["securityContext", "fsGroup"]),
                "pod makes its volumes owned by the root group (fsGroup=0)",
            );
        }
        if let Some(groups) = sc.field("supplementalGroups").and_then(Value::as_array) {
            for (i, g) in groups.iter().enumerate() {
                if g.as_i64() == Some(0) {
                    out.fail(
                        t.spec_path(&["securityContext", "supplementalGroups", &i.to_string()]),
                        "pod adds the root group to its processes (supplementalGroups contains 0)",
                    );
                }
            }
        }
    }
}
