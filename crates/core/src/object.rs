//! Kubernetes objects with the place they came from.

use crate::value::Field;

use std::ops::Range;
use std::sync::Arc;

use serde_json::Value;

use crate::pod;
use crate::value::str_at;

/// Whether a source was read as YAML or JSON.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SourceFormat {
    /// YAML (multi-document).
    Yaml,
    /// JSON, one value or a stream of values (JSON lines).
    Json,
}

/// One input file (or standard input), kept so that positions can be resolved lazily.
#[derive(Debug)]
pub struct SourceFile {
    /// The path as given by the user (or `<stdin>`); shared by the locations of its findings.
    pub path: Arc<str>,
    /// The full text.
    pub text: String,
    /// How it was parsed.
    pub format: SourceFormat,
}

/// Where an object came from: a document of a source file, possibly an item of a `List`.
#[derive(Clone, Debug)]
pub struct Origin {
    /// The source file.
    pub source: Arc<SourceFile>,
    /// The index of the document in the file (0-based, counting non-empty documents).
    pub document: u32,
    /// The 1-based line where the document starts.
    pub line: u32,
    /// The byte range of the document's text, starting at a line start.
    pub span: Range<usize>,
    /// The JSON pointer of the object inside its document: empty, or `/items/N` for a List item.
    pub prefix: String,
    /// Line and column (pairs, 1-based) of every node of the document in document order,
    /// recorded while parsing; `None` when the document does not map one-to-one onto its
    /// value (aliases, merge keys, duplicate keys, List items, JSON), where positions are found
    /// by parsing the document again.
    pub positions: Option<Arc<[u32]>>,
}

/// A Kubernetes object.
#[derive(Clone, Debug)]
pub struct Object {
    /// The full value.
    pub value: Value,
    /// `apiVersion`.
    pub api_version: String,
    /// `kind`.
    pub kind: String,
    /// `metadata.name` (or `metadata.generateName`), possibly empty.
    pub name: String,
    /// `metadata.namespace`, if set.
    pub namespace: Option<String>,
    /// Where it came from (shared with the locations of its findings).
    pub origin: Arc<Origin>,
    /// JSON pointers (relative to the object) of the pod templates it embeds.
    pub pod_templates: Vec<String>,
    /// The reference its findings share, made with the first of them
    /// ([`crate::ObjectRef::of`]).
    pub reference: std::sync::OnceLock<Arc<crate::ObjectRef>>,
}

impl Object {
    /// Builds an object from a value that has `apiVersion` and `kind`, or returns the value back.
    pub fn new(value: Value, origin: Origin) -> Result<Object, Box<Value>> {
        let (api_version, kind) = match (str_at(&value, &["apiVersion"]), str_at(&value, &["kind"]))
        {
            (Some(a), Some(k)) if !a.is_empty() && !k.is_empty() => (a.to_string(), k.to_string()),
            _ => return Err(Box::new(value)),
        };
        let name = str_at(&value, &["metadata", "name"])
            .or_else(|| str_at(&value, &["metadata", "generateName"]))
            .unwrap_or_default()
            .to_string();
        let namespace = str_at(&value, &["metadata", "namespace"])
            .filter(|s| !s.is_empty())
            .map(str::to_string);
        let pod_templates = pod::find_templates(&value);
        Ok(Object {
            value,
            api_version,
            kind,
            name,
            namespace,
            origin: Arc::new(origin),
            pod_templates,
            reference: std::sync::OnceLock::new(),
        })
    }

    /// `metadata.labels`, if it is a map.
    pub fn labels(&self) -> Option<&serde_json::Map<String, Value>> {
        self.value.field("metadata")?.field("labels")?.as_object()
    }

    /// One annotation value.
    pub fn annotation(&self, key: &str) -> Option<&str> {
        self.value
            .field("metadata")?
            .field("annotations")?
            .get(key)?
            .as_str()
    }

    /// The pod templates this object embeds.
    pub fn templates(&self) -> impl Iterator<Item = pod::PodTemplate<'_>> {
        self.pod_templates
            .iter()
            .filter_map(|p| pod::PodTemplate::at(self, p))
    }

    /// The API group (empty for the core group).
    pub fn group(&self) -> &str {
        match self.api_version.split_once('/') {
            Some((g, _)) => g,
            None => "",
        }
    }

    /// A short `Kind/namespace/name` label.
    pub fn display_name(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{}/{}/{}", self.kind, ns, self.name),
            None => format!("{}/{}", self.kind, self.name),
        }
    }
}
