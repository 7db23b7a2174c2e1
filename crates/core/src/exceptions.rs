//! Exceptions: accepted deviations with a reason, an owner and an expiry date.
//!
//! An exceptions file is YAML:
//!
//! ```yaml
//! apiVersion: kubecomply.io/v1
//! kind: ExceptionList
//! exceptions:
//!   - rules: [KC-POD-001]          # codes or slugs; `rule:` for one
//!     match:                       # every given field must match; `*` globs in names
//!       kind: Deployment
//!       namespace: payments
//!       name: "api-*"
//!       labels: {app: api}
//!     container: istio-proxy       # optional: only findings about this container
//!     reason: "needs NET_ADMIN for traffic redirection"
//!     owner: platform-team@example.com
//!     expires: 2027-03-31
//! ```
//!
//! An expired exception stops applying; the engine reports it as a finding of its own.

use crate::document::{self, OneOrMany, Text};
use crate::value::Field;

use crate::Value;

use crate::date::Date;
use crate::finding::{AppliedException, Finding};
use crate::object::Object;

/// One exception entry.
#[derive(Clone, Debug, PartialEq)]
pub struct Exception {
    /// Index in the file, for locating it.
    pub index: usize,
    /// Rule codes or slugs (`*` for all rules).
    pub rules: Vec<String>,
    /// Kind to match, if given.
    pub kind: Option<String>,
    /// Namespace pattern, if given.
    pub namespace: Option<String>,
    /// Name pattern, if given.
    pub name: Option<String>,
    /// Labels that must all be present with these values.
    pub labels: Vec<(String, String)>,
    /// Container name pattern, if given.
    pub container: Option<String>,
    /// Why.
    pub reason: String,
    /// Who.
    pub owner: Option<String>,
    /// Until when (inclusive).
    pub expires: Option<Date>,
}

/// A problem in an exceptions file, with the JSON pointer of the offending entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExceptionError {
    /// Pointer inside the document.
    pub pointer: String,
    /// What is wrong.
    pub message: String,
}

/// An exceptions file (`kind: ExceptionList`); a bare list of entries is accepted too. The
/// entries are `T`: [`ExceptionEntry`] for the schema, raw values while parsing (so that one
/// bad entry is reported without hiding the others).
#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(rename = "ExceptionList")]
pub struct ExceptionList<T = ExceptionEntry> {
    /// `kubecomply.io/v1`.
    #[serde(default)]
    pub api_version: Option<String>,
    /// `ExceptionList`.
    #[serde(default)]
    pub kind: Option<String>,
    /// The exceptions.
    pub exceptions: Vec<T>,
}

/// One exception as written.
#[derive(Debug, Default, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExceptionEntry {
    /// One rule code or slug (`*` for every rule).
    #[serde(default)]
    pub rule: Option<Text>,
    /// Rule codes or slugs: one or a list.
    #[serde(default)]
    pub rules: OneOrMany,
    /// Which objects: every given field must match; `*` globs in names.
    #[serde(default, rename = "match")]
    pub matches: Option<ExceptionMatch>,
    /// Only findings about this container (`*` globs).
    #[serde(default)]
    pub container: Option<Text>,
    /// Why the deviation is accepted (required).
    #[serde(default)]
    pub reason: Option<Text>,
    /// Who accepted it.
    #[serde(default)]
    pub owner: Option<Text>,
    /// The last day it applies, `YYYY-MM-DD`.
    #[serde(default)]
    pub expires: Option<Text>,
}

/// The objects an exception covers.
#[derive(Debug, Default, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExceptionMatch {
    /// Kind (case-insensitive).
    #[serde(default)]
    pub kind: Option<Text>,
    /// Namespace pattern.
    #[serde(default)]
    pub namespace: Option<Text>,
    /// Name pattern.
    #[serde(default)]
    pub name: Option<Text>,
    /// Labels the object must carry with these values.
    #[serde(default)]
    #[schemars(with = "Option<std::collections::BTreeMap<String, LabelValue>>")]
    pub labels: Option<serde_json::Map<String, serde_json::Value>>,
}

/// A label value as YAML may type it.
#[derive(schemars::JsonSchema)]
#[schemars(untagged)]
#[allow(dead_code)] // Only describes the schema.
enum LabelValue {
    Text(String),
    Number(f64),
    Bool(bool),
}

