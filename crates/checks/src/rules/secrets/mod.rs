//! Secrets: how containers receive credentials and where literal credentials hide.

use crate::rule::Rule;

pub mod credential_in_configmap;
pub mod credential_literal_in_env;
pub mod secret_in_env_ref;

/// The rules of this area, in code order.
pub static RULES: &[&Rule] = &[
    &secret_in_env_ref::RULE,
    &credential_literal_in_env::RULE,
    &credential_in_configmap::RULE,
];

/// Words that make a name look like it holds a credential (matched inside the normalised name).
pub(crate) const NAME_WORDS: &[&str] = &[
    "password",
    "passwd",
    "secret",
    "token",
    "apikey",
    "api_key",
    "access_key",
    "private_key",
    "credential",
];

/// Suffixes of normalised names that hold something about a credential, not the credential.
pub(crate) const NAME_EXCLUDED_SUFFIXES: &[&str] = &[
    "_file",
    "_path",
    "_dir",
    "_url",
    "_uri",
    "_endpoint",
    "_host",
    "_name",
    "_ref",
    "_ttl",
    "_expiry",
    "_timeout",
    "_length",
    "_type",
    "_header",
    "_enabled",
];

/// Normalises a name for matching: `camelCase` boundaries become `_`, `-`, `.` and spaces become
/// `_`, and everything is lower case (`dbPassword-file` → `db_password_file`).
pub(crate) fn normalise_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    let mut prev_lower_or_digit = false;
    for ch in name.chars() {
        if ch.is_ascii_uppercase() {
            if prev_lower_or_digit {
                out.push('_');
            }
            out.push(ch.to_ascii_lowercase());
            prev_lower_or_digit = false;
        } else if matches!(ch, '-' | '.' | ' ') {
            out.push('_');
            prev_lower_or_digit = false;
        } else {
            out.push(ch.to_ascii_lowercase());
            prev_lower_or_digit = ch.is_ascii_lowercase() || ch.is_ascii_digit();
        }
    }
    out
}

/// Whether a variable or key name looks like it holds a credential.
pub(crate) fn credential_name(name: &str) -> bool {
    let n = normalise_name(name);
    NAME_WORDS.iter().any(|w| n.contains(w))
        && !NAME_EXCLUDED_SUFFIXES.iter().any(|s| n.ends_with(s))
}

/// Removes `$(NAME)`, `${...}`, `{{...}}` and `$NAME` references from a value.
fn strip_references(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(i) = rest.find(['$', '{']) {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        let closing = if tail.starts_with("$(") {
            Some(')')
        } else if tail.starts_with("${") || tail.starts_with("{{") {
            Some('}')
        } else {
            None
        };
        if let Some(close) = closing {
            match tail.find(close) {
                Some(end) => {
                    let mut end = end + 1;
                    if tail.starts_with("{{") && tail[end..].starts_with('}') {
                        end += 1;
                    }
                    rest = &tail[end..];
                }
                None => rest = "",
            }
        } else if let Some(after) = tail.strip_prefix('$') {
            let len = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            if len == 0 {
                out.push('$');
            }
            rest = &after[len..];
        } else {
            out.push('{');
            rest = &tail[1..];
        }
    }
    out.push_str(rest);
    out
}

/// Whether a literal value is a real value rather than a placeholder: not empty, not only
/// references (`$(DB_PASSWORD)`, `${DB_PASSWORD}`, `{{ .Values.password }}`, `$PASSWORD`), not a
/// boolean or null word, not masked (`****`, `xxxx`, `<password>`), not a file path.
pub(crate) fn literal_value(value: &str) -> bool {
    let v = value.trim();
    if v.is_empty() {
        return false;
    }
    if !strip_references(v)
        .chars()
        .any(|c| c.is_ascii_alphanumeric())
    {
        return false;
    }
    let lower = v.to_ascii_lowercase();
    if matches!(
        lower.as_str(),
        "true"
            | "false"
            | "yes"
            | "no"
            | "on"
            | "off"
            | "null"
            | "nil"
            | "none"
            | "~"
            | "enabled"
            | "disabled"
    ) {
        return false;
    }
    if v.chars()
        .all(|c| matches!(c, '*' | 'x' | 'X' | '.' | '-' | '_'))
    {
        return false;
    }
    if v.starts_with('<') && v.ends_with('>') {
        return false;
    }
    if v.starts_with('/') || v.starts_with("./") || lower.starts_with("file://") {
        return false;
    }
    true
}

fn is_boundary(b: Option<&u8>) -> bool {
    b.is_none_or(|b| !b.is_ascii_alphanumeric())
}

/// `AKIA`/`ASIA` followed by 16 upper-case letters or digits, as a whole word.
fn aws_access_key(s: &str) -> bool {
    let b = s.as_bytes();
    (0..b.len().saturating_sub(19)).any(|i| {
        (b[i..].starts_with(b"AKIA") || b[i..].starts_with(b"ASIA"))
            && (i == 0 || is_boundary(b.get(i - 1)))
            && b[i + 4..i + 20]
                .iter()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
            && is_boundary(b.get(i + 20))
    })
}

/// `-----BEGIN <...>PRIVATE KEY-----`.
fn private_key_block(s: &str) -> bool {
    let mut rest = s;
    while let Some(i) = rest.find("-----BEGIN ") {
        let after = &rest[i + 11..];
        if let Some(end) = after.find("-----")
            && after[..end].ends_with("PRIVATE KEY")
            && !after[..end].contains('\n')
        {
            return true;
        }
        rest = after;
    }
    false
}

