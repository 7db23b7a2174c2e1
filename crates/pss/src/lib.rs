//! Pod Security Standards (PSS) evaluation with the semantics of the Kubernetes
//! Pod Security admission controller.
//!
//! # Mapping to upstream
//!
//! Upstream (`k8s.io/pod-security-admission`, folder `policy/`) registers one
//! `Check` per `check_*.go` file. A check has an ID, a level (baseline or
//! restricted) and a list of revisions, each with the minimum policy version it
//! applies to. This crate mirrors that registry:
//!
//! * [`CHECKS`] lists every check under upstream's ID (`privileged`,
//!   `hostNamespaces`, `capabilities_restricted`, ...), with the version it first
//!   applies to ([`CheckMeta::since`]).
//! * For a policy version `v1.N`, each check runs its newest revision whose
//!   minimum version is `<= v1.N`; checks whose first revision is newer do not run.
//!   [`Version::Latest`] and versions above [`LATEST_MINOR`] behave as the newest
//!   policy version (upstream clamps to the highest registered minimum version).
//! * A baseline evaluation runs the baseline checks. A restricted evaluation runs
//!   all baseline checks plus the restricted checks, except the baseline checks that
//!   an active restricted check *overrides* (upstream `OverrideCheckIDs`):
//!   `restrictedVolumes` replaces `hostPathVolumes`, `seccompProfile_restricted`
//!   (v1.19+) replaces `seccompProfile_baseline`, `capabilities_restricted`
//!   (v1.22+) replaces `capabilities_baseline`, and `procMount_restricted` (v1.35+)
//!   replaces `procMount`.
//! * Violations come out in upstream order: baseline checks sorted by ID, then
//!   restricted checks sorted by ID. Each carries upstream's `ForbiddenReason` and
//!   `ForbiddenDetail` strings, plus JSON pointers to the offending fields.
//! * Containers are visited like upstream: `initContainers`, then `containers`,
//!   then `ephemeralContainers`.
//!
//! Input is untyped JSON. Where upstream would decode into a typed field, a value of
//! the wrong JSON type is treated as unset (a forbidden volume source of the wrong
//! type still counts as present).

#![warn(missing_docs)]

mod checks;
mod util;

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use kubecomply_core::Value;

use checks::{CheckFn, Ctx};

/// The newest policy minor version this crate knows (`v1.37`).
pub const LATEST_MINOR: u32 = 37;

/// A Pod Security Standards level.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug, Hash)]
pub enum Level {
    /// Unrestricted: nothing is checked.
    Privileged,
    /// Prevents known privilege escalations.
    Baseline,
    /// Heavily restricted, current pod hardening best practices.
    Restricted,
}

impl Level {
    /// Parse `privileged`, `baseline` or `restricted` (exact, like upstream).
    pub fn parse(s: &str) -> Option<Level> {
        match s {
            "privileged" => Some(Level::Privileged),
            "baseline" => Some(Level::Baseline),
            "restricted" => Some(Level::Restricted),
            _ => None,
        }
    }

    /// The level's name as used in namespace labels.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Privileged => "privileged",
            Level::Baseline => "baseline",
            Level::Restricted => "restricted",
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Level {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Level::parse(s).ok_or_else(|| format!("invalid Pod Security level {s:?}"))
    }
}

/// A Pod Security Standards policy version: `v1.<minor>` or `latest`.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug, Hash)]
pub enum Version {
    /// `v1.<minor>`.
    V(u32),
    /// `latest`: the newest policy version.
    Latest,
}

impl Version {
    /// Parse `latest` or `v1.<minor>` (no leading zeros, like upstream's `ParseVersion`).
    pub fn parse(s: &str) -> Option<Version> {
        if s == "latest" {
            return Some(Version::Latest);
        }
        let minor = s.strip_prefix("v1.")?;
        if minor.is_empty()
            || !minor.bytes().all(|b| b.is_ascii_digit())
            || (minor.len() > 1 && minor.starts_with('0'))
        {
            return None;
        }
        minor.parse::<u32>().ok().map(Version::V)
    }

