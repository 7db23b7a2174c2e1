//! A fast path for the plain block YAML that manifests are almost always written in.
//!
//! Profiling the 100,000-object benchmark showed the saphyr event parser taking about half of
//! the load time. Generated and hand-written manifests use a small part of YAML: block
//! mappings and sequences indented with spaces, plain scalars, simple quoted scalars, empty
//! flow collections (`{}`, `[]`) and literal block scalars (`|`). This module reads exactly that
//! subset, line by line, and builds the value and the node positions directly.
//!
//! It never decides anything the full parser would decide differently: on the first construct
//! outside the subset (tabs, anchors, aliases, tags, flow collections with content, folded or
//! keeping block scalars, multi-line plain or quoted scalars, escapes other than the common
//! ones, duplicate or merge keys, directives, document end markers, anything malformed) it
//! gives up on the whole document and the caller parses that document with saphyr. Errors and
//! warnings therefore always come from the full parser. `tests/fast_path.rs` checks that both
//! paths give the same values, lines and positions, and the `loader` fuzz target compares them
//! on arbitrary input.
//!
//! Recursion is bounded by the depth limit (deeper documents fall back, and the full parser
//! reports them).

use kubecomply_core::{Map, Value};

use crate::scalar::{key_string, resolve_plain};
use crate::yaml::Limits;

/// One line of the document.
#[derive(Clone, Copy)]
struct Line {
    /// Byte offset of the line start.
    start: usize,
    /// Byte offset of the end of the content (before `\n`).
    end: usize,
    /// Leading spaces.
    indent: usize,
    /// Blank or comment-only.
    skip: bool,
}

/// A document read by the fast path: the value, the 1-based line of its start and the node
/// positions (line, column pairs in document order, as the full parser records them).
pub(crate) struct FastDocument {
    pub value: Value,
    pub line: u32,
    /// Byte offset (in the piece) of the start of that line.
    pub start: usize,
    pub positions: Vec<u32>,
}

struct Reader<'a> {
    text: &'a str,
    lines: Vec<Line>,
    /// Index of the current line.
    at: usize,
    /// Absolute 1-based line number of `lines[0]`.
    first_line: u32,
    positions: Vec<u32>,
    max_depth: usize,
    /// The whole text is ASCII (byte columns are character columns).
    ascii: bool,
    /// Items of the open sequences and entries of the open mappings, innermost last: each
    /// collection is built with its exact size when it ends.
    items: Vec<Value>,
    entries: Vec<(String, Value)>,
}

/// Why the fast path gave up (always: "let the full parser do it").
struct Fallback;

type R<T> = Result<T, Fallback>;

/// Reads one document piece: the text from a `---` line (or the start of the stream) up to the
/// next `---` line. `first_line` is the absolute line number of the piece's first line.
/// Returns `Ok(None)` for a piece with no document, `Err` when the full parser must decide.
pub(crate) fn parse_piece(
    text: &str,
    first_line: u32,
    limits: &Limits,
) -> Result<Option<FastDocument>, ()> {
    let bytes = text.as_bytes();
    let Some(ascii) = printable(bytes) else {
        return Err(());
    };
    if memchr::memchr2(b'\t', b'\r', bytes).is_some()
        || memchr::memmem::find(bytes, "\u{feff}".as_bytes()).is_some()
    {
        // Tabs and carriage returns change indentation and line rules; byte order marks are
        // only allowed in some places.
        return Err(());
    }
    let mut lines = Vec::with_capacity(bytes.len() / 24 + 1);
    let mut start = 0usize;
    while start < bytes.len() {
        let end = memchr::memchr(b'\n', &bytes[start..]).map_or(bytes.len(), |i| start + i);
        let indent = bytes[start..end].iter().take_while(|&&b| b == b' ').count();
        let skip = start + indent == end || bytes[start + indent] == b'#';
        if indent == 0 && !skip && (bytes[start] == b'%' || bytes[start..end].starts_with(b"...")) {
            // Directives and document end markers.
            return Err(());
        }
        lines.push(Line {
            start,
            end,
            indent,
            skip,
        });
        start = end + 1;
    }
    let positions = Vec::with_capacity(lines.len() * 4);
    let mut r = Reader {
        text,
        lines,
        at: 0,
        first_line,
        positions,
        max_depth: limits.max_depth,
        ascii,
        items: Vec::new(),
        entries: Vec::new(),
    };
    r.document().map_err(|_| ())
}

