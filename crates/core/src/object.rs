//! Kubernetes objects with the place they came from.

use crate::value::Field;

use std::ops::Range;
use std::sync::Arc;

use crate::Value;

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
    pub positions: Option<Positions>,
    /// For an object read from a live cluster (or an admission request): its identity there.
    /// Such an object has no source text; its findings carry the JSON pointer and line 0.
    /// Boxed: a file's objects (most of them) pay one pointer for it.
    pub cluster: Option<Box<ClusterRef>>,
}

/// The identity of an object in a cluster.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClusterRef {
    /// The cluster's name for it (a kubeconfig context, or what the service calls it).
    pub cluster: String,
    /// `metadata.uid` (empty for an object not yet created, as in an admission request).
    pub uid: String,
    /// `metadata.resourceVersion` (empty when not yet stored).
    pub resource_version: String,
}

impl Origin {
    /// The origin of an object of a cluster: no file, no text; the finding's `file` reads
    /// `cluster://<cluster>/<namespace>/<kind>/<name>` (`_` for no namespace).
    pub fn cluster(cluster: ClusterRef, kind: &str, namespace: Option<&str>, name: &str) -> Origin {
        let path = format!(
            "cluster://{}/{}/{kind}/{name}",
            cluster.cluster,
            namespace.unwrap_or("_")
        );
        Origin {
            source: Arc::new(SourceFile {
                path: path.into(),
                text: String::new(),
                format: SourceFormat::Json,
            }),
            document: 0,
            line: 0,
            span: 0..0,
            prefix: String::new(),
            positions: None,
            cluster: Some(Box::new(cluster)),
        }
    }
}

/// Line and column of every node of a document, in document order, stored compactly: per
/// node the change of line since the previous node (zigzag) and the column, each as a LEB128
/// varint, so a typical node takes 2 bytes instead of 8. At 100,000 objects the positions of
/// about 6 million nodes are kept for the whole run, to locate findings without the text.
/// Reading decodes from the start: a document with findings is decoded once for all of them
/// (`kubecomply_loader::locate::RecordedDocument`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Positions {
    bytes: Arc<[u8]>,
    len: u32,
}

impl Positions {
    /// Encodes `pairs`: line, column, line, column... (a trailing odd value is ignored).
    pub fn encode(pairs: &[u32]) -> Positions {
        let mut bytes = Vec::with_capacity(pairs.len() + 8);
        let mut previous = 0i64;
        let mut len = 0u32;
        for pair in pairs.chunks_exact(2) {
            let delta = i64::from(pair[0]) - previous;
            previous = i64::from(pair[0]);
            push_varint(&mut bytes, ((delta << 1) ^ (delta >> 63)) as u64);
            push_varint(&mut bytes, u64::from(pair[1]));
            len += 1;
        }
        Positions {
            bytes: Arc::from(bytes),
            len,
        }
    }

    /// The number of nodes.
    pub fn len(&self) -> usize {
        self.len as usize
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Line and column of every node, in order.
    pub fn iter(&self) -> impl Iterator<Item = (u32, u32)> + '_ {
        let mut at = 0usize;
        let mut line = 0i64;
        (0..self.len).map_while(move |_| {
            let zigzag = read_varint(&self.bytes, &mut at)?;
            let column = read_varint(&self.bytes, &mut at)?;
            line += ((zigzag >> 1) as i64) ^ -((zigzag & 1) as i64);
            Some((u32::try_from(line).ok()?, u32::try_from(column).ok()?))
        })
    }
}

fn push_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn read_varint(bytes: &[u8], at: &mut usize) -> Option<u64> {
    let mut v = 0u64;
    let mut shift = 0u32;
    loop {
        let b = *bytes.get(*at)?;
        *at += 1;
        v |= u64::from(b & 0x7f) << shift;
        if b < 0x80 {
            return Some(v);
        }
        shift += 7;
        if shift > 63 {
            return None;
        }
    }
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
    /// The reference its findings share, made from `api_version`, `kind`, `namespace` and
    /// `name` with the first of them ([`crate::ObjectRef::of`]); objects are not changed after
    /// loading.
    pub reference: std::sync::OnceLock<Arc<crate::ObjectRef>>,
    /// Its wrongly typed fields ([`crate::shape`]): an object with any is invalid, reported
    /// with status `error` and left out of every analysis.
    pub invalid: Vec<crate::shape::Invalid>,
}

