//! KC-GEN-001 invalid-field-type.

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
Reports, with status `error`, every field whose type differs from what the Kubernetes API
defines, among the fields kubecomply's analyses read. Such an object is **invalid**: the API
server rejects it, so kubecomply reports it and leaves it out of every other rule and analysis
(RBAC, network policies, Pod Security, the team's policies) instead of guessing what it would
do. The other commands (`rbac`, `netpol`, `pss`) name each object they left out.

Checked, with null treated as absent:
- identity: `metadata` must be a mapping, `metadata.name`, `generateName` and `namespace`
  strings (`name: y`, `namespace: no` and `name: 5` are a boolean and a number in YAML 1.1,
  the way kubectl reads them);
- labels and annotations, of the object and of its pod templates, must map strings to strings
  (`version: 1.0` is a number); label selectors likewise;
- `spec` of the built-in API groups must be a mapping (`spec: "hello"`); the path to the pod
  template of the workload kinds (`spec.template`, `spec.jobTemplate.spec.template`) must be
  mappings; container lists, `volumes`, `ports`, `env` must be lists of mappings
  (`containers: 5`);
- pod and container security fields: `privileged`, `allowPrivilegeEscalation`,
  `readOnlyRootFilesystem`, `runAsNonRoot`, `hostNetwork`, `hostPID`, `hostIPC`, `hostUsers`,
  `automountServiceAccountToken` must be booleans; `runAsUser`, `runAsGroup`, `fsGroup`,
  `containerPort` and `hostPort` integers; `image`, `env[].value` strings; `command`, `args`
  and capability lists lists of strings;
- RBAC rules (`verbs`, `resources`, `apiGroups`, ... lists of strings), subjects and
  `roleRef`; NetworkPolicy selectors, peers, ports and `ipBlock`; Service selectors and ports.

Scalars are read as kubectl reads them (YAML 1.1): `privileged: yes` is the boolean `true` and
is valid (and then judged by `privileged-container`); `privileged: "yes"` (quoted) is a string
and makes the object invalid.

This rule cannot be switched off or filtered out with `--rule`: an invalid object is always
reported, because leaving it out silently would let a wrongly typed field hide every other
finding of that object.

## Why it matters
The API server refuses such an object, so the manifest does not deploy. Worse, a scanner that
coerces the value (`"true"` → true) and one that ignores it (→ unset) disagree on what the
workload would do, and an object whose name is not a string is merged with others or placed in
the wrong namespace. kubecomply reports the object as invalid instead of guessing.

## How to fix
Quote strings (`name: "y"`, `version: "1.0"`, `value: "8080"`), unquote booleans and numbers,
and give lists and mappings the shape the API defines (`containers:` is a list of containers).
"#;

/// Reports the wrongly typed fields found when the object was read ([`Object::invalid`]).
fn check(_cx: &Context<'_>, obj: &Object, out: &mut Violations) {
    for i in &obj.invalid {
        out.invalid(i.pointer.clone(), i.message.clone());
    }
}
