//! KC-REL-007 kubernetes-dashboard.

use kubecomply_core::rule::reference;
use kubecomply_core::{Category, Object, RuleMeta, Severity};

use super::{label, repository_segments};
use crate::rule::{Context, Rule, Target, Violations};
use crate::util::image_of;

/// The rule.
pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "KC-REL-007",
        slug: "kubernetes-dashboard",
        title: "Kubernetes Dashboard is deployed",
        severity: Severity::Medium,
        category: Category::Reliability,
        since: "0.1.0",
        docs: DOCS,
        references: &[
            reference("checkov", "CKV_K8S_33"),
            reference("kubescape", "C-0014"),
        ],
    },
    target: Target::PodTemplates,
    reads: &[],
    check,
};

const DOCS: &str = r#"## What it checks
Fails for workloads that run the Kubernetes Dashboard. A container, init container or ephemeral
container is the Dashboard when its image repository (registry, tag and digest removed,
compared in lower case) ends with:

- `kubernetesui/dashboard`, or the `kubernetesui/dashboard-api`, `kubernetesui/dashboard-web`
  and `kubernetesui/dashboard-auth` images of Dashboard 3 and later (mirrors such as
  `registry.example.com/mirror/kubernetesui/dashboard` count);
- a last path segment `kubernetes-dashboard` or starting with `kubernetes-dashboard-` (the old
  `k8s.gcr.io/kubernetes-dashboard-amd64` images).

The Dashboard's `metrics-scraper` and its Kong proxy are not matched. When no container matches
by image, the workload still fails once if the label `app`, `k8s-app` or
`app.kubernetes.io/name` of the pod template (or else of the object) is exactly
`kubernetes-dashboard`.

## Why it matters
The Dashboard is a web UI that acts on the cluster with its own service account or the token a
user pastes into it. Exposed or over-privileged installations have been a classic way into
clusters (the 2018 Tesla cryptojacking incident started at an open Dashboard), and it is rarely
needed next to `kubectl` and the cloud consoles.

## How to fix
Remove the Dashboard. If it is really needed, run it with a service account that has no
permissions (users log in with their own token), never expose it outside the cluster, and
document an exception.

## Differences from other tools
Checkov matches `kubernetesui` anywhere in the image, so it also flags the metrics scraper, and
it fails every container that has no image at all; kubecomply matches the Dashboard images
themselves and leaves image-less containers to `image-missing`.
"#;

fn is_dashboard(image: &str) -> bool {
    let segs = repository_segments(image);
    let last = segs.last().map(String::as_str).unwrap_or("");
    let parent = if segs.len() >= 2 {
        segs[segs.len() - 2].as_str()
    } else {
        ""
    };
    last == "kubernetes-dashboard"
        || last.starts_with("kubernetes-dashboard-")
        || (parent == "kubernetesui"
            && matches!(
                last,
                "dashboard" | "dashboard-api" | "dashboard-web" | "dashboard-auth"
            ))
}

fn check(_cx: &Context<'_>, obj: &Object, out: &mut Violations) {
    for t in obj.templates() {
        let mut found = false;
        for c in t.containers() {
            let Some(image) = image_of(&c) else { continue };
            if is_dashboard(image) {
                found = true;
                out.fail_container(
                    &c,
                    t.container_path(&c, &["image"]),
                    format!(
                        "{} {:?} runs the Kubernetes Dashboard (image {:?})",
                        c.kind.noun(),
                        c.name,
                        image
                    ),
                );
            }
        }
        if found {
            continue;
        }
        for key in ["app", "k8s-app", "app.kubernetes.io/name"] {
            if let Some((value, pointer)) = label(obj, &t, key)
                && value == "kubernetes-dashboard"
            {
                out.fail(
                    pointer,
                    format!("workload is labelled {key}={value}, the Kubernetes Dashboard"),
                );
                break;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dashboard_images() {
        assert!(is_dashboard("kubernetesui/dashboard:v2.7.0"));
        assert!(is_dashboard("docker.io/kubernetesui/dashboard-web:1.6.0"));
        assert!(is_dashboard(
            "registry.example.com/mirror/kubernetesui/dashboard-api:1.10.1"
        ));
        assert!(is_dashboard(
            "k8s.gcr.io/kubernetes-dashboard-amd64:v1.10.1"
        ));
        assert!(!is_dashboard("kubernetesui/metrics-scraper:v1.0.8"));
        assert!(!is_dashboard("kong:3.6"));
        assert!(!is_dashboard("registry.example.com/shop/dashboard:2.0"));
    }
}
