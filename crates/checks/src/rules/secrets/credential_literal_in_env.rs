//! KC-SEC-002 credential-literal-in-env.

use kubecomply_core::value::Field;

use kubecomply_core::Value;
use kubecomply_core::rule::reference;
use kubecomply_core::{Category, Object, RuleMeta, Severity};

use super::{credential_format, credential_name, literal_value};
use crate::rule::{Context, Rule, Target, Violations};

/// The rule.
pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "KC-SEC-002",
        slug: "credential-literal-in-env",
        title: "Credential written literally in an environment variable",
        severity: Severity::High,
        category: Category::Secrets,
        since: "0.1.0",
        docs: DOCS,
        references: &[
            reference("kubescape", "C-0012"),
            reference("polaris", "sensitiveContainerEnvVar"),
            reference("kube-linter", "env-var-secret"),
        ],
    },
    target: Target::PodTemplates,
    reads: &[],
    check,
};

const DOCS: &str = r#"## What it checks
Fails for every `env[]` entry of a container, init container or ephemeral container that has a
literal string `value` (not `valueFrom`) when either

- its **name** looks like a credential and the value is a real value, or
- its **value** has the form of a known credential, whatever the name.

A name looks like a credential when, normalised (camelCase boundaries, `-`, `.` and spaces
turned into `_`, lower case: `dbPassword` → `db_password`), it contains `password`, `passwd`,
`secret`, `token`, `apikey`, `api_key`, `access_key`, `private_key` or `credential`, and does
not end with `_file`, `_path`, `_dir`, `_url`, `_uri`, `_endpoint`, `_host`, `_name`, `_ref`,
`_ttl`, `_expiry`, `_timeout`, `_length`, `_type`, `_header` or `_enabled` (those hold
something about a credential, such as where to find it; a URL carrying a password is still
caught by its value).

A value is a real value unless it is empty or blank; consists only of references
(`$(DB_PASSWORD)`, `${DB_PASSWORD}`, `{{ .Values.password }}`, `$PASSWORD`) and punctuation;
is `true`, `false`, `yes`, `no`, `on`, `off`, `null`, `nil`, `none`, `~`, `enabled` or
`disabled` (any case); is masked (only `*`, `x`, `X`, `.`, `-`, `_`) or a `<placeholder>`; or
is a file reference (starts with `/`, `./` or `file://`).

The known credential formats are: AWS access key ids (`AKIA` or `ASIA` and 16 upper-case
letters or digits), PEM private keys (`-----BEGIN ... PRIVATE KEY-----`), GitHub tokens
(`ghp_`, `gho_`, `ghu_`, `ghs_`, `ghr_` and 36 letters or digits, or `github_pat_...`), Slack
tokens (`xoxb-`, `xoxa-`, `xoxp-`, `xoxr-`, `xoxs-`) and URLs with a literal password
(`postgres://user:password@host`).

The message never shows the value. Values of the wrong type are reported by
`invalid-field-type`.

## Why it matters
A credential in a manifest is stored in Git, in CI logs, in Helm release history and in the
object itself, readable by everyone who can read the workload (a much larger group than those
who can read Secrets), and it cannot be rotated without a redeploy.

## How to fix
Move the value into a Secret (ideally managed by an external secret store) and mount it as a
file, or at least reference it with `valueFrom.secretKeyRef`; then rotate the exposed
credential, because it is already in your history.

## Differences from other tools
kube-linter only looks at names containing `secret`, so `DB_PASSWORD=hunter2` passes, and it
flags any non-empty value, including `$(DB_SECRET)` references. Polaris flags names containing
`password`, `token`, `bearer` or `secret` whatever the value, so
`DB_PASSWORD_FILE=/run/secrets/db` fails, and of the value formats it only knows PEM private
keys. kubecomply looks at both the name and the value and never prints the value it found.
"#;

fn check(_cx: &Context<'_>, obj: &Object, out: &mut Violations) {
    for t in obj.templates() {
        for c in t.containers() {
            let Some(env) = c.value.field("env").and_then(Value::as_array) else {
                continue;
            };
            for (i, e) in env.iter().enumerate() {
                if e.field("valueFrom").is_some_and(|v| !v.is_null()) {
                    continue;
                }
                let Some(value) = e.field("value").and_then(Value::as_str) else {
                    continue;
                };
                let name = e.field("name").and_then(Value::as_str).unwrap_or("");
                let why = if let Some(format) = credential_format(value) {
                    format!("a value that looks like {format}")
                } else if credential_name(name) && literal_value(value) {
                    "a literal credential".to_string()
                } else {
                    continue;
                };
                out.fail_container(
                    &c,
                    t.container_path(&c, &["env", &i.to_string(), "value"]),
                    format!(
                        "{} {:?} sets env var {name:?} to {why} (value masked); reference a Secret instead",
                        c.kind.noun(),
                        c.name
                    ),
                );
            }
        }
    }
}
