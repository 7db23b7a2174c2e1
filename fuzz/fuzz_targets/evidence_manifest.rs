//! Evidence manifests: `evidence verify` of a bundle whose manifest.json is the input.
#![no_main]
#[path = "common.rs"]
mod common;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let manifest = common::scratch_file("bundle/manifest.json", b"");
    if let Some(dir) = manifest.parent() {
        let _ = std::fs::create_dir_all(dir);
        let _ = std::fs::write(&manifest, data);
        let _ = kubecomply_engine::evidence::verify(dir, None);
    }
});
