//! KC-NET-005 ingress-without-tls.

use kubecomply_core::value::Field;

use kubecomply_core::Value;
use kubecomply_core::rule::reference;
use kubecomply_core::value::array_at;
use kubecomply_core::{Category, Object, RuleMeta, Severity};

use crate::rule::{Context, Rule, Target, Violations};

/// The rule.
pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "KC-NET-005",
        slug: "ingress-without-tls",
        title: "Ingress serves hosts without TLS",
        severity: Severity::Medium,
        category: Category::Network,
        since: "0.1.0",
        docs: DOCS,
        references: &[
            reference("kubescape", "C-0263"),
            reference("polaris", "tlsSettingsMissing"),
        ],
    },
    target: Target::Kinds(&["Ingress"]),
    reads: &[],
    check,
};

const DOCS: &str = r#"## What it checks
Fails for an Ingress whose `spec.tls` is missing or empty, and, when `spec.tls` is present, for
every `spec.rules[].host` that no `spec.tls[].hosts` entry covers. Host names are compared
case-insensitively; a TLS host `*.shop.example` covers exactly one extra label
(`www.shop.example`, not `shop.example` or `a.b.shop.example`), and a wildcard rule host is
covered only by the same wildcard. Rules without a `host` are not compared once `spec.tls`
exists, since which certificate they get depends on the controller's default.

## Why it matters
Without TLS, requests and responses (session cookies, credentials, personal data) cross the
network in clear text and can be read or altered by anyone on the path. A host missing from
`tls[].hosts` is served with the controller's default certificate, or over plain HTTP, even
though the Ingress looks encrypted.

## How to fix
Add a `tls` entry that lists every host of the rules and names the Secret that holds its
certificate (cert-manager can issue and renew it from an annotation). If TLS terminates in front
of the cluster, record an exception that says where.
"#;

fn covers(tls_host: &str, host: &str) -> bool {
    if tls_host.eq_ignore_ascii_case(host) {
        return true;
    }
    match tls_host.strip_prefix("*.") {
        Some(suffix) if !host.starts_with("*.") => host
            .split_once('.')
            .is_some_and(|(first, rest)| !first.is_empty() && rest.eq_ignore_ascii_case(suffix)),
        _ => false,
    }
}

fn check(_cx: &Context<'_>, obj: &Object, out: &mut Violations) {
    let tls = array_at(&obj.value, &["spec", "tls"]);
    if tls.is_empty() {
        let ptr = if kubecomply_core::pointer::get(&obj.value, "/spec/tls").is_some() {
            "/spec/tls"
        } else if obj.value.field("spec").is_some() {
            "/spec"
        } else {
            ""
        };
        out.fail(
            ptr,
            format!(
                "Ingress {:?} has no tls section and serves its hosts over plain HTTP",
                obj.name
            ),
        );
        return;
    }
    let tls_hosts: Vec<&str> = tls
        .iter()
        .flat_map(|t| array_at(t, &["hosts"]))
        .filter_map(Value::as_str)
        .collect();
    for (i, rule) in array_at(&obj.value, &["spec", "rules"]).iter().enumerate() {
        let Some(host) = rule
            .field("host")
            .and_then(Value::as_str)
            .filter(|h| !h.is_empty())
        else {
            continue;
        };
        if !tls_hosts.iter().any(|t| covers(t, host)) {
            out.fail(
                format!("/spec/rules/{i}/host"),
                format!(
                    "Ingress {:?} serves host {host:?}, which no tls[].hosts entry covers",
                    obj.name
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::covers;

    #[test]
    fn wildcard_covers_one_label() {
        assert!(covers("shop.example", "SHOP.example"));
        assert!(covers("*.shop.example", "www.shop.example"));
        assert!(!covers("*.shop.example", "shop.example"));
        assert!(!covers("*.shop.example", "a.b.shop.example"));
        assert!(covers("*.shop.example", "*.shop.example"));
        assert!(!covers("*.shop.example", "*.x.shop.example"));
    }
}
