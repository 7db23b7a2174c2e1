//! KC-CTR-006 writable-root-filesystem.

use kubecomply_core::Value;
use kubecomply_core::rule::reference;
use kubecomply_core::{Category, Object, RuleMeta, Severity};

use super::{is_windows, missing, sc_field};
use crate::rule::{Context, Rule, Target, Violations};

/// The rule.
pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "KC-CTR-006",
        slug: "writable-root-filesystem",
        title: "Container root file system is writable",
        severity: Severity::Medium,
        category: Category::ContainerHardening,
        since: "0.1.0",
        docs: DOCS,
        references: &[
            reference("checkov", "CKV_K8S_22"),
            reference("kubescape", "C-0017"),
            reference("trivy", "KSV-0014"),
            reference("polaris", "notReadOnlyRootFilesystem"),
            reference(
                "kube-score",
                "container-security-context-readonlyrootfilesystem",
            ),
            reference("kube-linter", "no-read-only-root-fs"),
        ],
    },
    target: Target::PodTemplates,
    reads: &[],
    check,
};

const DOCS: &str = r#"## What it checks
Fails for every container, init container and ephemeral container whose
`securityContext.readOnlyRootFilesystem` is not `true` (unset counts as writable, the
Kubernetes default). There is no pod-level field. Pods with `spec.os.name: windows` are skipped
(the field is forbidden there). A quoted `"true"` is reported by `invalid-field-type` and
treated as unset here.

## Why it matters
A writable root file system lets an intruder download tools, replace binaries or libraries of
the running application and persist until the container restarts. With a read-only root, the
only writable places are the volumes you declared, which are easy to review.

## How to fix
Set `readOnlyRootFilesystem: true` and give the application `emptyDir` volumes for the
directories it must write to (typically `/tmp`, caches and PID files).
"#;

fn check(_cx: &Context<'_>, obj: &Object, out: &mut Violations) {
    for t in obj.templates() {
        if is_windows(&t) {
            continue;
        }
        for c in t.containers() {
            let who = format!("{} {:?}", c.kind.noun(), c.name);
            match sc_field(&c, "readOnlyRootFilesystem").and_then(Value::as_bool) {
                Some(true) => {}
                Some(false) => out.fail_container(
                    &c,
                    t.container_path(&c, &["securityContext", "readOnlyRootFilesystem"]),
                    format!("{who} has a writable root file system (readOnlyRootFilesystem=false)"),
                ),
                None => out.fail_container(
                    &c,
                    missing(obj, &t, &c, &["securityContext", "readOnlyRootFilesystem"]),
                    format!("{who} has a writable root file system (readOnlyRootFilesystem is not set to true)"),
                ),
            }
        }
    }
}
