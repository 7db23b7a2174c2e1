//! The framework file format: YAML parsed with the loader (positions for errors) into types.

use kubecomply_core::value::Field;

use std::collections::HashSet;

use kubecomply_core::{Map, Value};
use kubecomply_loader::Limits;
use kubecomply_loader::locate::PositionIndex;

use crate::{Assessment, DataClass, Framework, FrameworkDef, Need, Remap, Requirement};

/// A problem in a framework file, with its position.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FrameworkError {
    /// The file as given.
    pub file: String,
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for FrameworkError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file, self.line, self.column, self.message
        )
    }
}

impl std::error::Error for FrameworkError {}

const TOP_KEYS: &[&str] = &[
    "id",
    "name",
    "version",
    "description",
    "appliesTo",
    "extends",
    "drop",
    "remap",
    "requirements",
];
const REQ_KEYS: &[&str] = &[
    "id",
    "title",
    "description",
    "assessment",
    "needs",
    "rules",
    "plannedRules",
    "requirements",
];
const REMAP_KEYS: &[&str] = &["rules", "plannedRules", "assessment"];

struct Ctx {
    errors: Vec<(String, String)>,
    ids: HashSet<String>,
}

fn escape(key: &str) -> String {
    kubecomply_core::pointer::escape(key).into_owned()
}

impl Ctx {
    fn err(&mut self, pointer: &str, message: impl Into<String>) {
        self.errors.push((pointer.to_string(), message.into()));
    }

    fn object<'v>(&mut self, v: &'v Value, ptr: &str, what: &str) -> Option<&'v Map> {
        match v {
            Value::Object(m) => Some(m),
            _ => {
                self.err(ptr, format!("{what} must be a mapping"));
                None
            }
        }
    }

    fn check_keys(&mut self, m: &Map, ptr: &str, allowed: &[&str]) {
        for k in m.keys() {
            if !allowed.contains(&k.as_str()) {
                self.err(
                    &format!("{ptr}/{}", escape(k)),
                    format!(
                        "unknown field {k:?} (expected one of: {})",
                        allowed.join(", ")
                    ),
                );
            }
        }
    }

    fn string(&mut self, m: &Map, ptr: &str, key: &str, required: bool) -> String {
        match m.get(key) {
            Some(Value::String(s)) if !s.trim().is_empty() => s.clone(),
            // Ids such as `2.1` or `5` may be written unquoted.
            Some(Value::Number(n)) => n.to_string(),
            Some(Value::String(_)) | None if !required => String::new(),
            None => {
                self.err(ptr, format!("missing required field {key:?}"));
                String::new()
            }
            Some(_) => {
                self.err(
                    &format!("{ptr}/{key}"),
                    format!("{key:?} must be a non-empty string"),
                );
                String::new()
            }
        }
    }

    fn strings(&mut self, v: Option<&Value>, ptr: &str, key: &str) -> Vec<String> {
        let p = format!("{ptr}/{key}");
        match v {
            None => Vec::new(),
            Some(Value::Array(items)) => {
                let mut out = Vec::new();
                for (i, item) in items.iter().enumerate() {
                    match item {
                        Value::String(s) => out.push(s.clone()),
                        _ => self.err(
                            &format!("{p}/{i}"),
                            format!("{key} entries must be strings"),
                        ),
                    }
                }
                out
            }
            Some(_) => {
                self.err(&p, format!("{key:?} must be a list"));
                Vec::new()
            }
        }
    }

    fn rule_codes(&mut self, v: Option<&Value>, ptr: &str, key: &str) -> Vec<String> {
        let codes = self.strings(v, ptr, key);
        for (i, c) in codes.iter().enumerate() {
            if !kubecomply_core::rule::valid_code(c) {
                self.err(
                    &format!("{ptr}/{key}/{i}"),
                    format!(
                        "{c:?} is not a rule code (KC-AREA-NNN, or a policy's own code: letters, digits and . _ : -)"
                    ),
                );
            }
        }
        codes
    }

    fn assessment(&mut self, m: &Map, ptr: &str) -> Option<Assessment> {
        let v = m.field("assessment")?;
        match v.as_str().and_then(Assessment::parse) {
            Some(a) => Some(a),
            None => {
                self.err(
                    &format!("{ptr}/assessment"),
                    "assessment must be one of: automated, partial, manual",
                );
                None
            }
        }
    }

    fn requirements(&mut self, v: Option<&Value>, ptr: &str) -> Vec<Requirement> {
        let p = format!("{ptr}/requirements");
        let items = match v {
            None => return Vec::new(),
            Some(Value::Array(items)) => items,
            Some(_) => {
                self.err(&p, "requirements must be a list");
                return Vec::new();
            }
        };
        items
            .iter()
            .enumerate()
            .filter_map(|(i, item)| self.requirement(item, &format!("{p}/{i}")))
            .collect()
    }

    fn requirement(&mut self, v: &Value, ptr: &str) -> Option<Requirement> {
        let m = self.object(v, ptr, "a requirement")?;
        self.check_keys(m, ptr, REQ_KEYS);
        let id = self.string(m, ptr, "id", true);
        if !id.is_empty() && !self.ids.insert(id.clone()) {
            self.err(
                &format!("{ptr}/id"),
                format!("duplicate requirement id {id:?}"),
            );
        }
        let title = self.string(m, ptr, "title", true);
        let description = self.string(m, ptr, "description", false);
        let assessment = self.assessment(m, ptr);
        let mut needs = Vec::new();
        for (i, n) in self
            .strings(m.field("needs"), ptr, "needs")
            .iter()
            .enumerate()
        {
            match Need::parse(n) {
                Some(n) => needs.push(n),
                None => self.err(
                    &format!("{ptr}/needs/{i}"),
                    format!("unknown evidence source {n:?} (expected node-scan, cluster, image-scan or audit-log)"),
                ),
            }
        }
        let rules = self.rule_codes(m.field("rules"), ptr, "rules");
        let planned_rules = self.rule_codes(m.field("plannedRules"), ptr, "plannedRules");
        for (i, c) in planned_rules.iter().enumerate() {
            if rules.contains(c) {
                self.err(
                    &format!("{ptr}/plannedRules/{i}"),
                    format!("{c} is both mapped and planned"),
                );
            }
        }
        let requirements = self.requirements(m.field("requirements"), ptr);
        if requirements.is_empty() && assessment.is_none() && m.field("assessment").is_none() {
            self.err(
                ptr,
                format!("requirement {id:?} has no children and no assessment (automated, partial or manual)"),
            );
        }
        if !requirements.is_empty() && (!rules.is_empty() || !planned_rules.is_empty()) {
            self.err(
                ptr,
                format!("requirement {id:?} has children: map rules on its children"),
            );
        }
        Some(Requirement {
            id,
            title,
            description,
            assessment,
            needs,
            rules,
            planned_rules,
            requirements,
        })
    }
}

