//! KC-CTR-007 capabilities-added.

use kubecomply_core::rule::reference;
use kubecomply_core::{Category, Object, RuleMeta, Severity};

use super::capability_entries;
use crate::rule::{Context, Rule, Target, Violations};

/// The rule.
pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "KC-CTR-007",
        slug: "capabilities-added",
        title: "Container adds Linux capabilities",
        severity: Severity::Medium,
        category: Category::ContainerHardening,
        since: "0.1.0",
        docs: DOCS,
        references: &[
            reference("checkov", "CKV_K8S_25"),
            reference("trivy", "KSV-0022"),
            reference("cis", "5.2.9"),
        ],
    },
    target: Target::PodTemplates,
    reads: &[],
    check,
};

const DOCS: &str = r#"## What it checks
For every container, init container and ephemeral container, fails for each entry of
`securityContext.capabilities.add` other than `NET_BIND_SERVICE`, the one capability the Pod
Security Standards restricted level allows. Names are normalised before comparing, as the
container runtimes do: case is ignored and an optional `CAP_` prefix is stripped, so
`cap_net_bind_service` is `NET_BIND_SERVICE`. The message shows the name as written.
Capabilities that are dangerous on their own are also reported, at higher severity, by
`dangerous-capabilities`.

## Why it matters
Every added capability hands the container a slice of root's power over the kernel (changing
file ownership, binding raw sockets, bypassing permission checks...). Each one widens what an
intruder can do from inside the container and what a kernel bug can be reached with.

## How to fix
Remove the capability, or replace it: `NET_BIND_SERVICE` is enough to listen on ports below
1024 (and often a high port behind a Service is simpler), `CHOWN` and `DAC_OVERRIDE` are
usually only needed because files in the image have the wrong owner. If a capability is truly
required, keep `drop: [ALL]` and add just that one, with a documented exception.

## Differences from other tools
Checkov's CKV_K8S_25 fails on any added capability, including `NET_BIND_SERVICE`, which the
Pod Security Standards restricted level explicitly allows.
"#;

fn check(_cx: &Context<'_>, obj: &Object, out: &mut Violations) {
    for t in obj.templates() {
        for c in t.containers() {
            for (i, raw, name) in capability_entries(&c, "add") {
                if name == "NET_BIND_SERVICE" {
                    continue;
                }
                out.fail_container(
                    &c,
                    t.container_path(
                        &c,
                        &["securityContext", "capabilities", "add", &i.to_string()],
                    ),
                    format!("{} {:?} adds capability {:?}", c.kind.noun(), c.name, raw),
                );
            }
        }
    }
}