    /// The policy minor version actually evaluated: `latest` and anything newer than
    /// [`LATEST_MINOR`] evaluate as [`LATEST_MINOR`].
    pub fn effective_minor(self) -> u32 {
        match self {
            Version::V(m) => m.min(LATEST_MINOR),
            Version::Latest => LATEST_MINOR,
        }
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Version::V(m) => write!(f, "v1.{m}"),
            Version::Latest => f.write_str("latest"),
        }
    }
}

impl FromStr for Version {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Version::parse(s).ok_or_else(|| format!("invalid Pod Security version {s:?}"))
    }
}

/// Static description of one check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CheckMeta {
    /// Upstream check ID, e.g. `hostNamespaces`.
    pub id: &'static str,
    /// The level the check belongs to (`Baseline` or `Restricted`).
    pub level: Level,
    /// Short human title.
    pub title: &'static str,
    /// What the check forbids and which values are allowed.
    pub description: &'static str,
    /// First policy version the check applies to, e.g. `v1.0`.
    pub since: &'static str,
}

/// Every check, baseline first, each group sorted by ID (upstream evaluation order).
pub const CHECKS: &[CheckMeta] = &[
    CheckMeta {
        id: "appArmorProfile",
        level: Level::Baseline,
        title: "AppArmor",
        description: "Overriding or disabling the default AppArmor profile is forbidden. \
            The securityContext.appArmorProfile.type of the pod and of every container may only be \
            RuntimeDefault or Localhost (or unset). The legacy annotations \
            container.apparmor.security.beta.kubernetes.io/* may only be empty, runtime/default \
            or localhost/<profile>.",
        since: "v1.0",
    },
    CheckMeta {
        id: "capabilities_baseline",
        level: Level::Baseline,
        title: "Capabilities",
        description: "Containers may not add capabilities beyond the container runtime's \
            default set. Allowed in securityContext.capabilities.add: AUDIT_WRITE, CHOWN, \
            DAC_OVERRIDE, FOWNER, FSETID, KILL, MKNOD, NET_BIND_SERVICE, SETFCAP, SETGID, \
            SETPCAP, SETUID, SYS_CHROOT. NET_RAW and everything else is forbidden.",
        since: "v1.0",
    },
    CheckMeta {
        id: "hostNamespaces",
        level: Level::Baseline,
        title: "Host namespaces",
        description: "Sharing the node's namespaces is forbidden: spec.hostNetwork, \
            spec.hostPID and spec.hostIPC must be unset or false.",
        since: "v1.0",
    },
    CheckMeta {
        id: "hostPathVolumes",
        level: Level::Baseline,
        title: "HostPath volumes",
        description: "Volumes that mount a path of the node (spec.volumes[*].hostPath) are \
            forbidden.",
        since: "v1.0",
    },
    CheckMeta {
        id: "hostPorts",
        level: Level::Baseline,
        title: "Host ports",
        description: "Containers may not bind ports of the node: every \
            ports[*].hostPort must be unset or 0.",
        since: "v1.0",
    },
    CheckMeta {
        id: "hostProbesAndHostLifecycle",
        level: Level::Baseline,
        title: "Host probes / lifecycle hooks",
        description: "Probes (liveness, readiness, startup) and lifecycle handlers (postStart, \
            preStop) may not target another host: their httpGet.host and tcpSocket.host must be \
            unset or empty.",
        since: "v1.34",
    },
    CheckMeta {
        id: "privileged",
        level: Level::Baseline,
        title: "Privileged containers",
        description: "Privileged containers disable most isolation and are forbidden: \
            securityContext.privileged must be unset or false.",
        since: "v1.0",
    },
    CheckMeta {
        id: "procMount",
        level: Level::Baseline,
        title: "/proc mount type",
        description: "The default /proc masks must be kept: securityContext.procMount may only \
            be unset or Default. From v1.35, pods in a user namespace (spec.hostUsers: false) may \
            use any procMount at the baseline level.",
        since: "v1.0",
    },
    CheckMeta {
        id: "seLinuxOptions",
        level: Level::Baseline,
        title: "SELinux",
        description: "Custom SELinux users and roles are forbidden and the SELinux type is \
            limited: seLinuxOptions.user and .role must be unset or empty, and .type may only be \
            unset, empty, container_t, container_init_t or container_kvm_t (plus \
            container_engine_t from v1.31), on the pod and on every container.",
        since: "v1.0",
    },
    CheckMeta {
        id: "seccompProfile_baseline",
        level: Level::Baseline,
        title: "Seccomp",
        description: "Seccomp may not be disabled. Before v1.19 the seccomp annotations \
            (seccomp.security.alpha.kubernetes.io/pod and \
            container.seccomp.security.alpha.kubernetes.io/<name>) may only be runtime/default, \
            docker/default or localhost/<profile>; from v1.19 securityContext.seccompProfile.type, \
            where set, must be RuntimeDefault or Localhost (Unconfined is forbidden).",
        since: "v1.0",
    },
    CheckMeta {
        id: "sysctls",
        level: Level::Baseline,
        title: "Sysctls",
        description: "Only namespaced, isolated sysctls may be set in \
            spec.securityContext.sysctls: kernel.shm_rmid_forced, net.ipv4.ip_local_port_range, \
            net.ipv4.tcp_syncookies, net.ipv4.ping_group_range, \
            net.ipv4.ip_unprivileged_port_start; from v1.27 net.ipv4.ip_local_reserved_ports; \
            from v1.29 net.ipv4.tcp_keepalive_time, net.ipv4.tcp_fin_timeout, \
            net.ipv4.tcp_keepalive_intvl, net.ipv4.tcp_keepalive_probes; from v1.32 \
            net.ipv4.tcp_rmem, net.ipv4.tcp_wmem; from v1.37 \
            net.ipv4.tcp_slow_start_after_idle, net.ipv4.tcp_notsent_lowat.",
        since: "v1.0",
    },
    CheckMeta {
        id: "windowsHostProcess",
        level: Level::Baseline,
        title: "HostProcess",
        description: "Windows HostProcess containers have privileged access to the node and \
            are forbidden: securityContext.windowsOptions.hostProcess must be unset or false on \
            the pod and every container.",
        since: "v1.0",
    },
    CheckMeta {
        id: "allowPrivilegeEscalation",
        level: Level::Restricted,
        title: "Privilege escalation",
        description: "Every container must explicitly set \
            securityContext.allowPrivilegeEscalation to false (unset counts as allowed \
            escalation). From v1.25, Windows pods (spec.os.name: windows) are exempt.",
        since: "v1.8",
    },
    CheckMeta {
        id: "capabilities_restricted",
        level: Level::Restricted,
        title: "Capabilities (restricted)",
        description: "Every container must drop all capabilities \
            (securityContext.capabilities.drop contains ALL) and may add back only \
            NET_BIND_SERVICE. From v1.25, Windows pods are exempt.",
        since: "v1.22",
    },
    CheckMeta {
        id: "procMount_restricted",
        level: Level::Restricted,
        title: "/proc mount type (restricted)",
        description: "securityContext.procMount may only be unset or Default, also for pods \
            in a user namespace.",
        since: "v1.35",
    },
    CheckMeta {
        id: "restrictedVolumes",
        level: Level::Restricted,
        title: "Volume types",
        description: "Only these inline volume sources are allowed: configMap, csi, \
            downwardAPI, emptyDir, ephemeral, image, persistentVolumeClaim, projected, secret. \
            Every other source (hostPath, nfs, gitRepo, ...) is forbidden.",
        since: "v1.0",
    },
    CheckMeta {
        id: "runAsNonRoot",
        level: Level::Restricted,
        title: "Running as non-root",
        description: "Containers must run as non-root: either the pod sets \
            securityContext.runAsNonRoot=true and no container sets it to false, or every \
            container sets it to true. From v1.35, pods in a user namespace \
            (spec.hostUsers: false) are exempt.",
        since: "v1.0",
    },
    CheckMeta {
        id: "runAsUser",
        level: Level::Restricted,
        title: "Running as non-root user",
        description: "Neither the pod nor any container may set securityContext.runAsUser to \
            0; unset or non-zero values are allowed. From v1.35, pods in a user namespace \
            (spec.hostUsers: false) are exempt.",
        since: "v1.23",
    },
    CheckMeta {
        id: "seccompProfile_restricted",
        level: Level::Restricted,
        title: "Seccomp (restricted)",
        description: "A seccomp profile must be set explicitly: \
            securityContext.seccompProfile.type must be RuntimeDefault or Localhost on the pod, \
            or on every container that does not inherit a valid pod-level value. From v1.25, \
            Windows pods are exempt.",
        since: "v1.19",
    },
];

