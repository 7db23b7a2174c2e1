//! KC-REL-008 tiller-deployed.

use kubecomply_core::rule::reference;
use kubecomply_core::{Category, Object, RuleMeta, Severity};

use super::{label, repository_segments};
use crate::rule::{Context, Rule, Target, Violations};
use crate::util::image_of;

/// The rule.
pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "KC-REL-008",
        slug: "tiller-deployed",
        title: "Helm v2 Tiller is deployed",
        severity: Severity::High,
        category: Category::Reliability,
        since: "0.1.0",
        docs: DOCS,
        references: &[
            reference("checkov", "CKV_K8S_34"),
            reference("checkov", "CKV_K8S_45"),
            reference("trivy", "KSV-0102"),
        ],
    },
    target: Target::PodTemplates,
    reads: &[],
    check,
};

const DOCS: &str = r#"## What it checks
Fails for workloads that run Tiller, the in-cluster server of Helm v2. A container, init
container or ephemeral container is Tiller when the last path segment of its image repository
(registry, tag and digest removed, compared in lower case) is `tiller` or starts with
`tiller-` (`gcr.io/kubernetes-helm/tiller:v2.16.12`, `ghcr.io/helm/tiller`, mirrors of them).
When no container matches by image, the workload still fails once if its pod template (or else
the object) carries both labels `app: helm` and `name: tiller`, which `helm init` sets.

A Tiller that listens only on localhost (`--listen=localhost:44134`) fails too: the rule is
about running Tiller at all.

## Why it matters
Helm v2 reached end of life in November 2020 and gets no security fixes. Tiller typically runs
with cluster-admin rights and, in its default setup, answers gRPC requests from any pod in the
cluster without authentication, so any compromised pod can install arbitrary charts.

## How to fix
Migrate the releases to Helm 3 (the `helm-2to3` plugin does it) and delete the Tiller
Deployment, Service and service account.

## Differences from other tools
Checkov and Trivy look for `tiller` anywhere in the image string, so an image such as
`acme/distiller` or a tag containing the word matches; Trivy also flags any object labelled
`app: helm` or whose name contains `tiller`, and Checkov any workload labelled `app: helm`.
kubecomply requires the Tiller image name, or both labels of a `helm init` installation.
Checkov's CKV_K8S_45 passes a Tiller listening on localhost; kubecomply reports it anyway.
"#;

fn is_tiller(image: &str) -> bool {
    let segs = repository_segments(image);
    let last = segs.last().map(String::as_str).unwrap_or("");
    last == "tiller" || last.starts_with("tiller-")
}

fn check(_cx: &Context<'_>, obj: &Object, out: &mut Violations) {
    for t in obj.templates() {
        let mut found = false;
        for c in t.containers() {
            let Some(image) = image_of(&c) else { continue };
            if is_tiller(image) {
                found = true;
                out.fail_container(
                    &c,
                    t.container_path(&c, &["image"]),
                    format!(
                        "{} {:?} runs Helm v2 Tiller (image {:?})",
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
        let app = label(obj, &t, "app");
        let name = label(obj, &t, "name");
        if let (Some(("helm", _)), Some(("tiller", pointer))) = (app, name) {
            out.fail(
                pointer,
                "workload is labelled app=helm, name=tiller: Helm v2 Tiller",
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiller_images() {
        assert!(is_tiller("gcr.io/kubernetes-helm/tiller:v2.16.12"));
        assert!(is_tiller("ghcr.io/helm/tiller"));
        assert!(is_tiller(
            "registry.example.com/mirror/tiller-amd64:v2.16.12"
        ));
        assert!(!is_tiller("acme/distiller:1.0"));
        assert!(!is_tiller("registry.example.com/shop/web:tiller"));
    }
}
