//! kubecomply's pipeline as a library: the one code path that the command line, the
//! live-cluster service and the admission webhook run.
//!
//! [`Settings`] say everything a run depends on (rules, severities, exceptions, the team's
//! policies, segmentation, frameworks, limits, the clock); [`Engine::new`] prepares them once
//! (policies compiled, exceptions and frameworks read) and reports what it met as
//! diagnostics; [`Engine::scan`] runs every analyzer over an [`Inventory`] and gives located,
//! ordered findings; [`Engine::assess`] evaluates compliance frameworks on a scan.
//!
//! The library holds no process-wide state: it never reads the environment or the system
//! clock (the [`Clock`] is a setting), never prints (diagnostics are returned), and two
//! engines, say before and after a policy reload, live side by side.
//!
//! A program embedding the engine: settings, a scan, a change, an admission request.
//!
//! ```
//! use kubecomply_core::{ClusterRef, Object, Status, date::Date};
//! use kubecomply_engine::{Clock, ClusterView, Engine, ScanOptions, Settings};
//!
//! // Settings: the configuration file would come from `Settings::load`; here, the defaults and
//! // a fixed clock.
//! let mut settings = Settings::new(Clock::on(Date::parse("2026-12-01").unwrap()));
//! settings.skip = vec!["image-without-digest".into()];
//! let (engine, diagnostics) = Engine::new(settings).unwrap();
//! assert!(diagnostics.is_empty());
//!
//! // Scan an inventory (from files, or listed from a cluster).
//! let manifests = r#"
//! apiVersion: v1
//! kind: ServiceAccount
//! metadata: {name: web, namespace: shop}
//! ---
//! apiVersion: v1
//! kind: Pod
//! metadata: {name: web, namespace: shop}
//! spec:
//!   serviceAccountName: web
//!   containers:
//!   - name: web
//!     image: nginx
//!     securityContext: {privileged: true}
//! "#;
//! let inventory = kubecomply_engine::inventory_from_yaml("shop.yaml", manifests);
//! let result = engine.scan(&inventory, &ScanOptions::default());
//! let privileged = result.findings.iter().find(|f| f.rule == "KC-HOST-001").unwrap();
//! assert_eq!((privileged.location.line, privileged.location.column), (14, 23));
//!
//! // Keep a view of the cluster current as watch events arrive: the ServiceAccount goes away.
//! let mut view = ClusterView::new(inventory);
//! view.remove("ServiceAccount", "shop", "web");
//!
//! // An admission request: one object, evaluated against the view.
//! let request = kubecomply_core::json!({
//!     "apiVersion": "apps/v1", "kind": "Deployment",
//!     "metadata": {"name": "api", "namespace": "shop"},
//!     "spec": {"template": {"spec": {
//!         "serviceAccountName": "web",
//!         "containers": [{"name": "api", "image": "registry.example.com/api:latest",
//!                         "securityContext": {"runAsNonRoot": true}}]}}}
//! });
//! let cluster = ClusterRef { cluster: "prod".into(), uid: String::new(), resource_version: String::new() };
//! let object = Object::from_cluster(request, cluster).unwrap();
//! let findings = engine.evaluate_object(&object, &view);
//! assert!(findings.iter().all(|f| f.status != Status::Pass));
//! assert!(findings.iter().any(|f| f.rule == "KC-IMG-001"), "a mutable tag");
//! assert_eq!(findings[0].location.file.as_ref(), "cluster://prod/shop/Deployment/api");
//! ```

use std::path::Path;
use std::sync::OnceLock;

use kubecomply_checks::EngineOptions;
use kubecomply_core::diagnostic::Level;
use kubecomply_core::exceptions::Exception;
use kubecomply_core::{Diagnostic, Finding, Inventory, Location, Origin, RuleMeta, Status};
use kubecomply_frameworks::Framework;
use kubecomply_loader::{Limits, files};
use rayon::prelude::*;

