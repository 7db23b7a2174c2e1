//! Where the documents of a stream are, found on raw bytes: before the text is decoded (so that
//! one document with a bad byte does not take the others with it) and before it is parsed (so
//! that JSON and YAML documents of one stream are each read by their own parser).

/// Bytes `start..end` of a stream, whose first line is `line` (1-based).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Part {
    pub start: usize,
    pub end: usize,
    pub line: u32,
}

/// Whether `line` is the marker `m` (`---` or `...`) alone or followed by white space.
pub(crate) fn marker(line: &[u8], m: &[u8; 3]) -> bool {
    line.starts_with(m)
        && line
            .get(3)
            .is_none_or(|c| matches!(c, b' ' | b'\t' | b'\r' | b'\n'))
}

/// Cuts a stream into parts that hold at most one YAML document, or one run of JSON values:
/// before each line that starts with the document marker `---` (except when the last line with
/// content before it is a `%` directive: directives belong to the document after them) and after each line that
/// starts with the document end marker `...`. A line that starts with either marker is never
/// inside a document: in YAML it ends the document, and in JSON it is outside every string.
///
/// With `json_lines`, also before each line that starts with `{` when the last line with
/// content before it ends with `}`: JSON per line and concatenated JSON objects, one part per
/// value.
///
/// The parts cover the stream, in order; there is always at least one.
pub(crate) fn parts(bytes: &[u8], json_lines: bool) -> Vec<Part> {
    crate::work::scanned(bytes.len());
    let mut parts = Vec::new();
    let (mut start, mut start_line) = (0usize, 1u32);
    let mut line = 1u32;
    let mut ls = 0usize;
    // Whether the last line with content that is not a comment is a directive, and whether
    // the last line with content ends with `}`.
    let mut after_directive = false;
    let mut after_close = false;
    while ls < bytes.len() {
        let le = memchr::memchr(b'\n', &bytes[ls..]).map_or(bytes.len(), |i| ls + i);
        let l = &bytes[ls..le];
        let cut = (marker(l, b"---") && !after_directive)
            || (json_lines && after_close && l.first() == Some(&b'{'));
        if cut && ls > start {
            parts.push(Part {
                start,
                end: ls,
                line: start_line,
            });
            start = ls;
            start_line = line;
        }
        let next = (le + 1).min(bytes.len());
        if marker(l, b"...") {
            parts.push(Part {
                start,
                end: next,
                line: start_line,
            });
            start = next;
            start_line = line + 1;
        }
        if let Some(&first) = l.iter().find(|&&b| !matches!(b, b' ' | b'\t' | b'\r'))
            && first != b'#'
        {
            after_directive = l[0] == b'%';
        }
        if let Some(last) = l.iter().rev().find(|b| !matches!(b, b' ' | b'\t' | b'\r')) {
            after_close = *last == b'}';
        }
        line += 1;
        ls = le + 1;
    }
    if start < bytes.len() || parts.is_empty() {
        parts.push(Part {
            start,
            end: bytes.len(),
            line: start_line,
        });
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cut(text: &str, json_lines: bool) -> Vec<(&str, u32)> {
        parts(text.as_bytes(), json_lines)
            .into_iter()
            .map(|p| (&text[p.start..p.end], p.line))
            .collect()
    }

    #[test]
    fn markers_directives_and_json_lines() {
        assert_eq!(cut("", false), [("", 1)]);
        assert_eq!(
            cut("a: 1\n---\nb: 2\n...\n# c\n--- x\n", false),
            [
                ("a: 1\n", 1),
                ("---\nb: 2\n...\n", 2),
                ("# c\n", 5),
                ("--- x\n", 6)
            ]
        );
        assert_eq!(
            cut("%YAML 1.2\n---\na\n----\n---x\n", false),
            [("%YAML 1.2\n---\na\n----\n---x\n", 1)]
        );
        assert_eq!(
            cut("a\n...\n%YAML 1.2\n# c\n\n---\nb\n", false),
            [("a\n...\n", 1), ("%YAML 1.2\n# c\n\n---\nb\n", 3)]
        );
        assert_eq!(cut("...", false), [("...", 1)]);
        let jl = "{\"a\":1}\n\n{\"b\":\n{}}\r\n{\"c\":3}";
        assert_eq!(
            cut(jl, true),
            [
                ("{\"a\":1}\n\n", 1),
                ("{\"b\":\n{}}\r\n", 3),
                ("{\"c\":3}", 5)
            ]
        );
        assert_eq!(cut(jl, false).len(), 1);
    }
}
