//! KC-HOST-006 writable-host-path-mount.

use kubecomply_core::value::Field;

use kubecomply_core::Value;
use kubecomply_core::rule::reference;
use kubecomply_core::{Category, Object, RuleMeta, Severity};

use super::host_path_volumes;
use crate::rule::{Context, Rule, Target, Violations};

/// The rule.
pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "KC-HOST-006",
        slug: "writable-host-path-mount",
        title: "Container mounts a hostPath volume writable",
        severity: Severity::High,
        category: Category::HostAccess,
        since: "0.1.0",
        docs: DOCS,
        references: &[
            reference("kubescape", "C-0045"),
            reference("kube-linter", "writable-host-mount"),
        ],
    },
    target: Target::PodTemplates,
    reads: &[],
    check,
};

const DOCS: &str = r#"## What it checks
For every container, init container and ephemeral container, fails for each entry of
`volumeMounts` whose `name` refers to a `hostPath` volume of the pod and whose `readOnly` is not
`true` (missing counts as writable, the Kubernetes default). Read-only-ness is a property of the
mount, not of the volume, so the same hostPath volume can be mounted read-only by one container
and writable by another; each writable mount is reported, naming the container, the volume, the
host path and the mount path. `recursiveReadOnly` does not change the verdict: it only refines a
mount that already has `readOnly: true`. A hostPath volume that no container mounts is reported
only by `host-path-volume`.

## Why it matters
A writable mount of a node directory lets the container change the node: drop a binary or a
systemd unit, plant an SSH key, rewrite a static pod manifest, or replace files that other pods
read. Even "harmless" paths such as a log directory can be abused through symbolic links that the
kubelet or a log shipper later follows as root.

## How to fix
Add `readOnly: true` to the volume mount. If the workload must write to the node (a CSI node
plugin, a log agent's position file), restrict the hostPath to a dedicated directory and document
an exception.
"#;

fn check(_cx: &Context<'_>, obj: &Object, out: &mut Violations) {
    for t in obj.templates() {
        let hp = host_path_volumes(&t);
        if hp.is_empty() {
            continue;
        }
        for c in t.containers() {
            let Some(mounts) = c.value.field("volumeMounts").and_then(Value::as_array) else {
                continue;
            };
            for (i, m) in mounts.iter().enumerate() {
                let Some(name) = m.field("name").and_then(Value::as_str) else {
                    continue;
                };
                let Some(v) = hp.iter().find(|v| v.name == name) else {
                    continue;
                };
                let read_only = m.field("readOnly").and_then(Value::as_bool);
                if read_only == Some(true) {
                    continue;
                }
                let idx = i.to_string();
                let pointer = match read_only {
                    Some(false) => t.container_path(&c, &["volumeMounts", &idx, "readOnly"]),
                    _ => t.container_path(&c, &["volumeMounts", &idx]),
                };
                let mount_path = m.field("mountPath").and_then(Value::as_str).unwrap_or("");
                let host = v
                    .path
                    .map(|p| format!(" (host path {p:?})"))
                    .unwrap_or_default();
                out.fail_container(
                    &c,
                    pointer,
                    format!(
                        "{} {:?} mounts hostPath volume {:?}{} at {:?} without readOnly: true",
                        c.kind.noun(),
                        c.name,
                        name,
                        host,
                        mount_path
                    ),
                );
            }
        }
    }
}
