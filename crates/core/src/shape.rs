//! Shape validation: the fields every analyzer reads must have the type the Kubernetes API
//! defines, or the object is invalid.
//!
//! An object the API server would reject for a wrongly typed field never runs, and an analyzer
//! that read it anyway would have to guess: a `metadata.name` of `y` (YAML 1.1 reads it as the
//! boolean `true`) names no object, `containers: 5` hides every container from the container
//! rules, a label value `1.0` (a number) changes which policies select the pod. Such an object
//! is *invalid*: it is reported with status `error` (rule KC-GEN-001, one finding per wrongly
//! typed field, at its position) and left out of every analysis, never guessed at.
//!
//! What is checked: the identity (`metadata` a mapping, `name`, `generateName` and `namespace`
//! strings), labels and annotations (maps of strings) of the object and of its pod templates,
//! `spec` of the built-in API groups (a mapping), the path to the pod template of the workload
//! kinds and the pod spec's container lists, the security-relevant typed fields of pod specs and
//! containers, the RBAC rule, subject and role-reference fields, the NetworkPolicy and Service
//! fields the network analysis reads, and label selectors. Null is treated as absent, as the API
//! server does.

use crate::pointer;
use crate::value::{Field, short, type_name};
use crate::{Map, Value};

/// One wrongly typed field of an invalid object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invalid {
    /// JSON pointer of the field, relative to the object.
    pub pointer: String,
    /// What is wrong, for people.
    pub message: String,
}

/// A field type.
#[derive(Clone, Copy, Debug)]
enum Ty {
    Bool,
    Int,
    Str,
    /// A mapping (its content checked elsewhere, if at all).
    Object,
    /// A list (its items checked elsewhere, if at all).
    Array,
    /// A list of strings.
    StrArray,
    /// A mapping of strings to strings (labels, annotations, selectors).
    StrMap,
    /// A list of mappings.
    ObjArray,
    /// An integer or a string (`IntOrString`: ports, percentages).
    IntOrStr,
}

impl Ty {
    fn ok(self, v: &Value) -> bool {
        match self {
            Ty::Bool => v.is_boolean(),
            Ty::Int => v.is_i64() || v.is_u64(),
            Ty::Str => v.is_string(),
            Ty::Object | Ty::StrMap => v.is_object(),
            Ty::Array | Ty::StrArray | Ty::ObjArray => v.is_array(),
            Ty::IntOrStr => v.is_string() || v.is_i64() || v.is_u64(),
        }
    }

    fn name(self) -> &'static str {
        match self {
            Ty::Bool => "a boolean",
            Ty::Int => "an integer",
            Ty::Str => "a string",
            Ty::Object => "a mapping",
            Ty::StrMap => "a mapping of strings",
            Ty::Array | Ty::ObjArray => "a list",
            Ty::StrArray => "a list of strings",
            Ty::IntOrStr => "an integer or a string",
        }
    }
}

/// The wrongly typed fields of `value` (an object with `apiVersion` and `kind`), in document
/// order of the checks; empty for a well-shaped object.
pub fn validate(value: &Value, api_version: &str, kind: &str) -> Vec<Invalid> {
    let mut v = Validator { out: Vec::new() };
    v.object(value, api_version, kind);
    v.out
}

struct Validator {
    out: Vec<Invalid>,
}

/// A present, non-null field.
fn present<'a>(map: &'a Map, key: &str) -> Option<&'a Value> {
    map.field(key).filter(|v| !v.is_null())
}

impl Validator {
    fn bad(&mut self, pointer: String, what: &str, ty: Ty, v: &Value) {
        let hint = match v {
            Value::Bool(_) => {
                " (unquoted y, yes, on, n, no, off are booleans in YAML 1.1: quote it)"
            }
            Value::Number(_) if matches!(ty, Ty::Str | Ty::StrMap | Ty::StrArray) => {
                " (an unquoted number: quote it)"
            }
            _ => "",
        };
        self.out.push(Invalid {
            pointer,
            message: format!(
                "`{what}` must be {}, found {} {}{hint}; the API server rejects this object",
                ty.name(),
                type_name(v),
                short(v)
            ),
        });
    }

