//! KC-CTR-011 seccomp-profile-missing.

use kubecomply_core::rule::reference;
use kubecomply_core::{Category, Object, RuleMeta, Severity};

use super::{effective_seccomp, is_windows, missing};
use crate::rule::{Context, Rule, Target, Violations};

/// The rule.
pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "KC-CTR-011",
        slug: "seccomp-profile-missing",
        title: "Container runs without a seccomp profile",
        severity: Severity::Medium,
        category: Category::ContainerHardening,
        since: "0.1.0",
        docs: DOCS,
        references: &[
            reference("checkov", "CKV_K8S_31"),
            reference("kubescape", "C-0210"),
            reference("trivy", "KSV-0030"),
            reference("kube-score", "container-seccomp-profile"),
            reference("pss", "restricted/seccompProfile_restricted"),
            reference("cis", "5.6.2"),
        ],
    },
    target: Target::PodTemplates,
    reads: &[],
    check,
};

const DOCS: &str = r#"## What it checks
For every container, init container and ephemeral container, finds the effective seccomp
profile and fails unless its type is `RuntimeDefault` or `Localhost`. The effective profile is,
in order:

1. the container's `securityContext.seccompProfile`;
2. if that is unset, the legacy annotation
   `container.seccomp.security.alpha.kubernetes.io/<container name>` of the pod template;
3. the pod's `spec.securityContext.seccompProfile`;
4. if that is unset, the legacy annotation `seccomp.security.alpha.kubernetes.io/pod`.

The legacy annotations count only where the corresponding field is unset, exactly as the API
server converts them into fields when it creates the pod: `runtime/default` and
`docker/default` mean `RuntimeDefault`, `localhost/<file>` means `Localhost`, `unconfined`
means `Unconfined`, and other values are ignored. So an old chart with
`seccomp.security.alpha.kubernetes.io/pod: runtime/default` and no field passes.

An unset profile fails, as does `Unconfined` (also reported, at higher severity, by
`seccomp-unconfined`). Pods with `spec.os.name: windows` are skipped (seccomp is Linux-only).

## Why it matters
Without a profile, containers run `Unconfined` unless the kubelet's `seccompDefault` option is
on, which most clusters leave off: every one of the kernel's ~400 system calls is reachable,
including the rarely used ones behind most container-escape vulnerabilities (`unshare`,
`keyctl`, `bpf`, `userfaultfd`...). The runtime's default profile blocks them at no cost for
almost all applications.

## How to fix
Set the profile once for the whole pod:

```yaml
spec:
  securityContext:
    seccompProfile:
      type: RuntimeDefault
```

or use `type: Localhost` with a `localhostProfile` tailored to the application.

## Differences from other tools
Checkov's CKV_K8S_31 only accepts `RuntimeDefault` (a stricter `Localhost` profile fails
there), ignores the per-container annotation, and stops at a pod-level `RuntimeDefault`
without looking at the containers, so a container that overrides it with `Unconfined` passes.
kubecomply evaluates each container's effective profile and accepts both `RuntimeDefault` and
`Localhost`, as the Pod Security Standards restricted level does.
"#;

fn check(_cx: &Context<'_>, obj: &Object, out: &mut Violations) {
    for t in obj.templates() {
        if is_windows(&t) {
            continue;
        }
        for c in t.containers() {
            let who = format!("{} {:?}", c.kind.noun(), c.name);
            match effective_seccomp(&t, &c) {
                Some(s) if s.kind == "RuntimeDefault" || s.kind == "Localhost" => {}
                Some(s) => {
                    let what = if s.kind.is_empty() {
                        "a seccompProfile without a type".to_string()
                    } else if s.annotation {
                        format!("seccomp profile {:?} (from a legacy annotation)", s.kind)
                    } else {
                        format!("seccomp profile type {:?}", s.kind)
                    };
                    out.fail_container(&c, s.pointer, format!("{who} runs with {what}; use RuntimeDefault or Localhost"));
                }
                None => out.fail_container(
                    &c,
                    missing(obj, &t, &c, &["securityContext", "seccompProfile"]),
                    format!("{who} has no seccomp profile (seccompProfile is set neither on the container nor on the pod)"),
                ),
            }
        }
    }
}
