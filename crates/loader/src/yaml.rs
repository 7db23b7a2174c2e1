//! A YAML stream → `kubecomply_core::Value` builder on top of the saphyr event parser.
//!
//! Values are built directly from parser events (no intermediate tree), with our own limits:
//! nesting depth, the number of nodes that aliases may materialise (alias bombs), and per-file
//! size (checked by the caller). Parse errors are recorded with line and column; parsing then
//! resumes at the next `---` line so one broken document does not hide the others.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};

use kubecomply_core::{Map, Value};
use saphyr_parser::{Event, Parser, ScalarStyle, Span};

use crate::scalar::{key_string, resolve_plain, resolve_tagged};

/// Limits that keep parsing bounded on hostile input.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Maximum nesting of mappings and sequences.
    pub max_depth: usize,
    /// Maximum number of nodes aliases may copy, in total over every document of one load: an
    /// [`AliasBudget`] shared by all the files of a run (`--max-alias-nodes`).
    pub max_alias_nodes: usize,
    /// Maximum size of one input in bytes.
    pub max_file_size: u64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_depth: 128,
            max_alias_nodes: 1_000_000,
            max_file_size: 64 * 1024 * 1024,
        }
    }
}

/// The number of nodes aliases may still copy, shared by every document that one load reads
/// (all the inputs of a run, in parallel). A limit per document would not bound a run: a small
/// file of many alias bombs, each just under the limit, would fill the memory. Once the budget
/// is spent, each document whose aliases need more is an error at the alias; documents without
/// aliases still load.
#[derive(Debug)]
pub struct AliasBudget {
    limit: usize,
    used: AtomicUsize,
}

impl AliasBudget {
    /// A budget of `limit` nodes.
    pub fn new(limit: usize) -> AliasBudget {
        AliasBudget {
            limit,
            used: AtomicUsize::new(0),
        }
    }

    /// The budget `limits` allow ([`Limits::max_alias_nodes`]).
    pub fn of(limits: &Limits) -> AliasBudget {
        AliasBudget::new(limits.max_alias_nodes)
    }

    /// Nodes aliases copied so far.
    pub fn used(&self) -> usize {
        self.used.load(Ordering::Relaxed)
    }

    /// The number of nodes aliases may copy in all.
    pub fn limit(&self) -> usize {
        self.limit
    }

    fn remaining(&self) -> usize {
        self.limit.saturating_sub(self.used())
    }

    /// Takes `n` nodes from the budget if that many are left.
    fn take(&self, n: usize) -> bool {
        self.used
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |used| {
                used.checked_add(n).filter(|&total| total <= self.limit)
            })
            .is_ok()
    }

    /// Counts `n` nodes copied under a budget of its own (see [`lenient`]).
    fn charge(&self, n: usize) {
        let _ = self
            .used
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |used| {
                Some(used.saturating_add(n))
            });
    }
}

/// A parsed document.
#[derive(Debug)]
pub struct RawDocument {
    /// The value.
    pub value: Value,
    /// 1-based line where the document's content starts.
    pub line: u32,
    /// Byte range of the document's text; starts at a line start.
    pub span: std::ops::Range<usize>,
    /// Line, column pairs of every node in document order, when the value maps one-to-one
    /// onto the document's nodes (no aliases, merge keys or duplicate keys).
    pub positions: Option<Vec<u32>>,
}

/// A parse problem with its position.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
    /// What went wrong.
    pub message: String,
}

/// The result of parsing one stream: the documents that could be read and the errors.
#[derive(Debug, Default)]
pub struct Stream {
    /// Documents, in order (empty documents are skipped).
    pub documents: Vec<RawDocument>,
    /// Problems, in order.
    pub errors: Vec<ParseError>,
}

/// Maps 1-based line numbers to byte offsets, and byte offsets to line numbers, by scanning
/// forward: a sequence of increasing queries costs one pass over the text in all.
pub(crate) struct LineCursor<'a> {
    text: &'a str,
    /// The line the cursor is on.
    line: usize,
    /// Byte offset of the start of `line`.
    offset: usize,
    /// How far `line` has been scanned (at least `offset`).
    pos: usize,
}