impl<'a> Reader<'a> {
    fn content(&self, i: usize) -> &'a str {
        let l = self.lines[i];
        &self.text[l.start + l.indent..l.end]
    }

    /// Skips blank and comment lines; returns the index of the next content line.
    fn next_content(&mut self) -> Option<usize> {
        while self.at < self.lines.len() && self.lines[self.at].skip {
            self.at += 1;
        }
        (self.at < self.lines.len()).then_some(self.at)
    }

    /// Records a node at byte column `column0` of line `line`. Columns count characters, as
    /// the full parser does.
    fn position(&mut self, line: usize, column0: usize) {
        let start = self.lines[line].start;
        let column = if self.ascii || self.text.as_bytes()[start..start + column0].is_ascii() {
            column0
        } else {
            self.text[start..start + column0].chars().count()
        };
        self.positions.push(self.first_line + line as u32);
        self.positions.push(column as u32 + 1);
    }

    fn document(&mut self) -> R<Option<FastDocument>> {
        let Some(first) = self.next_content() else {
            return Ok(None);
        };
        let explicit = self.content(first).starts_with("---");
        if explicit {
            if self.lines[first].indent != 0 || !self.content(first)[3..].trim_start().is_empty() {
                // Content, a tag or a comment on the marker line.
                return Err(Fallback);
            }
            self.at += 1;
        }
        let Some(body) = self.next_content() else {
            // An explicit document with no content is null: skipped, as the full parser does.
            return Ok(None);
        };
        let start_line = if explicit { first } else { body };
        let indent = self.lines[body].indent;
        let value = self.node(indent, 0)?;
        if self.next_content().is_some() {
            return Err(Fallback);
        }
        if value.is_null() {
            return Ok(None);
        }
        Ok(Some(FastDocument {
            value,
            line: self.first_line + start_line as u32,
            start: self.lines[start_line].start,
            positions: std::mem::take(&mut self.positions),
        }))
    }

    /// A block node whose first line is the current content line, at `indent`.
    fn node(&mut self, indent: usize, depth: usize) -> R<Value> {
        if depth >= self.max_depth {
            return Err(Fallback);
        }
        let i = self.next_content().ok_or(Fallback)?;
        let c = self.content(i);
        if c == "-" || c.starts_with("- ") {
            self.sequence(indent, depth, false)
        } else {
            self.mapping(indent, depth)
        }
    }

    /// A block sequence at `indent`. An `indentless` one (the value of a mapping key at the
    /// key's own indentation) is recorded by the full parser at its first item's content.
    fn sequence(&mut self, indent: usize, depth: usize, indentless: bool) -> R<Value> {
        let first = self.at;
        if indentless {
            let c = self.content(first);
            let spaces = c[1..].bytes().take_while(|&b| b == b' ').count();
            if 1 + spaces >= c.len() || c.as_bytes()[1 + spaces] == b'#' {
                return Err(Fallback);
            }
            self.position(first, indent + 1 + spaces);
        } else {
            self.position(first, indent);
        }
        let start = self.items.len();
        while let Some(i) = self.next_content() {
            let l = self.lines[i];
            let c = self.content(i);
            if l.indent != indent || !(c == "-" || c.starts_with("- ")) {
                if l.indent >= indent {
                    // More indented, or an entry that is not an item: not ours.
                    if l.indent > indent || !is_key_line(c) {
                        return Err(Fallback);
                    }
                }
                break;
            }
            let rest = &c[1..];
            let spaces = rest.bytes().take_while(|&b| b == b' ').count();
            let item_col = indent + 1 + spaces;
            let item = &rest[spaces..];
            if item.is_empty() || item.starts_with('#') {
                // The item is on the following lines (or null).
                self.at += 1;
                match self.next_content() {
                    Some(j) if self.lines[j].indent > indent => {
                        let ind = self.lines[j].indent;
                        let v = self.node(ind, depth + 1)?;
                        self.items.push(v);
                    }
                    _ => return Err(Fallback),
                }
                continue;
            }
            if item.starts_with("- ") || item == "-" {
                // A nested compact sequence.
                return Err(Fallback);
            }
            if is_key_line(item) {
                // A compact mapping: its entries are at the column of its first key.
                self.replace_line_indent(i, item_col);
                let v = self.mapping(item_col, depth + 1)?;
                self.items.push(v);
                continue;
            }
            let v = self.inline_value(i, item_col, indent, depth + 1)?;
            self.items.push(v);
        }
        let mut items = Vec::with_capacity(self.items.len() - start);
        items.extend(self.items.drain(start..));
        Ok(Value::Array(items))
    }

    /// Treats line `i` as if it started at column `col` (for the first key of a compact
    /// mapping inside a sequence item).
    fn replace_line_indent(&mut self, i: usize, col: usize) {
        self.lines[i].indent = col;
    }

    fn mapping(&mut self, indent: usize, depth: usize) -> R<Value> {
        if depth >= self.max_depth {
            return Err(Fallback);
        }
        let first = self.at;
        self.position(first, indent);
        let start = self.entries.len();
        while let Some(i) = self.next_content() {
            let l = self.lines[i];
            if l.indent < indent {
                break;
            }
            if l.indent > indent {
                return Err(Fallback);
            }
            let c = self.content(i);
            if c == "-" || c.starts_with("- ") {
                // A sequence item at this indentation ends the mapping (it belongs to an
                // enclosing sequence); anything else is for the full parser.
                break;
            }
            let (key, after) = split_key(c).ok_or(Fallback)?;
            if key == "<<" {
                return Err(Fallback);
            }
            self.position(i, indent);
            let key = match key.as_bytes()[0] {
                b'"' => double_quoted(key).ok_or(Fallback)?,
                b'\'' => single_quoted(key).ok_or(Fallback)?,
                _ => key_string(resolve_plain(key)),
            };
            let vcol = indent + after;
            let rest = &c[after..];
            let v = if rest.is_empty() || rest.starts_with('#') {
                self.at += 1;
                match self.next_content() {
                    Some(j) if self.lines[j].indent > indent => {
                        let ind = self.lines[j].indent;
                        self.node(ind, depth + 1)?
                    }
                    Some(j)
                        if self.lines[j].indent == indent && {
                            let cj = self.content(j);
                            cj == "-" || cj.starts_with("- ")
                        } =>
                    {
                        self.sequence(indent, depth + 1, true)?
                    }
                    _ => return Err(Fallback),
                }
            } else {
                self.inline_value(i, vcol, indent, depth + 1)?
            };
            self.entries.push((key, v));
        }
        if self.entries.len() == start {
            return Err(Fallback);
        }
        let entries: Vec<(String, Value)> = self.entries.drain(start..).collect();
        if Map::first_duplicate(&entries).is_some() {
            // Duplicate keys: the full parser warns.
            return Err(Fallback);
        }
        Ok(Value::Object(Map::from_unique(entries)))
    }

    /// A value that starts on line `i` at column `col` (after `key: ` or `- `), inside a
    /// collection at `parent` indentation. Advances past it.
    fn inline_value(&mut self, i: usize, col: usize, parent: usize, depth: usize) -> R<Value> {
        if depth >= self.max_depth {
            return Err(Fallback);
        }
        let l = self.lines[i];
        let s = &self.text[l.start + col..l.end];
        let b = s.as_bytes()[0];
        let v = match b {
            b'"' | b'\'' => {
                let end = quoted_end(s).ok_or(Fallback)?;
                if !trailing_ok(&s[end..]) {
                    return Err(Fallback);
                }
                self.position(i, col);
                let q = &s[..end];
                Value::String(if b == b'"' {
                    double_quoted(q).ok_or(Fallback)?
                } else {
                    single_quoted(q).ok_or(Fallback)?
                })
            }
            b'{' | b'[' => {
                let close = if b == b'{' { '}' } else { ']' };
                let inner = s[1..].trim_start_matches(' ');
                if !inner.starts_with(close) || !trailing_ok(&inner[1..]) {
                    return Err(Fallback);
                }
                self.position(i, col);
                if b == b'{' {
                    Value::Object(Map::new())
                } else {
                    Value::Array(Vec::new())
                }
            }
            b'|' => {
                let header = &s[1..];
                let strip = header.starts_with('-');
                let header = header.strip_prefix('-').unwrap_or(header);
                if !trailing_ok(header) {
                    return Err(Fallback);
                }
                self.at = i + 1;
                return self.literal(parent, strip).map(Value::String);
            }
            b'>' | b'%' | b'@' | b'`' | b',' | b']' | b'}' | b'#' | b'?' | b'&' | b'*' | b'!' => {
                return Err(Fallback);
            }
            _ => {
                if s.starts_with("- ") || s == "-" || s.starts_with(": ") || s == ":" {
                    return Err(Fallback);
                }
                let text = plain_inline(s).ok_or(Fallback)?;
                self.position(i, col);
                resolve_plain(text)
            }
        };
        self.at = i + 1;
        // A more indented line after a complete value would continue it (a multi-line
        // scalar) or be an error: the full parser decides.
        if let Some(j) = self.next_content()
            && self.lines[j].indent > parent
        {
            return Err(Fallback);
        }
        Ok(v)
    }

    /// A literal block scalar whose content starts at the current line; `parent` is the
    /// indentation of the collection holding it. Clip (`|`) or strip (`|-`) chomping.
    fn literal(&mut self, parent: usize, strip: bool) -> R<String> {
        let blank = |l: &Line| l.indent == l.end - l.start;
        // Content indentation: that of the first non-blank line.
        let mut j = self.at;
        while j < self.lines.len() && blank(&self.lines[j]) {
            j += 1;
        }
        if j >= self.lines.len() || self.lines[j].indent <= parent {
            return Err(Fallback);
        }
        let ind = self.lines[j].indent;
        self.position(j, ind);
        let mut k = j;
        while k < self.lines.len() {
            let l = self.lines[k];
            if !blank(&l) && l.indent < ind {
                break;
            }
            k += 1;
        }
        // A block scalar running into the end of a text without a final line break is read
        // differently by the full parser (it keeps a trailing blank line): leave it to it.
        if k == self.lines.len() && !self.text.ends_with('\n') {
            return Err(Fallback);
        }
        // Blank lines with more spaces than the content indentation carry content (or are
        // an error before the first line): leave them to the full parser.
        if self.lines[self.at..k]
            .iter()
            .any(|l| blank(l) && l.indent > ind)
        {
            return Err(Fallback);
        }
        // Trailing blank lines are chomped.
        let mut last = k;
        while last > j && blank(&self.lines[last - 1]) {
            last -= 1;
        }
        let mut out = String::new();
        for _ in self.at..j {
            out.push('\n');
        }
        for (n, l) in self.lines[j..last].iter().enumerate() {
            if n > 0 {
                out.push('\n');
            }
            if !blank(l) {
                out.push_str(&self.text[l.start + ind..l.end]);
            }
        }
        if !strip {
            out.push('\n');
        }
        self.at = k;
        Ok(out)
    }
}

