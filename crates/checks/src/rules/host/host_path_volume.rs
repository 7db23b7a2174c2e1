//! KC-HOST-005 host-path-volume.

use kubecomply_core::rule::reference;
use kubecomply_core::{Category, Object, RuleMeta, Severity};

use super::host_path_volumes;
use crate::rule::{Context, Rule, Target, Violations};

/// The rule.
pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "KC-HOST-005",
        slug: "host-path-volume",
        title: "Pod mounts a directory or file of the node (hostPath volume)",
        severity: Severity::Medium,
        category: Category::HostAccess,
        since: "0.1.0",
        docs: DOCS,
        references: &[
            reference("kubescape", "C-0048"),
            reference("trivy", "KSV-0023"),
            reference("polaris", "hostPathSet"),
            reference("pss", "baseline/hostPathVolumes"),
            reference("cis", "5.2.11"),
        ],
    },
    target: Target::PodTemplates,
    reads: &[],
    check,
};

const DOCS: &str = r#"## What it checks
Fails once for every entry of `spec.volumes` that has a `hostPath` mapping, whatever its path
and `type`, and whether or not a container mounts it (the Pod Security Standards baseline forbids
the volume itself). The message names the volume and the host path as written.

Related rules look closer at the same volumes: `writable-host-path-mount` (mounted without
`readOnly: true`), `sensitive-host-path` (system directories) and `container-runtime-socket`
(runtime sockets).

## Why it matters
A hostPath volume ties the pod to one node's file system and bypasses the storage abstraction:
whatever the container can write lands directly on the node, and whatever it can read (logs,
credentials, other pods' data under `/var/lib/kubelet`) is exposed to it. It is the most common
first step of a container escape.

## How to fix
Use an `emptyDir` for scratch space, a `configMap`, `secret` or `projected` volume for
configuration, and a PersistentVolumeClaim for data. If node access is unavoidable (log shippers,
CSI node plugins), mount the narrowest path, read-only, and document an exception.
"#;

fn check(_cx: &Context<'_>, obj: &Object, out: &mut Violations) {
    for t in obj.templates() {
        for v in host_path_volumes(&t) {
            let message = match v.path {
                Some(p) => format!(
                    "volume {:?} mounts host path {:?} (hostPath volume)",
                    v.name, p
                ),
                None => format!("volume {:?} is a hostPath volume", v.name),
            };
            out.fail(v.path_pointer(&t), message);
        }
    }
}
