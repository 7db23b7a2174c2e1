//! The network inventory report of a Calico `inventory` or `network-access` GlobalReport
//! (`report --definition`): the workloads a definition selects, with their isolation and
//! exposure; the writers (JSON, Markdown, CSV, HTML) are `kubecomply_report::inventory`.

use std::path::Path;

use anyhow::bail;
use kubecomply_core::{Object, Value, json};
use kubecomply_engine::definition::{Lookup, ReportDefinition, ReportFormat};
use kubecomply_report::inventory;

/// The service account a workload's pods run as (`default` when unset).
fn service_account(o: &Object, pointer: &str) -> String {
    let t = if pointer.is_empty() {
        Some(&o.value)
    } else {
        o.value.pointer(pointer)
    };
    t.and_then(|t| {
        t.pointer("/spec/serviceAccountName")
            .or_else(|| t.pointer("/spec/serviceAccount"))
    })
    .and_then(Value::as_str)
    .filter(|s| !s.is_empty())
    .unwrap_or("default")
    .to_string()
}

/// `inventory` and `network-access` GlobalReports: the network inventory of the selected
/// workloads.
pub fn run(
    paths: &[String],
    plan: &ReportDefinition,
    formats: &[ReportFormat],
    output_dir: Option<&Path>,
) -> anyhow::Result<u8> {
    let loaded = crate::common::load_inputs(paths)?;
    let mut input_errors = false;
    for d in &loaded.diagnostics {
        if d.level == kubecomply_core::diagnostic::Level::Error {
            input_errors = true;
            eprintln!("{}", d.render());
        }
    }
    let inv = loaded.inventory;
    let model = kubecomply_netpol::Model::new(&inv);
    let rows = kubecomply_netpol::inventory(&inv, &model);
    let lookup = Lookup::new(&inv);
    let s = &plan.selection;
    let mut kept = Vec::new();
    for (w, row) in model.workloads.iter().zip(rows) {
        let Some(o) = inv.objects.get(w.object) else {
            continue;
        };
        let sa = service_account(o, &w.pointer);
        if s.admits_workload(&lookup, &w.namespace, &w.labels, &sa) {
            kept.push(json!({
                "workload": row.workload,
                "serviceAccount": sa,
                "ingressIsolated": row.ingress_isolated,
                "egressIsolated": row.egress_isolated,
                "internetExposed": row.internet_exposed,
                "exposure": row.exposure,
                "reachableFromOtherNamespaces": row.reachable_from_other_namespaces,
                "canReachInternet": row.can_reach_internet,
            }));
        }
    }
    let doc = json!({
        "schemaVersion": "1.0",
        "kind": "NetworkInventoryReport",
        "name": plan.name,
        "generatedAt": crate::common::clock().now,
        "tool": {"name": "kubecomply", "version": env!("CARGO_PKG_VERSION")},
        "inputs": paths,
        "selection": plan.selection.describe(),
        "workloads": kept,
    });
    let formats = if formats.is_empty() {
        vec![ReportFormat::Json]
    } else {
        formats.to_vec()
    };
    for f in &formats {
        let text = match f {
            ReportFormat::Json => inventory::json(&doc),
            ReportFormat::Markdown => inventory::markdown(&doc),
            ReportFormat::Csv => inventory::csv(&doc),
            ReportFormat::Html => inventory::html(&doc)?,
            other => bail!(
                "format {} is not available for an inventory report (json, markdown, csv, html)",
                other.extension()
            ),
        };
        match output_dir {
            Some(dir) => {
                std::fs::create_dir_all(dir)
                    .map_err(|e| anyhow::anyhow!("{}: cannot create: {e}", dir.display()))?;
                let p = dir.join(format!("{}.{}", plan.name, f.extension()));
                std::fs::write(&p, text)
                    .map_err(|e| anyhow::anyhow!("{}: cannot write: {e}", p.display()))?;
                eprintln!("wrote {}", kubecomply_core::text::esc(p.display()));
            }
            None => crate::emit(None, &text)?,
        }
    }
    Ok(if input_errors { 2 } else { 0 })
}
