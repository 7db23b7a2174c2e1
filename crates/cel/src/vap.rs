//! ValidatingAdmissionPolicies and their bindings, evaluated over an inventory.

use std::borrow::Cow;
use std::collections::HashMap;

use kube_cel::cel::Value as Cel;
use kubecomply_core::Value;
use kubecomply_core::diagnostic::Level;
use kubecomply_core::{
    CustomRule, Diagnostic, Finding, FrameworkRef, Inventory, Location, Object, ObjectRef,
    Severity, Status,
};
use rayon::prelude::*;

use crate::checks::{Checks, FieldError, Outcome, Violation, bind_admission, bind_object_paths};
use crate::convert::{Sizes, to_cel};
use crate::expr::with_scope;
use crate::matching::{Attributes, Labels, MatchResources, Selector, label_lookup};
use crate::resources::{
    cluster_scoped, create_request, group_version, implicit_namespace, resource_of,
};

const POLICY_KIND: &str = "ValidatingAdmissionPolicy";
const BINDING_KIND: &str = "ValidatingAdmissionPolicyBinding";
const GROUP: &str = "admissionregistration.k8s.io";
const NAMESPACE_NAME_LABEL: &str = "kubernetes.io/metadata.name";

/// A compiled ValidatingAdmissionPolicy.
#[derive(Debug)]
struct Policy {
    name: String,
    rule: CustomRule,
    explicit_severity: Option<Severity>,
    ignore_failures: bool,
    constraints: MatchResources,
    /// Group and kind of `spec.paramKind`.
    param_kind: Option<(String, String)>,
    checks: Checks,
}

/// How a binding finds its parameters.
#[derive(Debug)]
struct ParamRef {
    name: Option<String>,
    namespace: Option<String>,
    selector: Option<Selector>,
    deny_when_missing: bool,
}

/// A ValidatingAdmissionPolicyBinding.
#[derive(Debug)]
struct Binding {
    name: String,
    policy: usize,
    resources: MatchResources,
    param_ref: Option<ParamRef>,
    deny: bool,
    warn: bool,
    audit: bool,
}

/// Every ValidatingAdmissionPolicy and binding of the input, compiled once.
#[derive(Debug, Default)]
pub struct VapSet {
    policies: Vec<Policy>,
    bindings: Vec<Binding>,
}

fn is_admission_kind(o: &Object, kind: &str) -> bool {
    o.kind == kind && o.group() == GROUP
}

fn str_at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    let mut cur = v;
    for p in path {
        cur = cur.get(p)?;
    }
    cur.as_str()
}

/// `VAP-` and the name in upper case, other characters as `-`.
fn derived_code(name: &str) -> String {
    let mut code = String::from("VAP-");
    code.extend(name.chars().map(|c| {
        if c.is_ascii_alphanumeric() {
            c.to_ascii_uppercase()
        } else {
            '-'
        }
    }));
    code
}

fn slug_of(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect()
}

/// `pci-dss:2.2.1, hipaa:164.312(a)(1)` → framework references.
fn parse_frameworks(text: &str) -> Vec<FrameworkRef> {
    text.split(',')
        .filter_map(|item| {
            let (framework, requirement) = item.trim().split_once(':')?;
            let (framework, requirement) = (framework.trim(), requirement.trim());
            (!framework.is_empty() && !requirement.is_empty()).then(|| FrameworkRef {
                framework: framework.to_string(),
                requirement: requirement.to_string(),
            })
        })
        .collect()
}