/// One registered check: its revisions (minimum minor version, function) and the
/// baseline check IDs it overrides in restricted evaluations.
struct Registered {
    id: &'static str,
    level: Level,
    versions: &'static [(u32, CheckFn)],
    overrides: &'static [&'static str],
}

impl Registered {
    /// The revision that applies at `minor`, if the check exists at that version.
    fn at(&self, minor: u32) -> Option<CheckFn> {
        self.versions
            .iter()
            .rev()
            .find(|(min, _)| *min <= minor)
            .map(|(_, f)| *f)
    }
}

/// The registry, in the same order as [`CHECKS`].
static REGISTRY: &[Registered] = &[
    Registered {
        id: "appArmorProfile",
        level: Level::Baseline,
        versions: &[(0, checks::app_armor_profile_v1_0)],
        overrides: &[],
    },
    Registered {
        id: "capabilities_baseline",
        level: Level::Baseline,
        versions: &[(0, checks::capabilities_baseline_v1_0)],
        overrides: &[],
    },
    Registered {
        id: "hostNamespaces",
        level: Level::Baseline,
        versions: &[(0, checks::host_namespaces_v1_0)],
        overrides: &[],
    },
    Registered {
        id: "hostPathVolumes",
        level: Level::Baseline,
        versions: &[(0, checks::host_path_volumes_v1_0)],
        overrides: &[],
    },
    Registered {
        id: "hostPorts",
        level: Level::Baseline,
        versions: &[(0, checks::host_ports_v1_0)],
        overrides: &[],
    },
    Registered {
        id: "hostProbesAndHostLifecycle",
        level: Level::Baseline,
        versions: &[(34, checks::host_probes_and_host_lifecycle_v1_34)],
        overrides: &[],
    },
    Registered {
        id: "privileged",
        level: Level::Baseline,
        versions: &[(0, checks::privileged_v1_0)],
        overrides: &[],
    },
    Registered {
        id: "procMount",
        level: Level::Baseline,
        versions: &[(0, checks::proc_mount_v1_0), (35, checks::proc_mount_v1_35)],
        overrides: &[],
    },
    Registered {
        id: "seLinuxOptions",
        level: Level::Baseline,
        versions: &[
            (0, checks::se_linux_options_v1_0),
            (31, checks::se_linux_options_v1_31),
        ],
        overrides: &[],
    },
    Registered {
        id: "seccompProfile_baseline",
        level: Level::Baseline,
        versions: &[
            (0, checks::seccomp_profile_baseline_v1_0),
            (19, checks::seccomp_profile_baseline_v1_19),
        ],
        overrides: &[],
    },
    Registered {
        id: "sysctls",
        level: Level::Baseline,
        versions: &[
            (0, checks::sysctls_v1_0),
            (27, checks::sysctls_v1_27),
            (29, checks::sysctls_v1_29),
            (32, checks::sysctls_v1_32),
            (37, checks::sysctls_v1_37),
        ],
        overrides: &[],
    },
    Registered {
        id: "windowsHostProcess",
        level: Level::Baseline,
        versions: &[(0, checks::windows_host_process_v1_0)],
        overrides: &[],
    },
    Registered {
        id: "allowPrivilegeEscalation",
        level: Level::Restricted,
        versions: &[
            (8, checks::allow_privilege_escalation_v1_8),
            (25, checks::allow_privilege_escalation_v1_25),
        ],
        overrides: &[],
    },
    Registered {
        id: "capabilities_restricted",
        level: Level::Restricted,
        versions: &[
            (22, checks::capabilities_restricted_v1_22),
            (25, checks::capabilities_restricted_v1_25),
        ],
        overrides: &["capabilities_baseline"],
    },
    Registered {
        id: "procMount_restricted",
        level: Level::Restricted,
        versions: &[(35, checks::proc_mount_restricted_v1_35)],
        overrides: &["procMount"],
    },
    Registered {
        id: "restrictedVolumes",
        level: Level::Restricted,
        versions: &[(0, checks::restricted_volumes_v1_0)],
        overrides: &["hostPathVolumes"],
    },
    Registered {
        id: "runAsNonRoot",
        level: Level::Restricted,
        versions: &[
            (0, checks::run_as_non_root_v1_0),
            (35, checks::run_as_non_root_v1_35),
        ],
        overrides: &[],
    },
    Registered {
        id: "runAsUser",
        level: Level::Restricted,
        versions: &[
            (23, checks::run_as_user_v1_23),
            (35, checks::run_as_user_v1_35),
        ],
        overrides: &[],
    },
    Registered {
        id: "seccompProfile_restricted",
        level: Level::Restricted,
        versions: &[
            (19, checks::seccomp_profile_restricted_v1_19),
            (25, checks::seccomp_profile_restricted_v1_25),
        ],
        overrides: &["seccompProfile_baseline"],
    },
];