    /// Checks `fields` of the mapping at `base` (not a mapping: nothing to check, the caller
    /// reported it). Returns the mapping.
    fn fields<'a>(&mut self, v: &'a Value, base: &str, fields: &[(&str, Ty)]) -> Option<&'a Map> {
        let map = v.as_object()?;
        for &(name, ty) in fields {
            let Some(f) = present(map, name) else {
                continue;
            };
            let p = pointer::join(base, &[name]);
            if !ty.ok(f) {
                self.bad(p, name, ty, f);
                continue;
            }
            match (ty, f) {
                (Ty::StrArray, Value::Array(items)) => {
                    for (i, item) in items.iter().enumerate() {
                        if !item.is_string() {
                            self.bad(
                                pointer::join_index(&p, i),
                                &format!("{name}[{i}]"),
                                Ty::Str,
                                item,
                            );
                        }
                    }
                }
                (Ty::ObjArray, Value::Array(items)) => {
                    for (i, item) in items.iter().enumerate() {
                        if !item.is_object() {
                            self.bad(
                                pointer::join_index(&p, i),
                                &format!("{name}[{i}]"),
                                Ty::Object,
                                item,
                            );
                        }
                    }
                }
                (Ty::StrMap, Value::Object(m)) => self.string_values(m, &p, name),
                _ => {}
            }
        }
        Some(map)
    }

    fn string_values(&mut self, m: &Map, base: &str, what: &str) {
        for (k, val) in m {
            if !val.is_string() && !val.is_null() {
                let mut p = base.to_string();
                pointer::push(&mut p, k);
                self.bad(p, &format!("{what}.{k}"), Ty::Str, val);
            }
        }
    }

    /// The mappings of the list field `name` of `map` (already type-checked as `ObjArray`).
    fn items<'a>(map: &'a Map, name: &str) -> impl Iterator<Item = (usize, &'a Value)> + 'a {
        let items: &'a [Value] = match map.field(name) {
            Some(Value::Array(a)) => a,
            _ => &[],
        };
        items.iter().enumerate().filter(|(_, v)| v.is_object())
    }

    fn metadata(&mut self, v: &Value, base: &str, identity: bool) {
        let Some(map) = v.as_object() else { return };
        let Some(meta) = present(map, "metadata") else {
            return;
        };
        let mp = pointer::join(base, &["metadata"]);
        if !meta.is_object() {
            self.bad(mp, "metadata", Ty::Object, meta);
            return;
        }
        let mut fields = vec![
            ("labels", Ty::StrMap),
            ("annotations", Ty::StrMap),
            ("ownerReferences", Ty::ObjArray),
            ("finalizers", Ty::StrArray),
        ];
        if identity {
            fields.extend([
                ("name", Ty::Str),
                ("generateName", Ty::Str),
                ("namespace", Ty::Str),
                ("uid", Ty::Str),
                ("resourceVersion", Ty::Str),
            ]);
        }
        self.fields(meta, &mp, &fields);
    }

    fn selector(&mut self, v: &Value, base: &str) {
        let Some(map) = self.fields(
            v,
            base,
            &[
                ("matchLabels", Ty::StrMap),
                ("matchExpressions", Ty::ObjArray),
            ],
        ) else {
            return;
        };
        for (i, e) in Self::items(map, "matchExpressions") {
            let p = pointer::join_index(&pointer::join(base, &["matchExpressions"]), i);
            self.fields(
                e,
                &p,
                &[
                    ("key", Ty::Str),
                    ("operator", Ty::Str),
                    ("values", Ty::StrArray),
                ],
            );
        }
    }

    /// A typed field that holds a label selector.
    fn selector_field(&mut self, map: &Map, base: &str, name: &str) {
        let Some(s) = present(map, name) else { return };
        let p = pointer::join(base, &[name]);
        if !s.is_object() {
            self.bad(p, name, Ty::Object, s);
            return;
        }
        self.selector(s, &p);
    }

    fn object(&mut self, value: &Value, api_version: &str, kind: &str) {
        self.metadata(value, "", true);
        let Some(map) = value.as_object() else { return };
        let group = api_version.split_once('/').map_or("", |(g, _)| g);
        let builtin = !group.contains('.') || group.ends_with(".k8s.io");
        if builtin
            && let Some(spec) = present(map, "spec")
            && !spec.is_object()
        {
            self.bad("/spec".into(), "spec", Ty::Object, spec);
            return;
        }
        if builtin {
            self.builtin(value, map, group, kind);
        }
        // Pod templates wherever they are (custom resources embed them too), except where
        // `builtin` walked the workload's own template path.
        if builtin && template_path(group, kind).is_some() {
            return;
        }
        for t in crate::pod::find_templates(value) {
            if let Some(tv) = pointer::get(value, &t) {
                self.template(tv, &t);
            }
        }
    }

    fn builtin(&mut self, value: &Value, map: &Map, group: &str, kind: &str) {
        if let Some(path) = template_path(group, kind) {
            // Every hop to the template must be a mapping.
            let mut cur = value;
            let mut p = String::new();
            for hop in path {
                let Some(next) = cur.field(hop).filter(|v| !v.is_null()) else {
                    return self.workload_selector(map, kind);
                };
                pointer::push(&mut p, hop);
                if !next.is_object() {
                    self.bad(p, hop, Ty::Object, next);
                    return;
                }
                cur = next;
            }
            self.template(cur, &p);
            return self.workload_selector(map, kind);
        }
        match (group, kind) {
            ("rbac.authorization.k8s.io", "Role" | "ClusterRole") => {
                let Some(m) = self.fields(
                    value,
                    "",
                    &[("rules", Ty::ObjArray), ("aggregationRule", Ty::Object)],
                ) else {
                    return;
                };
                for (i, r) in Self::items(m, "rules") {
                    let p = pointer::join_index("/rules", i);
                    self.fields(
                        r,
                        &p,
                        &[
                            ("apiGroups", Ty::StrArray),
                            ("resources", Ty::StrArray),
                            ("verbs", Ty::StrArray),
                            ("resourceNames", Ty::StrArray),
                            ("nonResourceURLs", Ty::StrArray),
                        ],
                    );
                }
                if let Some(agg) = present(m, "aggregationRule")
                    && let Some(am) = self.fields(
                        agg,
                        "/aggregationRule",
                        &[("clusterRoleSelectors", Ty::ObjArray)],
                    )
                {
                    for (i, s) in Self::items(am, "clusterRoleSelectors") {
                        let p = pointer::join_index("/aggregationRule/clusterRoleSelectors", i);
                        self.selector(s, &p);
                    }
                }
            }
            ("rbac.authorization.k8s.io", "RoleBinding" | "ClusterRoleBinding") => {
                let Some(m) = self.fields(
                    value,
                    "",
                    &[("subjects", Ty::ObjArray), ("roleRef", Ty::Object)],
                ) else {
                    return;
                };
                for (i, s) in Self::items(m, "subjects") {
                    let p = pointer::join_index("/subjects", i);
                    self.fields(
                        s,
                        &p,
                        &[
                            ("kind", Ty::Str),
                            ("name", Ty::Str),
                            ("namespace", Ty::Str),
                            ("apiGroup", Ty::Str),
                        ],
                    );
                }
                if let Some(r) = present(m, "roleRef") {
                    self.fields(
                        r,
                        "/roleRef",
                        &[("kind", Ty::Str), ("name", Ty::Str), ("apiGroup", Ty::Str)],
                    );
                }
            }
            ("", "ServiceAccount") => {
                self.fields(
                    value,
                    "",
                    &[
                        ("automountServiceAccountToken", Ty::Bool),
                        ("secrets", Ty::ObjArray),
                        ("imagePullSecrets", Ty::ObjArray),
                    ],
                );
            }
            ("", "Service") => {
                let Some(spec) = present(map, "spec") else {
                    return;
                };
                let Some(s) = self.fields(
                    spec,
                    "/spec",
                    &[
                        ("type", Ty::Str),
                        ("selector", Ty::StrMap),
                        ("ports", Ty::ObjArray),
                        ("externalIPs", Ty::StrArray),
                        ("loadBalancerSourceRanges", Ty::StrArray),
                        ("clusterIP", Ty::Str),
                    ],
                ) else {
                    return;
                };
                for (i, port) in Self::items(s, "ports") {
                    let p = pointer::join_index("/spec/ports", i);
                    self.fields(
                        port,
                        &p,
                        &[
                            ("name", Ty::Str),
                            ("port", Ty::Int),
                            ("targetPort", Ty::IntOrStr),
                            ("nodePort", Ty::Int),
                            ("protocol", Ty::Str),
                        ],
                    );
                }
            }
            ("networking.k8s.io", "NetworkPolicy") => self.network_policy(map),
            ("", "Namespace") => {}
            _ => {}
        }
    }

    fn workload_selector(&mut self, map: &Map, kind: &str) {
        if matches!(
            kind,
            "Deployment" | "ReplicaSet" | "StatefulSet" | "DaemonSet" | "Job"
        ) && let Some(spec) = present(map, "spec").and_then(Value::as_object)
        {
            self.selector_field(spec, "/spec", "selector");
        }
    }

    fn network_policy(&mut self, map: &Map) {
        let Some(spec) = present(map, "spec") else {
            return;
        };
        let Some(s) = self.fields(
            spec,
            "/spec",
            &[
                ("podSelector", Ty::Object),
                ("policyTypes", Ty::StrArray),
                ("ingress", Ty::ObjArray),
                ("egress", Ty::ObjArray),
            ],
        ) else {
            return;
        };
        if s.field("podSelector").is_some_and(Value::is_object) {
            self.selector_field(s, "/spec", "podSelector");
        }
        for (dir, peers) in [("ingress", "from"), ("egress", "to")] {
            for (i, rule) in Self::items(s, dir) {
                let rp = pointer::join_index(&format!("/spec/{dir}"), i);
                let Some(r) =
                    self.fields(rule, &rp, &[(peers, Ty::ObjArray), ("ports", Ty::ObjArray)])
                else {
                    continue;
                };
                for (j, peer) in Self::items(r, peers) {
                    let pp = pointer::join_index(&pointer::join(&rp, &[peers]), j);
                    let Some(pm) = self.fields(
                        peer,
                        &pp,
                        &[
                            ("podSelector", Ty::Object),
                            ("namespaceSelector", Ty::Object),
                            ("ipBlock", Ty::Object),
                        ],
                    ) else {
                        continue;
                    };
                    for sel in ["podSelector", "namespaceSelector"] {
                        if pm.field(sel).is_some_and(Value::is_object) {
                            self.selector_field(pm, &pp, sel);
                        }
                    }
                    if let Some(ip) = present(pm, "ipBlock") {
                        self.fields(
                            ip,
                            &pointer::join(&pp, &["ipBlock"]),
                            &[("cidr", Ty::Str), ("except", Ty::StrArray)],
                        );
                    }
                }
                for (j, port) in Self::items(r, "ports") {
                    let pp = pointer::join_index(&pointer::join(&rp, &["ports"]), j);
                    self.fields(
                        port,
                        &pp,
                        &[
                            ("protocol", Ty::Str),
                            ("port", Ty::IntOrStr),
                            ("endPort", Ty::Int),
                        ],
                    );
                }
            }
        }
    }

    /// A pod template (or a Pod) at `base`: metadata, spec and containers.
    fn template(&mut self, t: &Value, base: &str) {
        if !base.is_empty() {
            self.metadata(t, base, false);
        }
        let Some(tm) = t.as_object() else { return };
        let Some(spec) = present(tm, "spec") else {
            return;
        };
        let sp = pointer::join(base, &["spec"]);
        if !spec.is_object() {
            self.bad(sp, "spec", Ty::Object, spec);
            return;
        }
        let Some(s) = self.fields(spec, &sp, POD_FIELDS) else {
            return;
        };
        if let Some(sc) = present(s, "securityContext") {
            self.fields(
                sc,
                &pointer::join(&sp, &["securityContext"]),
                SECURITY_CONTEXT_FIELDS,
            );
        }
        for list in ["containers", "initContainers", "ephemeralContainers"] {
            for (i, c) in Self::items(s, list) {
                let cp = pointer::join_index(&pointer::join(&sp, &[list]), i);
                self.container(c, &cp);
            }
        }
    }

    fn container(&mut self, c: &Value, cp: &str) {
        let Some(cm) = self.fields(c, cp, CONTAINER_FIELDS) else {
            return;
        };
        if let Some(sc) = present(cm, "securityContext") {
            let scp = pointer::join(cp, &["securityContext"]);
            if let Some(scm) = self.fields(sc, &scp, SECURITY_CONTEXT_FIELDS)
                && let Some(caps) = present(scm, "capabilities")
            {
                self.fields(
                    caps,
                    &pointer::join(&scp, &["capabilities"]),
                    &[("add", Ty::StrArray), ("drop", Ty::StrArray)],
                );
            }
        }
        for (i, port) in Self::items(cm, "ports") {
            self.fields(
                port,
                &pointer::join_index(&pointer::join(cp, &["ports"]), i),
                &[
                    ("name", Ty::Str),
                    ("containerPort", Ty::Int),
                    ("hostPort", Ty::Int),
                    ("protocol", Ty::Str),
                ],
            );
        }
        for (i, env) in Self::items(cm, "env") {
            self.fields(
                env,
                &pointer::join_index(&pointer::join(cp, &["env"]), i),
                &[("name", Ty::Str), ("value", Ty::Str)],
            );
        }
    }
}

