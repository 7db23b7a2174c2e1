//! The default ClusterRoles and ClusterRoleBindings the API server creates at start-up
//! (upstream `plugin/pkg/auth/authorizer/rbac/bootstrappolicy/policy.go`), summarised to the
//! roles whose grants matter for analysis. Input objects of the same name take precedence.

use std::collections::BTreeMap;

use crate::model::{Binding, BindingKind, PolicyRule, Role, RoleKind, Subject};
use crate::selector::Selector;

const READ: &[&str] = &["get", "list", "watch"];
const READ_WRITE: &[&str] = &[
    "get",
    "list",
    "watch",
    "create",
    "update",
    "patch",
    "delete",
    "deletecollection",
];
const AGG_ADMIN: &str = "rbac.authorization.k8s.io/aggregate-to-admin";
const AGG_EDIT: &str = "rbac.authorization.k8s.io/aggregate-to-edit";
const AGG_VIEW: &str = "rbac.authorization.k8s.io/aggregate-to-view";

fn v(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

fn rule(verbs: &[&str], groups: &[&str], resources: &[&str]) -> PolicyRule {
    PolicyRule {
        verbs: v(verbs),
        api_groups: v(groups),
        resources: v(resources),
        ..PolicyRule::default()
    }
}

fn urls(verbs: &[&str], urls: &[&str]) -> PolicyRule {
    PolicyRule {
        verbs: v(verbs),
        non_resource_urls: v(urls),
        ..PolicyRule::default()
    }
}

fn role(name: &str, labels: &[(&str, &str)], rules: Vec<PolicyRule>) -> Role {
    Role {
        kind: RoleKind::ClusterRole,
        name: name.to_string(),
        namespace: String::new(),
        rules,
        labels: labels
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .chain([(
                "kubernetes.io/bootstrapping".to_string(),
                "rbac-defaults".to_string(),
            )])
            .collect::<BTreeMap<_, _>>(),
        aggregation: None,
        object: None,
    }
}

fn aggregated(name: &str, labels: &[(&str, &str)], selects: &str) -> Role {
    let mut r = role(name, labels, Vec::new());
    r.aggregation = Some(vec![Selector::label(selects, "true")]);
    r
}

/// The bootstrap ClusterRoles.
pub fn cluster_roles() -> Vec<Role> {
    vec![
        role(
            "cluster-admin",
            &[],
            vec![rule(&["*"], &["*"], &["*"]), urls(&["*"], &["*"])],
        ),
        // admin, edit and view are aggregated: their rules are those of the
        // system:aggregate-to-* roles below plus any input ClusterRole with the label.
        aggregated("admin", &[], AGG_ADMIN),
        aggregated("edit", &[(AGG_ADMIN, "true")], AGG_EDIT),
        aggregated("view", &[(AGG_EDIT, "true")], AGG_VIEW),
        role(
            "system:aggregate-to-admin",
            &[(AGG_ADMIN, "true")],
            vec![
                rule(
                    &["create"],
                    &["authorization.k8s.io"],
                    &["localsubjectaccessreviews"],
                ),
                rule(
                    READ_WRITE,
                    &["rbac.authorization.k8s.io"],
                    &["rolebindings", "roles"],
                ),
            ],
        ),
        role(
            "system:aggregate-to-edit",
            &[(AGG_EDIT, "true")],
            vec![
                rule(
                    READ_WRITE,
                    &[""],
                    &[
                        "pods",
                        "pods/attach",
                        "pods/proxy",
                        "pods/exec",
                        "pods/portforward",
                    ],
                ),
                rule(&["create"], &[""], &["pods/eviction"]),
                rule(
                    READ_WRITE,
                    &[""],
                    &[
                        "replicationcontrollers",
                        "replicationcontrollers/scale",
                        "serviceaccounts",
                        "services",
                        "services/proxy",
                        "persistentvolumeclaims",
                        "configmaps",
                        "secrets",
                    ],
                ),
                rule(&["create"], &[""], &["serviceaccounts/token"]),
                rule(&["impersonate"], &[""], &["serviceaccounts"]),
                rule(
                    READ_WRITE,
                    &["apps"],
                    &[
                        "statefulsets",
                        "statefulsets/scale",
                        "daemonsets",
                        "deployments",
                        "deployments/scale",
                        "deployments/rollback",
                        "replicasets",
                        "replicasets/scale",
                    ],
                ),
                rule(READ_WRITE, &["autoscaling"], &["horizontalpodautoscalers"]),
                rule(READ_WRITE, &["batch"], &["jobs", "cronjobs"]),
                rule(READ_WRITE, &["policy"], &["poddisruptionbudgets"]),
                rule(
                    READ_WRITE,
                    &["networking.k8s.io"],
                    &["networkpolicies", "ingresses"],
                ),
                rule(READ_WRITE, &["coordination.k8s.io"], &["leases"]),
            ],
        ),
        role(
            "system:aggregate-to-view",
            &[(AGG_VIEW, "true")],
            vec![
                rule(
                    READ,
                    &[""],
                    &[
                        "pods",
                        "replicationcontrollers",
                        "replicationcontrollers/scale",
                        "serviceaccounts",
                        "services",
                        "services/status",
                        "endpoints",
                        "persistentvolumeclaims",
                        "persistentvolumeclaims/status",
                        "configmaps",
                    ],
                ),
                rule(
                    READ,
                    &[""],
                    &[
                        "bindings",
                        "events",
                        "limitranges",
                        "namespaces/status",
                        "pods/log",
                        "pods/status",
                        "replicationcontrollers/status",
                        "resourcequotas",
                        "resourcequotas/status",
                    ],
                ),
                rule(READ, &[""], &["namespaces"]),
                rule(READ, &["discovery.k8s.io"], &["endpointslices"]),
                rule(
                    READ,
                    &["apps"],
                    &[
                        "controllerrevisions",
                        "statefulsets",
                        "statefulsets/status",
                        "statefulsets/scale",
                        "daemonsets",
                        "daemonsets/status",
                        "deployments",
                        "deployments/status",
                        "deployments/scale",
                        "replicasets",
                        "replicasets/status",
                        "replicasets/scale",
                    ],
                ),
                rule(
                    READ,
                    &["autoscaling"],
                    &[
                        "horizontalpodautoscalers",
                        "horizontalpodautoscalers/status",
                    ],
                ),
                rule(
                    READ,
                    &["batch"],
                    &["cronjobs", "cronjobs/status", "jobs", "jobs/status"],
                ),
                rule(
                    READ,
                    &["policy"],
                    &["poddisruptionbudgets", "poddisruptionbudgets/status"],
                ),
                rule(
                    READ,
                    &["networking.k8s.io"],
                    &["ingresses", "ingresses/status", "networkpolicies"],
                ),
            ],
        ),
        role(
            "system:discovery",
            &[],
            vec![urls(
                &["get"],
                &[
                    "/api",
                    "/api/*",
                    "/apis",
                    "/apis/*",
                    "/healthz",
                    "/livez",
                    "/openapi",
                    "/openapi/*",
                    "/readyz",
                    "/version",
                    "/version/",
                ],
            )],
        ),
        role(
            "system:public-info-viewer",
            &[],
            vec![urls(
                &["get"],
                &["/healthz", "/livez", "/readyz", "/version", "/version/"],
            )],
        ),
        role(
            "system:basic-user",
            &[],
            vec![
                rule(
                    &["create"],
                    &["authorization.k8s.io"],
                    &["selfsubjectaccessreviews", "selfsubjectrulesreviews"],
                ),
                rule(
                    &["create"],
                    &["authentication.k8s.io"],
                    &["selfsubjectreviews"],
                ),
            ],
        ),
        role(
            "system:monitoring",
            &[],
            vec![urls(
                &["get"],
                &[
                    "/healthz",
                    "/healthz/*",
                    "/livez",
                    "/livez/*",
                    "/metrics",
                    "/metrics/slis",
                    "/readyz",
                    "/readyz/*",
                ],
            )],
        ),
        role(
            "system:auth-delegator",
            &[],
            vec![
                rule(&["create"], &["authentication.k8s.io"], &["tokenreviews"]),
                rule(
                    &["create"],
                    &["authorization.k8s.io"],
                    &["subjectaccessreviews"],
                ),
            ],
        ),
        role(
            "system:node-proxier",
            &[],
            vec![
                rule(&["list", "watch"], &[""], &["services", "endpoints"]),
                rule(&["get", "list", "watch"], &[""], &["nodes"]),
                rule(
                    &["create", "patch", "update"],
                    &["", "events.k8s.io"],
                    &["events"],
                ),
                rule(
                    &["list", "watch"],
                    &["discovery.k8s.io"],
                    &["endpointslices"],
                ),
            ],
        ),
        role(
            "system:kube-dns",
            &[],
            vec![rule(&["list", "watch"], &[""], &["endpoints", "services"])],
        ),
        role(
            "system:node",
            &[],
            vec![
                rule(
                    &["get", "list", "watch"],
                    &[""],
                    &["pods", "services", "nodes"],
                ),
                rule(
                    &["get"],
                    &[""],
                    &[
                        "secrets",
                        "configmaps",
                        "persistentvolumeclaims",
                        "persistentvolumes",
                    ],
                ),
                rule(&["create", "delete"], &[""], &["pods"]),
                rule(
                    &["update", "patch"],
                    &[""],
                    &["pods/status", "nodes/status"],
                ),
                rule(&["create"], &[""], &["serviceaccounts/token"]),
            ],
        ),
        role(
            "system:kube-scheduler",
            &[],
            vec![
                rule(
                    &["create", "patch", "update"],
                    &["", "events.k8s.io"],
                    &["events"],
                ),
                rule(&["create"], &["coordination.k8s.io"], &["leases"]),
                rule(&["get", "update"], &["coordination.k8s.io"], &["leases"]),
                rule(
                    &["get", "list", "watch"],
                    &[""],
                    &["nodes", "pods", "namespaces"],
                ),
                rule(&["delete"], &[""], &["pods"]),
                rule(&["create"], &[""], &["pods/binding", "bindings"]),
                rule(&["patch", "update"], &[""], &["pods/status"]),
            ],
        ),
        role(
            "system:kube-controller-manager",
            &[],
            vec![
                rule(
                    &["create", "patch", "update"],
                    &["", "events.k8s.io"],
                    &["events"],
                ),
                rule(&["create"], &["coordination.k8s.io"], &["leases"]),
                rule(&["get", "update"], &["coordination.k8s.io"], &["leases"]),
                rule(&["create"], &[""], &["secrets", "serviceaccounts"]),
                rule(&["delete"], &[""], &["secrets"]),
                rule(
                    &["get"],
                    &[""],
                    &["namespaces", "secrets", "serviceaccounts"],
                ),
                rule(&["update"], &[""], &["secrets", "serviceaccounts"]),
                rule(&["create"], &[""], &["serviceaccounts/token"]),
                rule(&["list", "watch"], &["*"], &["*"]),
            ],
        ),
    ]
}

fn crb(name: &str, subjects: Vec<Subject>) -> Binding {
    Binding {
        kind: BindingKind::ClusterRoleBinding,
        name: name.to_string(),
        namespace: String::new(),
        role_ref_kind: "ClusterRole".to_string(),
        role_ref_name: name.to_string(),
        subjects: subjects.into_iter().map(Some).collect(),
        role: None,
        object: None,
    }
}

/// The bootstrap ClusterRoleBindings (each binds the ClusterRole of the same name).
pub fn cluster_role_bindings() -> Vec<Binding> {
    vec![
        crb("cluster-admin", vec![Subject::group("system:masters")]),
        // Since Kubernetes 1.14 discovery and basic-user are for authenticated users only.
        crb(
            "system:discovery",
            vec![Subject::group("system:authenticated")],
        ),
        crb(
            "system:basic-user",
            vec![Subject::group("system:authenticated")],
        ),
        crb(
            "system:public-info-viewer",
            vec![
                Subject::group("system:authenticated"),
                Subject::group("system:unauthenticated"),
            ],
        ),
        crb(
            "system:monitoring",
            vec![Subject::group("system:monitoring")],
        ),
        crb(
            "system:node-proxier",
            vec![Subject::user("system:kube-proxy")],
        ),
        crb(
            "system:kube-dns",
            vec![Subject::service_account("kube-system", "kube-dns")],
        ),
        // The Node authorizer, not RBAC, authorizes kubelets: upstream binds no one.
        crb("system:node", Vec::new()),
        crb(
            "system:kube-scheduler",
            vec![Subject::user("system:kube-scheduler")],
        ),
        crb(
            "system:kube-controller-manager",
            vec![Subject::user("system:kube-controller-manager")],
        ),
    ]
}
