//! Small accessors over [`Value`] used by every analyzer.
//!
//! Accessors are deliberately strict about types: `bool_at` returns `None` for a string
//! `"true"`, because the API server would reject such an object. Wrong types are reported once,
//! by the field-type rule, instead of being silently coerced by each rule.

use crate::{Map, Value};

/// The value of `key` in `map` (see [`Map::get`]: keys are compared in order).
#[inline]
pub fn field<'a>(map: &'a Map, key: &str) -> Option<&'a Value> {
    map.get(key)
}

/// Key lookup through [`field`]: `value.field("spec")` instead of `value.field("spec")`, for
/// values and maps alike.
pub trait Field {
    /// The value of `key`, when this is an object that has it.
    fn field(&self, key: &str) -> Option<&Value>;
}

impl Field for Value {
    #[inline]
    fn field(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Object(m) => field(m, key),
            _ => None,
        }
    }
}

impl Field for Map {
    #[inline]
    fn field(&self, key: &str) -> Option<&Value> {
        field(self, key)
    }
}

/// Follows `path` (object keys) from `v`.
pub fn get<'a>(v: &'a Value, path: &[&str]) -> Option<&'a Value> {
    let mut cur = v;
    for k in path {
        cur = cur.field(k)?;
    }
    Some(cur)
}

/// A boolean at `path`, if present and of boolean type.
pub fn bool_at(v: &Value, path: &[&str]) -> Option<bool> {
    get(v, path)?.as_bool()
}

/// A string at `path`, if present and of string type.
pub fn str_at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    get(v, path)?.as_str()
}

/// An integer at `path`, if present and integral.
pub fn i64_at(v: &Value, path: &[&str]) -> Option<i64> {
    get(v, path)?.as_i64()
}

/// The array at `path`, or an empty slice when missing or not an array.
pub fn array_at<'a>(v: &'a Value, path: &[&str]) -> &'a [Value] {
    match get(v, path) {
        Some(Value::Array(a)) => a,
        _ => &[],
    }
}

/// The JSON type name of a value, for messages.
pub fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_f64() => "number",
        Value::Number(_) => "integer",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// A short rendering of a value for messages (strings quoted, long values cut).
pub fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 60 {
        let cut: String = s.chars().take(57).collect();
        format!("{cut}...")
    } else {
        s
    }
}