impl<'a> LineCursor<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        LineCursor {
            text,
            line: 1,
            offset: 0,
            pos: 0,
        }
    }

    /// A cursor on `line` (1-based), which starts at byte `offset` of `text`.
    pub(crate) fn at(text: &'a str, offset: usize, line: usize) -> Self {
        let offset = offset.min(text.len());
        LineCursor {
            text,
            line,
            offset,
            pos: offset,
        }
    }

    fn rewind(&mut self) {
        self.line = 1;
        self.offset = 0;
        self.pos = 0;
    }

    /// Byte offset of the start of `line` (clamped to the text length).
    pub(crate) fn offset_of(&mut self, line: usize) -> usize {
        if line < self.line {
            self.rewind();
        }
        while self.line < line {
            let from = self.pos.max(self.offset);
            match memchr::memchr(b'\n', &self.text.as_bytes()[from..]) {
                Some(i) => {
                    crate::work::scanned(i + 1);
                    self.offset = from + i + 1;
                    self.pos = self.offset;
                    self.line += 1;
                }
                None => {
                    crate::work::scanned(self.text.len() - from);
                    self.pos = self.text.len();
                    return self.text.len();
                }
            }
        }
        self.offset
    }

    /// The 1-based line of byte `offset` (clamped to the text length).
    pub(crate) fn line_at(&mut self, offset: usize) -> usize {
        let offset = offset.min(self.text.len());
        if offset < self.offset {
            self.rewind();
        }
        if offset > self.pos {
            let seen = &self.text.as_bytes()[self.pos..offset];
            crate::work::scanned(seen.len());
            for i in memchr::memchr_iter(b'\n', seen) {
                self.line += 1;
                self.offset = self.pos + i + 1;
            }
            self.pos = offset;
        }
        self.line
    }
}

enum Frame {
    Seq {
        /// Where this sequence's items start in `Builder::items`.
        start: usize,
        anchor: usize,
    },
    Map {
        /// Where this mapping's entries start in `Builder::entries`.
        start: usize,
        key: Option<Key>,
        merged: Option<Map>,
        anchor: usize,
    },
}

enum Key {
    Name(String, Span),
    Merge,
}

struct Builder<'l> {
    limits: &'l Limits,
    budget: &'l AliasBudget,
    stack: Vec<Frame>,
    /// Items of all open sequences, innermost last: collections are built with their exact
    /// size when they close, and these buffers are reused across documents.
    items: Vec<Value>,
    /// Entries (key, key position, value) of all open mappings, innermost last.
    entries: Vec<(String, Span, Value)>,
    anchors: HashMap<usize, (Value, usize)>,
    root: Option<Value>,
    /// Non-fatal problems (duplicate keys) of the current document.
    warnings: Vec<ParseError>,
    /// Line, column of every node started so far in the current document.
    positions: Vec<u32>,
    /// Whether the value still maps one-to-one onto `positions`.
    regular: bool,
}

/// A fatal problem in the current document.
struct DocError {
    span: Span,
    message: String,
}

fn count_nodes(v: &Value) -> usize {
    match v {
        Value::Array(a) => 1 + a.iter().map(count_nodes).sum::<usize>(),
        Value::Object(m) => 1 + m.values().map(count_nodes).sum::<usize>(),
        _ => 1,
    }
}

fn err_at(span: Span, message: impl Into<String>) -> DocError {
    DocError {
        span,
        message: message.into(),
    }
}

impl<'l> Builder<'l> {
    fn new(limits: &'l Limits, budget: &'l AliasBudget) -> Self {
        Builder {
            limits,
            budget,
            stack: Vec::new(),
            items: Vec::new(),
            entries: Vec::new(),
            anchors: HashMap::new(),
            root: None,
            warnings: Vec::new(),
            positions: Vec::new(),
            regular: true,
        }
    }