pub use catalogue::Catalogue;
pub use frameworks::{Assessment, ReportRequest};
pub use inputs::{Loaded, ReadOptions};
pub use policies::Policies;
pub use settings::{Clock, PolicySettings, Settings};
pub use view::{ClusterView, RuleReads};

/// A problem that stops the engine from being built or a request from being answered (an
/// unreadable configuration, an unknown rule or framework). Problems with inputs are
/// [`Diagnostic`]s instead: the work goes on for the rest.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Error(String);

impl Error {
    /// An error with this message (which names the file, line and column where there is one).
    pub fn new(message: impl Into<String>) -> Error {
        Error(message.into())
    }
}

impl From<serde_json::Error> for Error {
    fn from(e: serde_json::Error) -> Error {
        Error(e.to_string())
    }
}

/// The engine's result type.
pub type Result<T> = std::result::Result<T, Error>;

/// An [`Error`] from a format string.
macro_rules! err {
    ($($t:tt)*) => { $crate::Error::new(format!($($t)*)) };
}

/// Returns an [`Error`] from a format string.
macro_rules! fail {
    ($($t:tt)*) => { return Err($crate::Error::new(format!($($t)*))) };
}

pub mod catalogue;
pub mod definition;
pub mod evidence;
pub mod flows;
pub mod frameworks;
pub mod inputs;
pub mod policies;
pub mod schedule;
pub mod settings;
pub mod view;

/// What a scan runs besides the built-in rules, and what it keeps.
#[derive(Clone, Copy, Debug, Default)]
pub struct ScanOptions {
    /// Keep `pass` findings (JSON/JUnit evidence, frameworks) instead of only counting them.
    pub include_passes: bool,
    /// Run the network policy review (KC-NET-1xx); it costs more than the other rules on large
    /// inputs.
    pub network: bool,
    /// For each selected rule of a cross-object review (RBAC, network, the team's policies)
    /// that applies to the inventory and found nothing, add one cluster-level pass, so that
    /// frameworks see the rule as checked rather than not applicable.
    pub review_passes: bool,
}

impl ScanOptions {
    /// Everything, as compliance frameworks need it: passes, the network review and the
    /// reviews' passes.
    pub fn for_frameworks() -> ScanOptions {
        ScanOptions {
            include_passes: true,
            network: true,
            review_passes: true,
        }
    }
}

/// The result of [`Engine::scan`].
#[derive(Debug, Default)]
pub struct ScanResult {
    /// The findings, located (file, line, column) and ordered by file, line, column and rule.
    pub findings: Vec<Finding>,
    /// Passed checks (rule × object), whether or not passes are among the findings.
    pub passed: usize,
    /// The codes of the rules that ran, built-in rules first, then the RBAC review, the
    /// network review and the team's policies.
    pub rules: Vec<String>,
}

impl ScanResult {
    /// Whether some finding is an evaluation error (an object a rule could not evaluate).
    pub fn has_errors(&self) -> bool {
        self.findings.iter().any(|f| f.status == Status::Error)
    }
}

/// The pipeline, prepared once from [`Settings`].
pub struct Engine {
    settings: Settings,
    policies: Option<Policies>,
    rules: kubecomply_checks::Engine,
    segmentation: kubecomply_netpol::Segmentation,
    /// Read on first use: a scan needs no framework.
    frameworks: OnceLock<std::result::Result<LoadedFrameworks, String>>,
    /// Policies prepared for the last cluster view evaluated against.
    prepared: view::PreparedCache,
}

/// The frameworks and what reading them met.
type LoadedFrameworks = (Vec<Framework>, Vec<Diagnostic>);

