//! Loading Kubernetes objects from YAML and JSON.
//!
//! * YAML streams are parsed with kubectl's YAML 1.1 scalar rules (see [`scalar`]), with limits
//!   on nesting depth, alias expansion and file size ([`Limits`]).
//! * JSON files and JSON-per-line streams are understood, and so are streams that mix JSON and
//!   YAML documents: each document between `---` lines is read by the parser its text calls for.
//! * An input is decoded document by document ([`files::read_documents`]): a document with
//!   invalid UTF-8 or a NUL byte is an error at that byte, and the others are read.
//! * `kind: List` and every `*List` kind with an `items` array are expanded into their items.
//! * Documents without `apiVersion` and `kind` are skipped with a note.
//! * Every problem is a [`Diagnostic`] with file, line and column; loading always goes on.
//! * Line and column of a finding are resolved lazily with [`locate::PositionIndex`].

mod fast;
pub mod files;
pub mod json;
pub mod locate;
pub mod scalar;
mod split;
pub mod work;
pub mod yaml;

use std::sync::Arc;

use kubecomply_core::Value;
use kubecomply_core::diagnostic::{Diagnostic, Level};
use kubecomply_core::{Object, Origin, Positions, SourceFile, SourceFormat};

pub use yaml::{AliasBudget, Limits};

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
    parse_stream_with(text, format, limits, &AliasBudget::of(limits))
}

/// [`parse_stream`], with aliases copying nodes from `budget` (shared by the inputs of a run).
///
/// The stream is cut into documents at `---` and `...` lines first, and each is read by the
/// parser it calls for: a document whose text starts with `{` (and every document of a source
/// whose format is JSON) is read as JSON, which may be several values (JSON per line), and as
/// YAML when it is not JSON (a YAML flow mapping); other documents are YAML. A stream with no
/// JSON document is read as one YAML stream.
pub fn parse_stream_with(
    text: &str,
    format: SourceFormat,
    limits: &Limits,
    budget: &AliasBudget,
) -> yaml::Stream {
    let parts = split::parts(text.as_bytes(), false);
    let json: Vec<Option<usize>> = parts
        .iter()
        .map(|p| json_content(text, p, format))
        .collect();
    if json.iter().all(Option::is_none) {
        return yaml::parse_with(text, limits, budget);
    }
    let mut out = yaml::Stream::default();
    let mut i = 0;
    while i < parts.len() {
        let s = match json[i] {
            Some(content) => {
                let s = parse_json_part(text, &parts[i], content, limits, budget);
                i += 1;
                s
            }
            None => {
                // A run of YAML documents.
                let first = parts[i];
                while i < parts.len() && json[i].is_none() {
                    i += 1;
                }
                let end = parts[i - 1].end;
                parse_yaml_at(text, first.start, end, first.line, limits, budget)
            }
        };
        out.documents.extend(s.documents);
        out.errors.extend(s.errors);
    }
    // Each document ends where the next one starts.
    for i in 1..out.documents.len() {
        let next = out.documents[i].span.start;
        let cur = &mut out.documents[i - 1].span;
        if next >= cur.start {
            cur.end = next;
        }
    }
    if let Some(last) = out.documents.last_mut() {
        last.span.end = text.len();
    }
    out.errors.sort_by_key(|e| (e.line, e.column));
    out
}

/// Where the content of a part starts when it is to be read as JSON: its first character
/// that is not white space, a comment or the document marker is `{`, or the source is JSON.
fn json_content(text: &str, part: &split::Part, format: SourceFormat) -> Option<usize> {
    let bytes = &text.as_bytes()[part.start..part.end];
    let mut ls = 0;
    while ls < bytes.len() {
        let le = memchr::memchr(b'\n', &bytes[ls..]).map_or(bytes.len(), |i| ls + i);
        let mut c = ls;
        if split::marker(&bytes[ls..le], b"---") {
            c += 3;
        }
        while c < le && matches!(bytes[c], b' ' | b'\t' | b'\r') {
            c += 1;
        }
        if c < le && bytes[c] != b'#' {
            if split::marker(&bytes[c..le], b"...") {
                return None;
            }
            let json = bytes[c] == b'{' || format == SourceFormat::Json;
            return json.then_some(part.start + c);
        }
        ls = le + 1;
    }
    None
}

/// Reads `text[start..end]` as YAML, with lines, spans and positions those of `text`.
fn parse_yaml_at(
    text: &str,
    start: usize,
    end: usize,
    line: u32,
    limits: &Limits,
    budget: &AliasBudget,
) -> yaml::Stream {
    let mut s = yaml::parse_with(&text[start..end], limits, budget);
    let shift = line - 1;
    for d in &mut s.documents {
        d.line += shift;
        d.span = d.span.start + start..d.span.end + start;
        if let Some(p) = d.positions.as_mut() {
            for l in p.iter_mut().step_by(2) {
                *l += shift;
            }
        }
    }
    for e in &mut s.errors {
        e.line += shift;
    }
    s
}

/// Reads a part whose content (from `content`) looks like JSON: as JSON values up to a
/// closing `...` line, and as YAML when that reads no value and YAML reads it without error.
fn parse_json_part(
    text: &str,
    part: &split::Part,
    content: usize,
    limits: &Limits,
    budget: &AliasBudget,
) -> yaml::Stream {
    let body = &text[part.start..part.end];
    let trimmed = body.trim_end_matches(['\n', '\r']);
    let last_line = trimmed.rfind('\n').map_or(0, |i| i + 1);
    let end = if split::marker(&trimmed.as_bytes()[last_line..], b"...") {
        part.start + last_line
    } else {
        part.end
    };
    let s = json::parse_range(text, content, end, (part.start, part.line as usize));
    if !s.documents.is_empty() || s.errors.is_empty() {
        return s;
    }
    // Text that merely starts with `{` may be a YAML flow mapping, and a document of a JSON
    // source may be YAML.
    let y = parse_yaml_at(text, part.start, part.end, part.line, limits, budget);
    let looks_json = matches!(text.as_bytes().get(content), Some(b'{' | b'['));
    if y.errors.is_empty() || !looks_json {
        y
    } else {
        s
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
    load_with(source, limits, &AliasBudget::of(limits), true)
}

/// Loads the Kubernetes objects of one source without keeping its text when no longer needed:
/// when every document recorded the positions of its nodes while parsing, findings are located
/// from those and the text is dropped (about the size of the input, in memory, for a large scan).
/// Documents that need a second parse (aliases, merge keys, duplicate keys, `List`s, JSON) keep
/// the text of their file.
pub fn load_lean(source: SourceFile, limits: &Limits) -> Loaded {
    load_with(source, limits, &AliasBudget::of(limits), false)
}

/// [`load`] (`lean: false`) or [`load_lean`] (`lean: true`), with aliases copying nodes from
/// `budget`: one budget for all the inputs of a run bounds the run, however many documents
/// its inputs hold.
pub fn load_in_budget(
    source: SourceFile,
    limits: &Limits,
    budget: &AliasBudget,
    lean: bool,
) -> Loaded {
    load_with(source, limits, budget, !lean)
}

fn load_with(
    mut source: SourceFile,
    limits: &Limits,
    budget: &AliasBudget,
    keep_text: bool,
) -> Loaded {
    normalize_line_breaks(&mut source.text);
    let stream = parse_stream_with(&source.text, source.format, limits, budget);
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
