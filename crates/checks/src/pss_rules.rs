//! The Pod Security Standards checks as rules `KC-PSS-001`…: each check of `kubecomply-pss`
//! (the exact upstream semantics, proven on the upstream fixtures) becomes one rule, evaluated at
//! its own level (baseline checks at `baseline`, restricted checks at `restricted`) and at the
//! newest policy version. `kubecomply pss` answers for a chosen level and version instead.

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

/// KC-PSS-001 pss-apparmor-profile.
pub static PSS_001: Rule = Rule {
    meta: RuleMeta {
        code: "KC-PSS-001",
        slug: "pss-apparmor-profile",
        title: "AppArmor profile overridden or disabled",
        severity: Severity::High,
        category: Category::PodSecurityStandards,
        since: "0.1.0",
        docs: kubecomply_pss::CHECKS[0].description,
        references: &[reference("pss", "baseline/appArmorProfile")],
    },
    target: Target::PodTemplates,
    reads: &[],
    check: check_001,
};

fn check_001(_cx: &Context<'_>, obj: &Object, out: &mut Violations) {
    run("appArmorProfile", obj, out);
}

/// KC-PSS-002 pss-capabilities-baseline.
pub static PSS_002: Rule = Rule {
    meta: RuleMeta {
        code: "KC-PSS-002",
        slug: "pss-capabilities-baseline",
        title: "Capabilities beyond the Kubernetes default set added",
        severity: Severity::High,
        category: Category::PodSecurityStandards,
        since: "0.1.0",
        docs: kubecomply_pss::CHECKS[1].description,
        references: &[reference("pss", "baseline/capabilities_baseline")],
    },
    target: Target::PodTemplates,
    reads: &[],
    check: check_002,
};

fn check_002(_cx: &Context<'_>, obj: &Object, out: &mut Violations) {
    run("capabilities_baseline", obj, out);
}

/// KC-PSS-003 pss-host-namespaces.
pub static PSS_003: Rule = Rule {
    meta: RuleMeta {
        code: "KC-PSS-003",
        slug: "pss-host-namespaces",
        title: "Host network, PID or IPC namespace shared",
        severity: Severity::High,
        category: Category::PodSecurityStandards,
        since: "0.1.0",
        docs: kubecomply_pss::CHECKS[2].description,
        references: &[reference("pss", "baseline/hostNamespaces")],
    },
    target: Target::PodTemplates,
    reads: &[],
    check: check_003,
};

fn check_003(_cx: &Context<'_>, obj: &Object, out: &mut Violations) {
    run("hostNamespaces", obj, out);
}

/// KC-PSS-004 pss-host-path-volumes.
pub static PSS_004: Rule = Rule {
    meta: RuleMeta {
        code: "KC-PSS-004",
        slug: "pss-host-path-volumes",
        title: "hostPath volume used",
        severity: Severity::High,
        category: Category::PodSecurityStandards,
        since: "0.1.0",
        docs: kubecomply_pss::CHECKS[3].description,
        references: &[reference("pss", "baseline/hostPathVolumes")],
    },
    target: Target::PodTemplates,
    reads: &[],
    check: check_004,
};

fn check_004(_cx: &Context<'_>, obj: &Object, out: &mut Violations) {
    run("hostPathVolumes", obj, out);
}

/// KC-PSS-005 pss-host-ports.
pub static PSS_005: Rule = Rule {
    meta: RuleMeta {
        code: "KC-PSS-005",
        slug: "pss-host-ports",
        title: "Host port used",
        severity: Severity::High,
        category: Category::PodSecurityStandards,
        since: "0.1.0",
        docs: kubecomply_pss::CHECKS[4].description,
        references: &[reference("pss", "baseline/hostPorts")],
    },
    target: Target::PodTemplates,
    reads: &[],
    check: check_005,
};

fn check_005(_cx: &Context<'_>, obj: &Object, out: &mut Violations) {
    run("hostPorts", obj, out);
}

/// KC-PSS-006 pss-host-probes-lifecycle.
pub static PSS_006: Rule = Rule {
    meta: RuleMeta {
        code: "KC-PSS-006",
        slug: "pss-host-probes-lifecycle",
        title: "Probe or lifecycle handler targets another host",
        severity: Severity::High,
        category: Category::PodSecurityStandards,
        since: "0.1.0",
        docs: kubecomply_pss::CHECKS[5].description,
        references: &[reference("pss", "baseline/hostProbesAndHostLifecycle")],
    },
    target: Target::PodTemplates,
    reads: &[],
    check: check_006,
};

fn check_006(_cx: &Context<'_>, obj: &Object, out: &mut Violations) {
    run("hostProbesAndHostLifecycle", obj, out);
}

