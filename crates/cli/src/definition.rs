//! Report definitions: `kubecomply report --definition FILE [PATH...]`.
//!
//! Two kinds are read:
//!
//! - our own `kubecomply.io/v1alpha1` `ComplianceReport`: frameworks, inputs, resource
//!   selection, formats, thresholds, scope, settings files and a schedule;
//! - Calico's `projectcalico.org/v3` `GlobalReport` (Calico removed its compliance reports;
//!   existing definitions keep working here): `inventory` and `network-access` become the
//!   network inventory, `cis-benchmark` the CIS framework report. Every field present is
//!   announced on standard error as honoured, mapped or ignored, with the reason.
//!
//! Paths in a definition are relative to its file. Flags given on the command line replace the
//! definition's value (docs/evidence.md lists which). Errors name file:line:column.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use anyhow::bail;
use clap::ValueEnum as _;
use kubecomply_core::{Finding, Inventory, Object, Severity};
use kubecomply_core::{Value, json};
use kubecomply_frameworks::scope::Resource;
use kubecomply_loader::locate::PositionIndex;
use kubecomply_netpol::LabelSelector;
use kubecomply_netpol::calico::Selector as CalicoSelector;

use crate::frameworks_cmd::Scanned;
use crate::report_cmd::{ReportArgs, ReportFormat};
use crate::schedule::Schedule;

/// Our definition kind's apiVersion.
pub const API_VERSION: &str = "kubecomply.io/v1alpha1";
/// Calico's.
const CALICO_API_VERSION: &str = "projectcalico.org/v3";

/// A label selector of either syntax.
#[derive(Clone, Debug)]
enum Matcher {
    /// `metav1.LabelSelector` (matchLabels, matchExpressions).
    Kube(LabelSelector, String),
    /// A Calico selector expression.
    Calico(CalicoSelector, String),
}

impl Matcher {
    fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        match self {
            Matcher::Kube(s, _) => s.matches(labels),
            Matcher::Calico(s, _) => s.matches(labels),
        }
    }

    fn describe(&self) -> &str {
        match self {
            Matcher::Kube(_, d) | Matcher::Calico(_, d) => d,
        }
    }
}

/// Which resources a definition evaluates. Namespaced resources are selected by their
/// namespace (names, exclusions, the Namespace object's labels) and their own labels;
/// Namespace objects by name and labels; other cluster-scoped resources and findings without a
/// resource always count, as in framework scope (they affect every namespace).
#[derive(Clone, Debug, Default)]
pub struct Selection {
    names: Vec<String>,
    exclude: Vec<String>,
    namespace_labels: Option<Matcher>,
    labels: Option<Matcher>,
    service_accounts: Vec<String>,
    service_account_labels: Option<Matcher>,
}

impl Selection {
    fn is_empty(&self) -> bool {
        self.names.is_empty()
            && self.exclude.is_empty()
            && self.namespace_labels.is_none()
            && self.labels.is_none()
            && self.service_accounts.is_empty()
            && self.service_account_labels.is_none()
    }
}

/// What a definition adds to a `report` run.
#[derive(Debug, Default)]
pub struct Plan {
    /// `metadata.name`: the report files' base name.
    pub name: String,
    /// Formats to write (empty: `--format` alone).
    pub formats: Vec<ReportFormat>,
    /// Directory of the report files (`<name>.<ext>`).
    pub output_dir: Option<PathBuf>,
    /// Resource selection.
    pub selection: Selection,
    /// Calico CIS bands (high, medium thresholds in percent), for `cis-benchmark`.
    pub cis_bands: Option<(f64, f64)>,
}

fn labels_of(o: &Object) -> BTreeMap<String, String> {
    o.value
        .pointer("/metadata/labels")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string())))
                .collect()
        })
        .unwrap_or_default()
}

/// Looks resources up by kind, namespace and name.
struct Lookup<'a> {
    objects: HashMap<(&'a str, Option<&'a str>, &'a str), &'a Object>,
}

impl<'a> Lookup<'a> {
    fn new(inv: &'a Inventory) -> Lookup<'a> {
        Lookup {
            objects: inv
                .objects
                .iter()
                .map(|o| {
                    (
                        (o.kind.as_str(), o.namespace.as_deref(), o.name.as_str()),
                        o,
                    )
                })
                .collect(),
        }
    }

    fn labels(&self, kind: &str, ns: Option<&str>, name: &str) -> BTreeMap<String, String> {
        self.objects
            .get(&(kind, ns, name))
            .map(|o| labels_of(o))
            .unwrap_or_default()
    }
}

impl Plan {
    fn namespace_admitted(&self, lookup: &Lookup<'_>, ns: &str) -> bool {
        let s = &self.selection;
        (s.names.is_empty() || s.names.iter().any(|n| n == ns))
            && !s.exclude.iter().any(|n| n == ns)
            && s.namespace_labels
                .as_ref()
                .is_none_or(|m| m.matches(&lookup.labels("Namespace", None, ns)))
    }

