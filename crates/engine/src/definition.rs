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

use kubecomply_core::document::{self, OrderedMap, Text};
use kubecomply_core::{Finding, Inventory, Object, Severity};
use kubecomply_core::{Value, json};
use kubecomply_frameworks::scope::Resource;
use kubecomply_loader::locate::PositionIndex;
use kubecomply_netpol::LabelSelector;
use kubecomply_netpol::calico::Selector as CalicoSelector;

use serde::{Deserialize, Deserializer};

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

/// A report definition file as written: a [`ComplianceReportFile`] or a
/// [`GlobalReportFile`], told apart by `apiVersion` and `kind` (this type exists for the
/// JSON Schema, `docs/schema/report-definition-v1.json`).
#[derive(Debug, schemars::JsonSchema)]
#[serde(untagged)]
pub enum ReportDefinitionFile {
    /// kubecomply's own kind.
    ComplianceReport(ComplianceReportFile),
    /// Calico's kind.
    GlobalReport(GlobalReportFile),
}

/// A field that, when written, must have a value: `key: ~` is an error, not an absent field.
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> std::result::Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

/// The object metadata of a definition. Only `name` is used; the other fields of a
/// Kubernetes object (as `kubectl get -o yaml` writes them) are accepted and ignored.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(extend("required" = ["name"]))]
pub struct DefinitionMetadata {
    /// Names the report files (`<name>.<ext>`): not empty, no `/`, `\` or `..`.
    #[serde(default, deserialize_with = "present")]
    #[schemars(with = "String")]
    pub name: Option<String>,
    /// Ignored.
    #[serde(default)]
    pub labels: Option<OrderedMap<String>>,
    /// Ignored.
    #[serde(default)]
    pub annotations: Option<OrderedMap<String>>,
    /// Ignored (written by the API server).
    #[serde(default)]
    pub uid: Option<serde_json::Value>,
    /// Ignored (written by the API server).
    #[serde(default)]
    pub resource_version: Option<serde_json::Value>,
    /// Ignored (written by the API server).
    #[serde(default)]
    pub generation: Option<serde_json::Value>,
    /// Ignored (written by the API server).
    #[serde(default)]
    pub creation_timestamp: Option<serde_json::Value>,
    /// Ignored (written by the API server).
    #[serde(default)]
    pub managed_fields: Option<serde_json::Value>,
}

/// `kubecomply.io/v1alpha1` `ComplianceReport`: framework reports on a set of inputs. Paths
/// are relative to the definition's file; command-line flags replace the values given here.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(extend("required" = ["apiVersion", "kind", "metadata", "spec"]))]
pub struct ComplianceReportFile {
    /// `kubecomply.io/v1alpha1`.
    #[schemars(extend("const" = "kubecomply.io/v1alpha1"))]
    pub api_version: String,
    /// `ComplianceReport`.
    #[schemars(extend("const" = "ComplianceReport"))]
    pub kind: String,
    /// `name` names the report files.
    #[serde(default)]
    pub metadata: Option<DefinitionMetadata>,
    /// What to report on, and how.
    #[serde(default)]
    pub spec: Option<ComplianceReportSpec>,
}

/// The `spec` of a `ComplianceReport`.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ComplianceReportSpec {
    /// Framework ids (`pci-dss`, `cis-k8s`, or a custom framework's).
    #[serde(default)]
    pub frameworks: Option<Vec<String>>,
    /// Files and folders to scan.
    #[serde(default)]
    pub inputs: Option<Vec<String>>,
    /// Which resources count (all when absent).
    #[serde(default)]
    pub selection: Option<SelectionSpec>,
    /// Formats to write (JSON when absent); names are case-insensitive.
    #[serde(default)]
    #[schemars(with = "Option<Vec<FormatName>>")]
    pub formats: Option<Vec<String>>,
    /// The folder of the report files (`<name>.<ext>`).
    #[serde(default, deserialize_with = "present")]
    #[schemars(with = "String")]
    pub output: Option<String>,
    /// When the run fails (exit status 1).
    #[serde(default)]
    pub thresholds: Option<ThresholdsSpec>,
    /// `data-class` (default): a framework with `appliesTo` covers only the resources holding
    /// its data class; `all`: every resource.
    #[serde(default, deserialize_with = "present")]
    #[schemars(with = "ScopeName")]
    pub scope: Option<String>,
    /// An attestations file.
    #[serde(default, deserialize_with = "present")]
    #[schemars(with = "String")]
    pub attestations: Option<String>,
    /// An exceptions file.
    #[serde(default, deserialize_with = "present")]
    #[schemars(with = "String")]
    pub exceptions: Option<String>,
    /// A configuration file.
    #[serde(default, deserialize_with = "present")]
    #[schemars(with = "String")]
    pub config: Option<String>,
    /// Custom framework files.
    #[serde(default)]
    pub framework_files: Option<Vec<String>>,
    /// A cron expression (five fields, UTC): validated and recorded for a scheduler.
    #[serde(default, deserialize_with = "present")]
    #[schemars(with = "String")]
    pub schedule: Option<String>,
}

