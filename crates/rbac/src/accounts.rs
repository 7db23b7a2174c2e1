//! ServiceAccounts, the workloads that run as them and the legacy token Secrets of the input.

use kubecomply_core::value::Field;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use kubecomply_core::Value;
use kubecomply_core::value::{bool_at, str_at};
use kubecomply_core::{Inventory, Object};

use crate::model::namespace_of;

/// A ServiceAccount known from the input (an object, or named by a workload).
#[derive(Clone, Debug)]
pub struct ServiceAccount {
    /// Namespace.
    pub namespace: String,
    /// Name.
    pub name: String,
    /// Index of the ServiceAccount object in the inventory, if the input has it.
    pub object: Option<usize>,
    /// Its `automountServiceAccountToken`, if set.
    pub automount: Option<bool>,
}

/// A pod template and the identity its pods run with.
#[derive(Clone, Debug)]
pub struct Workload {
    /// Index of the object in the inventory.
    pub object: usize,
    /// Pointer of the pod template in the object.
    pub template: String,
    /// Namespace.
    pub namespace: String,
    /// `spec.serviceAccountName` (or the deprecated `serviceAccount`), else `default`.
    pub service_account: String,
    /// Whether the token is mounted: the pod's `automountServiceAccountToken` wins, else the
    /// ServiceAccount's, else true.
    pub token_mounted: bool,
    /// Reasons the workload is a high-value target: privileged, hostNetwork, hostPID,
    /// hostIPC, exposed by a NodePort/LoadBalancer Service.
    pub exposure: Vec<String>,
}

/// A Secret of type `kubernetes.io/service-account-token`.
#[derive(Clone, Debug)]
pub struct TokenSecret {
    /// Namespace.
    pub namespace: String,
    /// Secret name.
    pub name: String,
    /// The ServiceAccount named by `kubernetes.io/service-account.name`.
    pub service_account: String,
}

/// Identities and workloads of an inventory.
#[derive(Clone, Debug, Default)]
pub struct Accounts {
    /// ServiceAccounts by (namespace, name).
    pub service_accounts: BTreeMap<(String, String), ServiceAccount>,
    /// Workloads (one per pod template).
    pub workloads: Vec<Workload>,
    /// Legacy token Secrets.
    pub token_secrets: Vec<TokenSecret>,
    /// Every namespace the input mentions.
    pub namespaces: BTreeSet<String>,
    /// Namespaces where the input has at least one ServiceAccount object.
    pub namespaces_with_sa_objects: BTreeSet<String>,
}

fn selector_matches(selector: &kubecomply_core::Map, labels: Option<&Value>) -> bool {
    !selector.is_empty()
        && selector
            .iter()
            .all(|(k, v)| labels.and_then(|l| l.get(k)).is_some_and(|l| l == v))
}

/// NodePort and LoadBalancer Services with a selector, indexed by (namespace, first selector
/// key, its value) (objects without a namespace count as `default`), so that finding the
/// Services that select a workload costs a lookup per workload label, not a scan of all
/// Services.
type ExposingIndex<'a> = HashMap<(String, String, String), Vec<&'a Object>>;

fn exposing_services(inv: &Inventory) -> ExposingIndex<'_> {
    let mut index: ExposingIndex<'_> = HashMap::new();
    for s in inv.of_kind("Service") {
        let exposed = matches!(
            str_at(&s.value, &["spec", "type"]),
            Some("NodePort" | "LoadBalancer")
        );
        let first = match s.value.field("spec").and_then(|sp| sp.field("selector")) {
            Some(Value::Object(sel)) => sel
                .iter()
                .next()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string())),
            _ => None,
        };
        if let (true, Some((k, v))) = (exposed, first) {
            index.entry((namespace_of(s), k, v)).or_default().push(s);
        }
    }
    index
}

fn selected_by<'a>(index: &ExposingIndex<'a>, ns: &str, labels: Option<&Value>) -> Vec<&'a Object> {
    let Some(Value::Object(map)) = labels else {
        return Vec::new();
    };
    let mut out: Vec<&'a Object> = Vec::new();
    for (k, v) in map {
        let Some(v) = v.as_str() else { continue };
        let key = (ns.to_string(), k.clone(), v.to_string());
        for s in index.get(&key).map(Vec::as_slice).unwrap_or(&[]) {
            let matches = match s.value.field("spec").and_then(|sp| sp.field("selector")) {
                Some(Value::Object(sel)) => selector_matches(sel, labels),
                _ => false,
            };
            if matches && !out.iter().any(|o| std::ptr::eq(*o, *s)) {
                out.push(s);
            }
        }
    }
    out
}

