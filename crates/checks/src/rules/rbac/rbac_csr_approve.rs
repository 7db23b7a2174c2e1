//! KC-RBAC-009 rbac-csr-approve.

use kubecomply_core::rule::reference;
use kubecomply_core::{Category, Object, RuleMeta, Severity};

use super::{ROLE_KINDS, fail_grants, grants, want};
use crate::rule::{Context, Rule, Target, Violations};

/// The rule.
pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "KC-RBAC-009",
        slug: "rbac-csr-approve",
        title: "Role or ClusterRole can approve or sign certificate signing requests",
        severity: Severity::High,
        category: Category::Rbac,
        since: "0.1.0",
        docs: DOCS,
        references: &[
            reference("checkov", "CKV_K8S_156"),
            reference("cis", "5.1.11"),
        ],
    },
    target: Target::Kinds(ROLE_KINDS),
    reads: &[],
    check,
};

const CERTS: &str = "certificates.k8s.io";

const DOCS: &str = r#"## What it checks
Fails for every rule of a Role or ClusterRole that grants `update` or `patch` on
`certificatesigningrequests/approval`, or `approve` on `signers` (approving), or `update` or
`patch` on `certificatesigningrequests/status`, or `sign` on `signers` (signing: writing the
issued certificate), in the `certificates.k8s.io` API group. Wildcards count (`*`, `*/approval`); `certificatesigningrequests` without the
subresource does not cover approval. Approving takes both permissions, but each is reported on
its own because roles are often split. Aggregated ClusterRoles' own `rules` are ignored.

## Why it matters
An approved CSR for the `kubernetes.io/kube-apiserver-client` signer is a client certificate
for any user or group named in it, `system:masters` included, and certificates cannot be
revoked before they expire.

## How to fix
Leave approval to the controller manager's automatic approvers and to administrators, and
signing to the controller manager's signers. If a controller must approve or sign, restrict
`approve`/`sign` with `resourceNames` to the one signer it serves.
"#;

fn check(_cx: &Context<'_>, obj: &Object, out: &mut Violations) {
    let mut found = grants(
        obj,
        &[want(CERTS, "certificatesigningrequests/approval")],
        &["update", "patch"],
        false,
    );
    found.extend(grants(obj, &[want(CERTS, "signers")], &["approve"], false));
    found.extend(grants(
        obj,
        &[want(CERTS, "certificatesigningrequests/status")],
        &["update", "patch"],
        false,
    ));
    found.extend(grants(obj, &[want(CERTS, "signers")], &["sign"], false));
    found.sort_by_key(|g| g.rule);
    fail_grants(
        obj,
        out,
        found,
        "its subjects can approve or issue certificates for any identity, administrators included",
    );
}
