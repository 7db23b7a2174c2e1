//! The individual checks, one function per upstream check revision.
//!
//! Each function mirrors the decision logic and the reason/detail wording of the
//! corresponding upstream `check_*.go` revision, and additionally records JSON
//! pointers to the offending fields.

use std::collections::BTreeSet;

use kubecomply_core::{Map, Value};

use crate::Violation;
use crate::util::{
    array, boolean, containers_phrase, go_quote, integer, join_quote, map, member, nearest, obj,
    pluralize, ptr, string,
};

/// One container (regular, init or ephemeral) with its pointer in the original object.
pub(crate) struct Container<'a> {
    pub value: &'a Value,
    pub ptr: String,
    pub name: &'a str,
}

impl<'a> Container<'a> {
    fn sc(&self) -> Option<&'a Value> {
        obj(self.value, "securityContext")
    }

    fn sc_ptr(&self, tokens: &[&str]) -> String {
        let mut all = vec!["securityContext"];
        all.extend_from_slice(tokens);
        ptr(&self.ptr, &all)
    }

    /// Pointer to `securityContext/<tokens>` or its nearest existing parent.
    fn sc_nearest(&self, tokens: &[&str]) -> String {
        let mut all = vec!["securityContext"];
        all.extend_from_slice(tokens);
        nearest(self.value, &self.ptr, &all)
    }
}

/// Evaluation context: the pod metadata/spec and their pointer prefixes.
pub(crate) struct Ctx<'a> {
    pub meta: Option<&'a Value>,
    pub meta_ptr: &'a str,
    pub spec: &'a Value,
    pub spec_ptr: &'a str,
    pub containers: Vec<Container<'a>>,
}

impl<'a> Ctx<'a> {
    pub(crate) fn new(
        meta: Option<&'a Value>,
        meta_ptr: &'a str,
        spec: &'a Value,
        spec_ptr: &'a str,
    ) -> Self {
        // Upstream visits init containers, then containers, then ephemeral containers.
        let mut containers = Vec::new();
        for key in ["initContainers", "containers", "ephemeralContainers"] {
            for (i, c) in array(spec, key).iter().enumerate() {
                containers.push(Container {
                    value: c,
                    ptr: ptr(spec_ptr, &[key, &i.to_string()]),
                    name: string(c, "name").unwrap_or(""),
                });
            }
        }
        Ctx {
            meta,
            meta_ptr,
            spec,
            spec_ptr,
            containers,
        }
    }

    fn pod_sc(&self) -> Option<&'a Value> {
        obj(self.spec, "securityContext")
    }

    fn spec_ptr(&self, tokens: &[&str]) -> String {
        ptr(self.spec_ptr, tokens)
    }

    fn annotations(&self) -> Option<&'a Map> {
        self.meta.and_then(|m| map(m, "annotations"))
    }

    fn annotation_ptr(&self, key: &str) -> String {
        ptr(self.meta_ptr, &["annotations", key])
    }

    /// `spec.os.name == "windows"`.
    fn is_windows(&self) -> bool {
        obj(self.spec, "os").and_then(|os| string(os, "name")) == Some("windows")
    }

    /// Upstream `relaxPolicyForUserNamespacePod`: `spec.hostUsers` explicitly false.
    fn user_namespace(&self) -> bool {
        boolean(self.spec, "hostUsers") == Some(false)
    }
}

fn violation(
    check: &'static str,
    reason: &str,
    detail: String,
    pointers: Vec<String>,
) -> Violation {
    Violation {
        check,
        reason: reason.to_string(),
        detail,
        pointers,
    }
}

/// Signature of one check revision.
pub(crate) type CheckFn = fn(&Ctx) -> Option<Violation>;

// ---------------------------------------------------------------------------------------------
// Baseline
// ---------------------------------------------------------------------------------------------

fn apparmor_type_allowed(t: &str) -> bool {
    t == "RuntimeDefault" || t == "Localhost"
}

fn apparmor_annotation_allowed(v: &str) -> bool {
    v.is_empty() || v == "runtime/default" || v.starts_with("localhost/")
}

const APPARMOR_ANNOTATION_PREFIX: &str = "container.apparmor.security.beta.kubernetes.io/";

/// The pod-level and container-level `securityContext.<field>.type` values that `allowed`
/// rejects: who set them (`pod`, then `containers "a", "b"`), the distinct values, and pointers.
fn bad_profile_types(
    ctx: &Ctx,
    field: &str,
    allowed: fn(&str) -> bool,
) -> (Vec<String>, BTreeSet<String>, Vec<String>) {
    let mut setters = Vec::new();
    let mut bad_values = BTreeSet::new();
    let mut pointers = Vec::new();
    if let Some(profile) = ctx.pod_sc().and_then(|sc| obj(sc, field)) {
        let t = string(profile, "type").unwrap_or("");
        if !allowed(t) {
            setters.push("pod".to_string());
            bad_values.insert(t.to_string());
            pointers.push(nearest(
                ctx.spec,
                ctx.spec_ptr,
                &["securityContext", field, "type"],
            ));
        }
    }
    let mut bad_containers = Vec::new();
    for c in &ctx.containers {
        if let Some(profile) = c.sc().and_then(|sc| obj(sc, field)) {
            let t = string(profile, "type").unwrap_or("");
            if !allowed(t) {
                bad_containers.push(c.name);
                bad_values.insert(t.to_string());
                pointers.push(c.sc_nearest(&[field, "type"]));
            }
        }
    }
    if !bad_containers.is_empty() {
        setters.push(containers_phrase(&bad_containers));
    }
    (setters, bad_values, pointers)
}

