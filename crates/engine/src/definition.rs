//! Report definitions: `kubecomply report --definition FILE [PATH...]`, and the reports a
//! scheduler runs. Reading one gives a [`ReportDefinition`], a domain value that front ends lay
//! their own options over.
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

use kubecomply_core::{Finding, Inventory, Object, Severity};
use kubecomply_core::{Value, json};
use kubecomply_frameworks::scope::Resource;
use kubecomply_loader::locate::PositionIndex;
use kubecomply_netpol::LabelSelector;
use kubecomply_netpol::calico::Selector as CalicoSelector;

use crate::schedule::Schedule;
use crate::{Error, Result};

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
    /// Whether the selection keeps everything.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
            && self.exclude.is_empty()
            && self.namespace_labels.is_none()
            && self.labels.is_none()
            && self.service_accounts.is_empty()
            && self.service_account_labels.is_none()
    }
}

/// A report format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReportFormat {
    /// JSON (structure documented in `kubecomply_report::compliance::json`).
    Json,
    /// Markdown: summary table, requirement tree, failing resources, exceptions.
    Markdown,
    /// One self-contained HTML file (inline SVG charts, no scripts, no external assets).
    Html,
    /// CSV, one row per requirement × resource (RFC 4180, formula cells neutralised).
    Csv,
    /// `openreports.io/v1alpha1` `Report` / `ClusterReport` objects (YAML stream).
    Openreports,
    /// `wgpolicyk8s.io/v1alpha2` `PolicyReport` / `ClusterPolicyReport` objects (YAML stream).
    Policyreport,
    /// OSCAL assessment results (JSON).
    Oscal,
}

impl ReportFormat {
    /// Every format, in the order help texts list them.
    pub const ALL: [ReportFormat; 7] = [
        ReportFormat::Json,
        ReportFormat::Markdown,
        ReportFormat::Html,
        ReportFormat::Csv,
        ReportFormat::Openreports,
        ReportFormat::Policyreport,
        ReportFormat::Oscal,
    ];

    /// The name used on the command line and in definitions.
    pub fn name(self) -> &'static str {
        match self {
            ReportFormat::Json => "json",
            ReportFormat::Markdown => "markdown",
            ReportFormat::Html => "html",
            ReportFormat::Csv => "csv",
            ReportFormat::Openreports => "openreports",
            ReportFormat::Policyreport => "policyreport",
            ReportFormat::Oscal => "oscal",
        }
    }

    /// The format named `s` (case-insensitive).
    pub fn parse(s: &str) -> Option<ReportFormat> {
        ReportFormat::ALL
            .into_iter()
            .find(|f| f.name().eq_ignore_ascii_case(s))
    }

    /// The file name extension of the format.
    pub fn extension(self) -> &'static str {
        match self {
            ReportFormat::Markdown => "md",
            ReportFormat::Openreports => "openreports.yaml",
            ReportFormat::Policyreport => "policyreport.yaml",
            ReportFormat::Oscal => "oscal.json",
            other => other.name(),
        }
    }
}

/// What a definition asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DefinitionKind {
    /// Compliance framework reports (ComplianceReport, Calico's cis-benchmark).
    Frameworks,
    /// The network inventory of the selected workloads (Calico's inventory and
    /// network-access).
    NetworkInventory,
}

