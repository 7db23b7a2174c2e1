//! KC-SEC-003 credential-in-configmap.

use kubecomply_core::value::Field;

use kubecomply_core::Value;
use kubecomply_core::pointer::join;
use kubecomply_core::rule::reference;
use kubecomply_core::{Category, Object, RuleMeta, Severity};

use super::{credential_format, credential_name, literal_value};
use crate::rule::{Context, Rule, Target, Violations};

/// The rule.
pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "KC-SEC-003",
        slug: "credential-in-configmap",
        title: "ConfigMap contains a credential",
        severity: Severity::High,
        category: Category::Secrets,
        since: "0.1.0",
        docs: DOCS,
        references: &[
            reference("kubescape", "C-0012"),
            reference("polaris", "sensitiveConfigmapContent"),
            reference("trivy", "KSV-0109"),
            reference("trivy", "KSV-01010"),
        ],
    },
    target: Target::Kinds(&["ConfigMap"]),
    reads: &[],
    check,
};

const DOCS: &str = r#"## What it checks
Looks at every entry of a ConfigMap's `data` and `binaryData` (base64-decoded) and fails, at
most once per entry and at the entry's pointer, when

1. the **key** looks like a credential and the value is a real value (`DB_PASSWORD: hunter2`);
2. the **value** contains a known credential format anywhere (a private key inside `tls.conf`,
   a database URL with a password inside `application.yaml`);
3. a **line** of the value assigns a literal to a credential-looking name: lines of the form
   `name = value`, `name: value` or `"name": "value",` (also with `export ` or `- ` in front),
   as found in `.properties`, `.env`, INI, YAML and JSON files. The name may only contain
   letters, digits, `_`, `-` and `.`; quotes and a trailing comma around the value are removed;
   comment lines (`#`, `;`, `//`) and values that open a block (`{`, `[`, `|`, `>`) or are empty
   are skipped.

"Looks like a credential", "real value" and the credential formats are defined exactly as in
`credential-literal-in-env`: names containing `password`, `passwd`, `secret`, `token`,
`apikey`, `api_key`, `access_key`, `private_key` or `credential` (after normalising camelCase,
`-` and `.` to `_`) and not ending in `_file`, `_path`, `_dir`, `_url`, `_uri`, `_endpoint`,
`_host`, `_name`, `_ref`, `_ttl`, `_expiry`, `_timeout`, `_length`, `_type`, `_header` or
`_enabled`; values that are not empty, not only references (`${DB_PASSWORD}`,
`{{ .Values.x }}`, `$(X)`, `$X`), not booleans or null words, not masked and not file paths;
AWS access key ids, PEM private keys, GitHub and Slack tokens, URLs with a password.

`binaryData` entries that are not valid base64 are only judged by their key. The message names
the key (and line) but never the value.

## Why it matters
ConfigMaps are meant for non-confidential data: they are not encrypted at rest even where
Secrets are, RBAC roles commonly grant read access to them, they are shown in full by
dashboards and `kubectl describe`, and they end up in Git and Helm release history.

## How to fix
Move the credential into a Secret (or an external secret store) and mount it as a file;
reference it from the configuration file with a placeholder the application resolves at start.
Rotate the exposed credential.

## Differences from other tools
Polaris flags keys containing `password`, `token`, `bearer` or `secret` whatever the value
(so `password-min-length: "12"` fails) and only recognises PEM private keys in values;
kubecomply also reads the configuration files stored in the ConfigMap line by line.
"#;

/// Splits a configuration line into a name and a value.
fn assignment(line: &str) -> Option<(&str, &str)> {
    let mut l = line.trim();
    if l.is_empty() || l.starts_with('#') || l.starts_with(';') || l.starts_with("//") {
        return None;
    }
    l = l.strip_prefix("export ").unwrap_or(l).trim_start();
    l = l.strip_prefix("- ").unwrap_or(l).trim_start();
    let sep = l.find(['=', ':'])?;
    let key = l[..sep].trim().trim_matches(|c| c == '"' || c == '\'');
    if key.is_empty()
        || !key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
    {
        return None;
    }
    let mut value = l[sep + 1..].trim();
    value = value.strip_suffix(',').unwrap_or(value).trim_end();
    for q in ['"', '\''] {
        if value.len() >= 2 && value.starts_with(q) && value.ends_with(q) {
            value = &value[1..value.len() - 1];
        }
    }
    if value.is_empty() || value.starts_with(['{', '[', '|', '>']) {
        return None;
    }
    Some((key, value))
}