    fn admits(&self, lookup: &Lookup<'_>, kind: &str, ns: Option<&str>, name: &str) -> bool {
        match ns {
            Some(n) => {
                self.namespace_admitted(lookup, n)
                    && self
                        .selection
                        .labels
                        .as_ref()
                        .is_none_or(|m| m.matches(&lookup.labels(kind, ns, name)))
            }
            None if kind == "Namespace" => self.namespace_admitted(lookup, name),
            None => true,
        }
    }

    /// The resources and findings the selection keeps; `None` when it selects everything.
    pub fn select(&self, scanned: &Scanned) -> Option<(Vec<Resource>, Vec<Finding>)> {
        if self.selection.is_empty() {
            return None;
        }
        let lookup = Lookup::new(&scanned.inventory);
        let resources: Vec<Resource> = scanned
            .resources
            .iter()
            .filter(|r| self.admits(&lookup, &r.kind, r.namespace.as_deref(), &r.name))
            .cloned()
            .collect();
        let findings: Vec<Finding> = scanned
            .findings
            .iter()
            .filter(|f| {
                f.resource
                    .as_ref()
                    .is_none_or(|r| self.admits(&lookup, &r.kind, r.namespace.as_deref(), &r.name))
            })
            .cloned()
            .collect();
        eprintln!(
            "selection: {} of {} resources evaluated",
            resources.len(),
            scanned.resources.len()
        );
        Some((resources, findings))
    }

    /// The selection, for the evidence manifest.
    pub fn describe(&self) -> Value {
        let s = &self.selection;
        if s.is_empty() {
            return Value::Null;
        }
        json!({
            "namespaces": s.names,
            "excludeNamespaces": s.exclude,
            "namespaceSelector": s.namespace_labels.as_ref().map(Matcher::describe),
            "selector": s.labels.as_ref().map(Matcher::describe),
            "serviceAccounts": s.service_accounts,
            "serviceAccountSelector": s.service_account_labels.as_ref().map(Matcher::describe),
        })
    }

    /// The Calico band of a score: HIGH at or above the high threshold, MED above the medium
    /// one, LOW otherwise (Calico's CIS benchmark report rule).
    pub fn band(&self, score: Option<f64>) -> Option<&'static str> {
        let (high, med) = self.cis_bands?;
        let s = score?;
        Some(if s >= high {
            "HIGH"
        } else if s > med {
            "MED"
        } else {
            "LOW"
        })
    }
}

/// A parsed definition document with its problems, located at the end.
struct Reader<'a> {
    file: &'a Path,
    errors: Vec<(String, String)>,
    notes: Vec<(String, String)>,
}

impl Reader<'_> {
    fn err(&mut self, ptr: &str, msg: impl Into<String>) {
        self.errors.push((ptr.to_string(), msg.into()));
    }

    fn note(&mut self, ptr: &str, msg: impl Into<String>) {
        self.notes.push((ptr.to_string(), msg.into()));
    }

    fn strings(&mut self, v: &Value, ptr: &str) -> Vec<String> {
        crate::config::strings(v, ptr, &mut self.errors)
    }

    fn string(&mut self, v: &Value, ptr: &str) -> Option<String> {
        match v.as_str() {
            Some(s) => Some(s.to_string()),
            None => {
                self.err(ptr, "expected a string");
                None
            }
        }
    }

    fn path(&mut self, v: &Value, ptr: &str) -> Option<PathBuf> {
        let s = self.string(v, ptr)?;
        let base = self.file.parent().unwrap_or(Path::new("."));
        Some(base.join(s))
    }

    fn object<'v>(&mut self, v: &'v Value, ptr: &str) -> Option<&'v kubecomply_core::Map> {
        match v.as_object() {
            Some(m) => Some(m),
            None if v.is_null() => None,
            None => {
                self.err(ptr, "expected a mapping");
                None
            }
        }
    }

    fn kube_selector(&mut self, v: &Value, ptr: &str) -> Option<Matcher> {
        match LabelSelector::parse(v) {
            Some(s) => Some(Matcher::Kube(s, v.to_string())),
            None => {
                self.err(
                    ptr,
                    "not a label selector (matchLabels, matchExpressions with In, NotIn, Exists, DoesNotExist)",
                );
                None
            }
        }
    }

    fn calico_selector(&mut self, v: &Value, ptr: &str) -> Option<Matcher> {
        let s = self.string(v, ptr)?;
        match CalicoSelector::parse(&s) {
            Ok(sel) => Some(Matcher::Calico(sel, s)),
            Err(e) => {
                self.err(ptr, format!("invalid Calico selector: {e}"));
                None
            }
        }
    }

    fn schedule(&mut self, v: &Value, ptr: &str) -> Option<Schedule> {
        let s = self.string(v, ptr)?;
        match Schedule::parse(&s) {
            Ok(x) => Some(x),
            Err(e) => {
                self.err(ptr, format!("invalid schedule: {e}"));
                None
            }
        }
    }
}

