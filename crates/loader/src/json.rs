//! JSON inputs: one value, or a stream of values (JSON lines, concatenated JSON).

use kubecomply_core::Value;

use crate::yaml::{LineCursor, ParseError, RawDocument, Stream};

/// Parses a JSON stream. After an error, parsing resumes at the next line that starts with `{`.
pub fn parse(text: &str) -> Stream {
    let mut out = Stream::default();
    let mut cursor = LineCursor::new(text);
    let mut base = 0usize;
    'outer: while base < text.len() {
        let mut stream = serde_json::Deserializer::from_str(&text[base..]).into_iter::<Value>();
        loop {
            let before = base + stream.byte_offset();
            match stream.next() {
                None => break 'outer,
                Some(Ok(v)) => {
                    let start = before + leading_ws(&text[before..]);
                    let line = line_of(text, start);
                    let line_start = cursor.offset_of(line);
                    if !v.is_null() {
                        out.documents.push(RawDocument {
                            value: v,
                            line: line as u32,
                            span: line_start..text.len(),
                            positions: None,
                        });
                    }
                }
                Some(Err(e)) => {
                    // serde_json positions are relative to the slice we started at.
                    let base_line = line_of(text, base) - 1;
                    let err_line = base_line + e.line();
                    out.errors.push(ParseError {
                        line: err_line as u32,
                        column: e.column() as u32,
                        message: strip_position(&e.to_string()),
                    });
                    // Resume at the next line that starts a JSON object.
                    let mut l = err_line;
                    loop {
                        let off = cursor.offset_of(l);
                        if off >= text.len() {
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

/// 1-based line of a byte offset.
fn line_of(text: &str, offset: usize) -> usize {
    memchr::memchr_iter(b'\n', &text.as_bytes()[..offset.min(text.len())]).count() + 1
}

fn strip_position(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg.to_string(),
    }
}