/// Parses a framework file (`file` names it in errors). Every problem is reported, each with
/// its line and column.
pub fn parse(text: &str, file: &str) -> Result<FrameworkDef, Vec<FrameworkError>> {
    let stream = kubecomply_loader::yaml::parse(text, &Limits::default());
    let mut errors: Vec<FrameworkError> = stream
        .errors
        .iter()
        .map(|e| FrameworkError {
            file: file.to_string(),
            line: e.line,
            column: e.column,
            message: e.message.clone(),
        })
        .collect();
    let mut docs = stream.documents.into_iter();
    let Some(doc) = docs.next() else {
        if errors.is_empty() {
            errors.push(FrameworkError {
                file: file.to_string(),
                line: 1,
                column: 1,
                message: "empty framework file".into(),
            });
        }
        return Err(errors);
    };
    if let Some(extra) = docs.next() {
        errors.push(FrameworkError {
            file: file.to_string(),
            line: extra.line,
            column: 1,
            message: "a framework file holds one framework (one YAML document)".into(),
        });
    }
    let index = PositionIndex::build(text.get(doc.span.clone()).unwrap_or(text), doc.line);
    let locate = |ptr: &str| index.locate(ptr).unwrap_or((doc.line, 1));
    let mut ctx = Ctx {
        errors: Vec::new(),
        ids: HashSet::new(),
    };
    let def = build(&doc.value, file, &mut ctx, &locate);
    for (ptr, message) in ctx.errors {
        let (line, column) = locate(&ptr);
        errors.push(FrameworkError {
            file: file.to_string(),
            line,
            column,
            message,
        });
    }
    match def {
        Some(d) if errors.is_empty() => Ok(d),
        _ => Err(errors),
    }
}

fn build(
    v: &Value,
    file: &str,
    ctx: &mut Ctx,
    locate: &dyn Fn(&str) -> (u32, u32),
) -> Option<FrameworkDef> {
    let m = ctx.object(v, "", "a framework file")?;
    ctx.check_keys(m, "", TOP_KEYS);
    let id = ctx.string(m, "", "id", true);
    if !id.is_empty()
        && !id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        ctx.err("/id", "id must be lower-case letters, digits and '-'");
    }
    let name = ctx.string(m, "", "name", true);
    let extends = match m.field("extends") {
        None => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => {
            ctx.err("/extends", "extends must be a framework id");
            None
        }
    };
    let version = ctx.string(m, "", "version", extends.is_none());
    let description = ctx.string(m, "", "description", false);
    let applies_to = match m.field("appliesTo") {
        None => None,
        Some(v) => {
            let c = v.as_str().and_then(DataClass::parse);
            if c.is_none() {
                ctx.err("/appliesTo", "appliesTo must be one of: pci, phi, pii");
            }
            c
        }
    };
    let mut positions = vec![(
        "extends".to_string(),
        locate("/extends").0,
        locate("/extends").1,
    )];
    let drop = ctx.strings(m.field("drop"), "", "drop");
    for i in 0..drop.len() {
        let (l, c) = locate(&format!("/drop/{i}"));
        positions.push((format!("drop/{i}"), l, c));
    }
    let mut remap = Vec::new();
    if let Some(r) = m.field("remap")
        && let Some(rm) = ctx.object(r, "/remap", "remap")
    {
        for (rid, spec) in rm {
            let p = format!("/remap/{}", escape(rid));
            let (l, c) = locate(&p);
            positions.push((format!("remap/{rid}"), l, c));
            let Some(sm) = ctx.object(spec, &p, "a remap entry") else {
                continue;
            };
            ctx.check_keys(sm, &p, REMAP_KEYS);
            remap.push(Remap {
                id: rid.clone(),
                rules: sm
                    .contains_key("rules")
                    .then(|| ctx.rule_codes(sm.field("rules"), &p, "rules")),
                planned_rules: sm
                    .contains_key("plannedRules")
                    .then(|| ctx.rule_codes(sm.field("plannedRules"), &p, "plannedRules")),
                assessment: ctx.assessment(sm, &p),
            });
        }
    }
    if extends.is_none() && (!drop.is_empty() || !remap.is_empty()) {
        ctx.err("", "drop and remap need extends");
    }
    let requirements = ctx.requirements(m.field("requirements"), "");
    if requirements.is_empty() && extends.is_none() {
        ctx.err("", "a framework needs at least one requirement");
    }
    Some(FrameworkDef {
        framework: Framework {
            id,
            name,
            version,
            description,
            applies_to,
            extends,
            requirements,
        },
        drop,
        remap,
        file: file.to_string(),
        positions,
    })
}