/// KC-PSS-007 pss-privileged.
pub static PSS_007: Rule = Rule {
    meta: RuleMeta {
        code: "KC-PSS-007",
        slug: "pss-privileged",
        title: "Privileged container",
        severity: Severity::Critical,
        category: Category::PodSecurityStandards,
        since: "0.1.0",
        docs: kubecomply_pss::CHECKS[6].description,
        references: &[reference("pss", "baseline/privileged")],
    },
    target: Target::PodTemplates,
    reads: &[],
    check: check_007,
};

fn check_007(_cx: &Context<'_>, obj: &Object, out: &mut Violations) {
    run("privileged", obj, out);
}

/// KC-PSS-008 pss-proc-mount.
pub static PSS_008: Rule = Rule {
    meta: RuleMeta {
        code: "KC-PSS-008",
        slug: "pss-proc-mount",
        title: "/proc mount type not Default",
        severity: Severity::High,
        category: Category::PodSecurityStandards,
        since: "0.1.0",
        docs: kubecomply_pss::CHECKS[7].description,
        references: &[reference("pss", "baseline/procMount")],
    },
    target: Target::PodTemplates,
    reads: &[],
    check: check_008,
};

fn check_008(_cx: &Context<'_>, obj: &Object, out: &mut Violations) {
    run("procMount", obj, out);
}

/// KC-PSS-009 pss-selinux-options.
pub static PSS_009: Rule = Rule {
    meta: RuleMeta {
        code: "KC-PSS-009",
        slug: "pss-selinux-options",
        title: "Custom SELinux user, role or type",
        severity: Severity::High,
        category: Category::PodSecurityStandards,
        since: "0.1.0",
        docs: kubecomply_pss::CHECKS[8].description,
        references: &[reference("pss", "baseline/seLinuxOptions")],
    },
    target: Target::PodTemplates,
    reads: &[],
    check: check_009,
};

fn check_009(_cx: &Context<'_>, obj: &Object, out: &mut Violations) {
    run("seLinuxOptions", obj, out);
}

/// KC-PSS-010 pss-seccomp-baseline.
pub static PSS_010: Rule = Rule {
    meta: RuleMeta {
        code: "KC-PSS-010",
        slug: "pss-seccomp-baseline",
        title: "Seccomp explicitly Unconfined",
        severity: Severity::High,
        category: Category::PodSecurityStandards,
        since: "0.1.0",
        docs: kubecomply_pss::CHECKS[9].description,
        references: &[reference("pss", "baseline/seccompProfile_baseline")],
    },
    target: Target::PodTemplates,
    reads: &[],
    check: check_010,
};

fn check_010(_cx: &Context<'_>, obj: &Object, out: &mut Violations) {
    run("seccompProfile_baseline", obj, out);
}

/// KC-PSS-011 pss-sysctls.
pub static PSS_011: Rule = Rule {
    meta: RuleMeta {
        code: "KC-PSS-011",
        slug: "pss-sysctls",
        title: "Sysctl outside the safe set",
        severity: Severity::High,
        category: Category::PodSecurityStandards,
        since: "0.1.0",
        docs: kubecomply_pss::CHECKS[10].description,
        references: &[reference("pss", "baseline/sysctls")],
    },
    target: Target::PodTemplates,
    reads: &[],
    check: check_011,
};

fn check_011(_cx: &Context<'_>, obj: &Object, out: &mut Violations) {
    run("sysctls", obj, out);
}

/// KC-PSS-012 pss-windows-host-process.
pub static PSS_012: Rule = Rule {
    meta: RuleMeta {
        code: "KC-PSS-012",
        slug: "pss-windows-host-process",
        title: "Windows HostProcess container",
        severity: Severity::Critical,
        category: Category::PodSecurityStandards,
        since: "0.1.0",
        docs: kubecomply_pss::CHECKS[11].description,
        references: &[reference("pss", "baseline/windowsHostProcess")],
    },
    target: Target::PodTemplates,
    reads: &[],
    check: check_012,
};

fn check_012(_cx: &Context<'_>, obj: &Object, out: &mut Violations) {
    run("windowsHostProcess", obj, out);
}

/// KC-PSS-013 pss-allow-privilege-escalation.
pub static PSS_013: Rule = Rule {
    meta: RuleMeta {
        code: "KC-PSS-013",
        slug: "pss-allow-privilege-escalation",
        title: "Privilege escalation not disabled",
        severity: Severity::Medium,
        category: Category::PodSecurityStandards,
        since: "0.1.0",
        docs: kubecomply_pss::CHECKS[12].description,
        references: &[reference("pss", "restricted/allowPrivilegeEscalation")],
    },
    target: Target::PodTemplates,
    reads: &[],
    check: check_013,
};

fn check_013(_cx: &Context<'_>, obj: &Object, out: &mut Violations) {
    run("allowPrivilegeEscalation", obj, out);
}

