//! KC-HOST-012 unsafe-sysctls.

use kubecomply_core::value::Field;

use kubecomply_core::Value;
use kubecomply_core::rule::reference;
use kubecomply_core::{Category, Object, RuleMeta, Severity};

use crate::rule::{Context, Rule, Target, Violations};

/// The rule.
pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "KC-HOST-012",
        slug: "unsafe-sysctls",
        title: "Pod sets a sysctl outside the safe set",
        severity: Severity::High,
        category: Category::HostAccess,
        since: "0.1.0",
        docs: DOCS,
        references: &[
            reference("trivy", "KSV-0026"),
            reference("kube-linter", "unsafe-sysctls"),
            reference("pss", "baseline/sysctls"),
        ],
    },
    target: Target::PodTemplates,
    reads: &[],
    check,
};

/// The sysctls the newest Pod Security Standards baseline (policy v1.37) allows.
const SAFE: &[&str] = &[
    "kernel.shm_rmid_forced",
    "net.ipv4.ip_local_port_range",
    "net.ipv4.ip_unprivileged_port_start",
    "net.ipv4.tcp_syncookies",
    "net.ipv4.ping_group_range",
    "net.ipv4.ip_local_reserved_ports",
    "net.ipv4.tcp_keepalive_time",
    "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
    "net.ipv4.tcp_rmem",
    "net.ipv4.tcp_wmem",
    "net.ipv4.tcp_slow_start_after_idle",
    "net.ipv4.tcp_notsent_lowat",
];

const DOCS: &str = r#"## What it checks
Fails for every entry of `spec.securityContext.sysctls` whose `name` is not in the safe set of
the newest Pod Security Standards baseline (policy version 1.37):

`kernel.shm_rmid_forced`, `net.ipv4.ip_local_port_range`, `net.ipv4.ip_unprivileged_port_start`,
`net.ipv4.tcp_syncookies`, `net.ipv4.ping_group_range` (all since 1.0),
`net.ipv4.ip_local_reserved_ports` (1.27), `net.ipv4.tcp_keepalive_time`,
`net.ipv4.tcp_fin_timeout`, `net.ipv4.tcp_keepalive_intvl`, `net.ipv4.tcp_keepalive_probes`
(1.29), `net.ipv4.tcp_rmem`, `net.ipv4.tcp_wmem` (1.32), `net.ipv4.tcp_slow_start_after_idle`,
`net.ipv4.tcp_notsent_lowat` (1.37).

Names are compared exactly (sysctl names are case-sensitive); a name written with `/`
separators (`net/ipv4/tcp_syncookies`, which the kubelet accepts) is compared in its dotted
form. Entries without a string `name` are skipped (the API server rejects them). Sysctls exist
only at pod level. A cluster that pins an older policy version may reject some names this rule
accepts; the `KC-PSS-*` rules evaluate the version you configure.

## Why it matters
The safe sysctls are namespaced and isolated per pod. Any other sysctl either is not namespaced
(it changes the whole node, for every pod on it) or is namespaced but not isolated (the IPC
limits such as `kernel.msgmax` or `kernel.shmmax` let one pod reserve kernel memory the whole
node shares), so one pod can weaken security or starve the node. The kubelet refuses unsafe sysctls unless the node allow-lists them, in which case the pod
silently gains that power.

## How to fix
Remove the sysctl, or tune the node itself (through the node image or a node-tuning operator)
instead of from a pod. If a workload needs a namespaced but not-yet-safe sysctl, allow it on a
dedicated node pool and document an exception.
"#;

fn check(_cx: &Context<'_>, obj: &Object, out: &mut Violations) {
    for t in obj.templates() {
        let Some(sysctls) = t
            .pod_security_context()
            .and_then(|s| s.field("sysctls"))
            .and_then(Value::as_array)
        else {
            continue;
        };
        for (i, s) in sysctls.iter().enumerate() {
            let Some(name) = s.field("name").and_then(Value::as_str) else {
                continue;
            };
            let dotted = name.replace('/', ".");
            if SAFE.contains(&dotted.as_str()) {
                continue;
            }
            let value = s
                .field("value")
                .and_then(Value::as_str)
                .map(|v| format!(" = {v:?}"))
                .unwrap_or_default();
            out.fail(
                t.spec_path(&["securityContext", "sysctls", &i.to_string(), "name"]),
                format!("pod sets sysctl {name:?}{value}, which is not in the Pod Security Standards safe set"),
            );
        }
    }
}
