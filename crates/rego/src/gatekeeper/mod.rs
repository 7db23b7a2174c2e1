//! Gatekeeper offline, like `gator test`: ConstraintTemplates (Rego, or CEL through a
//! [`NativeValidation`] compiler) and their constraints, the `match` block, `input.review`,
//! `input.parameters` and `data.inventory`.

pub mod matching;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use kubecomply_core::diagnostic::{Diagnostic, Level};
use kubecomply_core::{CustomRule, Finding, Inventory, Object, Severity, Status};
use kubecomply_core::{Map, Value, json};
use kubecomply_loader::locate::PositionIndex;
use rayon::prelude::*;
use regorus::Engine;

use crate::engine::{
    self, RegoVersion, error_at, messages, new_engine, object, rule_path, to_rego,
};
use crate::files;
use crate::metadata::{self, slugify};

/// The CEL (`K8sNativeValidation`) code of a template, compiled.
pub trait NativeValidation: Send + Sync {
    /// The violation messages of `object` under the constraint parameters `params`;
    /// `namespace_object` is the object's Namespace when known; `request` gives the
    /// operation, user and old object (`request.*` and `oldObject` in CEL).
    fn violations(
        &self,
        object: &Value,
        params: &Value,
        namespace_object: Option<&Value>,
        request: &Request,
    ) -> Result<Vec<String>, String>;
}

/// Compiles the `source` of a `K8sNativeValidation` code entry.
pub type NativeCompiler = fn(&Value) -> Result<Box<dyn NativeValidation>, String>;

/// How Gatekeeper policies are evaluated.
#[derive(Clone, Debug)]
pub struct GatekeeperOptions {
    /// Wall-clock limit of one constraint on one object.
    pub timeout: Duration,
    /// Compiler for `K8sNativeValidation` (CEL) templates; without one such templates are
    /// reported and skipped.
    pub native: Option<NativeCompiler>,
    /// Size limit of every file read (templates, constraints, Suite objects).
    pub limits: kubecomply_loader::Limits,
    /// The run's time and seed (`time.now_ns`, `rand.intn`, `uuid.rfc4122`).
    pub determinism: crate::Determinism,
    /// Time budget of all evaluations of one [`Gatekeeper::evaluate`] (zero: none).
    pub run_budget: Duration,
}

impl Default for GatekeeperOptions {
    fn default() -> Self {
        GatekeeperOptions {
            timeout: engine::DEFAULT_TIMEOUT,
            native: Some(compile_cel),
            limits: kubecomply_loader::Limits::default(),
            determinism: crate::Determinism::default(),
            run_budget: engine::DEFAULT_RUN_BUDGET,
        }
    }
}

impl NativeValidation for kubecomply_cel::GatekeeperCel {
    fn violations(
        &self,
        object: &Value,
        params: &Value,
        namespace_object: Option<&Value>,
        request: &Request,
    ) -> Result<Vec<String>, String> {
        let admission = kubecomply_cel::Admission {
            operation: &request.operation,
            user_info: Some(&request.user_info),
            old_object: request.old_object.as_ref(),
        };
        self.review(object, params, namespace_object, admission)
    }
}

/// The default [`NativeCompiler`]: kubecomply-cel's Gatekeeper engine.
pub fn compile_cel(source: &Value) -> Result<Box<dyn NativeValidation>, String> {
    kubecomply_cel::GatekeeperCel::compile(source).map(|c| Box::new(c) as Box<dyn NativeValidation>)
}

/// `spec.enforcementAction` of a constraint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EnforcementAction {
    /// `deny` (or unset): a failure at the constraint's severity.
    Deny,
    /// `warn`: a failure at severity low.
    Warn,
    /// `dryrun`: a failure at severity info.
    Dryrun,
}

impl EnforcementAction {
    fn parse(s: &str) -> Option<EnforcementAction> {
        match s {
            "" | "deny" => Some(EnforcementAction::Deny),
            "warn" => Some(EnforcementAction::Warn),
            "dryrun" => Some(EnforcementAction::Dryrun),
            _ => None,
        }
    }
}

