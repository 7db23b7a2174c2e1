//! Rule metadata written next to the Rego: OPA `# METADATA` annotation blocks, sidecar
//! `<module>.meta.yaml` files and Gatekeeper annotations, reduced to what a
//! [`kubecomply_core::CustomRule`] needs.

use std::collections::HashMap;

use kubecomply_core::Value;
use kubecomply_core::{FrameworkRef, Severity};

/// What a policy author said about a rule (every field optional; merged by scope).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Annotation {
    /// `title`.
    pub title: Option<String>,
    /// `description`.
    pub description: Option<String>,
    /// `custom.code`.
    pub code: Option<String>,
    /// `custom.slug`.
    pub slug: Option<String>,
    /// `custom.severity`.
    pub severity: Option<Severity>,
    /// `custom.frameworks`.
    pub frameworks: Vec<FrameworkRef>,
}

impl Annotation {
    /// `self` with every field `over` sets replaced.
    pub fn merged(&self, over: &Annotation) -> Annotation {
        Annotation {
            title: over.title.clone().or_else(|| self.title.clone()),
            description: over
                .description
                .clone()
                .or_else(|| self.description.clone()),
            code: over.code.clone().or_else(|| self.code.clone()),
            slug: over.slug.clone().or_else(|| self.slug.clone()),
            severity: over.severity.or(self.severity),
            frameworks: if over.frameworks.is_empty() {
                self.frameworks.clone()
            } else {
                over.frameworks.clone()
            },
        }
    }

    /// Reads `title`, `description` and `custom: {code, slug, severity, frameworks}`; the
    /// custom keys are also accepted at the top level (sidecar files).
    pub fn from_value(v: &Value) -> (Annotation, Vec<String>) {
        let mut problems = Vec::new();
        let text = |v: &Value, key: &str| v.get(key).and_then(Value::as_str).map(str::to_string);
        let custom = v.get("custom").unwrap_or(&Value::Null);
        let pick = |key: &str| custom.get(key).or_else(|| v.get(key));
        let severity = match pick("severity") {
            Some(Value::String(s)) => match Severity::parse(s) {
                Some(sev) => Some(sev),
                None => {
                    problems.push(format!("unknown severity {s:?}"));
                    None
                }
            },
            Some(other) => {
                problems.push(format!("severity must be a string, not {other}"));
                None
            }
            None => None,
        };
        let (frameworks, fw_problems) = pick("frameworks").map(frameworks).unwrap_or_default();
        problems.extend(fw_problems);
        let a = Annotation {
            title: text(v, "title"),
            description: text(v, "description"),
            code: pick("code").and_then(Value::as_str).map(str::to_string),
            slug: pick("slug").and_then(Value::as_str).map(str::to_string),
            severity,
            frameworks,
        };
        (a, problems)
    }
}

/// Framework references from `["pci-dss:2.2.1", ...]`, a comma-separated string, or a list
/// of `{framework, requirement}` maps.
pub fn frameworks(v: &Value) -> (Vec<FrameworkRef>, Vec<String>) {
    let mut entries: Vec<String> = Vec::new();
    let mut problems = Vec::new();
    match v {
        Value::String(s) => entries.extend(s.split(',').map(str::to_string)),
        Value::Array(items) => {
            for item in items {
                match item {
                    Value::String(s) => entries.push(s.clone()),
                    Value::Object(m) => match (
                        m.get("framework").and_then(Value::as_str),
                        m.get("requirement").and_then(Value::as_str),
                    ) {
                        (Some(f), Some(r)) => entries.push(format!("{f}:{r}")),
                        _ => problems
                            .push("framework entry needs framework and requirement".to_string()),
                    },
                    other => problems.push(format!("framework entry {other} is not a string")),
                }
            }
        }
        other => problems.push(format!("frameworks must be a list, not {other}")),
    }
    let mut out = Vec::new();
    for s in entries {
        match s.trim().split_once(':') {
            Some((f, r)) if !f.trim().is_empty() && !r.trim().is_empty() => {
                out.push(FrameworkRef {
                    framework: f.trim().to_string(),
                    requirement: r.trim().to_string(),
                })
            }
            _ if s.trim().is_empty() => {}
            _ => problems.push(format!(
                "framework reference {s:?} is not FRAMEWORK:REQUIREMENT"
            )),
        }
    }
    (out, problems)
}

/// The annotations of one module: the package scope and each rule.
#[derive(Clone, Debug, Default)]
pub struct ModuleAnnotations {
    /// `scope: package` (or a block before `package`, or a sidecar file's top level).
    pub package: Annotation,
    /// `scope: rule` blocks, by rule name.
    pub rules: HashMap<String, Annotation>,
}

impl ModuleAnnotations {
    /// The effective annotation of `rule`: package scope, then rule scope.
    pub fn for_rule(&self, rule: &str) -> Annotation {
        match self.rules.get(rule) {
            Some(r) => self.package.merged(r),
            None => self.package.clone(),
        }
    }

    /// `self` with `over` layered on top (package and rule scopes separately).
    pub fn merged(&self, over: &ModuleAnnotations) -> ModuleAnnotations {
        let mut rules = self.rules.clone();
        for (name, a) in &over.rules {
            let base = rules.remove(name).unwrap_or_default();
            rules.insert(name.clone(), base.merged(a));
        }
        ModuleAnnotations {
            package: self.package.merged(&over.package),
            rules,
        }
    }
}

/// A problem in an annotation, with the 1-based line of its block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AnnotationProblem {
    /// 1-based line.
    pub line: u32,
    /// What is wrong.
    pub message: String,
}