/// Reads a definition and runs the report it describes, with the command line's flags
/// replacing its values.
pub fn run(mut a: ReportArgs, file: &Path) -> anyhow::Result<u8> {
    let name = file.display().to_string();
    let text =
        std::fs::read_to_string(file).map_err(|e| anyhow::anyhow!("{name}: cannot read: {e}"))?;
    let stream = kubecomply_loader::yaml::parse(&text, &kubecomply_loader::Limits::default());
    if let Some(e) = stream.errors.first() {
        bail!("{name}:{}:{}: {}", e.line, e.column, e.message);
    }
    let Some(doc) = stream.documents.first() else {
        bail!("{name}:1:1: empty report definition");
    };
    if stream.documents.len() > 1 {
        bail!(
            "{name}:{}:1: one report definition per file",
            stream.documents[1].line
        );
    }
    let index = PositionIndex::build(&text[doc.span.clone()], doc.line);
    let at = |ptr: &str| {
        let (l, c) = index.locate(ptr).unwrap_or((doc.line, 1));
        format!("{name}:{l}:{c}")
    };
    let v = &doc.value;
    let api = v.get("apiVersion").and_then(Value::as_str).unwrap_or("");
    let kind = v.get("kind").and_then(Value::as_str).unwrap_or("");
    let mut r = Reader {
        file,
        errors: Vec::new(),
        notes: Vec::new(),
    };
    let outcome = match (api, kind) {
        (API_VERSION, "ComplianceReport") => compliance_report(&mut r, v, &mut a),
        (CALICO_API_VERSION, "GlobalReport") => global_report(&mut r, v, &mut a),
        _ => bail!(
            "{}: expected apiVersion {API_VERSION} kind ComplianceReport, or apiVersion {CALICO_API_VERSION} kind GlobalReport (found {api:?} {kind:?})",
            at("/kind")
        ),
    };
    if !r.errors.is_empty() {
        let msgs: Vec<String> = r
            .errors
            .iter()
            .map(|(p, m)| format!("{}: {m}", at(p)))
            .collect();
        bail!("invalid report definition:\n{}", msgs.join("\n"));
    }
    for (p, m) in &r.notes {
        eprintln!("{}: {m}", at(p));
    }
    match outcome {
        Outcome::Frameworks(plan) => {
            if a.paths.is_empty() {
                bail!("{}: no inputs: give PATH arguments or spec.inputs", at(""));
            }
            if a.frameworks.is_empty() {
                bail!(
                    "{}: no frameworks: give --framework or spec.frameworks",
                    at("")
                );
            }
            if plan.formats.len() > 1 && plan.output_dir.is_none() {
                bail!(
                    "{}: several formats need an output directory (--output DIR or spec.output)",
                    at("/spec/formats")
                );
            }
            crate::report_cmd::run_with(a, &plan)
        }
        Outcome::Inventory(plan) => {
            if a.paths.is_empty() {
                bail!("{}: no inputs: give PATH arguments", at(""));
            }
            inventory_report(&a, &plan)
        }
    }
}

enum Outcome {
    Frameworks(Plan),
    Inventory(Plan),
}

fn metadata_name(r: &mut Reader<'_>, v: &Value) -> String {
    match v.pointer("/metadata/name").and_then(Value::as_str) {
        Some(n) if !n.is_empty() && plain_file_name(n) => n.to_string(),
        Some(_) => {
            r.err(
                "/metadata/name",
                "must be a non-empty name usable as a file name (no `/`, `\\` or `..`)",
            );
            String::new()
        }
        None => {
            r.err(
                "/metadata",
                "metadata.name is required (it names the report files)",
            );
            String::new()
        }
    }
}

fn plain_file_name(n: &str) -> bool {
    !n.contains(['/', '\\', '\0']) && n != "." && n != ".."
}

fn formats(r: &mut Reader<'_>, v: &Value, ptr: &str) -> Vec<ReportFormat> {
    let mut out = Vec::new();
    for (i, s) in r.strings(v, ptr).into_iter().enumerate() {
        match ReportFormat::from_str(&s, true) {
            Ok(f) if !out.contains(&f) => out.push(f),
            Ok(_) => {}
            Err(_) => {
                let names: Vec<String> = ReportFormat::value_variants()
                    .iter()
                    .filter_map(|f| f.to_possible_value().map(|p| p.get_name().to_string()))
                    .collect();
                r.err(
                    &format!("{ptr}/{i}"),
                    format!("unknown format {s:?} ({})", names.join(", ")),
                );
            }
        }
    }
    out
}