/// Parses the `exceptions` list of an exceptions document (or a bare list).
pub fn parse(doc: &Value) -> (Vec<Exception>, Vec<ExceptionError>) {
    let mut errors = Vec::new();
    let (items, base) = match doc {
        Value::Array(a) => (a.clone(), String::new()),
        Value::Object(m) => match m.field("exceptions") {
            Some(Value::Array(_)) => {
                match document::from_value::<ExceptionList<serde_json::Value>>(doc) {
                    Ok(list) => (
                        list.exceptions.into_iter().map(Value::from).collect(),
                        "/exceptions".to_string(),
                    ),
                    Err(e) => {
                        errors.push(ExceptionError {
                            pointer: e.pointer,
                            message: e.message,
                        });
                        return (Vec::new(), errors);
                    }
                }
            }
            _ => {
                errors.push(ExceptionError {
                    pointer: String::new(),
                    message: "expected an `exceptions:` list".into(),
                });
                return (Vec::new(), errors);
            }
        },
        _ => {
            errors.push(ExceptionError {
                pointer: String::new(),
                message: "expected a mapping with an `exceptions:` list".into(),
            });
            return (Vec::new(), errors);
        }
    };
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let p = format!("{base}/{i}");
        if !item.is_object() {
            errors.push(ExceptionError {
                pointer: p,
                message: "an exception must be a mapping".into(),
            });
            continue;
        }
        let entry: ExceptionEntry = match document::from_value(item) {
            Ok(e) => e,
            Err(e) => {
                errors.push(ExceptionError {
                    pointer: format!("{p}{}", e.pointer),
                    message: e.message,
                });
                continue;
            }
        };
        let mut rules = entry.rules.into_vec();
        if let Some(r) = entry.rule {
            rules.push(r.0);
        }
        if rules.is_empty() {
            errors.push(ExceptionError {
                pointer: p.clone(),
                message: "an exception needs `rule:` or `rules:` (use \"*\" for every rule)".into(),
            });
            continue;
        }
        let m = entry.matches.unwrap_or_default();
        let labels = m
            .labels
            .unwrap_or_default()
            .into_iter()
            .map(|(k, v)| {
                let v = v
                    .as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| v.to_string());
                (k, v)
            })
            .collect();
        // An invalid exception never applies: without a reason it is not an accepted
        // deviation, and with an expiry that is not a date it would never expire.
        let reason = entry.reason.map(|t| t.0).unwrap_or_default();
        if reason.trim().is_empty() {
            errors.push(ExceptionError {
                pointer: p.clone(),
                message: "an exception needs a `reason:`; it does not apply".into(),
            });
            continue;
        }
        let expires = match entry.expires {
            Some(Text(s)) => match Date::parse(&s) {
                Some(d) => Some(d),
                None => {
                    errors.push(ExceptionError {
                        pointer: format!("{p}/expires"),
                        message: format!(
                            "`expires` must be a date YYYY-MM-DD, found {s:?}; the exception does not apply"
                        ),
                    });
                    continue;
                }
            },
            None => None,
        };
        out.push(Exception {
            index: i,
            rules,
            kind: m.kind.map(|t| t.0),
            namespace: m.namespace.map(|t| t.0),
            name: m.name.map(|t| t.0),
            labels,
            container: entry.container.map(|t| t.0),
            reason,
            owner: entry.owner.map(|t| t.0),
            expires,
        });
    }
    (out, errors)
}

