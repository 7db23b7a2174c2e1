//! Typed documents: kubecomply's own YAML formats (configuration, exceptions, frameworks,
//! attestations, flows, segmentation, report definitions) deserialized with serde from a
//! loaded [`Value`]. A failure carries the JSON pointer of the field at fault, which the
//! caller turns into `file:line:column` with the loader's position index.

use std::fmt;

use serde::de::{self, DeserializeOwned, Deserializer, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};

use crate::Value;

/// A problem in a typed document: where (JSON pointer inside the document) and what.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DocumentError {
    /// Pointer of the field at fault (its parent mapping for a missing field).
    pub pointer: String,
    /// What is wrong and what was expected.
    pub message: String,
}

impl fmt::Display for DocumentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// Deserializes `v` into `T`, naming the failing field's pointer.
pub fn from_value<T: DeserializeOwned>(v: &Value) -> Result<T, DocumentError> {
    from_json(v.to_json())
}

/// Deserializes a `serde_json::Value` into `T`, naming the failing field's pointer.
pub fn from_json<T: DeserializeOwned>(v: serde_json::Value) -> Result<T, DocumentError> {
    serde_path_to_error::deserialize(v).map_err(|e| {
        let mut pointer = String::new();
        for seg in e.path().iter() {
            match seg {
                serde_path_to_error::Segment::Seq { index } => {
                    pointer.push('/');
                    pointer.push_str(&index.to_string());
                }
                serde_path_to_error::Segment::Map { key } => {
                    pointer.push('/');
                    pointer.push_str(&key.replace('~', "~0").replace('/', "~1"));
                }
                // Enum variants and untracked segments are not fields of the document.
                serde_path_to_error::Segment::Enum { .. }
                | serde_path_to_error::Segment::Unknown => {}
            }
        }
        DocumentError {
            pointer,
            message: e.into_inner().to_string(),
        }
    })
}

/// Deserializes `v` into `T` reporting every faulty field, not just the first: a field that
/// serde rejects (unknown, or of the wrong type) is recorded and removed, and the rest is read
/// again. The result is the value read without the faulty fields (for further checks that
/// report more problems), or `None` when a problem could not be isolated to one field.
pub fn from_value_all<T: DeserializeOwned>(v: &Value) -> (Option<T>, Vec<DocumentError>) {
    // Each round removes one field, so documents with more faulty fields than this give up.
    const MAX_ROUNDS: usize = 64;
    let mut json = v.to_json();
    let mut errors = Vec::new();
    for _ in 0..MAX_ROUNDS {
        match from_json::<T>(json.clone()) {
            Ok(t) => return (Some(t), errors),
            Err(e) => {
                let removed = remove_field(&mut json, &e.pointer);
                errors.push(e);
                if !removed {
                    return (None, errors);
                }
            }
        }
    }
    (None, errors)
}

/// Removes the mapping entry at `pointer`; false when it does not name one.
fn remove_field(v: &mut serde_json::Value, pointer: &str) -> bool {
    let Some((parent, key)) = pointer.rsplit_once('/') else {
        return false;
    };
    let key = key.replace("~1", "/").replace("~0", "~");
    match v.pointer_mut(parent) {
        Some(serde_json::Value::Object(m)) => m.remove(&key).is_some(),
        _ => false,
    }
}

/// A string, or a list of strings (`rule: X` / `rules: [X, Y]`, `requirement: id` /
/// `requirements: [...]`); a scalar is one item.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(untagged)]
pub enum OneOrMany {
    /// One value.
    One(String),
    /// Several values.
    Many(Vec<String>),
    /// Nothing (`~` or absent).
    #[default]
    #[schemars(skip)]
    None,
}

impl OneOrMany {
    /// The values in order.
    pub fn into_vec(self) -> Vec<String> {
        match self {
            OneOrMany::One(s) => vec![s],
            OneOrMany::Many(v) => v,
            OneOrMany::None => Vec::new(),
        }
    }
}

impl<'de> Deserialize<'de> for OneOrMany {
    // Hand-written so that a wrong type says "expected a string or a list of strings" and an
    // item of the wrong type is located at its index, which an untagged enum cannot do.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = OneOrMany;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string or a list of strings")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<OneOrMany, E> {
                Ok(OneOrMany::One(s.to_string()))
            }
            fn visit_unit<E: de::Error>(self) -> Result<OneOrMany, E> {
                Ok(OneOrMany::None)
            }
            fn visit_none<E: de::Error>(self) -> Result<OneOrMany, E> {
                Ok(OneOrMany::None)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<OneOrMany, A::Error> {
                let mut out = Vec::new();
                while let Some(s) = seq.next_element::<String>()? {
                    out.push(s);
                }
                Ok(OneOrMany::Many(out))
            }
        }
        d.deserialize_any(V)
    }
}

/// A scalar read as text: YAML turns `name: 0644`, `version: 1.0` or `app: true` into numbers
/// and booleans, and our documents compare them as the text they were.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Text(pub String);

impl schemars::JsonSchema for Text {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Text".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({"type": ["string", "number"]})
    }
    fn inline_schema() -> bool {
        true
    }
}

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Text;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Text, E> {
                Ok(Text(s.to_string()))
            }
            fn visit_i64<E: de::Error>(self, n: i64) -> Result<Text, E> {
                Ok(Text(n.to_string()))
            }
            fn visit_u64<E: de::Error>(self, n: u64) -> Result<Text, E> {
                Ok(Text(n.to_string()))
            }
            fn visit_f64<E: de::Error>(self, n: f64) -> Result<Text, E> {
                Ok(Text(
                    serde_json::Number::from_f64(n)
                        .map_or_else(|| n.to_string(), |x| x.to_string()),
                ))
            }
        }
        d.deserialize_any(V)
    }
}

