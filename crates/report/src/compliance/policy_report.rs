//! Policy reports for Kubernetes: the Open Reports API (`openreports.io/v1alpha1` `Report` and
//! `ClusterReport`) and its predecessor, the Policy WG's `wgpolicyk8s.io/v1alpha2`
//! `PolicyReport` and `ClusterPolicyReport`.
//!
//! The output is a YAML stream, one object per document, that `kubectl apply -f` takes once the
//! CRDs are installed: one namespaced report per namespace holding results and one cluster
//! report for cluster-scoped resources, findings without a resource, and requirements without
//! any finding. A resource whose namespace is not a valid DNS-1123 label (no API server would
//! have it) goes to the cluster report, where its reference keeps the namespace.
//!
//! Each result is one finding of one leaf requirement (requirement × resource):
//! `policy` = `<framework>/<requirement>`, `rule` = the rule code, `result` from the finding
//! (pass, fail, error; `skipped` and excepted findings are `skip`), `severity`, `message`,
//! `resources` (the checked object), `source: kubecomply`, `timestamp` (the report time),
//! `category` (the framework name), `scored: true` and `properties` (`framework`,
//! `requirement`, `requirementTitle`, `requirementStatus`, `location` = file:line:column,
//! `container` and `exception` when set). A requirement without findings gets one result with
//! no resource whose `result` comes from its status: pass and manual (attested) → pass, fail →
//! fail, partial and manual (not attested) → warn, not assessed and not applicable → skip.
//!
//! `wgpolicyk8s.io/v1alpha2` only knows the severities high, medium and low: critical is
//! written as high and info as low, the original kept in the `severity` property.

use std::collections::BTreeMap;

use kubecomply_core::{Severity, Status};
use serde_json::{Map, Value, json};

use kubecomply_core::date::unix_seconds;
use kubecomply_frameworks::report::leaves;
use kubecomply_frameworks::{FindingRef, RequirementResult, RequirementStatus};

use super::{Report, findings_of};

/// Which report API to write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flavour {
    /// `openreports.io/v1alpha1` `Report` / `ClusterReport`.
    OpenReports,
    /// `wgpolicyk8s.io/v1alpha2` `PolicyReport` / `ClusterPolicyReport`.
    PolicyReport,
}

impl Flavour {
    /// The `apiVersion` of its objects.
    pub fn api_version(self) -> &'static str {
        match self {
            Flavour::OpenReports => "openreports.io/v1alpha1",
            Flavour::PolicyReport => "wgpolicyk8s.io/v1alpha2",
        }
    }

    /// The kind of the namespaced report.
    pub fn namespaced_kind(self) -> &'static str {
        match self {
            Flavour::OpenReports => "Report",
            Flavour::PolicyReport => "PolicyReport",
        }
    }

    /// The kind of the cluster-scoped report.
    pub fn cluster_kind(self) -> &'static str {
        match self {
            Flavour::OpenReports => "ClusterReport",
            Flavour::PolicyReport => "ClusterPolicyReport",
        }
    }

    fn severity(self, s: Severity) -> &'static str {
        match (self, s) {
            (Flavour::PolicyReport, Severity::Critical) => "high",
            (Flavour::PolicyReport, Severity::Info) => "low",
            _ => s.as_str(),
        }
    }
}

/// The `result` of a finding.
fn finding_result(s: Status) -> &'static str {
    match s {
        Status::Pass => "pass",
        Status::Fail => "fail",
        Status::Error => "error",
        Status::Skipped | Status::Excepted => "skip",
    }
}

/// The `result` of a requirement without findings.
fn requirement_result(s: RequirementStatus) -> &'static str {
    match s {
        RequirementStatus::Pass | RequirementStatus::Attested => "pass",
        RequirementStatus::Fail => "fail",
        RequirementStatus::Partial | RequirementStatus::Manual => "warn",
        RequirementStatus::NotAssessed | RequirementStatus::NotApplicable => "skip",
    }
}

/// Whether `s` is a DNS-1123 label (a valid namespace name): at most 63 characters of
/// lower-case alphanumerics and `-`, starting and ending with an alphanumeric.
pub fn is_dns1123_label(s: &str) -> bool {
    s.len() <= 63 && is_dns1123_part(s)
}

/// Whether `s` is a DNS-1123 subdomain (a valid object name for most kinds): at most 253
/// characters, dot-separated DNS-1123 labels.
pub fn is_dns1123_subdomain(s: &str) -> bool {
    s.len() <= 253 && s.split('.').all(is_dns1123_label)
}

fn is_dns1123_part(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        && b[0] != b'-'
        && b[b.len() - 1] != b'-'
}

/// The report objects' name: `kubecomply-<framework ids>`, reduced to a DNS-1123 subdomain;
/// `kubecomply` when the ids leave nothing usable.
pub fn report_name(framework_ids: &[&str]) -> String {
    let mut s = String::from("kubecomply");
    for id in framework_ids {
        s.push('-');
        for c in id.chars() {
            s.push(match c.to_ascii_lowercase() {
                c @ ('a'..='z' | '0'..='9') => c,
                _ => '-',
            });
        }
    }
    // Collapse runs of '-' and cut to the limit, ending on an alphanumeric.
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if !(c == '-' && out.ends_with('-')) {
            out.push(c);
        }
    }
    out.truncate(253);
    while out.ends_with('-') {
        out.pop();
    }
    if is_dns1123_subdomain(&out) {
        out
    } else {
        "kubecomply".to_string()
    }
}