/// Why an entry looks like it holds a credential, if it does.
fn finding(key: &str, value: &str) -> Option<String> {
    if credential_name(key) && literal_value(value) {
        return Some("has a credential-looking key with a literal value".to_string());
    }
    if let Some(format) = credential_format(value) {
        return Some(format!("contains {format}"));
    }
    value.lines().enumerate().find_map(|(n, line)| {
        let (name, v) = assignment(line)?;
        (credential_name(name) && literal_value(v))
            .then(|| format!("sets {name:?} to a literal credential on line {}", n + 1))
    })
}

/// Decodes standard base64 (whitespace ignored, padding optional).
fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let mut acc: u32 = 0;
    let mut bits = 0;
    for ch in text.bytes() {
        let v = match ch {
            b'A'..=b'Z' => ch - b'A',
            b'a'..=b'z' => ch - b'a' + 26,
            b'0'..=b'9' => ch - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' | b' ' | b'\n' | b'\r' | b'\t' => continue,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

fn check(_cx: &Context<'_>, obj: &Object, out: &mut Violations) {
    if let Some(data) = obj.value.field("data").and_then(Value::as_object) {
        for (key, value) in data {
            let Some(value) = value.as_str() else {
                continue;
            };
            if let Some(why) = finding(key, value) {
                out.fail(
                    join("/data", &[key]),
                    format!(
                        "ConfigMap {:?} entry {key:?} {why} (value masked)",
                        obj.name
                    ),
                );
            }
        }
    }
    if let Some(data) = obj.value.field("binaryData").and_then(Value::as_object) {
        for (key, value) in data {
            let Some(value) = value.as_str() else {
                continue;
            };
            let decoded = base64_decode(value).map(|b| String::from_utf8_lossy(&b).into_owned());
            let why = match decoded {
                Some(text) => finding(key, &text),
                None => (credential_name(key) && literal_value(value))
                    .then(|| "has a credential-looking key with a literal value".to_string()),
            };
            if let Some(why) = why {
                out.fail(
                    join("/binaryData", &[key]),
                    format!(
                        "ConfigMap {:?} binary entry {key:?} {why} (value masked)",
                        obj.name
                    ),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines() {
        assert_eq!(
            assignment("db.password=s3cret"),
            Some(("db.password", "s3cret"))
        );
        assert_eq!(
            assignment("  \"apiKey\": \"abc123\","),
            Some(("apiKey", "abc123"))
        );
        assert_eq!(
            assignment("export DB_PASSWORD='x y'"),
            Some(("DB_PASSWORD", "x y"))
        );
        assert_eq!(assignment("# password=abc"), None);
        assert_eq!(assignment("password:"), None);
        assert_eq!(assignment("auth: {"), None);
        assert_eq!(assignment("Your password is: secret"), None);
    }

    #[test]
    fn entries() {
        assert!(finding("DB_PASSWORD", "hunter2").is_some());
        assert!(finding("DB_PASSWORD", "${DB_PASSWORD}").is_none());
        assert!(finding("app.properties", "db.user=shop\ndb.password=hunter2\n").is_some());
        assert!(
            finding(
                "app.properties",
                "db.user=shop\ndb.password=${DB_PASSWORD}\n"
            )
            .is_none()
        );
        assert!(finding("password-min-length", "12").is_none());
        assert!(
            finding(
                "settings.yaml",
                "tokenUrl: https://login.example.com/token\n"
            )
            .is_none()
        );
    }

    #[test]
    fn base64() {
        assert_eq!(base64_decode("aGVsbG8=").as_deref(), Some(&b"hello"[..]));
        assert_eq!(base64_decode("aGVsbG8").as_deref(), Some(&b"hello"[..]));
        assert_eq!(base64_decode("not base64!"), None);
    }
}