/// A report format name (any case).
#[derive(schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
#[allow(dead_code)]
enum FormatName {
    Json,
    Markdown,
    Html,
    Csv,
    Openreports,
    Policyreport,
    Oscal,
}

/// Which resources a framework covers.
#[derive(schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
#[allow(dead_code)]
enum ScopeName {
    /// Every resource.
    All,
    /// Only the resources holding a framework's data class (the default).
    DataClass,
}

/// The resources a `ComplianceReport` evaluates. Namespaced resources are selected by their
/// namespace and their own labels; other cluster-scoped resources always count.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SelectionSpec {
    /// Only these namespaces.
    #[serde(default)]
    pub namespaces: Option<Vec<String>>,
    /// Not these namespaces.
    #[serde(default)]
    pub exclude_namespaces: Option<Vec<String>>,
    /// Namespaces whose Namespace object (among the inputs) has these labels.
    #[serde(default)]
    pub namespace_selector: Option<LabelSelectorSpec>,
    /// Resources with these labels.
    #[serde(default)]
    pub selector: Option<LabelSelectorSpec>,
}

/// A Kubernetes label selector (`metav1.LabelSelector`).
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct LabelSelectorSpec {
    /// Labels that must have these values.
    #[serde(default)]
    pub match_labels: Option<OrderedMap<String>>,
    /// Requirements that must all hold.
    #[serde(default)]
    pub match_expressions: Option<Vec<LabelRequirementSpec>>,
}

/// One requirement of a label selector.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LabelRequirementSpec {
    /// The label.
    pub key: String,
    /// `In` and `NotIn` take values; `Exists` and `DoesNotExist` none.
    #[schemars(with = "SelectorOperator")]
    pub operator: String,
    /// The values.
    #[serde(default)]
    pub values: Option<Vec<String>>,
}

/// A label selector operator.
#[derive(schemars::JsonSchema)]
#[allow(dead_code)]
enum SelectorOperator {
    In,
    NotIn,
    Exists,
    DoesNotExist,
}

/// When a `ComplianceReport` run fails.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ThresholdsSpec {
    /// The lowest acceptable score of each framework, 0 to 100.
    #[serde(default, deserialize_with = "present")]
    #[schemars(with = "f64", range(min = 0, max = 100))]
    pub min_score: Option<f64>,
    /// The most failed findings acceptable, by severity (critical, high, medium, low, info).
    #[serde(default)]
    pub max_failed: Option<OrderedMap<u64>>,
}

/// Calico's `projectcalico.org/v3` `GlobalReport`: `inventory` and `network-access` become the
/// network inventory, `cis-benchmark` the cis-k8s framework report; `policy-audit` is not
/// supported. Every field present is announced as honoured, mapped or ignored.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(extend("required" = ["apiVersion", "kind", "metadata", "spec"]))]
pub struct GlobalReportFile {
    /// `projectcalico.org/v3`.
    #[schemars(extend("const" = "projectcalico.org/v3"))]
    pub api_version: String,
    /// `GlobalReport`.
    #[schemars(extend("const" = "GlobalReport"))]
    pub kind: String,
    /// `name` names the report files.
    #[serde(default)]
    pub metadata: Option<DefinitionMetadata>,
    /// The report.
    #[serde(default)]
    pub spec: Option<GlobalReportSpec>,
    /// Written by Calico's controller; ignored.
    #[serde(default)]
    pub status: Option<serde_json::Value>,
}