/// `kubecomply.io/v1alpha1` `ComplianceReport`.
fn compliance_report(r: &mut Reader<'_>, v: &Value, a: &mut ReportArgs) -> Outcome {
    let mut plan = Plan {
        name: metadata_name(r, v),
        ..Plan::default()
    };
    for k in v.as_object().into_iter().flat_map(|m| m.keys()) {
        if !matches!(k.as_str(), "apiVersion" | "kind" | "metadata" | "spec") {
            r.err(&format!("/{k}"), format!("unknown field `{k}`"));
        }
    }
    let empty = kubecomply_core::Map::new();
    let spec = match v.get("spec") {
        Some(s) => r.object(s, "/spec").unwrap_or(&empty),
        None => {
            r.err("", "spec is required");
            &empty
        }
    };
    let mut frameworks = Vec::new();
    let mut inputs = Vec::new();
    let mut fmts = Vec::new();
    let mut output = None;
    let mut min_score = None;
    let mut max_failed = Vec::new();
    let mut scope = None;
    let (mut attestations, mut exceptions, mut config) = (None, None, None);
    let mut framework_files = Vec::new();
    for (k, x) in spec {
        let p = format!("/spec/{k}");
        match k.as_str() {
            "frameworks" => frameworks = r.strings(x, &p),
            "inputs" => {
                let base = r.file.parent().unwrap_or(Path::new(".")).to_path_buf();
                inputs = r
                    .strings(x, &p)
                    .iter()
                    .map(|s| base.join(s).display().to_string())
                    .collect()
            }
            "selection" => selection(r, x, &p, &mut plan.selection),
            "formats" => fmts = formats(r, x, &p),
            "output" => output = r.path(x, &p),
            "thresholds" => {
                if let Some(m) = r.object(x, &p) {
                    for (tk, tv) in m {
                        let tp = format!("{p}/{tk}");
                        match tk.as_str() {
                            "minScore" => match tv.as_f64() {
                                Some(n) if (0.0..=100.0).contains(&n) => min_score = Some(n),
                                _ => r.err(&tp, "expected a score from 0 to 100"),
                            },
                            "maxFailed" => {
                                if let Some(mm) = r.object(tv, &tp) {
                                    for (sev, n) in mm {
                                        let sp = format!("{tp}/{sev}");
                                        match (Severity::parse(sev), n.as_u64()) {
                                            (Some(s), Some(n)) => {
                                                max_failed.push((s, n as usize))
                                            }
                                            (None, _) => r.err(
                                                &sp,
                                                format!("unknown severity {sev:?} (critical, high, medium, low, info)"),
                                            ),
                                            (_, None) => r.err(&sp, "expected a count"),
                                        }
                                    }
                                }
                            }
                            _ => r.err(
                                &tp,
                                format!("unknown field `{tk}` (expected minScore, maxFailed)"),
                            ),
                        }
                    }
                }
            }
            "scope" => match x.as_str() {
                Some("all") => scope = Some(crate::frameworks_cmd::ScopeArg::All),
                Some("data-class") => {}
                _ => r.err(&p, "expected `all` or `data-class`"),
            },
            "attestations" => attestations = r.path(x, &p),
            "exceptions" => exceptions = r.path(x, &p),
            "config" => config = r.path(x, &p),
            "frameworkFiles" => {
                let base = r.file.parent().unwrap_or(Path::new(".")).to_path_buf();
                framework_files = r.strings(x, &p).iter().map(|s| base.join(s)).collect();
            }
            "schedule" => {
                if let Some(s) = r.schedule(x, &p) {
                    r.note(
                        &p,
                        format!(
                            "schedule {:?} is valid and recorded; this run is manual (a future service will run scheduled reports)",
                            s.expression
                        ),
                    );
                }
            }
            _ => r.err(
                &p,
                format!(
                    "unknown field `{k}` (expected frameworks, inputs, selection, formats, output, thresholds, scope, attestations, exceptions, config, frameworkFiles, schedule)"
                ),
            ),
        }
    }
    // The command line wins over the definition.
    if a.paths.is_empty() {
        a.paths = inputs;
    }
    if a.frameworks.is_empty() {
        a.frameworks = frameworks;
    }
    plan.formats = match a.format {
        Some(f) => vec![f],
        None => fmts,
    };
    plan.output_dir = a.output.clone().or(output);
    if plan.output_dir.is_some() && plan.formats.is_empty() {
        plan.formats = vec![ReportFormat::Json];
    }
    if a.min_score.is_none() {
        a.min_score = min_score;
    }
    if a.max_failed.is_empty() {
        a.max_failed = max_failed;
    }
    if a.scope.is_none() {
        a.scope = scope;
    }
    a.attestations = a.attestations.take().or(attestations);
    a.exceptions = a.exceptions.take().or(exceptions);
    a.config = a.config.take().or(config);
    if a.framework_files.is_empty() {
        a.framework_files = framework_files;
    }
    Outcome::Frameworks(plan)
}