impl Accounts {
    /// Collects ServiceAccounts, workloads and token Secrets.
    pub fn from_inventory(inv: &Inventory) -> Accounts {
        let mut a = Accounts::default();
        for (i, o) in inv.objects.iter().enumerate() {
            if let Some(ns) = &o.namespace {
                a.namespaces.insert(ns.clone());
            }
            match o.kind.as_str() {
                "Namespace" if o.api_version == "v1" => {
                    a.namespaces.insert(o.name.clone());
                }
                "ServiceAccount" if o.api_version == "v1" => {
                    let ns = namespace_of(o);
                    a.namespaces.insert(ns.clone());
                    a.namespaces_with_sa_objects.insert(ns.clone());
                    a.service_accounts
                        .entry((ns.clone(), o.name.clone()))
                        .or_insert(ServiceAccount {
                            namespace: ns,
                            name: o.name.clone(),
                            object: Some(i),
                            automount: bool_at(&o.value, &["automountServiceAccountToken"]),
                        });
                }
                "Secret" if o.api_version == "v1" => {
                    if str_at(&o.value, &["type"]) == Some("kubernetes.io/service-account-token")
                        && let Some(sa) = o.annotation("kubernetes.io/service-account.name")
                    {
                        a.token_secrets.push(TokenSecret {
                            namespace: namespace_of(o),
                            name: o.name.clone(),
                            service_account: sa.to_string(),
                        });
                    }
                }
                _ => {}
            }
        }
        let exposing = exposing_services(inv);
        for (i, o) in inv.objects.iter().enumerate() {
            for t in o.templates() {
                let ns = namespace_of(o);
                let sa = str_at(t.spec, &["serviceAccountName"])
                    .or_else(|| str_at(t.spec, &["serviceAccount"]))
                    .filter(|s| !s.is_empty())
                    .unwrap_or("default")
                    .to_string();
                let sa_automount = a
                    .service_accounts
                    .get(&(ns.clone(), sa.clone()))
                    .and_then(|s| s.automount);
                let token_mounted = bool_at(t.spec, &["automountServiceAccountToken"])
                    .or(sa_automount)
                    .unwrap_or(true);
                let mut exposure = Vec::new();
                if t.containers()
                    .any(|c| bool_at(c.value, &["securityContext", "privileged"]) == Some(true))
                {
                    exposure.push("privileged".to_string());
                }
                for f in ["hostNetwork", "hostPID", "hostIPC"] {
                    if bool_at(t.spec, &[f]) == Some(true) {
                        exposure.push(f.to_string());
                    }
                }
                let labels = t.metadata.and_then(|m| m.field("labels"));
                for s in selected_by(&exposing, &ns, labels) {
                    exposure.push(format!(
                        "exposed by {} Service {}",
                        str_at(&s.value, &["spec", "type"]).unwrap_or(""),
                        s.name
                    ));
                }
                a.namespaces.insert(ns.clone());
                a.service_accounts
                    .entry((ns.clone(), sa.clone()))
                    .or_insert(ServiceAccount {
                        namespace: ns.clone(),
                        name: sa.clone(),
                        object: None,
                        automount: None,
                    });
                a.workloads.push(Workload {
                    object: i,
                    template: t.pointer.to_string(),
                    namespace: ns,
                    service_account: sa,
                    token_mounted,
                    exposure,
                });
            }
        }
        // Every namespace has a `default` ServiceAccount, created by the controller manager.
        for ns in a.namespaces.clone() {
            a.service_accounts
                .entry((ns.clone(), "default".to_string()))
                .or_insert(ServiceAccount {
                    namespace: ns,
                    name: "default".to_string(),
                    object: None,
                    automount: None,
                });
        }
        a
    }

    /// The ServiceAccounts of a namespace.
    pub fn in_namespace<'a>(
        &'a self,
        ns: &'a str,
    ) -> impl Iterator<Item = &'a ServiceAccount> + 'a {
        self.service_accounts
            .range((ns.to_string(), String::new())..)
            .take_while(move |((n, _), _)| n == ns)
            .map(|(_, s)| s)
    }
}
