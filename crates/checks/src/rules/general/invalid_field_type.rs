//! KC-GEN-001 invalid-field-type.

use kubecomply_core::value::Field;

use kubecomply_core::Value;
use kubecomply_core::pod::PodTemplate;
use kubecomply_core::value::{short, type_name};
use kubecomply_core::{Category, Object, RuleMeta, Severity};

use crate::rule::{Context, Rule, Target, Violations};

/// The rule.
pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "KC-GEN-001",
        slug: "invalid-field-type",
        title: "Field has a type the API server rejects",
        severity: Severity::High,
        category: Category::Hygiene,
        since: "0.1.0",
        docs: DOCS,
        references: &[],
    },
    target: Target::All,
    reads: &[],
    check,
};

const DOCS: &str = r#"## What it checks
Reports, with status `error`, fields whose JSON type differs from the Kubernetes schema, for the
fields that security rules read and for the classic YAML typing mistakes: labels and annotations
must be strings (`version: 1.0` is a number), `env[].value` must be a string (`value: 8080`),
`securityContext.privileged`, `allowPrivilegeEscalation`, `readOnlyRootFilesystem`,
`runAsNonRoot`, `hostNetwork`, `hostPID`, `hostIPC`, `hostUsers`,
`automountServiceAccountToken` must be booleans, `runAsUser`, `runAsGroup`, `fsGroup`,
`containerPort` and `hostPort` must be integers, `image` must be a string, container lists,
`volumes`, `ports`, `env` and capability lists must be arrays.

Scalars are read as kubectl reads them (YAML 1.1): `privileged: yes` is the boolean `true` and
passes here (and is then judged by `privileged-container`); `privileged: "yes"` (quoted) is a
string and is reported.

## Why it matters
The API server refuses such an object, so the manifest does not deploy. Worse, a scanner that
coerces the value (`"true"` → true) and one that ignores it (→ unset) disagree on what the
workload would do; kubecomply reports the object as invalid instead of guessing, and other rules
treat the field as unset.

## How to fix
Quote strings (`version: "1.0"`, `value: "8080"`), unquote booleans and numbers.
"#;

#[derive(Clone, Copy)]
enum Ty {
    Bool,
    Int,
    Str,
    Array,
    Object,
    StrMap,
    StrArray,
}

impl Ty {
    fn ok(self, v: &Value) -> bool {
        match self {
            Ty::Bool => v.is_boolean(),
            Ty::Int => v.is_i64() || v.is_u64(),
            Ty::Str => v.is_string(),
            Ty::Array => v.is_array(),
            Ty::Object => v.is_object(),
            Ty::StrMap => v.is_object(),
            Ty::StrArray => v.is_array(),
        }
    }

    fn name(self) -> &'static str {
        match self {
            Ty::Bool => "a boolean",
            Ty::Int => "an integer",
            Ty::Str => "a string",
            Ty::Array | Ty::StrArray => "a list",
            Ty::Object | Ty::StrMap => "a mapping",
        }
    }
}

const POD_FIELDS: &[(&str, Ty)] = &[
    ("hostNetwork", Ty::Bool),
    ("hostPID", Ty::Bool),
    ("hostIPC", Ty::Bool),
    ("hostUsers", Ty::Bool),
    ("automountServiceAccountToken", Ty::Bool),
    ("shareProcessNamespace", Ty::Bool),
    ("serviceAccountName", Ty::Str),
    ("containers", Ty::Array),
    ("initContainers", Ty::Array),
    ("ephemeralContainers", Ty::Array),
    ("volumes", Ty::Array),
    ("securityContext", Ty::Object),
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
    ("supplementalGroups", Ty::Array),
    ("sysctls", Ty::Array),
];

const CONTAINER_FIELDS: &[(&str, Ty)] = &[
    ("name", Ty::Str),
    ("image", Ty::Str),
    ("imagePullPolicy", Ty::Str),
    ("ports", Ty::Array),
    ("env", Ty::Array),
    ("envFrom", Ty::Array),
    ("volumeMounts", Ty::Array),
    ("securityContext", Ty::Object),
    ("resources", Ty::Object),
    ("command", Ty::StrArray),
    ("args", Ty::StrArray),
];

