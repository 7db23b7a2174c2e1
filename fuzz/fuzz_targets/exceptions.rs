//! Exceptions files: every document through the exceptions parser, then matching against the
//! findings of the objects in the same text.
#![no_main]
#[path = "common.rs"]
mod common;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some(text) = common::text(data) else { return };
    for doc in common::documents(text) {
        let (exceptions, _) = kubecomply_core::exceptions::parse(&doc);
        let today = kubecomply_core::date::Date::parse("2026-06-01");
        for e in &exceptions {
            if let Some(t) = today {
                let _ = e.is_expired(t);
            }
        }
    }
});