/// Whether a line's content starts a mapping entry (`key:` or `key: ...`).
fn is_key_line(c: &str) -> bool {
    split_key(c).is_some()
}

/// Splits `key: rest` into the raw key text and the byte offset where the value starts (after
/// the colon and spaces; the length of `c` if none). Plain, double- and single-quoted keys on
/// one line.
fn split_key(c: &str) -> Option<(&str, usize)> {
    let b = c.as_bytes();
    let key_end = match b.first()? {
        b'"' | b'\'' => {
            let e = quoted_end(c)?;
            if b.get(e) != Some(&b':') {
                return None;
            }
            e
        }
        b'[' | b']' | b'{' | b'}' | b',' | b'#' | b'&' | b'*' | b'!' | b'|' | b'>' | b'%'
        | b'@' | b'`' | b'?' | b':' | b'-' => return None,
        _ => {
            let mut k = None;
            let mut p = 0;
            while let Some(off) = memchr::memchr(b':', &b[p..]) {
                let q = p + off;
                if b.get(q + 1).is_none_or(|&n| n == b' ') {
                    k = Some(q);
                    break;
                }
                p = q + 1;
            }
            let q = k?;
            let key = &c[..q];
            if key.ends_with(' ') || key.contains(" #") {
                return None;
            }
            q
        }
    };
    // YAML limits implicit keys to 1024 characters; the full parser reports longer ones.
    if key_end > 1000 {
        return None;
    }
    let after = c[key_end + 1..].bytes().take_while(|&x| x == b' ').count();
    let value_start = key_end + 1 + after;
    if value_start < c.len() && after == 0 {
        return None;
    }
    Some((&c[..key_end], value_start))
}

