//! Embeds each rule's `fixtures/<slug>/fail.yaml` and `pass.yaml` so that
//! `kubecomply rules explain` and the generated docs show the same examples the tests run.

use std::fmt::Write;
use std::path::Path;

fn main() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut entries: Vec<(String, String, String)> = Vec::new();
    if let Ok(rd) = std::fs::read_dir(&dir) {
        for e in rd.flatten() {
            let p = e.path();
            println!("cargo:rerun-if-changed={}", p.display());
            let slug = e.file_name().to_string_lossy().to_string();
            let fail = p.join("fail.yaml");
            let pass = p.join("pass.yaml");
            if fail.exists() && pass.exists() {
                entries.push((slug, fail.display().to_string(), pass.display().to_string()));
            }
        }
    }
    entries.sort();
    let mut code = String::from(
        "/// (slug, failing example, passing example)\npub static EXAMPLES: &[(&str, &str, &str)] = &[\n",
    );
    for (slug, fail, pass) in entries {
        let _ = writeln!(
            code,
            "    ({slug:?}, include_str!({fail:?}), include_str!({pass:?})),"
        );
    }
    code.push_str("];\n");
    let out =
        Path::new(&std::env::var("OUT_DIR").unwrap_or_else(|_| ".".into())).join("examples.rs");
    if let Err(e) = std::fs::write(&out, code) {
        panic!("cannot write {}: {e}", out.display());
    }
}