/// A template's compiled code.
#[derive(Clone)]
enum Code {
    Rego { engine: Box<Engine>, query: String },
    Native(Arc<dyn NativeValidation>),
}

/// A compiled ConstraintTemplate.
#[derive(Clone)]
pub struct Template {
    /// `spec.crd.spec.names.kind`.
    pub kind: String,
    /// `metadata.name`.
    pub name: String,
    /// The file it came from.
    pub source: String,
    annotations: Map,
    code: Code,
}

impl std::fmt::Debug for Template {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Template")
            .field("kind", &self.kind)
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// A constraint bound to its template.
#[derive(Clone, Debug)]
pub struct Constraint {
    /// Index of the template in [`Gatekeeper::templates`].
    pub template: usize,
    /// `metadata.name`.
    pub name: String,
    /// `spec.match`.
    pub matcher: Option<Value>,
    /// `spec.parameters` (null when absent).
    pub parameters: Value,
    parameters_rego: regorus::Value,
    /// `spec.enforcementAction`.
    pub action: EnforcementAction,
    /// The rule it defines.
    pub rule: CustomRule,
}

/// The admission request around an object (gator verify may give an AdmissionReview).
#[derive(Clone, Debug)]
pub struct Request {
    /// `CREATE`, `UPDATE`, `DELETE`, `CONNECT`.
    pub operation: String,
    /// `request.userInfo`.
    pub user_info: Value,
    /// `request.oldObject`, if any.
    pub old_object: Option<Value>,
}

impl Default for Request {
    fn default() -> Self {
        Request {
            operation: "CREATE".to_string(),
            user_info: json!({"username": "kubecomply", "groups": ["system:authenticated"]}),
            old_object: None,
        }
    }
}

/// One violation of one constraint.
#[derive(Clone, Debug)]
pub struct Violation {
    /// Index of the constraint in [`Gatekeeper::constraints`].
    pub constraint: usize,
    /// The message, or the evaluation error.
    pub message: Result<String, String>,
    /// `details`, when the template gives some.
    pub details: Option<Value>,
}

/// Gatekeeper templates and constraints, compiled once.
#[derive(Clone, Debug, Default)]
pub struct Gatekeeper {
    /// Compiled templates.
    pub templates: Vec<Template>,
    /// Constraints whose template compiled.
    pub constraints: Vec<Constraint>,
    /// Time budget of all evaluations of one [`Gatekeeper::evaluate`] (zero: none).
    pub run_budget: Duration,
}

/// Gatekeeper policies prepared for one input: template engines with `data.inventory` and
/// the Namespace objects for `namespaceSelector`. Clone one per worker.
#[derive(Clone)]
pub struct Prepared<'g> {
    gk: &'g Gatekeeper,
    parts: PreparedParts,
    deadline: engine::RunDeadline,
}

/// What [`Gatekeeper::prepare`] builds for one inventory, apart from the policies themselves:
/// a holder of prepared state (a per-object evaluator kept between admission requests) keeps
/// these and lends them back to the policies with [`Gatekeeper::resume`].
#[derive(Clone, Default)]
pub struct PreparedParts {
    engines: Vec<Option<Engine>>,
    namespaces: Arc<HashMap<String, Value>>,
}

const TARGET: &str = "admission.k8s.gatekeeper.sh";

fn annotation_map(o: &Value) -> Map {
    o.get("metadata")
        .and_then(|m| m.get("annotations"))
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default()
}