/// File, line and column of a character inside the expression at `pointer` of `object`:
/// the YAML position of the field's key, moved to the start of its value (past a quote, or
/// to the next line of a block scalar) and then by the position inside the expression.
fn expression_position(object: &Object, pointer: &str, line: u32, column: u32) -> (u32, u32) {
    let origin = &object.origin;
    let text = origin.source.text.get(origin.span.clone()).unwrap_or("");
    let full = format!("{}{pointer}", origin.prefix);
    let index = kubecomply_loader::locate::PositionIndex::build_for(text, origin.line, &[&full]);
    let Some((key_line, key_col)) = index.locate(&full) else {
        return (origin.line, 1);
    };
    if line == 0 {
        return (key_line, key_col);
    }
    let lines: Vec<&str> = origin.source.text.lines().collect();
    let Some(src) = lines.get((key_line as usize).saturating_sub(1)) else {
        return (key_line, key_col);
    };
    let rest: Vec<char> = src.chars().collect();
    let mut i = (key_col as usize).saturating_sub(1);
    // Skip the key (possibly quoted), the colon and blanks.
    if let Some(q @ ('"' | '\'')) = rest.get(i).copied() {
        i += 1;
        while i < rest.len() && rest[i] != q {
            i += 1;
        }
    }
    while i < rest.len() && rest[i] != ':' {
        i += 1;
    }
    i += 1;
    while i < rest.len() && rest[i] == ' ' {
        i += 1;
    }
    match rest.get(i) {
        Some('|' | '>') => {
            // Block scalar: expression line N is YAML line key_line + N.
            let target = key_line as usize + line as usize;
            // The block's indentation is that of its first line (later lines may be deeper,
            // and the extra spaces are part of the expression).
            let indent = lines
                .get(key_line as usize)
                .map_or(0, |l| l.len() - l.trim_start().len());
            (target as u32, indent as u32 + column)
        }
        Some('"' | '\'') if line == 1 => (key_line, i as u32 + 1 + column),
        Some(_) if line == 1 => (key_line, i as u32 + column),
        _ => (key_line + line - 1, column),
    }
}

impl VapSet {
    /// Compiles every ValidatingAdmissionPolicy and binding among `objects` (others are
    /// ignored). A policy with an expression that does not compile is left out and reported
    /// with the position of the expression; bindings that name no known policy, and policies
    /// without a binding (never evaluated, as in a cluster), are reported as warnings.
    pub fn new(objects: &[&Object]) -> (VapSet, Vec<Diagnostic>) {
        let mut set = VapSet::default();
        let mut diagnostics = Vec::new();
        let mut by_name: HashMap<&str, usize> = HashMap::new();
        let mut broken: Vec<&str> = Vec::new();
        for o in objects.iter().filter(|o| is_admission_kind(o, POLICY_KIND)) {
            let spec = o.value.get("spec").unwrap_or(&Value::Null);
            match Checks::compile(spec, "/spec") {
                Ok(checks) => {
                    by_name.insert(o.name.as_str(), set.policies.len());
                    set.policies.push(Policy::new(o, spec, checks));
                }
                Err(errors) => {
                    broken.push(o.name.as_str());
                    for FieldError { pointer, error } in errors {
                        let (line, column) =
                            expression_position(o, &pointer, error.line, error.column);
                        diagnostics.push(Diagnostic {
                            level: Level::Error,
                            file: o.origin.source.path.to_string(),
                            line,
                            column,
                            message: format!(
                                "ValidatingAdmissionPolicy {}: {} does not compile: {}; the policy is not evaluated",
                                o.name,
                                pointer.trim_start_matches('/').replace('/', "."),
                                error.message
                            ),
                        });
                    }
                }
            }
        }
        for o in objects
            .iter()
            .filter(|o| is_admission_kind(o, BINDING_KIND))
        {
            let spec = o.value.get("spec").unwrap_or(&Value::Null);
            let policy_name = str_at(spec, &["policyName"]).unwrap_or("");
            let Some(&policy) = by_name.get(policy_name) else {
                if !broken.contains(&policy_name) {
                    diagnostics.push(Diagnostic {
                        level: Level::Warning,
                        file: o.origin.source.path.to_string(),
                        line: o.origin.line,
                        column: 1,
                        message: format!(
                            "ValidatingAdmissionPolicyBinding {} names policy '{policy_name}', which is not in the input",
                            o.name
                        ),
                    });
                }
                continue;
            };
            set.bindings.push(Binding::new(o, spec, policy));
        }
        for (i, p) in set.policies.iter().enumerate() {
            if !set.bindings.iter().any(|b| b.policy == i) {
                diagnostics.push(Diagnostic::file(
                    Level::Warning,
                    &p.rule.source,
                    format!(
                        "ValidatingAdmissionPolicy {} has no binding in the input: not evaluated (a cluster enforces a policy only through a binding)",
                        p.name
                    ),
                ));
            }
        }
        (set, diagnostics)
    }

