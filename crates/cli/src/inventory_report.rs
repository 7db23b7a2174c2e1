//! The network inventory report of a Calico `inventory` or `network-access` GlobalReport
//! (`report --definition`): the workloads a definition selects, with their isolation and
//! exposure, in JSON, Markdown, CSV or HTML.

use std::path::Path;

use anyhow::bail;
use kubecomply_core::{Object, Value, json};
use kubecomply_engine::definition::{Lookup, ReportDefinition, ReportFormat};

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
            ReportFormat::Json => format!("{}\n", serde_json::to_string_pretty(&doc)?),
            ReportFormat::Markdown => inventory_markdown(&doc),
            ReportFormat::Csv => inventory_csv(&doc),
            ReportFormat::Html => inventory_html(&doc),
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
                eprintln!("wrote {}", p.display());
            }
            None => crate::emit(None, &text)?,
        }
    }
    Ok(if input_errors { 2 } else { 0 })
}

/// The columns of an inventory report: title and JSON key of each yes/no column.
const INVENTORY_COLUMNS: [(&str, &str); 5] = [
    ("Ingress isolated", "ingressIsolated"),
    ("Egress isolated", "egressIsolated"),
    ("Internet exposed", "internetExposed"),
    ("From other namespaces", "reachableFromOtherNamespaces"),
    ("To internet", "canReachInternet"),
];

fn yes_no(v: &Value) -> &'static str {
    match v.as_bool() {
        Some(true) => "yes",
        Some(false) => "no",
        None => "n/a",
    }
}

/// One row per workload (RFC 4180 quoting, formula cells neutralised, as in the framework CSV).
fn inventory_csv(doc: &Value) -> String {
    let field = kubecomply_frameworks::csv::field;
    let mut s = String::from("workload,serviceAccount");
    for (_, key) in INVENTORY_COLUMNS {
        s.push(',');
        s.push_str(key);
    }
    s.push('\n');
    for w in doc["workloads"].as_array().into_iter().flatten() {
        s.push_str(&field(w["workload"].as_str().unwrap_or_default()));
        s.push(',');
        s.push_str(&field(w["serviceAccount"].as_str().unwrap_or_default()));
        for (_, key) in INVENTORY_COLUMNS {
            s.push(',');
            s.push_str(yes_no(&w[key]));
        }
        s.push('\n');
    }
    s
}

/// A self-contained HTML page (no scripts, no external assets, print-friendly) with the
/// counts per column and the table; exposed workloads and unisolated directions stand out.
fn inventory_html(doc: &Value) -> String {
    use kubecomply_frameworks::report::esc;
    let workloads: Vec<&Value> = doc["workloads"].as_array().into_iter().flatten().collect();
    let mut s = format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n\
         <title>Network inventory: {name}</title>\n<style>\n\
         body{{font-family:sans-serif;margin:1.5em;color:#222}}\n\
         table{{border-collapse:collapse}}\n\
         th,td{{border:1px solid #bbb;padding:.3em .6em;font-size:.9em}}\n\
         td.yes{{background:#e6f4ea}} td.no{{background:#fdecea}} td.warn{{background:#fdecea}}\n\
         @media print{{body{{margin:0}}}}\n\
         </style>\n</head>\n<body>\n<h1>Network inventory: {name}</h1>\n\
         <p>Generated {at} by kubecomply {version}; {n} workloads.</p>\n",
        name = esc(doc["name"].as_str().unwrap_or_default()),
        at = esc(doc["generatedAt"].as_str().unwrap_or_default()),
        version = env!("CARGO_PKG_VERSION"),
        n = workloads.len(),
    );
    s.push_str("<table>\n<thead><tr><th></th>");
    for (title, _) in INVENTORY_COLUMNS {
        s.push_str(&format!("<th>{}</th>", esc(title)));
    }
    s.push_str("</tr></thead>\n<tbody><tr><th>workloads with yes</th>");
    for (_, key) in INVENTORY_COLUMNS {
        let yes = workloads.iter().filter(|w| w[key] == json!(true)).count();
        s.push_str(&format!("<td>{yes}</td>"));
    }
    s.push_str("</tr></tbody>\n</table>\n<h2>Workloads</h2>\n<table>\n<thead><tr><th>Workload</th><th>Service account</th>");
    for (title, _) in INVENTORY_COLUMNS {
        s.push_str(&format!("<th>{}</th>", esc(title)));
    }
    s.push_str("</tr></thead>\n<tbody>\n");
    for w in &workloads {
        s.push_str(&format!(
            "<tr><td>{}</td><td>{}</td>",
            esc(w["workload"].as_str().unwrap_or_default()),
            esc(w["serviceAccount"].as_str().unwrap_or_default())
        ));
        for (_, key) in INVENTORY_COLUMNS {
            let v = yes_no(&w[key]);
            // Isolation is the good answer; exposure and reach are the ones to look at.
            let good = matches!(key, "ingressIsolated" | "egressIsolated") == (v == "yes");
            let class = if v == "n/a" {
                ""
            } else if good {
                "yes"
            } else {
                "warn"
            };
            s.push_str(&format!("<td class=\"{class}\">{v}</td>"));
        }
        s.push_str("</tr>\n");
    }
    s.push_str("</tbody>\n</table>\n</body>\n</html>\n");
    s
}

fn inventory_markdown(doc: &Value) -> String {
    let yn = yes_no;
    let mut s = format!(
        "# Network inventory: {}\n\nGenerated {} by kubecomply {}.\n\n",
        doc["name"].as_str().unwrap_or_default(),
        doc["generatedAt"].as_str().unwrap_or_default(),
        env!("CARGO_PKG_VERSION")
    );
    s.push_str("| Workload | Service account | Ingress isolated | Egress isolated | Internet exposed | From other namespaces | To internet |\n|---|---|---|---|---|---|---|\n");
    for w in doc["workloads"].as_array().into_iter().flatten() {
        s.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} |\n",
            w["workload"]
                .as_str()
                .unwrap_or_default()
                .replace('|', "\\|"),
            w["serviceAccount"]
                .as_str()
                .unwrap_or_default()
                .replace('|', "\\|"),
            yn(&w["ingressIsolated"]),
            yn(&w["egressIsolated"]),
            yn(&w["internetExposed"]),
            yn(&w["reachableFromOtherNamespaces"]),
            yn(&w["canReachInternet"]),
        ));
    }
    s
}
