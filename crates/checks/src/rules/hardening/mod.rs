//! Container hardening: process identity, capabilities, seccomp, AppArmor and SELinux.

use kubecomply_core::value::Field;

use kubecomply_core::Object;
use kubecomply_core::Value;
use kubecomply_core::pod::{Container, PodTemplate};
use kubecomply_core::pointer;

use crate::rule::Rule;
use crate::util::normalize_capability;

pub mod apparmor_unconfined;
pub mod capabilities_added;
pub mod capabilities_not_dropped;
pub mod container_security_context_missing;
pub mod dangerous_capabilities;
pub mod low_user_id;
pub mod net_raw_not_dropped;
pub mod pod_security_context_missing;
pub mod privilege_escalation_allowed;
pub mod root_group;
pub mod run_as_root_allowed;
pub mod run_as_uid_zero;
pub mod seccomp_profile_missing;
pub mod seccomp_unconfined;
pub mod selinux_custom_options;
pub mod writable_root_filesystem;

/// The rules of this area, in code order.
pub static RULES: &[&Rule] = &[
    &privilege_escalation_allowed::RULE,
    &run_as_root_allowed::RULE,
    &run_as_uid_zero::RULE,
    &low_user_id::RULE,
    &root_group::RULE,
    &writable_root_filesystem::RULE,
    &capabilities_added::RULE,
    &dangerous_capabilities::RULE,
    &capabilities_not_dropped::RULE,
    &net_raw_not_dropped::RULE,
    &seccomp_profile_missing::RULE,
    &seccomp_unconfined::RULE,
    &apparmor_unconfined::RULE,
    &selinux_custom_options::RULE,
    &pod_security_context_missing::RULE,
    &container_security_context_missing::RULE,
];

/// Whether the pod declares itself a Windows pod (`spec.os.name: windows`). Linux-only fields
/// (capabilities, seccomp, `readOnlyRootFilesystem`, `allowPrivilegeEscalation`, `runAsUser`...)
/// are forbidden there, so rules about them skip such pods.
pub(crate) fn is_windows(t: &PodTemplate<'_>) -> bool {
    t.spec
        .field("os")
        .and_then(|o| o.field("name"))
        .and_then(Value::as_str)
        == Some("windows")
}

/// A field of the container's own `securityContext`, if present and not null.
pub(crate) fn sc_field<'a>(c: &Container<'a>, field: &str) -> Option<&'a Value> {
    c.value
        .field("securityContext")
        .and_then(|s| s.field(field))
        .filter(|v| !v.is_null())
}

/// The pointer of a missing field under the container (`tokens`), shortened to its nearest
/// existing parent.
pub(crate) fn missing(
    obj: &Object,
    t: &PodTemplate<'_>,
    c: &Container<'_>,
    tokens: &[&str],
) -> String {
    let full = t.container_path(c, tokens);
    pointer::nearest_existing(&obj.value, &full).to_string()
}

/// The effective integer value of a pod/container security-context field (`runAsUser`,
/// `runAsGroup`): the container's wins, else the pod's. Values that are not integers count as
/// unset.
pub(crate) fn effective_i64(
    t: &PodTemplate<'_>,
    c: &Container<'_>,
    field: &str,
) -> Option<(i64, String)> {
    let (v, p) = t.effective(c, field)?;
    v.as_i64().map(|n| (n, p))
}

/// The effective boolean value of a pod/container security-context field (`runAsNonRoot`).
pub(crate) fn effective_bool(
    t: &PodTemplate<'_>,
    c: &Container<'_>,
    field: &str,
) -> Option<(bool, String)> {
    let (v, p) = t.effective(c, field)?;
    v.as_bool().map(|b| (b, p))
}

/// The legacy seccomp annotation that sets the pod's default profile.
pub(crate) const SECCOMP_POD_ANNOTATION: &str = "seccomp.security.alpha.kubernetes.io/pod";
/// Prefix of the legacy per-container seccomp annotation (`<prefix><container name>`).
pub(crate) const SECCOMP_CONTAINER_ANNOTATION_PREFIX: &str =
    "container.seccomp.security.alpha.kubernetes.io/";

