//! Compliance frameworks: catalogues of requirements mapped to rule codes, and their evaluation.
//!
//! Frameworks never look at resources; they only read findings (see `ARCHITECTURE.md`). A
//! requirement lists the rule codes that give evidence for it (`rules`), the codes planned for
//! analyzers that do not exist yet (`plannedRules`), the evidence sources it still needs
//! (`needs`) and how it is assessed (`automated`, `partial`, `manual`). Every later analyzer
//! lights up the frameworks by being mapped here, with no code change.
//!
//! The built-in catalogues ([`builtins`]) are YAML files embedded in the binary, in the same
//! format users write for custom frameworks ([`parse`], [`resolve`]). Evaluation is in
//! [`evaluate`]; the score formula is documented on [`FrameworkResult::score`].

mod attest;
mod eval;
mod parse;
pub mod report;
pub mod scope;

pub use attest::{
    Attestation, AttestationEntry, AttestationList, AttestationState, Evidence, EvidenceEntry,
    check_attestations, parse_attestations, sha256_hex,
};
pub use eval::{
    FindingRef, FrameworkResult, RequirementResult, RequirementStatus, apply_attestations, evaluate,
};
pub use parse::{FrameworkError, FrameworkFile, RemapEntry, RequirementEntry, parse};

use serde::Serialize;

/// How a requirement is assessed.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Assessment {
    /// The mapped rules give complete evidence.
    Automated,
    /// The mapped rules cover part of it; the rest needs an attestation.
    Partial,
    /// Needs an attestation; rules, if any, are supporting evidence only.
    Manual,
}

impl Assessment {
    /// All values, in display order.
    pub const ALL: [Assessment; 3] = [
        Assessment::Automated,
        Assessment::Partial,
        Assessment::Manual,
    ];

    /// The lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Assessment::Automated => "automated",
            Assessment::Partial => "partial",
            Assessment::Manual => "manual",
        }
    }

    fn parse(s: &str) -> Option<Assessment> {
        Assessment::ALL.into_iter().find(|a| a.as_str() == s)
    }
}

/// The class of data a framework protects; resources carry it in the
/// `compliance.kubecomply.io/data-class` label or annotation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum DataClass {
    /// Cardholder data (PCI DSS).
    Pci,
    /// Protected health information (HIPAA).
    Phi,
    /// Personal data (GDPR, CCPA).
    Pii,
}

impl DataClass {
    /// The lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            DataClass::Pci => "pci",
            DataClass::Phi => "phi",
            DataClass::Pii => "pii",
        }
    }

    fn parse(s: &str) -> Option<DataClass> {
        [DataClass::Pci, DataClass::Phi, DataClass::Pii]
            .into_iter()
            .find(|c| c.as_str() == s)
    }
}

/// An evidence source a requirement needs and that a manifest scan does not provide.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Need {
    /// Files, component flags and kubelet configuration read on the nodes.
    NodeScan,
    /// The live cluster's API (objects not in manifests, versions, installed agents).
    Cluster,
    /// Image contents: vulnerabilities, SBOM, malware, configuration.
    ImageScan,
    /// The API server audit log.
    AuditLog,
}

impl Need {
    const ALL: [Need; 4] = [
        Need::NodeScan,
        Need::Cluster,
        Need::ImageScan,
        Need::AuditLog,
    ];

    /// The kebab-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Need::NodeScan => "node-scan",
            Need::Cluster => "cluster",
            Need::ImageScan => "image-scan",
            Need::AuditLog => "audit-log",
        }
    }

    fn parse(s: &str) -> Option<Need> {
        Need::ALL.into_iter().find(|n| n.as_str() == s)
    }
}

/// One requirement, or a group of them (a requirement with children).
#[derive(Clone, Debug, Serialize)]
pub struct Requirement {
    /// The standard's identifier (e.g. `1.2.5`, `164.312(b)`, `CC6.1`).
    pub id: String,
    /// Short title, in kubecomply's own words.
    pub title: String,
    /// Longer explanation (may be empty).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// How it is assessed; `None` for a pure group.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assessment: Option<Assessment>,
    /// Evidence sources it needs that we do not have yet.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub needs: Vec<Need>,
    /// Rule codes that give evidence.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<String>,
    /// Rule codes planned for analyzers that do not exist yet.
    #[serde(rename = "plannedRules", skip_serializing_if = "Vec::is_empty")]
    pub planned_rules: Vec<String>,
    /// Child requirements.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub requirements: Vec<Requirement>,
}