fn selection(r: &mut Reader<'_>, v: &Value, p: &str, s: &mut Selection) {
    let Some(m) = r.object(v, p) else { return };
    for (k, x) in m {
        let kp = format!("{p}/{k}");
        match k.as_str() {
            "namespaces" => s.names = r.strings(x, &kp),
            "excludeNamespaces" => s.exclude = r.strings(x, &kp),
            "namespaceSelector" => s.namespace_labels = r.kube_selector(x, &kp),
            "selector" => s.labels = r.kube_selector(x, &kp),
            _ => r.err(
                &kp,
                format!(
                    "unknown field `{k}` (expected namespaces, excludeNamespaces, namespaceSelector, selector)"
                ),
            ),
        }
    }
}

/// Calico's `projectcalico.org/v3` `GlobalReport`.
fn global_report(r: &mut Reader<'_>, v: &Value, a: &mut ReportArgs) -> Outcome {
    let mut plan = Plan {
        name: metadata_name(r, v),
        ..Plan::default()
    };
    let empty = kubecomply_core::Map::new();
    let spec = match v.get("spec") {
        Some(s) => r.object(s, "/spec").unwrap_or(&empty),
        None => {
            r.err("", "spec is required");
            &empty
        }
    };
    if v.get("status").is_some() {
        r.note(
            "/status",
            "ignored: status is written by Calico's controller",
        );
    }
    let report_type = match spec.get("reportType").and_then(Value::as_str) {
        Some(t @ ("inventory" | "network-access" | "cis-benchmark")) => t.to_string(),
        Some("policy-audit") => {
            r.err(
                "/spec/reportType",
                "policy-audit is not supported: Calico builds it from the API server's audit log of policy changes, which manifests do not contain",
            );
            String::new()
        }
        Some(t) => {
            r.err(
                "/spec/reportType",
                format!("unknown report type {t:?} (inventory, network-access, policy-audit, cis-benchmark)"),
            );
            String::new()
        }
        None => {
            r.err("/spec", "spec.reportType is required");
            String::new()
        }
    };
    let cis = report_type == "cis-benchmark";
    match report_type.as_str() {
        "inventory" => r.note(
            "/spec/reportType",
            "mapped: inventory -> the network inventory of the workloads (`netpol inventory`): isolation, exposure, reachability",
        ),
        "network-access" => r.note(
            "/spec/reportType",
            "mapped: network-access -> the network inventory (who can reach each workload, what it can reach); Calico's flow-log based columns have no manifest equivalent",
        ),
        "cis-benchmark" => r.note(
            "/spec/reportType",
            "mapped: cis-benchmark -> the cis-k8s framework report on the manifests (Calico ran kube-bench on nodes; node-level checks are manual requirements here)",
        ),
        _ => {}
    }
    for (k, x) in spec {
        let p = format!("/spec/{k}");
        match k.as_str() {
            "reportType" => {}
            "endpoints" if cis => r.note(
                &p,
                "ignored: endpoints only scope endpoint data, which a cis-benchmark report does not have (as in Calico)",
            ),
            "endpoints" => endpoints(r, x, &p, &mut plan.selection),
            "schedule" => {
                if let Some(s) = r.schedule(x, &p) {
                    if s.minutes.len() > 2 {
                        r.err(
                            &p,
                            "Calico allows at most two values in the minute field (two reports an hour)",
                        );
                    } else {
                        r.note(
                            &p,
                            format!(
                                "recorded: schedule {:?} is valid; this run is manual (a future service will run scheduled reports)",
                                s.expression
                            ),
                        );
                    }
                }
            }
            "jobNodeSelector" => r.note(
                &p,
                "ignored: kubecomply runs no report jobs on nodes",
            ),
            "suspend" => match x.as_bool() {
                Some(b) => r.note(
                    &p,
                    format!("recorded: suspend is {b}; it applies to scheduled runs, not to this manual one"),
                ),
                None => r.err(&p, "expected true or false"),
            },
            "cis" if !cis => r.note(
                &p,
                "ignored: cis parameters only apply to reportType cis-benchmark",
            ),
            "cis" => cis_params(r, x, &p, &mut plan),
            _ => r.err(
                &p,
                format!(
                    "unknown field `{k}` (GlobalReport spec: reportType, endpoints, schedule, jobNodeSelector, suspend, cis)"
                ),
            ),
        }
    }
    if a.format.is_none() && a.output.is_some() {
        plan.formats = vec![ReportFormat::Json];
    } else if let Some(f) = a.format {
        plan.formats = vec![f];
    }
    plan.output_dir = a.output.clone();
    if cis {
        if plan.cis_bands.is_none() {
            // Calico's defaults.
            plan.cis_bands = Some((100.0, 50.0));
        }
        if a.frameworks.is_empty() {
            a.frameworks = vec!["cis-k8s".into()];
        }
        Outcome::Frameworks(plan)
    } else {
        Outcome::Inventory(plan)
    }
}

