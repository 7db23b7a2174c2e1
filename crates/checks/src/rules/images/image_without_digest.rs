//! KC-IMG-002 image-without-digest.

use kubecomply_core::rule::reference;
use kubecomply_core::{Category, Object, RuleMeta, Severity};

use super::{image_text, pinned};
use crate::rule::{Context, Rule, Target, Violations};
use crate::util::parse_image;

/// The rule.
pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "KC-IMG-002",
        slug: "image-without-digest",
        title: "Image is not pinned by a digest",
        severity: Severity::Low,
        category: Category::Images,
        since: "0.1.0",
        docs: DOCS,
        references: &[
            reference("checkov", "CKV_K8S_43"),
            reference("kubescape", "C-0306"),
        ],
    },
    target: Target::PodTemplates,
    reads: &[],
    check,
};

const DOCS: &str = r#"## What it checks
Fails for every container, init container and ephemeral container whose `image` is not pinned
by a well-formed content digest: `@sha256:` followed by 64 lowercase hex digits, or `@sha512:`
followed by 128. A reference with something else after `@` (`app@sha256:abc`, `app@latest`)
fails too, with a message saying the digest is malformed. A tag next to the digest
(`app:1.4@sha256:...`) is allowed; the runtime ignores it. A missing or empty `image` is left to
`image-missing`.

## Why it matters
Tags, even version tags, can be re-pushed: whoever controls the registry (or a compromised CI
job) can replace `app:1.4` with different content and every node that pulls it runs the new
code. A digest names the content itself, so what was reviewed is what runs.

## How to fix
Append the digest of the reviewed image: `registry.example.com/shop/web:1.4@sha256:<digest>`
(`crane digest`, `docker buildx imagetools inspect` or your registry show it). Tools such as
Renovate keep digests up to date.

## Differences from other tools
Checkov accepts any `@` in the reference as a digest; kubecomply checks its form.
"#;

fn check(_cx: &Context<'_>, obj: &Object, out: &mut Violations) {
    for t in obj.templates() {
        for c in t.containers() {
            let Some(image) = image_text(&c) else {
                continue;
            };
            let r = parse_image(image);
            if pinned(&r) {
                continue;
            }
            let why = if r.digest.is_some() {
                "has a malformed digest (expected sha256: and 64 hex digits, or sha512: and 128)"
            } else {
                "is not pinned by a digest"
            };
            out.fail_container(
                &c,
                t.container_path(&c, &["image"]),
                format!("{} {:?} image {:?} {why}", c.kind.noun(), c.name, image),
            );
        }
    }
}