/// One failed check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// The [`CheckMeta::id`] of the failed check.
    pub check: &'static str,
    /// Upstream's `ForbiddenReason`, e.g. `privileged`.
    pub reason: String,
    /// Upstream's `ForbiddenDetail`, e.g. `container "x" must not set securityContext.privileged=true`.
    pub detail: String,
    /// RFC 6901 pointers into the original object to each offending field (or, where a
    /// required field is missing, to its nearest existing parent).
    pub pointers: Vec<String>,
}

impl Violation {
    /// Upstream's per-check message: `reason (detail)`, or just `reason` without detail.
    pub fn message(&self) -> String {
        if self.detail.is_empty() {
            self.reason.clone()
        } else {
            format!("{} ({})", self.reason, self.detail)
        }
    }
}

/// The metadata of the check with this ID.
pub fn check_meta(id: &str) -> Option<&'static CheckMeta> {
    CHECKS.iter().find(|c| c.id == id)
}

/// IDs of the checks that run for `level` at `version`, in evaluation order.
pub fn active_checks(level: Level, version: Version) -> Vec<&'static str> {
    active(level, version.effective_minor())
        .map(|(r, _)| r.id)
        .collect()
}

fn active(level: Level, minor: u32) -> impl Iterator<Item = (&'static Registered, CheckFn)> {
    let include = move |r: &Registered| match level {
        Level::Privileged => false,
        Level::Baseline => r.level == Level::Baseline,
        Level::Restricted => true,
    };
    let overridden: BTreeSet<&'static str> = if level == Level::Restricted {
        REGISTRY
            .iter()
            .filter(|r| r.level == Level::Restricted && r.at(minor).is_some())
            .flat_map(|r| r.overrides.iter().copied())
            .collect()
    } else {
        BTreeSet::new()
    };
    REGISTRY.iter().filter_map(move |r| {
        if !include(r) || overridden.contains(r.id) {
            return None;
        }
        r.at(minor).map(|f| (r, f))
    })
}

