//! Every review rule has pass and fail fixtures in `fixtures/<slug>/` (the convention of the
//! built-in rules in `kubecomply-checks`, checked by `kubecomply-testkit`): each `fail*.yaml`
//! must produce a finding of that rule (snapshotted with line and column in
//! `snapshots/rules/<slug>.snap`), each `pass*.yaml` none. `context*.yaml` files of the folder
//! are loaded with every fixture of it, and `<fixture>.segmentation.yaml` next to a fixture
//! gives its declared flows (KC-NET-104).

use std::path::Path;

use kubecomply_netpol::{Model, RULES, Segmentation, review_with};
use kubecomply_testkit::{check_fixtures, load_files};

/// The flows declared for `fixture` by the `.segmentation.yaml` file next to it, if any.
fn segmentation(fixture: &Path) -> Segmentation {
    let path = fixture.with_extension("segmentation.yaml");
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Segmentation::default();
    };
    let docs = kubecomply_loader::parse_documents(&text).expect("segmentation parses");
    Segmentation::parse(&docs[0]).expect("valid segmentation")
}

#[test]
fn every_rule_has_fixtures_that_behave() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let checked = check_fixtures(&dir, RULES, &[".segmentation.yaml"], |fixture, context| {
        let mut inputs = vec![fixture.to_path_buf()];
        inputs.extend(context.iter().cloned());
        let inv = load_files(&inputs);
        review_with(&inv, &Model::new(&inv), &segmentation(fixture))
    });
    for (slug, snapshot) in &checked.snapshots {
        insta::with_settings!({snapshot_path => "snapshots/rules", prepend_module_to_snapshot => false, omit_expression => true}, {
            insta::assert_snapshot!(slug.as_str(), snapshot);
        });
    }
    assert!(
        checked.problems.is_empty(),
        "{}",
        checked.problems.join("\n")
    );
}
