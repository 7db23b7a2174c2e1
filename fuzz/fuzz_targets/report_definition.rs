//! Report definitions (`report --definition`, schedules).
#![no_main]
#[path = "common.rs"]
mod common;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let path = common::scratch_file("definition.yaml", data);
    let _ = kubecomply_engine::definition::read_at(&path, Some(1_780_272_000));
});
