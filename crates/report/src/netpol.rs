//! Network policy outputs: the reachability matrix (table, JSON, CSV, HTML heat map, classes),
//! the per-workload network inventory (table, JSON, CSV) and generated NetworkPolicies (YAML).
//!
//! The writers take plain data that `kubecomply netpol` computes with `kubecomply-netpol`;
//! they never query a model.

use askama::Template;
use kubecomply_core::text::{esc, escape, push_line};
use kubecomply_core::{Value, json};
use serde::Serialize;

use crate::csv::field;
use crate::html::filters;

/// A port of the matrix: a number or a container-port name, and its protocol (`TCP`, `UDP`,
/// `SCTP`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MatrixPort {
    /// The port number or name.
    pub port: String,
    /// The protocol, upper case.
    pub protocol: String,
}

impl MatrixPort {
    /// `8443` for TCP, `53/UDP` otherwise.
    pub fn label(&self) -> String {
        if self.protocol == "TCP" {
            self.port.clone()
        } else {
            format!("{}/{}", self.port, self.protocol)
        }
    }
}

/// Workload × workload reachability.
#[derive(Clone, Debug, Default)]
pub struct Matrix {
    /// The ports checked.
    pub ports: Vec<MatrixPort>,
    /// The workloads (`NAMESPACE/KIND/NAME`), sources and destinations alike.
    pub workloads: Vec<String>,
    /// `allowed[a][b]`: the indices in `ports` allowed from workload `a` to workload `b`
    /// (empty when `a == b`).
    pub allowed: Vec<Vec<Vec<usize>>>,
}

/// The verdict on one port of one (source, destination) pair, for the heat map's tooltips.
#[derive(Clone, Debug)]
pub enum PortVerdict {
    /// The engine's answer.
    Decided {
        /// Whether the connection is allowed.
        allowed: bool,
        /// Why, on the source's egress side.
        egress: String,
        /// Why, on the destination's ingress side.
        ingress: String,
    },
    /// The query could not be answered (a named port the destination does not declare).
    Error(String),
}

impl Matrix {
    fn labels(&self) -> Vec<String> {
        self.ports.iter().map(MatrixPort::label).collect()
    }

    /// The allowed port indices from `a` to `b` (none when `allowed` has no such cell).
    fn allowed_of(&self, a: usize, b: usize) -> &[usize] {
        self.allowed
            .get(a)
            .and_then(|row| row.get(b))
            .map_or(&[], Vec::as_slice)
    }

    fn allowed_labels(&self, a: usize, b: usize) -> Vec<String> {
        self.allowed_of(a, b)
            .iter()
            .filter_map(|&k| self.ports.get(k))
            .map(MatrixPort::label)
            .collect()
    }

    /// A cell's text: `~` itself, `all`, `-` none, else the allowed ports.
    fn cell(&self, a: usize, b: usize) -> String {
        let allowed = self.allowed_of(a, b);
        if a == b {
            "~".into()
        } else if allowed.len() == self.ports.len() {
            "all".into()
        } else if allowed.is_empty() {
            "-".into()
        } else {
            self.allowed_labels(a, b).join(",")
        }
    }
}

fn pretty(v: &Value) -> String {
    // Serializing a value tree cannot fail: its keys are strings and its numbers finite.
    format!("{}\n", serde_json::to_string_pretty(v).unwrap_or_default())
}

/// The terminal table: an index of the workloads, then one row per source.
pub fn matrix_table(m: &Matrix) -> String {
    let mut s = format!(
        "ports: {}  (cell: allowed ports; `all`, `-` none, `~` itself)\n",
        m.labels().join(", ")
    );
    s.push_str("FROM \\ TO\n");
    for (j, n) in m.workloads.iter().enumerate() {
        push_line(&mut s, format_args!("  [{j}] {n}"));
    }
    let n = m.workloads.len();
    let width = (0..n)
        .flat_map(|i| (0..n).map(move |j| (i, j)))
        .map(|(i, j)| m.cell(i, j).len())
        .chain(std::iter::once(4))
        .max()
        .unwrap_or(4);
    s.push_str(&format!("{:>6}", ""));
    for j in 0..n {
        s.push_str(&format!(" {:>width$}", format!("[{j}]")));
    }
    s.push('\n');
    for i in 0..n {
        s.push_str(&format!("{:>6}", format!("[{i}]")));
        for j in 0..n {
            s.push_str(&format!(" {:>width$}", m.cell(i, j)));
        }
        s.push('\n');
    }
    s
}