/// A mapping read in document order (`severityOverrides:`: the last entry for a rule wins).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrderedMap<V>(pub Vec<(String, V)>);

impl<V> Default for OrderedMap<V> {
    fn default() -> Self {
        OrderedMap(Vec::new())
    }
}

impl<V: schemars::JsonSchema> schemars::JsonSchema for OrderedMap<V> {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        format!("Map_of_{}", V::schema_name()).into()
    }
    fn json_schema(g: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({"type": "object", "additionalProperties": g.subschema_for::<V>()})
    }
    fn inline_schema() -> bool {
        true
    }
}

impl<'de, V: Deserialize<'de>> Deserialize<'de> for OrderedMap<V> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct M<V>(std::marker::PhantomData<V>);
        impl<'de, V: Deserialize<'de>> Visitor<'de> for M<V> {
            type Value = OrderedMap<V>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a mapping")
            }
            fn visit_map<A: de::MapAccess<'de>>(self, mut m: A) -> Result<OrderedMap<V>, A::Error> {
                let mut out = Vec::new();
                while let Some((k, v)) = m.next_entry::<String, V>()? {
                    out.push((k, v));
                }
                Ok(OrderedMap(out))
            }
        }
        d.deserialize_map(M(std::marker::PhantomData))
    }
}

/// The JSON Schema (draft 2020-12) of a document type as `docs/schema/` publishes it:
/// `$schema`, `$id`, `title` and `description` first, pretty-printed, with a trailing newline.
pub fn schema_json<T: schemars::JsonSchema>(id: &str, title: &str, description: &str) -> String {
    let schema = schemars::schema_for!(T);
    let mut out = serde_json::Map::new();
    out.insert(
        "$schema".into(),
        "https://json-schema.org/draft/2020-12/schema".into(),
    );
    out.insert("$id".into(), id.into());
    out.insert("title".into(), title.into());
    out.insert("description".into(), description.into());
    if let Some(m) = schema.as_object() {
        for (k, v) in m {
            if !out.contains_key(k) {
                out.insert(k.clone(), v.clone());
            }
        }
    }
    let mut s = serde_json::to_string_pretty(&out).unwrap_or_default();
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields, rename_all = "camelCase")]
    struct Doc {
        #[serde(default)]
        rules: OneOrMany,
        #[serde(default)]
        items: Vec<Item>,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Item {
        name: Text,
    }

    fn parse(j: serde_json::Value) -> Result<Doc, DocumentError> {
        from_json(j)
    }

    #[test]
    fn pointers_name_the_field() {
        let e = parse(serde_json::json!({"items": [{"name": "a"}, {"nmae": "b"}]}))
            .expect_err("unknown field");
        assert_eq!(e.pointer, "/items/1/nmae");
        assert!(e.message.contains("unknown field `nmae`"), "{e:?}");
        assert!(e.message.contains("expected `name`"), "{e:?}");
        let e = parse(serde_json::json!({"items": [{}]})).expect_err("missing");
        assert_eq!(e.pointer, "/items/0");
        assert!(e.message.contains("missing field `name`"), "{e:?}");
        let e = parse(serde_json::json!({"a/b": 1})).expect_err("escaped");
        assert_eq!(e.pointer, "/a~1b");
    }

    #[test]
    fn every_faulty_field_is_reported() {
        let v = Value::from(serde_json::json!({"items": [{"name": "a", "x": 1, "y": 2}], "z": 3}));
        let (doc, errs) = from_value_all::<Doc>(&v);
        let pointers: Vec<&str> = errs.iter().map(|e| e.pointer.as_str()).collect();
        assert_eq!(pointers, ["/items/0/x", "/items/0/y", "/z"]);
        assert_eq!(doc.map(|d| d.items.len()), Some(1));
        let v = Value::from(serde_json::json!({"items": [{}]}));
        let (doc, errs) = from_value_all::<Doc>(&v);
        assert!(doc.is_none());
        assert_eq!(errs.len(), 1);
    }

    #[test]
    fn one_or_many() {
        let d = parse(serde_json::json!({"rules": "X"})).expect("one");
        assert_eq!(d.rules.into_vec(), ["X"]);
        let d = parse(serde_json::json!({"rules": ["X", "Y"]})).expect("many");
        assert_eq!(d.rules.into_vec(), ["X", "Y"]);
        let e = parse(serde_json::json!({"rules": ["X", 5]})).expect_err("typed");
        assert_eq!(e.pointer, "/rules/1");
        let e = parse(serde_json::json!({"rules": {"a": 1}})).expect_err("typed");
        assert_eq!(e.pointer, "/rules");
        assert!(e.message.contains("a string or a list of strings"), "{e:?}");
    }

    #[test]
    fn text_takes_numbers() {
        let d = parse(serde_json::json!({"items": [{"name": 420}, {"name": 1.5}]})).expect("text");
        assert_eq!(d.items[0].name.0, "420");
        assert_eq!(d.items[1].name.0, "1.5");
        let e = parse(serde_json::json!({"items": [{"name": true}]})).expect_err("bool");
        assert_eq!(e.pointer, "/items/0/name");
    }
}