    fn reset(&mut self) {
        self.stack.clear();
        self.items.clear();
        self.entries.clear();
        self.anchors.clear();
        self.root = None;
        self.positions = Vec::new();
        self.regular = true;
    }

    fn open(&mut self, frame: Frame, span: Span) -> Result<(), DocError> {
        if self.stack.len() >= self.limits.max_depth {
            return Err(err_at(
                span,
                format!("nesting deeper than {} levels", self.limits.max_depth),
            ));
        }
        if let Some(Frame::Map { key: None, .. }) = self.stack.last() {
            return Err(err_at(
                span,
                "a mapping key must be a scalar, not a mapping or sequence",
            ));
        }
        self.stack.push(frame);
        Ok(())
    }

    fn anchor(&mut self, id: usize, v: &Value) {
        if id != 0 {
            self.anchors.insert(id, (v.clone(), count_nodes(v)));
        }
    }

    /// Delivers a finished value to the enclosing collection (or as the document root).
    fn deliver(&mut self, v: Value, span: Span) -> Result<(), DocError> {
        match self.stack.last_mut() {
            None => {
                self.root = Some(v);
                Ok(())
            }
            Some(Frame::Seq { .. }) => {
                self.items.push(v);
                Ok(())
            }
            Some(Frame::Map { key, merged, .. }) => match key.take() {
                None => {
                    // This value is a key.
                    match v {
                        Value::Array(_) | Value::Object(_) => Err(err_at(
                            span,
                            "a mapping key must be a scalar, not a mapping or sequence",
                        )),
                        other => {
                            *key = Some(Key::Name(key_string(other), span));
                            Ok(())
                        }
                    }
                }
                Some(Key::Merge) => {
                    let sources: Vec<Value> = match v {
                        Value::Object(_) => vec![v],
                        Value::Array(items) => items,
                        _ => {
                            return Err(err_at(
                                span,
                                "a merge key `<<` needs a mapping or a list of mappings",
                            ));
                        }
                    };
                    let target = merged.get_or_insert_with(Map::new);
                    for src in sources {
                        let Value::Object(m) = src else {
                            return Err(err_at(
                                span,
                                "a merge key `<<` needs a mapping or a list of mappings",
                            ));
                        };
                        target.merge_missing(m);
                    }
                    Ok(())
                }
                Some(Key::Name(k, key_span)) => {
                    self.entries.push((k, key_span, v));
                    Ok(())
                }
            },
        }
    }

