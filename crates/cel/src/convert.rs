//! JSON → CEL values, and the size bounds of the data an expression sees.

use std::collections::HashMap;
use std::sync::Arc;

use kube_cel::cel::Value;
use kube_cel::cel::objects::{Key, Map};

/// Converts a JSON value to a CEL value the way the API server sees an unstructured object:
/// integers stay `int` (`uint` only beyond `i64`), other numbers are `double`, field names are
/// not escaped (no schema is known, so every field is a map entry of a dynamic value).
pub(crate) fn to_cel(value: &kubecomply_core::Value) -> Value {
    match value {
        kubecomply_core::Value::Null => Value::Null,
        kubecomply_core::Value::Bool(b) => Value::Bool(*b),
        kubecomply_core::Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::Int(i)
            } else if let Some(u) = n.as_u64() {
                Value::UInt(u)
            } else {
                Value::Float(n.as_f64().unwrap_or(f64::NAN))
            }
        }
        kubecomply_core::Value::String(s) => Value::String(Arc::new(s.clone())),
        kubecomply_core::Value::Array(items) => {
            Value::List(Arc::new(items.iter().map(to_cel).collect()))
        }
        kubecomply_core::Value::Object(map) => {
            let mut out = HashMap::with_capacity(map.len());
            for (k, v) in map {
                out.insert(Key::String(Arc::new(k.clone())), to_cel(v));
            }
            Value::Map(Map { map: Arc::new(out) })
        }
    }
}

/// Upper bounds of the sizes found in the data bound to an evaluation: the longest list (or
/// map) and the longest string. The cost estimate of an expression is computed against them.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct Sizes {
    /// Longest list or map (number of entries).
    pub list: f64,
    /// Longest string (bytes).
    pub string: f64,
}

impl Sizes {
    /// The sizes inside one JSON value.
    pub fn of(value: &kubecomply_core::Value) -> Sizes {
        let mut s = Sizes::default();
        s.visit(value);
        s
    }

    fn visit(&mut self, value: &kubecomply_core::Value) {
        match value {
            kubecomply_core::Value::String(v) => self.string = self.string.max(v.len() as f64),
            kubecomply_core::Value::Array(items) => {
                self.list = self.list.max(items.len() as f64);
                items.iter().for_each(|i| self.visit(i));
            }
            kubecomply_core::Value::Object(map) => {
                self.list = self.list.max(map.len() as f64);
                for (k, v) in map {
                    self.string = self.string.max(k.len() as f64);
                    self.visit(v);
                }
            }
            _ => {}
        }
    }

    /// The larger of each bound.
    pub fn max(self, other: Sizes) -> Sizes {
        Sizes {
            list: self.list.max(other.list),
            string: self.string.max(other.string),
        }
    }
}

impl Sizes {
    /// The sizes inside one CEL value.
    pub fn of_cel(value: &Value) -> Sizes {
        let mut s = Sizes::default();
        s.visit_cel(value);
        s
    }

    fn visit_cel(&mut self, value: &Value) {
        match value {
            Value::String(v) => self.string = self.string.max(v.len() as f64),
            Value::Bytes(v) => self.string = self.string.max(v.len() as f64),
            Value::List(items) => {
                self.list = self.list.max(items.len() as f64);
                items.iter().for_each(|i| self.visit_cel(i));
            }
            Value::Map(m) => {
                self.list = self.list.max(m.map.len() as f64);
                for (k, v) in m.map.iter() {
                    if let Key::String(k) = k {
                        self.string = self.string.max(k.len() as f64);
                    }
                    self.visit_cel(v);
                }
            }
            _ => {}
        }
    }
}