/// Where a Rego text embedded in a YAML object starts: line of its first line and the column
/// its content starts at (block scalars), or the key position otherwise.
fn embedded_origin(object: &Object, pointer: &str) -> Option<(u32, u32, bool)> {
    let o = &object.origin;
    let text = o.source.text.get(o.span.clone())?;
    let full = format!("{}{pointer}", o.prefix);
    let index = PositionIndex::build_for(text, o.line, &[full.as_str()]);
    let (line, column) = index.locate(&full)?;
    let lines: Vec<&str> = o.source.text.lines().collect();
    let key_line = lines.get(line.checked_sub(1)? as usize)?;
    let after = key_line.split_once(':').map_or("", |(_, r)| r).trim_start();
    if after.starts_with('|') || after.starts_with('>') {
        let indent = lines
            .iter()
            .skip(line as usize)
            .find(|l| !l.trim().is_empty())
            .map_or(column + 2, |l| (l.len() - l.trim_start().len()) as u32 + 1);
        Some((line + 1, indent, true))
    } else {
        Some((line, column, false))
    }
}

/// A Rego error in a template as a diagnostic at its line inside the YAML file.
fn template_diagnostic(object: &Object, pointer: &str, e: &anyhow::Error) -> Diagnostic {
    let at = error_at(e);
    let file = object.origin.source.path.to_string();
    let (line, column) = match embedded_origin(object, pointer) {
        Some((first, indent, true)) if at.line > 0 => (first + at.line - 1, indent + at.column - 1),
        Some((l, c, _)) => (l, c),
        None => (object.origin.line, 1),
    };
    Diagnostic {
        level: Level::Error,
        file,
        line,
        column,
        message: format!("template {}: {}", object.name, at.message),
    }
}

/// The Rego sources of a template target: (pointer, text) of the main module then libs, and
/// the Rego version; or the native source.
enum Source {
    Rego(Vec<(String, String)>, RegoVersion),
    Native(Value),
    None,
}

