//! KC-CTR-001 privilege-escalation-allowed.

use kubecomply_core::Value;
use kubecomply_core::rule::reference;
use kubecomply_core::{Category, Object, RuleMeta, Severity};

use super::{capability_entries, is_windows, missing, sc_field};
use crate::rule::{Context, Rule, Target, Violations};

/// The rule.
pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "KC-CTR-001",
        slug: "privilege-escalation-allowed",
        title: "Container allows privilege escalation",
        severity: Severity::High,
        category: Category::ContainerHardening,
        since: "0.1.0",
        docs: DOCS,
        references: &[
            reference("checkov", "CKV_K8S_20"),
            reference("kubescape", "C-0016"),
            reference("trivy", "KSV-0001"),
            reference("polaris", "privilegeEscalationAllowed"),
            reference("kube-linter", "privilege-escalation-container"),
            reference("pss", "restricted/allowPrivilegeEscalation"),
            reference("cis", "5.2.6"),
        ],
    },
    target: Target::PodTemplates,
    reads: &[],
    check,
};

const DOCS: &str = r#"## What it checks
Fails for every container, init container and ephemeral container whose
`securityContext.allowPrivilegeEscalation` is not explicitly `false`. An unset field counts as
allowed, because that is the Kubernetes default; there is no pod-level field, so only the
container's own setting counts.

Escalation is also always allowed, whatever the field says, when the container is privileged
(`privileged: true`) or adds the `SYS_ADMIN` capability (compared after normalisation: case and
an optional `CAP_` prefix are ignored); such a container fails too, with the reason in the
message. Pods with `spec.os.name: windows` are skipped: the field is Linux-only and forbidden
there. A quoted `"false"` is reported by `invalid-field-type` and treated as unset here.

## Why it matters
`allowPrivilegeEscalation: false` sets the kernel's `no_new_privs` flag on the container's
processes, so setuid binaries (`sudo`, `su`, `ping` on old images) and file capabilities cannot
raise their privileges. Without it, an attacker who gets a shell as an unprivileged user can
become root inside the container, the first step to most escapes.

## How to fix
Set `securityContext.allowPrivilegeEscalation: false` on every container, and do not combine it
with `privileged: true` (the API server rejects that combination) or an added `SYS_ADMIN`
capability.
"#;

fn check(_cx: &Context<'_>, obj: &Object, out: &mut Violations) {
    for t in obj.templates() {
        if is_windows(&t) {
            continue;
        }
        for c in t.containers() {
            let ape = sc_field(&c, "allowPrivilegeEscalation").and_then(Value::as_bool);
            let privileged = sc_field(&c, "privileged").and_then(Value::as_bool) == Some(true);
            let sys_admin = capability_entries(&c, "add")
                .into_iter()
                .find(|(_, _, n)| n == "SYS_ADMIN");
            let who = format!("{} {:?}", c.kind.noun(), c.name);
            match ape {
                Some(false) if privileged => out.fail_container(
                    &c,
                    t.container_path(&c, &["securityContext", "privileged"]),
                    format!("{who} allows privilege escalation: it is privileged, which overrides allowPrivilegeEscalation=false"),
                ),
                Some(false) => {
                    if let Some((i, raw, _)) = sys_admin {
                        out.fail_container(
                            &c,
                            t.container_path(&c, &["securityContext", "capabilities", "add", &i.to_string()]),
                            format!("{who} allows privilege escalation: it adds capability {raw:?}, which overrides allowPrivilegeEscalation=false"),
                        );
                    }
                }
                Some(true) => out.fail_container(
                    &c,
                    t.container_path(&c, &["securityContext", "allowPrivilegeEscalation"]),
                    format!("{who} allows privilege escalation (allowPrivilegeEscalation=true)"),
                ),
                None => out.fail_container(
                    &c,
                    missing(obj, &t, &c, &["securityContext", "allowPrivilegeEscalation"]),
                    format!("{who} allows privilege escalation (allowPrivilegeEscalation is not set to false)"),
                ),
            }
        }
    }
}
