//! `.kubecomply.yaml`: the configuration reader (typed document, file:line:column errors).
#![no_main]
#[path = "common.rs"]
mod common;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let path = common::scratch_file(".kubecomply.yaml", data);
    let _ = kubecomply_engine::Settings::load(
        Some(&path),
        None,
        kubecomply_engine::Clock::at_unix(1_780_272_000),
    );
});