/// The end (exclusive) of a quoted scalar starting at `s[0]`, on this line.
fn quoted_end(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    let q = b[0];
    let mut i = 1;
    while i < b.len() {
        match b[i] {
            b'\\' if q == b'"' => i += 2,
            c if c == q => {
                if q == b'\'' && b.get(i + 1) == Some(&b'\'') {
                    i += 2;
                } else {
                    return Some(i + 1);
                }
            }
            _ => i += 1,
        }
    }
    None
}

/// After a complete value: nothing, or spaces and a comment.
fn trailing_ok(s: &str) -> bool {
    let t = s.trim_start_matches(' ');
    t.is_empty() || (t.starts_with('#') && t.len() < s.len())
}

/// The content of a double-quoted scalar (with quotes) with the common escapes.
fn double_quoted(q: &str) -> Option<String> {
    let inner = &q[1..q.len() - 1];
    if !inner.contains('\\') {
        return Some(inner.to_string());
    }
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        out.push(match chars.next()? {
            '\\' => '\\',
            '"' => '"',
            '/' => '/',
            'n' => '\n',
            't' => '\t',
            'r' => '\r',
            '0' => '\0',
            ' ' => ' ',
            _ => return None,
        });
    }
    Some(out)
}

/// The content of a single-quoted scalar (with quotes).
fn single_quoted(q: &str) -> Option<String> {
    Some(q[1..q.len() - 1].replace("''", "'"))
}

