//! The framework file format: YAML parsed with the loader (positions for errors), read into the
//! typed [`FrameworkFile`] with serde (its JSON Schema is `docs/schema/framework-v1.json`), then
//! checked and converted into a [`FrameworkDef`].

use std::collections::HashSet;

use kubecomply_core::Value;
use kubecomply_core::document::{self, OrderedMap, Text};
use kubecomply_loader::Limits;
use kubecomply_loader::locate::PositionIndex;
use serde::{Deserialize, Deserializer};

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

/// A field that, when written, must have a value: `key: ~` is an error, not an absent field.
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

/// A framework file as written: a catalogue of requirements, or (with `extends`) changes to
/// another framework.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(extend("required" = ["id", "name"]))]
pub struct FrameworkFile {
    /// Identifier used on the command line (`--framework ID`): lower-case letters, digits and `-`.
    #[serde(default, deserialize_with = "present")]
    #[schemars(with = "Text")]
    pub id: Option<Text>,
    /// Display name.
    #[serde(default, deserialize_with = "present")]
    #[schemars(with = "Text")]
    pub name: Option<Text>,
    /// The version of the standard (required unless inherited with `extends`).
    #[serde(default, deserialize_with = "present")]
    #[schemars(with = "Text")]
    pub version: Option<Text>,
    /// What the framework is (inherited with `extends` when absent).
    #[serde(default, deserialize_with = "present")]
    #[schemars(with = "Text")]
    pub description: Option<Text>,
    /// The class of data it protects: only resources carrying it (label or annotation
    /// `compliance.kubecomply.io/data-class`) are in scope. Inherited with `extends` when absent.
    #[serde(default, deserialize_with = "present")]
    #[schemars(with = "DataClass")]
    pub applies_to: Option<Text>,
    /// The id of the framework this one derives from: a built-in one or one read earlier.
    #[serde(default, deserialize_with = "present")]
    #[schemars(with = "String")]
    pub extends: Option<String>,
    /// With `extends`: ids of inherited requirements to remove (with their children).
    #[serde(default, deserialize_with = "present")]
    #[schemars(with = "Vec<String>")]
    pub drop: Option<Vec<String>>,
    /// With `extends`: new mappings of inherited requirements, by requirement id.
    #[serde(default, deserialize_with = "present")]
    #[schemars(with = "OrderedMap<RemapEntry>")]
    pub remap: Option<OrderedMap<RemapEntry>>,
    /// The requirements (with `extends`: added at the top level, the same id replaces). At least
    /// one without `extends`. Each is a [`RequirementEntry`], read on its own so that one bad
    /// entry does not hide the problems of the others.
    #[serde(default, deserialize_with = "present")]
    #[schemars(with = "Vec<RequirementEntry>")]
    pub requirements: Option<Vec<serde_json::Value>>,
}

/// One requirement, or a group of requirements (one with `requirements`, which then maps no
/// rules). A requirement without children needs an `assessment`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(extend("required" = ["id", "title"]))]
pub struct RequirementEntry {
    /// The standard's identifier (`1.2.5`, `164.312(b)`, `CC6.1`), unique in the framework.
    #[serde(default, deserialize_with = "present")]
    #[schemars(with = "Text")]
    pub id: Option<Text>,
    /// Short title.
    #[serde(default, deserialize_with = "present")]
    #[schemars(with = "Text")]
    pub title: Option<Text>,
    /// Longer explanation.
    #[serde(default, deserialize_with = "present")]
    #[schemars(with = "Text")]
    pub description: Option<Text>,
    /// How it is assessed.
    #[serde(default, deserialize_with = "present")]
    #[schemars(with = "Assessment")]
    pub assessment: Option<Text>,
    /// Evidence sources it needs that a manifest scan does not provide.
    #[serde(default, deserialize_with = "present")]
    #[schemars(with = "Vec<Need>")]
    pub needs: Option<Vec<String>>,
    /// Rule codes that give evidence (`KC-AREA-NNN`, or a policy's own code).
    #[serde(default, deserialize_with = "present")]
    #[schemars(with = "Vec<String>")]
    pub rules: Option<Vec<String>>,
    /// Rule codes reserved for analyzers that do not exist yet.
    #[serde(default, deserialize_with = "present")]
    #[schemars(with = "Vec<String>")]
    pub planned_rules: Option<Vec<String>>,
    /// Child requirements (each a [`RequirementEntry`]): this one is then a group.
    #[serde(default, deserialize_with = "present")]
    #[schemars(with = "Vec<RequirementEntry>")]
    pub requirements: Option<Vec<serde_json::Value>>,
}