/// JSON: the ports, the workloads and one cell per ordered pair with its allowed ports.
pub fn matrix_json(m: &Matrix) -> String {
    let mut cells = Vec::new();
    let n = m.workloads.len();
    for i in 0..n {
        for j in 0..n {
            if i != j {
                cells.push(json!({
                    "from": m.workloads[i],
                    "to": m.workloads[j],
                    "allowed": m.allowed_labels(i, j),
                }));
            }
        }
    }
    pretty(&json!({
        "ports": m.labels(),
        "workloads": m.workloads,
        "cells": cells,
    }))
}

/// CSV: one line per (source, destination, port).
pub fn matrix_csv(m: &Matrix) -> String {
    let mut s = String::from("from,to,port,protocol,allowed\n");
    let n = m.workloads.len();
    for i in 0..n {
        for j in 0..n {
            if i == j {
                continue;
            }
            let allowed = m.allowed_of(i, j);
            for (k, p) in m.ports.iter().enumerate() {
                s.push_str(&format!(
                    "{},{},{},{},{}\n",
                    field(&m.workloads[i]),
                    field(&m.workloads[j]),
                    p.port,
                    p.protocol,
                    allowed.contains(&k)
                ));
            }
        }
    }
    s
}

/// One cell of the heat map.
struct HeatCell {
    /// `self`, `allowed`, `partial` or `denied`.
    class: &'static str,
    text: String,
    /// Source -> destination, then a line per port (empty on the diagonal).
    title: String,
}

/// `templates/netpol-matrix.html`.
#[derive(Template)]
#[template(path = "netpol-matrix.html")]
struct HeatMap<'a> {
    ports: String,
    workloads: &'a [String],
    rows: Vec<(&'a str, Vec<HeatCell>)>,
}

/// The self-contained HTML heat map (no scripts, no external assets): rows sources, columns
/// destinations; a cell is green when every checked port is allowed, amber when some are,
/// grey when none is; its title gives each port's verdict and the deciding policy rule on
/// both sides. `verdicts[a][b][k]` is the verdict from workload `a` to `b` on port `k`.
pub fn matrix_html(m: &Matrix, verdicts: &[Vec<Vec<PortVerdict>>]) -> askama::Result<String> {
    let n = m.workloads.len();
    let mut rows = Vec::with_capacity(n);
    for (i, source) in m.workloads.iter().enumerate() {
        let mut cells = Vec::with_capacity(n);
        for j in 0..n {
            let allowed = m.allowed_of(i, j);
            if i == j {
                cells.push(HeatCell {
                    class: "self",
                    text: "~".into(),
                    title: String::new(),
                });
                continue;
            }
            let class = if allowed.len() == m.ports.len() {
                "allowed"
            } else if allowed.is_empty() {
                "denied"
            } else {
                "partial"
            };
            let mut title = format!("{} -> {}", m.workloads[i], m.workloads[j]);
            for (k, p) in m.ports.iter().enumerate() {
                let line = match verdicts
                    .get(i)
                    .and_then(|r| r.get(j))
                    .and_then(|c| c.get(k))
                {
                    Some(PortVerdict::Decided {
                        allowed,
                        egress,
                        ingress,
                    }) => format!(
                        "{}: {}; {egress}; {ingress}",
                        p.label(),
                        if *allowed { "allowed" } else { "denied" },
                    ),
                    Some(PortVerdict::Error(e)) => format!("{}: {e}", p.label()),
                    None => format!("{}: not evaluated", p.label()),
                };
                title.push('\n');
                title.push_str(&line);
            }
            cells.push(HeatCell {
                class,
                text: m.cell(i, j),
                title,
            });
        }
        rows.push((source.as_str(), cells));
    }
    HeatMap {
        ports: m.labels().join(", "),
        workloads: &m.workloads,
        rows,
    }
    .render()
}

