//! KC-NS-003 mixed-data-classes.

use std::collections::{BTreeMap, HashMap};

use kubecomply_core::rule::reference;
use kubecomply_core::{Category, Inventory, Object, RuleMeta, Severity, dataclass};

use crate::rule::{Context, NamespaceClasses, Rule, Target, Violations};

/// The rule.
pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "KC-NS-003",
        slug: "mixed-data-classes",
        title: "Workload shares a namespace with workloads holding regulated data it does not hold",
        severity: Severity::Medium,
        category: Category::Namespaces,
        since: "0.1.0",
        docs: DOCS,
        references: &[reference("nsa", "network-separation/namespaces")],
    },
    target: Target::PodTemplates,
    reads: &["*"],
    check,
};

const DOCS: &str = r#"## What it checks
Data classes say which regulated data a workload holds: the label or annotation
`compliance.kubecomply.io/data-class` (comma-separated, e.g. `pci`, `phi`, `pii`) on the workload
or its pod template, or, when those name none, on its Namespace. The rule fails for a workload
(any object with a pod template) that does not hold a class which another workload of the same
namespace holds: the namespace mixes in-scope and out-of-scope workloads. The message names the
class and up to three workloads holding it. Namespaces whose workloads all hold the same
classes pass, as do workloads without a namespace in the manifest (where they land is decided at
deployment). Classes marked only on the Namespace are held by every workload in it, so they
never mix by themselves.

## Why it matters
PCI DSS scopes every system component that shares a network segment or trust boundary with the
cardholder-data environment (requirement 1 and the scoping guidance); HIPAA asks that ePHI be
separated from what does not need access to it (164.308(a)(4), 164.312(a)(1)). A namespace is
the unit of RBAC, network policy defaults, quotas and Pod Security level in Kubernetes: a
workload that does not handle the data but lives next to one that does gets the same
permissions, the same service account tokens by default, and is in scope for the audit. Keeping
regulated workloads in their own namespaces keeps the audit scope small and the boundary
enforceable.

## How to fix
Move the workloads that hold the class into a namespace of their own (labelled with the class),
or move the others out. If a workload really does hold the data, label it. When mixing is
accepted (a shared batch namespace with compensating network policies), record an exception
with the reason and an expiry.

## Example
```yaml
# fails for legacy-cart: payments-api holds pci data in the same namespace
metadata: {name: payments-api, namespace: shop, labels: {compliance.kubecomply.io/data-class: pci}}
---
metadata: {name: legacy-cart, namespace: shop}
```
"#;

/// Per namespace, the data classes its workloads hold: computed once per inventory (a scan,
/// or a cluster view shared by per-object evaluations).
pub fn index(inventory: &Inventory) -> NamespaceClasses {
    let mut out: NamespaceClasses = HashMap::new();
    for o in &inventory.objects {
        if o.pod_templates.is_empty() {
            continue;
        }
        let Some(ns) = &o.namespace else { continue };
        let entry = out
            .entry(ns.clone())
            .or_insert_with(|| (BTreeMap::new(), 0));
        entry.1 += 1;
        for c in dataclass::held(o, inventory) {
            entry
                .0
                .entry(c)
                .or_default()
                .push(format!("{}/{}", o.kind, o.name));
        }
    }
    out
}

fn check(cx: &Context<'_>, obj: &Object, out: &mut Violations) {
    let Some(ns) = &obj.namespace else { return };
    let classes = cx
        .namespace_classes
        .get_or_init(|| std::sync::Arc::new(index(cx.inventory)));
    let Some((by_class, _)) = classes.get(ns) else {
        return;
    };
    let mine = dataclass::held(obj, cx.inventory);
    for (class, holders) in by_class {
        if mine.contains(class) {
            continue;
        }
        let shown: Vec<&str> = holders.iter().take(3).map(String::as_str).collect();
        let more = if holders.len() > 3 {
            format!(" and {} more", holders.len() - 3)
        } else {
            String::new()
        };
        out.fail(
            "/metadata",
            format!(
                "{} {:?} holds no {class:?} data but shares namespace {ns:?} with workloads that do ({}{more}); keep {class:?} workloads in a namespace of their own",
                obj.kind,
                obj.name,
                shown.join(", ")
            ),
        );
    }
}
