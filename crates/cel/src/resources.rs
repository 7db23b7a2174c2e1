//! Kinds → resources and scopes, and the `request` variable of an offline CREATE.

use kubecomply_core::{Value, json};

/// Built-in kinds whose plural is not the lowercase kind plus `s`, or that are cluster-scoped:
/// (kind, resource, cluster-scoped).
const KINDS: &[(&str, &str, bool)] = &[
    ("APIService", "apiservices", true),
    (
        "CertificateSigningRequest",
        "certificatesigningrequests",
        true,
    ),
    ("ClusterRole", "clusterroles", true),
    ("ClusterRoleBinding", "clusterrolebindings", true),
    ("ComponentStatus", "componentstatuses", true),
    ("CSIDriver", "csidrivers", true),
    ("CSINode", "csinodes", true),
    (
        "CustomResourceDefinition",
        "customresourcedefinitions",
        true,
    ),
    ("Endpoints", "endpoints", false),
    ("EndpointSlice", "endpointslices", false),
    ("FlowSchema", "flowschemas", true),
    ("Ingress", "ingresses", false),
    ("IngressClass", "ingressclasses", true),
    ("MutatingAdmissionPolicy", "mutatingadmissionpolicies", true),
    (
        "MutatingAdmissionPolicyBinding",
        "mutatingadmissionpolicybindings",
        true,
    ),
    (
        "MutatingWebhookConfiguration",
        "mutatingwebhookconfigurations",
        true,
    ),
    ("Namespace", "namespaces", true),
    ("NetworkPolicy", "networkpolicies", false),
    ("Node", "nodes", true),
    ("PersistentVolume", "persistentvolumes", true),
    ("PodSecurityPolicy", "podsecuritypolicies", true),
    ("PriorityClass", "priorityclasses", true),
    (
        "PriorityLevelConfiguration",
        "prioritylevelconfigurations",
        true,
    ),
    ("RuntimeClass", "runtimeclasses", true),
    ("StorageClass", "storageclasses", true),
    (
        "ValidatingAdmissionPolicy",
        "validatingadmissionpolicies",
        true,
    ),
    (
        "ValidatingAdmissionPolicyBinding",
        "validatingadmissionpolicybindings",
        true,
    ),
    (
        "ValidatingWebhookConfiguration",
        "validatingwebhookconfigurations",
        true,
    ),
    ("VolumeAttachment", "volumeattachments", true),
    ("VolumeAttributesClass", "volumeattributesclasses", true),
    ("IPAddress", "ipaddresses", true),
    ("ServiceCIDR", "servicecidrs", true),
    ("DeviceClass", "deviceclasses", true),
    ("ResourceSlice", "resourceslices", true),
    ("ConstraintTemplate", "constrainttemplates", true),
];

/// The plural resource name of a kind: the table of built-in kinds, else the lowercase kind
/// with `y` → `ies` (after a consonant), `s`/`x`/`ch`/`sh` → `+es`, otherwise `+s`.
pub(crate) fn resource_of(kind: &str) -> String {
    if let Some((_, r, _)) = KINDS.iter().find(|(k, _, _)| *k == kind) {
        return (*r).to_string();
    }
    let lower = kind.to_ascii_lowercase();
    if let Some(stem) = lower.strip_suffix('y')
        && !stem.ends_with(['a', 'e', 'i', 'o', 'u'])
    {
        return format!("{stem}ies");
    }
    if lower.ends_with('s')
        || lower.ends_with('x')
        || lower.ends_with("ch")
        || lower.ends_with("sh")
    {
        return format!("{lower}es");
    }
    format!("{lower}s")
}

/// Whether objects of a kind are cluster-scoped: the table, then any object without a
/// namespace whose kind is not known to be namespaced is treated as cluster-scoped when its
/// group is a Gatekeeper constraint group (`constraints.gatekeeper.sh`).
pub(crate) fn cluster_scoped(kind: &str, group: &str) -> bool {
    KINDS.iter().any(|(k, _, cluster)| *k == kind && *cluster)
        || group == "constraints.gatekeeper.sh"
}

/// Group and version of an `apiVersion`.
pub(crate) fn group_version(api_version: &str) -> (&str, &str) {
    match api_version.split_once('/') {
        Some((g, v)) => (g, v),
        None => ("", api_version),
    }
}

/// The `request` variable for creating `object` (kind/resource/name/namespace filled in,
/// an unnamed user with no groups, not a dry run).
pub(crate) fn create_request(object: &Value, namespace: Option<&str>) -> Value {
    let api_version = object
        .get("apiVersion")
        .and_then(Value::as_str)
        .unwrap_or("");
    let kind = object.get("kind").and_then(Value::as_str).unwrap_or("");
    let (group, version) = group_version(api_version);
    let meta = object.get("metadata");
    let name = meta
        .and_then(|m| m.get("name"))
        .and_then(Value::as_str)
        .unwrap_or("");
    let gvk = json!({"group": group, "version": version, "kind": kind});
    let gvr = json!({"group": group, "version": version, "resource": resource_of(kind)});
    json!({
        "uid": "",
        "kind": gvk,
        "resource": gvr,
        "subResource": "",
        "requestKind": gvk,
        "requestResource": gvr,
        "requestSubResource": "",
        "name": name,
        "namespace": namespace.unwrap_or(""),
        "operation": "CREATE",
        "userInfo": {"username": "", "uid": "", "groups": []},
        "dryRun": false,
        "options": {"apiVersion": "meta.k8s.io/v1", "kind": "CreateOptions"},
    })
}

/// A Namespace object for a namespace absent from the input: its name and the implicit
/// `kubernetes.io/metadata.name` label only.
pub(crate) fn implicit_namespace(name: &str) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": name, "labels": {"kubernetes.io/metadata.name": name}},
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plurals() {
        assert_eq!(resource_of("Deployment"), "deployments");
        assert_eq!(resource_of("NetworkPolicy"), "networkpolicies");
        assert_eq!(resource_of("Ingress"), "ingresses");
        assert_eq!(resource_of("Endpoints"), "endpoints");
        assert_eq!(resource_of("Gateway"), "gateways");
        assert_eq!(resource_of("Policy"), "policies");
        assert_eq!(resource_of("Mailbox"), "mailboxes");
    }
}