/// appArmorProfile, v1.0: the `appArmorProfile` fields and the beta annotations.
pub(crate) fn app_armor_profile_v1_0(ctx: &Ctx) -> Option<Violation> {
    let (mut setters, bad_values, mut pointers) =
        bad_profile_types(ctx, "appArmorProfile", apparmor_type_allowed);

    let mut forbidden_annotations: Vec<(String, String)> = Vec::new();
    if let Some(annotations) = ctx.annotations() {
        for (k, v) in annotations {
            let Some(v) = v.as_str() else { continue };
            if k.starts_with(APPARMOR_ANNOTATION_PREFIX) && !apparmor_annotation_allowed(v) {
                forbidden_annotations.push((format!("{k}={}", go_quote(v)), ctx.annotation_ptr(k)));
            }
        }
    }
    let mut bad_list: Vec<String> = bad_values.into_iter().collect();
    if !forbidden_annotations.is_empty() {
        forbidden_annotations.sort();
        setters
            .push(pluralize("annotation", "annotations", forbidden_annotations.len()).to_string());
        for (text, p) in forbidden_annotations {
            bad_list.push(text);
            pointers.push(p);
        }
    }
    if setters.is_empty() {
        return None;
    }
    Some(violation(
        "appArmorProfile",
        pluralize(
            "forbidden AppArmor profile",
            "forbidden AppArmor profiles",
            bad_list.len(),
        ),
        format!(
            "{} must not set AppArmor profile type to {}",
            setters.join(" and "),
            join_quote(&bad_list)
        ),
        pointers,
    ))
}

const CAPABILITIES_BASELINE_ALLOWED: &[&str] = &[
    "AUDIT_WRITE",
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "MKNOD",
    "NET_BIND_SERVICE",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYS_CHROOT",
];

/// capabilities_baseline, v1.0: only the default capability set may be added.
pub(crate) fn capabilities_baseline_v1_0(ctx: &Ctx) -> Option<Violation> {
    let mut bad_containers = Vec::new();
    let mut caps = BTreeSet::new();
    let mut pointers = Vec::new();
    for c in &ctx.containers {
        let Some(capabilities) = c.sc().and_then(|sc| obj(sc, "capabilities")) else {
            continue;
        };
        let mut valid = true;
        for (j, cap) in array(capabilities, "add").iter().enumerate() {
            let Some(cap) = cap.as_str() else { continue };
            if !CAPABILITIES_BASELINE_ALLOWED.contains(&cap) {
                valid = false;
                caps.insert(cap.to_string());
                pointers.push(c.sc_ptr(&["capabilities", "add", &j.to_string()]));
            }
        }
        if !valid {
            bad_containers.push(c.name);
        }
    }
    if bad_containers.is_empty() {
        return None;
    }
    let caps: Vec<String> = caps.into_iter().collect();
    Some(violation(
        "capabilities_baseline",
        "non-default capabilities",
        format!(
            "{} must not include {} in securityContext.capabilities.add",
            containers_phrase(&bad_containers),
            join_quote(&caps)
        ),
        pointers,
    ))
}

/// hostNamespaces, v1.0: hostNetwork, hostPID and hostIPC must not be true.
pub(crate) fn host_namespaces_v1_0(ctx: &Ctx) -> Option<Violation> {
    // Sorted like upstream's string set.
    let mut found = Vec::new();
    let mut pointers = Vec::new();
    for field in ["hostIPC", "hostNetwork", "hostPID"] {
        if boolean(ctx.spec, field) == Some(true) {
            found.push(field);
        }
    }
    // Pointers in spec order (network, PID, IPC) for readability.
    for field in ["hostNetwork", "hostPID", "hostIPC"] {
        if boolean(ctx.spec, field) == Some(true) {
            pointers.push(ctx.spec_ptr(&[field]));
        }
    }
    if found.is_empty() {
        return None;
    }
    Some(violation(
        "hostNamespaces",
        "host namespaces",
        found.join(", "),
        pointers,
    ))
}