impl Requirement {
    /// Whether this is a leaf (an assessable requirement rather than a group).
    pub fn is_leaf(&self) -> bool {
        self.requirements.is_empty()
    }

    /// Visits this requirement and all its descendants, depth first, with their depth.
    pub fn walk<'a>(&'a self, depth: usize, f: &mut impl FnMut(&'a Requirement, usize)) {
        f(self, depth);
        for c in &self.requirements {
            c.walk(depth + 1, f);
        }
    }
}

/// A compliance framework: metadata and a requirement tree.
#[derive(Clone, Debug, Serialize)]
pub struct Framework {
    /// Stable id used on the command line (`pci-dss`).
    pub id: String,
    /// Display name.
    pub name: String,
    /// Version of the standard.
    pub version: String,
    /// What it is.
    pub description: String,
    /// The data class it applies to, if it is scoped to one.
    #[serde(rename = "appliesTo", skip_serializing_if = "Option::is_none")]
    pub applies_to: Option<DataClass>,
    /// The id of the framework it was derived from, for custom frameworks.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extends: Option<String>,
    /// Top-level requirements.
    pub requirements: Vec<Requirement>,
}

impl Framework {
    /// Adds `code` to the rules giving evidence for requirement `id` (a leaf), as the team's
    /// policies do with their `frameworks` metadata. Errors name what is missing.
    pub fn map_rule(&mut self, id: &str, code: &str) -> Result<(), String> {
        fn find<'a>(list: &'a mut [Requirement], id: &str) -> Option<&'a mut Requirement> {
            for r in list {
                if r.id == id {
                    return Some(r);
                }
                if let Some(x) = find(&mut r.requirements, id) {
                    return Some(x);
                }
            }
            None
        }
        let framework = self.id.clone();
        let r = find(&mut self.requirements, id)
            .ok_or_else(|| format!("framework {framework} has no requirement {id:?}"))?;
        if !r.is_leaf() {
            return Err(format!(
                "requirement {framework}:{id} is a group; map the rule to one of its requirements"
            ));
        }
        if !r.rules.iter().any(|c| c == code) {
            r.rules.push(code.to_string());
        }
        Ok(())
    }

    /// Every requirement and group, depth first, with its depth (0 for top level).
    pub fn all_requirements(&self) -> Vec<(&Requirement, usize)> {
        let mut out = Vec::new();
        for r in &self.requirements {
            r.walk(0, &mut |r, d| out.push((r, d)));
        }
        out
    }

    /// The leaf requirements, depth first.
    pub fn leaves(&self) -> Vec<&Requirement> {
        self.all_requirements()
            .into_iter()
            .filter(|(r, _)| r.is_leaf())
            .map(|(r, _)| r)
            .collect()
    }

    /// Number of leaf requirements per assessment, in [`Assessment::ALL`] order.
    pub fn counts_by_assessment(&self) -> [usize; 3] {
        let mut counts = [0; 3];
        for r in self.leaves() {
            if let Some(a) = r.assessment {
                counts[a as usize] += 1;
            }
        }
        counts
    }

    /// Every rule code mapped by some requirement (sorted, without duplicates).
    pub fn rule_codes(&self) -> Vec<&str> {
        let mut v: Vec<&str> = self
            .leaves()
            .into_iter()
            .flat_map(|r| r.rules.iter().map(String::as_str))
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    }
}

/// A parsed framework file, before `extends` is applied.
#[derive(Clone, Debug)]
pub struct FrameworkDef {
    /// The framework as written (for an extension: its own metadata and added requirements).
    pub framework: Framework,
    /// Requirement ids removed from the base (with their children).
    pub drop: Vec<String>,
    /// New rule mappings for base requirements, by id.
    pub remap: Vec<Remap>,
    /// The file name, for errors.
    pub file: String,
    /// Positions of the `extends`, `drop` and `remap` entries, for errors.
    positions: Vec<(String, u32, u32)>,
}

/// A change to the mapping of an inherited requirement.
#[derive(Clone, Debug)]
pub struct Remap {
    /// The requirement id.
    pub id: String,
    /// Replacement rule codes, when given.
    pub rules: Option<Vec<String>>,
    /// Replacement planned rule codes, when given.
    pub planned_rules: Option<Vec<String>>,
    /// Replacement assessment, when given.
    pub assessment: Option<Assessment>,
}