impl Object {
    /// Builds an object from a value that has `apiVersion` and `kind`, or returns the value back.
    pub fn new(value: Value, origin: Origin) -> Result<Object, Box<Value>> {
        let (api_version, kind) = match (str_at(&value, &["apiVersion"]), str_at(&value, &["kind"]))
        {
            (Some(a), Some(k)) if !a.is_empty() && !k.is_empty() => (a.to_string(), k.to_string()),
            _ => return Err(Box::new(value)),
        };
        let invalid = crate::shape::validate(&value, &api_version, &kind);
        let (name, namespace) = if invalid.is_empty() {
            let name = str_at(&value, &["metadata", "name"])
                .or_else(|| str_at(&value, &["metadata", "generateName"]))
                .unwrap_or_default()
                .to_string();
            let namespace = str_at(&value, &["metadata", "namespace"])
                .filter(|s| !s.is_empty())
                .map(str::to_string);
            (name, namespace)
        } else {
            // An invalid object is shown with what it says, whatever the type (`Pod/true` for
            // `name: y`); it is never looked up by name.
            let shown = |key: &str| {
                crate::value::get(&value, &["metadata", key]).and_then(|v| match v {
                    Value::String(s) if !s.is_empty() => Some(s.clone()),
                    Value::String(_) | Value::Null => None,
                    other => Some(crate::value::short(other)),
                })
            };
            (
                shown("name")
                    .or_else(|| shown("generateName"))
                    .unwrap_or_default(),
                shown("namespace"),
            )
        };
        let pod_templates = if invalid.is_empty() {
            pod::find_templates(&value)
        } else {
            Vec::new()
        };
        Ok(Object {
            value,
            api_version,
            kind,
            name,
            namespace,
            origin: Arc::new(origin),
            pod_templates,
            reference: std::sync::OnceLock::new(),
            invalid,
        })
    }

    /// An object of a cluster (a watch event, an admission request), with its identity there.
    pub fn from_cluster(value: Value, cluster: ClusterRef) -> Result<Object, Box<Value>> {
        let kind = str_at(&value, &["kind"]).unwrap_or_default().to_string();
        let namespace = str_at(&value, &["metadata", "namespace"])
            .filter(|s| !s.is_empty())
            .map(str::to_string);
        let name = str_at(&value, &["metadata", "name"])
            .or_else(|| str_at(&value, &["metadata", "generateName"]))
            .unwrap_or_default()
            .to_string();
        let origin = Origin::cluster(cluster, &kind, namespace.as_deref(), &name);
        Object::new(value, origin)
    }

    /// `metadata.labels`, if it is a map.
    pub fn labels(&self) -> Option<&crate::Map> {
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

#[cfg(test)]
mod tests {
    use super::Positions;

    #[test]
    fn positions_round_trip() {
        let pairs = [
            1,
            1,
            1,
            7,
            2,
            3,
            2,
            200,
            2,
            1,
            70_000,
            5,
            3,
            4_000_000,
            u32::MAX,
            u32::MAX,
            0,
            0,
        ];
        let p = Positions::encode(&pairs);
        assert_eq!(p.len(), pairs.len() / 2);
        let back: Vec<u32> = p.iter().flat_map(|(l, c)| [l, c]).collect();
        assert_eq!(back, pairs);
        assert_eq!(p.iter().nth(3), Some((2, 200)));
        assert_eq!(p.iter().nth(9), None);
        // Typical nodes (same or next line, small column) take two bytes.
        let typical: Vec<u32> = (1..=1000).flat_map(|l| [l, 3, l, 9]).collect();
        assert_eq!(Positions::encode(&typical).bytes.len(), 4000);
    }
}