fn names_and_selector(r: &mut Reader<'_>, v: &Value, p: &str) -> (Vec<String>, Option<Matcher>) {
    let (mut names, mut sel) = (Vec::new(), None);
    if let Some(m) = r.object(v, p) {
        for (k, x) in m {
            let kp = format!("{p}/{k}");
            match k.as_str() {
                "names" => names = r.strings(x, &kp),
                "selector" => sel = r.calico_selector(x, &kp),
                _ => r.err(
                    &kp,
                    format!("unknown field `{k}` (expected names, selector)"),
                ),
            }
        }
    }
    (names, sel)
}

fn honoured_parts(a: bool, what_a: &str, b: bool, what_b: &str) -> String {
    match (a, b) {
        (true, true) => format!("{what_a}, and {what_b}"),
        (true, false) => what_a.to_string(),
        (false, true) => what_b.to_string(),
        (false, false) => "nothing to select (empty)".to_string(),
    }
}

fn endpoints(r: &mut Reader<'_>, v: &Value, p: &str, s: &mut Selection) {
    let Some(m) = r.object(v, p) else { return };
    for (k, x) in m {
        let kp = format!("{p}/{k}");
        match k.as_str() {
            "selector" => {
                s.labels = r.calico_selector(x, &kp);
                r.note(
                    &kp,
                    "honoured: Calico selector on the workloads' pod labels",
                );
            }
            "namespaces" => {
                let (names, sel) = names_and_selector(r, x, &kp);
                let what = honoured_parts(
                    !names.is_empty(),
                    "namespace names",
                    sel.is_some(),
                    "the Calico selector on the labels of the Namespace objects among the inputs",
                );
                s.names = names;
                s.namespace_labels = sel;
                r.note(&kp, format!("honoured: {what}"));
            }
            "serviceAccounts" => {
                let (names, sel) = names_and_selector(r, x, &kp);
                let what = honoured_parts(
                    !names.is_empty(),
                    "the names of the pods' service accounts (`default` when unset)",
                    sel.is_some(),
                    "the Calico selector on the labels of the ServiceAccount objects among the inputs",
                );
                s.service_accounts = names;
                s.service_account_labels = sel;
                r.note(&kp, format!("honoured: {what}"));
            }
            _ => r.err(
                &kp,
                format!("unknown field `{k}` (expected selector, namespaces, serviceAccounts)"),
            ),
        }
    }
}

fn percent(r: &mut Reader<'_>, v: &Value, p: &str) -> Option<f64> {
    match v.as_u64() {
        Some(n) if n <= 100 => Some(n as f64),
        _ => {
            r.err(p, "expected a percentage from 0 to 100");
            None
        }
    }
}

fn cis_params(r: &mut Reader<'_>, v: &Value, p: &str, plan: &mut Plan) {
    let Some(m) = r.object(v, p) else { return };
    let (mut high, mut med) = (None, None);
    for (k, x) in m {
        let kp = format!("{p}/{k}");
        match k.as_str() {
            "highThreshold" => high = percent(r, x, &kp),
            "medThreshold" => med = percent(r, x, &kp),
            "includeUnscoredTests" => r.note(
                &kp,
                "ignored: the report always lists every requirement; CIS \"not scored\" checks are manual requirements, assessed only through attestations",
            ),
            "numFailedTests" => match x.as_u64() {
                Some(n) if n > 0 => r.note(
                    &kp,
                    "ignored: the report lists every failed requirement, not only the top N",
                ),
                _ => r.err(&kp, "expected a number greater than 0"),
            },
            "resultsFilters" => r.note(
                &kp,
                "ignored: kube-bench test indices and kubelet versions select node results, which a manifest scan has none of; every CIS requirement is reported",
            ),
            _ => r.err(
                &kp,
                format!(
                    "unknown field `{k}` (expected highThreshold, medThreshold, includeUnscoredTests, numFailedTests, resultsFilters)"
                ),
            ),
        }
    }
    let (h, m) = (high.unwrap_or(100.0), med.unwrap_or(50.0));
    if h <= m {
        r.err(
            p,
            "highThreshold must be greater than medThreshold (as Calico validates)",
        );
    }
    plan.cis_bands = Some((h, m));
    r.note(
        p,
        format!(
            "mapped: the cis-k8s score (passing / assessed requirements) is banded HIGH at >= {h}%, MED above {m}%, LOW otherwise; LOW exits with status 1"
        ),
    );
}

