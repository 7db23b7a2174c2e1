//! Differential fuzzing of the stream-cutting fast path on whole streams, `---` and `...`
//! documents included: `yaml::parse` (the stream cut at `---` lines, each piece read by the
//! fast path where it applies and by the full parser elsewhere) must equal
//! `yaml::parse_sequential` (the full saphyr parser alone, on the whole stream) in values,
//! document lines and spans, node positions and errors with their positions. The known, wanted
//! differences are those of crates/loader/tests/fast_path_streams.rs, which runs the same
//! comparison on generated streams.
#![no_main]

use kubecomply_loader::yaml::{Limits, SHALLOW_QUOTED_WARNING, Stream, parse, parse_sequential};
use libfuzzer_sys::fuzz_target;

fn errors(s: &Stream) -> Vec<(u32, u32, String)> {
    s.errors
        .iter()
        .map(|e| {
            let m = e
                .message
                .replace("found unexpected document indicator", "found unexpected end of stream")
                .replace("while parsing node, found unknown anchor", "alias to an unknown anchor");
            (e.line, e.column, m)
        })
        .collect()
}

fn known_difference(text: &str, fast: &Stream, full: &Stream) -> bool {
    if full.errors.iter().any(|e| e.message == "invalid indentation in quoted scalar")
        || fast.errors.iter().any(|e| e.message == SHALLOW_QUOTED_WARNING)
    {
        return true;
    }
    // An empty block scalar at the end of a document: the whole-stream parse places it at the
    // next document's `---`.
    let lines: Vec<&str> = text.lines().collect();
    lines.iter().enumerate().any(|(i, l)| {
        let t = l.trim_end();
        let header = t.ends_with('|')
            || t.ends_with("|-")
            || t.ends_with("|+")
            || t.ends_with('>')
            || t.ends_with(">-")
            || t.ends_with(">+");
        header
            && lines[i + 1..]
                .iter()
                .find(|l| !l.trim().is_empty())
                .is_some_and(|l| l.starts_with("---"))
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let limits = Limits { max_alias_nodes: 100_000, ..Limits::default() };
    let fast = parse(text, &limits);
    let full = parse_sequential(text, &limits);
    if known_difference(text, &fast, &full) {
        return;
    }
    assert_eq!(errors(&fast), errors(&full));
    assert_eq!(fast.documents.len(), full.documents.len());
    for (a, b) in fast.documents.iter().zip(&full.documents) {
        assert_eq!(a.value, b.value);
        assert_eq!(a.line, b.line);
        assert_eq!(a.span, b.span);
        assert_eq!(a.positions, b.positions);
    }
});
