//! The code table is append-only: this snapshot fails when a code is renamed, reused, removed
//! or reordered. Add new rules at the end of their area and accept the new snapshot.

#[test]
fn code_table_is_stable() {
    let table: Vec<String> = kubecomply_checks::registry::all()
        .iter()
        .map(|r| format!("{} {} {}", r.meta.code, r.meta.slug, r.meta.severity))
        .collect();
    insta::assert_snapshot!("code_table", table.join("\n"));
}