/// Where the workload kinds of the built-in groups keep their pod template (object keys from
/// the root; empty for a Pod, whose own metadata and spec are the template's).
fn template_path(group: &str, kind: &str) -> Option<&'static [&'static str]> {
    Some(match (group, kind) {
        ("", "Pod") => &[],
        ("", "PodTemplate") => &["template"],
        ("", "ReplicationController")
        | ("apps" | "extensions", "Deployment" | "ReplicaSet" | "StatefulSet" | "DaemonSet")
        | ("batch", "Job") => &["spec", "template"],
        ("batch", "CronJob") => &["spec", "jobTemplate", "spec", "template"],
        _ => return None,
    })
}

const POD_FIELDS: &[(&str, Ty)] = &[
    ("hostNetwork", Ty::Bool),
    ("hostPID", Ty::Bool),
    ("hostIPC", Ty::Bool),
    ("hostUsers", Ty::Bool),
    ("automountServiceAccountToken", Ty::Bool),
    ("shareProcessNamespace", Ty::Bool),
    ("serviceAccountName", Ty::Str),
    ("serviceAccount", Ty::Str),
    ("nodeName", Ty::Str),
    ("containers", Ty::ObjArray),
    ("initContainers", Ty::ObjArray),
    ("ephemeralContainers", Ty::ObjArray),
    ("volumes", Ty::ObjArray),
    ("securityContext", Ty::Object),
    ("nodeSelector", Ty::StrMap),
];