    /// The rule metadata of every compiled policy.
    pub fn rules(&self) -> Vec<CustomRule> {
        self.policies.iter().map(|p| p.rule.clone()).collect()
    }

    /// Number of compiled policies.
    pub fn len(&self) -> usize {
        self.policies.len()
    }

    /// Whether no policy compiled.
    pub fn is_empty(&self) -> bool {
        self.policies.is_empty()
    }

    /// Evaluates every binding against every object of `inventory` as a CREATE request:
    /// one finding per failed validation (status `fail`) or evaluation error (status
    /// `error`) per object, binding and parameter object. Parameters and namespaces are
    /// looked up in `inventory`. Objects are evaluated in parallel.
    pub fn evaluate(&self, inventory: &Inventory) -> Vec<Finding> {
        self.evaluate_with(inventory, &[])
    }

    /// [`VapSet::evaluate`], with parameter objects and namespaces looked up in `extra` as
    /// well (the objects of the policy files); only the objects of `inventory` are evaluated.
    pub fn evaluate_with(&self, inventory: &Inventory, extra: &[&Inventory]) -> Vec<Finding> {
        if self.bindings.is_empty() {
            return Vec::new();
        }
        let mut all = vec![inventory];
        all.extend_from_slice(extra);
        let world = World::new(&all);
        let mut findings: Vec<Finding> = inventory
            .objects
            .par_iter()
            .flat_map_iter(|o| self.evaluate_object(o, &world))
            .collect();
        findings.sort_by_key(|f| {
            (
                f.rule.clone(),
                f.location.file.clone(),
                f.location.pointer.clone(),
            )
        });
        findings
    }