/// hostPathVolumes, v1.0: no hostPath volumes.
pub(crate) fn host_path_volumes_v1_0(ctx: &Ctx) -> Option<Violation> {
    let mut names = Vec::new();
    let mut pointers = Vec::new();
    for (i, vol) in array(ctx.spec, "volumes").iter().enumerate() {
        if member(vol, "hostPath").is_some() {
            names.push(string(vol, "name").unwrap_or(""));
            pointers.push(ctx.spec_ptr(&["volumes", &i.to_string(), "hostPath"]));
        }
    }
    if names.is_empty() {
        return None;
    }
    Some(violation(
        "hostPathVolumes",
        "hostPath volumes",
        format!(
            "{} {}",
            pluralize("volume", "volumes", names.len()),
            join_quote(&names)
        ),
        pointers,
    ))
}

/// hostPorts, v1.0: no container port may set a non-zero hostPort.
pub(crate) fn host_ports_v1_0(ctx: &Ctx) -> Option<Violation> {
    let mut bad_containers = Vec::new();
    let mut ports = BTreeSet::new();
    let mut pointers = Vec::new();
    for c in &ctx.containers {
        let mut valid = true;
        for (j, port) in array(c.value, "ports").iter().enumerate() {
            let hp = integer(port, "hostPort").unwrap_or(0);
            if hp != 0 {
                valid = false;
                ports.insert(hp.to_string());
                pointers.push(ptr(&c.ptr, &["ports", &j.to_string(), "hostPort"]));
            }
        }
        if !valid {
            bad_containers.push(c.name);
        }
    }
    if bad_containers.is_empty() {
        return None;
    }
    let ports: Vec<String> = ports.into_iter().collect();
    Some(violation(
        "hostPorts",
        "hostPort",
        format!(
            "{} {} {} {}",
            containers_phrase(&bad_containers),
            pluralize("uses", "use", bad_containers.len()),
            pluralize("hostPort", "hostPorts", ports.len()),
            ports.join(", ")
        ),
        pointers,
    ))
}

/// hostProbesAndHostLifecycle, v1.34: probes and lifecycle handlers must not set `host`.
pub(crate) fn host_probes_and_host_lifecycle_v1_34(ctx: &Ctx) -> Option<Violation> {
    let mut bad_containers: BTreeSet<&str> = BTreeSet::new();
    let mut hosts: BTreeSet<&str> = BTreeSet::new();
    let mut pointers = Vec::new();
    for c in &ctx.containers {
        let mut handlers: Vec<(&Value, Vec<&str>)> = Vec::new();
        for probe in ["livenessProbe", "readinessProbe", "startupProbe"] {
            if let Some(p) = obj(c.value, probe) {
                handlers.push((p, vec![probe]));
            }
        }
        if let Some(lifecycle) = obj(c.value, "lifecycle") {
            for hook in ["postStart", "preStop"] {
                if let Some(h) = obj(lifecycle, hook) {
                    handlers.push((h, vec!["lifecycle", hook]));
                }
            }
        }
        for (handler, path) in handlers {
            for action in ["httpGet", "tcpSocket"] {
                let Some(host) = obj(handler, action).and_then(|a| string(a, "host")) else {
                    continue;
                };
                if host.is_empty() {
                    continue;
                }
                bad_containers.insert(c.name);
                hosts.insert(host);
                let mut tokens = path.clone();
                tokens.push(action);
                tokens.push("host");
                pointers.push(ptr(&c.ptr, &tokens));
            }
        }
    }
    if bad_containers.is_empty() {
        return None;
    }
    let names: Vec<&str> = bad_containers.into_iter().collect();
    let hosts: Vec<&str> = hosts.into_iter().collect();
    Some(violation(
        "hostProbesAndHostLifecycle",
        "probe or lifecycle host",
        format!(
            "{} {} {} {}",
            containers_phrase(&names),
            pluralize("uses", "use", names.len()),
            pluralize(
                "probe or lifecycle host",
                "probe or lifecycle hosts",
                hosts.len()
            ),
            join_quote(&hosts)
        ),
        pointers,
    ))
}

/// privileged, v1.0: no container may set `privileged: true`.
pub(crate) fn privileged_v1_0(ctx: &Ctx) -> Option<Violation> {
    let mut bad = Vec::new();
    let mut pointers = Vec::new();
    for c in &ctx.containers {
        if c.sc().and_then(|sc| boolean(sc, "privileged")) == Some(true) {
            bad.push(c.name);
            pointers.push(c.sc_ptr(&["privileged"]));
        }
    }
    if bad.is_empty() {
        return None;
    }
    Some(violation(
        "privileged",
        "privileged",
        format!(
            "{} must not set securityContext.privileged=true",
            containers_phrase(&bad)
        ),
        pointers,
    ))
}

