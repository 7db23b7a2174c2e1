//! KC-HOST-004 host-ipc.

use kubecomply_core::value::Field;

use kubecomply_core::Value;
use kubecomply_core::rule::reference;
use kubecomply_core::{Category, Object, RuleMeta, Severity};

use crate::rule::{Context, Rule, Target, Violations};

/// The rule.
pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "KC-HOST-004",
        slug: "host-ipc",
        title: "Pod shares the host IPC namespace",
        severity: Severity::High,
        category: Category::HostAccess,
        since: "0.1.0",
        docs: DOCS,
        references: &[
            reference("checkov", "CKV_K8S_18"),
            reference("kubescape", "C-0038"),
            reference("kubescape", "C-0276"),
            reference("trivy", "KSV-0008"),
            reference("polaris", "hostIPCSet"),
            reference("kube-linter", "host-ipc"),
            reference("pss", "baseline/hostNamespaces"),
            reference("cis", "5.2.4"),
        ],
    },
    target: Target::PodTemplates,
    reads: &[],
    check,
};

const DOCS: &str = r#"## What it checks
Fails for every pod template whose `spec.hostIPC` is `true`. The field exists only at pod level.
A value of the wrong type (quoted `"true"`) is reported by `invalid-field-type` instead and
treated as unset here.

## Why it matters
The IPC namespace holds System V shared memory segments, semaphores and message queues and POSIX
message queues. Sharing the node's lets the pod read and write the shared memory of every
process on the node that uses it (databases, caches, other pods with `hostIPC`), leaking data or
corrupting it.

## How to fix
Remove `hostIPC: true`. Containers of the same pod already share an IPC namespace with each
other; nothing else should need the node's.
"#;

fn check(_cx: &Context<'_>, obj: &Object, out: &mut Violations) {
    for t in obj.templates() {
        if t.spec.field("hostIPC").and_then(Value::as_bool) == Some(true) {
            out.fail(
                t.spec_path(&["hostIPC"]),
                "pod shares the host IPC namespace (hostIPC=true)",
            );
        }
    }
}