/// Evaluate one pod (or pod template) against `level` at `version`.
///
/// `metadata` is the pod's (or template's) metadata object, if any; `spec` the PodSpec.
/// `meta_ptr` / `spec_ptr` are the JSON pointers of those two in the original object
/// (`/metadata` and `/spec` for a Pod, `/spec/template/metadata` and
/// `/spec/template/spec` for a Deployment, ...). Returns one [`Violation`] per failed
/// check, in upstream order; an empty result means the pod is allowed.
pub fn evaluate(
    metadata: Option<&Value>,
    meta_ptr: &str,
    spec: &Value,
    spec_ptr: &str,
    level: Level,
    version: Version,
) -> Vec<Violation> {
    if level == Level::Privileged {
        return Vec::new();
    }
    let ctx = Ctx::new(metadata, meta_ptr, spec, spec_ptr);
    active(level, version.effective_minor())
        .filter_map(|(_, f)| f(&ctx))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use kubecomply_core::json;
    use kubecomply_core::value::Field;

    #[test]
    fn version_parse_and_display() {
        assert_eq!(Version::parse("v1.25"), Some(Version::V(25)));
        assert_eq!(Version::parse("v1.0"), Some(Version::V(0)));
        assert_eq!(Version::parse("latest"), Some(Version::Latest));
        for bad in [
            "", "1.25", "v1.", "v1.025", "v2.1", "v1.x", "Latest", "v1.-1", "v1.2.3",
        ] {
            assert_eq!(Version::parse(bad), None, "{bad}");
        }
        assert_eq!(Version::V(25).to_string(), "v1.25");
        assert_eq!(Version::Latest.to_string(), "latest");
        assert!(Version::V(40) < Version::Latest);
        assert_eq!(Version::V(99).effective_minor(), LATEST_MINOR);
        assert_eq!(Version::Latest.effective_minor(), LATEST_MINOR);
        assert_eq!("v1.3".parse::<Version>(), Ok(Version::V(3)));
    }

    #[test]
    fn level_parse() {
        assert_eq!(Level::parse("baseline"), Some(Level::Baseline));
        assert_eq!(Level::parse("restricted"), Some(Level::Restricted));
        assert_eq!(Level::parse("privileged"), Some(Level::Privileged));
        assert_eq!(Level::parse("Baseline"), None);
        assert_eq!(Level::Restricted.as_str(), "restricted");
    }

    #[test]
    fn registry_matches_metadata() {
        assert_eq!(REGISTRY.len(), CHECKS.len());
        for (r, m) in REGISTRY.iter().zip(CHECKS) {
            assert_eq!(r.id, m.id);
            assert_eq!(r.level, m.level);
            assert_eq!(format!("v1.{}", r.versions[0].0), m.since);
            assert!(r.versions.windows(2).all(|w| w[0].0 < w[1].0));
            for o in r.overrides {
                assert!(check_meta(o).is_some_and(|c| c.level == Level::Baseline));
            }
        }
        // Upstream order: baseline IDs sorted, then restricted IDs sorted (bytewise).
        let split = CHECKS
            .iter()
            .position(|c| c.level == Level::Restricted)
            .unwrap();
        assert!(CHECKS[..split].iter().all(|c| c.level == Level::Baseline));
        assert!(CHECKS[split..].iter().all(|c| c.level == Level::Restricted));
        assert!(CHECKS[..split].windows(2).all(|w| w[0].id < w[1].id));
        assert!(CHECKS[split..].windows(2).all(|w| w[0].id < w[1].id));
    }

    #[test]
    fn overrides_and_versions() {
        let r18 = active_checks(Level::Restricted, Version::V(18));
        assert!(r18.contains(&"seccompProfile_baseline"));
        assert!(!r18.contains(&"hostPathVolumes"));
        assert!(r18.contains(&"allowPrivilegeEscalation"));
        assert!(
            !active_checks(Level::Restricted, Version::V(7)).contains(&"allowPrivilegeEscalation")
        );
        let r22 = active_checks(Level::Restricted, Version::V(22));
        assert!(!r22.contains(&"capabilities_baseline"));
        assert!(!r22.contains(&"seccompProfile_baseline"));
        let r37 = active_checks(Level::Restricted, Version::Latest);
        assert!(!r37.contains(&"procMount"));
        assert!(r37.contains(&"procMount_restricted"));
        assert_eq!(active_checks(Level::Baseline, Version::V(33)).len(), 11);
        assert_eq!(active_checks(Level::Baseline, Version::V(34)).len(), 12);
        assert!(active_checks(Level::Privileged, Version::Latest).is_empty());
    }

    #[test]
    fn deployment_pointer_prefixes() {
        let deployment = json!({
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "d"},
            "spec": {"template": {
                "metadata": {"annotations": {
                    "container.apparmor.security.beta.kubernetes.io/app": "unconfined"
                }},
                "spec": {
                    "hostNetwork": true,
                    "initContainers": [{"name": "init"}],
                    "containers": [
                        {"name": "app", "securityContext": {"privileged": true}},
                        {"name": "side", "securityContext": {"allowPrivilegeEscalation": true}}
                    ],
                    "volumes": [{"name": "h", "hostPath": {"path": "/"}}]
                }
            }}
        });
        let tmpl = &deployment["spec"]["template"];
        let out = evaluate(
            tmpl.field("metadata"),
            "/spec/template/metadata",
            &tmpl["spec"],
            "/spec/template/spec",
            Level::Restricted,
            Version::Latest,
        );
        let by = |id: &str| out.iter().find(|v| v.check == id).cloned().unwrap();

        let p = by("privileged");
        assert_eq!(
            p.pointers,
            ["/spec/template/spec/containers/0/securityContext/privileged"]
        );
        assert_eq!(
            p.message(),
            "privileged (container \"app\" must not set securityContext.privileged=true)"
        );
        assert_eq!(
            by("hostNamespaces").pointers,
            ["/spec/template/spec/hostNetwork"]
        );
        let aa = by("appArmorProfile");
        assert_eq!(
            aa.pointers,
            [
                "/spec/template/metadata/annotations/container.apparmor.security.beta.kubernetes.io~1app"
            ]
        );
        assert_eq!(
            aa.detail,
            "annotation must not set AppArmor profile type to \"container.apparmor.security.beta.kubernetes.io/app=\"unconfined\"\""
        );
        let ape = by("allowPrivilegeEscalation");
        assert_eq!(
            ape.detail,
            "containers \"init\", \"app\", \"side\" must set securityContext.allowPrivilegeEscalation=false"
        );
        assert_eq!(
            ape.pointers,
            [
                "/spec/template/spec/initContainers/0",
                "/spec/template/spec/containers/0/securityContext",
                "/spec/template/spec/containers/1/securityContext/allowPrivilegeEscalation",
            ]
        );
        let vol = by("restrictedVolumes");
        assert_eq!(vol.pointers, ["/spec/template/spec/volumes/0/hostPath"]);
        assert_eq!(
            vol.detail,
            "volume \"h\" uses restricted volume type \"hostPath\""
        );
        // hostPathVolumes is overridden by restrictedVolumes at the restricted level.
        assert!(out.iter().all(|v| v.check != "hostPathVolumes"));
        // Upstream order: baseline checks first, sorted by ID.
        let ids: Vec<&str> = out.iter().map(|v| v.check).collect();
        assert_eq!(
            ids,
            [
                "appArmorProfile",
                "hostNamespaces",
                "privileged",
                "allowPrivilegeEscalation",
                "capabilities_restricted",
                "restrictedVolumes",
                "runAsNonRoot",
                "seccompProfile_restricted",
            ]
        );
    }

    #[test]
    fn wrong_types_do_not_panic() {
        let specs = [
            json!(null),
            json!("spec"),
            json!([1, 2]),
            json!({"containers": "x", "volumes": {}, "securityContext": []}),
            json!({"containers": [1, null, "c", {"name": 5, "securityContext": "x",
                "ports": [{"hostPort": "80"}, 7], "livenessProbe": {"httpGet": 1}}],
                "securityContext": {"sysctls": [1, {"name": 2}], "runAsUser": "0",
                "seLinuxOptions": {"type": 3}},
                "hostUsers": "false", "os": {"name": 1}, "volumes": [1, {"hostPath": 1}]}),
        ];
        let metas = [
            json!(null),
            json!({"annotations": []}),
            json!({"annotations": {"a": 1}}),
        ];
        for spec in &specs {
            for meta in &metas {
                for level in [Level::Baseline, Level::Restricted] {
                    for version in [Version::V(0), Version::V(19), Version::Latest] {
                        let _ = evaluate(Some(meta), "/metadata", spec, "/spec", level, version);
                    }
                }
            }
        }
    }

    #[test]
    fn runasnonroot_pod_level_and_containers() {
        let spec = json!({
            "securityContext": {"runAsNonRoot": true},
            "containers": [
                {"name": "a"},
                {"name": "b", "securityContext": {"runAsNonRoot": false}}
            ]
        });
        let out = evaluate(
            None,
            "/metadata",
            &spec,
            "/spec",
            Level::Restricted,
            Version::V(10),
        );
        let v = out.iter().find(|v| v.check == "runAsNonRoot").unwrap();
        assert_eq!(
            v.detail,
            "container \"b\" must not set securityContext.runAsNonRoot=false"
        );
        assert_eq!(
            v.pointers,
            ["/spec/containers/1/securityContext/runAsNonRoot"]
        );
    }
}