/// Shared procMount logic: only unset or `Default` is allowed.
fn proc_mount_unconditional(ctx: &Ctx, id: &'static str) -> Option<Violation> {
    let mut bad = Vec::new();
    let mut types = BTreeSet::new();
    let mut pointers = Vec::new();
    for c in &ctx.containers {
        let Some(pm) = c.sc().and_then(|sc| string(sc, "procMount")) else {
            continue;
        };
        if pm != "Default" {
            bad.push(c.name);
            types.insert(pm.to_string());
            pointers.push(c.sc_ptr(&["procMount"]));
        }
    }
    if bad.is_empty() {
        return None;
    }
    let types: Vec<String> = types.into_iter().collect();
    Some(violation(
        id,
        "procMount",
        format!(
            "{} must not set securityContext.procMount to {}",
            containers_phrase(&bad),
            join_quote(&types)
        ),
        pointers,
    ))
}

/// procMount (baseline), v1.0: only unset or `Default`.
pub(crate) fn proc_mount_v1_0(ctx: &Ctx) -> Option<Violation> {
    proc_mount_unconditional(ctx, "procMount")
}

/// procMount (baseline), v1.35: anything goes for user-namespace pods (`hostUsers: false`).
pub(crate) fn proc_mount_v1_35(ctx: &Ctx) -> Option<Violation> {
    if ctx.user_namespace() {
        return None;
    }
    proc_mount_unconditional(ctx, "procMount")
}

const SELINUX_TYPES_1_0: &[&str] = &["", "container_t", "container_init_t", "container_kvm_t"];
const SELINUX_TYPES_1_31: &[&str] = &[
    "",
    "container_t",
    "container_init_t",
    "container_kvm_t",
    "container_engine_t",
];

fn se_linux_options(ctx: &Ctx, allowed: &[&str]) -> Option<Violation> {
    let mut setters = Vec::new();
    let mut bad_types = BTreeSet::new();
    let mut set_user = false;
    let mut set_role = false;
    let mut pointers = Vec::new();

    let mut inspect = |opts: &Value, base: String, pointers: &mut Vec<String>| -> bool {
        let mut valid = true;
        let t = string(opts, "type").unwrap_or("");
        if !allowed.contains(&t) {
            valid = false;
            bad_types.insert(t.to_string());
            pointers.push(ptr(&base, &["type"]));
        }
        if string(opts, "user").is_some_and(|u| !u.is_empty()) {
            valid = false;
            set_user = true;
            pointers.push(ptr(&base, &["user"]));
        }
        if string(opts, "role").is_some_and(|r| !r.is_empty()) {
            valid = false;
            set_role = true;
            pointers.push(ptr(&base, &["role"]));
        }
        valid
    };

    if let Some(opts) = ctx.pod_sc().and_then(|sc| obj(sc, "seLinuxOptions")) {
        let base = ctx.spec_ptr(&["securityContext", "seLinuxOptions"]);
        if !inspect(opts, base, &mut pointers) {
            setters.push("pod".to_string());
        }
    }
    let mut bad_containers = Vec::new();
    for c in &ctx.containers {
        if let Some(opts) = c.sc().and_then(|sc| obj(sc, "seLinuxOptions"))
            && !inspect(opts, c.sc_ptr(&["seLinuxOptions"]), &mut pointers)
        {
            bad_containers.push(c.name);
        }
    }
    if !bad_containers.is_empty() {
        setters.push(containers_phrase(&bad_containers));
    }
    if setters.is_empty() {
        return None;
    }
    let mut data = Vec::new();
    if !bad_types.is_empty() {
        let types: Vec<String> = bad_types.into_iter().collect();
        data.push(format!(
            "{} {}",
            pluralize("type", "types", types.len()),
            join_quote(&types)
        ));
    }
    if set_user {
        data.push("user may not be set".to_string());
    }
    if set_role {
        data.push("role may not be set".to_string());
    }
    Some(violation(
        "seLinuxOptions",
        "seLinuxOptions",
        format!(
            "{} set forbidden securityContext.seLinuxOptions: {}",
            setters.join(" and "),
            data.join("; ")
        ),
        pointers,
    ))
}

/// seLinuxOptions, v1.0.
pub(crate) fn se_linux_options_v1_0(ctx: &Ctx) -> Option<Violation> {
    se_linux_options(ctx, SELINUX_TYPES_1_0)
}

/// seLinuxOptions, v1.31: adds `container_engine_t`.
pub(crate) fn se_linux_options_v1_31(ctx: &Ctx) -> Option<Violation> {
    se_linux_options(ctx, SELINUX_TYPES_1_31)
}

const SECCOMP_POD_ANNOTATION: &str = "seccomp.security.alpha.kubernetes.io/pod";
const SECCOMP_CONTAINER_ANNOTATION_PREFIX: &str = "container.seccomp.security.alpha.kubernetes.io/";

fn seccomp_annotation_allowed(v: &str) -> bool {
    v == "runtime/default" || v == "docker/default" || v.starts_with("localhost/")
}

fn seccomp_type_allowed(t: &str) -> bool {
    t == "RuntimeDefault" || t == "Localhost"
}

