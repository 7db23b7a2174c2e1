//! The JSON Schemas of our own YAML documents in `docs/schema/` are generated from the types
//! that read them; this test fails when the checked-in copy is stale.
//! Regenerate with `KUBECOMPLY_UPDATE_DOCS=1 cargo test -p kubecomply-engine --test schemas`.

use std::path::Path;

use kubecomply_core::document::schema_json;

fn schemas() -> Vec<(&'static str, String)> {
    vec![
        (
            "config-v1.json",
            schema_json::<kubecomply_engine::settings::ConfigFile>(
                "https://kubecomply.io/schema/config-v1.json",
                "kubecomply configuration",
                "The configuration file `.kubecomply.yaml`, found upwards from the working directory or given with `--config`. Paths are relative to the file.",
            ),
        ),
        (
            "exceptions-v1.json",
            schema_json::<kubecomply_core::exceptions::ExceptionList>(
                "https://kubecomply.io/schema/exceptions-v1.json",
                "kubecomply exceptions",
                "An exceptions file (`exceptionsFile:` in the configuration, `--exceptions`): accepted deviations with a reason, an owner and an expiry date. A bare list of exceptions is accepted too. Every exception needs `rule` or `rules`, and a `reason`.",
            ),
        ),
        (
            "attestations-v1.json",
            schema_json::<kubecomply_frameworks::AttestationList>(
                "https://kubecomply.io/schema/attestations-v1.json",
                "kubecomply attestations",
                "An attestations file: signed-off statements that satisfy manual requirements. A bare list of attestations is accepted too. The requirement is `requirement: <framework>:<id>`, or `framework` and `id`; evidence is `{url}` or `{file, sha256}`.",
            ),
        ),
        (
            "framework-v1.json",
            schema_json::<kubecomply_frameworks::FrameworkFile>(
                "https://kubecomply.io/schema/framework-v1.json",
                "kubecomply framework",
                "A custom framework file (`--framework-file`, `frameworkFiles:` in the configuration), in the format of the built-in catalogues: a tree of requirements mapped to rule codes, or, with `extends`, changes to another framework (`drop`, `remap`, added requirements). A requirement with children is a group; one without needs an `assessment`.",
            ),
        ),
        (
            "report-definition-v1.json",
            schema_json::<kubecomply_engine::definition::ReportDefinitionFile>(
                "https://kubecomply.io/schema/report-definition-v1.json",
                "kubecomply report definition",
                "A report definition (`kubecomply report --definition FILE`): kubecomply's own `kubecomply.io/v1alpha1` `ComplianceReport`, or Calico's `projectcalico.org/v3` `GlobalReport`. Paths are relative to the file; command-line flags replace the values given here.",
            ),
        ),
    ]
}

#[test]
fn document_schemas_are_current() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/schema");
    let update = std::env::var_os("KUBECOMPLY_UPDATE_DOCS").is_some();
    let mut stale = Vec::new();
    for (name, content) in schemas() {
        let path = dir.join(name);
        if update {
            std::fs::write(&path, &content).expect("write schema");
        }
        match std::fs::read_to_string(&path) {
            Ok(existing) if existing == content => {}
            _ => stale.push(name),
        }
    }
    assert!(
        stale.is_empty(),
        "docs/schema is stale: {stale:?}\nrun: KUBECOMPLY_UPDATE_DOCS=1 cargo test -p kubecomply-engine --test schemas"
    );
}

#[test]
fn example_documents_match_their_schemas() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut pairs = vec![
        ("exceptions-v1.json", "examples/exceptions.yaml".to_string()),
        ("config-v1.json", "examples/.kubecomply.yaml".to_string()),
        (
            "framework-v1.json",
            "crates/cli/tests/fixtures/shop-controls.yaml".to_string(),
        ),
    ];
    for example in [
        "examples/reports/pci-weekly.yaml",
        "examples/reports/calico-weekly-inventory.yaml",
        "crates/cli/tests/fixtures/definitions/calico-cis.yaml",
        "crates/cli/tests/fixtures/definitions/calico-inventory.yaml",
    ] {
        pairs.push(("report-definition-v1.json", example.to_string()));
    }
    for (file, _) in kubecomply_frameworks::CATALOGS {
        pairs.push((
            "framework-v1.json",
            format!("crates/frameworks/catalogs/{file}"),
        ));
    }
    for (schema, example) in pairs {
        let schema: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(root.join("docs/schema").join(schema)).expect("schema"),
        )
        .expect("schema is JSON");
        let text = std::fs::read_to_string(root.join(&example)).expect("example");
        let stream = kubecomply_loader::yaml::parse(&text, &kubecomply_loader::Limits::default());
        let doc = stream.documents[0].value.to_json();
        let validator = jsonschema::validator_for(&schema).expect("valid schema");
        let errors: Vec<String> = validator.iter_errors(&doc).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{example}: {errors:?}");
    }
}
