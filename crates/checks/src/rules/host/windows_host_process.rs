//! KC-HOST-010 windows-host-process.

use kubecomply_core::value::Field;

use kubecomply_core::Value;
use kubecomply_core::rule::reference;
use kubecomply_core::{Category, Object, RuleMeta, Severity};

use crate::rule::{Context, Rule, Target, Violations};

/// The rule.
pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "KC-HOST-010",
        slug: "windows-host-process",
        title: "Windows HostProcess container",
        severity: Severity::Critical,
        category: Category::HostAccess,
        since: "0.1.0",
        docs: DOCS,
        references: &[
            reference("trivy", "KSV-0103"),
            reference("polaris", "hostProcess"),
            reference("pss", "baseline/windowsHostProcess"),
            reference("cis", "5.2.10"),
        ],
    },
    target: Target::PodTemplates,
    reads: &[],
    check,
};

const DOCS: &str = r#"## What it checks
Fails when `securityContext.windowsOptions.hostProcess` is `true` at pod level
(`spec.securityContext`, reported once for the pod, since every container inherits it) or in
the `securityContext` of any container, init container or ephemeral container (reported per
container that sets it). A quoted `"true"` is reported by `invalid-field-type` and treated as
unset here.

## Why it matters
A Windows HostProcess container runs directly on the node as a host process, with the node's
network and file system and, usually, as `NT AUTHORITY\SYSTEM`: it is the Windows equivalent of
a privileged container with host namespaces, with no isolation at all.

## How to fix
Remove `hostProcess: true`. Node-management tasks that truly need host access (CNI or storage
plugins, log collectors on Windows nodes) should run in a dedicated namespace with a documented
exception.
"#;

fn host_process(sc: Option<&Value>) -> bool {
    sc.and_then(|s| s.field("windowsOptions"))
        .and_then(|w| w.field("hostProcess"))
        .and_then(Value::as_bool)
        == Some(true)
}

fn check(_cx: &Context<'_>, obj: &Object, out: &mut Violations) {
    for t in obj.templates() {
        if host_process(t.pod_security_context()) {
            out.fail(
                t.spec_path(&["securityContext", "windowsOptions", "hostProcess"]),
                "pod runs as a Windows HostProcess pod (securityContext.windowsOptions.hostProcess=true)",
            );
        }
        for c in t.containers() {
            if host_process(c.value.field("securityContext")) {
                out.fail_container(
                    &c,
                    t.container_path(&c, &["securityContext", "windowsOptions", "hostProcess"]),
                    format!(
                        "{} {:?} runs as a Windows HostProcess container (securityContext.windowsOptions.hostProcess=true)",
                        c.kind.noun(),
                        c.name
                    ),
                );
            }
        }
    }
}
