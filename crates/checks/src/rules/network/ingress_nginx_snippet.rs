//! KC-NET-006 ingress-nginx-snippet.

use kubecomply_core::rule::reference;
use kubecomply_core::{Category, Object, RuleMeta, Severity};

use super::{annotation_pointer, nginx_snippets};
use crate::rule::{Context, Rule, Target, Violations};

/// The rule.
pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "KC-NET-006",
        slug: "ingress-nginx-snippet",
        title: "Ingress uses an ingress-nginx snippet annotation",
        severity: Severity::High,
        category: Category::Network,
        since: "0.1.0",
        docs: DOCS,
        references: &[
            reference("checkov", "CKV_K8S_153"),
            reference("kubescape", "C-0059"),
            reference("cve", "CVE-2021-25742"),
        ],
    },
    target: Target::Kinds(&["Ingress"]),
    reads: &[],
    check,
};

const DOCS: &str = r#"## What it checks
Fails for every annotation of an Ingress whose key starts with `nginx.ingress.kubernetes.io/`
and ends with `-snippet` (`configuration-snippet`, `server-snippet`, `auth-snippet`,
`stream-snippet` and any future one), whatever its value. Keys are compared exactly (annotation
keys are case-sensitive). Controllers started with a custom `--annotations-prefix`, and the
`nginx.org/*-snippets` annotations of the separate NGINX Inc. controller, are not recognised.

## Why it matters
A snippet is pasted verbatim into the configuration of the shared ingress-nginx controller. Its
author can read any file the controller can, including the controller's ServiceAccount token,
which can list every Secret of the cluster (CVE-2021-25742), and can change routing for other
tenants' hosts. This is why recent ingress-nginx releases disable snippet annotations by
default (`allow-snippet-annotations: false`).

## How to fix
Use the dedicated annotations (`proxy-body-size`, `enable-cors`, `auth-url`, ...) or the
controller's ConfigMap instead of snippets. If snippets are unavoidable, keep
`allow-snippet-annotations` off and allow them only from trusted namespaces.
"#;

fn check(_cx: &Context<'_>, obj: &Object, out: &mut Violations) {
    for (key, _) in nginx_snippets(obj) {
        out.fail(
            annotation_pointer(key),
            format!(
                "Ingress {:?} sets {key:?}, raw configuration injected into the shared ingress-nginx controller (CVE-2021-25742)",
                obj.name
            ),
        );
    }
}