/// The service account a workload's pods run as (`default` when unset).
fn service_account(o: &Object, pointer: &str) -> String {
    let t = if pointer.is_empty() {
        Some(&o.value)
    } else {
        o.value.pointer(pointer)
    };
    t.and_then(|t| {
        t.pointer("/spec/serviceAccountName")
            .or_else(|| t.pointer("/spec/serviceAccount"))
    })
    .and_then(Value::as_str)
    .filter(|s| !s.is_empty())
    .unwrap_or("default")
    .to_string()
}

/// `inventory` and `network-access` GlobalReports: the network inventory of the selected
/// workloads.
fn inventory_report(a: &ReportArgs, plan: &Plan) -> anyhow::Result<u8> {
    if a.evidence.is_some() {
        bail!(
            "--evidence is for framework reports; an inventory GlobalReport has no findings to bundle"
        );
    }
    let loaded = crate::scan::load_inputs(&a.paths, &kubecomply_loader::Limits::default(), false);
    let mut input_errors = false;
    for d in &loaded.diagnostics {
        if d.level == kubecomply_core::diagnostic::Level::Error {
            input_errors = true;
            eprintln!("{}", d.render());
        }
    }
    let inv = loaded.inventory;
    let model = kubecomply_netpol::Model::new(&inv);
    let rows = kubecomply_netpol::inventory(&inv, &model);
    let lookup = Lookup::new(&inv);
    let s = &plan.selection;
    let mut kept = Vec::new();
    for (w, row) in model.workloads.iter().zip(rows) {
        let Some(o) = inv.objects.get(w.object) else {
            continue;
        };
        let sa = service_account(o, &w.pointer);
        let ok = plan.namespace_admitted(&lookup, &w.namespace)
            && s.labels.as_ref().is_none_or(|m| m.matches(&w.labels))
            && (s.service_accounts.is_empty() || s.service_accounts.contains(&sa))
            && s.service_account_labels.as_ref().is_none_or(|m| {
                m.matches(&lookup.labels("ServiceAccount", Some(&w.namespace), &sa))
            });
        if ok {
            kept.push(json!({
                "workload": row.workload,
                "serviceAccount": sa,
                "ingressIsolated": row.ingress_isolated,
                "egressIsolated": row.egress_isolated,
                "internetExposed": row.internet_exposed,
                "exposure": row.exposure,
                "reachableFromOtherNamespaces": row.reachable_from_other_namespaces,
                "canReachInternet": row.can_reach_internet,
            }));
        }
    }
    let doc = json!({
        "schemaVersion": "1.0",
        "kind": "NetworkInventoryReport",
        "name": plan.name,
        "generatedAt": kubecomply_frameworks::report::generated_at(),
        "tool": {"name": "kubecomply", "version": env!("CARGO_PKG_VERSION")},
        "inputs": a.paths,
        "selection": plan.describe(),
        "workloads": kept,
    });
    let formats = if plan.formats.is_empty() {
        vec![ReportFormat::Json]
    } else {
        plan.formats.clone()
    };
    for f in &formats {
        let text = match f {
            ReportFormat::Json => format!("{}\n", serde_json::to_string_pretty(&doc)?),
            ReportFormat::Markdown => inventory_markdown(&doc),
            ReportFormat::Csv => inventory_csv(&doc),
            ReportFormat::Html => inventory_html(&doc),
            other => bail!(
                "format {} is not available for an inventory report (json, markdown, csv, html)",
                crate::report_cmd::extension(*other)
            ),
        };
        match &plan.output_dir {
            Some(dir) => {
                std::fs::create_dir_all(dir)
                    .map_err(|e| anyhow::anyhow!("{}: cannot create: {e}", dir.display()))?;
                let p = dir.join(format!(
                    "{}.{}",
                    plan.name,
                    crate::report_cmd::extension(*f)
                ));
                std::fs::write(&p, text)
                    .map_err(|e| anyhow::anyhow!("{}: cannot write: {e}", p.display()))?;
                eprintln!("wrote {}", p.display());
            }
            None => crate::emit(None, &text)?,
        }
    }
    Ok(if input_errors { 2 } else { 0 })
}

/// The columns of an inventory report: title and JSON key of each yes/no column.
const INVENTORY_COLUMNS: [(&str, &str); 5] = [
    ("Ingress isolated", "ingressIsolated"),
    ("Egress isolated", "egressIsolated"),
    ("Internet exposed", "internetExposed"),
    ("From other namespaces", "reachableFromOtherNamespaces"),
    ("To internet", "canReachInternet"),
];

fn yes_no(v: &Value) -> &'static str {
    match v.as_bool() {
        Some(true) => "yes",
        Some(false) => "no",
        None => "n/a",
    }
}

