//! JSON inputs: one value, or a stream of values (JSON lines, concatenated JSON).

use kubecomply_core::Value;

use crate::yaml::{LineCursor, ParseError, RawDocument, Stream};

/// Parses a JSON stream. After an error, parsing resumes at the next line that starts with `{`.
pub fn parse(text: &str) -> Stream {
    parse_range(text, 0, text.len(), (0, 1))
}

/// Parses the JSON stream in `text[start..end]`: lines, columns and spans are those of
/// `text`, where `from` is a line start at or before `start` and its 1-based line number. Line
/// numbers are found by one forward pass from there, whatever the number of documents and
/// errors.
pub(crate) fn parse_range(text: &str, start: usize, end: usize, from: (usize, usize)) -> Stream {
    let end = end.min(text.len());
    let mut out = Stream::default();
    let mut lines = LineCursor::at(text, from.0.min(start), from.1);
    let mut base = start.min(end);
    'outer: while base < end {
        // The line of `base` and the column it is at, for serde_json's positions, which are
        // relative to the slice.
        let base_line = lines.line_at(base) - 1;
        let base_column = base - lines.offset_of(base_line + 1);
        let mut stream = serde_json::Deserializer::from_str(&text[base..end]).into_iter::<Value>();
        loop {
            let before = base + stream.byte_offset();
            match stream.next() {
                None => break 'outer,
                Some(Ok(v)) => {
                    let doc_start = before + leading_ws(&text[before..end]);
                    let line = lines.line_at(doc_start);
                    let line_start = lines.offset_of(line);
                    if !v.is_null() {
                        out.documents.push(RawDocument {
                            value: v,
                            line: line as u32,
                            span: line_start..end,
                            positions: None,
                        });
                    }
                }
                Some(Err(e)) => {
                    let err_line = base_line + e.line().max(1);
                    let column = if e.line() <= 1 {
                        base_column + e.column()
                    } else {
                        e.column()
                    };
                    out.errors.push(ParseError {
                        line: err_line as u32,
                        column: column.max(1) as u32,
                        message: strip_position(&e.to_string()),
                    });
                    // Resume at the next line that starts a JSON object.
                    let mut l = err_line;
                    loop {
                        let off = lines.offset_of(l);
                        if off >= end {
                            break 'outer;
                        }
                        if off > base && text.as_bytes()[off] == b'{' {
                            base = off;
                            continue 'outer;
                        }
                        l += 1;
                    }
                }
            }
        }
    }
    for i in 1..out.documents.len() {
        let next = out.documents[i].span.start;
        let cur = &mut out.documents[i - 1].span;
        if next > cur.start {
            cur.end = next;
        }
    }
    out
}

fn leading_ws(s: &str) -> usize {
    s.len() - s.trim_start().len()
}

fn strip_position(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg.to_string(),
    }
}
