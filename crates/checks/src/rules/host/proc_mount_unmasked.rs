//! KC-HOST-011 proc-mount-unmasked.

use kubecomply_core::value::Field;

use kubecomply_core::Value;
use kubecomply_core::rule::reference;
use kubecomply_core::{Category, Object, RuleMeta, Severity};

use crate::rule::{Context, Rule, Target, Violations};

/// The rule.
pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "KC-HOST-011",
        slug: "proc-mount-unmasked",
        title: "Container uses an unmasked /proc",
        severity: Severity::High,
        category: Category::HostAccess,
        since: "0.1.0",
        docs: DOCS,
        references: &[
            reference("trivy", "KSV-0027"),
            reference("polaris", "procMount"),
            reference("kube-linter", "unsafe-proc-mount"),
            reference("pss", "baseline/procMount"),
        ],
    },
    target: Target::PodTemplates,
    reads: &[],
    check,
};

const DOCS: &str = r#"## What it checks
Fails for every container, init container and ephemeral container whose
`securityContext.procMount` is exactly `Unmasked` (the API's spelling; `Default` and an unset
field pass). There is no pod-level `procMount`.

## Why it matters
By default the runtime masks and makes read-only the sensitive parts of `/proc` (`/proc/kcore`,
`/proc/sys`, `/proc/sysrq-trigger`, timer and keyboard interfaces...). `Unmasked` removes that
protection, exposing kernel memory and kernel tunables of the node to the container.

## How to fix
Remove `procMount: Unmasked`. It is only meant for nested container runtimes inside a user
namespace (`hostUsers: false`); such workloads need a documented exception.

## Differences from other tools
From policy version 1.35 the Pod Security Standards baseline level tolerates `Unmasked` in pods
that run in a user namespace (`hostUsers: false`), while the restricted level still forbids it.
kubecomply reports it in every pod, like the restricted level: the user namespace limits the
damage but the kernel interfaces stay exposed.
"#;

fn check(_cx: &Context<'_>, obj: &Object, out: &mut Violations) {
    for t in obj.templates() {
        for c in t.containers() {
            let proc_mount = c
                .value
                .field("securityContext")
                .and_then(|s| s.field("procMount"))
                .and_then(Value::as_str);
            if proc_mount == Some("Unmasked") {
                out.fail_container(
                    &c,
                    t.container_path(&c, &["securityContext", "procMount"]),
                    format!(
                        "{} {:?} mounts /proc unmasked (securityContext.procMount=Unmasked)",
                        c.kind.noun(),
                        c.name
                    ),
                );
            }
        }
    }
}