fn template_source(target: &Value, base: &str) -> Source {
    let libs = |v: Option<&Value>, at: &str| -> Vec<(String, String)> {
        v.and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .enumerate()
                    .filter_map(|(i, l)| Some((format!("{at}/libs/{i}"), l.as_str()?.to_string())))
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut native = None;
    if let Some(code) = target.get("code").and_then(Value::as_array) {
        for (i, c) in code.iter().enumerate() {
            let at = format!("{base}/code/{i}/source");
            let src = c.get("source").unwrap_or(&Value::Null);
            match c.get("engine").and_then(Value::as_str) {
                Some("Rego") => {
                    if let Some(rego) = src.get("rego").and_then(Value::as_str) {
                        let version = match src.get("version").and_then(Value::as_str) {
                            Some(v) => RegoVersion::parse(v).unwrap_or(RegoVersion::V0),
                            None => RegoVersion::V0,
                        };
                        let mut modules = vec![(format!("{at}/rego"), rego.to_string())];
                        modules.extend(libs(src.get("libs"), &at));
                        return Source::Rego(modules, version);
                    }
                }
                Some("K8sNativeValidation") => native = Some(src.clone()),
                _ => {}
            }
        }
    }
    if let Some(rego) = target.get("rego").and_then(Value::as_str) {
        let mut modules = vec![(format!("{base}/rego"), rego.to_string())];
        modules.extend(libs(target.get("libs"), base));
        return Source::Rego(modules, RegoVersion::V0);
    }
    match native {
        Some(n) => Source::Native(n),
        None => Source::None,
    }
}

impl Template {
    /// Compiles a ConstraintTemplate object; problems are diagnostics (Rego errors at their
    /// line inside the YAML).
    pub fn compile(
        object: &Object,
        options: &GatekeeperOptions,
        diagnostics: &mut Vec<Diagnostic>,
    ) -> Option<Template> {
        let v = &object.value;
        let file = &object.origin.source.path;
        let error = |line: u32, message: String| Diagnostic {
            level: Level::Error,
            file: file.to_string(),
            line,
            column: 1,
            message,
        };
        let Some(kind) = v
            .pointer("/spec/crd/spec/names/kind")
            .and_then(Value::as_str)
            .filter(|k| !k.is_empty())
        else {
            diagnostics.push(error(
                object.origin.line,
                format!(
                    "template {}: spec.crd.spec.names.kind is missing",
                    object.name
                ),
            ));
            return None;
        };
        let targets = v.pointer("/spec/targets").and_then(Value::as_array);
        let Some((ti, target)) = targets.and_then(|t| {
            t.iter().enumerate().find(|(_, t)| {
                t.get("target")
                    .and_then(Value::as_str)
                    .is_none_or(|n| n == TARGET)
            })
        }) else {
            diagnostics.push(error(
                object.origin.line,
                format!("template {}: no target {TARGET}", object.name),
            ));
            return None;
        };
        let base = format!("/spec/targets/{ti}");
        let code = match template_source(target, &base) {
            Source::Rego(modules, version) => {
                let mut engine = new_engine(version, options.timeout, options.determinism);
                let mut package = None;
                for (pointer, text) in &modules {
                    let text = engine::source_for_regorus(text, version);
                    match engine.add_policy(format!("{file}#{pointer}"), text) {
                        Ok(p) => {
                            if package.is_none() {
                                package = Some(p);
                            }
                        }
                        Err(e) => {
                            diagnostics.push(template_diagnostic(object, pointer, &e));
                            return None;
                        }
                    }
                }
                if let Err(e) = engine::prepare(&mut engine) {
                    let at = error_at(&e);
                    let pointer = at
                        .file
                        .as_deref()
                        .and_then(|f| f.rsplit_once('#'))
                        .map_or(modules[0].0.clone(), |(_, p)| p.to_string());
                    diagnostics.push(template_diagnostic(object, &pointer, &e));
                    return None;
                }
                let package = package.unwrap_or_default();
                Code::Rego {
                    engine: Box::new(engine),
                    query: rule_path(&package, "violation"),
                }
            }
            Source::Native(src) => match options.native {
                Some(compile) => match compile(&src) {
                    Ok(n) => Code::Native(Arc::from(n)),
                    Err(e) => {
                        diagnostics.push(error(
                            object.origin.line,
                            format!("template {}: CEL: {e}", object.name),
                        ));
                        return None;
                    }
                },
                None => {
                    diagnostics.push(Diagnostic {
                        level: Level::Warning,
                        ..error(
                            object.origin.line,
                            format!(
                                "template {}: K8sNativeValidation (CEL) code is not supported by this build; skipped",
                                object.name
                            ),
                        )
                    });
                    return None;
                }
            },
            Source::None => {
                diagnostics.push(error(
                    object.origin.line,
                    format!("template {}: no rego or code", object.name),
                ));
                return None;
            }
        };
        Some(Template {
            kind: kind.to_string(),
            name: object.name.clone(),
            source: file.to_string(),
            annotations: annotation_map(v),
            code,
        })
    }
}

/// Whether an object is a ConstraintTemplate.
pub fn is_template(o: &Object) -> bool {
    o.kind == "ConstraintTemplate" && o.group() == "templates.gatekeeper.sh"
}

/// Whether an object is a constraint (of any template kind).
pub fn is_constraint(o: &Object) -> bool {
    o.group() == "constraints.gatekeeper.sh"
}

impl Gatekeeper {
    /// Loads every ConstraintTemplate and constraint found in the YAML/JSON files under
    /// `paths` (other objects are ignored).
    pub fn load(paths: &[PathBuf], options: &GatekeeperOptions) -> (Gatekeeper, Vec<Diagnostic>) {
        let mut diagnostics = Vec::new();
        let (found, errors) = files::walk(paths, &files::is_manifest);
        for (p, e) in errors {
            diagnostics.push(Diagnostic::file(
                Level::Error,
                &p.display().to_string(),
                format!("cannot read: {e}"),
            ));
        }
        let mut objects = Vec::new();
        for p in found {
            match load_file(&p, &options.limits) {
                Ok(loaded) => {
                    diagnostics.extend(
                        loaded
                            .diagnostics
                            .into_iter()
                            .filter(|d| d.level != Level::Note),
                    );
                    objects.extend(loaded.objects);
                }
                Err(d) => diagnostics.push(d),
            }
        }
        let (gk, more) = Gatekeeper::from_objects(&objects, options);
        diagnostics.extend(more);
        (gk, diagnostics)
    }

    /// Compiles the templates among `objects` and binds the constraints among them.
    pub fn from_objects(
        objects: &[Object],
        options: &GatekeeperOptions,
    ) -> (Gatekeeper, Vec<Diagnostic>) {
        let mut diagnostics = Vec::new();
        let mut gk = Gatekeeper {
            run_budget: options.run_budget,
            ..Gatekeeper::default()
        };
        let mut first_of_kind: HashMap<String, (String, u32)> = HashMap::new();
        for o in objects.iter().filter(|o| is_template(o)) {
            if let Some(t) = Template::compile(o, options, &mut diagnostics) {
                if let Some((file, line)) = first_of_kind.get(&t.kind) {
                    // Gatekeeper refuses the second template of a kind; which one a constraint
                    // would use depends on the order they were applied: an error, not a guess.
                    diagnostics.push(Diagnostic {
                        level: Level::Error,
                        file: o.origin.source.path.to_string(),
                        line: o.origin.line,
                        column: 1,
                        message: format!(
                            "template {}: kind {} is already defined by the template at {file}:{line}; this one is ignored",
                            o.name, t.kind
                        ),
                    });
                    continue;
                }
                first_of_kind.insert(
                    t.kind.clone(),
                    (o.origin.source.path.to_string(), o.origin.line),
                );
                gk.templates.push(t);
            }
        }
        for o in objects.iter().filter(|o| is_constraint(o)) {
            let problems = matching::validate(o.value.pointer("/spec/match"));
            if !problems.is_empty() {
                // A wrongly typed match block would be read as absent and match everything
                // (or nothing): the API server rejects such a constraint, and so does this.
                let at = |pointer: &str| {
                    o.origin
                        .positions
                        .as_ref()
                        .and_then(|p| {
                            kubecomply_loader::locate::locate_recorded(
                                &o.value,
                                p,
                                &format!("/spec/match{pointer}"),
                            )
                        })
                        .unwrap_or((o.origin.line, 1))
                };
                for (pointer, message) in problems {
                    let (line, column) = at(&pointer);
                    diagnostics.push(Diagnostic {
                        level: Level::Error,
                        file: o.origin.source.path.to_string(),
                        line,
                        column,
                        message: format!(
                            "constraint {}/{}: spec.match{}: {message}; the constraint is not used",
                            o.kind,
                            o.name,
                            pointer.replace('/', ".")
                        ),
                    });
                }
                continue;
            }
            match gk.templates.iter().position(|t| t.kind == o.kind) {
                Some(ti) => {
                    let c = gk.constraint(ti, o, &mut diagnostics);
                    gk.constraints.push(c);
                }
                None => diagnostics.push(Diagnostic {
                    level: Level::Error,
                    file: o.origin.source.path.to_string(),
                    line: o.origin.line,
                    column: 1,
                    message: format!(
                        "constraint {}/{}: no compiled template defines kind {}",
                        o.kind, o.name, o.kind
                    ),
                }),
            }
        }
        (gk, diagnostics)
    }

    /// Binds a constraint object to template `ti`.
    pub fn constraint(
        &self,
        ti: usize,
        o: &Object,
        diagnostics: &mut Vec<Diagnostic>,
    ) -> Constraint {
        let t = &self.templates[ti];
        let own = annotation_map(&o.value);
        let pick = |key: &str| {
            own.get(key)
                .or_else(|| t.annotations.get(key))
                .and_then(Value::as_str)
                .map(str::to_string)
        };
        let mut warn = |message: String| {
            diagnostics.push(Diagnostic {
                level: Level::Warning,
                file: o.origin.source.path.to_string(),
                line: o.origin.line,
                column: 1,
                message,
            })
        };
        let action_text = o
            .value
            .pointer("/spec/enforcementAction")
            .and_then(Value::as_str)
            .unwrap_or("");
        let action = EnforcementAction::parse(action_text).unwrap_or_else(|| {
            warn(format!(
                "constraint {}: enforcementAction {action_text:?} is not deny, warn or dryrun; treated as deny",
                o.name
            ));
            EnforcementAction::Deny
        });
        let base_severity = match pick("kubecomply.io/severity") {
            Some(s) => Severity::parse(&s).unwrap_or_else(|| {
                warn(format!(
                    "constraint {}: unknown severity {s:?}; high used",
                    o.name
                ));
                Severity::High
            }),
            None => Severity::High,
        };
        let severity = match action {
            EnforcementAction::Deny => base_severity,
            EnforcementAction::Warn => Severity::Low,
            EnforcementAction::Dryrun => Severity::Info,
        };
        let frameworks = match pick("kubecomply.io/frameworks") {
            Some(s) => {
                let (f, problems) = metadata::frameworks(&Value::String(s));
                for p in problems {
                    warn(format!("constraint {}: {p}", o.name));
                }
                f
            }
            None => Vec::new(),
        };
        let code = own
            .get("kubecomply.io/code")
            .or_else(|| t.annotations.get("kubecomply.io/code"))
            .and_then(Value::as_str)
            .map(str::to_string)
            .unwrap_or_else(|| format!("GK-{}-{}", t.kind, o.name).to_uppercase());
        let title = t
            .annotations
            .get("metadata.gatekeeper.sh/title")
            .and_then(Value::as_str)
            .map_or_else(|| format!("{} {}", t.kind, o.name), str::to_string);
        let description = t
            .annotations
            .get("description")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let parameters = o
            .value
            .pointer("/spec/parameters")
            .cloned()
            .unwrap_or(Value::Null);
        Constraint {
            template: ti,
            name: o.name.clone(),
            matcher: o.value.pointer("/spec/match").cloned(),
            parameters_rego: match &parameters {
                Value::Null => regorus::Value::new_object(),
                p => to_rego(p),
            },
            parameters,
            action,
            rule: CustomRule {
                code,
                slug: slugify(&format!("{}-{}", t.kind, o.name)),
                title,
                severity,
                description,
                engine: "gatekeeper".to_string(),
                source: o.origin.source.path.to_string(),
                frameworks,
            },
        }
    }

    /// One rule per constraint.
    pub fn rules(&self) -> Vec<CustomRule> {
        self.constraints.iter().map(|c| c.rule.clone()).collect()
    }

    /// Prepares the templates for an input: `data.inventory` from `inventory` (Gatekeeper's
    /// layout: `cluster[apiVersion][kind][name]`, `namespace[ns][apiVersion][kind][name]`).
    pub fn prepare<'a>(&self, inventory: impl Iterator<Item = &'a Value>) -> Prepared<'_> {
        let inventory: Vec<&Value> = inventory.collect();
        let mut namespaces = HashMap::new();
        for v in &inventory {
            let s = matching::Subject::of(v);
            if s.kind == "Namespace" && s.group.is_empty() {
                namespaces.insert(s.name.to_string(), (*v).clone());
            }
        }
        let data = to_rego(&inventory_data(inventory.into_iter()));
        let engines = self
            .templates
            .iter()
            .map(|t| match &t.code {
                Code::Rego { engine, .. } => {
                    let mut e = Engine::clone(engine);
                    // Data can only conflict with itself on a fresh engine; prepare errors
                    // were seen at compile time. Either way the template then reports errors
                    // per object instead of silently passing.
                    let ok = e.add_data(data.clone()).is_ok() && engine::prepare(&mut e).is_ok();
                    ok.then_some(e)
                }
                Code::Native(_) => None,
            })
            .collect();
        Prepared {
            gk: self,
            parts: PreparedParts {
                engines,
                namespaces: Arc::new(namespaces),
            },
            deadline: engine::RunDeadline::start(Duration::ZERO),
        }
    }

    /// Prepared state built earlier by [`Gatekeeper::prepare`] on these same policies, ready
    /// to review objects again.
    pub fn resume(&self, parts: PreparedParts) -> Prepared<'_> {
        Prepared {
            gk: self,
            parts,
            deadline: engine::RunDeadline::start(Duration::ZERO),
        }
    }

    /// Evaluates every constraint on every matching object of `inventory` (which is also
    /// `data.inventory`), in parallel.
    pub fn evaluate(&self, inventory: &Inventory) -> Vec<Finding> {
        if self.constraints.is_empty() {
            return Vec::new();
        }
        let mut prepared = self.prepare(inventory.objects.iter().map(|o| &o.value));
        prepared.deadline = engine::RunDeadline::start(self.run_budget);
        let _phase = crate::memory::Phase::begin();
        let mut out: Vec<Finding> = inventory
            .objects
            .par_iter()
            .map_init(|| prepared.clone(), |p, object| p.findings(object))
            .flatten()
            .collect();
        out.sort_by(|a, b| {
            (&a.location.file, a.location.pointer.as_str(), &a.rule).cmp(&(
                &b.location.file,
                b.location.pointer.as_str(),
                &b.rule,
            ))
        });
        out
    }
}