impl Engine {
    /// Prepares the pipeline: compiles the team's policies, reads the exceptions, the
    /// segmentation and the custom frameworks, and checks that every rule the settings name
    /// exists. Problems that leave the rest usable (a policy that does not compile, an invalid
    /// exception) are diagnostics; the others are errors.
    pub fn new(settings: Settings) -> Result<(Engine, Vec<Diagnostic>)> {
        let mut diagnostics = Vec::new();
        let builtin = catalogue::builtin();
        let policies = Policies::load(
            &settings.policies,
            &builtin,
            &settings.limits,
            settings.clock.determinism(),
            &mut diagnostics,
        )?;
        let known = Catalogue::new(policies.as_ref().map(Policies::metas).unwrap_or_default());
        for name in settings.only.iter().chain(settings.skip.iter()) {
            if known.find(name).is_none() {
                return Err(Error::new(format!(
                    "no rule named {name:?} (see `kubecomply rules`)"
                )));
            }
        }
        let mut options = EngineOptions {
            only: settings.only.clone(),
            skip: settings.skip.clone(),
            severity_overrides: settings.severity_overrides.clone(),
            params: settings.params.clone(),
            today: Some(settings.clock.today),
            ..EngineOptions::default()
        };
        if let Some(p) = &settings.exceptions_file {
            let (ex, origin) = load_exceptions(p, &settings.limits, &mut diagnostics);
            options.exceptions = ex;
            options.exceptions_origin = origin;
        }
        let segmentation = match &settings.segmentation {
            Some(p) => flows::load_segmentation(&p.to_string_lossy(), &settings.limits)
                .map_err(Error::new)?,
            None => kubecomply_netpol::Segmentation::default(),
        };
        let rules = kubecomply_checks::Engine::new(&kubecomply_checks::registry::all(), options);
        Ok((
            Engine {
                settings,
                policies,
                rules,
                segmentation,
                frameworks: OnceLock::new(),
                prepared: view::PreparedCache::default(),
            },
            diagnostics,
        ))
    }

    /// The settings the engine was built from.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The team's policies, when the settings name some.
    pub fn policies(&self) -> Option<&Policies> {
        self.policies.as_ref()
    }

