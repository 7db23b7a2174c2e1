//! Fuzzes the whole loading path: YAML/JSON parsing with limits, List expansion, pod-template
//! discovery, the rule engine over whatever objects come out, and position resolution.
#![no_main]

use kubecomply_checks::{Engine, EngineOptions, registry};
use kubecomply_core::{Inventory, SourceFile, SourceFormat};
use kubecomply_loader::{Limits, load};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let limits = Limits {
        max_alias_nodes: 100_000,
        ..Limits::default()
    };
    for format in [SourceFormat::Yaml, SourceFormat::Json] {
        let loaded = load(
            SourceFile {
                path: "fuzz.yaml".into(),
                text: text.to_string(),
                format,
            },
            &limits,
        );
        let inv = Inventory::new(loaded.objects);
        let engine = Engine::new(&registry::all(), EngineOptions { include_passes: true, ..EngineOptions::default() });
        let mut outcome = engine.run(&inv);
        kubecomply_loader::locate::resolve(&mut outcome.findings, &inv);
        // Positions recorded while parsing must agree with a second parse.
        for f in &outcome.findings {
            let Some(o) = &f.location.origin else { continue };
            if o.positions.is_none() {
                continue;
            }
            let text = &o.source.text[o.span.clone()];
            let again = kubecomply_loader::locate::PositionIndex::build(text, o.line)
                .locate(&f.location.pointer);
            assert_eq!(again, Some((f.location.line, f.location.column)), "{}", f.location.pointer);
        }
    }
});
