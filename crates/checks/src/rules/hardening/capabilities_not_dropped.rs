//! KC-CTR-009 capabilities-not-dropped.

use kubecomply_core::rule::reference;
use kubecomply_core::{Category, Object, RuleMeta, Severity};

use super::{capability_entries, is_windows, missing};
use crate::rule::{Context, Rule, Target, Violations};

/// The rule.
pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "KC-CTR-009",
        slug: "capabilities-not-dropped",
        title: "Container does not drop all Linux capabilities",
        severity: Severity::Medium,
        category: Category::ContainerHardening,
        since: "0.1.0",
        docs: DOCS,
        references: &[
            reference("checkov", "CKV_K8S_37"),
            reference("trivy", "KSV-0003"),
            reference("pss", "restricted/capabilities_restricted"),
        ],
    },
    target: Target::PodTemplates,
    reads: &[],
    check,
};

const DOCS: &str = r#"## What it checks
Fails for every container, init container and ephemeral container whose
`securityContext.capabilities.drop` does not contain `ALL`. Names are normalised before
comparing (case ignored, optional `CAP_` prefix stripped), so `all` counts. A missing `drop`
list, or a long explicit list without `ALL`, fails. Pods with `spec.os.name: windows` are
skipped (capabilities are Linux-only and forbidden there).

## Why it matters
Container runtimes grant a default set of about fourteen capabilities (`CHOWN`,
`DAC_OVERRIDE`, `FOWNER`, `SETUID`, `SETGID`, `NET_RAW`, `MKNOD`...). Most applications need
none of them, and each one is a tool for an intruder. Dropping `ALL` and adding back only what
is needed is the least-privilege default the Pod Security Standards restricted level requires.

## How to fix
Add `capabilities: {drop: [ALL]}` to the container's `securityContext`, and add back only the
capabilities the process needs (typically none, or `NET_BIND_SERVICE`).
"#;

fn check(_cx: &Context<'_>, obj: &Object, out: &mut Violations) {
    for t in obj.templates() {
        if is_windows(&t) {
            continue;
        }
        for c in t.containers() {
            if capability_entries(&c, "drop")
                .iter()
                .any(|(_, _, n)| n == "ALL")
            {
                continue;
            }
            out.fail_container(
                &c,
                missing(obj, &t, &c, &["securityContext", "capabilities", "drop"]),
                format!(
                    "{} {:?} does not drop all capabilities (capabilities.drop lacks ALL)",
                    c.kind.noun(),
                    c.name
                ),
            );
        }
    }
}