/// seccompProfile_baseline, v1.0: the alpha seccomp annotations.
pub(crate) fn seccomp_profile_baseline_v1_0(ctx: &Ctx) -> Option<Violation> {
    let annotations = ctx.annotations()?;
    let mut forbidden: BTreeSet<String> = BTreeSet::new();
    let mut pointers = Vec::new();
    let mut inspect = |key: &str| {
        if let Some(v) = annotations.get(key).and_then(Value::as_str)
            && !seccomp_annotation_allowed(v)
        {
            let p = ctx.annotation_ptr(key);
            if !pointers.contains(&p) {
                pointers.push(p);
            }
            forbidden.insert(format!("{key}={}", go_quote(v)));
        }
    };
    inspect(SECCOMP_POD_ANNOTATION);
    for c in &ctx.containers {
        inspect(&format!("{SECCOMP_CONTAINER_ANNOTATION_PREFIX}{}", c.name));
    }
    if forbidden.is_empty() {
        return None;
    }
    let list: Vec<String> = forbidden.into_iter().collect();
    Some(violation(
        "seccompProfile_baseline",
        "seccompProfile",
        format!(
            "forbidden {} {}",
            pluralize("annotation", "annotations", list.len()),
            list.join(", ")
        ),
        pointers,
    ))
}

/// seccompProfile_baseline, v1.19: the `seccompProfile` fields, if set, must be
/// `RuntimeDefault` or `Localhost`.
pub(crate) fn seccomp_profile_baseline_v1_19(ctx: &Ctx) -> Option<Violation> {
    let (setters, bad_values, pointers) =
        bad_profile_types(ctx, "seccompProfile", seccomp_type_allowed);
    if setters.is_empty() {
        return None;
    }
    let values: Vec<String> = bad_values.into_iter().collect();
    Some(violation(
        "seccompProfile_baseline",
        "seccompProfile",
        format!(
            "{} must not set securityContext.seccompProfile.type to {}",
            setters.join(" and "),
            join_quote(&values)
        ),
        pointers,
    ))
}

const SYSCTLS_1_0: &[&str] = &[
    "kernel.shm_rmid_forced",
    "net.ipv4.ip_local_port_range",
    "net.ipv4.tcp_syncookies",
    "net.ipv4.ping_group_range",
    "net.ipv4.ip_unprivileged_port_start",
];
const SYSCTLS_ADDED_1_27: &[&str] = &["net.ipv4.ip_local_reserved_ports"];
const SYSCTLS_ADDED_1_29: &[&str] = &[
    "net.ipv4.tcp_keepalive_time",
    "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
];
const SYSCTLS_ADDED_1_32: &[&str] = &["net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem"];
const SYSCTLS_ADDED_1_37: &[&str] = &[
    "net.ipv4.tcp_slow_start_after_idle",
    "net.ipv4.tcp_notsent_lowat",
];

fn sysctls(ctx: &Ctx, allowed: &[&[&str]]) -> Option<Violation> {
    let mut forbidden = Vec::new();
    let mut pointers = Vec::new();
    if let Some(sc) = ctx.pod_sc() {
        for (i, s) in array(sc, "sysctls").iter().enumerate() {
            let name = string(s, "name").unwrap_or("");
            if !allowed.iter().any(|set| set.contains(&name)) {
                forbidden.push(name);
                pointers.push(nearest(
                    s,
                    &ctx.spec_ptr(&["securityContext", "sysctls", &i.to_string()]),
                    &["name"],
                ));
            }
        }
    }
    if forbidden.is_empty() {
        return None;
    }
    Some(violation(
        "sysctls",
        "forbidden sysctls",
        forbidden.join(", "),
        pointers,
    ))
}

/// sysctls, v1.0.
pub(crate) fn sysctls_v1_0(ctx: &Ctx) -> Option<Violation> {
    sysctls(ctx, &[SYSCTLS_1_0])
}

/// sysctls, v1.27: adds `net.ipv4.ip_local_reserved_ports`.
pub(crate) fn sysctls_v1_27(ctx: &Ctx) -> Option<Violation> {
    sysctls(ctx, &[SYSCTLS_1_0, SYSCTLS_ADDED_1_27])
}

/// sysctls, v1.29: adds the TCP keepalive / fin-timeout sysctls.
pub(crate) fn sysctls_v1_29(ctx: &Ctx) -> Option<Violation> {
    sysctls(ctx, &[SYSCTLS_1_0, SYSCTLS_ADDED_1_27, SYSCTLS_ADDED_1_29])
}

/// sysctls, v1.32: adds `net.ipv4.tcp_rmem` / `net.ipv4.tcp_wmem`.
pub(crate) fn sysctls_v1_32(ctx: &Ctx) -> Option<Violation> {
    sysctls(
        ctx,
        &[
            SYSCTLS_1_0,
            SYSCTLS_ADDED_1_27,
            SYSCTLS_ADDED_1_29,
            SYSCTLS_ADDED_1_32,
        ],
    )
}

