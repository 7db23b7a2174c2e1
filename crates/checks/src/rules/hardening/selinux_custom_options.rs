//! KC-CTR-014 selinux-custom-options.

use kubecomply_core::value::Field;

use kubecomply_core::Value;
use kubecomply_core::pointer;
use kubecomply_core::rule::reference;
use kubecomply_core::{Category, Object, RuleMeta, Severity};

use crate::rule::{Context, Rule, Target, Violations};

/// The rule.
pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "KC-CTR-014",
        slug: "selinux-custom-options",
        title: "Custom SELinux user, role or type",
        severity: Severity::High,
        category: Category::ContainerHardening,
        since: "0.1.0",
        docs: DOCS,
        references: &[
            reference("trivy", "KSV-0025"),
            reference("pss", "baseline/seLinuxOptions"),
        ],
    },
    target: Target::PodTemplates,
    reads: &[],
    check,
};

/// The SELinux types the Pod Security Standards baseline allows.
const ALLOWED_TYPES: &[&str] = &[
    "container_t",
    "container_init_t",
    "container_kvm_t",
    "container_engine_t",
];

const DOCS: &str = r#"## What it checks
Looks at `seLinuxOptions` in the pod's `spec.securityContext` and in the `securityContext` of
every container, init container and ephemeral container, and fails for each of:

- `user` set to a non-empty string;
- `role` set to a non-empty string;
- `type` set to a non-empty string other than `container_t`, `container_init_t`,
  `container_kvm_t` and `container_engine_t` (the types the newest Pod Security Standards
  baseline allows).

`level` (the MCS categories) may be set freely. Values are compared exactly (SELinux names are
case-sensitive). Each offending field is reported where it is written, pod or container.

## Why it matters
The SELinux user, role and type decide what a process may touch. The container types above are
confined; any other type, such as `spc_t` ("super privileged container") or `unconfined_t`, or a
custom user or role, can lift the confinement that keeps a container away from the node's files
and other containers' data.

## How to fix
Remove `user`, `role` and `type` from `seLinuxOptions` (the runtime assigns `container_t` and a
unique `level`); set only `level` when pods must share files through a volume.
"#;

fn inspect(opts: Option<&Value>, base: &str, who: &str) -> Vec<(String, String)> {
    let mut found = Vec::new();
    let Some(opts) = opts.filter(|o| o.is_object()) else {
        return found;
    };
    for field in ["user", "role"] {
        if let Some(v) = opts
            .get(field)
            .and_then(Value::as_str)
            .filter(|v| !v.is_empty())
        {
            found.push((
                pointer::join(base, &[field]),
                format!("{who} sets a custom SELinux {field} {v:?}"),
            ));
        }
    }
    if let Some(v) = opts.field("type").and_then(Value::as_str)
        && !v.is_empty()
        && !ALLOWED_TYPES.contains(&v)
    {
        found.push((
            pointer::join(base, &["type"]),
            format!("{who} sets SELinux type {v:?}, which is not a confined container type"),
        ));
    }
    found
}

fn check(_cx: &Context<'_>, obj: &Object, out: &mut Violations) {
    for t in obj.templates() {
        let base = t.spec_path(&["securityContext", "seLinuxOptions"]);
        let opts = t
            .pod_security_context()
            .and_then(|s| s.field("seLinuxOptions"));
        for (ptr, msg) in inspect(opts, &base, "pod") {
            out.fail(ptr, msg);
        }
        for c in t.containers() {
            let base = t.container_path(&c, &["securityContext", "seLinuxOptions"]);
            let opts = c
                .value
                .field("securityContext")
                .and_then(|s| s.field("seLinuxOptions"));
            let who = format!("{} {:?}", c.kind.noun(), c.name);
            for (ptr, msg) in inspect(opts, &base, &who) {
                out.fail_container(&c, ptr, msg);
            }
        }
    }
}
