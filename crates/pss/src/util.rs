//! Small helpers shared by the checks: tolerant JSON accessors, JSON pointers,
//! and the upstream message formatting helpers (`pluralize`, `joinQuote`, Go `%q`).

use kubecomply_core::value::Field;
use kubecomply_core::{Map, Value};

/// A non-null member of an object (`None` for a missing key, `null`, or a non-object parent).
pub(crate) fn member<'a>(v: &'a Value, key: &str) -> Option<&'a Value> {
    v.field(key).filter(|x| !x.is_null())
}

/// A member that is a JSON object. Upstream decodes into typed structs, so a nested
/// struct of the wrong JSON type can never be "set"; we treat it as unset.
pub(crate) fn obj<'a>(v: &'a Value, key: &str) -> Option<&'a Value> {
    v.field(key).filter(|x| x.is_object())
}

/// A member that is a JSON object, as a map.
pub(crate) fn map<'a>(v: &'a Value, key: &str) -> Option<&'a Map> {
    v.field(key).and_then(Value::as_object)
}

/// A boolean member (`None` when unset or not a boolean).
pub(crate) fn boolean(v: &Value, key: &str) -> Option<bool> {
    v.field(key).and_then(Value::as_bool)
}

/// A string member (`None` when unset or not a string).
pub(crate) fn string<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.field(key).and_then(Value::as_str)
}

/// An array member (empty when unset or not an array).
pub(crate) fn array<'a>(v: &'a Value, key: &str) -> &'a [Value] {
    v.field(key)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

/// An integer member (`None` when unset or not an integral number).
pub(crate) fn integer(v: &Value, key: &str) -> Option<i64> {
    let n = v.field(key)?;
    if let Some(i) = n.as_i64() {
        return Some(i);
    }
    if n.as_u64().is_some() {
        return Some(i64::MAX);
    }
    match n.as_f64() {
        Some(f) if f.fract() == 0.0 && f.is_finite() && f.abs() < 9.0e18 => Some(f as i64),
        _ => None,
    }
}

/// `base` extended by the given (unescaped) reference tokens.
pub(crate) fn ptr(base: &str, tokens: &[&str]) -> String {
    kubecomply_core::pointer::join(base, tokens)
}

/// Pointer to the deepest existing (non-null) node along `tokens` below `base_value`
/// (whose own pointer is `base_ptr`). Used where a required field is missing.
pub(crate) fn nearest(base_value: &Value, base_ptr: &str, tokens: &[&str]) -> String {
    let mut cur = base_value;
    let mut out = String::from(base_ptr);
    for t in tokens {
        match member(cur, t) {
            Some(next) => {
                kubecomply_core::pointer::push(&mut out, t);
                cur = next;
            }
            None => break,
        }
    }
    out
}

/// Upstream `pluralize`.
pub(crate) fn pluralize<'a>(singular: &'a str, plural: &'a str, count: usize) -> &'a str {
    if count == 1 { singular } else { plural }
}

/// Upstream `joinQuote`: `"a", "b"` (no escaping), empty for no items.
pub(crate) fn join_quote<S: AsRef<str>>(items: &[S]) -> String {
    if items.is_empty() {
        return String::new();
    }
    let mut out = String::from("\"");
    for (i, s) in items.iter().enumerate() {
        if i > 0 {
            out.push_str("\", \"");
        }
        out.push_str(s.as_ref());
    }
    out.push('"');
    out
}

/// Go's `%q` (strconv.Quote) for the strings that occur in annotation values.
pub(crate) fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{07}' => out.push_str("\\a"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{0b}' => out.push_str("\\v"),
            c if c.is_control() => {
                let n = c as u32;
                if n < 0x80 {
                    out.push_str(&format!("\\x{n:02x}"));
                } else if n < 0x1_0000 {
                    out.push_str(&format!("\\u{n:04x}"));
                } else {
                    out.push_str(&format!("\\U{n:08x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `container "a"` / `containers "a", "b"`.
pub(crate) fn containers_phrase<S: AsRef<str>>(names: &[S]) -> String {
    format!(
        "{} {}",
        pluralize("container", "containers", names.len()),
        join_quote(names)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use kubecomply_core::json;

    #[test]
    fn pointers_escape_tokens() {
        assert_eq!(
            ptr("/metadata", &["annotations", "a/b~c"]),
            "/metadata/annotations/a~1b~0c"
        );
        let v = json!({"securityContext": {"capabilities": null}});
        assert_eq!(
            nearest(
                &v,
                "/spec/containers/0",
                &["securityContext", "capabilities", "drop"]
            ),
            "/spec/containers/0/securityContext"
        );
    }

    #[test]
    fn quoting_helpers() {
        assert_eq!(join_quote(&["a", "b"]), "\"a\", \"b\"");
        assert_eq!(join_quote::<&str>(&[]), "");
        assert_eq!(go_quote("a\"b\\\n"), "\"a\\\"b\\\\\\n\"");
        assert_eq!(containers_phrase(&["x"]), "container \"x\"");
    }

    #[test]
    fn integers_are_tolerant() {
        let v = json!({"a": 5, "b": "5", "c": 0.0, "d": 1.5});
        assert_eq!(integer(&v, "a"), Some(5));
        assert_eq!(integer(&v, "b"), None);
        assert_eq!(integer(&v, "c"), Some(0));
        assert_eq!(integer(&v, "d"), None);
    }
}