fn bad(out: &mut Violations, pointer: String, field: &str, ty: Ty, v: &Value) {
    out.invalid(
        pointer,
        format!(
            "`{field}` must be {}, found {} {}; the API server rejects this object",
            ty.name(),
            type_name(v),
            short(v)
        ),
    );
}

/// Checks the types of `fields` of `obj`; `base` builds the object's pointer, only when a
/// violation needs it.
fn check_fields(
    obj: &Value,
    base: &dyn Fn() -> String,
    fields: &[(&str, Ty)],
    out: &mut Violations,
) {
    let Some(map) = obj.as_object() else { return };
    for (field, ty) in fields {
        // The pointer is only built for a violation: this rule visits every typed field of
        // every object.
        if let Some(v) = kubecomply_core::value::field(map, field)
            && !v.is_null()
        {
            if !ty.ok(v) {
                bad(out, format!("{}/{field}", base()), field, *ty, v);
            } else if let (Ty::StrArray, Value::Array(items)) = (ty, v) {
                for (i, item) in items.iter().enumerate() {
                    if !item.is_string() {
                        bad(
                            out,
                            format!("{}/{field}/{i}", base()),
                            &format!("{field}[{i}]"),
                            Ty::Str,
                            item,
                        );
                    }
                }
            }
        }
    }
}

fn check_string_map(v: Option<&Value>, base: &str, what: &str, out: &mut Violations) {
    let Some(v) = v else { return };
    let Some(map) = v.as_object() else {
        if !v.is_null() {
            bad(out, base.to_string(), what, Ty::StrMap, v);
        }
        return;
    };
    for (k, val) in map {
        if !val.is_string() && !val.is_null() {
            let mut p = base.to_string();
            kubecomply_core::pointer::push(&mut p, k);
            bad(out, p, &format!("{what}.{k}"), Ty::Str, val);
        }
    }
}

fn check_template(t: &PodTemplate<'_>, out: &mut Violations) {
    let spec_ptr = t.spec_pointer();
    check_fields(t.spec, &|| spec_ptr.clone(), POD_FIELDS, out);
    if let Some(sc) = t.spec.field("securityContext") {
        check_fields(
            sc,
            &|| format!("{spec_ptr}/securityContext"),
            SECURITY_CONTEXT_FIELDS,
            out,
        );
    }
    if let Some(meta) = t.metadata
        && !t.pointer.is_empty()
    {
        let mp = t.meta_pointer();
        check_string_map(meta.field("labels"), &format!("{mp}/labels"), "labels", out);
        check_string_map(
            meta.field("annotations"),
            &format!("{mp}/annotations"),
            "annotations",
            out,
        );
    }
    for c in t.containers() {
        let cp = || t.container_path(&c, &[]);
        check_fields(c.value, &cp, CONTAINER_FIELDS, out);
        if let Some(sc) = c.value.field("securityContext") {
            check_fields(
                sc,
                &|| format!("{}/securityContext", cp()),
                SECURITY_CONTEXT_FIELDS,
                out,
            );
            if let Some(caps) = sc.field("capabilities") {
                check_fields(
                    caps,
                    &|| format!("{}/securityContext/capabilities", cp()),
                    &[("add", Ty::StrArray), ("drop", Ty::StrArray)],
                    out,
                );
            }
        }
        for (i, port) in kubecomply_core::value::array_at(c.value, &["ports"])
            .iter()
            .enumerate()
        {
            check_fields(
                port,
                &|| format!("{}/ports/{i}", cp()),
                &[
                    ("containerPort", Ty::Int),
                    ("hostPort", Ty::Int),
                    ("protocol", Ty::Str),
                ],
                out,
            );
        }
        for (i, env) in kubecomply_core::value::array_at(c.value, &["env"])
            .iter()
            .enumerate()
        {
            check_fields(
                env,
                &|| format!("{}/env/{i}", cp()),
                &[("name", Ty::Str), ("value", Ty::Str)],
                out,
            );
        }
    }
}

fn check(_cx: &Context<'_>, obj: &Object, out: &mut Violations) {
    let meta = obj.value.field("metadata");
    check_string_map(
        meta.and_then(|m| m.field("labels")),
        "/metadata/labels",
        "labels",
        out,
    );
    check_string_map(
        meta.and_then(|m| m.field("annotations")),
        "/metadata/annotations",
        "annotations",
        out,
    );
    for t in obj.templates() {
        check_template(&t, out);
    }
}
