//! gator Suites (`policy verify`): a suite.yaml whose template, constraint and objects are the
//! input's own documents in sibling files.
#![no_main]
#[path = "common.rs"]
mod common;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let suite = common::scratch_file("suite/suite.yaml", b"");
    let Some(dir) = suite.parent() else { return };
    let _ = std::fs::create_dir_all(dir);
    let _ = std::fs::write(&suite, data);
    // The files a suite typically names, from the same input.
    for name in ["template.yaml", "constraint.yaml", "object.yaml"] {
        let _ = std::fs::write(dir.join(name), data);
    }
    let _ = kubecomply_rego::verify::run(
        &[dir.to_path_buf()],
        &kubecomply_rego::verify::VerifyOptions::default(),
    );
});
