//! KC-NS-001 default-namespace.

use kubecomply_core::rule::reference;
use kubecomply_core::value::str_at;
use kubecomply_core::{Category, Object, RuleMeta, Severity};

use crate::rule::{Context, Rule, Target, Violations};

/// The rule.
pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "KC-NS-001",
        slug: "default-namespace",
        title: "Object is placed in the default namespace",
        severity: Severity::Low,
        category: Category::Namespaces,
        since: "0.1.0",
        docs: DOCS,
        references: &[
            reference("checkov", "CKV_K8S_21"),
            reference("kubescape", "C-0061"),
            reference("trivy", "KSV-0110"),
            reference("cis", "5.6.4"),
        ],
    },
    target: Target::All,
    reads: &[],
    check,
};

/// Kinds that are not namespaced (built-in ones; a namespace written on them is ignored).
const CLUSTER_SCOPED: &[&str] = &[
    "Namespace",
    "Node",
    "ClusterRole",
    "ClusterRoleBinding",
    "PersistentVolume",
    "StorageClass",
    "VolumeAttachment",
    "VolumeAttributesClass",
    "CSIDriver",
    "CSINode",
    "CustomResourceDefinition",
    "APIService",
    "PriorityClass",
    "RuntimeClass",
    "IngressClass",
    "ValidatingWebhookConfiguration",
    "MutatingWebhookConfiguration",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding",
    "MutatingAdmissionPolicy",
    "MutatingAdmissionPolicyBinding",
    "CertificateSigningRequest",
    "ClusterTrustBundle",
    "FlowSchema",
    "PriorityLevelConfiguration",
    "PodSecurityPolicy",
    "ComponentStatus",
    "IPAddress",
    "ServiceCIDR",
    "DeviceClass",
    "ResourceSlice",
    "StorageVersionMigration",
];

const DOCS: &str = r#"## What it checks
Fails for a namespaced object whose `metadata.namespace` is exactly `default`. Objects without
`metadata.namespace` pass: Helm, Kustomize and `kubectl apply -n <namespace>` set the namespace
at deployment time, and it is that command, not the manifest, that decides where they land.
Built-in cluster-scoped kinds (Namespace, Node, ClusterRole, ClusterRoleBinding,
PersistentVolume, StorageClass, CustomResourceDefinition, PriorityClass, the webhook and
admission policy configurations, APIService, IngressClass, RuntimeClass, CSIDriver and the
like) pass whatever they say. The objects Kubernetes itself keeps in `default` pass too: the
ServiceAccount `default` and the `kubernetes` Service, Endpoints and EndpointSlice.

## Why it matters
`default` is where everything lands by accident, so it mixes unrelated applications under the
same RBAC bindings, NetworkPolicies, quotas and Pod Security level, and it usually has none of
them. Workloads there are hard to attribute and to isolate.

## How to fix
Create a namespace per application or team and set it in the manifests or in the deployment
tool (`namespace:` in `kustomization.yaml`, `helm install -n`).

## Differences from other tools
Checkov's CKV_K8S_21 also fails objects without a namespace (unless `HELM_NAMESPACE` names
another one), which flags every chart and Kustomize base even though the namespace is chosen at
apply time. kubecomply only reports an explicit `default`.
"#;

fn check(_cx: &Context<'_>, obj: &Object, out: &mut Violations) {
    if CLUSTER_SCOPED.contains(&obj.kind.as_str()) {
        return;
    }
    if str_at(&obj.value, &["metadata", "namespace"]) != Some("default") {
        return;
    }
    let built_in = matches!(
        (obj.kind.as_str(), obj.name.as_str()),
        ("ServiceAccount", "default")
            | ("Service", "kubernetes")
            | ("Endpoints", "kubernetes")
            | ("EndpointSlice", "kubernetes")
    );
    if built_in {
        return;
    }
    out.fail(
        "/metadata/namespace",
        format!(
            "{} {:?} is placed in the default namespace",
            obj.kind, obj.name
        ),
    );
}
