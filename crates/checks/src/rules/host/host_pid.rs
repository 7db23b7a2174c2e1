//! KC-HOST-003 host-pid.

use kubecomply_core::value::Field;

use kubecomply_core::Value;
use kubecomply_core::rule::reference;
use kubecomply_core::{Category, Object, RuleMeta, Severity};

use crate::rule::{Context, Rule, Target, Violations};

/// The rule.
pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "KC-HOST-003",
        slug: "host-pid",
        title: "Pod shares the host process ID namespace",
        severity: Severity::High,
        category: Category::HostAccess,
        since: "0.1.0",
        docs: DOCS,
        references: &[
            reference("checkov", "CKV_K8S_17"),
            reference("kubescape", "C-0038"),
            reference("kubescape", "C-0275"),
            reference("trivy", "KSV-0010"),
            reference("polaris", "hostPIDSet"),
            reference("kube-linter", "host-pid"),
            reference("pss", "baseline/hostNamespaces"),
            reference("cis", "5.2.3"),
        ],
    },
    target: Target::PodTemplates,
    reads: &[],
    check,
};

const DOCS: &str = r#"## What it checks
Fails for every pod template whose `spec.hostPID` is `true`. The field exists only at pod level.
A value of the wrong type (quoted `"true"`) is reported by `invalid-field-type` instead and
treated as unset here. `shareProcessNamespace` (sharing one PID namespace between the containers
of the same pod) is a different, pod-internal setting and is not reported.

## Why it matters
In the host PID namespace the containers see every process of the node, including those of other
pods. They can read other processes' command lines and environment (which often carry
credentials), and a process running as root can signal them or, with `SYS_PTRACE`, attach to
them and read their memory, or enter their namespaces through `/proc/<pid>/root`.

## How to fix
Remove `hostPID: true`. Debugging tools that need to inspect node processes should be run on
demand (for example `kubectl debug node/...`) rather than deployed permanently.
"#;

fn check(_cx: &Context<'_>, obj: &Object, out: &mut Violations) {
    for t in obj.templates() {
        if t.spec.field("hostPID").and_then(Value::as_bool) == Some(true) {
            out.fail(
                t.spec_path(&["hostPID"]),
                "pod shares the host process ID namespace (hostPID=true)",
            );
        }
    }
}
