//! KC-IMG-001 image-tag-mutable.

use kubecomply_core::rule::reference;
use kubecomply_core::{Category, Object, RuleMeta, Severity};

use super::image_text;
use crate::rule::{Context, Rule, Target, Violations};
use crate::util::parse_image;

/// The rule.
pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "KC-IMG-001",
        slug: "image-tag-mutable",
        title: "Image has no tag or uses the latest tag",
        severity: Severity::High,
        category: Category::Images,
        since: "0.1.0",
        docs: DOCS,
        references: &[
            reference("checkov", "CKV_K8S_14"),
            reference("trivy", "KSV-0013"),
            reference("polaris", "tagNotSpecified"),
            reference("kube-score", "container-image-tag"),
            reference("kube-linter", "latest-tag"),
        ],
    },
    target: Target::PodTemplates,
    reads: &[],
    check,
};

const DOCS: &str = r#"## What it checks
Fails for every container, init container and ephemeral container whose `image` has no digest
and either has no tag at all (`nginx`, `registry.example.com:5000/shop/web`) or has
the tag `latest`, compared case-insensitively (`:latest`, `:LATEST`).

The reference is parsed as the container runtimes parse it: a `:` before the last `/` belongs to
the registry host (`registry.example.com:5000/web` has a port and no tag), the tag is what
follows the last `:` after the last `/`, and a digest follows `@`. An image with a digest
passes whatever its tag says, because the digest decides what is pulled (a malformed digest is
reported by `image-without-digest`). A missing or empty `image` is left to `image-missing`.

## Why it matters
A missing tag means `latest`, and `latest` moves: two nodes can run different code under the
same manifest, a rollback re-pulls the same moving tag instead of the previous version, and
nobody can tell from the manifest what is deployed.

## How to fix
Use an explicit version tag (`registry.example.com/shop/web:2.4.1`), or better a digest
(`registry.example.com/shop/web:2.4.1@sha256:...`).

## Differences from other tools
Tools that split the reference at the first `:` mistake a registry port for a tag
(`registry.example.com:5000/web` looks tagged `5000/web`); kubecomply does not.
"#;

fn check(_cx: &Context<'_>, obj: &Object, out: &mut Violations) {
    for t in obj.templates() {
        for c in t.containers() {
            let Some(image) = image_text(&c) else {
                continue;
            };
            let r = parse_image(image);
            if r.digest.is_some() {
                continue;
            }
            let problem = match r.tag {
                None => "has no tag and no digest, so it resolves to the moving tag latest",
                Some(tag) if tag.eq_ignore_ascii_case("latest") => {
                    "uses the moving tag latest without a digest"
                }
                Some(_) => continue,
            };
            out.fail_container(
                &c,
                t.container_path(&c, &["image"]),
                format!("{} {:?} image {:?} {problem}", c.kind.noun(), c.name, image),
            );
        }
    }
}