    /// Every rule this engine knows: built-in, then the team's policies.
    pub fn catalogue(&self) -> Catalogue<'_> {
        Catalogue::new(
            self.policies
                .as_ref()
                .map(Policies::metas)
                .unwrap_or_default(),
        )
    }

    fn loaded_frameworks(&self) -> Result<&LoadedFrameworks> {
        self.frameworks
            .get_or_init(|| {
                let mut all =
                    frameworks::load(&self.settings.framework_files, &self.settings.limits)
                        .map_err(|e| e.0)?;
                let mut diagnostics = Vec::new();
                if let Some(p) = &self.policies {
                    frameworks::map_policies(&mut all, &p.rules, &mut diagnostics);
                }
                Ok((all, diagnostics))
            })
            .as_ref()
            .map_err(|e| Error::new(e.clone()))
    }

    /// The compliance frameworks: built-in, then custom (`framework_files`), with the team's
    /// policies mapped into the requirements their metadata names. Read on first use.
    pub fn frameworks(&self) -> Result<&[Framework]> {
        Ok(&self.loaded_frameworks()?.0)
    }

    /// What reading the frameworks met: policies that name a framework or requirement that
    /// does not exist.
    pub fn framework_diagnostics(&self) -> Result<&[Diagnostic]> {
        Ok(&self.loaded_frameworks()?.1)
    }

    /// Finds a framework by id (case-insensitive).
    pub fn framework(&self, id: &str) -> Result<&Framework> {
        self.frameworks()?
            .iter()
            .find(|f| f.id.eq_ignore_ascii_case(id))
            .ok_or_else(|| {
                Error::new(format!(
                    "no framework named {id:?} (see `kubecomply frameworks`)"
                ))
            })
    }

    /// Reads inputs with the settings' limits.
    pub fn load(&self, paths: &[String], options: ReadOptions) -> Loaded {
        inputs::load(paths, &self.settings.limits, options)
    }

    /// Whether the settings select the rule (`only` and `skip`).
    fn selects(&self, m: &RuleMeta<'_>) -> bool {
        (self.settings.only.is_empty() || self.settings.only.iter().any(|s| m.is_named(s)))
            && !self.settings.skip.iter().any(|s| m.is_named(s))
    }

    /// Runs every analyzer on the inventory: the built-in rules and Pod Security Standards
    /// checks, the RBAC review, the team's policies and (with `options.network`) the network
    /// review, each under the same rule selection, severity overrides, annotation suppressions
    /// and exceptions. Findings come back located and ordered.
    pub fn scan(&self, inventory: &Inventory, options: &ScanOptions) -> ScanResult {
        let rules = &self.rules;
        let rbac_rules: Vec<&RuleMeta<'static>> = kubecomply_rbac::RULES
            .iter()
            .filter(|m| self.selects(m))
            .collect();
        let policy_metas = self
            .policies
            .as_ref()
            .map(Policies::metas)
            .unwrap_or_default();
        let policy_rules: Vec<&RuleMeta<'_>> =
            policy_metas.iter().filter(|m| self.selects(m)).collect();
        // The RBAC review works on effective permissions across objects and runs beside the
        // rule engine.
        let review = || {
            if rbac_rules.is_empty() {
                Vec::new()
            } else {
                kubecomply_rbac::review(inventory)
            }
        };
        // The team's policies run after the built-in rules (each phase uses every core): a
        // Rego evaluation's memory bound counts the process's allocations while it runs, so
        // little else should allocate meanwhile (see crates/rego/src/memory.rs).
        let rest = || {
            let outcome = rules.run_with_passes(inventory, options.include_passes);
            let policy_findings = match &self.policies {
                Some(p) if !policy_rules.is_empty() => p.evaluate(inventory),
                _ => Vec::new(),
            };
            (outcome, policy_findings)
        };
        let (rbac, (outcome, policy_findings)) = rayon::join(review, rest);
        let mut findings = outcome.findings;
        let policy_findings = rules.adopt(policy_findings, inventory);
        let rbac = rules.adopt(rbac, inventory);
        // One exact reservation instead of a doubling of the largest vector of the run.
        findings.reserve_exact(policy_findings.len() + rbac.len());
        let passes = options.review_passes;
        add_review(
            &mut findings,
            policy_findings,
            &policy_rules,
            passes,
            "team policy",
        );
        let mut ran: Vec<String> = rules
            .rules()
            .iter()
            .map(|r| r.meta.code.to_string())
            .collect();
        let has_rbac = ["Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding"]
            .iter()
            .any(|k| inventory.has_kind(k));
        add_review(
            &mut findings,
            rbac,
            &rbac_rules,
            passes && has_rbac,
            "RBAC review",
        );
        ran.extend(rbac_rules.iter().map(|m| m.code.to_string()));
        if options.network {
            let netpol_rules: Vec<&RuleMeta<'static>> = kubecomply_netpol::RULES
                .iter()
                .filter(|m| self.selects(m))
                .collect();
            if !netpol_rules.is_empty() {
                let model = kubecomply_netpol::Model::new(inventory);
                let netpol = rules.adopt(
                    kubecomply_netpol::review_with(inventory, &model, &self.segmentation),
                    inventory,
                );
                let has_workloads = !model.workloads.is_empty();
                add_review(
                    &mut findings,
                    netpol,
                    &netpol_rules,
                    passes && has_workloads,
                    "network policy review",
                );
            }
            ran.extend(netpol_rules_codes(self));
        }
        ran.extend(policy_rules.iter().map(|m| m.code.to_string()));
        kubecomply_loader::locate::resolve(&mut findings, inventory);
        sort_findings(&mut findings);
        ScanResult {
            findings,
            passed: outcome.passed,
            rules: ran,
        }
    }

    /// Evaluates the requested frameworks on a scan of `inventory` (made with
    /// [`ScanOptions::for_frameworks`]).
    pub fn assess<'e>(
        &'e self,
        inventory: &Inventory,
        scan: &ScanResult,
        request: &ReportRequest,
    ) -> Result<Assessment<'e>> {
        frameworks::assess(self, inventory, scan, request)
    }
}

