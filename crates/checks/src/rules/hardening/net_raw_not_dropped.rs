//! KC-CTR-010 net-raw-not-dropped.

use kubecomply_core::Value;
use kubecomply_core::rule::reference;
use kubecomply_core::{Category, Object, RuleMeta, Severity};

use super::{capability_entries, is_windows, missing, sc_field};
use crate::rule::{Context, Rule, Target, Violations};

/// The rule.
pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "KC-CTR-010",
        slug: "net-raw-not-dropped",
        title: "Container keeps the NET_RAW capability",
        severity: Severity::Medium,
        category: Category::ContainerHardening,
        since: "0.1.0",
        docs: DOCS,
        references: &[
            reference("checkov", "CKV_K8S_28"),
            reference("kube-linter", "drop-net-raw-capability"),
            reference("cis", "5.2.8"),
        ],
    },
    target: Target::PodTemplates,
    reads: &[],
    check,
};

const DOCS: &str = r#"## What it checks
Fails for every container, init container and ephemeral container that keeps `NET_RAW`:

- its `securityContext.capabilities.drop` contains neither `ALL` nor `NET_RAW`, or
- its `capabilities.add` contains `NET_RAW` and `drop` does not name `NET_RAW` itself. The
  runtimes (containerd, CRI-O) apply `drop: [ALL]` first, then the individual `add` entries,
  then the individual `drop` entries, so `drop: [ALL]` with `add: [NET_RAW]` still grants it.

Names are normalised before comparing (case ignored, optional `CAP_` prefix stripped).
Privileged containers are skipped, since they have every capability anyway and are reported by
`privileged-container`; so are pods with `spec.os.name: windows` (capabilities are Linux-only).

## Why it matters
`NET_RAW` is in the runtimes' default set. It lets a process craft arbitrary packets and open
raw and packet sockets: ARP and DNS spoofing of other pods on the node, sniffing, and a long
history of kernel vulnerabilities reachable only through raw sockets. Almost no application
needs it (`ping` can work without it through the safe sysctl `net.ipv4.ping_group_range`).

## How to fix
Drop `ALL` (or at least `NET_RAW`) in `securityContext.capabilities.drop`, and do not add
`NET_RAW` back.

## Differences from other tools
Checkov's CKV_K8S_28 passes when any `drop` entry merely contains the substring `ALL`, `all` or
`NET_RAW` (so a made-up `NET_RAW_X` or `INSTALL` passes), and ignores `add`. kubecomply compares
normalised names exactly and also catches `NET_RAW` added back.
"#;

fn check(_cx: &Context<'_>, obj: &Object, out: &mut Violations) {
    for t in obj.templates() {
        if is_windows(&t) {
            continue;
        }
        for c in t.containers() {
            if sc_field(&c, "privileged").and_then(Value::as_bool) == Some(true) {
                continue;
            }
            let who = format!("{} {:?}", c.kind.noun(), c.name);
            let drop = capability_entries(&c, "drop");
            if drop.iter().any(|(_, _, n)| n == "NET_RAW") {
                continue;
            }
            if let Some((i, raw, _)) = capability_entries(&c, "add")
                .into_iter()
                .find(|(_, _, n)| n == "NET_RAW")
            {
                out.fail_container(
                    &c,
                    t.container_path(
                        &c,
                        &["securityContext", "capabilities", "add", &i.to_string()],
                    ),
                    format!("{who} adds capability {raw:?}, so it keeps NET_RAW"),
                );
            } else if !drop.iter().any(|(_, _, n)| n == "ALL") {
                out.fail_container(
                    &c,
                    missing(obj, &t, &c, &["securityContext", "capabilities", "drop"]),
                    format!(
                        "{who} keeps NET_RAW (capabilities.drop contains neither ALL nor NET_RAW)"
                    ),
                );
            }
        }
    }
}
