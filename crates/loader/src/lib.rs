//! Loading Kubernetes objects from YAML and JSON.
//!
//! * YAML streams are parsed with kubectl's YAML 1.1 scalar rules (see [`scalar`]), with limits
//!   on nesting depth, alias expansion and file size ([`Limits`]).
//! * JSON files and JSON-per-line streams are understood.
//! * `kind: List` and every `*List` kind with an `items` array are expanded into their items.
//! * Documents without `apiVersion` and `kind` are skipped with a note.
//! * Every problem is a [`Diagnostic`] with file, line and column; loading always goes on.
//! * Line and column of a finding are resolved lazily with [`locate::PositionIndex`].

mod fast;
pub mod files;
pub mod json;
pub mod locate;
pub mod scalar;
pub mod yaml;

use std::sync::Arc;

use kubecomply_core::Value;
use kubecomply_core::diagnostic::{Diagnostic, Level};
use kubecomply_core::{Object, Origin, Positions, SourceFile, SourceFormat};

pub use yaml::Limits;

/// The objects and the problems found in one source.
#[derive(Debug, Default)]
pub struct Loaded {
    /// Kubernetes objects, in order.
    pub objects: Vec<Object>,
    /// Input problems and notes.
    pub diagnostics: Vec<Diagnostic>,
}

/// Decides how to parse a source: `.json` files, and text that starts with `{`, are JSON.
pub fn detect_format(path: &str, text: &str) -> SourceFormat {
    if path.ends_with(".json") || text.trim_start().starts_with('{') {
        SourceFormat::Json
    } else {
        SourceFormat::Yaml
    }
}

/// Parses the documents of a source into raw values (no Kubernetes interpretation).
pub fn parse_stream(text: &str, format: SourceFormat, limits: &Limits) -> yaml::Stream {
    match format {
        SourceFormat::Json => {
            let s = json::parse(text);
            // Text that merely starts with `{` may be a YAML flow mapping: fall back to YAML.
            if s.documents.is_empty() && !s.errors.is_empty() {
                let y = yaml::parse(text, limits);
                if y.errors.is_empty() {
                    return y;
                }
            }
            s
        }
        SourceFormat::Yaml => yaml::parse(text, limits),
    }
}

/// Replaces every lone carriage return (one not followed by `\n`) with `\n`.
///
/// YAML counts a lone `\r` as a line break, as editors do, while the loader counts lines by
/// `\n` (document splitting, spans, the fast path, positions). The replacement keeps every byte
/// offset, and YAML turns each line break in scalar content into `\n` anyway, so values do not
/// change; JSON only allows `\r` as whitespace between tokens. `\r\n` is left alone.
pub fn normalize_line_breaks(text: &mut String) {
    let bytes = text.as_bytes();
    let lone = |i: &usize| bytes.get(i + 1) != Some(&b'\n');
    if !memchr::memchr_iter(b'\r', bytes).any(|i| lone(&i)) {
        return;
    }
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for i in memchr::memchr_iter(b'\r', bytes).filter(lone) {
        out.push_str(&text[last..i]);
        out.push('\n');
        last = i + 1;
    }
    out.push_str(&text[last..]);
    *text = out;
}

/// Parses every document of a YAML (or JSON) text, for tests and tools. Errors are joined.
pub fn parse_documents(text: &str) -> Result<Vec<Value>, String> {
    let mut text = text.to_string();
    normalize_line_breaks(&mut text);
    let s = parse_stream(&text, detect_format("", &text), &Limits::default());
    if s.errors.is_empty() {
        Ok(s.documents.into_iter().map(|d| d.value).collect())
    } else {
        Err(s
            .errors
            .iter()
            .map(|e| format!("{}:{}: {}", e.line, e.column, e.message))
            .collect::<Vec<_>>()
            .join("; "))
    }
}

/// Loads the Kubernetes objects of one source.
pub fn load(source: SourceFile, limits: &Limits) -> Loaded {
    load_with(source, limits, true)
}

/// Loads the Kubernetes objects of one source without keeping its text when no longer needed:
/// when every document recorded the positions of its nodes while parsing, findings are located
/// from those and the text is dropped (about the size of the input, in memory, for a large scan).
/// Documents that need a second parse (aliases, merge keys, duplicate keys, `List`s, JSON) keep
/// the text of their file.
pub fn load_lean(source: SourceFile, limits: &Limits) -> Loaded {
    load_with(source, limits, false)
}

fn load_with(mut source: SourceFile, limits: &Limits, keep_text: bool) -> Loaded {
    normalize_line_breaks(&mut source.text);
    let stream = parse_stream(&source.text, source.format, limits);
    if !keep_text
        && stream
            .documents
            .iter()
            .all(|d| d.positions.is_some() && !is_list(&d.value))
    {
        source.text = String::new();
    }
    let source = Arc::new(source);
    let mut out = Loaded::default();
    for e in stream.errors {
        let level = if e.message.starts_with("duplicate key")
            || e.message == yaml::SHALLOW_QUOTED_WARNING
        {
            Level::Warning
        } else {
            Level::Error
        };
        out.diagnostics.push(Diagnostic {
            level,
            file: source.path.to_string(),
            line: e.line,
            column: e.column,
            message: e.message,
        });
    }
    for (doc_index, doc) in stream.documents.into_iter().enumerate() {
        let origin = Origin {
            source: Arc::clone(&source),
            document: doc_index as u32,
            line: doc.line,
            span: doc.span,
            prefix: String::new(),
            positions: if is_list(&doc.value) {
                None
            } else {
                doc.positions.as_deref().map(Positions::encode)
            },
            cluster: None,
        };
        add_value(doc.value, origin, &mut out);
    }
    out
}

fn is_list(v: &Value) -> bool {
    let kind = v.get("kind").and_then(Value::as_str).unwrap_or("");
    kind.ends_with("List") && matches!(v.get("items"), Some(Value::Array(_)))
}

fn add_value(value: Value, origin: Origin, out: &mut Loaded) {
    if is_list(&value) {
        let Value::Object(mut map) = value else {
            return;
        };
        let items = match map.remove("items") {
            Some(Value::Array(items)) => items,
            _ => Vec::new(),
        };
        for (i, item) in items.into_iter().enumerate() {
            let mut o = origin.clone();
            o.prefix = format!("{}/items/{i}", origin.prefix);
            o.positions = None;
            add_value(item, o, out);
        }
        return;
    }
    let file = origin.source.path.to_string();
    let line = origin.line;
    let item = if origin.prefix.is_empty() {
        String::new()
    } else {
        format!(" (item {})", origin.prefix)
    };
    match Object::new(value, origin) {
        Ok(o) => out.objects.push(o),
        Err(v) => {
            let why = if v.is_object() {
                "has no apiVersion and kind"
            } else {
                "is not a mapping"
            };
            out.diagnostics.push(Diagnostic {
                level: Level::Note,
                file: file.to_string(),
                line,
                column: 1,
                message: format!("skipped a document{item} that {why}: not a Kubernetes object"),
            });
        }
    }
}