    fn event(&mut self, ev: Event<'_>, span: Span) -> Result<(), DocError> {
        match ev {
            Event::Scalar(text, style, anchor, tag) => {
                // A plain `<<` in key position is a merge key.
                if style == ScalarStyle::Plain
                    && text == "<<"
                    && tag.is_none()
                    && let Some(Frame::Map { key: k @ None, .. }) = self.stack.last_mut()
                {
                    *k = Some(Key::Merge);
                    self.regular = false;
                    return Ok(());
                }
                let v = match (&tag, style) {
                    (Some(t), _) if t.is_yaml_core_schema() => {
                        resolve_tagged(&text, &t.suffix).map_err(|m| err_at(span, m))?
                    }
                    (_, ScalarStyle::Plain) => resolve_plain(&text),
                    _ => Value::String(text.into_owned()),
                };
                self.anchor(anchor, &v);
                self.deliver(v, span)
            }
            Event::SequenceStart(anchor, _) => self.open(
                Frame::Seq {
                    start: self.items.len(),
                    anchor,
                },
                span,
            ),
            Event::MappingStart(anchor, _) => self.open(
                Frame::Map {
                    start: self.entries.len(),
                    key: None,
                    merged: None,
                    anchor,
                },
                span,
            ),
            Event::SequenceEnd | Event::MappingEnd => {
                let (v, anchor) = match self.stack.pop() {
                    Some(Frame::Seq { start, anchor }) => {
                        let mut items = Vec::with_capacity(self.items.len() - start);
                        items.extend(self.items.drain(start..));
                        (Value::Array(items), anchor)
                    }
                    Some(Frame::Map {
                        start,
                        merged,
                        anchor,
                        ..
                    }) => {
                        let drained: Vec<(String, Span, Value)> =
                            self.entries.drain(start..).collect();
                        let mut spans = Vec::with_capacity(drained.len());
                        let entries: Vec<(String, Value)> = drained
                            .into_iter()
                            .map(|(k, key_span, val)| {
                                spans.push(key_span);
                                (k, val)
                            })
                            .collect();
                        let mut duplicates = Vec::new();
                        let mut map = Map::from_entries_reporting(entries, |i, k| {
                            duplicates.push((i, k.to_string()));
                        });
                        for (i, k) in duplicates {
                            self.regular = false;
                            let key_span = spans[i];
                            self.warnings.push(ParseError {
                                line: key_span.start.line() as u32,
                                column: key_span.start.col() as u32 + 1,
                                message: format!(
                                    "duplicate key {k:?} in a mapping (the last value is used)"
                                ),
                            });
                        }
                        if let Some(m) = merged {
                            map.merge_missing(m);
                        }
                        (Value::Object(map), anchor)
                    }
                    None => return Err(err_at(span, "unbalanced collection end")),
                };
                self.anchor(anchor, &v);
                self.deliver(v, span)
            }
            Event::Alias(id) => {
                self.regular = false;
                let Some((v, nodes)) = self.anchors.get(&id) else {
                    return Err(err_at(span, "alias to an unknown anchor"));
                };
                if !self.budget.take(*nodes) {
                    return Err(err_at(
                        span,
                        format!(
                            "aliases would copy more than {} nodes in all the inputs of this run \
                             (possible alias bomb; raise the limit with --max-alias-nodes)",
                            self.budget.limit()
                        ),
                    ));
                }
                let v = v.clone();
                self.deliver(v, span)
            }
            Event::StreamStart
            | Event::StreamEnd
            | Event::DocumentStart(_)
            | Event::DocumentEnd
            | Event::Nothing => Ok(()),
        }
    }
}

/// Streams at least this large have their documents parsed in parallel.
const PARALLEL_THRESHOLD: usize = 256 * 1024;

/// Parses a YAML stream into documents.
///
/// The stream is cut at `---` lines that start a document: a document marker at the start of a
/// line always ends the previous document (inside a document such a line is either a boundary
/// or an error), so each piece holds at most one document and parses the same alone. Each
/// piece is read by the fast path for plain block YAML (`fast.rs`) and, when it uses anything
/// else, by the full saphyr parser ([`parse_sequential`]); large streams (`helm template`
/// output, cluster dumps) have their pieces parsed in parallel.
pub fn parse(text: &str, limits: &Limits) -> Stream {
    parse_with(text, limits, &AliasBudget::of(limits))
}

