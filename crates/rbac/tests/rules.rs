//! Every review rule has pass and fail fixtures in `fixtures/<slug>/` (the convention of the
//! built-in rules in `kubecomply-checks`, checked by `kubecomply-testkit`): each `fail*.yaml`
//! must produce a finding of that rule (snapshotted with line and column in
//! `snapshots/rules/<slug>.snap`), each `pass*.yaml` none. `context*.yaml` files of the folder
//! are loaded with every fixture of it.

use std::path::Path;

use kubecomply_rbac::{RULES, review};
use kubecomply_testkit::{check_fixtures, load_files};

#[test]
fn every_rule_has_fixtures_that_behave() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let checked = check_fixtures(&dir, RULES, &[], |fixture, context| {
        let mut inputs = vec![fixture.to_path_buf()];
        inputs.extend(context.iter().cloned());
        review(&load_files(&inputs))
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