struct Bucket {
    results: Vec<Value>,
    summary: BTreeMap<&'static str, usize>,
}

impl Bucket {
    fn new() -> Bucket {
        Bucket {
            results: Vec::new(),
            summary: ["pass", "fail", "warn", "error", "skip"]
                .into_iter()
                .map(|k| (k, 0))
                .collect(),
        }
    }

    fn push(&mut self, result: &'static str, v: Value) {
        *self.summary.entry(result).or_default() += 1;
        self.results.push(v);
    }
}

fn properties(fw: &str, q: &RequirementResult, x: Option<&FindingRef>) -> Map<String, Value> {
    let mut p = Map::new();
    p.insert("framework".into(), json!(fw));
    p.insert("requirement".into(), json!(q.id));
    p.insert("requirementTitle".into(), json!(q.title));
    p.insert("requirementStatus".into(), json!(q.status.as_str()));
    if let Some(x) = x {
        p.insert("location".into(), json!(x.location));
        p.insert("severity".into(), json!(x.severity.as_str()));
        if let Some(c) = &x.container {
            p.insert("container".into(), json!(c));
        }
        if let Some(e) = &x.exception {
            p.insert("exception".into(), json!(e));
        }
    }
    p
}

impl Report<'_> {
    /// The report objects (namespaced reports sorted by namespace, then the cluster report).
    pub fn policy_report_objects(&self, flavour: Flavour) -> Vec<Value> {
        let seconds = unix_seconds(&self.generated_at).unwrap_or(0);
        let timestamp = json!({"seconds": seconds, "nanos": 0});
        let mut namespaces: BTreeMap<String, Bucket> = BTreeMap::new();
        let mut cluster = Bucket::new();
        for f in &self.frameworks {
            let fw = f.result.id.as_str();
            for q in leaves(&f.result) {
                let policy = format!("{fw}/{}", q.id);
                let mut any = false;
                for x in findings_of(q) {
                    any = true;
                    let result = finding_result(x.status);
                    let mut v = json!({
                        "policy": policy,
                        "rule": x.rule,
                        "category": f.result.name,
                        "result": result,
                        "severity": flavour.severity(x.severity),
                        "scored": true,
                        "message": x.message,
                        "source": "kubecomply",
                        "timestamp": timestamp,
                        "properties": properties(fw, q, Some(x)),
                    });
                    let mut bucket = &mut cluster;
                    if let Some(o) = &x.resource {
                        let mut r =
                            json!({"apiVersion": o.api_version, "kind": o.kind, "name": o.name});
                        if let Some(ns) = &o.namespace {
                            r["namespace"] = json!(ns);
                            if is_dns1123_label(ns) {
                                bucket = namespaces.entry(ns.clone()).or_insert_with(Bucket::new);
                            }
                        }
                        v["resources"] = json!([r]);
                    }
                    bucket.push(result, v);
                }
                if !any {
                    let result = requirement_result(q.status);
                    cluster.push(
                        result,
                        json!({
                            "policy": policy,
                            "category": f.result.name,
                            "result": result,
                            "scored": true,
                            "message": format!("{}: {}", q.title, q.status.as_str()),
                            "source": "kubecomply",
                            "timestamp": timestamp,
                            "properties": properties(fw, q, None),
                        }),
                    );
                }
            }
        }
        let ids: Vec<&str> = self
            .frameworks
            .iter()
            .map(|f| f.result.id.as_str())
            .collect();
        let name = report_name(&ids);
        let object = |kind: &str, namespace: Option<&str>, b: Bucket| {
            let mut metadata = json!({
                "name": name,
                "labels": {"app.kubernetes.io/managed-by": "kubecomply"},
            });
            if let Some(ns) = namespace {
                metadata["namespace"] = json!(ns);
            }
            json!({
                "apiVersion": flavour.api_version(),
                "kind": kind,
                "metadata": metadata,
                "source": "kubecomply",
                "summary": b.summary,
                "results": b.results,
            })
        };
        let mut out: Vec<Value> = Vec::new();
        for (ns, b) in namespaces {
            out.push(object(flavour.namespaced_kind(), Some(&ns), b));
        }
        out.push(object(flavour.cluster_kind(), None, cluster));
        // `source` at the report level exists in the Open Reports API only.
        if flavour == Flavour::PolicyReport {
            for o in &mut out {
                if let Value::Object(m) = o {
                    m.remove("source");
                }
            }
        }
        out
    }

    /// The report objects as a YAML stream (one `---` document each).
    pub fn to_policy_reports(&self, flavour: Flavour) -> String {
        crate::yaml::stream(&self.policy_report_objects(flavour))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_dns_1123() {
        assert_eq!(
            report_name(&["pci-dss", "cis-k8s"]),
            "kubecomply-pci-dss-cis-k8s"
        );
        assert_eq!(report_name(&["My_Framework!"]), "kubecomply-my-framework");
        let long = "x".repeat(400);
        let n = report_name(&[&long]);
        assert!(n.len() <= 253 && is_dns1123_subdomain(&n), "{n}");
        assert!(is_dns1123_label("payments"));
        assert!(!is_dns1123_label("Payments"));
        assert!(!is_dns1123_label("-a"));
        assert!(!is_dns1123_label(&"a".repeat(64)));
    }
}