/// [`parse`], with aliases copying nodes from `budget`.
pub fn parse_with(text: &str, limits: &Limits, budget: &AliasBudget) -> Stream {
    let pieces = split_at_documents(text, usize::MAX);
    let one = |&(start, end, line): &(usize, usize, u32)| -> Stream {
        let piece = &text[start..end];
        match crate::fast::parse_piece(piece, line, limits) {
            Ok(doc) => Stream {
                documents: doc
                    .map(|d| RawDocument {
                        value: d.value,
                        line: d.line,
                        span: start + d.start..end,
                        positions: Some(d.positions),
                    })
                    .into_iter()
                    .collect(),
                errors: Vec::new(),
            },
            Err(()) => {
                let mut s = parse_sequential_with(piece, limits, budget);
                if s.errors.iter().any(|e| e.message == SHALLOW_QUOTED) {
                    s = parse_lenient(piece, limits, s, budget);
                }
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
        }
    };
    let parsed: Vec<Stream> = if text.len() >= PARALLEL_THRESHOLD && pieces.len() > 1 {
        use rayon::prelude::*;
        pieces.par_iter().map(one).collect()
    } else {
        pieces.iter().map(one).collect()
    };
    let mut out = Stream::default();
    for mut piece in parsed {
        out.documents.append(&mut piece.documents);
        out.errors.append(&mut piece.errors);
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

/// saphyr's message for a quoted scalar continued on a line indented no deeper than its key.
pub(crate) const SHALLOW_QUOTED: &str = "invalid indentation in quoted scalar";

/// The warning that replaces it when the document is read as kubectl reads it.
pub const SHALLOW_QUOTED_WARNING: &str = "quoted scalar continued on a line indented no deeper than its key: invalid in YAML 1.2, read as kubectl (Go's YAML) reads it";

/// A text read as Go's YAML (kubectl, gator) reads it when a quoted scalar continues on a line
/// indented no deeper than its key, which YAML 1.2 and saphyr reject: those continuation lines
/// get more indentation. Leading white space of a quoted scalar's continuation lines is not part
/// of its value, so the value is the one Go reads. Line numbers do not change; columns on the
/// indented lines and byte offsets after them do, and [`Lenient::column`] maps columns back.
pub(crate) struct Lenient {
    /// The text with the continuation lines indented.
    pub text: String,
    /// Spaces added at the start of a line, by 1-based line number.
    added: Vec<(u32, u32)>,
    /// The parse of `text`.
    pub stream: Stream,
    /// One warning per indented line.
    pub warnings: Vec<ParseError>,
}

impl Lenient {
    /// The column in the original text of a column on `line` (1-based) of the indented text.
    pub fn column(&self, line: u32, column: u32) -> u32 {
        let added: u32 = self
            .added
            .iter()
            .filter(|(l, _)| *l == line)
            .map(|(_, n)| n)
            .sum();
        column.saturating_sub(added).max(1)
    }
}

/// Reads `piece` leniently (see [`Lenient`]) when its strict parse `strict` failed on a quoted
/// scalar continued on a shallow line; `None` when that does not make the error go away.
///
/// Each round parses with a budget of what is left of `budget`; the nodes aliases copy in the
/// final round are then counted in `budget`.
pub(crate) fn lenient(
    piece: &str,
    limits: &Limits,
    strict: &Stream,
    budget: &AliasBudget,
) -> Option<Lenient> {
    let mut lines: Vec<String> = piece.split_inclusive('\n').map(str::to_string).collect();
    let mut warnings = Vec::new();
    let mut added = Vec::new();
    let mut current: Option<Stream> = None;
    let mut copied = 0;
    // A bounded number of rounds: each fixes the first offending line.
    for _ in 0..64 {
        let now = current.as_ref().unwrap_or(strict);
        let Some(e) = now.errors.iter().find(|e| e.message == SHALLOW_QUOTED) else {
            break;
        };
        // saphyr reports the end of the line before the continuation: its 1-based number is
        // the 0-based index of the continuation line.
        let next = e.line as usize;
        if next == 0 || next >= lines.len() {
            return None;
        }
        let key_indent = lines[next - 1].bytes().take_while(|&b| b == b' ').count();
        let have = lines[next].bytes().take_while(|&b| b == b' ').count();
        if have > key_indent {
            return None;
        }
        let n = key_indent + 1 - have;
        lines[next].insert_str(0, &" ".repeat(n));
        added.push((next as u32 + 1, n as u32));
        warnings.push(ParseError {
            line: next as u32 + 1,
            column: 1,
            message: SHALLOW_QUOTED_WARNING.to_string(),
        });
        let round = AliasBudget::new(budget.remaining());
        current = Some(parse_sequential_with(&lines.concat(), limits, &round));
        copied = round.used();
    }
    let stream = current?;
    budget.charge(copied);
    if stream.errors.iter().any(|e| e.message == SHALLOW_QUOTED) {
        return None;
    }
    Some(Lenient {
        text: lines.concat(),
        added,
        stream,
        warnings,
    })
}

/// Parses a piece whose strict parse failed on a quoted scalar continued on a shallow line as
/// Go's YAML does ([`lenient`]), with each adjusted line a warning, and positions, spans and
/// error columns given in the piece's own text. Gives back `strict` when that does not help.
fn parse_lenient(piece: &str, limits: &Limits, strict: Stream, budget: &AliasBudget) -> Stream {
    let Some(mut l) = lenient(piece, limits, &strict, budget) else {
        return strict;
    };
    let mut fixed = std::mem::take(&mut l.stream);
    // Lines are the same in both texts: spans start at their document's line in the piece.
    let mut cursor = LineCursor::new(piece);
    for d in &mut fixed.documents {
        d.span = cursor.offset_of(d.line as usize)..piece.len();
        if let Some(p) = d.positions.as_mut() {
            for pair in p.chunks_exact_mut(2) {
                pair[1] = l.column(pair[0], pair[1]);
            }
        }
    }
    for i in 1..fixed.documents.len() {
        let next = fixed.documents[i].span.start;
        let cur = &mut fixed.documents[i - 1].span;
        if next >= cur.start {
            cur.end = next;
        }
    }
    for e in &mut fixed.errors {
        e.column = l.column(e.line, e.column);
    }
    fixed.errors.append(&mut l.warnings);
    fixed.errors.sort_by_key(|e| (e.line, e.column));
    fixed
}

/// Cuts `text` into about `n` pieces at lines that start with a document marker `---`;
/// returns (byte start, byte end, first line number) of each piece.
fn split_at_documents(text: &str, n: usize) -> Vec<(usize, usize, u32)> {
    let bytes = text.as_bytes();
    let target = text.len() / n.max(1) + 1;
    let mut pieces = Vec::new();
    let (mut start, mut start_line) = (0usize, 1u32);
    let (mut pos, mut line) = (0usize, 1u32);
    // Whether the last line with content (not blank, not a comment) is a directive.
    let mut after_directive = false;
    while let Some(i) = memchr::memchr(b'\n', &bytes[pos..]) {
        // The line that this newline ends starts where the previous one ended.
        let prev_line = &bytes[pos..pos + i];
        if let Some(&first) = prev_line
            .iter()
            .find(|&&b| !matches!(b, b' ' | b'\t' | b'\r'))
            && first != b'#'
        {
            after_directive = prev_line[0] == b'%';
        }
        pos += i + 1;
        line += 1;
        if pos - start < target {
            continue;
        }
        let rest = &bytes[pos..];
        // Directives (`%YAML`, `%TAG`) belong to the document after them: never cut there.
        if !after_directive && crate::split::marker(rest, b"---") {
            pieces.push((start, pos, start_line));
            start = pos;
            start_line = line;
        }
    }
    pieces.push((start, text.len(), start_line));
    pieces
}

/// Parses a YAML stream on the current thread (what [`parse`] does for small inputs and for
/// each piece of a large one).
pub fn parse_sequential(text: &str, limits: &Limits) -> Stream {
    parse_sequential_with(text, limits, &AliasBudget::of(limits))
}

/// [`parse_sequential`], with aliases copying nodes from `budget`.
pub fn parse_sequential_with(text: &str, limits: &Limits, budget: &AliasBudget) -> Stream {
    let mut out = Stream::default();
    let mut cursor = LineCursor::new(text);
    let mut base_line = 0usize; // lines before the current parser's input
    let mut base_byte = 0usize;
    let mut builder = Builder::new(limits, budget);
    'restart: loop {
        let input = &text[base_byte..];
        let mut parser = Parser::new_from_str(input);
        let mut doc_start: Option<usize> = None; // absolute 1-based line
        builder.reset();
        loop {
            let (ev, span) = match parser.next_event() {
                None => break 'restart,
                Some(Ok(x)) => x,
                Some(Err(e)) => {
                    take_warnings(&mut builder, base_line, &mut out.errors);
                    let line = e.marker().line() + base_line;
                    out.errors.push(ParseError {
                        line: line as u32,
                        column: e.marker().col() as u32 + 1,
                        message: e.info().to_string(),
                    });
                    let from = resume_from(doc_start, line, base_line);
                    match resume_after(text, &mut cursor, from) {
                        Some((l, b)) => {
                            base_line = l - 1;
                            base_byte = b;
                            continue 'restart;
                        }
                        None => break 'restart,
                    }
                }
            };
            let abs_line = span.start.line() + base_line;
            match ev {
                Event::DocumentStart(_) => {
                    doc_start = Some(abs_line);
                    builder.reset();
                }
                Event::DocumentEnd => {
                    take_warnings(&mut builder, base_line, &mut out.errors);
                    if let (Some(v), Some(start)) = (builder.root.take(), doc_start.take())
                        && !v.is_null()
                    {
                        let start_byte = cursor.offset_of(start);
                        let positions = builder
                            .regular
                            .then(|| std::mem::take(&mut builder.positions));
                        out.documents.push(RawDocument {
                            value: v,
                            line: start as u32,
                            span: start_byte..text.len(),
                            positions,
                        });
                    }
                }
                Event::StreamEnd => break 'restart,
                other => {
                    if matches!(
                        other,
                        Event::Scalar(..)
                            | Event::SequenceStart(..)
                            | Event::MappingStart(..)
                            | Event::Alias(_)
                    ) {
                        builder.positions.push(abs_line as u32);
                        builder.positions.push(span.start.col() as u32 + 1);
                    }
                    if let Err(e) = builder.event(other, span) {
                        let line = e.span.start.line() + base_line;
                        take_warnings(&mut builder, base_line, &mut out.errors);
                        out.errors.push(ParseError {
                            line: line as u32,
                            column: e.span.start.col() as u32 + 1,
                            message: e.message,
                        });
                        let from = resume_from(doc_start, line, base_line);
                        match resume_after(text, &mut cursor, from) {
                            Some((l, b)) => {
                                base_line = l - 1;
                                base_byte = b;
                                continue 'restart;
                            }
                            None => break 'restart,
                        }
                    }
                }
            }
        }
    }
    // Each document ends where the next one starts.
    for i in 1..out.documents.len() {
        let next = out.documents[i].span.start;
        let cur = &mut out.documents[i - 1].span;
        if next >= cur.start {
            cur.end = next;
        }
    }
    out.errors.sort_by_key(|e| (e.line, e.column));
    out
}

/// The line after which to look for the next `---` after an error at `line`: the start of the
/// open document, or, between documents (after `...`, in directives), the line before the
/// error, so that no document already read is read again; always past the last restart at
/// `base_line + 1`, so that parsing moves on.
fn resume_from(doc_start: Option<usize>, line: usize, base_line: usize) -> usize {
    match doc_start {
        Some(d) => d.min(line),
        None => line.saturating_sub(1),
    }
    .max(base_line + 1)
}

/// Moves the warnings of the current document to `errors`, on the lines of the whole text:
/// the builder's spans count from `base_line`, where the parser last (re)started.
fn take_warnings(builder: &mut Builder<'_>, base_line: usize, errors: &mut Vec<ParseError>) {
    for mut w in builder.warnings.drain(..) {
        w.line += base_line as u32;
        errors.push(w);
    }
}

/// Finds the first `---` line after `line`; returns its line number and byte offset.
fn resume_after(text: &str, cursor: &mut LineCursor<'_>, line: usize) -> Option<(usize, usize)> {
    let mut l = line + 1;
    loop {
        let off = cursor.offset_of(l);
        if off >= text.len() {
            return None;
        }
        let rest = &text.as_bytes()[off..];
        if rest.starts_with(b"---")
            && rest
                .get(3)
                .is_none_or(|c| matches!(c, b' ' | b'\t' | b'\r' | b'\n'))
        {
            return Some((l, off));
        }
        l += 1;
    }
}
