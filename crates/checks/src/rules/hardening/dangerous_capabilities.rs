//! KC-CTR-008 dangerous-capabilities.

use kubecomply_core::rule::reference;
use kubecomply_core::{Category, Object, RuleMeta, Severity};

use super::capability_entries;
use crate::rule::{Context, Rule, Target, Violations};
use crate::util::normalize_capability;

/// The rule.
pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "KC-CTR-008",
        slug: "dangerous-capabilities",
        title: "Container adds a dangerous Linux capability",
        severity: Severity::Critical,
        category: Category::ContainerHardening,
        since: "0.1.0",
        docs: DOCS,
        references: &[
            reference("checkov", "CKV_K8S_39"),
            reference("kubescape", "C-0046"),
            reference("trivy", "KSV-0005"),
            reference("polaris", "dangerousCapabilities"),
        ],
    },
    target: Target::PodTemplates,
    reads: &[],
    check,
};

const DOCS: &str = r#"## What it checks
For every container, init container and ephemeral container, fails for each entry of
`securityContext.capabilities.add` that is in the `dangerous_capabilities` parameter. By default
that list is `ALL`, `SYS_ADMIN`, `NET_ADMIN`, `SYS_MODULE`, `SYS_PTRACE`, `SYS_RAWIO`,
`SYS_BOOT`, `BPF`, `PERFMON`, `MAC_ADMIN`, `MAC_OVERRIDE`, `DAC_READ_SEARCH` and `SETPCAP`.

Both sides are normalised before comparing, as the container runtimes do: case is ignored and
an optional `CAP_` prefix is stripped, so `sys_admin`, `CAP_SYS_ADMIN` and `SYS_ADMIN` are the
same capability. The message shows the name as written.

## Why it matters
Each of these capabilities is enough, alone, to break out of the container or to take over the
node: `SYS_ADMIN` allows mounting file systems and much more, `SYS_MODULE` loads kernel modules,
`SYS_PTRACE` reads other processes' memory, `NET_ADMIN` rewrites the node's view of the network
when combined with host networking, `BPF`/`PERFMON` load programs into the kernel,
`DAC_READ_SEARCH` opens arbitrary files by handle (the "shocker" escape), and `ALL` grants them
all.

## How to fix
Remove the capability. Workloads that really need one (CNI agents, eBPF-based monitoring) should
run in a dedicated namespace with a documented exception, with `drop: [ALL]` and only that
capability added.

## Differences from other tools
Checkov's CKV_K8S_39 only matches the exact string `SYS_ADMIN`, so `CAP_SYS_ADMIN`,
`sys_admin` and every other dangerous capability pass there although the runtime grants them.
"#;

fn check(cx: &Context<'_>, obj: &Object, out: &mut Violations) {
    let dangerous: Vec<String> = cx
        .params
        .dangerous_capabilities
        .iter()
        .map(|s| normalize_capability(s))
        .collect();
    for t in obj.templates() {
        for c in t.containers() {
            for (i, raw, name) in capability_entries(&c, "add") {
                if !dangerous.contains(&name) {
                    continue;
                }
                out.fail_container(
                    &c,
                    t.container_path(
                        &c,
                        &["securityContext", "capabilities", "add", &i.to_string()],
                    ),
                    format!(
                        "{} {:?} adds dangerous capability {:?}",
                        c.kind.noun(),
                        c.name,
                        raw
                    ),
                );
            }
        }
    }
}