/// KC-PSS-014 pss-capabilities-restricted.
pub static PSS_014: Rule = Rule {
    meta: RuleMeta {
        code: "KC-PSS-014",
        slug: "pss-capabilities-restricted",
        title: "Capabilities not dropped to ALL (NET_BIND_SERVICE only)",
        severity: Severity::Medium,
        category: Category::PodSecurityStandards,
        since: "0.1.0",
        docs: kubecomply_pss::CHECKS[13].description,
        references: &[reference("pss", "restricted/capabilities_restricted")],
    },
    target: Target::PodTemplates,
    reads: &[],
    check: check_014,
};

fn check_014(_cx: &Context<'_>, obj: &Object, out: &mut Violations) {
    run("capabilities_restricted", obj, out);
}

/// KC-PSS-015 pss-proc-mount-restricted.
pub static PSS_015: Rule = Rule {
    meta: RuleMeta {
        code: "KC-PSS-015",
        slug: "pss-proc-mount-restricted",
        title: "/proc mount type not Default (restricted)",
        severity: Severity::Medium,
        category: Category::PodSecurityStandards,
        since: "0.1.0",
        docs: kubecomply_pss::CHECKS[14].description,
        references: &[reference("pss", "restricted/procMount_restricted")],
    },
    target: Target::PodTemplates,
    reads: &[],
    check: check_015,
};

fn check_015(_cx: &Context<'_>, obj: &Object, out: &mut Violations) {
    run("procMount_restricted", obj, out);
}

/// KC-PSS-016 pss-restricted-volumes.
pub static PSS_016: Rule = Rule {
    meta: RuleMeta {
        code: "KC-PSS-016",
        slug: "pss-restricted-volumes",
        title: "Volume type outside the restricted set",
        severity: Severity::Medium,
        category: Category::PodSecurityStandards,
        since: "0.1.0",
        docs: kubecomply_pss::CHECKS[15].description,
        references: &[reference("pss", "restricted/restrictedVolumes")],
    },
    target: Target::PodTemplates,
    reads: &[],
    check: check_016,
};

fn check_016(_cx: &Context<'_>, obj: &Object, out: &mut Violations) {
    run("restrictedVolumes", obj, out);
}

/// KC-PSS-017 pss-run-as-non-root.
pub static PSS_017: Rule = Rule {
    meta: RuleMeta {
        code: "KC-PSS-017",
        slug: "pss-run-as-non-root",
        title: "runAsNonRoot not set to true",
        severity: Severity::Medium,
        category: Category::PodSecurityStandards,
        since: "0.1.0",
        docs: kubecomply_pss::CHECKS[16].description,
        references: &[reference("pss", "restricted/runAsNonRoot")],
    },
    target: Target::PodTemplates,
    reads: &[],
    check: check_017,
};

fn check_017(_cx: &Context<'_>, obj: &Object, out: &mut Violations) {
    run("runAsNonRoot", obj, out);
}

/// KC-PSS-018 pss-run-as-user.
pub static PSS_018: Rule = Rule {
    meta: RuleMeta {
        code: "KC-PSS-018",
        slug: "pss-run-as-user",
        title: "runAsUser set to 0",
        severity: Severity::Medium,
        category: Category::PodSecurityStandards,
        since: "0.1.0",
        docs: kubecomply_pss::CHECKS[17].description,
        references: &[reference("pss", "restricted/runAsUser")],
    },
    target: Target::PodTemplates,
    reads: &[],
    check: check_018,
};

fn check_018(_cx: &Context<'_>, obj: &Object, out: &mut Violations) {
    run("runAsUser", obj, out);
}

/// KC-PSS-019 pss-seccomp-restricted.
pub static PSS_019: Rule = Rule {
    meta: RuleMeta {
        code: "KC-PSS-019",
        slug: "pss-seccomp-restricted",
        title: "Seccomp profile not RuntimeDefault or Localhost",
        severity: Severity::Medium,
        category: Category::PodSecurityStandards,
        since: "0.1.0",
        docs: kubecomply_pss::CHECKS[18].description,
        references: &[reference("pss", "restricted/seccompProfile_restricted")],
    },
    target: Target::PodTemplates,
    reads: &[],
    check: check_019,
};

fn check_019(_cx: &Context<'_>, obj: &Object, out: &mut Violations) {
    run("seccompProfile_restricted", obj, out);
}

/// The PSS rules, in code order.
pub static RULES: &[&Rule] = &[
    &PSS_001, &PSS_002, &PSS_003, &PSS_004, &PSS_005, &PSS_006, &PSS_007, &PSS_008, &PSS_009,
    &PSS_010, &PSS_011, &PSS_012, &PSS_013, &PSS_014, &PSS_015, &PSS_016, &PSS_017, &PSS_018,
    &PSS_019,
];

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
