//! Host access: privileged mode, host namespaces, host paths and ports.

use kubecomply_core::value::Field;

use kubecomply_core::Value;
use kubecomply_core::pod::PodTemplate;

use crate::rule::Rule;
use crate::util::{normalize_host_path, volumes};

pub mod container_runtime_socket;
pub mod host_ipc;
pub mod host_network;
pub mod host_path_volume;
pub mod host_pid;
pub mod host_port;
pub mod privileged_container;
pub mod proc_mount_unmasked;
pub mod sensitive_host_path;
pub mod unsafe_sysctls;
pub mod windows_host_process;
pub mod writable_host_path_mount;

/// The rules of this area, in code order.
pub static RULES: &[&Rule] = &[
    &privileged_container::RULE,
    &host_network::RULE,
    &host_pid::RULE,
    &host_ipc::RULE,
    &host_path_volume::RULE,
    &writable_host_path_mount::RULE,
    &sensitive_host_path::RULE,
    &container_runtime_socket::RULE,
    &host_port::RULE,
    &windows_host_process::RULE,
    &proc_mount_unmasked::RULE,
    &unsafe_sysctls::RULE,
];

/// A `hostPath` volume of a pod template.
pub(crate) struct HostPathVolume<'a> {
    /// Index in `spec.volumes`.
    pub index: usize,
    /// The volume `name` (empty when missing).
    pub name: &'a str,
    /// `hostPath.path` as written, if it is a string.
    pub path: Option<&'a str>,
}

impl HostPathVolume<'_> {
    /// The path normalised for comparison (see [`normalize_host_path`]).
    pub fn normalized(&self) -> Option<String> {
        self.path.map(normalize_host_path)
    }

    /// Pointer of the `hostPath` mapping.
    pub fn pointer(&self, t: &PodTemplate<'_>) -> String {
        t.spec_path(&["volumes", &self.index.to_string(), "hostPath"])
    }

    /// Pointer of `hostPath.path`, or of `hostPath` when the path is missing.
    pub fn path_pointer(&self, t: &PodTemplate<'_>) -> String {
        match self.path {
            Some(_) => t.spec_path(&["volumes", &self.index.to_string(), "hostPath", "path"]),
            None => self.pointer(t),
        }
    }
}

/// The volumes of `t` whose `hostPath` is a mapping.
pub(crate) fn host_path_volumes<'a>(t: &PodTemplate<'a>) -> Vec<HostPathVolume<'a>> {
    volumes(t)
        .filter_map(|(index, v)| {
            let hp = v.field("hostPath").filter(|h| h.is_object())?;
            Some(HostPathVolume {
                index,
                name: v.field("name").and_then(Value::as_str).unwrap_or(""),
                path: hp.field("path").and_then(Value::as_str),
            })
        })
        .collect()
}

/// Whether `path` (normalised) is `dir` or lies under it.
pub(crate) fn is_at_or_under(path: &str, dir: &str) -> bool {
    if dir == "/" {
        return true;
    }
    match path.strip_prefix(dir) {
        Some(rest) => rest.is_empty() || rest.starts_with('/'),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::is_at_or_under;

    #[test]
    fn prefixes_respect_segment_boundaries() {
        assert!(is_at_or_under("/etc", "/etc"));
        assert!(is_at_or_under("/etc/ssl", "/etc"));
        assert!(!is_at_or_under("/etcd", "/etc"));
        assert!(!is_at_or_under(
            "/var/lib/kubelet-plugins",
            "/var/lib/kubelet"
        ));
    }
}