/// Workloads no policy tells apart, and which classes reach which, per port.
#[derive(Clone, Debug, Default)]
pub struct ClassMatrix {
    /// The ports checked.
    pub ports: Vec<MatrixPort>,
    /// Each class present: its id and its workloads.
    pub classes: Vec<(usize, Vec<String>)>,
    /// Per source class and port (index in `ports`) that reaches any: the destination
    /// classes (a class reaches itself when its members reach each other).
    pub reachable: Vec<(usize, usize, Vec<usize>)>,
}

/// The `classes` JSON: linear in the classes, not quadratic in the workloads.
pub fn class_matrix_json(c: &ClassMatrix) -> String {
    let label = |k: usize| c.ports.get(k).map(MatrixPort::label).unwrap_or_default();
    pretty(&json!({
        "ports": c.ports.iter().map(MatrixPort::label).collect::<Vec<_>>(),
        "classes": c
            .classes
            .iter()
            .map(|(id, w)| json!({"id": id, "workloads": w}))
            .collect::<Vec<_>>(),
        "reachable": c
            .reachable
            .iter()
            .map(|(from, k, to)| json!({"from": from, "port": label(*k), "to": to}))
            .collect::<Vec<_>>(),
    }))
}

/// A workload's network posture, one row of `netpol inventory`.
#[derive(Clone, Debug, Serialize)]
pub struct PostureRow {
    /// `NAMESPACE/KIND/NAME`.
    pub workload: String,
    /// Some valid policy isolates its ingress.
    pub ingress_isolated: bool,
    /// Some valid policy isolates its egress.
    pub egress_isolated: bool,
    /// Reachable from the internet through a public Service or an Ingress.
    pub internet_exposed: bool,
    /// The exposure paths, when exposed.
    pub exposure: Vec<String>,
    /// Some workload of another namespace may connect to one of its declared ports; `None`
    /// when it declares no port.
    pub reachable_from_other_namespaces: Option<bool>,
    /// Its egress admits some public address on some port.
    pub can_reach_internet: bool,
}

fn yes_no(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

/// `netpol inventory` as a table, one line per workload.
pub fn inventory_table(rows: &[PostureRow]) -> String {
    let cross = |v: Option<bool>| v.map_or("n/a", yes_no);
    let width = rows
        .iter()
        .map(|r| escape(&r.workload).len())
        .chain(std::iter::once("WORKLOAD".len()))
        .max()
        .unwrap_or(8);
    let mut s = format!(
        "{:<width$}  {:<16}  {:<15}  {:<16}  {:<16}  {}\n",
        "WORKLOAD",
        "INGRESS-ISOLATED",
        "EGRESS-ISOLATED",
        "INTERNET-EXPOSED",
        "FROM-OTHER-NS",
        "TO-INTERNET"
    );
    for r in rows {
        s.push_str(&format!(
            "{:<width$}  {:<16}  {:<15}  {:<16}  {:<16}  {}\n",
            esc(&r.workload),
            yes_no(r.ingress_isolated),
            yes_no(r.egress_isolated),
            yes_no(r.internet_exposed),
            cross(r.reachable_from_other_namespaces),
            yes_no(r.can_reach_internet)
        ));
    }
    s
}

/// `netpol inventory` as JSON (`{"workloads": [...]}`, snake_case keys).
pub fn inventory_json(rows: &[PostureRow]) -> String {
    pretty(&json!({ "workloads": rows }))
}

/// `netpol inventory` as CSV, one line per workload (an empty cell where a workload declares
/// no port).
pub fn inventory_csv(rows: &[PostureRow]) -> String {
    let mut s = String::from(
        "workload,ingress_isolated,egress_isolated,internet_exposed,reachable_from_other_namespaces,can_reach_internet\n",
    );
    for r in rows {
        s.push_str(&format!(
            "{},{},{},{},{},{}\n",
            field(&r.workload),
            r.ingress_isolated,
            r.egress_isolated,
            r.internet_exposed,
            r.reachable_from_other_namespaces
                .map_or(String::new(), |b| b.to_string()),
            r.can_reach_internet
        ));
    }
    s
}

/// Generated objects (NetworkPolicies) as a YAML stream that `kubectl apply -f` takes.
pub fn policies_yaml(docs: &[Value]) -> Result<String, serde_json::Error> {
    let docs = docs
        .iter()
        .map(serde_json::to_value)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(crate::yaml::stream(&docs))
}
