//! Attestations files.
#![no_main]
#[path = "common.rs"]
mod common;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some(text) = common::text(data) else { return };
    let _ = kubecomply_frameworks::parse_attestations(text, "attestations.yaml");
});
