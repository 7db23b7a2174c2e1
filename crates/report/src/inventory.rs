//! The network inventory report of a Calico `inventory` or `network-access` GlobalReport
//! (`report --definition`): the selected workloads with their isolation and exposure, in
//! JSON, Markdown, CSV or a self-contained HTML page.
//!
//! Every writer takes the report's JSON document (`kind: NetworkInventoryReport`: `name`,
//! `generatedAt`, `tool`, `inputs`, `selection`, `workloads: [{workload, serviceAccount,
//! ingressIsolated, egressIsolated, internetExposed, exposure, reachableFromOtherNamespaces,
//! canReachInternet}]`), so a service can render a stored report again.

use askama::Template;
use kubecomply_core::text::escape;
use kubecomply_core::{Value, json};

use crate::csv::field;

/// The columns of an inventory report: title and JSON key of each yes/no column.
pub const COLUMNS: [(&str, &str); 5] = [
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

fn text<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key].as_str().unwrap_or_default()
}

fn workloads(doc: &Value) -> Vec<&Value> {
    doc["workloads"].as_array().into_iter().flatten().collect()
}

/// The JSON document, pretty-printed.
pub fn json(doc: &Value) -> String {
    // Serializing a value tree cannot fail: its keys are strings and its numbers finite.
    format!(
        "{}\n",
        serde_json::to_string_pretty(doc).unwrap_or_default()
    )
}

/// One row per workload (RFC 4180 quoting, formula cells neutralised, as in the framework CSV).
pub fn csv(doc: &Value) -> String {
    let mut s = String::from("workload,serviceAccount");
    for (_, key) in COLUMNS {
        s.push(',');
        s.push_str(key);
    }
    s.push('\n');
    for w in workloads(doc) {
        s.push_str(&field(text(w, "workload")));
        s.push(',');
        s.push_str(&field(text(w, "serviceAccount")));
        for (_, key) in COLUMNS {
            s.push(',');
            s.push_str(yes_no(&w[key]));
        }
        s.push('\n');
    }
    s
}

/// Markdown: a heading, the generation line and one table row per workload.
pub fn markdown(doc: &Value) -> String {
    let mut s = format!(
        "# Network inventory: {}\n\nGenerated {} by kubecomply {}.\n\n",
        escape(text(doc, "name")),
        escape(text(doc, "generatedAt")),
        escape(text(&doc["tool"], "version"))
    );
    s.push_str("| Workload | Service account | Ingress isolated | Egress isolated | Internet exposed | From other namespaces | To internet |\n|---|---|---|---|---|---|---|\n");
    for w in workloads(doc) {
        s.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} |\n",
            escape(text(w, "workload")).replace('|', "\\|"),
            escape(text(w, "serviceAccount")).replace('|', "\\|"),
            yes_no(&w["ingressIsolated"]),
            yes_no(&w["egressIsolated"]),
            yes_no(&w["internetExposed"]),
            yes_no(&w["reachableFromOtherNamespaces"]),
            yes_no(&w["canReachInternet"]),
        ));
    }
    s
}

/// One workload row of the HTML page.
struct HtmlRow<'a> {
    workload: &'a str,
    service_account: &'a str,
    /// Per column: the cell's class (`yes` good, `warn` to look at, empty for n/a) and answer.
    cells: Vec<(&'static str, &'static str)>,
}

/// `templates/network-inventory.html`.
#[derive(Template)]
#[template(path = "network-inventory.html")]
struct InventoryPage<'a> {
    name: &'a str,
    generated_at: &'a str,
    version: &'a str,
    titles: Vec<&'static str>,
    yes_counts: Vec<usize>,
    rows: Vec<HtmlRow<'a>>,
}

/// A self-contained HTML page (no scripts, no external assets, print-friendly) with the
/// counts per column and the table; exposed workloads and unisolated directions stand out.
pub fn html(doc: &Value) -> askama::Result<String> {
    let list = workloads(doc);
    let rows = list
        .iter()
        .map(|w| HtmlRow {
            workload: text(w, "workload"),
            service_account: text(w, "serviceAccount"),
            cells: COLUMNS
                .iter()
                .map(|(_, key)| {
                    let v = yes_no(&w[*key]);
                    // Isolation is the good answer; exposure and reach are the ones to look at.
                    let good = matches!(*key, "ingressIsolated" | "egressIsolated") == (v == "yes");
                    let class = if v == "n/a" {
                        ""
                    } else if good {
                        "yes"
                    } else {
                        "warn"
                    };
                    (class, v)
                })
                .collect(),
        })
        .collect();
    InventoryPage {
        name: text(doc, "name"),
        generated_at: text(doc, "generatedAt"),
        version: text(&doc["tool"], "version"),
        titles: COLUMNS.iter().map(|(t, _)| *t).collect(),
        yes_counts: COLUMNS
            .iter()
            .map(|(_, key)| list.iter().filter(|w| w[*key] == json!(true)).count())
            .collect(),
        rows,
    }
    .render()
}
