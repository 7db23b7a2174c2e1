//! The Pod Security Standards checks as rules `KC-PSS-001`…: each check of `kubecomply-pss`
//! (the exact upstream semantics, proven on the upstream fixtures) becomes one rule, evaluated at
//! its own level (baseline checks at `baseline`, restricted checks at `restricted`) and at the
//! newest policy version. `kubecomply pss` answers for a chosen level and version instead.
//!
//! The rules are generated from one table (`pss_rules!` below): a row gives the rule's
//! static, code, slug, severity, the check's level and id in `kubecomply_pss::CHECKS` (whose
//! description is the rule's docs), and the title. Adding a PSS check is one row.

use std::cell::OnceCell;

use kubecomply_core::rule::reference;
use kubecomply_core::{Category, Object, RuleMeta, Severity};
use kubecomply_pss::{Level, Version};

use crate::rule::{Context, Rule, Target, Violations};

/// Per-object memo of the PSS evaluation, so the checks are computed once per object.
pub type Memo = OnceCell<Vec<kubecomply_pss::Violation>>;

fn evaluate_all(obj: &Object) -> Vec<kubecomply_pss::Violation> {
    let mut out = Vec::new();
    for t in obj.templates() {
        let meta = t.meta_pointer();
        let spec = t.spec_pointer();
        out.extend(kubecomply_pss::evaluate(
            t.metadata,
            &meta,
            t.spec,
            &spec,
            Level::Baseline,
            Version::Latest,
        ));
        out.extend(
            kubecomply_pss::evaluate(
                t.metadata,
                &meta,
                t.spec,
                &spec,
                Level::Restricted,
                Version::Latest,
            )
            .into_iter()
            .filter(|v| {
                kubecomply_pss::check_meta(v.check).is_some_and(|m| m.level == Level::Restricted)
            }),
        );
    }
    out
}

fn run(check_id: &str, obj: &Object, out: &mut Violations) {
    let hits: Vec<(String, String)> = out
        .pss_memo
        .get_or_init(|| evaluate_all(obj))
        .iter()
        .filter(|v| v.check == check_id)
        .map(|v| (v.pointers.first().cloned().unwrap_or_default(), v.message()))
        .collect();
    for (pointer, message) in hits {
        out.fail(pointer, message);
    }
}

/// Docs shared by every PSS rule; the check's own description comes first.
pub const COMMON_DOCS: &str = r#"## Why it matters
The Pod Security Standards are the Kubernetes project's own definition of a safe pod. A
namespace labelled `pod-security.kubernetes.io/enforce` rejects pods that violate its level, so a
manifest that fails here will not deploy there, and one that passes is what auditors mean by
"baseline" or "restricted".

## How to fix
Change the field named in the message to an allowed value. `kubecomply pss FILE --level LEVEL
--version v1.N` shows exactly what the admission controller of that version would answer.

## Semantics
Evaluated with kubecomply-pss, which agrees with every upstream fixture of
kubernetes/pod-security-admission for v1.0 to v1.37; in `scan` each check runs at its own level
at the newest version.
"#;

/// The check of `kubecomply_pss::CHECKS` with this id and level; fails the build when there is
/// none, so a table row cannot name a check that does not exist.
const fn pss_check(level: Level, id: &str) -> &'static kubecomply_pss::CheckMeta {
    let mut i = 0;
    while i < kubecomply_pss::CHECKS.len() {
        let c = &kubecomply_pss::CHECKS[i];
        if str_eq(c.id, id) {
            match (c.level, level) {
                (Level::Baseline, Level::Baseline) | (Level::Restricted, Level::Restricted) => {
                    return c;
                }
                _ => panic!("a PSS rule names its check with the wrong level"),
            }
        }
        i += 1;
    }
    panic!("a PSS rule names a check kubecomply-pss does not have")
}

/// `a == b`, in a const context.
const fn str_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// The level named as in the `pss` references (`baseline/hostNamespaces`).
macro_rules! pss_level {
    (baseline) => {
        Level::Baseline
    };
    (restricted) => {
        Level::Restricted
    };
}

