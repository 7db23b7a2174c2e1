//! Rule parameters that users may tune in `.kubecomply.yaml`.

/// Thresholds and lists used by rules.
#[derive(Clone, Debug)]
pub struct Params {
    /// Registries (or registry/repository prefixes) images may come from. Empty: any.
    pub trusted_registries: Vec<String>,
    /// The lowest UID considered safe from host UID collisions (`low-user-id`).
    pub min_user_id: i64,
    /// The lowest GID considered safe (`low-group-id`).
    pub min_group_id: i64,
    /// Capabilities considered dangerous when added (upper case, without `CAP_`).
    pub dangerous_capabilities: Vec<String>,
}

impl Default for Params {
    fn default() -> Params {
        Params {
            trusted_registries: Vec::new(),
            min_user_id: 10_000,
            min_group_id: 10_000,
            dangerous_capabilities: [
                "ALL",
                "SYS_ADMIN",
                "NET_ADMIN",
                "SYS_MODULE",
                "SYS_PTRACE",
                "SYS_RAWIO",
                "SYS_BOOT",
                "BPF",
                "PERFMON",
                "MAC_ADMIN",
                "MAC_OVERRIDE",
                "DAC_READ_SEARCH",
                "SETPCAP",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect(),
        }
    }
}
