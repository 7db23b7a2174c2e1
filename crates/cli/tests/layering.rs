//! The layering of docs/architecture.md, checked: command modules of the binary do not
//! import each other (what they share lives in `common.rs` or in the engine), and the engine
//! depends on no code of the binary.

use std::path::Path;

/// Modules of the binary that are not commands: shared by every command.
const SHARED: &[&str] = &["common", "inventory_report"];

#[test]
fn no_command_module_imports_another() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut modules = Vec::new();
    for e in std::fs::read_dir(&src).expect("src").flatten() {
        let name = e.file_name().to_string_lossy().to_string();
        if let Some(m) = name.strip_suffix(".rs").filter(|m| *m != "main") {
            modules.push(m.to_string());
        }
    }
    assert!(modules.iter().any(|m| m == "scan"), "{modules:?}");
    let mut problems = Vec::new();
    for m in &modules {
        let text = std::fs::read_to_string(src.join(format!("{m}.rs"))).expect("read");
        for other in &modules {
            if other == m || SHARED.contains(&other.as_str()) {
                continue;
            }
            if text.contains(&format!("crate::{other}::"))
                || text.contains(&format!("crate::{other};"))
            {
                problems.push(format!("{m}.rs imports the command module {other}"));
            }
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}

#[test]
fn the_engine_depends_on_no_binary_code() {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("../engine/Cargo.toml");
    let text = std::fs::read_to_string(manifest).expect("engine manifest");
    for forbidden in [
        "kubecomply =",
        "path = \"../cli\"",
        "clap",
        "anstream",
        "anyhow",
    ] {
        assert!(
            !text.contains(forbidden),
            "crates/engine/Cargo.toml names {forbidden:?}"
        );
    }
}