/// sysctls, v1.37: adds `net.ipv4.tcp_slow_start_after_idle` / `net.ipv4.tcp_notsent_lowat`.
pub(crate) fn sysctls_v1_37(ctx: &Ctx) -> Option<Violation> {
    sysctls(
        ctx,
        &[
            SYSCTLS_1_0,
            SYSCTLS_ADDED_1_27,
            SYSCTLS_ADDED_1_29,
            SYSCTLS_ADDED_1_32,
            SYSCTLS_ADDED_1_37,
        ],
    )
}

/// windowsHostProcess, v1.0: `windowsOptions.hostProcess` must not be true.
pub(crate) fn windows_host_process_v1_0(ctx: &Ctx) -> Option<Violation> {
    let host_process = |sc: &Value| {
        obj(sc, "windowsOptions").and_then(|w| boolean(w, "hostProcess")) == Some(true)
    };
    let mut setters = Vec::new();
    let mut pointers = Vec::new();
    if ctx.pod_sc().is_some_and(host_process) {
        setters.push("pod".to_string());
        pointers.push(ctx.spec_ptr(&["securityContext", "windowsOptions", "hostProcess"]));
    }
    let mut bad = Vec::new();
    for c in &ctx.containers {
        if c.sc().is_some_and(host_process) {
            bad.push(c.name);
            pointers.push(c.sc_ptr(&["windowsOptions", "hostProcess"]));
        }
    }
    if !bad.is_empty() {
        setters.push(containers_phrase(&bad));
    }
    if setters.is_empty() {
        return None;
    }
    Some(violation(
        "windowsHostProcess",
        "hostProcess",
        format!(
            "{} must not set securityContext.windowsOptions.hostProcess=true",
            setters.join(" and ")
        ),
        pointers,
    ))
}

// ---------------------------------------------------------------------------------------------
// Restricted
// ---------------------------------------------------------------------------------------------

/// allowPrivilegeEscalation, v1.8: every container must set it to false.
pub(crate) fn allow_privilege_escalation_v1_8(ctx: &Ctx) -> Option<Violation> {
    let mut bad = Vec::new();
    let mut pointers = Vec::new();
    for c in &ctx.containers {
        if c.sc()
            .and_then(|sc| boolean(sc, "allowPrivilegeEscalation"))
            != Some(false)
        {
            bad.push(c.name);
            pointers.push(c.sc_nearest(&["allowPrivilegeEscalation"]));
        }
    }
    if bad.is_empty() {
        return None;
    }
    Some(violation(
        "allowPrivilegeEscalation",
        "allowPrivilegeEscalation != false",
        format!(
            "{} must set securityContext.allowPrivilegeEscalation=false",
            containers_phrase(&bad)
        ),
        pointers,
    ))
}

/// allowPrivilegeEscalation, v1.25: Windows pods are exempt.
pub(crate) fn allow_privilege_escalation_v1_25(ctx: &Ctx) -> Option<Violation> {
    if ctx.is_windows() {
        return None;
    }
    allow_privilege_escalation_v1_8(ctx)
}

/// capabilities_restricted, v1.22: drop ALL, add at most NET_BIND_SERVICE.
pub(crate) fn capabilities_restricted_v1_22(ctx: &Ctx) -> Option<Violation> {
    let mut missing_drop_all = Vec::new();
    let mut adding_forbidden = Vec::new();
    let mut forbidden_caps = BTreeSet::new();
    let mut pointers = Vec::new();
    for c in &ctx.containers {
        let Some(capabilities) = c.sc().and_then(|sc| obj(sc, "capabilities")) else {
            missing_drop_all.push(c.name);
            pointers.push(c.sc_nearest(&["capabilities", "drop"]));
            continue;
        };
        let dropped_all = array(capabilities, "drop")
            .iter()
            .any(|d| d.as_str() == Some("ALL"));
        if !dropped_all {
            missing_drop_all.push(c.name);
            pointers.push(c.sc_nearest(&["capabilities", "drop"]));
        }
        let mut added_forbidden = false;
        for (j, cap) in array(capabilities, "add").iter().enumerate() {
            let Some(cap) = cap.as_str() else { continue };
            if cap != "NET_BIND_SERVICE" {
                added_forbidden = true;
                forbidden_caps.insert(cap.to_string());
                pointers.push(c.sc_ptr(&["capabilities", "add", &j.to_string()]));
            }
        }
        if added_forbidden {
            adding_forbidden.push(c.name);
        }
    }
    let mut details = Vec::new();
    if !missing_drop_all.is_empty() {
        details.push(format!(
            "{} must set securityContext.capabilities.drop=[\"ALL\"]",
            containers_phrase(&missing_drop_all)
        ));
    }
    if !adding_forbidden.is_empty() {
        let caps: Vec<String> = forbidden_caps.into_iter().collect();
        details.push(format!(
            "{} must not include {} in securityContext.capabilities.add",
            containers_phrase(&adding_forbidden),
            join_quote(&caps)
        ));
    }
    if details.is_empty() {
        return None;
    }
    Some(violation(
        "capabilities_restricted",
        "unrestricted capabilities",
        details.join("; "),
        pointers,
    ))
}