/// The `spec` of a `GlobalReport`.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(extend("required" = ["reportType"]))]
pub struct GlobalReportSpec {
    /// `inventory`, `network-access` or `cis-benchmark` (`policy-audit` is refused).
    #[serde(default, deserialize_with = "present")]
    #[schemars(with = "ReportTypeName")]
    pub report_type: Option<String>,
    /// The workloads reported on (inventory and network-access).
    #[serde(default)]
    pub endpoints: Option<EndpointsSpec>,
    /// A cron expression (five fields; at most two minute values): recorded.
    #[serde(default, deserialize_with = "present")]
    #[schemars(with = "String")]
    pub schedule: Option<String>,
    /// Ignored: kubecomply runs no report jobs on nodes.
    #[serde(default)]
    pub job_node_selector: Option<OrderedMap<String>>,
    /// Pauses scheduled runs.
    #[serde(default, deserialize_with = "present")]
    #[schemars(with = "bool")]
    pub suspend: Option<bool>,
    /// Parameters of a cis-benchmark report.
    #[serde(default)]
    pub cis: Option<CisSpec>,
}

/// A Calico report type.
#[derive(schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
#[allow(dead_code)]
enum ReportTypeName {
    Inventory,
    NetworkAccess,
    CisBenchmark,
}

/// The endpoints of a `GlobalReport`: all of what is given must match.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct EndpointsSpec {
    /// A Calico selector on the workloads' pod labels.
    #[serde(default, deserialize_with = "present")]
    #[schemars(with = "String")]
    pub selector: Option<String>,
    /// Namespaces by name and by a Calico selector on the Namespace objects' labels.
    #[serde(default)]
    pub namespaces: Option<NamesAndSelectorSpec>,
    /// Service accounts by name and by a Calico selector on the ServiceAccount objects' labels.
    #[serde(default)]
    pub service_accounts: Option<NamesAndSelectorSpec>,
}

/// Names and a Calico selector.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NamesAndSelectorSpec {
    /// Names.
    #[serde(default)]
    pub names: Option<Vec<String>>,
    /// A Calico selector expression.
    #[serde(default, deserialize_with = "present")]
    #[schemars(with = "String")]
    pub selector: Option<String>,
}

/// The `cis` parameters of a cis-benchmark `GlobalReport`.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CisSpec {
    /// Score (percent) at or above which the band is HIGH (default 100).
    #[serde(default, deserialize_with = "present")]
    #[schemars(with = "u64", range(max = 100))]
    pub high_threshold: Option<u64>,
    /// Score (percent) above which the band is MED (default 50).
    #[serde(default, deserialize_with = "present")]
    #[schemars(with = "u64", range(max = 100))]
    pub med_threshold: Option<u64>,
    /// Ignored: every requirement is listed.
    #[serde(default)]
    pub include_unscored_tests: Option<bool>,
    /// Ignored: every failed requirement is listed.
    #[serde(default, deserialize_with = "present")]
    #[schemars(with = "u64", range(min = 1))]
    pub num_failed_tests: Option<u64>,
    /// Ignored: they select kube-bench node results.
    #[serde(default)]
    pub results_filters: Option<Vec<CisResultsFilter>>,
}

/// A Calico CIS results filter (ignored).
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CisResultsFilter {
    /// The Kubernetes versions it applies to.
    #[serde(default)]
    pub benchmark_selection: Option<CisBenchmarkSelection>,
    /// Test indices to include.
    #[serde(default)]
    pub include: Option<Vec<String>>,
    /// Test indices to exclude.
    #[serde(default)]
    pub exclude: Option<Vec<String>>,
}

/// Calico's benchmark selection.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CisBenchmarkSelection {
    /// A Kubernetes version.
    #[serde(default)]
    pub kubernetes_version: Option<Text>,
}

