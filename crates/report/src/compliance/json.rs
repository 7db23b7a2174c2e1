//! The JSON compliance report.
//!
//! JSON structure (`schemaVersion` 1.0; JSON Schema in `docs/schema/compliance-report-v1.json`,
//! checked by `crates/cli/tests/report.rs`):
//!
//! ```text
//! { schemaVersion, kind: "ComplianceReport", generatedAt (RFC 3339 UTC),
//!   tool: {name, version},
//!   inputs: {paths, files, objects, config?, attestationsFile?, policyDigest?},
//!   thresholds: {minScore?, maxFailed: {severity: n}},
//!   passed,                       // every framework within its thresholds
//!   frameworks: [{
//!     id, name, version, description, appliesTo?, scope, inScope?: ["Kind/ns/name"],
//!     passed, violations: [text],
//!     score (0-100 or null), counts: {status: n}, failedBySeverity: {severity: n},
//!     requirements: [{id, title, assessment?, status, statusLabel, rulesEvaluated,
//!                     rulesNotEvaluated, plannedRules, needs, passed,
//!                     passedFindings, failed, excepted, errors: [finding],
//!                     attestations: [attestation], requirements: [...]}],
//!     attestations: [attestation],          // those naming a requirement of it
//!     unmatchedAttestations: [attestation]  // naming it but no requirement of it
//!   }] }
//! finding = {rule, status, severity, resource?: {apiVersion, kind, namespace?, name},
//!            container?, message, location: "file:line:column", exception?,
//!            exceptionDetail?: {source, reason, owner?, expires?}}
//! attestation = {framework, requirement, statement, evidence: {url} | {file, sha256},
//!                attestedBy, date, validUntil, location, state: valid|expired|invalid, problem?}
//! ```

use kubecomply_core::Severity;
use kubecomply_frameworks::RequirementResult;
use serde_json::{Value, json};

use super::{Report, attestations_of};

fn requirement_json(r: &RequirementResult) -> Value {
    let mut v = serde_json::to_value(r).unwrap_or(Value::Null);
    if let Value::Object(m) = &mut v {
        m.insert("statusLabel".into(), json!(r.status.as_str()));
        if !r.requirements.is_empty() {
            m.insert(
                "requirements".into(),
                Value::Array(r.requirements.iter().map(requirement_json).collect()),
            );
        }
    }
    v
}

impl Report<'_> {
    /// The JSON document (see the module documentation for its structure).
    pub fn to_json(&self) -> Value {
        let frameworks: Vec<Value> = self
            .frameworks
            .iter()
            .map(|f| {
                let r = &f.result;
                let violations = self.thresholds.violations(r);
                let by_sev: serde_json::Map<String, Value> = Severity::ALL
                    .iter()
                    .rev()
                    .map(|s| {
                        (
                            s.as_str().to_string(),
                            json!(r.failed_by_severity.get(s).copied().unwrap_or(0)),
                        )
                    })
                    .collect();
                json!({
                    "id": r.id,
                    "name": r.name,
                    "version": r.version,
                    "description": f.framework.description,
                    "appliesTo": f.framework.applies_to,
                    "extends": f.framework.extends,
                    "scope": f.scope.description,
                    "inScope": f.scope.resources,
                    "passed": violations.is_empty(),
                    "violations": violations,
                    "score": r.score,
                    "counts": r.counts,
                    "failedBySeverity": by_sev,
                    "requirements": r.requirements.iter().map(requirement_json).collect::<Vec<_>>(),
                    "attestations": attestations_of(r),
                    "unmatchedAttestations": f.unmatched,
                })
            })
            .collect();
        let max_failed: serde_json::Map<String, Value> = self
            .thresholds
            .max_failed
            .iter()
            .map(|(s, n)| (s.as_str().to_string(), json!(n)))
            .collect();
        let mut doc = json!({
            "schemaVersion": "1.0",
            "kind": "ComplianceReport",
            "generatedAt": self.generated_at,
            "tool": {"name": "kubecomply", "version": self.tool_version},
            "inputs": {
                "paths": self.inputs,
                "files": self.files,
                "objects": self.objects,
                "config": self.config,
                "attestationsFile": self.attestations_file,
                "policyDigest": self.policy_digest,
            },
            "thresholds": {"minScore": self.thresholds.min_score, "maxFailed": max_failed},
            "passed": self.passed(),
            "frameworks": frameworks,
        });
        if !self.input_errors.is_empty()
            && let Value::Object(m) = &mut doc
        {
            let errors: Vec<Value> = self
                .input_errors
                .iter()
                .map(|d| {
                    json!({"file": d.file, "line": d.line, "column": d.column, "message": d.message})
                })
                .collect();
            m.insert("inputErrors".into(), Value::Array(errors));
        }
        doc
    }
}