/// Matches `text` against a pattern where `*` matches any run of characters.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0usize, 0usize);
    let (mut star, mut mark) = (None::<usize>, 0usize);
    while ti < t.len() {
        if pi < p.len() && p[pi] != '*' && p[pi] == t[ti] {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

impl Exception {
    /// Whether the exception has expired on `today` (it applies through its expiry date).
    pub fn is_expired(&self, today: Date) -> bool {
        self.expires.is_some_and(|e| e < today)
    }

    /// Whether it covers `finding` about `object`.
    pub fn covers(&self, finding: &Finding, object: Option<&Object>) -> bool {
        let rule_ok = self
            .rules
            .iter()
            .any(|r| r == "*" || crate::rule::named(&finding.rule, &finding.slug, r));
        if !rule_ok {
            return false;
        }
        if let Some(c) = &self.container {
            match &finding.container {
                Some(fc) if glob_match(c, fc) => {}
                _ => return false,
            }
        }
        let Some(res) = &finding.resource else {
            return self.kind.is_none()
                && self.namespace.is_none()
                && self.name.is_none()
                && self.labels.is_empty();
        };
        if let Some(k) = &self.kind
            && !k.eq_ignore_ascii_case(&res.kind)
        {
            return false;
        }
        if let Some(ns) = &self.namespace
            && !glob_match(ns, res.namespace.as_deref().unwrap_or(""))
        {
            return false;
        }
        if let Some(n) = &self.name
            && !glob_match(n, &res.name)
        {
            return false;
        }
        if !self.labels.is_empty() {
            let Some(labels) = object.and_then(Object::labels) else {
                return false;
            };
            for (k, v) in &self.labels {
                if labels.get(k).and_then(Value::as_str) != Some(v.as_str()) {
                    return false;
                }
            }
        }
        true
    }

    /// The record shown next to findings it accepts.
    pub fn applied(&self) -> AppliedException {
        AppliedException {
            source: "exceptions-file",
            reason: self.reason.clone(),
            owner: self.owner.clone(),
            expires: self.expires.map(|d| d.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;

    #[test]
    fn globs() {
        assert!(glob_match("api-*", "api-server"));
        assert!(glob_match("*", ""));
        assert!(glob_match("a*c*e", "abcde"));
        assert!(!glob_match("api-*", "web"));
        assert!(glob_match("exact", "exact"));
    }

    #[test]
    fn invalid_exceptions_never_apply() {
        for expires in ["2027-02-30", "yesterday", "", "2027-02-28T25:00:00Z"] {
            let doc = json!({"exceptions": [
                {"rule": "KC-HOST-001", "reason": "r", "expires": expires}
            ]});
            let (ex, errs) = parse(&doc);
            assert!(ex.is_empty(), "{expires:?} applies");
            assert_eq!(errs.len(), 1, "{expires:?}: {errs:?}");
        }
        let (ex, errs) = parse(&json!({"exceptions": [{"rule": "KC-HOST-001"}]}));
        assert!(ex.is_empty(), "an exception without a reason applies");
        assert_eq!(errs.len(), 1);
    }

    #[test]
    fn parses_entries_and_reports_errors() {
        let doc = json!({"exceptions": [
            {"rule": "KC-POD-001", "match": {"kind": "Deployment", "name": "api"}, "reason": "r", "owner": "o", "expires": "2027-01-01"},
            {"match": {}},
            {"rules": ["x"], "reason": "r", "expires": "soon"}
        ]});
        let (ex, errs) = parse(&doc);
        // The entry with an expiry that is not a date is reported and does not apply.
        assert_eq!(ex.len(), 1);
        assert_eq!(ex[0].expires, Date::parse("2027-01-01"));
        assert_eq!(errs.len(), 2, "{errs:?}");
        assert_eq!(errs[0].pointer, "/exceptions/1");
        assert_eq!(errs[1].pointer, "/exceptions/2/expires");
        let today = Date::parse("2027-01-02").expect("date");
        assert!(ex[0].is_expired(today));
        assert!(!ex[0].is_expired(Date::parse("2027-01-01").expect("date")));
    }

    #[test]
    fn misspelt_keys_are_errors_not_wider_matches() {
        let doc = json!({"exceptions": [
            {"rule": "KC-POD-001", "match": {"namepsace": "payments"}, "reason": "r"},
            {"rule": "KC-POD-001", "match": {"namespace": ["a"]}, "reason": "r"},
            {"rules": ["KC-POD-001", 7], "reason": "r"},
            {"rule": "KC-POD-001", "reason": "r", "expiry": "2027-01-01"},
            {"rules": "KC-POD-002", "match": {"name": 420, "labels": {"tier": 1, "on": true}}, "reason": "r"}
        ]});
        let (ex, errs) = parse(&doc);
        assert_eq!(ex.len(), 1, "{ex:?}");
        assert_eq!(ex[0].rules, ["KC-POD-002"]);
        assert_eq!(ex[0].name.as_deref(), Some("420"));
        assert_eq!(
            ex[0].labels,
            [
                ("tier".to_string(), "1".to_string()),
                ("on".to_string(), "true".to_string())
            ]
        );
        let pointers: Vec<&str> = errs.iter().map(|e| e.pointer.as_str()).collect();
        assert_eq!(
            pointers,
            [
                "/exceptions/0/match/namepsace",
                "/exceptions/1/match/namespace",
                "/exceptions/2/rules/1",
                "/exceptions/3/expiry"
            ]
        );
        assert!(
            errs[0].message.contains("unknown field `namepsace`"),
            "{errs:?}"
        );
        assert!(errs[0].message.contains("`namespace`"), "{errs:?}");
        assert!(errs[1].message.contains("expected a string"), "{errs:?}");
    }

    #[test]
    fn unknown_top_level_keys_are_errors() {
        let doc = json!({"kind": "ExceptionList", "exceptoins": [], "exceptions": []});
        let (_, errs) = parse(&doc);
        assert_eq!(errs.len(), 1, "{errs:?}");
        assert_eq!(errs[0].pointer, "/exceptoins");
    }
}
