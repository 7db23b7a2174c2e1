//! Data-driven admission-policy cases. Each `cases/*.yaml` holds policies, bindings, params and
//! subject objects, plus one document without `apiVersion` with:
//!
//! * `findings`: every finding of the file, as `status rule Kind/namespace/name: message`
//!   (sorted; the list must match exactly);
//! * `diagnostics` (optional): every diagnostic of the policy set, as `line:column: message`.

use std::path::Path;

use kubecomply_cel::VapSet;
use kubecomply_core::Inventory;
use kubecomply_core::Value;
use kubecomply_loader::{Limits, files, load};

fn render_finding(f: &kubecomply_core::Finding) -> String {
    let r = f.resource.as_ref().expect("findings are about objects");
    let name = match &r.namespace {
        Some(ns) => format!("{}/{}/{}", r.kind, ns, r.name),
        None => format!("{}/{}", r.kind, r.name),
    };
    format!("{} {} {name}: {}", f.status.as_str(), f.rule, f.message)
}

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

fn run_case(path: &Path) -> Result<(), String> {
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("case")
        .to_string();
    let expect = kubecomply_loader::parse_documents(&text)?
        .into_iter()
        .find(|d| d.get("apiVersion").is_none() && d.get("findings").is_some())
        .ok_or("no expectation document")?;
    let loaded = load(files::from_string(&name, text), &Limits::default());
    let refs: Vec<&kubecomply_core::Object> = loaded.objects.iter().collect();
    let (set, diagnostics) = VapSet::new(&refs);
    let inventory = Inventory::new(loaded.objects);
    let mut got: Vec<String> = set
        .evaluate(&inventory)
        .iter()
        .map(render_finding)
        .collect();
    got.sort();
    let mut want = strings(expect.get("findings"));
    want.sort();
    let got_diags: Vec<String> = diagnostics
        .iter()
        .map(|d| format!("{}:{}: {}", d.line, d.column, d.message))
        .collect();
    let want_diags = strings(expect.get("diagnostics"));
    let mut problems = Vec::new();
    if got != want {
        problems.push(format!("findings:\n  got:  {got:#?}\n  want: {want:#?}"));
    }
    if got_diags != want_diags {
        problems.push(format!(
            "diagnostics:\n  got:  {got_diags:#?}\n  want: {want_diags:#?}"
        ));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("\n"))
    }
}

#[test]
fn cases() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .expect("cases directory")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    paths.sort();
    assert!(!paths.is_empty(), "cases are missing");
    let failures: Vec<String> = paths
        .iter()
        .filter_map(|p| run_case(p).err().map(|e| format!("{}:\n{e}", p.display())))
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
