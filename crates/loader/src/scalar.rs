//! YAML 1.1 scalar resolution as kubectl applies it.
//!
//! kubectl converts YAML to JSON with sigs.k8s.io/yaml, which uses go-yaml v2 and therefore
//! YAML 1.1 rules for plain (unquoted) scalars: `yes`/`no`/`on`/`off`/`y`/`n` are booleans,
//! `0644` is octal (420), `0x1F` is hex, `_` separators are allowed in numbers. Quoted and
//! block scalars are always strings. The resulting JSON is what the API server receives, so
//! it is what kubecomply checks. Floats with an integral value become integers, as Go's JSON
//! encoder writes them (`8.0` is sent as `8`).

use kubecomply_core::{Number, Value};

/// Resolves a plain scalar.
pub fn resolve_plain(s: &str) -> Value {
    match s {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => {
            return Value::Bool(true);
        }
        "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            return Value::Bool(false);
        }
        _ => {}
    }
    let first = s.as_bytes()[0];
    if (first.is_ascii_digit() || matches!(first, b'+' | b'-' | b'.'))
        && let Some(n) = resolve_number(s)
    {
        return n;
    }
    Value::String(s.to_string())
}

/// Resolves a scalar with an explicit core-schema tag (`!!str`, `!!int`, ...).
/// Returns `Err` with a message when the content does not fit the tag.
pub fn resolve_tagged(s: &str, suffix: &str) -> Result<Value, String> {
    match suffix {
        "str" | "binary" | "timestamp" => Ok(Value::String(s.to_string())),
        "null" => Ok(Value::Null),
        "bool" => match resolve_plain(s) {
            Value::Bool(b) => Ok(Value::Bool(b)),
            _ => Err(format!("{s:?} is not a boolean")),
        },
        "int" => match resolve_number(s) {
            Some(v) if v.is_i64() || v.is_u64() => Ok(v),
            _ => Err(format!("{s:?} is not an integer")),
        },
        "float" => match resolve_number(s) {
            Some(v) => Ok(v),
            None => Err(format!("{s:?} is not a number")),
        },
        _ => Ok(resolve_plain(s)),
    }
}

fn resolve_number(s: &str) -> Option<Value> {
    let plain: std::borrow::Cow<'_, str> = if s.contains('_') {
        s.chars().filter(|&c| c != '_').collect::<String>().into()
    } else {
        s.into()
    };
    if let Some(i) = parse_go_int(&plain) {
        return Some(match i {
            GoInt::Signed(v) => Value::Number(Number::from(v)),
            GoInt::Unsigned(v) => Value::Number(Number::from(v)),
        });
    }
    if is_yaml_float(&plain) {
        let f: f64 = plain.parse().ok()?;
        return float_value(f);
    }
    None
}

fn float_value(f: f64) -> Option<Value> {
    if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e18 {
        return Some(Value::Number(Number::from(f as i64)));
    }
    Number::from_f64(f).map(Value::Number)
}

enum GoInt {
    Signed(i64),
    Unsigned(u64),
}

/// Go's `strconv.ParseInt(s, 0, 64)` followed by `ParseUint`: optional sign, then `0x`, `0o`,
/// `0b` prefixes or a leading `0` for octal.
fn parse_go_int(s: &str) -> Option<GoInt> {
    let (neg, body) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    if body.is_empty() {
        return None;
    }
    let (radix, digits) =
        if let Some(d) = body.strip_prefix("0x").or_else(|| body.strip_prefix("0X")) {
            (16, d)
        } else if let Some(d) = body.strip_prefix("0o").or_else(|| body.strip_prefix("0O")) {
            (8, d)
        } else if let Some(d) = body.strip_prefix("0b").or_else(|| body.strip_prefix("0B")) {
            (2, d)
        } else if body.len() > 1 && body.starts_with('0') {
            (8, &body[1..])
        } else {
            (10, body)
        };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let mag = u64::from_str_radix(digits, radix).ok()?;
    if neg {
        if mag <= i64::MAX as u64 + 1 {
            Some(GoInt::Signed((-(mag as i128)) as i64))
        } else {
            None
        }
    } else if mag <= i64::MAX as u64 {
        Some(GoInt::Signed(mag as i64))
    } else {
        Some(GoInt::Unsigned(mag))
    }
}

