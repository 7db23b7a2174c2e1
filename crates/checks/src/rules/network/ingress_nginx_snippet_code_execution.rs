//! KC-NET-007 ingress-nginx-snippet-code-execution.

use kubecomply_core::rule::reference;
use kubecomply_core::{Category, Object, RuleMeta, Severity};

use super::{annotation_pointer, nginx_snippets};
use crate::rule::{Context, Rule, Target, Violations};

/// The rule.
pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "KC-NET-007",
        slug: "ingress-nginx-snippet-code-execution",
        title: "ingress-nginx snippet runs Lua code or serves files",
        severity: Severity::Critical,
        category: Category::Network,
        since: "0.1.0",
        docs: DOCS,
        references: &[
            reference("checkov", "CKV_K8S_152"),
            reference("checkov", "CKV_K8S_154"),
            reference("cve", "CVE-2021-25742"),
        ],
    },
    target: Target::Kinds(&["Ingress"]),
    reads: &[],
    check,
};

const DOCS: &str = r#"## What it checks
Looks inside every `nginx.ingress.kubernetes.io/*-snippet` annotation of an Ingress (see
`ingress-nginx-snippet`) and fails when one of its nginx directives is:
- a Lua directive: any directive whose name contains `_by_lua` (`content_by_lua_block`,
  `access_by_lua`, `set_by_lua_file`...) or starts with `lua_`;
- `alias` or `root`, which serve files from the controller's file system.

It also fails when the snippet mentions `/var/run/secrets/`, where the controller's
ServiceAccount token is mounted. The snippet is split into directives at `;`, `{` and `}` after removing `#` comments, and the
first word of each is the directive name (compared case-insensitively). The words `lua` or `alias`
appearing elsewhere, for example inside a header name or a URL, do not count.

## Why it matters
Lua in a snippet is code executed inside the ingress-nginx controller, with its ServiceAccount
token, which can read every Secret of the cluster. `alias` and `root` turn a location into a file
server for the controller's file system, token included (CVE-2021-25742). Either one is a full
cluster compromise for whoever can edit an Ingress.

## How to fix
Remove the snippet. Serve files from a dedicated web server pod, and replace Lua logic with the
controller's annotations or a separate service. Disable snippet annotations on the controller.

## Differences from other tools
Checkov's CKV_K8S_154 fails on the text `alias` anywhere in a snippet (a header such as
`X-Alias-Id` is enough) and CKV_K8S_152 on patterns such as `lua_` anywhere; both look at every
annotation whose key contains `snippet`, whichever controller it belongs to. kubecomply looks at
the directive names of ingress-nginx snippets, and also reports `root`, which Checkov does not.
"#;

/// The dangerous directives of a snippet, lower-cased and deduplicated, in order.
fn dangerous_directives(snippet: &str) -> Vec<String> {
    let mut text = String::with_capacity(snippet.len());
    for line in snippet.lines() {
        let line = match line.find('#') {
            Some(i) => &line[..i],
            None => line,
        };
        text.push_str(line);
        text.push('\n');
    }
    let mut found: Vec<String> = Vec::new();
    for stmt in text.split([';', '{', '}']) {
        let Some(word) = stmt.split_whitespace().next() else {
            continue;
        };
        let word = word.to_ascii_lowercase();
        let bad = word.contains("_by_lua")
            || word.starts_with("lua_")
            || word == "alias"
            || word == "root";
        if bad && !found.contains(&word) {
            found.push(word);
        }
    }
    if text.contains("/var/run/secrets/") {
        found.push("a path under /var/run/secrets/".to_string());
    }
    found
}

fn check(_cx: &Context<'_>, obj: &Object, out: &mut Violations) {
    for (key, value) in nginx_snippets(obj) {
        let Some(value) = value else { continue };
        let found = dangerous_directives(value);
        if found.is_empty() {
            continue;
        }
        out.fail(
            annotation_pointer(key),
            format!(
                "Ingress {:?} annotation {key:?} uses {}: code execution or file access inside the ingress-nginx controller (CVE-2021-25742)",
                obj.name,
                found.join(", ")
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::dangerous_directives as d;

    #[test]
    fn finds_directives_not_words() {
        assert_eq!(
            d("content_by_lua_block { ngx.say('x') }"),
            vec!["content_by_lua_block"]
        );
        assert_eq!(d("location /x { alias /etc/; }"), vec!["alias"]);
        assert_eq!(
            d("more_set_headers \"X-Path: /evaluate\";"),
            Vec::<String>::new()
        );
        assert_eq!(
            d("# alias /etc;\nproxy_set_header X 1;"),
            Vec::<String>::new()
        );
        assert_eq!(d("ROOT /;"), vec!["root"]);
        assert_eq!(
            d("lua_package_path '/tmp/?.lua';"),
            vec!["lua_package_path"]
        );
        assert_eq!(
            d("more_set_headers \"X-Alias-Id: 1\";"),
            Vec::<String>::new()
        );
        assert_eq!(
            d("set $t /var/run/secrets/kubernetes.io/serviceaccount/token;"),
            vec!["a path under /var/run/secrets/"]
        );
    }
}