/// A report definition, read from a ComplianceReport or a Calico GlobalReport.
#[derive(Clone, Debug)]
pub struct ReportDefinition {
    /// `metadata.name`: the report files' base name.
    pub name: String,
    /// What the report is.
    pub kind: DefinitionKind,
    /// Framework ids (`cis-k8s` for a Calico cis-benchmark).
    pub frameworks: Vec<String>,
    /// Inputs (relative to the definition's file).
    pub inputs: Vec<String>,
    /// Formats to write (empty: JSON).
    pub formats: Vec<ReportFormat>,
    /// Directory of the report files (`<name>.<ext>`).
    pub output: Option<PathBuf>,
    /// Resource selection.
    pub selection: Selection,
    /// `thresholds.minScore`.
    pub min_score: Option<f64>,
    /// `thresholds.maxFailed`.
    pub max_failed: Vec<(Severity, usize)>,
    /// `scope: all`: every resource, not only those holding a framework's data class.
    pub scope_all: bool,
    /// Attestations file.
    pub attestations: Option<PathBuf>,
    /// Exceptions file.
    pub exceptions: Option<PathBuf>,
    /// Configuration file.
    pub config: Option<PathBuf>,
    /// Custom framework files.
    pub framework_files: Vec<PathBuf>,
    /// When a scheduler runs it.
    pub schedule: Option<Schedule>,
    /// Calico's `suspend`: scheduled runs are paused.
    pub suspend: bool,
    /// Calico CIS bands (high, medium thresholds in percent), for `cis-benchmark`.
    pub cis_bands: Option<(f64, f64)>,
    /// What the reader honoured, mapped or ignored, each as `file:line:column: text`.
    pub notes: Vec<String>,
}

