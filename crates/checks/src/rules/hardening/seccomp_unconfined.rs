//! KC-CTR-012 seccomp-unconfined.

use kubecomply_core::rule::reference;
use kubecomply_core::{Category, Object, RuleMeta, Severity};

use super::{container_seccomp, pod_seccomp};
use crate::rule::{Context, Rule, Target, Violations};

/// The rule.
pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "KC-CTR-012",
        slug: "seccomp-unconfined",
        title: "Seccomp explicitly disabled (Unconfined)",
        severity: Severity::High,
        category: Category::ContainerHardening,
        since: "0.1.0",
        docs: DOCS,
        references: &[
            reference("trivy", "KSV-0104"),
            reference("pss", "baseline/seccompProfile_baseline"),
        ],
    },
    target: Target::PodTemplates,
    reads: &[],
    check,
};

const DOCS: &str = r#"## What it checks
Fails wherever the seccomp profile is explicitly set to `Unconfined`:

- at pod level, `spec.securityContext.seccompProfile.type: Unconfined` or, when that field is
  unset, the legacy annotation `seccomp.security.alpha.kubernetes.io/pod: unconfined`
  (reported once for the pod, even if every current container overrides it: containers added
  later, including ephemeral debug containers, inherit it);
- for every container, init container and ephemeral container,
  `securityContext.seccompProfile.type: Unconfined` or, when that field is unset, the legacy
  annotation `container.seccomp.security.alpha.kubernetes.io/<container name>: unconfined`.

The annotations count only where the field is unset, as the API server converts them into
fields when it creates the pod. A profile that is simply missing is reported by
`seccomp-profile-missing` instead.

## Why it matters
`Unconfined` turns system-call filtering off deliberately, even on clusters whose kubelets apply
`RuntimeDefault` to pods that do not ask for anything. Every system call becomes reachable,
including those behind most kernel-based container escapes.

## How to fix
Use `type: RuntimeDefault`, or a `Localhost` profile that allows the extra system calls the
application really needs, instead of disabling filtering altogether.
"#;

fn check(_cx: &Context<'_>, obj: &Object, out: &mut Violations) {
    for t in obj.templates() {
        if let Some(s) = pod_seccomp(&t).filter(|s| s.kind == "Unconfined") {
            let how = if s.annotation {
                " (legacy annotation)"
            } else {
                ""
            };
            out.fail(
                s.pointer,
                format!("pod sets its default seccomp profile to Unconfined{how}"),
            );
        }
        for c in t.containers() {
            if let Some(s) = container_seccomp(&t, &c).filter(|s| s.kind == "Unconfined") {
                let how = if s.annotation {
                    " (legacy annotation)"
                } else {
                    ""
                };
                out.fail_container(
                    &c,
                    s.pointer,
                    format!(
                        "{} {:?} runs with seccomp Unconfined{}",
                        c.kind.noun(),
                        c.name,
                        how
                    ),
                );
            }
        }
    }
}