const SECURITY_CONTEXT_FIELDS: &[(&str, Ty)] = &[
    ("privileged", Ty::Bool),
    ("allowPrivilegeEscalation", Ty::Bool),
    ("readOnlyRootFilesystem", Ty::Bool),
    ("runAsNonRoot", Ty::Bool),
    ("runAsUser", Ty::Int),
    ("runAsGroup", Ty::Int),
    ("fsGroup", Ty::Int),
    ("procMount", Ty::Str),
    ("capabilities", Ty::Object),
    ("seccompProfile", Ty::Object),
    ("seLinuxOptions", Ty::Object),
    ("appArmorProfile", Ty::Object),
    ("windowsOptions", Ty::Object),
    ("supplementalGroups", Ty::Array),
    ("sysctls", Ty::ObjArray),
];

const CONTAINER_FIELDS: &[(&str, Ty)] = &[
    ("name", Ty::Str),
    ("image", Ty::Str),
    ("imagePullPolicy", Ty::Str),
    ("ports", Ty::ObjArray),
    ("env", Ty::ObjArray),
    ("envFrom", Ty::ObjArray),
    ("volumeMounts", Ty::ObjArray),
    ("securityContext", Ty::Object),
    ("resources", Ty::Object),
    ("command", Ty::StrArray),
    ("args", Ty::StrArray),
];

