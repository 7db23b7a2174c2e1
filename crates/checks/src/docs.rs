//! Rule documentation: the text shown by `kubecomply rules explain` and the generated pages in
//! `docs/rules/`, built from each rule's metadata, docs and fixtures.

use std::fmt::Write;

use kubecomply_core::RuleMeta;

include!(concat!(env!("OUT_DIR"), "/examples.rs"));

/// The failing and passing example of a rule (its `fail.yaml` and `pass.yaml` fixtures).
pub fn examples(slug: &str) -> Option<(&'static str, &'static str)> {
    EXAMPLES
        .iter()
        .find(|(s, ..)| *s == slug)
        .map(|(_, f, p)| (*f, *p))
}

/// The full Markdown page of a rule.
pub fn page(meta: &RuleMeta) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# {} {}\n", meta.code, meta.slug);
    let _ = writeln!(s, "**{}**\n", meta.title);
    let _ = writeln!(
        s,
        "Severity: {} · Category: {} · Since: {}\n",
        meta.severity,
        meta.category.as_str(),
        meta.since
    );
    if meta.code.starts_with("KC-PSS-") {
        s.push_str("## What it checks\n");
        s.push_str(meta.docs.trim_end());
        s.push_str("\n\n");
        s.push_str(crate::pss_rules::COMMON_DOCS.trim_end());
    } else {
        s.push_str(meta.docs.trim_end());
    }
    s.push_str("\n\n");
    if let Some((fail, pass)) = examples(meta.slug) {
        let _ = writeln!(
            s,
            "## Example\n\nFails:\n\n```yaml\n{}\n```\n",
            fail.trim_end()
        );
        let _ = writeln!(s, "Passes:\n\n```yaml\n{}\n```\n", pass.trim_end());
    }
    if !meta.references.is_empty() {
        s.push_str("## References\n\n");
        for r in meta.references {
            let _ = writeln!(s, "- {}: `{}`", r.tool, r.id);
        }
        s.push('\n');
    }
    s
}

/// Every generated documentation file for the built-in rules of this crate.
pub fn generate() -> Vec<(String, String)> {
    let metas: Vec<&RuleMeta> = crate::registry::all().iter().map(|r| &r.meta).collect();
    generate_for(&metas)
}

/// The rule reference for a catalogue: `(path relative to docs/rules, content)`, one page per
/// rule and an index.
pub fn generate_for(rules: &[&RuleMeta]) -> Vec<(String, String)> {
    let mut files = Vec::new();
    let mut index = String::from(
        "# Rule reference\n\n<!-- Generated from the rule catalogue by `KUBECOMPLY_UPDATE_DOCS=1 cargo test -p kubecomply --test docs`; do not edit. -->\n\n",
    );
    let _ = writeln!(index, "{} rules.\n", rules.len());
    index.push_str(
        "| Code | Slug | Severity | Category | Title |\n| --- | --- | --- | --- | --- |\n",
    );
    for m in rules {
        let _ = writeln!(
            index,
            "| [{}]({}.md) | `{}` | {} | {} | {} |",
            m.code,
            m.code,
            m.slug,
            m.severity,
            m.category.as_str(),
            m.title
        );
        files.push((format!("{}.md", m.code), page(m)));
    }
    files.push(("README.md".to_string(), index));
    files
}
