//! KC-HOST-008 container-runtime-socket.

use kubecomply_core::rule::reference;
use kubecomply_core::{Category, Object, RuleMeta, Severity};

use super::host_path_volumes;
use crate::rule::{Context, Rule, Target, Violations};

/// The rule.
pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "KC-HOST-008",
        slug: "container-runtime-socket",
        title: "Pod mounts the container runtime socket",
        severity: Severity::Critical,
        category: Category::HostAccess,
        since: "0.1.0",
        docs: DOCS,
        references: &[
            reference("checkov", "CKV_K8S_27"),
            reference("kubescape", "C-0074"),
            reference("trivy", "KSV-0006"),
            reference("kube-linter", "docker-sock"),
        ],
    },
    target: Target::PodTemplates,
    reads: &[],
    check,
};

/// Well-known runtime socket paths (`/var/run` is a symbolic link to `/run` on current
/// distributions, so both spellings are listed).
const SOCKETS: &[&str] = &[
    "/var/run/docker.sock",
    "/run/docker.sock",
    "/var/run/containerd/containerd.sock",
    "/run/containerd/containerd.sock",
    "/var/run/crio/crio.sock",
    "/run/crio/crio.sock",
    "/var/run/cri-dockerd.sock",
    "/run/cri-dockerd.sock",
    "/var/run/podman/podman.sock",
    "/run/podman/podman.sock",
];

/// Directories that contain a runtime socket: mounting one exposes the socket inside it.
const SOCKET_DIRS: &[&str] = &[
    "/var/run",
    "/run",
    "/var/run/docker",
    "/run/docker",
    "/var/run/containerd",
    "/run/containerd",
    "/var/run/crio",
    "/run/crio",
    "/var/run/podman",
    "/run/podman",
];

/// File names of runtime sockets, matched in any directory (k3s, MicroK8s, rootless setups).
const SOCKET_NAMES: &[&str] = &[
    "docker.sock",
    "containerd.sock",
    "crio.sock",
    "cri-dockerd.sock",
    "podman.sock",
];

const DOCS: &str = r#"## What it checks
Fails for every `hostPath` volume that points, after normalisation (repeated slashes, `.`, `..`
and a trailing slash removed), at a container runtime socket or at a directory that contains one:

- sockets: `/var/run/docker.sock`, `/run/docker.sock`, `/var/run/containerd/containerd.sock`,
  `/run/containerd/containerd.sock`, `/var/run/crio/crio.sock`, `/run/crio/crio.sock`,
  `/var/run/cri-dockerd.sock`, `/run/cri-dockerd.sock`, `/var/run/podman/podman.sock`,
  `/run/podman/podman.sock`, and any path whose last segment is `docker.sock`,
  `containerd.sock`, `crio.sock`, `cri-dockerd.sock` or `podman.sock` (for example k3s's
  `/run/k3s/containerd/containerd.sock`);
- directories: `/var/run`, `/run`, `/var/run/docker`, `/run/docker`, `/var/run/containerd`,
  `/run/containerd`, `/var/run/crio`, `/run/crio`, `/var/run/podman`, `/run/podman`, because
  mounting the directory exposes the socket inside it.

`/var/run` is a symbolic link to `/run` on current distributions, so both spellings are
listed. A `readOnly: true` mount does not help: connecting to a Unix socket is not a write to the
file system.

## Why it matters
Whoever can talk to the runtime socket can start a privileged container with the node's root
file system mounted, exec into any container of the node, or read every image and secret the
runtime holds: it is root on the node, bypassing admission control and audit logging.

## How to fix
Do not mount the runtime socket. Build images with a daemonless builder (BuildKit rootless,
Kaniko, Buildah) and query container metadata through the Kubernetes API or the kubelet's
authenticated endpoints. Node agents that must talk to the runtime (monitoring, image scanners)
need a documented exception and a dedicated namespace.

## Differences from other tools
Checkov's CKV_K8S_27 compares the path with the single string `/var/run/docker.sock` exactly, so
it misses containerd and CRI-O (the runtimes of every current Kubernetes distribution),
`/run/docker.sock`, a trailing slash and mounts of the socket's directory.
"#;

fn check(_cx: &Context<'_>, obj: &Object, out: &mut Violations) {
    for t in obj.templates() {
        for v in host_path_volumes(&t) {
            let (Some(raw), Some(path)) = (v.path, v.normalized()) else {
                continue;
            };
            let file = path.rsplit('/').next().unwrap_or("");
            let what = if SOCKETS.contains(&path.as_str()) || SOCKET_NAMES.contains(&file) {
                "a container runtime socket"
            } else if SOCKET_DIRS.contains(&path.as_str()) {
                "a directory holding a container runtime socket"
            } else {
                continue;
            };
            out.fail(
                v.path_pointer(&t),
                format!("volume {:?} mounts host path {:?}, {}", v.name, raw, what),
            );
        }
    }
}
