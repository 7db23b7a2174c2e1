//! Differential fuzzing of the fast path for plain block YAML: `yaml::parse` (fast path where
//! it applies, the full parser elsewhere) must equal `yaml::parse_sequential` (the full saphyr
//! parser alone) on one document piece in values, document lines and spans, node positions and errors.
#![no_main]

use kubecomply_loader::yaml::{Limits, parse, parse_sequential};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    // One document piece: how the stream is cut at `---` lines is tested separately (the full
    // parser itself places an empty trailing block scalar differently with and without the
    // next document after it).
    if text.contains("\n---") {
        return;
    }
    let limits = Limits::default();
    let fast = parse(text, &limits);
    let full = parse_sequential(text, &limits);
    // Quoted scalars continued on a shallow line are read leniently, as kubectl does, on
    // purpose (tested in crates/loader/tests/loading.rs).
    if full.errors.iter().any(|e| e.message == "invalid indentation in quoted scalar") {
        return;
    }
    assert_eq!(fast.errors, full.errors);
    assert_eq!(fast.documents.len(), full.documents.len());
    for (a, b) in fast.documents.iter().zip(&full.documents) {
        assert_eq!(a.value, b.value);
        assert_eq!(a.line, b.line);
        assert_eq!(a.span, b.span);
        assert_eq!(a.positions, b.positions);
    }
});
