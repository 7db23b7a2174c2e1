//! KC-REL-004 duplicate-env-var.

use kubecomply_core::value::Field;

use std::collections::HashMap;

use kubecomply_core::Value;
use kubecomply_core::rule::reference;
use kubecomply_core::{Category, Object, RuleMeta, Severity};

use crate::rule::{Context, Rule, Target, Violations};

/// The rule.
pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "KC-REL-004",
        slug: "duplicate-env-var",
        title: "Environment variable is defined twice in one container",
        severity: Severity::Medium,
        category: Category::Reliability,
        since: "0.1.0",
        docs: DOCS,
        references: &[
            reference("kubescape", "C-0295"),
            reference("kube-score", "environment-variable-key-duplication"),
            reference("kube-linter", "duplicate-env-var"),
        ],
    },
    target: Target::PodTemplates,
    reads: &[],
    check,
};

const DOCS: &str = r#"## What it checks
Fails for every container, init container and ephemeral container whose `env` list has two
entries with the same `name`. Names are compared exactly (environment variables are
case-sensitive). Each repeated entry is reported at its `name`, naming the index of the first
definition. Variables that come from `envFrom` are not compared: overriding them in `env` is
the documented way to adjust them.

## Why it matters
The API server accepts the duplicate and the kubelet silently keeps the last definition, so
whoever edits the first one changes nothing. Duplicates usually come from merging overlays or
Helm values, and the value that wins is rarely the one the reviewer read.

## How to fix
Remove all but one definition of the variable.
"#;

fn check(_cx: &Context<'_>, obj: &Object, out: &mut Violations) {
    for t in obj.templates() {
        for c in t.containers() {
            let Some(env) = c.value.field("env").and_then(Value::as_array) else {
                continue;
            };
            let mut seen: HashMap<&str, usize> = HashMap::new();
            for (i, e) in env.iter().enumerate() {
                let Some(name) = e.field("name").and_then(Value::as_str) else {
                    continue;
                };
                match seen.get(name) {
                    Some(first) => out.fail_container(
                        &c,
                        t.container_path(&c, &["env", &i.to_string(), "name"]),
                        format!(
                            "{} {:?} defines env var {name:?} again at env[{i}] (first at env[{first}]); only the last definition takes effect",
                            c.kind.noun(),
                            c.name
                        ),
                    ),
                    None => {
                        seen.insert(name, i);
                    }
                }
            }
        }
    }
}