impl ReportDefinition {
    fn new(name: String, kind: DefinitionKind) -> ReportDefinition {
        ReportDefinition {
            name,
            kind,
            frameworks: Vec::new(),
            inputs: Vec::new(),
            formats: Vec::new(),
            output: None,
            selection: Selection::default(),
            min_score: None,
            max_failed: Vec::new(),
            scope_all: false,
            attestations: None,
            exceptions: None,
            config: None,
            framework_files: Vec::new(),
            schedule: None,
            suspend: false,
            cis_bands: None,
            notes: Vec::new(),
        }
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
pub struct Lookup<'a> {
    objects: HashMap<(&'a str, Option<&'a str>, &'a str), &'a Object>,
}

impl<'a> Lookup<'a> {
    /// The lookup of an inventory's objects.
    pub fn new(inv: &'a Inventory) -> Lookup<'a> {
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

    /// The labels of an object (empty when it is not in the inventory).
    pub fn labels(&self, kind: &str, ns: Option<&str>, name: &str) -> BTreeMap<String, String> {
        self.objects
            .get(&(kind, ns, name))
            .map(|o| labels_of(o))
            .unwrap_or_default()
    }
}

impl Selection {
    /// Whether the namespace is selected (names, exclusions, the Namespace object's labels).
    pub fn namespace_admitted(&self, lookup: &Lookup<'_>, ns: &str) -> bool {
        (self.names.is_empty() || self.names.iter().any(|n| n == ns))
            && !self.exclude.iter().any(|n| n == ns)
            && self
                .namespace_labels
                .as_ref()
                .is_none_or(|m| m.matches(&lookup.labels("Namespace", None, ns)))
    }

    fn admits(&self, lookup: &Lookup<'_>, kind: &str, ns: Option<&str>, name: &str) -> bool {
        match ns {
            Some(n) => {
                self.namespace_admitted(lookup, n)
                    && self
                        .labels
                        .as_ref()
                        .is_none_or(|m| m.matches(&lookup.labels(kind, ns, name)))
            }
            None if kind == "Namespace" => self.namespace_admitted(lookup, name),
            None => true,
        }
    }

    /// Whether a workload's pods are selected: namespace, pod labels, service account (by name
    /// and by the ServiceAccount object's labels).
    pub fn admits_workload(
        &self,
        lookup: &Lookup<'_>,
        namespace: &str,
        labels: &BTreeMap<String, String>,
        service_account: &str,
    ) -> bool {
        self.namespace_admitted(lookup, namespace)
            && self.labels.as_ref().is_none_or(|m| m.matches(labels))
            && (self.service_accounts.is_empty()
                || self.service_accounts.iter().any(|s| s == service_account))
            && self.service_account_labels.as_ref().is_none_or(|m| {
                m.matches(&lookup.labels("ServiceAccount", Some(namespace), service_account))
            })
    }

    /// The resources and findings the selection keeps; `None` when it selects everything.
    pub fn select(
        &self,
        inventory: &Inventory,
        resources: &[Resource],
        findings: &[Finding],
    ) -> Option<(Vec<Resource>, Vec<Finding>)> {
        if self.is_empty() {
            return None;
        }
        let lookup = Lookup::new(inventory);
        let resources: Vec<Resource> = resources
            .iter()
            .filter(|r| self.admits(&lookup, &r.kind, r.namespace.as_deref(), &r.name))
            .cloned()
            .collect();
        let findings: Vec<Finding> = findings
            .iter()
            .filter(|f| {
                f.resource
                    .as_ref()
                    .is_none_or(|r| self.admits(&lookup, &r.kind, r.namespace.as_deref(), &r.name))
            })
            .cloned()
            .collect();
        Some((resources, findings))
    }

    /// The selection, for the evidence manifest and reports.
    pub fn describe(&self) -> Value {
        if self.is_empty() {
            return Value::Null;
        }
        json!({
            "namespaces": self.names,
            "excludeNamespaces": self.exclude,
            "namespaceSelector": self.namespace_labels.as_ref().map(Matcher::describe),
            "selector": self.labels.as_ref().map(Matcher::describe),
            "serviceAccounts": self.service_accounts,
            "serviceAccountSelector": self.service_account_labels.as_ref().map(Matcher::describe),
        })
    }
}

/// A parsed definition document with its problems, located at the end.
struct Reader<'a> {
    file: &'a Path,
    /// The clock's time (Unix seconds) the schedule notes show the next runs from.
    now: Option<i64>,
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
        crate::settings::strings(v, ptr, &mut self.errors)
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

    /// `; next runs: …` after the clock's time, or nothing without a clock.
    fn next_runs(&self, s: &Schedule) -> String {
        let Some(now) = self.now else {
            return String::new();
        };
        let runs: Vec<String> = s
            .next_runs(now, 3)
            .into_iter()
            .map(kubecomply_core::date::rfc3339)
            .collect();
        if runs.is_empty() {
            "; it has no next run".into()
        } else {
            format!("; next runs: {}", runs.join(", "))
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

/// Reads a report definition; errors name file, line and column.
pub fn read(file: &Path) -> Result<ReportDefinition> {
    read_at(file, None)
}

/// Reads a report definition like [`read`]; with `now` (seconds since the Unix epoch, UTC,
/// e.g. [`Clock::unix_seconds`](crate::Clock::unix_seconds)) the schedule's note also shows
/// its next three runs after that time.
pub fn read_at(file: &Path, now: Option<i64>) -> Result<ReportDefinition> {
    let name = file.display().to_string();
    let text = crate::inputs::read_setting(file, &kubecomply_loader::Limits::default())?;
    let stream = kubecomply_loader::yaml::parse(&text, &kubecomply_loader::Limits::default());
    if let Some(e) = stream.errors.first() {
        return Err(Error::new(format!(
            "{name}:{}:{}: {}",
            e.line, e.column, e.message
        )));
    }
    let Some(doc) = stream.documents.first() else {
        return Err(Error::new(format!("{name}:1:1: empty report definition")));
    };
    if stream.documents.len() > 1 {
        return Err(Error::new(format!(
            "{name}:{}:1: one report definition per file",
            stream.documents[1].line
        )));
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
        now,
        errors: Vec::new(),
        notes: Vec::new(),
    };
    let mut def = match (api, kind) {
        (API_VERSION, "ComplianceReport") => compliance_report(&mut r, v),
        (CALICO_API_VERSION, "GlobalReport") => global_report(&mut r, v),
        _ => {
            return Err(Error::new(format!(
                "{}: expected apiVersion {API_VERSION} kind ComplianceReport, or apiVersion {CALICO_API_VERSION} kind GlobalReport (found {api:?} {kind:?})",
                at("/kind")
            )));
        }
    };
    if !r.errors.is_empty() {
        let msgs: Vec<String> = r
            .errors
            .iter()
            .map(|(p, m)| format!("{}: {m}", at(p)))
            .collect();
        return Err(Error::new(format!(
            "invalid report definition:\n{}",
            msgs.join("\n")
        )));
    }
    def.notes = r
        .notes
        .iter()
        .map(|(p, m)| format!("{}: {m}", at(p)))
        .collect();
    Ok(def)
}

/// `file:line:column` of the definition's start, for errors a front end finds after merging
/// its options (no inputs, no frameworks).
pub fn start(file: &Path) -> String {
    format!("{}:1:1", file.display())
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
        match ReportFormat::parse(&s) {
            Some(f) if !out.contains(&f) => out.push(f),
            Some(_) => {}
            None => {
                let names: Vec<&str> = ReportFormat::ALL.iter().map(|f| f.name()).collect();
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
fn compliance_report(r: &mut Reader<'_>, v: &Value) -> ReportDefinition {
    let mut plan = ReportDefinition::new(metadata_name(r, v), DefinitionKind::Frameworks);
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
    for (k, x) in spec {
        let p = format!("/spec/{k}");
        match k.as_str() {
            "frameworks" => plan.frameworks = r.strings(x, &p),
            "inputs" => {
                let base = r.file.parent().unwrap_or(Path::new(".")).to_path_buf();
                plan.inputs = r
                    .strings(x, &p)
                    .iter()
                    .map(|s| base.join(s).display().to_string())
                    .collect()
            }
            "selection" => selection(r, x, &p, &mut plan.selection),
            "formats" => plan.formats = formats(r, x, &p),
            "output" => plan.output = r.path(x, &p),
            "thresholds" => {
                if let Some(m) = r.object(x, &p) {
                    for (tk, tv) in m {
                        let tp = format!("{p}/{tk}");
                        match tk.as_str() {
                            "minScore" => match tv.as_f64() {
                                Some(n) if (0.0..=100.0).contains(&n) => plan.min_score = Some(n),
                                _ => r.err(&tp, "expected a score from 0 to 100"),
                            },
                            "maxFailed" => {
                                if let Some(mm) = r.object(tv, &tp) {
                                    for (sev, n) in mm {
                                        let sp = format!("{tp}/{sev}");
                                        match (Severity::parse(sev), n.as_u64()) {
                                            (Some(s), Some(n)) => {
                                                plan.max_failed.push((s, n as usize))
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
                Some("all") => plan.scope_all = true,
                Some("data-class") => {}
                _ => r.err(&p, "expected `all` or `data-class`"),
            },
            "attestations" => plan.attestations = r.path(x, &p),
            "exceptions" => plan.exceptions = r.path(x, &p),
            "config" => plan.config = r.path(x, &p),
            "frameworkFiles" => {
                let base = r.file.parent().unwrap_or(Path::new(".")).to_path_buf();
                plan.framework_files = r.strings(x, &p).iter().map(|s| base.join(s)).collect();
            }
            "schedule" => {
                if let Some(s) = r.schedule(x, &p) {
                    let next = r.next_runs(&s);
                    r.note(
                        &p,
                        format!(
                            "schedule {:?} is valid and recorded; this run is manual (a future service will run scheduled reports){next}",
                            s.expression
                        ),
                    );
                    plan.schedule = Some(s);
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
    plan
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
fn global_report(r: &mut Reader<'_>, v: &Value) -> ReportDefinition {
    let mut plan = ReportDefinition::new(metadata_name(r, v), DefinitionKind::NetworkInventory);
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
                        let next = r.next_runs(&s);
                        r.note(
                            &p,
                            format!(
                                "recorded: schedule {:?} is valid; this run is manual (a future service will run scheduled reports){next}",
                                s.expression
                            ),
                        );
                        plan.schedule = Some(s);
                    }
                }
            }
            "jobNodeSelector" => r.note(
                &p,
                "ignored: kubecomply runs no report jobs on nodes",
            ),
            "suspend" => match x.as_bool() {
                Some(b) => {
                    plan.suspend = b;
                    r.note(
                        &p,
                        format!("recorded: suspend is {b}; it applies to scheduled runs, not to this manual one"),
                    )
                }
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
    if cis {
        if plan.cis_bands.is_none() {
            // Calico's defaults.
            plan.cis_bands = Some((100.0, 50.0));
        }
        plan.kind = DefinitionKind::Frameworks;
        plan.frameworks = vec!["cis-k8s".into()];
    }
    plan
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

fn cis_params(r: &mut Reader<'_>, v: &Value, p: &str, plan: &mut ReportDefinition) {
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