/// capabilities_restricted, v1.25: Windows pods are exempt.
pub(crate) fn capabilities_restricted_v1_25(ctx: &Ctx) -> Option<Violation> {
    if ctx.is_windows() {
        return None;
    }
    capabilities_restricted_v1_22(ctx)
}

/// procMount_restricted, v1.35: only unset or `Default`, even for user-namespace pods.
pub(crate) fn proc_mount_restricted_v1_35(ctx: &Ctx) -> Option<Violation> {
    proc_mount_unconditional(ctx, "procMount_restricted")
}

/// Volume sources the restricted level allows.
const RESTRICTED_VOLUMES_ALLOWED: &[&str] = &[
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "image",
    "persistentVolumeClaim",
    "projected",
    "secret",
];

/// Volume sources the restricted level forbids, in upstream's matching order.
const RESTRICTED_VOLUMES_FORBIDDEN: &[&str] = &[
    "hostPath",
    "gcePersistentDisk",
    "awsElasticBlockStore",
    "gitRepo",
    "nfs",
    "iscsi",
    "glusterfs",
    "rbd",
    "flexVolume",
    "cinder",
    "cephfs",
    "flocker",
    "fc",
    "azureFile",
    "vsphereVolume",
    "quobyte",
    "azureDisk",
    "photonPersistentDisk",
    "portworxVolume",
    "scaleIO",
    "storageos",
];

/// restrictedVolumes, v1.0: only the allowed inline volume sources.
pub(crate) fn restricted_volumes_v1_0(ctx: &Ctx) -> Option<Violation> {
    let mut bad_volumes = Vec::new();
    let mut bad_types = BTreeSet::new();
    let mut pointers = Vec::new();
    for (i, vol) in array(ctx.spec, "volumes").iter().enumerate() {
        if RESTRICTED_VOLUMES_ALLOWED
            .iter()
            .any(|k| obj(vol, k).is_some())
        {
            continue;
        }
        // API defaulting turns a volume without any source into an emptyDir volume
        // (`SetDefaults_Volume`), which is allowed.
        let has_source = vol
            .as_object()
            .is_some_and(|m| m.iter().any(|(k, v)| k != "name" && !v.is_null()));
        if !has_source {
            continue;
        }
        bad_volumes.push(string(vol, "name").unwrap_or(""));
        let index = i.to_string();
        match RESTRICTED_VOLUMES_FORBIDDEN
            .iter()
            .find(|k| member(vol, k).is_some())
        {
            Some(kind) => {
                bad_types.insert(*kind);
                pointers.push(ctx.spec_ptr(&["volumes", &index, kind]));
            }
            None => {
                bad_types.insert("unknown");
                pointers.push(ctx.spec_ptr(&["volumes", &index]));
            }
        }
    }
    if bad_volumes.is_empty() {
        return None;
    }
    let types: Vec<&str> = bad_types.into_iter().collect();
    Some(violation(
        "restrictedVolumes",
        "restricted volume types",
        format!(
            "{} {} {} {} {}",
            pluralize("volume", "volumes", bad_volumes.len()),
            join_quote(&bad_volumes),
            pluralize("uses", "use", bad_volumes.len()),
            pluralize(
                "restricted volume type",
                "restricted volume types",
                types.len()
            ),
            join_quote(&types)
        ),
        pointers,
    ))
}

/// runAsNonRoot, v1.0: pod-level true (and no container false), or every container true.
pub(crate) fn run_as_non_root_v1_0(ctx: &Ctx) -> Option<Violation> {
    let mut setters = Vec::new();
    let mut explicit_pointers = Vec::new();
    let mut pod_non_root = false;
    match ctx.pod_sc().and_then(|sc| boolean(sc, "runAsNonRoot")) {
        Some(false) => {
            setters.push("pod".to_string());
            explicit_pointers.push(ctx.spec_ptr(&["securityContext", "runAsNonRoot"]));
        }
        Some(true) => pod_non_root = true,
        None => {}
    }
    let mut explicitly_bad = Vec::new();
    let mut implicitly_bad = Vec::new();
    let mut implicit_pointers = Vec::new();
    for c in &ctx.containers {
        match c.sc().and_then(|sc| boolean(sc, "runAsNonRoot")) {
            Some(false) => {
                explicitly_bad.push(c.name);
                explicit_pointers.push(c.sc_ptr(&["runAsNonRoot"]));
            }
            Some(true) => {}
            None => {
                if !pod_non_root {
                    implicitly_bad.push(c.name);
                    implicit_pointers.push(c.sc_nearest(&["runAsNonRoot"]));
                }
            }
        }
    }
    if !explicitly_bad.is_empty() {
        setters.push(containers_phrase(&explicitly_bad));
    }
    if !setters.is_empty() {
        return Some(violation(
            "runAsNonRoot",
            "runAsNonRoot != true",
            format!(
                "{} must not set securityContext.runAsNonRoot=false",
                setters.join(" and ")
            ),
            explicit_pointers,
        ));
    }
    if !implicitly_bad.is_empty() {
        return Some(violation(
            "runAsNonRoot",
            "runAsNonRoot != true",
            format!(
                "pod or {} must set securityContext.runAsNonRoot=true",
                containers_phrase(&implicitly_bad)
            ),
            implicit_pointers,
        ));
    }
    None
}

