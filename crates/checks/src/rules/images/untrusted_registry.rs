//! KC-IMG-004 untrusted-registry.

use kubecomply_core::rule::reference;
use kubecomply_core::{Category, Object, RuleMeta, Severity};

use super::image_text;
use crate::rule::{Context, Rule, Target, Violations};
use crate::util::parse_image;

/// The rule.
pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "KC-IMG-004",
        slug: "untrusted-registry",
        title: "Image comes from a registry that is not trusted",
        severity: Severity::High,
        category: Category::Images,
        since: "0.1.0",
        docs: DOCS,
        references: &[
            reference("kubescape", "C-0078"),
            reference("trivy", "KSV-0125"),
        ],
    },
    target: Target::PodTemplates,
    reads: &[],
    check,
};

const DOCS: &str = r#"## What it checks
Only active when the `trustedRegistries` parameter lists at least one entry; with the list
empty (the default) every image passes, because kubecomply cannot know which registries you
trust.

Fails for every container, init container and ephemeral container whose image is not under one
of the entries. The image is first written in full: a reference without a registry is a Docker
Hub image, so `nginx` becomes `docker.io/library/nginx` and `bitnami/redis` becomes
`docker.io/bitnami/redis` (`index.docker.io` is treated as `docker.io`). Then:

- an entry without `/` names a registry host and matches images from exactly that host; a port
  is part of the host, so `registry.example.com` does not match `registry.example.com:5000/...`;
- an entry with `/` is a repository prefix and matches at a path boundary: `ghcr.io/acme/` and
  `ghcr.io/acme` both match `ghcr.io/acme/web` and `ghcr.io/acme/team/api`, never
  `ghcr.io/acme-tools/web`; without the trailing `/` the entry also matches the repository
  `ghcr.io/acme` itself.

Comparison ignores case (registry hosts are DNS names; repository paths are lower case
anyway). A missing or empty `image` is left to `image-missing`.

## Why it matters
Images from arbitrary registries bypass whatever scanning, signing and provenance checks your
own registry or pull-through cache applies. A typo-squatted or hijacked public image runs with
the pod's service account and network access.

## How to fix
Mirror the image into a trusted registry and reference it there, or add the registry to
`trustedRegistries` in `.kubecomply.yaml` after reviewing it.
"#;

/// The full name `registry/repository` of an image, lower case, with Docker Hub defaults.
fn full_name(image: &str) -> String {
    let r = parse_image(image);
    let registry = match r.registry {
        None => "docker.io".to_string(),
        Some(h) if h.eq_ignore_ascii_case("index.docker.io") => "docker.io".to_string(),
        Some(h) => h.to_ascii_lowercase(),
    };
    let repository = r.repository.to_ascii_lowercase();
    if registry == "docker.io" && !repository.contains('/') {
        format!("docker.io/library/{repository}")
    } else {
        format!("{registry}/{repository}")
    }
}

/// Whether the image is under one of the trusted entries.
pub(crate) fn trusted(image: &str, entries: &[String]) -> bool {
    let full = full_name(image);
    let host = full.split('/').next().unwrap_or("");
    entries.iter().any(|entry| {
        let entry = entry.trim().to_ascii_lowercase();
        if entry.trim_end_matches('/').is_empty() {
            return false;
        }
        if entry.ends_with('/') {
            full.starts_with(&entry)
        } else if entry.contains('/') {
            full == entry
                || full
                    .strip_prefix(&entry)
                    .is_some_and(|rest| rest.starts_with('/'))
        } else {
            host == entry
        }
    })
}

fn check(cx: &Context<'_>, obj: &Object, out: &mut Violations) {
    let entries = &cx.params.trusted_registries;
    if entries
        .iter()
        .all(|e| e.trim().trim_end_matches('/').is_empty())
    {
        return;
    }
    for t in obj.templates() {
        for c in t.containers() {
            let Some(image) = image_text(&c) else {
                continue;
            };
            if trusted(image, entries) {
                continue;
            }
            out.fail_container(
                &c,
                t.container_path(&c, &["image"]),
                format!(
                    "{} {:?} image {:?} ({}) is not under any of trustedRegistries",
                    c.kind.noun(),
                    c.name,
                    image,
                    full_name(image)
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn hosts_and_prefixes() {
        let e = list(&["registry.example.com", "ghcr.io/acme/"]);
        assert!(trusted("registry.example.com/shop/web:1.0", &e));
        assert!(trusted("REGISTRY.example.com/shop/web", &e));
        assert!(!trusted("registry.example.com:5000/shop/web", &e));
        assert!(trusted("ghcr.io/acme/web:1", &e));
        assert!(trusted("ghcr.io/acme/team/api@sha256:00", &e));
        assert!(!trusted("ghcr.io/acme-tools/web", &e));
        assert!(!trusted("ghcr.io/acme", &e));
        assert!(!trusted("nginx:1.27", &e));
        let e = list(&["ghcr.io/acme"]);
        assert!(trusted("ghcr.io/acme/web", &e));
        assert!(!trusted("ghcr.io/acmecorp/web", &e));
        assert!(trusted("ghcr.io/acme", &e));
    }

    #[test]
    fn docker_hub_defaults() {
        assert!(trusted("nginx", &list(&["docker.io"])));
        assert!(trusted("nginx:1.27", &list(&["docker.io/library/"])));
        assert!(trusted(
            "index.docker.io/library/nginx",
            &list(&["docker.io/library"])
        ));
        assert!(!trusted("bitnami/redis", &list(&["docker.io/library"])));
        assert!(trusted("bitnami/redis", &list(&["docker.io/bitnami"])));
        assert!(!trusted("localhost:5000/app", &list(&["localhost"])));
    }
}