/// A plain scalar that fills the rest of its line (up to a comment), trimmed; `None` when the
/// text contains what the full parser treats specially on one line (`: `, a trailing colon).
fn plain_inline(s: &str) -> Option<&str> {
    let b = s.as_bytes();
    let mut end = b.len();
    let mut p = 0;
    while let Some(off) = memchr::memchr(b'#', &b[p..]) {
        let h = p + off;
        if h > 0 && b[h - 1] == b' ' {
            end = h;
            break;
        }
        p = h + 1;
    }
    let t = s[..end].trim_end_matches(' ');
    if t.is_empty() || t.contains(": ") || t.ends_with(':') {
        return None;
    }
    Some(t)
}

/// Whether every character is one YAML allows in a stream (c-printable, plus line feeds; tabs
/// and carriage returns are checked separately), and no line break but `\n`: `None` if not,
/// else whether the text is all ASCII.
fn printable(bytes: &[u8]) -> Option<bool> {
    let ascii_ok = |b: u8| (b >= 0x20 && b != 0x7f) || b == b'\n' || b == b'\t' || b == b'\r';
    if bytes.iter().all(|&b| b < 0x80 && ascii_ok(b)) {
        return Some(true);
    }
    let text = std::str::from_utf8(bytes).ok()?;
    let ok = text.chars().all(|c| match c {
        '\n' | '\t' | '\r' => true,
        c if (c as u32) < 0x20 || c == '\u{7f}' => false,
        // C1 controls, and NEL and the Unicode line separators that YAML 1.1 treats as breaks.
        '\u{80}'..='\u{9f}' | '\u{2028}' | '\u{2029}' | '\u{fffe}' | '\u{ffff}' => false,
        _ => true,
    });
    ok.then_some(false)
}