/// runAsNonRoot, v1.35: skipped for user-namespace pods (`hostUsers: false`).
pub(crate) fn run_as_non_root_v1_35(ctx: &Ctx) -> Option<Violation> {
    if ctx.user_namespace() {
        return None;
    }
    run_as_non_root_v1_0(ctx)
}

/// runAsUser, v1.23: neither pod nor container may set runAsUser=0.
pub(crate) fn run_as_user_v1_23(ctx: &Ctx) -> Option<Violation> {
    let mut setters = Vec::new();
    let mut pointers = Vec::new();
    if ctx.pod_sc().and_then(|sc| integer(sc, "runAsUser")) == Some(0) {
        setters.push("pod".to_string());
        pointers.push(ctx.spec_ptr(&["securityContext", "runAsUser"]));
    }
    let mut bad = Vec::new();
    for c in &ctx.containers {
        if c.sc().and_then(|sc| integer(sc, "runAsUser")) == Some(0) {
            bad.push(c.name);
            pointers.push(c.sc_ptr(&["runAsUser"]));
        }
    }
    if !bad.is_empty() {
        setters.push(containers_phrase(&bad));
    }
    if setters.is_empty() {
        return None;
    }
    Some(violation(
        "runAsUser",
        "runAsUser=0",
        format!("{} must not set runAsUser=0", setters.join(" and ")),
        pointers,
    ))
}

/// runAsUser, v1.35: skipped for user-namespace pods (`hostUsers: false`).
pub(crate) fn run_as_user_v1_35(ctx: &Ctx) -> Option<Violation> {
    if ctx.user_namespace() {
        return None;
    }
    run_as_user_v1_23(ctx)
}

/// seccompProfile_restricted, v1.19: a valid profile must be set at pod level or on every container.
pub(crate) fn seccomp_profile_restricted_v1_19(ctx: &Ctx) -> Option<Violation> {
    let mut setters = Vec::new();
    let mut bad_values = BTreeSet::new();
    let mut explicit_pointers = Vec::new();
    let mut pod_set = false;
    if let Some(profile) = ctx.pod_sc().and_then(|sc| obj(sc, "seccompProfile")) {
        let t = string(profile, "type").unwrap_or("");
        if seccomp_type_allowed(t) {
            pod_set = true;
        } else {
            setters.push("pod".to_string());
            bad_values.insert(t.to_string());
            explicit_pointers.push(nearest(
                ctx.spec,
                ctx.spec_ptr,
                &["securityContext", "seccompProfile", "type"],
            ));
        }
    }
    let mut explicitly_bad = Vec::new();
    let mut implicitly_bad = Vec::new();
    let mut implicit_pointers = Vec::new();
    for c in &ctx.containers {
        if let Some(profile) = c.sc().and_then(|sc| obj(sc, "seccompProfile")) {
            let t = string(profile, "type").unwrap_or("");
            if !seccomp_type_allowed(t) {
                explicitly_bad.push(c.name);
                bad_values.insert(t.to_string());
                explicit_pointers.push(c.sc_nearest(&["seccompProfile", "type"]));
            }
        } else if !pod_set {
            implicitly_bad.push(c.name);
            implicit_pointers.push(c.sc_nearest(&["seccompProfile", "type"]));
        }
    }
    if !explicitly_bad.is_empty() {
        setters.push(containers_phrase(&explicitly_bad));
    }
    if !setters.is_empty() {
        let values: Vec<String> = bad_values.into_iter().collect();
        return Some(violation(
            "seccompProfile_restricted",
            "seccompProfile",
            format!(
                "{} must not set securityContext.seccompProfile.type to {}",
                setters.join(" and "),
                join_quote(&values)
            ),
            explicit_pointers,
        ));
    }
    if !implicitly_bad.is_empty() {
        return Some(violation(
            "seccompProfile_restricted",
            "seccompProfile",
            format!(
                "pod or {} must set securityContext.seccompProfile.type to \"RuntimeDefault\" or \"Localhost\"",
                containers_phrase(&implicitly_bad)
            ),
            implicit_pointers,
        ));
    }
    None
}

/// seccompProfile_restricted, v1.25: Windows pods are exempt.
pub(crate) fn seccomp_profile_restricted_v1_25(ctx: &Ctx) -> Option<Violation> {
    if ctx.is_windows() {
        return None;
    }
    seccomp_profile_restricted_v1_19(ctx)
}
