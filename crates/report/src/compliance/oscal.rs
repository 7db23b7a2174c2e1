//! OSCAL assessment results (JSON, `oscal-version` 1.2.3, the release whose schema it is tested against): the report as an assessor's
//! tool reads it.
//!
//! - `metadata`: title, `last-modified` (the report time), `version` (kubecomply's).
//! - `import-ap`: OSCAL requires a link to the assessment plan. kubecomply has no separate
//!   plan document: the plan is the framework catalogue and the rules that ran. `href` is a
//!   fragment (`#<uuid>`) naming a `back-matter` resource that says so.
//! - One `result` per framework: `reviewed-controls` names its leaf requirements (as
//!   control ids, see below); one `observation` per rule result (rule × resource × location,
//!   shared by the requirements it backs) with `methods: ["TEST"]`, the resource as `subject`
//!   (a `back-matter` resource describing the Kubernetes object), `collected` = report time
//!   and `relevant-evidence` = the manifest's `file:line:column`; one `finding` per leaf
//!   requirement whose `target` is an `objective-id` with `status.state` `satisfied` (pass,
//!   manual attested) or `not-satisfied` (anything else; `reason` is `fail` for fail and
//!   `other` with a remark otherwise) and `related-observations`.
//! - Control ids must be OSCAL tokens (a letter or `_` first; letters, digits, `.`, `-`, `_`):
//!   `<framework>_<requirement>` with every other character replaced by `_` (PCI DSS `1.2.5`
//!   → `pci-dss_1.2.5`, HIPAA `164.312(b)` → `hipaa_164.312_b_`). The exact requirement id
//!   is kept in the `requirement-id` property (namespace [`NS`]).
//! - UUIDs are version 5, derived from the content (framework, requirement, rule, resource,
//!   location), so running the same inputs twice gives the same document apart from the
//!   timestamps; the document's own UUID hashes its results without the timestamps.

use std::collections::BTreeMap;

use serde_json::{Value, json};
use uuid::Uuid;

use kubecomply_frameworks::report::leaves;
use kubecomply_frameworks::{FindingRef, RequirementStatus};

use super::{Report, findings_of};

/// The `oscal-version` written.
pub const OSCAL_VERSION: &str = "1.2.3";

/// Namespace of kubecomply's OSCAL properties.
pub const NS: &str = "https://kubecomply.io/ns/oscal";

fn namespace() -> Uuid {
    Uuid::new_v5(&Uuid::NAMESPACE_URL, NS.as_bytes())
}

/// A deterministic UUID (v5) of the parts, joined unambiguously.
fn uuid(parts: &[&str]) -> String {
    let mut key = String::new();
    for p in parts {
        key.push_str(&p.len().to_string());
        key.push(':');
        key.push_str(p);
    }
    Uuid::new_v5(&namespace(), key.as_bytes()).to_string()
}

/// An OSCAL token (`^(\p{L}|_)(\p{L}|\p{N}|[.\-_])*$`) for a requirement of a framework.
pub fn control_id(framework: &str, requirement: &str) -> String {
    let mut s = String::new();
    for c in framework
        .chars()
        .chain(std::iter::once('_'))
        .chain(requirement.chars())
    {
        s.push(if c.is_alphanumeric() || matches!(c, '.' | '-' | '_') {
            c
        } else {
            '_'
        });
    }
    if !s.starts_with(|c: char| c.is_alphabetic() || c == '_') {
        s.insert(0, '_');
    }
    s
}

/// A `StringDatatype` value (`^\S(.*\S)?$`): one line, trimmed, never empty.
fn line(s: &str) -> String {
    let one: String = s
        .chars()
        .map(|c| if c.is_whitespace() { ' ' } else { c })
        .collect();
    let t = one.trim();
    if t.is_empty() {
        "-".to_string()
    } else {
        t.to_string()
    }
}

fn prop(name: &str, value: &str) -> Value {
    json!({"name": name, "ns": NS, "value": line(value)})
}

fn resource_title(x: &FindingRef) -> Option<String> {
    x.resource.as_ref().map(|o| match &o.namespace {
        Some(ns) => format!("{} {ns}/{}", o.kind, o.name),
        None => format!("{} {}", o.kind, o.name),
    })
}

