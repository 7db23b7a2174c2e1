//! OPA's `sprintf`: Go's `fmt.Sprintf` over the arguments as OPA converts them (integers as
//! `int` or `*big.Int`, other numbers as `float64`, strings as `string`, anything else as its
//! Rego text). Unlike regorus' builtin it never fails on a verb/argument mismatch: like Go it
//! writes `%!v(MISSING)` for a missing argument, `%!d(string=x)` for a wrong type and
//! `%!(EXTRA string=x)` for arguments left over. gatekeeper-library's
//! `horizontalpodautoscaler` has six verbs for five arguments; under OPA the message is still
//! produced (ending in `%!v(MISSING)`), under regorus the violation silently disappeared.

use std::fmt::Write;

use anyhow::{Result, bail};
use regorus::Value;

/// An argument as OPA hands it to Go.
enum Arg {
    Int(i64),
    /// An integer beyond `i64`, as decimal digits (Go's `*big.Int`).
    Big(String),
    Float(f64),
    Str(String),
}

impl Arg {
    fn of(v: &Value) -> Arg {
        match v {
            Value::String(s) => Arg::Str(s.to_string()),
            Value::Number(n) if n.is_integer() => match n.as_i64() {
                Some(i) => Arg::Int(i),
                None => Arg::Big(n.format_decimal()),
            },
            Value::Number(n) => match n.as_f64() {
                Some(f) => Arg::Float(f),
                None => Arg::Str(n.format_decimal()),
            },
            other => Arg::Str(rego_text(other)),
        }
    }

    fn type_name(&self) -> &'static str {
        match self {
            Arg::Int(_) => "int",
            Arg::Big(_) => "*big.Int",
            Arg::Float(_) => "float64",
            Arg::Str(_) => "string",
        }
    }

    /// `%v` of the value.
    fn plain(&self) -> String {
        match self {
            Arg::Int(i) => i.to_string(),
            Arg::Big(s) | Arg::Str(s) => s.clone(),
            Arg::Float(f) => go_float_g(*f),
        }
    }
}

