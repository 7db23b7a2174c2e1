//! Rule metadata: what every analyzer publishes about each rule it evaluates.

use serde::{Deserialize, Serialize};

/// How bad a failed check is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Informational; never fails a build unless asked.
    Info,
    /// Low.
    Low,
    /// Medium.
    Medium,
    /// High.
    High,
    /// Critical.
    Critical,
}

impl Severity {
    /// All severities, lowest first.
    pub const ALL: [Severity; 5] = [
        Severity::Info,
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ];

    /// The lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    /// Parses a severity name (case-insensitive).
    pub fn parse(s: &str) -> Option<Severity> {
        Severity::ALL
            .into_iter()
            .find(|sev| sev.as_str().eq_ignore_ascii_case(s.trim()))
    }
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The area a rule belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Category {
    /// Pod Security Standards checks.
    PodSecurityStandards,
    /// Host access and privilege.
    HostAccess,
    /// Process identity, capabilities, kernel hardening.
    ContainerHardening,
    /// Image references and pulling.
    Images,
    /// CPU, memory and storage requests and limits.
    Resources,
    /// Probes, replicas and other reliability settings.
    Reliability,
    /// Secrets and credentials.
    Secrets,
    /// Service accounts and their tokens.
    ServiceAccounts,
    /// Role-based access control.
    Rbac,
    /// Services, ingresses, network policies.
    Network,
    /// Namespaces and tenancy.
    Namespaces,
    /// Input validity and general hygiene.
    Hygiene,
    /// The team's own policies (Rego, Gatekeeper, CEL).
    Policy,
}

impl Category {
    /// The kebab-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Category::PodSecurityStandards => "pod-security-standards",
            Category::HostAccess => "host-access",
            Category::ContainerHardening => "container-hardening",
            Category::Images => "images",
            Category::Resources => "resources",
            Category::Reliability => "reliability",
            Category::Secrets => "secrets",
            Category::ServiceAccounts => "service-accounts",
            Category::Rbac => "rbac",
            Category::Network => "network",
            Category::Namespaces => "namespaces",
            Category::Hygiene => "hygiene",
            Category::Policy => "policy",
        }
    }
}

/// The equivalent check in another tool or standard.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Reference {
    /// `checkov`, `kubescape`, `trivy`, `polaris`, `kube-score`, `kube-linter`, `pss`, `cis`, `nsa`, `cve`.
    pub tool: &'static str,
    /// The identifier in that tool, e.g. `CKV_K8S_16`.
    pub id: &'static str,
}

/// Shorthand for building references in rule files.
pub const fn reference(tool: &'static str, id: &'static str) -> Reference {
    Reference { tool, id }
}

/// Everything kubecomply publishes about a rule. Codes are stable forever.
///
/// Built-in rules are `RuleMeta<'static>` statics; the rules of the team's policies borrow
/// their strings from the [`CustomRule`]s of the policy set that defines them, so a process
/// can load, drop and reload policies without leaking.
#[derive(Clone, Debug, Serialize)]
pub struct RuleMeta<'a> {
    /// Stable code, e.g. `KC-POD-001`. Never reused.
    pub code: &'a str,
    /// Stable kebab-case name, e.g. `privileged-container`.
    pub slug: &'a str,
    /// One-line title.
    pub title: &'a str,
    /// Default severity (the config may override it).
    pub severity: Severity,
    /// Area.
    pub category: Category,
    /// The kubecomply version that introduced the rule.
    pub since: &'a str,
    /// Markdown: what it checks (with exact semantics), why, how to fix, peer differences.
    pub docs: &'a str,
    /// Equivalent ids in other tools and standards.
    pub references: &'a [Reference],
}

impl RuleMeta<'_> {
    /// Whether `name` names this rule: its code (any case) or its slug. Every place that
    /// selects rules by name (`--rule`, `--skip-rule`, the configuration, severity overrides,
    /// exceptions, annotations) matches with this.
    pub fn is_named(&self, name: &str) -> bool {
        named(self.code, self.slug, name)
    }
}

/// Whether `name` is the rule `code` (any case) or `slug`: [`RuleMeta::is_named`] for a rule
/// known only by its code and slug (a finding).
pub fn named(code: &str, slug: &str, name: &str) -> bool {
    name.eq_ignore_ascii_case(code) || name == slug
}

/// Whether `code` can name a rule: letters, digits and `. _ : -`, starting with a letter or a
/// digit. Built-in rules use `KC-AREA-NNN`; the team's policies choose their own (`ACME-001`).
pub fn valid_code(code: &str) -> bool {
    code.bytes()
        .next()
        .is_some_and(|b| b.is_ascii_alphanumeric())
        && code
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._:-".contains(&b))
}

/// A framework requirement a custom rule gives evidence for, e.g. `pci-dss` / `2.2.1`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FrameworkRef {
    /// Framework id as in `kubecomply frameworks`.
    pub framework: String,
    /// Requirement id inside it.
    pub requirement: String,
}

/// Metadata of a rule defined at run time by the team's own policies (a Rego module, a
/// Gatekeeper template and its constraint, a ValidatingAdmissionPolicy). It plays the part
/// of [`RuleMeta`] for them: listed by `kubecomply rules`, referenced by frameworks, carried
/// by findings through `code` and `slug`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CustomRule {
    /// Code, unique among all rules (e.g. `ACME-001`, or derived: `GK-K8SREQUIREDLABELS-MUST-HAVE-OWNER`).
    pub code: String,
    /// Kebab-case name.
    pub slug: String,
    /// One-line title.
    pub title: String,
    /// Default severity.
    pub severity: Severity,
    /// Markdown description.
    pub description: String,
    /// `rego`, `gatekeeper` or `cel`.
    pub engine: String,
    /// The file that defines it.
    pub source: String,
    /// Framework requirements it gives evidence for.
    pub frameworks: Vec<FrameworkRef>,
}