fn netpol_rules_codes(engine: &Engine) -> Vec<String> {
    kubecomply_netpol::RULES
        .iter()
        .filter(|m| engine.selects(m))
        .map(|m| m.code.to_string())
        .collect()
}

/// Adds the failures of a cross-object review, limited to the selected rules, and with
/// `passes` one cluster-level pass for each selected rule that found nothing.
fn add_review(
    findings: &mut Vec<Finding>,
    failures: Vec<Finding>,
    selected: &[&RuleMeta<'_>],
    passes: bool,
    what: &str,
) {
    if passes {
        for m in selected {
            if !failures.iter().any(|x| x.rule == m.code) {
                findings.push(Finding {
                    rule: m.code.to_string().into(),
                    slug: m.slug.to_string().into(),
                    status: Status::Pass,
                    severity: m.severity,
                    resource: None,
                    container: None,
                    message: format!("no violation found by the {what}"),
                    location: Location::at(
                        &format!("<{}>", what.to_lowercase().replace(' ', "-")),
                        0,
                        0,
                    ),
                    exception: None,
                });
            }
        }
    }
    findings.extend(
        failures
            .into_iter()
            .filter(|x| selected.iter().any(|m| x.rule == m.code)),
    );
}

/// Orders findings by file, line, column and rule, the order every output uses.
pub fn sort_findings(findings: &mut [Finding]) {
    use std::cmp::Ordering;
    // In parallel (hundreds of thousands of findings on a large scan); findings of one file
    // share its name, so the name is compared only across files.
    findings.par_sort_by(|x, y| {
        let file = if std::sync::Arc::ptr_eq(&x.location.file, &y.location.file) {
            Ordering::Equal
        } else {
            x.location.file.cmp(&y.location.file)
        };
        file.then_with(|| {
            (x.location.line, x.location.column, &x.rule).cmp(&(
                y.location.line,
                y.location.column,
                &y.rule,
            ))
        })
    });
}

/// Reads an exceptions file; problems become diagnostics with file, line and column.
pub fn load_exceptions(
    path: &Path,
    limits: &Limits,
    diags: &mut Vec<Diagnostic>,
) -> (Vec<Exception>, Option<Origin>) {
    let name = path.display().to_string();
    let src = match files::read_file(path, limits) {
        Ok(s) => s,
        Err(d) => {
            diags.push(d);
            return (Vec::new(), None);
        }
    };
    let stream = kubecomply_loader::parse_stream(&src.text, src.format, limits);
    for e in &stream.errors {
        diags.push(Diagnostic {
            level: Level::Error,
            file: name.clone(),
            line: e.line,
            column: e.column,
            message: e.message.clone(),
        });
    }
    let Some(doc) = stream.documents.into_iter().next() else {
        return (Vec::new(), None);
    };
    let (exceptions, errors) = kubecomply_core::exceptions::parse(&doc.value);
    let index =
        kubecomply_loader::locate::PositionIndex::build(&src.text[doc.span.clone()], doc.line);
    for e in errors {
        let (line, column) = index.locate(&e.pointer).unwrap_or((doc.line, 1));
        diags.push(Diagnostic {
            level: Level::Error,
            file: name.clone(),
            line,
            column,
            message: e.message,
        });
    }
    let origin = Origin {
        line: doc.line,
        span: doc.span,
        document: 0,
        prefix: String::new(),
        positions: None,
        cluster: None,
        source: std::sync::Arc::new(src),
    };
    (exceptions, Some(origin))
}

/// An inventory of the objects in one YAML or JSON text (for tests, examples and callers that
/// hold text rather than files); documents that are not objects are left out.
pub fn inventory_from_yaml(name: &str, text: &str) -> Inventory {
    let source = kubecomply_core::SourceFile {
        path: name.into(),
        text: text.to_string(),
        format: if name.ends_with(".json") {
            kubecomply_core::SourceFormat::Json
        } else {
            kubecomply_core::SourceFormat::Yaml
        },
    };
    Inventory::new(kubecomply_loader::load(source, &Limits::default()).objects)
}