/// One row per workload (RFC 4180 quoting, formula cells neutralised, as in the framework CSV).
fn inventory_csv(doc: &Value) -> String {
    let field = kubecomply_frameworks::csv::field;
    let mut s = String::from("workload,serviceAccount");
    for (_, key) in INVENTORY_COLUMNS {
        s.push(',');
        s.push_str(key);
    }
    s.push('\n');
    for w in doc["workloads"].as_array().into_iter().flatten() {
        s.push_str(&field(w["workload"].as_str().unwrap_or_default()));
        s.push(',');
        s.push_str(&field(w["serviceAccount"].as_str().unwrap_or_default()));
        for (_, key) in INVENTORY_COLUMNS {
            s.push(',');
            s.push_str(yes_no(&w[key]));
        }
        s.push('\n');
    }
    s
}

/// A self-contained HTML page (no scripts, no external assets, print-friendly) with the
/// counts per column and the table; exposed workloads and unisolated directions stand out.
fn inventory_html(doc: &Value) -> String {
    use kubecomply_frameworks::report::esc;
    let workloads: Vec<&Value> = doc["workloads"].as_array().into_iter().flatten().collect();
    let mut s = format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n\
         <title>Network inventory: {name}</title>\n<style>\n\
         body{{font-family:sans-serif;margin:1.5em;color:#222}}\n\
         table{{border-collapse:collapse}}\n\
         th,td{{border:1px solid #bbb;padding:.3em .6em;font-size:.9em}}\n\
         td.yes{{background:#e6f4ea}} td.no{{background:#fdecea}} td.warn{{background:#fdecea}}\n\
         @media print{{body{{margin:0}}}}\n\
         </style>\n</head>\n<body>\n<h1>Network inventory: {name}</h1>\n\
         <p>Generated {at} by kubecomply {version}; {n} workloads.</p>\n",
        name = esc(doc["name"].as_str().unwrap_or_default()),
        at = esc(doc["generatedAt"].as_str().unwrap_or_default()),
        version = env!("CARGO_PKG_VERSION"),
        n = workloads.len(),
    );
    s.push_str("<table>\n<thead><tr><th></th>");
    for (title, _) in INVENTORY_COLUMNS {
        s.push_str(&format!("<th>{}</th>", esc(title)));
    }
    s.push_str("</tr></thead>\n<tbody><tr><th>workloads with yes</th>");
    for (_, key) in INVENTORY_COLUMNS {
        let yes = workloads.iter().filter(|w| w[key] == json!(true)).count();
        s.push_str(&format!("<td>{yes}</td>"));
    }
    s.push_str("</tr></tbody>\n</table>\n<h2>Workloads</h2>\n<table>\n<thead><tr><th>Workload</th><th>Service account</th>");
    for (title, _) in INVENTORY_COLUMNS {
        s.push_str(&format!("<th>{}</th>", esc(title)));
    }
    s.push_str("</tr></thead>\n<tbody>\n");
    for w in &workloads {
        s.push_str(&format!(
            "<tr><td>{}</td><td>{}</td>",
            esc(w["workload"].as_str().unwrap_or_default()),
            esc(w["serviceAccount"].as_str().unwrap_or_default())
        ));
        for (_, key) in INVENTORY_COLUMNS {
            let v = yes_no(&w[key]);
            // Isolation is the good answer; exposure and reach are the ones to look at.
            let good = matches!(key, "ingressIsolated" | "egressIsolated") == (v == "yes");
            let class = if v == "n/a" {
                ""
            } else if good {
                "yes"
            } else {
                "warn"
            };
            s.push_str(&format!("<td class=\"{class}\">{v}</td>"));
        }
        s.push_str("</tr>\n");
    }
    s.push_str("</tbody>\n</table>\n</body>\n</html>\n");
    s
}

fn inventory_markdown(doc: &Value) -> String {
    let yn = yes_no;
    let mut s = format!(
        "# Network inventory: {}\n\nGenerated {} by kubecomply {}.\n\n",
        doc["name"].as_str().unwrap_or_default(),
        doc["generatedAt"].as_str().unwrap_or_default(),
        env!("CARGO_PKG_VERSION")
    );
    s.push_str("| Workload | Service account | Ingress isolated | Egress isolated | Internet exposed | From other namespaces | To internet |\n|---|---|---|---|---|---|---|\n");
    for w in doc["workloads"].as_array().into_iter().flatten() {
        s.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} |\n",
            w["workload"]
                .as_str()
                .unwrap_or_default()
                .replace('|', "\\|"),
            w["serviceAccount"]
                .as_str()
                .unwrap_or_default()
                .replace('|', "\\|"),
            yn(&w["ingressIsolated"]),
            yn(&w["egressIsolated"]),
            yn(&w["internetExposed"]),
            yn(&w["reachableFromOtherNamespaces"]),
            yn(&w["canReachInternet"]),
        ));
    }
    s
}