/// Generates one `Rule` static per row and `RULES`, in row order.
macro_rules! pss_rules {
    ($($name:ident: $code:literal, $slug:literal, $severity:ident, $level:ident $check:literal,
        $title:literal;)*) => {
        $(
            #[doc = concat!($code, " ", $slug, ".")]
            pub static $name: Rule = Rule {
                meta: RuleMeta {
                    code: $code,
                    slug: $slug,
                    title: $title,
                    severity: Severity::$severity,
                    category: Category::PodSecurityStandards,
                    since: "0.1.0",
                    docs: pss_check(pss_level!($level), $check).description,
                    references: &[reference("pss", concat!(stringify!($level), "/", $check))],
                },
                target: Target::PodTemplates,
                reads: &[],
                check: {
                    fn check(_cx: &Context<'_>, obj: &Object, out: &mut Violations) {
                        run($check, obj, out);
                    }
                    check
                },
            };
        )*

        /// The PSS rules, in code order.
        pub static RULES: &[&Rule] = &[$(&$name),*];
    };
}

// One row per rule: static, code, slug, severity; the check's level and id in
// `kubecomply_pss::CHECKS`; the title. Codes follow the order of `CHECKS`; a new check gets the
// next code.
pss_rules! {
    PSS_001: "KC-PSS-001", "pss-apparmor-profile", High,
        baseline "appArmorProfile",
        "AppArmor profile overridden or disabled";
    PSS_002: "KC-PSS-002", "pss-capabilities-baseline", High,
        baseline "capabilities_baseline",
        "Capabilities beyond the Kubernetes default set added";
    PSS_003: "KC-PSS-003", "pss-host-namespaces", High,
        baseline "hostNamespaces",
        "Host network, PID or IPC namespace shared";
    PSS_004: "KC-PSS-004", "pss-host-path-volumes", High,
        baseline "hostPathVolumes",
        "hostPath volume used";
    PSS_005: "KC-PSS-005", "pss-host-ports", High,
        baseline "hostPorts",
        "Host port used";
    PSS_006: "KC-PSS-006", "pss-host-probes-lifecycle", High,
        baseline "hostProbesAndHostLifecycle",
        "Probe or lifecycle handler targets another host";
    PSS_007: "KC-PSS-007", "pss-privileged", Critical,
        baseline "privileged",
        "Privileged container";
    PSS_008: "KC-PSS-008", "pss-proc-mount", High,
        baseline "procMount",
        "/proc mount type not Default";
    PSS_009: "KC-PSS-009", "pss-selinux-options", High,
        baseline "seLinuxOptions",
        "Custom SELinux user, role or type";
    PSS_010: "KC-PSS-010", "pss-seccomp-baseline", High,
        baseline "seccompProfile_baseline",
        "Seccomp explicitly Unconfined";
    PSS_011: "KC-PSS-011", "pss-sysctls", High,
        baseline "sysctls",
        "Sysctl outside the safe set";
    PSS_012: "KC-PSS-012", "pss-windows-host-process", Critical,
        baseline "windowsHostProcess",
        "Windows HostProcess container";
    PSS_013: "KC-PSS-013", "pss-allow-privilege-escalation", Medium,
        restricted "allowPrivilegeEscalation",
        "Privilege escalation not disabled";
    PSS_014: "KC-PSS-014", "pss-capabilities-restricted", Medium,
        restricted "capabilities_restricted",
        "Capabilities not dropped to ALL (NET_BIND_SERVICE only)";
    PSS_015: "KC-PSS-015", "pss-proc-mount-restricted", Medium,
        restricted "procMount_restricted",
        "/proc mount type not Default (restricted)";
    PSS_016: "KC-PSS-016", "pss-restricted-volumes", Medium,
        restricted "restrictedVolumes",
        "Volume type outside the restricted set";
    PSS_017: "KC-PSS-017", "pss-run-as-non-root", Medium,
        restricted "runAsNonRoot",
        "runAsNonRoot not set to true";
    PSS_018: "KC-PSS-018", "pss-run-as-user", Medium,
        restricted "runAsUser",
        "runAsUser set to 0";
    PSS_019: "KC-PSS-019", "pss-seccomp-restricted", Medium,
        restricted "seccompProfile_restricted",
        "Seccomp profile not RuntimeDefault or Localhost";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_matches_the_pss_crate() {
        assert_eq!(RULES.len(), kubecomply_pss::CHECKS.len());
        for r in RULES {
            let id = r.meta.references[0].id.split('/').nth(1).unwrap_or("");
            let meta = kubecomply_pss::check_meta(id).expect("known check");
            assert_eq!(r.meta.docs, meta.description, "{}", r.meta.code);
        }
    }
}