fn escape(key: &str) -> String {
    kubecomply_core::pointer::escape(key).into_owned()
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

    fn calico_selector(&mut self, s: &str, ptr: &str) -> Option<Matcher> {
        match CalicoSelector::parse(s) {
            Ok(sel) => Some(Matcher::Calico(sel, s.to_string())),
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

    fn schedule(&mut self, s: &str, ptr: &str) -> Option<Schedule> {
        match Schedule::parse(s) {
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

/// The keys of the mapping at `ptr` in document order (notes follow the order of the file).
fn keys_at<'v>(v: &'v Value, ptr: &str) -> Vec<&'v str> {
    v.pointer(ptr)
        .and_then(Value::as_object)
        .map(|m| m.keys().map(String::as_str).collect())
        .unwrap_or_default()
}

fn metadata_name(r: &mut Reader<'_>, m: Option<DefinitionMetadata>) -> String {
    match m.and_then(|m| m.name) {
        Some(n) if !n.is_empty() && plain_file_name(&n) => n,
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

fn formats(r: &mut Reader<'_>, names: Vec<String>, ptr: &str) -> Vec<ReportFormat> {
    let mut out = Vec::new();
    for (i, s) in names.into_iter().enumerate() {
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
    let (file, errors) = document::from_value_all::<ComplianceReportFile>(v);
    r.errors
        .extend(errors.into_iter().map(|e| (e.pointer, e.message)));
    let Some(file) = file else {
        return ReportDefinition::new(String::new(), DefinitionKind::Frameworks);
    };
    let mut plan =
        ReportDefinition::new(metadata_name(r, file.metadata), DefinitionKind::Frameworks);
    let Some(spec) = file.spec else {
        r.err("", "spec is required");
        return plan;
    };
    let base = r.file.parent().unwrap_or(Path::new(".")).to_path_buf();
    plan.frameworks = spec.frameworks.unwrap_or_default();
    plan.inputs = spec
        .inputs
        .unwrap_or_default()
        .iter()
        .map(|s| base.join(s).display().to_string())
        .collect();
    if spec.selection.is_some() {
        selection(r, v, "/spec/selection", &mut plan.selection);
    }
    plan.formats = formats(r, spec.formats.unwrap_or_default(), "/spec/formats");
    plan.output = spec.output.map(|s| base.join(s));
    if let Some(t) = spec.thresholds {
        match t.min_score {
            Some(n) if (0.0..=100.0).contains(&n) => plan.min_score = Some(n),
            Some(_) => r.err(
                "/spec/thresholds/minScore",
                "expected a score from 0 to 100",
            ),
            None => {}
        }
        for (sev, n) in t.max_failed.unwrap_or_default().0 {
            match Severity::parse(&sev) {
                Some(s) => plan
                    .max_failed
                    .push((s, usize::try_from(n).unwrap_or(usize::MAX))),
                None => r.err(
                    &format!("/spec/thresholds/maxFailed/{}", escape(&sev)),
                    format!("unknown severity {sev:?} (critical, high, medium, low, info)"),
                ),
            }
        }
    }
    match spec.scope.as_deref() {
        Some("all") => plan.scope_all = true,
        Some("data-class") | None => {}
        Some(_) => r.err("/spec/scope", "expected `all` or `data-class`"),
    }
    plan.attestations = spec.attestations.map(|s| base.join(s));
    plan.exceptions = spec.exceptions.map(|s| base.join(s));
    plan.config = spec.config.map(|s| base.join(s));
    plan.framework_files = spec
        .framework_files
        .unwrap_or_default()
        .iter()
        .map(|s| base.join(s))
        .collect();
    if let Some(x) = spec.schedule
        && let Some(s) = r.schedule(&x, "/spec/schedule")
    {
        let next = r.next_runs(&s);
        r.note(
            "/spec/schedule",
            format!(
                "schedule {:?} is valid and recorded; this run is manual (a future service will run scheduled reports){next}",
                s.expression
            ),
        );
        plan.schedule = Some(s);
    }
    plan
}

/// The selection at `p` of `doc`, whose types [`SelectionSpec`] has checked. The selectors are
/// read from the document as written (their text describes the selection).
fn selection(r: &mut Reader<'_>, doc: &Value, p: &str, s: &mut Selection) {
    let Some(m) = doc.pointer(p).and_then(Value::as_object) else {
        return;
    };
    for (k, x) in m {
        let kp = format!("{p}/{}", escape(k));
        match k.as_str() {
            "namespaces" => s.names = r.strings(x, &kp),
            "excludeNamespaces" => s.exclude = r.strings(x, &kp),
            "namespaceSelector" => s.namespace_labels = r.kube_selector(x, &kp),
            "selector" => s.labels = r.kube_selector(x, &kp),
            // Unknown fields are errors of the typed document.
            _ => {}
        }
    }
}

/// Calico's `projectcalico.org/v3` `GlobalReport`.
fn global_report(r: &mut Reader<'_>, v: &Value) -> ReportDefinition {
    let (file, errors) = document::from_value_all::<GlobalReportFile>(v);
    r.errors
        .extend(errors.into_iter().map(|e| (e.pointer, e.message)));
    let Some(file) = file else {
        return ReportDefinition::new(String::new(), DefinitionKind::NetworkInventory);
    };
    let mut plan = ReportDefinition::new(
        metadata_name(r, file.metadata),
        DefinitionKind::NetworkInventory,
    );
    let spec = match file.spec {
        Some(s) => s,
        None => {
            r.err("", "spec is required");
            GlobalReportSpec::default()
        }
    };
    if file.status.is_some() {
        r.note(
            "/status",
            "ignored: status is written by Calico's controller",
        );
    }
    let report_type = match spec.report_type.as_deref() {
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
    let GlobalReportSpec {
        mut endpoints,
        mut schedule,
        mut suspend,
        cis: mut cis_spec,
        ..
    } = spec;
    for k in keys_at(v, "/spec") {
        let p = format!("/spec/{}", escape(k));
        match k {
            "endpoints" if cis => r.note(
                &p,
                "ignored: endpoints only scope endpoint data, which a cis-benchmark report does not have (as in Calico)",
            ),
            "endpoints" => {
                if let Some(e) = endpoints.take() {
                    self::endpoints(r, v, e, &p, &mut plan.selection);
                }
            }
            "schedule" => {
                if let Some(x) = schedule.take()
                    && let Some(s) = r.schedule(&x, &p)
                {
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
            "suspend" => {
                if let Some(b) = suspend.take() {
                    plan.suspend = b;
                    r.note(
                        &p,
                        format!("recorded: suspend is {b}; it applies to scheduled runs, not to this manual one"),
                    );
                }
            }
            "cis" if !cis => r.note(
                &p,
                "ignored: cis parameters only apply to reportType cis-benchmark",
            ),
            "cis" => {
                if let Some(c) = cis_spec.take() {
                    cis_params(r, v, c, &p, &mut plan);
                }
            }
            // reportType is read above; unknown fields are errors of the typed document.
            _ => {}
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

fn names_and_selector(
    r: &mut Reader<'_>,
    n: Option<NamesAndSelectorSpec>,
    p: &str,
) -> (Vec<String>, Option<Matcher>) {
    let Some(n) = n else {
        return (Vec::new(), None);
    };
    let sel = n
        .selector
        .and_then(|s| r.calico_selector(&s, &format!("{p}/selector")));
    (n.names.unwrap_or_default(), sel)
}

fn honoured_parts(a: bool, what_a: &str, b: bool, what_b: &str) -> String {
    match (a, b) {
        (true, true) => format!("{what_a}, and {what_b}"),
        (true, false) => what_a.to_string(),
        (false, true) => what_b.to_string(),
        (false, false) => "nothing to select (empty)".to_string(),
    }
}

fn endpoints(r: &mut Reader<'_>, doc: &Value, e: EndpointsSpec, p: &str, s: &mut Selection) {
    let EndpointsSpec {
        mut selector,
        mut namespaces,
        mut service_accounts,
    } = e;
    for k in keys_at(doc, p) {
        let kp = format!("{p}/{}", escape(k));
        match k {
            "selector" => {
                if let Some(x) = selector.take() {
                    s.labels = r.calico_selector(&x, &kp);
                    r.note(
                        &kp,
                        "honoured: Calico selector on the workloads' pod labels",
                    );
                }
            }
            "namespaces" => {
                let (names, sel) = names_and_selector(r, namespaces.take(), &kp);
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
                let (names, sel) = names_and_selector(r, service_accounts.take(), &kp);
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
            // Unknown fields are errors of the typed document.
            _ => {}
        }
    }
}

fn percent(r: &mut Reader<'_>, v: Option<u64>, p: &str) -> Option<f64> {
    match v {
        Some(n) if n <= 100 => Some(n as f64),
        Some(_) => {
            r.err(p, "expected a percentage from 0 to 100");
            None
        }
        None => None,
    }
}

fn cis_params(r: &mut Reader<'_>, doc: &Value, c: CisSpec, p: &str, plan: &mut ReportDefinition) {
    let high = percent(r, c.high_threshold, &format!("{p}/highThreshold"));
    let med = percent(r, c.med_threshold, &format!("{p}/medThreshold"));
    for k in keys_at(doc, p) {
        let kp = format!("{p}/{}", escape(k));
        match k {
            "includeUnscoredTests" => r.note(
                &kp,
                "ignored: the report always lists every requirement; CIS \"not scored\" checks are manual requirements, assessed only through attestations",
            ),
            "numFailedTests" => match c.num_failed_tests {
                Some(0) => r.err(&kp, "expected a number greater than 0"),
                Some(_) => r.note(
                    &kp,
                    "ignored: the report lists every failed requirement, not only the top N",
                ),
                // A value of the wrong type is an error of the typed document.
                None => {}
            },
            "resultsFilters" => r.note(
                &kp,
                "ignored: kube-bench test indices and kubelet versions select node results, which a manifest scan has none of; every CIS requirement is reported",
            ),
            // highThreshold and medThreshold are read above; unknown fields are errors of the
            // typed document.
            _ => {}
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

#[cfg(test)]
mod tests {
    use super::*;

    fn read_text(name: &str, text: &str) -> std::result::Result<ReportDefinition, String> {
        let dir = std::env::temp_dir().join(format!("kubecomply-def-{}", std::process::id()));
        std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        let file = dir.join(name);
        std::fs::write(&file, text).map_err(|e| e.to_string())?;
        read(&file).map_err(|e| e.to_string())
    }

    #[test]
    fn a_misspelt_selection_key_is_an_error_not_a_wider_selection() {
        let e = read_text(
            "sel.yaml",
            "apiVersion: kubecomply.io/v1alpha1\nkind: ComplianceReport\nmetadata:\n  name: r\n  labels: {team: shop}\nspec:\n  selection:\n    namespace: [payments]\n    namespaceSelector:\n      matchLabel: {env: prod}\n    selector:\n      matchExpressions: [{key: tier, operator: In, values: [web], valuez: [x]}]\n",
        )
        .expect_err("invalid");
        for want in [
            "sel.yaml:8:5: unknown field `namespace`",
            "sel.yaml:10:7: unknown field `matchLabel`",
            "sel.yaml:12:67: unknown field `valuez`",
        ] {
            assert!(e.contains(want), "{want}\n{e}");
        }
    }

    #[test]
    fn global_report_fields_are_typed() {
        let e = read_text(
            "gr.yaml",
            "apiVersion: projectcalico.org/v3\nkind: GlobalReport\nmetadata:\n  name: r\nspec:\n  reportType: inventory\n  endpoints:\n    namespaces:\n      name: [shop]\n  suspend: \"no\"\nextra: 1\n",
        )
        .expect_err("invalid");
        for want in [
            "gr.yaml:9:7: unknown field `name`",
            "gr.yaml:10:3: invalid type: string \"no\", expected a boolean",
            "gr.yaml:11:1: unknown field `extra`",
        ] {
            assert!(e.contains(want), "{want}\n{e}");
        }
        let ok = read_text(
            "gr-ok.yaml",
            "apiVersion: projectcalico.org/v3\nkind: GlobalReport\nmetadata:\n  name: r\n  resourceVersion: \"12\"\nspec:\n  reportType: inventory\n  endpoints:\n    namespaces: {names: [shop]}\nstatus: {lastSuccessfulReportJobs: []}\n",
        )
        .expect("valid");
        assert_eq!(ok.selection.names, ["shop"]);
        assert!(ok.notes[0].ends_with("ignored: status is written by Calico's controller"));
    }
}