/// Where a seccomp profile comes from.
pub(crate) struct Seccomp {
    /// The profile type in field spelling: `RuntimeDefault`, `Localhost`, `Unconfined` (or
    /// whatever a field says; empty when the field has no string `type`).
    pub kind: String,
    /// Pointer of the `type` field or the annotation (or the `seccompProfile` mapping when it has
    /// no `type`).
    pub pointer: String,
    /// `true` when it comes from a legacy annotation.
    pub annotation: bool,
}

/// The field type a legacy seccomp annotation value stands for, as the API server converts it
/// when the field is unset; `None` for values it ignores.
fn annotation_type(value: &str) -> Option<&'static str> {
    match value {
        "unconfined" => Some("Unconfined"),
        "runtime/default" | "docker/default" => Some("RuntimeDefault"),
        v if v.starts_with("localhost/") => Some("Localhost"),
        _ => None,
    }
}

fn from_field(profile: &Value, base: String) -> Seccomp {
    match profile.field("type").and_then(Value::as_str) {
        Some(k) => Seccomp {
            kind: k.to_string(),
            pointer: pointer::join(&base, &["type"]),
            annotation: false,
        },
        None => Seccomp {
            kind: String::new(),
            pointer: base,
            annotation: false,
        },
    }
}

fn from_annotation(t: &PodTemplate<'_>, key: &str) -> Option<Seccomp> {
    let kind = annotation_type(t.annotation(key)?)?;
    Some(Seccomp {
        kind: kind.to_string(),
        pointer: pointer::join(&t.meta_pointer(), &["annotations", key]),
        annotation: true,
    })
}

/// The seccomp profile a container sets itself: its `securityContext.seccompProfile`, else
/// (when that field is unset) its legacy `container.seccomp.security.alpha.kubernetes.io/<name>`
/// annotation.
pub(crate) fn container_seccomp(t: &PodTemplate<'_>, c: &Container<'_>) -> Option<Seccomp> {
    match sc_field(c, "seccompProfile") {
        Some(p) => Some(from_field(
            p,
            t.container_path(c, &["securityContext", "seccompProfile"]),
        )),
        None => from_annotation(
            t,
            &format!("{SECCOMP_CONTAINER_ANNOTATION_PREFIX}{}", c.name),
        ),
    }
}

/// The pod's default seccomp profile: `spec.securityContext.seccompProfile`, else (when that is
/// unset) the legacy `seccomp.security.alpha.kubernetes.io/pod` annotation.
pub(crate) fn pod_seccomp(t: &PodTemplate<'_>) -> Option<Seccomp> {
    match t
        .pod_security_context()
        .and_then(|s| s.field("seccompProfile"))
        .filter(|v| !v.is_null())
    {
        Some(p) => Some(from_field(
            p,
            t.spec_path(&["securityContext", "seccompProfile"]),
        )),
        None => from_annotation(t, SECCOMP_POD_ANNOTATION),
    }
}

/// The effective seccomp profile of a container: its own, else the pod's.
pub(crate) fn effective_seccomp(t: &PodTemplate<'_>, c: &Container<'_>) -> Option<Seccomp> {
    container_seccomp(t, c).or_else(|| pod_seccomp(t))
}

/// The entries of `securityContext.capabilities.<list>` of a container: index, the name as
/// written and the normalised name (upper case, without `CAP_`).
pub(crate) fn capability_entries<'a>(
    c: &Container<'a>,
    list: &str,
) -> Vec<(usize, &'a str, String)> {
    c.value
        .field("securityContext")
        .and_then(|s| s.field("capabilities"))
        .and_then(|caps| caps.field(list))
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .enumerate()
                .filter_map(|(i, v)| v.as_str().map(|s| (i, s, normalize_capability(s))))
                .collect()
        })
        .unwrap_or_default()
}