    /// Evaluates every binding against one object as a CREATE request (the object need not be
    /// in the world's inventories: an admission request).
    pub fn evaluate_object(&self, object: &Object, world: &World<'_>) -> Vec<Finding> {
        if self.bindings.is_empty() {
            return Vec::new();
        }
        // The API server never sends policies and bindings through admission policies.
        if is_admission_kind(object, POLICY_KIND) || is_admission_kind(object, BINDING_KIND) {
            return Vec::new();
        }
        let (group, version) = group_version(&object.api_version);
        let cluster = world.cluster_scoped(&object.kind, group);
        let namespace = if cluster {
            ""
        } else {
            object.namespace.as_deref().unwrap_or("default")
        };
        let resource = resource_of(&object.kind);
        let attributes = Attributes {
            group,
            version,
            resource: &resource,
            name: &object.name,
            namespace,
        };
        let object_labels = label_lookup(object.labels());
        let namespace_value: Option<Value> = if cluster {
            None
        } else {
            Some(world.namespace(namespace))
        };
        let is_namespace = object.kind == "Namespace" && group.is_empty();
        let own = is_namespace.then(|| namespace_labels(&object.value, &object.name));
        let ns_labels_map = namespace_value
            .as_ref()
            .and_then(|n| n.get("metadata")?.get("labels")?.as_object());
        let ns_lookup = label_lookup(ns_labels_map);
        let own_lookup = own.as_ref().map(|m| label_lookup(Some(m)));
        let ns_filter: Option<Labels<'_>> = match (&own_lookup, cluster) {
            (Some(f), _) => Some(f),
            (None, false) => Some(&ns_lookup),
            (None, true) => None,
        };
        let matched: Vec<&Binding> = self
            .bindings
            .iter()
            .filter(|b| {
                let p = &self.policies[b.policy];
                p.constraints
                    .matches(&attributes, &object_labels, ns_filter)
                    && b.resources.matches(&attributes, &object_labels, ns_filter)
            })
            .collect();
        if matched.is_empty() {
            return Vec::new();
        }
        let request = create_request(&object.value, (!cluster).then_some(namespace));
        let object_value = to_cel(&object.value);
        let namespace_cel = namespace_value.as_ref().map(to_cel);
        let mut sizes = Sizes::of(&object.value);
        if let Some(ns) = &namespace_value {
            sizes = sizes.max(Sizes::of(ns));
        }
        let mut findings = Vec::new();
        with_scope(|scope| {
            bind_admission(scope, &object_value, &request, namespace_cel.as_ref());
            let mut paths: Vec<&[String]> = Vec::new();
            for b in &matched {
                for p in self.policies[b.policy].checks.object_paths() {
                    if !paths.contains(&p) {
                        paths.push(p);
                    }
                }
            }
            bind_object_paths(scope, &object.value, paths);
            for binding in matched {
                let policy = &self.policies[binding.policy];
                let params = match world.params(policy, binding, namespace) {
                    Ok(params) => params,
                    Err(message) => {
                        if !policy.ignore_failures {
                            findings.push(policy.finding(
                                binding,
                                object,
                                Status::Fail,
                                binding.denial(policy, &message),
                            ));
                        }
                        continue;
                    }
                };
                for param in params {
                    let mut inner = scope.new_inner_scope();
                    let param_sizes = match param {
                        Some(p) => {
                            inner.add_variable_from_value("params", to_cel(&p.value));
                            sizes.max(Sizes::of(&p.value))
                        }
                        None => {
                            inner.add_variable_from_value("params", Cel::Null);
                            sizes
                        }
                    };
                    match policy.checks.run(&mut inner, param_sizes, &[]) {
                        Outcome::NotMatched => {}
                        Outcome::MatchError(e) => {
                            if !policy.ignore_failures {
                                findings.push(policy.finding(
                                    binding,
                                    object,
                                    Status::Error,
                                    binding.denial(policy, &e),
                                ));
                            }
                        }
                        Outcome::Evaluated(violations) => {
                            for v in violations {
                                match v {
                                    Violation::Failed { message, .. } => {
                                        findings.push(policy.finding(
                                            binding,
                                            object,
                                            Status::Fail,
                                            binding.denial(policy, &message),
                                        ));
                                    }
                                    Violation::Error {
                                        expression,
                                        message,
                                        ..
                                    } => {
                                        if !policy.ignore_failures {
                                            findings.push(policy.finding(
                                                binding,
                                                object,
                                                Status::Error,
                                                binding.denial(
                                                    policy,
                                                    &format!(
                                                        "expression '{expression}' resulted in error: {message}"
                                                    ),
                                                ),
                                            ));
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        });
        findings
    }
}

/// The labels of a Namespace object, with the `kubernetes.io/metadata.name` label the API
/// server always sets.
fn namespace_labels(value: &Value, name: &str) -> kubecomply_core::Map {
    let mut labels = value
        .get("metadata")
        .and_then(|m| m.get("labels"))
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    labels.insert(
        NAMESPACE_NAME_LABEL.to_string(),
        Value::String(name.to_string()),
    );
    labels
}

impl Policy {
    fn new(o: &Object, spec: &Value, checks: Checks) -> Policy {
        let explicit_severity = o
            .annotation("kubecomply.io/severity")
            .and_then(Severity::parse);
        let description = o
            .annotation("kubecomply.io/description")
            .map(str::to_string)
            .or_else(|| {
                let first = spec.get("validations")?.as_array()?.first()?;
                first
                    .get("message")
                    .and_then(Value::as_str)
                    .map(str::to_string)
                    .or_else(|| {
                        first
                            .get("expression")
                            .and_then(Value::as_str)
                            .map(|e| format!("failed expression: {}", e.trim()))
                    })
            })
            .unwrap_or_default();
        let rule = CustomRule {
            code: o
                .annotation("kubecomply.io/code")
                .map(|c| c.trim().to_string())
                .filter(|c| !c.is_empty())
                .unwrap_or_else(|| derived_code(&o.name)),
            slug: slug_of(&o.name),
            title: o
                .annotation("kubecomply.io/title")
                .map(str::to_string)
                .unwrap_or_else(|| o.name.clone()),
            severity: explicit_severity.unwrap_or(Severity::High),
            description,
            engine: "cel".to_string(),
            source: o.origin.source.path.to_string(),
            frameworks: o
                .annotation("kubecomply.io/frameworks")
                .map(parse_frameworks)
                .unwrap_or_default(),
        };
        let param_kind = spec.get("paramKind").and_then(|pk| {
            let kind = pk.get("kind")?.as_str()?.to_string();
            let api_version = pk.get("apiVersion").and_then(Value::as_str).unwrap_or("v1");
            Some((group_version(api_version).0.to_string(), kind))
        });
        Policy {
            name: o.name.clone(),
            rule,
            explicit_severity,
            ignore_failures: str_at(spec, &["failurePolicy"]) == Some("Ignore"),
            constraints: MatchResources::parse(spec.get("matchConstraints")),
            param_kind,
            checks,
        }
    }

    fn finding(
        &self,
        binding: &Binding,
        object: &Object,
        status: Status,
        message: String,
    ) -> Finding {
        let severity = self.explicit_severity.unwrap_or(if binding.deny {
            Severity::High
        } else if binding.warn {
            Severity::Low
        } else {
            Severity::Info
        });
        Finding {
            rule: Cow::Owned(self.rule.code.clone()),
            slug: Cow::Owned(self.rule.slug.clone()),
            status,
            severity,
            resource: Some(ObjectRef::of(object)),
            container: None,
            message,
            location: Location::in_object(object, object.origin.prefix.clone()),
            exception: None,
        }
    }
}

impl Binding {
    fn new(o: &Object, spec: &Value, policy: usize) -> Binding {
        let actions: Vec<&str> = spec
            .get("validationActions")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let param_ref = spec
            .get("paramRef")
            .filter(|p| p.is_object())
            .map(|p| ParamRef {
                name: p
                    .get("name")
                    .and_then(Value::as_str)
                    .filter(|s| !s.is_empty())
                    .map(str::to_string),
                namespace: p
                    .get("namespace")
                    .and_then(Value::as_str)
                    .filter(|s| !s.is_empty())
                    .map(str::to_string),
                selector: Selector::parse(p.get("selector")),
                deny_when_missing: p.get("parameterNotFoundAction").and_then(Value::as_str)
                    == Some("Deny"),
            });
        Binding {
            name: o.name.clone(),
            policy,
            resources: MatchResources::parse(spec.get("matchResources")),
            param_ref,
            // validationActions is required; an empty list is treated as Deny.
            deny: actions.contains(&"Deny") || actions.is_empty(),
            warn: actions.contains(&"Warn"),
            audit: actions.contains(&"Audit"),
        }
    }

    /// The message the API server gives for this binding's action.
    fn denial(&self, policy: &Policy, message: &str) -> String {
        if self.deny {
            format!(
                "ValidatingAdmissionPolicy '{}' with binding '{}' denied request: {message}",
                policy.name, self.name
            )
        } else {
            let action = if self.warn { "Warn" } else { "Audit" };
            let _ = self.audit;
            format!(
                "Validation failed for ValidatingAdmissionPolicy '{}' with binding '{}': {message} ({action})",
                policy.name, self.name
            )
        }
    }
}

/// Lookups across the inventory: namespaces, parameter objects, CRD scopes.
pub struct World<'a> {
    inventories: Vec<&'a Inventory>,
    namespaces: HashMap<&'a str, &'a Object>,
    /// Kind → whether it is cluster-scoped, from CustomResourceDefinitions in the input.
    crd_scopes: HashMap<&'a str, bool>,
}

impl<'a> World<'a> {
    /// The lookups over `inventories` (where several hold a Namespace or a CRD of one name,
    /// the last wins, as in one inventory of all of them). Linear in their Namespaces and
    /// CustomResourceDefinitions, not in all their objects.
    pub fn new(inventories: &[&'a Inventory]) -> World<'a> {
        let mut namespaces = HashMap::new();
        for inventory in inventories {
            namespaces.extend(
                inventory
                    .of_kind("Namespace")
                    .filter(|o| o.group().is_empty())
                    .map(|o| (o.name.as_str(), o)),
            );
        }
        let crd_scopes = inventories
            .iter()
            .flat_map(|inventory| inventory.of_kind("CustomResourceDefinition"))
            .filter_map(|o| {
                let kind = str_at(&o.value, &["spec", "names", "kind"])?;
                Some((
                    kind,
                    str_at(&o.value, &["spec", "scope"]) == Some("Cluster"),
                ))
            })
            .collect();
        World {
            inventories: inventories.to_vec(),
            namespaces,
            crd_scopes,
        }
    }

    fn cluster_scoped(&self, kind: &str, group: &str) -> bool {
        self.crd_scopes
            .get(kind)
            .copied()
            .unwrap_or_else(|| cluster_scoped(kind, group))
    }

    /// The Namespace object (with its implicit name label), or a minimal one.
    fn namespace(&self, name: &str) -> Value {
        match self.namespaces.get(name) {
            Some(o) => {
                let mut v = o.value.clone();
                let labels = namespace_labels(&o.value, name);
                if let Some(meta) = v.get_mut("metadata").and_then(Value::as_object_mut) {
                    meta.insert("labels".to_string(), Value::Object(labels));
                }
                v
            }
            None => implicit_namespace(name),
        }
    }

    /// The parameter objects of one evaluation: `[None]` when the policy has no paramKind
    /// or the binding no paramRef (params is null), one entry per parameter object found, an
    /// empty list when none is found and the binding allows that, an error when it denies.
    fn params(
        &self,
        policy: &Policy,
        binding: &Binding,
        request_namespace: &str,
    ) -> Result<Vec<Option<&'a Object>>, String> {
        let (Some((group, kind)), Some(r)) = (&policy.param_kind, &binding.param_ref) else {
            return Ok(vec![None]);
        };
        let of_kind = || self.inventories.iter().flat_map(|i| i.of_kind(kind));
        let cluster_param = self.cluster_scoped(kind, group)
            || (self.inventories.iter().any(|i| i.has_kind(kind))
                && of_kind().all(|o| o.namespace.is_none()));
        let namespace = match (&r.namespace, cluster_param) {
            (Some(ns), _) => Some(ns.as_str()),
            (None, true) => None,
            (None, false) if request_namespace.is_empty() => {
                return Err("failed to configure binding: cannot use namespaced paramRef in policy binding that matches cluster-scoped resources".to_string());
            }
            (None, false) => Some(request_namespace),
        };
        let found: Vec<Option<&Object>> = of_kind()
            .filter(|o| o.group() == group)
            .filter(|o| namespace.is_none_or(|ns| o.namespace.as_deref() == Some(ns)))
            .filter(|o| match (&r.name, &r.selector) {
                (Some(name), _) => &o.name == name,
                (None, Some(sel)) => sel.matches(&label_lookup(o.labels())),
                (None, None) => false,
            })
            .map(Some)
            .collect();
        if found.is_empty() && r.deny_when_missing {
            return Err("failed to configure binding: no params found for policy binding with `Deny` parameterNotFoundAction".to_string());
        }
        Ok(found)
    }
}