/// The embedded catalogues: (file name, text).
pub const CATALOGS: &[(&str, &str)] = &[
    ("cis-k8s.yaml", include_str!("../catalogs/cis-k8s.yaml")),
    (
        "pss-baseline.yaml",
        include_str!("../catalogs/pss-baseline.yaml"),
    ),
    (
        "pss-restricted.yaml",
        include_str!("../catalogs/pss-restricted.yaml"),
    ),
    ("nsa-cisa.yaml", include_str!("../catalogs/nsa-cisa.yaml")),
    ("pci-dss.yaml", include_str!("../catalogs/pci-dss.yaml")),
    ("hipaa.yaml", include_str!("../catalogs/hipaa.yaml")),
    ("gdpr.yaml", include_str!("../catalogs/gdpr.yaml")),
    ("soc2.yaml", include_str!("../catalogs/soc2.yaml")),
    ("ccpa.yaml", include_str!("../catalogs/ccpa.yaml")),
    (
        "nist-800-190.yaml",
        include_str!("../catalogs/nist-800-190.yaml"),
    ),
];

/// Parses and resolves the embedded catalogues, in [`CATALOGS`] order.
pub fn builtins() -> Result<Vec<Framework>, Vec<FrameworkError>> {
    let mut out: Vec<Framework> = Vec::new();
    for (file, text) in CATALOGS {
        let def = parse(text, &format!("<builtin>/{file}"))?;
        let fw = resolve(def, &out).map_err(|e| vec![e])?;
        out.push(fw);
    }
    Ok(out)
}

/// Applies `extends` (drop, remap, add) against `known` frameworks; a framework without
/// `extends` is returned as is.
pub fn resolve(def: FrameworkDef, known: &[Framework]) -> Result<Framework, FrameworkError> {
    let pos = |key: &str| {
        def.positions
            .iter()
            .find(|(k, _, _)| k == key)
            .map_or((1, 1), |(_, l, c)| (*l, *c))
    };
    let err = |key: &str, message: String| {
        let (line, column) = pos(key);
        FrameworkError {
            file: def.file.clone(),
            line,
            column,
            message,
        }
    };
    let Some(base_id) = def.framework.extends.clone() else {
        return Ok(def.framework);
    };
    let Some(base) = known.iter().find(|f| f.id == base_id) else {
        let ids: Vec<&str> = known.iter().map(|f| f.id.as_str()).collect();
        return Err(err(
            "extends",
            format!(
                "extends unknown framework {base_id:?} (known: {})",
                ids.join(", ")
            ),
        ));
    };
    let mut reqs = base.requirements.clone();
    for (i, id) in def.drop.iter().enumerate() {
        if !remove_requirement(&mut reqs, id) {
            return Err(err(
                &format!("drop/{i}"),
                format!("drop: {base_id} has no requirement {id:?}"),
            ));
        }
    }
    for m in &def.remap {
        let Some(r) = find_requirement_mut(&mut reqs, &m.id) else {
            return Err(err(
                &format!("remap/{}", m.id),
                format!("remap: {base_id} has no requirement {:?}", m.id),
            ));
        };
        if let Some(rules) = &m.rules {
            r.rules = rules.clone();
        }
        if let Some(p) = &m.planned_rules {
            r.planned_rules = p.clone();
        }
        if let Some(a) = m.assessment {
            r.assessment = Some(a);
        }
    }
    for added in &def.framework.requirements {
        match reqs.iter_mut().find(|r| r.id == added.id) {
            Some(existing) => *existing = added.clone(),
            None => reqs.push(added.clone()),
        }
    }
    let f = &def.framework;
    Ok(Framework {
        id: f.id.clone(),
        name: f.name.clone(),
        version: if f.version.is_empty() {
            base.version.clone()
        } else {
            f.version.clone()
        },
        description: if f.description.is_empty() {
            base.description.clone()
        } else {
            f.description.clone()
        },
        applies_to: f.applies_to.or(base.applies_to),
        extends: Some(base_id),
        requirements: reqs,
    })
}

fn remove_requirement(reqs: &mut Vec<Requirement>, id: &str) -> bool {
    if let Some(i) = reqs.iter().position(|r| r.id == id) {
        reqs.remove(i);
        return true;
    }
    reqs.iter_mut()
        .any(|r| remove_requirement(&mut r.requirements, id))
}

fn find_requirement_mut<'a>(reqs: &'a mut [Requirement], id: &str) -> Option<&'a mut Requirement> {
    for r in reqs {
        if r.id == id {
            return Some(r);
        }
        if let Some(found) = find_requirement_mut(&mut r.requirements, id) {
            return Some(found);
        }
    }
    None
}
