//! KC-IMG-003 image-pull-policy-not-always.

use kubecomply_core::value::Field;

use kubecomply_core::Value;
use kubecomply_core::rule::reference;
use kubecomply_core::{Category, Object, RuleMeta, Severity};

use super::{image_text, pinned};
use crate::rule::{Context, Rule, Target, Violations};
use crate::util::parse_image;

/// The rule.
pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "KC-IMG-003",
        slug: "image-pull-policy-not-always",
        title: "Image pull policy is not Always for a tag that can move",
        severity: Severity::Low,
        category: Category::Images,
        since: "0.1.0",
        docs: DOCS,
        references: &[
            reference("checkov", "CKV_K8S_15"),
            reference("kubescape", "C-0075"),
            reference("polaris", "pullPolicyNotAlways"),
            reference("kube-score", "container-image-pull-policy"),
        ],
    },
    target: Target::PodTemplates,
    reads: &[],
    check,
};

const DOCS: &str = r#"## What it checks
Fails for every container, init container and ephemeral container whose effective
`imagePullPolicy` is not `Always`, unless the image is pinned by a well-formed digest.

The effective policy is computed as the API server defaults it: an explicit `imagePullPolicy`
wins; when it is unset, the policy is `Always` if the reference has no tag and no digest or the
tag is exactly `latest` (Kubernetes compares case-sensitively, so `:LATEST` defaults to
`IfNotPresent`), and `IfNotPresent` otherwise. So `nginx` and `nginx:latest` pass without a
policy, `nginx:1.27` without a policy fails (pointing at the container), and an explicit
`IfNotPresent` or `Never` fails (pointing at `imagePullPolicy`).

Images pinned by a digest (`@sha256:` and 64 hex digits, or `@sha512:` and 128) pass whatever
the policy: a digest cannot point at different content, so re-pulling gains nothing. A missing
or empty `image` is left to `image-missing`.

## Why it matters
With `IfNotPresent` a node keeps running whatever it pulled first under a tag. When the tag is
re-pushed, pods on different nodes run different code, and on a shared node a pod can start
from an image cached by another tenant without the registry ever checking its pull secret.

## How to fix
Set `imagePullPolicy: Always`, or pin the image by digest (preferred: it is both immutable and
cheap to cache).

## Differences from other tools
Checkov removes the digest before applying the default, so `app@sha256:...` without a policy
passes as if it were `latest` (the API server actually defaults it to `IfNotPresent`) while
`app:1.4@sha256:...` without a policy fails although the digest already fixes the content;
kubecomply passes both because of the digest. Kubescape C-0075 only looks at images tagged
`latest`.
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
            match c.value.field("imagePullPolicy").and_then(Value::as_str) {
                Some("Always") => {}
                Some(policy) => out.fail_container(
                    &c,
                    t.container_path(&c, &["imagePullPolicy"]),
                    format!(
                        "{} {:?} pulls image {:?} with imagePullPolicy {policy:?} instead of Always",
                        c.kind.noun(),
                        c.name,
                        image
                    ),
                ),
                None => {
                    let defaults_to_always = match r.tag {
                        None => r.digest.is_none(),
                        Some(tag) => tag == "latest",
                    };
                    if !defaults_to_always {
                        out.fail_container(
                            &c,
                            t.container_path(&c, &[]),
                            format!(
                                "{} {:?} has no imagePullPolicy, so image {:?} defaults to IfNotPresent",
                                c.kind.noun(),
                                c.name,
                                image
                            ),
                        );
                    }
                }
            }
        }
    }
}