/// GitHub tokens: `ghp_`, `gho_`, `ghu_`, `ghs_`, `ghr_` and 36 letters or digits, or
/// `github_pat_` and at least 22 letters, digits or `_`.
fn github_token(s: &str) -> bool {
    let b = s.as_bytes();
    for i in 0..b.len() {
        if i > 0 && !is_boundary(b.get(i - 1)) {
            continue;
        }
        let t = &b[i..];
        if t.len() >= 40
            && t[0] == b'g'
            && t[1] == b'h'
            && matches!(t[2], b'p' | b'o' | b'u' | b's' | b'r')
            && t[3] == b'_'
            && t[4..40].iter().all(u8::is_ascii_alphanumeric)
        {
            return true;
        }
        if t.starts_with(b"github_pat_")
            && t[11..]
                .iter()
                .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_')
                .count()
                >= 22
        {
            return true;
        }
    }
    false
}

/// Slack tokens: `xox` + one of `b a p r s` + `-` + at least 10 letters, digits or `-`.
fn slack_token(s: &str) -> bool {
    let b = s.as_bytes();
    (0..b.len()).any(|i| {
        let t = &b[i..];
        t.len() >= 15
            && (i == 0 || is_boundary(b.get(i - 1)))
            && t.starts_with(b"xox")
            && matches!(t[3], b'b' | b'a' | b'p' | b'r' | b's')
            && t[4] == b'-'
            && t[5..]
                .iter()
                .take_while(|c| c.is_ascii_alphanumeric() || **c == b'-')
                .count()
                >= 10
    })
}

/// A URL whose authority carries `user:password@` with a literal password.
fn url_with_password(s: &str) -> bool {
    let mut rest = s;
    while let Some(i) = rest.find("://") {
        let scheme_ok = rest[..i]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_ascii_alphanumeric());
        let after = &rest[i + 3..];
        let end = after
            .find(|c: char| matches!(c, '/' | '?' | '#' | '"' | '\'') || c.is_whitespace())
            .unwrap_or(after.len());
        let authority = &after[..end];
        if scheme_ok
            && let Some(at) = authority.rfind('@')
            && let Some((user, password)) = authority[..at].split_once(':')
            && !user.is_empty()
            && literal_value(password)
        {
            return true;
        }
        rest = after;
    }
    false
}

/// What a value looks like, when it matches a known credential format.
pub(crate) fn credential_format(value: &str) -> Option<&'static str> {
    if aws_access_key(value) {
        Some("an AWS access key id")
    } else if private_key_block(value) {
        Some("a PEM private key")
    } else if github_token(value) {
        Some("a GitHub token")
    } else if slack_token(value) {
        Some("a Slack token")
    } else if url_with_password(value) {
        Some("a URL with an embedded password")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(credential_name("DB_PASSWORD"));
        assert!(credential_name("dbPassword"));
        assert!(credential_name("stripe-api-key"));
        assert!(credential_name("AWS_SECRET_ACCESS_KEY"));
        assert!(credential_name("GITHUB_TOKEN"));
        assert!(credential_name("apiKey"));
        assert!(!credential_name("DB_PASSWORD_FILE"));
        assert!(!credential_name("secretName"));
        assert!(!credential_name("TOKEN_URL"));
        assert!(!credential_name("DB_HOST"));
        assert_eq!(normalise_name("dbPassword-file"), "db_password_file");
        assert_eq!(normalise_name("HTTPToken"), "httptoken");
    }

    #[test]
    fn values() {
        assert!(literal_value("hunter2"));
        assert!(!literal_value("$(DB_PASSWORD)"));
        assert!(!literal_value("${DB_PASSWORD}"));
        assert!(!literal_value("{{ .Values.db.password }}"));
        assert!(!literal_value("$PASSWORD"));
        assert!(!literal_value("********"));
        assert!(!literal_value("<changeme>"));
        assert!(!literal_value("false"));
        assert!(!literal_value("/run/secrets/db"));
        assert!(literal_value("pre$(X)post"));
    }

    #[test]
    fn formats() {
        assert_eq!(
            credential_format("AKIAIOSFODNN7EXAMPLE"),
            Some("an AWS access key id")
        );
        assert_eq!(credential_format("xAKIAIOSFODNN7EXAMPLE"), None);
        assert_eq!(
            credential_format("-----BEGIN RSA PRIVATE KEY-----\nMII"),
            Some("a PEM private key")
        );
        assert_eq!(credential_format("-----BEGIN CERTIFICATE-----\nMII"), None);
        let gh = format!("ghp_{}", "a1".repeat(18));
        assert_eq!(credential_format(&gh), Some("a GitHub token"));
        assert_eq!(credential_format("ghp_short"), None);
        assert_eq!(
            credential_format("xoxb-1234567890-abcdef"),
            Some("a Slack token")
        );
        assert_eq!(
            credential_format("postgres://shop:s3cr3t@db.internal:5432/shop"),
            Some("a URL with an embedded password")
        );
        assert_eq!(
            credential_format("postgres://shop:$(DB_PASSWORD)@db:5432/shop"),
            None
        );
        assert_eq!(credential_format("https://user@example.com/x"), None);
        assert_eq!(credential_format("https://example.com:8443/x"), None);
    }
}