#[cfg(test)]
mod tests {
    use super::validate;
    use crate::Value;

    fn problems(json: &str) -> Vec<String> {
        let v: Value = serde_json::from_str(json).expect("json");
        let api = v
            .get("apiVersion")
            .and_then(Value::as_str)
            .unwrap_or("v1")
            .to_string();
        let kind = v
            .get("kind")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        validate(&v, &api, &kind)
            .into_iter()
            .map(|i| i.pointer)
            .collect()
    }

    #[test]
    fn identity_must_be_strings() {
        assert_eq!(
            problems(r#"{"apiVersion":"v1","kind":"Pod","metadata":{"name":true,"namespace":5}}"#),
            ["/metadata/name", "/metadata/namespace"]
        );
        assert_eq!(
            problems(r#"{"apiVersion":"v1","kind":"ConfigMap","metadata":["a"]}"#),
            ["/metadata"]
        );
        assert_eq!(
            problems(
                r#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a","labels":{"v":1.0}}}"#
            ),
            ["/metadata/labels/v"]
        );
        assert!(
            problems(
                r#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a","namespace":null}}"#
            )
            .is_empty()
        );
    }

    #[test]
    fn wrongly_shaped_workloads() {
        assert_eq!(
            problems(r#"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"a"},"spec":"hello"}"#),
            ["/spec"]
        );
        assert_eq!(
            problems(
                r#"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"a"},"spec":{"containers":5}}"#
            ),
            ["/spec/containers"]
        );
        assert_eq!(
            problems(
                r#"{"apiVersion":"apps/v1","kind":"Deployment","spec":{"template":{"spec":{"containers":[5]}}}}"#
            ),
            ["/spec/template/spec/containers/0"]
        );
        assert_eq!(
            problems(
                r#"{"apiVersion":"batch/v1","kind":"CronJob","spec":{"jobTemplate":{"spec":{"template":[]}}}}"#
            ),
            ["/spec/jobTemplate/spec/template"]
        );
        assert_eq!(
            problems(
                r#"{"apiVersion":"apps/v1","kind":"Deployment","spec":{"selector":{"matchLabels":{"a":1}},"template":{"metadata":{"labels":{"a":1}},"spec":{"containers":[{"name":"c","securityContext":{"privileged":"true"}}]}}}}"#
            ),
            [
                "/spec/template/metadata/labels/a",
                "/spec/template/spec/containers/0/securityContext/privileged",
                "/spec/selector/matchLabels/a"
            ]
        );
        // A custom resource's spec may be anything; its embedded pod templates are checked.
        assert!(
            problems(r#"{"apiVersion":"example.com/v1","kind":"Thing","spec":"x"}"#).is_empty()
        );
        assert_eq!(
            problems(
                r#"{"apiVersion":"example.com/v1","kind":"Thing","spec":{"template":{"spec":{"containers":[{"name":"c","image":5}]}}}}"#
            ),
            ["/spec/template/spec/containers/0/image"]
        );
    }

    #[test]
    fn rbac_and_network_fields() {
        assert_eq!(
            problems(
                r#"{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"Role","rules":[{"verbs":"*","resources":["pods"]},7]}"#
            ),
            ["/rules/1", "/rules/0/verbs"]
        );
        assert_eq!(
            problems(
                r#"{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"RoleBinding","subjects":[{"kind":"User","name":false}],"roleRef":"admin"}"#
            ),
            ["/roleRef", "/subjects/0/name"]
        );
        assert_eq!(
            problems(
                r#"{"apiVersion":"networking.k8s.io/v1","kind":"NetworkPolicy","spec":{"podSelector":{},"ingress":[{"from":[{"podSelector":{"matchLabels":{"a":true}}}],"ports":[{"port":[80]}]}]}}"#
            ),
            [
                "/spec/ingress/0/from/0/podSelector/matchLabels/a",
                "/spec/ingress/0/ports/0/port"
            ]
        );
    }
}