impl Report<'_> {
    /// The OSCAL assessment-results document (see the module documentation).
    pub fn to_oscal(&self) -> Value {
        let at = self.generated_at.as_str();
        let plan_uuid = uuid(&["assessment-plan"]);
        let mut subjects: BTreeMap<String, Value> = BTreeMap::new();
        let mut results = Vec::new();
        for f in &self.frameworks {
            let fw = f.result.id.as_str();
            let mut observations: BTreeMap<String, Value> = BTreeMap::new();
            let mut findings = Vec::new();
            let mut controls = Vec::new();
            for q in leaves(&f.result) {
                let cid = control_id(fw, &q.id);
                controls.push(json!({"control-id": cid}));
                let mut related = Vec::new();
                for x in findings_of(q) {
                    let r = x.resource.as_ref();
                    let api = r.map_or("", |o| o.api_version.as_str());
                    let kind = r.map_or("", |o| o.kind.as_str());
                    let ns = r.and_then(|o| o.namespace.as_deref()).unwrap_or("");
                    let name = r.map_or("", |o| o.name.as_str());
                    let container = x.container.as_deref().unwrap_or("");
                    let ou = uuid(&[
                        "observation",
                        fw,
                        &x.rule,
                        api,
                        kind,
                        ns,
                        name,
                        container,
                        &x.location,
                        x.status.as_str(),
                    ]);
                    if !related.iter().any(|v: &Value| v["observation-uuid"] == ou) {
                        related.push(json!({"observation-uuid": ou}));
                    }
                    if observations.contains_key(&ou) {
                        continue;
                    }
                    let title = match resource_title(x) {
                        Some(t) => format!("{} {} on {t}", x.rule, x.status.as_str()),
                        None => format!("{} {}", x.rule, x.status.as_str()),
                    };
                    let mut props = vec![
                        prop("rule", &x.rule),
                        prop("result", x.status.as_str()),
                        prop("severity", x.severity.as_str()),
                    ];
                    if !container.is_empty() {
                        props.push(prop("container", container));
                    }
                    if let Some(e) = &x.exception {
                        props.push(prop("exception", e));
                    }
                    let mut o = json!({
                        "uuid": ou,
                        "title": line(&title),
                        "description": if x.message.trim().is_empty() { title.clone() } else { x.message.clone() },
                        "props": props,
                        "methods": ["TEST"],
                        "relevant-evidence": [{
                            "description": format!("{} in {}", x.rule, x.location),
                            "props": [prop("location", &x.location)],
                        }],
                        "collected": at,
                    });
                    if let (Some(o_ref), Some(t)) = (r, resource_title(x)) {
                        let su = uuid(&["subject", api, kind, ns, name]);
                        o["subjects"] = json!([{
                            "subject-uuid": su,
                            "type": "resource",
                            "title": line(&t),
                        }]);
                        subjects.entry(su.clone()).or_insert_with(|| {
                            let mut p = vec![
                                prop("api-version", &o_ref.api_version),
                                prop("kind", &o_ref.kind),
                                prop("name", &o_ref.name),
                            ];
                            if let Some(n) = &o_ref.namespace {
                                p.push(prop("namespace", n));
                            }
                            json!({"uuid": su, "title": line(&t), "props": p})
                        });
                    }
                    observations.insert(ou, o);
                }
                let (state, reason) = match q.status {
                    RequirementStatus::Pass | RequirementStatus::Attested => ("satisfied", "pass"),
                    RequirementStatus::Fail => ("not-satisfied", "fail"),
                    _ => ("not-satisfied", "other"),
                };
                let mut status = json!({"state": state, "reason": reason});
                if reason == "other" {
                    status["remarks"] = json!(format!(
                        "kubecomply status: {}; not counted as satisfied.",
                        q.status.as_str()
                    ));
                }
                let mut finding = json!({
                    "uuid": uuid(&["finding", fw, &q.id]),
                    "title": line(&format!("{} {}", q.id, q.title)),
                    "description": format!(
                        "{} requirement {}: {}. {} failing, {} passing, {} excepted finding(s).",
                        f.result.name,
                        q.id,
                        q.status.as_str(),
                        q.failed.len(),
                        q.passed_findings.len(),
                        q.excepted.len()
                    ),
                    "props": [
                        prop("requirement-id", &q.id),
                        prop("status", q.status.as_str()),
                    ],
                    "target": {
                        "type": "objective-id",
                        "target-id": cid,
                        "status": status,
                    },
                });
                if !related.is_empty() {
                    finding["related-observations"] = json!(related);
                }
                findings.push(finding);
            }
            let mut result = json!({
                "uuid": uuid(&["result", fw]),
                "title": line(&format!("{} {} ({fw})", f.result.name, f.result.version)),
                "description": format!(
                    "kubecomply evaluation of {} {}. Scope: {}. Score: {}.",
                    f.result.name,
                    f.result.version,
                    f.scope.description,
                    f.result.score.map_or_else(|| "n/a".to_string(), |s| format!("{s:.1}%"))
                ),
                "start": at,
                "end": at,
                "props": [prop("framework", fw)],
                "reviewed-controls": {"control-selections": [{}]},
            });
            if controls.is_empty() {
                result["reviewed-controls"]["control-selections"][0] = json!({"include-all": {}});
            } else {
                result["reviewed-controls"]["control-selections"][0] =
                    json!({"include-controls": controls});
            }
            if let (Some(s), Some(p)) = (f.result.score, result["props"].as_array_mut()) {
                p.push(prop("score", &format!("{s:.1}")));
            }
            if !observations.is_empty() {
                result["observations"] = Value::Array(observations.into_values().collect());
            }
            if !findings.is_empty() {
                result["findings"] = json!(findings);
            }
            results.push(result);
        }
        let fingerprint = serde_json::to_string(&results)
            .unwrap_or_default()
            .replace(at, "");
        let names: Vec<String> = self
            .frameworks
            .iter()
            .map(|f| format!("{} {}", f.result.name, f.result.version))
            .collect();
        let mut resources = vec![json!({
            "uuid": plan_uuid,
            "title": "kubecomply assessment plan (implicit)",
            "description": "kubecomply has no separate assessment plan document. The plan is the framework catalogue (`kubecomply frameworks show ID`) and the rules that ran; the reviewed controls of each result list the requirements assessed.",
        })];
        resources.extend(subjects.into_values());
        json!({
            "assessment-results": {
                "uuid": uuid(&["assessment-results", &fingerprint]),
                "metadata": {
                    "title": line(&format!("kubecomply compliance assessment: {}", names.join(", "))),
                    "last-modified": at,
                    "version": self.tool_version,
                    "oscal-version": OSCAL_VERSION,
                    "props": [prop("inputs", &self.inputs.join(", "))],
                },
                "import-ap": {
                    "href": format!("#{plan_uuid}"),
                    "remarks": "Implicit plan: see the back-matter resource.",
                },
                "results": results,
                "back-matter": {"resources": resources},
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_ids_are_tokens() {
        assert_eq!(control_id("pci-dss", "1.2.5"), "pci-dss_1.2.5");
        assert_eq!(control_id("hipaa", "164.312(b)"), "hipaa_164.312_b_");
        assert_eq!(control_id("9x", "a b"), "_9x_a_b");
    }

    #[test]
    fn uuids_are_deterministic_v5() {
        let a = uuid(&["finding", "pci-dss", "1.2.5"]);
        assert_eq!(a, uuid(&["finding", "pci-dss", "1.2.5"]));
        assert_ne!(a, uuid(&["finding", "pci-dss", "1.2.6"]));
        // Joining is unambiguous.
        assert_ne!(uuid(&["ab", "c"]), uuid(&["a", "bc"]));
        let u = Uuid::parse_str(&a).expect("uuid");
        assert_eq!(u.get_version_num(), 5);
    }

    #[test]
    fn property_values_are_trimmed_single_lines() {
        assert_eq!(line("  a\nb  "), "a b");
        assert_eq!(line("   "), "-");
    }
}
