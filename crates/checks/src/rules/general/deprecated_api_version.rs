//! KC-GEN-002 deprecated-api-version.

use kubecomply_core::rule::reference;
use kubecomply_core::{Category, Object, RuleMeta, Severity};

use crate::rule::{Context, Rule, Target, Violations};

/// The rule.
pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "KC-GEN-002",
        slug: "deprecated-api-version",
        title: "Object uses an API version that Kubernetes has removed",
        severity: Severity::Medium,
        category: Category::Hygiene,
        since: "0.1.0",
        docs: DOCS,
        references: &[
            reference("trivy", "KSV-0107"),
            reference("kube-score", "stable-version"),
            reference("kube-linter", "no-extensions-v1beta"),
        ],
    },
    target: Target::Kinds(KINDS),
    reads: &[],
    check,
};

const DOCS: &str = r#"## What it checks
Fails when an object's `apiVersion`/`kind` pair is one that the Kubernetes API server no longer
serves, from the upstream deprecation guide: `extensions/v1beta1` and `apps/v1beta1`/`v1beta2`
workloads (removed in 1.16), `extensions/v1beta1` and `networking.k8s.io/v1beta1` Ingress
(1.22), `rbac.authorization.k8s.io/v1beta1` RBAC objects (1.22),
`admissionregistration.k8s.io/v1beta1` webhooks (1.22), `batch/v1beta1` CronJob (1.25),
`policy/v1beta1` PodDisruptionBudget and PodSecurityPolicy (1.25),
`autoscaling/v2beta1` (1.25) and `autoscaling/v2beta2` (1.26) HorizontalPodAutoscaler,
`flowcontrol.apiserver.k8s.io/v1beta1`/`v1beta2` (1.26/1.29), `storage.k8s.io/v1beta1`
CSIStorageCapacity (1.27).

## Why it matters
A removed API version cannot be applied to a current cluster, and the manifests that use it were
usually written before the security defaults of the newer version (for example PodSecurityPolicy
is gone entirely): the policy you think you have is not the one that runs.

## How to fix
Move to the stable version named in the message and review the fields that changed.
"#;

const KINDS: &[&str] = &[
    "Deployment",
    "DaemonSet",
    "ReplicaSet",
    "StatefulSet",
    "Ingress",
    "NetworkPolicy",
    "PodSecurityPolicy",
    "Role",
    "ClusterRole",
    "RoleBinding",
    "ClusterRoleBinding",
    "ValidatingWebhookConfiguration",
    "MutatingWebhookConfiguration",
    "CronJob",
    "PodDisruptionBudget",
    "HorizontalPodAutoscaler",
    "FlowSchema",
    "PriorityLevelConfiguration",
    "CSIStorageCapacity",
    "CustomResourceDefinition",
];

/// (apiVersion, kind or "*", removed in, replacement)
const REMOVED: &[(&str, &str, &str, &str)] = &[
    ("extensions/v1beta1", "Deployment", "1.16", "apps/v1"),
    ("extensions/v1beta1", "DaemonSet", "1.16", "apps/v1"),
    ("extensions/v1beta1", "ReplicaSet", "1.16", "apps/v1"),
    (
        "extensions/v1beta1",
        "NetworkPolicy",
        "1.16",
        "networking.k8s.io/v1",
    ),
    (
        "extensions/v1beta1",
        "PodSecurityPolicy",
        "1.16",
        "Pod Security admission",
    ),
    (
        "extensions/v1beta1",
        "Ingress",
        "1.22",
        "networking.k8s.io/v1",
    ),
    ("apps/v1beta1", "*", "1.16", "apps/v1"),
    ("apps/v1beta2", "*", "1.16", "apps/v1"),
    (
        "networking.k8s.io/v1beta1",
        "Ingress",
        "1.22",
        "networking.k8s.io/v1",
    ),
    (
        "rbac.authorization.k8s.io/v1beta1",
        "*",
        "1.22",
        "rbac.authorization.k8s.io/v1",
    ),
    (
        "rbac.authorization.k8s.io/v1alpha1",
        "*",
        "1.22",
        "rbac.authorization.k8s.io/v1",
    ),
    (
        "admissionregistration.k8s.io/v1beta1",
        "*",
        "1.22",
        "admissionregistration.k8s.io/v1",
    ),
    (
        "apiextensions.k8s.io/v1beta1",
        "CustomResourceDefinition",
        "1.22",
        "apiextensions.k8s.io/v1",
    ),
    ("batch/v1beta1", "CronJob", "1.25", "batch/v1"),
    ("policy/v1beta1", "PodDisruptionBudget", "1.25", "policy/v1"),
    (
        "policy/v1beta1",
        "PodSecurityPolicy",
        "1.25",
        "Pod Security admission",
    ),
    (
        "autoscaling/v2beta1",
        "HorizontalPodAutoscaler",
        "1.25",
        "autoscaling/v2",
    ),
    (
        "autoscaling/v2beta2",
        "HorizontalPodAutoscaler",
        "1.26",
        "autoscaling/v2",
    ),
    (
        "flowcontrol.apiserver.k8s.io/v1beta1",
        "*",
        "1.26",
        "flowcontrol.apiserver.k8s.io/v1",
    ),
    (
        "flowcontrol.apiserver.k8s.io/v1beta2",
        "*",
        "1.29",
        "flowcontrol.apiserver.k8s.io/v1",
    ),
    (
        "storage.k8s.io/v1beta1",
        "CSIStorageCapacity",
        "1.27",
        "storage.k8s.io/v1",
    ),
];

fn check(_cx: &Context<'_>, obj: &Object, out: &mut Violations) {
    if let Some((_, _, removed, replacement)) = REMOVED
        .iter()
        .find(|(api, kind, ..)| *api == obj.api_version && (*kind == "*" || *kind == obj.kind))
    {
        out.fail(
            "/apiVersion",
            format!(
                "{} {} was removed in Kubernetes {removed}; use {replacement}",
                obj.api_version, obj.kind
            ),
        );
    }
}