/// A new mapping of an inherited requirement: what is given replaces the base's.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RemapEntry {
    /// Rule codes that give evidence (replaces the inherited list).
    #[serde(default, deserialize_with = "present")]
    #[schemars(with = "Vec<String>")]
    pub rules: Option<Vec<String>>,
    /// Planned rule codes (replaces the inherited list).
    #[serde(default, deserialize_with = "present")]
    #[schemars(with = "Vec<String>")]
    pub planned_rules: Option<Vec<String>>,
    /// How it is assessed.
    #[serde(default, deserialize_with = "present")]
    #[schemars(with = "Assessment")]
    pub assessment: Option<Text>,
}

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

    /// Reads `v` as a `T`, recording every faulty field (pointers under `ptr`).
    fn typed<T: serde::de::DeserializeOwned>(&mut self, v: &Value, ptr: &str) -> Option<T> {
        let (t, errs) = document::from_value_all::<T>(v);
        for e in errs {
            self.err(&format!("{ptr}{}", e.pointer), e.message);
        }
        t
    }

    fn string(&mut self, v: Option<Text>, ptr: &str, key: &str, required: bool) -> String {
        match v {
            Some(Text(s)) if !s.trim().is_empty() => s,
            Some(_) | None if !required => String::new(),
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

    fn rule_codes(&mut self, codes: Vec<String>, ptr: &str, key: &str) -> Vec<String> {
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

    fn assessment(&mut self, v: Option<Text>, ptr: &str) -> Option<Assessment> {
        let Text(s) = v?;
        let a = Assessment::parse(&s);
        if a.is_none() {
            self.err(
                &format!("{ptr}/assessment"),
                "assessment must be one of: automated, partial, manual",
            );
        }
        a
    }

    fn requirements(&mut self, items: Vec<serde_json::Value>, ptr: &str) -> Vec<Requirement> {
        let p = format!("{ptr}/requirements");
        items
            .into_iter()
            .enumerate()
            .filter_map(|(i, item)| self.requirement(&Value::from(item), &format!("{p}/{i}")))
            .collect()
    }

    fn requirement(&mut self, v: &Value, ptr: &str) -> Option<Requirement> {
        if !v.is_object() {
            self.err(ptr, "a requirement must be a mapping");
            return None;
        }
        let m: RequirementEntry = self.typed(v, ptr)?;
        let id = self.string(m.id, ptr, "id", true);
        if !id.is_empty() && !self.ids.insert(id.clone()) {
            self.err(
                &format!("{ptr}/id"),
                format!("duplicate requirement id {id:?}"),
            );
        }
        let title = self.string(m.title, ptr, "title", true);
        let description = self.string(m.description, ptr, "description", false);
        let assessment_given = m.assessment.is_some();
        let assessment = self.assessment(m.assessment, ptr);
        let mut needs = Vec::new();
        for (i, n) in m.needs.unwrap_or_default().iter().enumerate() {
            match Need::parse(n) {
                Some(n) => needs.push(n),
                None => self.err(
                    &format!("{ptr}/needs/{i}"),
                    format!("unknown evidence source {n:?} (expected node-scan, cluster, image-scan or audit-log)"),
                ),
            }
        }
        let rules = self.rule_codes(m.rules.unwrap_or_default(), ptr, "rules");
        let planned_rules =
            self.rule_codes(m.planned_rules.unwrap_or_default(), ptr, "plannedRules");
        for (i, c) in planned_rules.iter().enumerate() {
            if rules.contains(c) {
                self.err(
                    &format!("{ptr}/plannedRules/{i}"),
                    format!("{c} is both mapped and planned"),
                );
            }
        }
        let requirements = self.requirements(m.requirements.unwrap_or_default(), ptr);
        if requirements.is_empty() && !assessment_given {
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
    if !v.is_object() {
        ctx.err("", "a framework file must be a mapping");
        return None;
    }
    let m: FrameworkFile = ctx.typed(v, "")?;
    let id = ctx.string(m.id, "", "id", true);
    if !id.is_empty()
        && !id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        ctx.err("/id", "id must be lower-case letters, digits and '-'");
    }
    let name = ctx.string(m.name, "", "name", true);
    let extends = m.extends;
    let version = ctx.string(m.version, "", "version", extends.is_none());
    let description = ctx.string(m.description, "", "description", false);
    let applies_to = match m.applies_to {
        None => None,
        Some(Text(s)) => {
            let c = DataClass::parse(&s);
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
    let drop = m.drop.unwrap_or_default();
    for i in 0..drop.len() {
        let (l, c) = locate(&format!("/drop/{i}"));
        positions.push((format!("drop/{i}"), l, c));
    }
    let mut remap = Vec::new();
    for (rid, spec) in m.remap.unwrap_or_default().0 {
        let p = format!("/remap/{}", escape(&rid));
        let (l, c) = locate(&p);
        positions.push((format!("remap/{rid}"), l, c));
        remap.push(Remap {
            rules: spec.rules.map(|r| ctx.rule_codes(r, &p, "rules")),
            planned_rules: spec
                .planned_rules
                .map(|r| ctx.rule_codes(r, &p, "plannedRules")),
            assessment: ctx.assessment(spec.assessment, &p),
            id: rid,
        });
    }
    if extends.is_none() && (!drop.is_empty() || !remap.is_empty()) {
        ctx.err("", "drop and remap need extends");
    }
    let requirements = ctx.requirements(m.requirements.unwrap_or_default(), "");
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