/// go-yaml v2's float pattern: `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`.
fn is_yaml_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if i < b.len() && (b[i] == b'-' || b[i] == b'+') {
        i += 1;
    }
    let int_start = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    let int_digits = i - int_start;
    if i < b.len() && b[i] == b'.' {
        i += 1;
        let frac_start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if int_digits == 0 && i == frac_start {
            return false;
        }
    } else if int_digits == 0 {
        return false;
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'-' || b[i] == b'+') {
            i += 1;
        }
        let exp_start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == exp_start {
            return false;
        }
    }
    i == b.len()
}

/// The JSON object key for a resolved scalar key, as sigs.k8s.io/yaml writes it.
pub fn key_string(v: Value) -> String {
    match v {
        Value::String(s) => s,
        Value::Null => "null".to_string(),
        other => other.to_string(),
    }
}

/// The JSON key a YAML key scalar becomes, given its style and tag (as the loader builds it).
pub fn key_text(
    text: &str,
    style: saphyr_parser::ScalarStyle,
    tag: Option<&saphyr_parser::Tag>,
) -> String {
    match tag {
        Some(t) if t.is_yaml_core_schema() => match resolve_tagged(text, &t.suffix) {
            Ok(v) => key_string(v),
            Err(_) => text.to_string(),
        },
        _ if style == saphyr_parser::ScalarStyle::Plain => key_string(resolve_plain(text)),
        _ => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kubecomply_core::json;

    #[test]
    fn kubectl_scalars() {
        assert_eq!(resolve_plain("0644"), json!(420));
        assert_eq!(resolve_plain("0o644"), json!(420));
        assert_eq!(resolve_plain("0x1F"), json!(31));
        assert_eq!(resolve_plain("0b101"), json!(5));
        assert_eq!(resolve_plain("1_000"), json!(1000));
        assert_eq!(resolve_plain("-12"), json!(-12));
        assert_eq!(resolve_plain("+12"), json!(12));
        assert_eq!(resolve_plain("08"), json!(8));
        assert_eq!(resolve_plain("1.5"), json!(1.5));
        assert_eq!(resolve_plain("1e3"), json!(1000));
        assert_eq!(resolve_plain(".5"), json!(0.5));
        assert_eq!(resolve_plain("yes"), json!(true));
        assert_eq!(resolve_plain("NO"), json!(false));
        assert_eq!(resolve_plain("on"), json!(true));
        assert_eq!(resolve_plain("y"), json!(true));
        assert_eq!(resolve_plain("~"), json!(null));
        assert_eq!(resolve_plain("1.2.3"), json!("1.2.3"));
        assert_eq!(resolve_plain("100m"), json!("100m"));
        assert_eq!(resolve_plain("-"), json!("-"));
        assert_eq!(resolve_plain("."), json!("."));
        assert_eq!(resolve_plain(".inf"), json!(".inf"));
        assert_eq!(
            resolve_plain("18446744073709551615"),
            json!(18446744073709551615u64)
        );
        assert_eq!(resolve_plain("-9223372036854775808"), json!(i64::MIN));
        assert_eq!(resolve_plain("1e400"), json!("1e400"));
    }

    #[test]
    fn tagged_scalars() {
        assert_eq!(resolve_tagged("0644", "str"), Ok(json!("0644")));
        assert_eq!(resolve_tagged("12", "int"), Ok(json!(12)));
        assert!(resolve_tagged("abc", "int").is_err());
    }

    #[test]
    fn keys() {
        assert_eq!(key_string(resolve_plain("yes")), "true");
        assert_eq!(key_string(resolve_plain("1")), "1");
        assert_eq!(key_string(resolve_plain("~")), "null");
    }
}