/// The head of a rule declared at the start of a line: its name and 1-based line.
pub fn rule_heads(text: &str) -> Vec<(String, u32)> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.strip_prefix("default ").unwrap_or(line);
        let name: String = line
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if name.is_empty()
            || name.starts_with(|c: char| c.is_ascii_digit())
            || matches!(name.as_str(), "package" | "import" | "default")
        {
            continue;
        }
        let rest = line[name.len()..].trim_start();
        let is_head = rest.is_empty()
            || rest.starts_with(['{', '[', '=', ':', '(', '.'])
            || rest.starts_with("contains ")
            || rest.starts_with("if ")
            || rest.starts_with("if{")
            || rest == "if";
        if is_head {
            out.push((name, i as u32 + 1));
        }
    }
    out
}

/// Parses every `# METADATA` block of a module. A block applies to the package when it
/// precedes `package` or says `scope: package`/`subpackages`, otherwise to the rule whose
/// head follows it.
pub fn parse_module(text: &str) -> (ModuleAnnotations, Vec<AnnotationProblem>) {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = ModuleAnnotations::default();
    let mut problems = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        if lines[i].trim() != "# METADATA" {
            i += 1;
            continue;
        }
        let start = i as u32 + 1;
        let mut yaml = String::new();
        i += 1;
        while i < lines.len() && lines[i].trim_start().starts_with('#') {
            let l = lines[i].trim_start().trim_start_matches('#');
            yaml.push_str(l.strip_prefix(' ').unwrap_or(l));
            yaml.push('\n');
            i += 1;
        }
        // The next non-blank line tells what the block is attached to.
        let mut j = i;
        while j < lines.len() && lines[j].trim().is_empty() {
            j += 1;
        }
        let target = lines.get(j).copied().unwrap_or("");
        let value = match kubecomply_loader::parse_documents(&yaml) {
            Ok(docs) => docs.into_iter().next().unwrap_or(Value::Null),
            Err(e) => {
                problems.push(AnnotationProblem {
                    line: start,
                    message: format!("METADATA block is not valid YAML: {e}"),
                });
                continue;
            }
        };
        if !value.is_object() {
            problems.push(AnnotationProblem {
                line: start,
                message: "METADATA block is not a YAML mapping".into(),
            });
            continue;
        }
        let (a, ps) = Annotation::from_value(&value);
        problems.extend(ps.into_iter().map(|message| AnnotationProblem {
            line: start,
            message,
        }));
        let scope = value.get("scope").and_then(Value::as_str);
        let package_scope =
            matches!(scope, Some("package" | "subpackages")) || target.starts_with("package ");
        if package_scope {
            out.package = out.package.merged(&a);
        } else if let Some((name, _)) = rule_heads(target).into_iter().next() {
            let base = out.rules.remove(&name).unwrap_or_default();
            out.rules.insert(name, base.merged(&a));
        } else {
            problems.push(AnnotationProblem {
                line: start,
                message: "METADATA block is followed by neither a package nor a rule".into(),
            });
        }
    }
    (out, problems)
}

/// Parses a sidecar `<module>.meta.yaml`: package-scope keys at the top level and per-rule
/// keys under `rules: {NAME: {...}}`.
pub fn parse_sidecar(text: &str) -> Result<(ModuleAnnotations, Vec<String>), String> {
    let docs = kubecomply_loader::parse_documents(text)?;
    let value = docs.into_iter().next().unwrap_or(Value::Null);
    if !value.is_object() {
        return Err("not a YAML mapping".into());
    }
    let (package, mut problems) = Annotation::from_value(&value);
    let mut rules = HashMap::new();
    if let Some(map) = value.get("rules").and_then(Value::as_object) {
        for (name, v) in map {
            let (a, ps) = Annotation::from_value(v);
            problems.extend(ps.into_iter().map(|p| format!("rules.{name}: {p}")));
            rules.insert(name.clone(), a);
        }
    }
    Ok((ModuleAnnotations { package, rules }, problems))
}

/// `a-b-c` from any code or name: lower case, runs of other characters become one dash.
pub fn slugify(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    while out.ends_with('-') {
        out.pop();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn package_and_rule_scopes() {
        let text = "# METADATA\n# title: Team rules\n# custom:\n#   severity: medium\npackage main\n\n# METADATA\n# title: No latest\n# custom:\n#   code: ACME-001\n#   frameworks: [\"pci-dss:2.2.1\"]\ndeny contains msg if {\n  false\n  msg := \"\"\n}\n";
        let (m, problems) = parse_module(text);
        assert!(problems.is_empty(), "{problems:?}");
        let a = m.for_rule("deny");
        assert_eq!(a.title.as_deref(), Some("No latest"));
        assert_eq!(a.code.as_deref(), Some("ACME-001"));
        assert_eq!(a.severity, Some(Severity::Medium));
        assert_eq!(a.frameworks[0].requirement, "2.2.1");
        assert_eq!(m.for_rule("warn").title.as_deref(), Some("Team rules"));
    }

    #[test]
    fn heads_at_line_start_only() {
        let heads = rule_heads(
            "package x\ndeny[msg] {\n  warn := 1\n}\ndefault allow := false\nwarn_x contains m if {\n}\n",
        );
        let names: Vec<&str> = heads.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["deny", "allow", "warn_x"]);
    }

    #[test]
    fn framework_string_list() {
        let (f, p) = frameworks(&Value::from("pci-dss:2.2.1, hipaa:164.312(a)(1)"));
        assert!(p.is_empty());
        assert_eq!(f.len(), 2);
        assert_eq!(f[1].requirement, "164.312(a)(1)");
    }
}