/// A value's Rego text (`ast.Term.String()`): strings quoted inside composites.
fn rego_text(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::String(s) => serde_json::to_string(s.as_ref()).unwrap_or_default(),
        Value::Number(n) => n.format_decimal(),
        Value::Array(a) => format!(
            "[{}]",
            a.iter().map(rego_text).collect::<Vec<_>>().join(", ")
        ),
        Value::Set(s) if s.is_empty() => "set()".into(),
        Value::Set(s) => format!(
            "{{{}}}",
            s.iter().map(rego_text).collect::<Vec<_>>().join(", ")
        ),
        Value::Object(o) => format!(
            "{{{}}}",
            o.iter()
                .map(|(k, v)| format!("{}: {}", rego_text(k), rego_text(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Value::Undefined => "undefined".into(),
    }
}

/// Go's `%v`/`%g` of a float64: shortest digits, in exponent form when the decimal exponent
/// is below -4 or at least 6 (strconv's `'g'` with precision -1).
fn go_float_g(f: f64) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 {
            "+Inf".into()
        } else {
            "-Inf".into()
        };
    }
    if f == 0.0 {
        return "0".into();
    }
    let exp = f.abs().log10().floor() as i32;
    if !(-4..6).contains(&exp) {
        go_exponent(&format!("{f:e}"))
    } else {
        format!("{f}")
    }
}

/// Rust's `1.5e7` as Go's `1.5e+07`.
fn go_exponent(rust: &str) -> String {
    match rust.split_once('e') {
        Some((mantissa, exp)) => {
            let (sign, digits) = match exp.strip_prefix('-') {
                Some(d) => ('-', d),
                None => ('+', exp),
            };
            format!("{mantissa}e{sign}{digits:0>2}")
        }
        None => rust.to_string(),
    }
}

/// Go's `%q` of a string.
fn go_quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Flags, width and precision of one verb.
#[derive(Default)]
struct Spec {
    minus: bool,
    plus: bool,
    zero: bool,
    width: Option<usize>,
    precision: Option<usize>,
}

impl Spec {
    fn pad(&self, s: String, numeric: bool) -> String {
        let Some(width) = self.width else { return s };
        let len = s.chars().count();
        if len >= width {
            return s;
        }
        let fill = width - len;
        if self.minus {
            format!("{s}{}", " ".repeat(fill))
        } else if self.zero && numeric {
            match s.strip_prefix('-') {
                Some(rest) => format!("-{}{rest}", "0".repeat(fill)),
                None => format!("{}{s}", "0".repeat(fill)),
            }
        } else {
            format!("{}{s}", " ".repeat(fill))
        }
    }
}

/// One verb applied to one argument, Go style; `None` for a type the verb does not take.
fn format_one(verb: char, spec: &Spec, arg: &Arg) -> Option<String> {
    let sign = |s: String| {
        if spec.plus && !s.starts_with('-') {
            format!("+{s}")
        } else {
            s
        }
    };
    let text = match (verb, arg) {
        ('v', Arg::Float(f)) | ('g', Arg::Float(f)) => sign(go_float_g(*f)),
        ('v', Arg::Int(_) | Arg::Big(_)) | ('d', Arg::Int(_) | Arg::Big(_)) => sign(arg.plain()),
        ('v' | 's', Arg::Str(s)) => match spec.precision {
            Some(p) => s.chars().take(p).collect(),
            None => s.clone(),
        },
        ('s', Arg::Big(s)) => s.clone(),
        ('q', Arg::Str(s)) => go_quote(s),
        ('x', Arg::Int(i)) => format!("{i:x}"),
        ('X', Arg::Int(i)) => format!("{i:X}"),
        ('o', Arg::Int(i)) => format!("{i:o}"),
        ('b', Arg::Int(i)) => format!("{i:b}"),
        ('c', Arg::Int(i)) => char::from_u32(u32::try_from(*i).ok()?)?.to_string(),
        ('x', Arg::Str(s)) => s.bytes().map(|b| format!("{b:02x}")).collect(),
        ('X', Arg::Str(s)) => s.bytes().map(|b| format!("{b:02X}")).collect(),
        ('f' | 'F', Arg::Float(f)) => sign(format!("{f:.*}", spec.precision.unwrap_or(6))),
        ('e', Arg::Float(f)) => sign(go_exponent(&format!(
            "{f:.*e}",
            spec.precision.unwrap_or(6)
        ))),
        ('E', Arg::Float(f)) => {
            sign(go_exponent(&format!("{f:.*e}", spec.precision.unwrap_or(6))).to_uppercase())
        }
        ('T', a) => a.type_name().to_string(),
        _ => return None,
    };
    let numeric = !matches!(arg, Arg::Str(_));
    Some(spec.pad(text, numeric))
}

/// `sprintf(format, values)` with Go's semantics.
pub(crate) fn sprintf(args: Vec<Value>) -> Result<Value> {
    let (Some(Value::String(format)), Some(values)) = (args.first(), args.get(1)) else {
        bail!("sprintf: operand 1 must be a string");
    };
    let Value::Array(values) = values else {
        bail!("sprintf: operand 2 must be an array");
    };
    let args: Vec<Arg> = values.iter().map(Arg::of).collect();
    let mut out = String::new();
    let mut next = 0usize;
    let mut chars = format.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let mut spec = Spec::default();
        while let Some(&f) = chars.peek() {
            match f {
                '-' => spec.minus = true,
                '+' => spec.plus = true,
                '0' => spec.zero = true,
                ' ' | '#' => {}
                _ => break,
            }
            chars.next();
        }
        let digits = |chars: &mut std::iter::Peekable<std::str::Chars<'_>>| {
            let mut n: Option<usize> = None;
            while let Some(d) = chars.peek().and_then(|c| c.to_digit(10)) {
                n = Some(n.unwrap_or(0) * 10 + d as usize);
                chars.next();
            }
            n
        };
        spec.width = digits(&mut chars);
        if chars.peek() == Some(&'.') {
            chars.next();
            spec.precision = Some(digits(&mut chars).unwrap_or(0));
        }
        let Some(verb) = chars.next() else {
            out.push_str("%!(NOVERB)");
            break;
        };
        if verb == '%' {
            out.push('%');
            continue;
        }
        match args.get(next) {
            None => {
                let _ = write!(out, "%!{verb}(MISSING)");
            }
            Some(arg) => {
                match format_one(verb, &spec, arg) {
                    Some(s) => out.push_str(&s),
                    None => {
                        let _ = write!(out, "%!{verb}({}={})", arg.type_name(), arg.plain());
                    }
                }
                next += 1;
            }
        }
    }
    if next < args.len() {
        let extra: Vec<String> = args[next..]
            .iter()
            .map(|a| format!("{}={}", a.type_name(), a.plain()))
            .collect();
        let _ = write!(out, "%!(EXTRA {})", extra.join(", "));
    }
    Ok(Value::from(out))
}

#[cfg(test)]
mod tests {
    use super::sprintf;
    use regorus::Value;

    fn fmt(format: &str, args: serde_json::Value) -> String {
        let out = sprintf(vec![Value::from(format), Value::from(args)]).expect("formats");
        match out {
            Value::String(s) => s.to_string(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn go_semantics() {
        use serde_json::json;
        assert_eq!(fmt("%v <%v> %d", json!(["a", 3, 4])), "a <3> 4");
        assert_eq!(fmt("%v %v", json!(["a"])), "a %!v(MISSING)");
        assert_eq!(fmt("%v", json!(["a", 1])), "a%!(EXTRA int=1)");
        assert_eq!(fmt("%d", json!(["x"])), "%!d(string=x)");
        assert_eq!(fmt("%v", json!([1.16])), "1.16");
        assert_eq!(fmt("%v", json!([[1, "a"]])), "[1, \"a\"]");
        assert_eq!(fmt("%v", json!([{"k": true}])), "{\"k\": true}");
        assert_eq!(fmt("%s", json!([null])), "null");
        assert_eq!(
            fmt(
                "%q|%5s|%-3d|%03d|%.2f|%%",
                json!(["a\"b", "x", 7, 7, 1.005])
            ),
            "\"a\\\"b\"|    x|7  |007|1.00|%"
        );
        assert_eq!(fmt("%x %T", json!([255, 1.5])), "ff float64");
        assert_eq!(
            fmt("%v %v", json!([1234567.5, 0.00001])),
            "1.2345675e+06 1e-05"
        );
    }
}
