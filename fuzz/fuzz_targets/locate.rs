//! Fuzzes the lazy position index: arbitrary text, arbitrary pointers.
#![no_main]

use kubecomply_loader::locate::PositionIndex;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    // The first line is a pointer to look up; the rest is the document.
    let (pointer, doc) = text.split_once('\n').unwrap_or(("", text));
    let first_line = (data.len() % 7) as u32 + 1;
    let index = PositionIndex::build(doc, first_line);
    if let Some((line, col)) = index.locate(pointer) {
        assert!(line >= first_line && col >= 1);
    }
    let _ = index.locate("/spec/template/spec/containers/0/securityContext/privileged");
});