/// Loads one manifest file with the loader.
/// The objects of one manifest, read within `limits` (a regular file only).
pub(crate) fn load_file(
    p: &std::path::Path,
    limits: &kubecomply_loader::Limits,
) -> Result<kubecomply_loader::Loaded, Diagnostic> {
    let source = kubecomply_loader::files::read_file(p, limits)?;
    Ok(kubecomply_loader::load(source, limits))
}

impl Prepared<'_> {
    /// The state to keep for later reviews ([`Gatekeeper::resume`]).
    pub fn into_parts(self) -> PreparedParts {
        self.parts
    }

    /// The findings of every matching constraint on `object`, reviewed as a CREATE request:
    /// failures, and errors of constraints that could not be evaluated.
    pub fn findings(&mut self, object: &Object) -> Vec<Finding> {
        let gk = self.gk;
        self.review(&object.value, &Request::default())
            .into_iter()
            .map(|v| {
                let c = &gk.constraints[v.constraint];
                let (status, message, pointer) = match v.message {
                    Ok(m) => (
                        Status::Fail,
                        m,
                        crate::pointer_from_details(object, v.details.as_ref()),
                    ),
                    Err(e) => (
                        Status::Error,
                        format!("policy error in constraint {}: {e}", c.name),
                        String::new(),
                    ),
                };
                crate::finding(
                    &c.rule.code,
                    &c.rule.slug,
                    status,
                    c.rule.severity,
                    object,
                    pointer,
                    message,
                )
            })
            .collect()
    }

    /// The violations of every matching constraint on `object`.
    pub fn review(&mut self, object: &Value, request: &Request) -> Vec<Violation> {
        let subject = matching::Subject::of(object);
        let namespaces = Arc::clone(&self.parts.namespaces);
        let namespace_of = |ns: &str| namespaces.get(ns);
        let ns_object = if subject.namespace.is_empty() {
            None
        } else {
            namespaces.get(subject.namespace)
        };
        let mut review: Option<regorus::Value> = None;
        let mut out = Vec::new();
        for (ci, c) in self.gk.constraints.iter().enumerate() {
            if !matching::matches(c.matcher.as_ref(), &subject, &namespace_of) {
                continue;
            }
            let t = &self.gk.templates[c.template];
            if let Some(why) = self.deadline.passed() {
                out.push(Violation {
                    constraint: ci,
                    message: Err(why),
                    details: None,
                });
                continue;
            }
            match &t.code {
                Code::Native(n) => match n.violations(object, &c.parameters, ns_object, request) {
                    Ok(msgs) => out.extend(msgs.into_iter().map(|m| Violation {
                        constraint: ci,
                        message: Ok(m),
                        details: None,
                    })),
                    Err(e) => out.push(Violation {
                        constraint: ci,
                        message: Err(e),
                        details: None,
                    }),
                },
                Code::Rego { query, .. } => {
                    let Some(engine) = self.parts.engines[c.template].as_mut() else {
                        out.push(Violation {
                            constraint: ci,
                            message: Err(
                                "template could not be prepared with data.inventory".into()
                            ),
                            details: None,
                        });
                        continue;
                    };
                    let review = review
                        .get_or_insert_with(|| review_value(object, &subject, request, ns_object))
                        .clone();
                    engine.set_input(object_input(review, c.parameters_rego.clone()));
                    match crate::memory::evaluate(|| engine.eval_rule(query.clone())) {
                        Ok(v) => {
                            out.extend(messages(&v, "violation").into_iter().map(|(m, details)| {
                                Violation {
                                    constraint: ci,
                                    message: Ok(m),
                                    details,
                                }
                            }))
                        }
                        Err(e) => out.push(Violation {
                            constraint: ci,
                            message: Err(engine::describe(&e)),
                            details: None,
                        }),
                    }
                    let _ = engine.take_prints();
                }
            }
        }
        out
    }
}

