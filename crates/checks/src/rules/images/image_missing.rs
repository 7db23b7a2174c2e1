//! KC-IMG-005 image-missing.

use kubecomply_core::value::Field;

use kubecomply_core::Value;
use kubecomply_core::{Category, Object, RuleMeta, Severity};

use crate::rule::{Context, Rule, Target, Violations};

/// The rule.
pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "KC-IMG-005",
        slug: "image-missing",
        title: "Container has no image",
        severity: Severity::High,
        category: Category::Images,
        since: "0.1.0",
        docs: DOCS,
        references: &[],
    },
    target: Target::PodTemplates,
    reads: &[],
    check,
};

const DOCS: &str = r#"## What it checks
Fails for every container, init container and ephemeral container whose `image` is absent,
`null`, the empty string or only whitespace. An `image` of another JSON type (a number, a list)
is reported by `invalid-field-type` instead and not repeated here.

## Why it matters
A container without an image cannot run: the API server rejects a Pod whose container has no
image, so the workload never starts (for a controller, its pods are never created). Templates
that leave the image to be filled in later by a tool are best caught before they reach a
cluster.

## How to fix
Set `image` to the full reference of the image the container should run, ideally pinned by
digest.
"#;

fn check(_cx: &Context<'_>, obj: &Object, out: &mut Violations) {
    for t in obj.templates() {
        for c in t.containers() {
            match c.value.field("image") {
                None => out.fail_container(
                    &c,
                    t.container_path(&c, &[]),
                    format!("{} {:?} has no image", c.kind.noun(), c.name),
                ),
                Some(Value::Null) => out.fail_container(
                    &c,
                    t.container_path(&c, &["image"]),
                    format!(
                        "{} {:?} has an image field without a value",
                        c.kind.noun(),
                        c.name
                    ),
                ),
                Some(Value::String(s)) if s.trim().is_empty() => out.fail_container(
                    &c,
                    t.container_path(&c, &["image"]),
                    format!("{} {:?} has an empty image", c.kind.noun(), c.name),
                ),
                Some(_) => {}
            }
        }
    }
}
