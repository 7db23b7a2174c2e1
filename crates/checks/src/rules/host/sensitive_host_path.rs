//! KC-HOST-007 sensitive-host-path.

use kubecomply_core::rule::reference;
use kubecomply_core::{Category, Object, RuleMeta, Severity};

use super::{host_path_volumes, is_at_or_under};
use crate::rule::{Context, Rule, Target, Violations};

/// The rule.
pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "KC-HOST-007",
        slug: "sensitive-host-path",
        title: "Pod mounts a sensitive directory of the node",
        severity: Severity::Critical,
        category: Category::HostAccess,
        since: "0.1.0",
        docs: DOCS,
        references: &[
            reference("trivy", "KSV-0121"),
            reference("kube-linter", "sensitive-host-mounts"),
        ],
    },
    target: Target::PodTemplates,
    reads: &[],
    check,
};

/// Node directories whose exposure compromises the node; a path equal to one of them or under
/// it is sensitive. `/` itself is handled separately (everything is under it).
const SENSITIVE: &[&str] = &[
    "/etc",
    "/proc",
    "/sys",
    "/boot",
    "/dev",
    "/lib",
    "/usr",
    "/root",
    "/var/lib/kubelet",
    "/var/lib/docker",
    "/var/lib/containerd",
    "/etc/kubernetes",
    "/var/log",
];

const DOCS: &str = r#"## What it checks
Fails for every `hostPath` volume whose path, after normalisation, is the root `/` or is equal to
or under one of these node directories:

`/etc`, `/proc`, `/sys`, `/boot`, `/dev`, `/lib`, `/usr`, `/root`, `/var/lib/kubelet`,
`/var/lib/docker`, `/var/lib/containerd`, `/etc/kubernetes`, `/var/log`.

Normalisation collapses repeated slashes, drops `.` segments and a trailing slash and resolves
`..` lexically, so `/etc/`, `//etc`, `/etc/./ssl` and `/opt/../etc` all count as `/etc`. "Under"
respects path segments: `/etc/ssl/certs` and `/proc/1/root` are sensitive, `/etcd-data` and
`/var/lib/kubelet-plugins` are not. The check is about the volume, whether or not it is mounted
read-only (see `writable-host-path-mount` for that). Container runtime sockets are reported by
`container-runtime-socket`.

## Why it matters
These directories hold the node's identity and control: `/etc` (users, sudoers, kubelet and
static pod configuration under `/etc/kubernetes`), `/root` (root's SSH keys), `/proc` and `/sys`
(kernel tunables and every process's memory and root file system), `/dev` (raw disks),
`/boot`, `/lib` and `/usr` (the binaries the node runs), `/var/lib/kubelet` (every pod's secrets
and service account tokens), the container runtimes' state directories (every image and
container file system) and `/var/log` (logs of all pods, plus a known symlink escape through
the kubelet's log endpoints). Read access leaks credentials; write access owns the node.

## How to fix
Do not mount these paths. Use the Kubernetes API, the downward API or a projected volume for what
the workload needs to know; monitoring agents that must read `/proc` or `/sys` should mount the
narrowest subdirectory read-only under a documented exception.

## Differences from other tools
kube-linter's `sensitive-host-mounts` and similar checks compare the path string exactly with a
list, so `/etc/`, `/etc/kubernetes/pki` or `/proc/1` slip through; kubecomply normalises the
path and also matches subdirectories.
"#;

fn check(_cx: &Context<'_>, obj: &Object, out: &mut Violations) {
    for t in obj.templates() {
        for v in host_path_volumes(&t) {
            let (Some(raw), Some(path)) = (v.path, v.normalized()) else {
                continue;
            };
            let matched = if path == "/" {
                Some("/")
            } else {
                SENSITIVE
                    .iter()
                    .filter(|d| is_at_or_under(&path, d))
                    .max_by_key(|d| d.len())
                    .copied()
            };
            let Some(dir) = matched else {
                continue;
            };
            let what = if path == "/" {
                "the node's root file system".to_string()
            } else if path == dir {
                format!("sensitive node directory {dir:?}")
            } else {
                format!("a path under sensitive node directory {dir:?}")
            };
            out.fail(
                v.path_pointer(&t),
                format!("volume {:?} mounts host path {:?}, {}", v.name, raw, what),
            );
        }
    }
}