fn object_input(review: regorus::Value, parameters: regorus::Value) -> regorus::Value {
    object(vec![("review", review), ("parameters", parameters)])
}

/// The whole `input` a Rego template sees for `object` under a constraint with `parameters`
/// (`review` as Gatekeeper builds it for an admission request, and `parameters`): what a
/// differential test gives OPA to compare verdicts on exactly the same input.
pub fn review_input(
    object: &Value,
    request: &Request,
    namespace: Option<&Value>,
    parameters: &Value,
) -> Value {
    let s = matching::Subject::of(object);
    json!({
        "review": review_json(object, &s, request, namespace),
        "parameters": parameters,
    })
}

/// `data.inventory` as [`Gatekeeper::prepare`] builds it from `inventory`.
pub fn inventory_data<'a>(inventory: impl Iterator<Item = &'a Value>) -> Value {
    let mut cluster = Map::new();
    let mut namespaced = Map::new();
    for v in inventory {
        let s = matching::Subject::of(v);
        let api_version = v.get("apiVersion").and_then(Value::as_str).unwrap_or("");
        let root = if s.namespace.is_empty() {
            &mut cluster
        } else {
            match namespaced
                .entry(s.namespace.to_string())
                .or_insert_with(|| Value::Object(Map::new()))
                .as_object_mut()
            {
                Some(m) => m,
                None => continue,
            }
        };
        if let Some(by_kind) = root
            .entry(api_version.to_string())
            .or_insert_with(|| Value::Object(Map::new()))
            .as_object_mut()
            .and_then(|by_gv| {
                by_gv
                    .entry(s.kind.to_string())
                    .or_insert_with(|| Value::Object(Map::new()))
                    .as_object_mut()
            })
        {
            by_kind.insert(s.name.to_string(), v.clone());
        }
    }
    json!({"inventory": {"cluster": cluster, "namespace": namespaced}})
}

/// `input.review` as Gatekeeper builds it for an admission request.
fn review_value(
    o: &Value,
    s: &matching::Subject<'_>,
    request: &Request,
    ns_object: Option<&Value>,
) -> regorus::Value {
    to_rego(&review_json(o, s, request, ns_object))
}

fn review_json(
    o: &Value,
    s: &matching::Subject<'_>,
    request: &Request,
    ns_object: Option<&Value>,
) -> Value {
    let api_version = o.get("apiVersion").and_then(Value::as_str).unwrap_or("");
    let version = api_version.rsplit('/').next().unwrap_or("");
    let uid = o
        .pointer("/metadata/uid")
        .and_then(Value::as_str)
        .unwrap_or("");
    let mut review = json!({
        "kind": {"group": s.group, "version": version, "kind": s.kind},
        "name": s.name,
        "namespace": s.namespace,
        "operation": request.operation,
        "uid": uid,
        "userInfo": request.user_info,
        "dryRun": false,
    });
    if let Some(ns) = ns_object {
        review["_unstable"] = json!({"namespace": ns});
    }
    if let Some(old) = &request.old_object {
        review["oldObject"] = old.clone();
    }
    review["object"] = o.clone();
    review
}
