//! `kubecomply netpol`: NetworkPolicy reachability queries and matrices.

use std::collections::BTreeSet;

use anyhow::Result;
use clap::{Args, Subcommand, ValueEnum};
use kubecomply_core::diagnostic::Level as DiagLevel;
use kubecomply_core::{Finding, Inventory};
use kubecomply_loader::Limits;
use kubecomply_netpol::{Endpoint, Model, Port, PortValue, Protocol, Reachability};
use serde_json::json;

/// Arguments of `netpol`.
#[derive(Args, Debug)]
pub struct NetpolArgs {
    #[command(subcommand)]
    pub command: NetpolCommand,
}

/// Output format of `netpol query`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum QueryFormat {
    /// Human-readable text.
    Table,
    /// JSON.
    Json,
}

/// Output format of `netpol matrix`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum MatrixFormat {
    /// A workload x workload table.
    Table,
    /// JSON.
    Json,
    /// CSV, one line per (source, destination, port).
    Csv,
    /// JSON by equivalence class: the classes of workloads no policy tells apart, then per
    /// source class and port the destination classes it reaches (linear in the classes, not
    /// quadratic in the workloads).
    Classes,
}

/// Output format of `netpol inventory`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum InventoryFormat {
    /// One line per workload.
    Table,
    /// JSON.
    Json,
    /// CSV, one line per workload.
    Csv,
}

/// A transport protocol.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
#[value(rename_all = "UPPER")]
pub enum ProtocolArg {
    /// TCP.
    Tcp,
    /// UDP.
    Udp,
    /// SCTP.
    Sctp,
}

impl From<ProtocolArg> for Protocol {
    fn from(p: ProtocolArg) -> Protocol {
        match p {
            ProtocolArg::Tcp => Protocol::Tcp,
            ProtocolArg::Udp => Protocol::Udp,
            ProtocolArg::Sctp => Protocol::Sctp,
        }
    }
}

/// `netpol` subcommands.
#[derive(Subcommand, Debug)]
pub enum NetpolCommand {
    /// Whether SRC may connect to DST on a port, and why, per direction (exit 0 allowed,
    /// 1 denied).
    Query {
        /// Source: `NAMESPACE/NAME` (a Pod, or a workload's pod template), `NAMESPACE/KIND/NAME`
        /// or `ip:ADDRESS`.
        #[arg(long)]
        from: String,
        /// Destination, in the same forms as `--from`.
        #[arg(long)]
        to: String,
        /// Destination port: a number, or a container-port name resolved on the destination.
        #[arg(long)]
        port: String,
        /// Protocol.
        #[arg(long, value_enum, default_value_t = ProtocolArg::Tcp)]
        protocol: ProtocolArg,
        /// Output format.
        #[arg(long, short = 'f', value_enum, default_value_t = QueryFormat::Table)]
        format: QueryFormat,
        /// Files or directories with policies and workloads; `-` reads standard input.
        #[arg(required = true)]
        paths: Vec<String>,
    },
    /// Workload x workload reachability for the given ports (default: every declared
    /// container port).
    Matrix {
        /// A port to check, `PORT` or `PORT/PROTOCOL` (repeatable).
        #[arg(long = "port")]
        ports: Vec<String>,
        /// Only workloads of this namespace (repeatable).
        #[arg(long, short = 'n')]
        namespace: Vec<String>,
        /// Output format.
        #[arg(long, short = 'f', value_enum, default_value_t = MatrixFormat::Table)]
        format: MatrixFormat,
        /// Files or directories with policies and workloads; `-` reads standard input.
        #[arg(required = true)]
        paths: Vec<String>,
    },
    /// Per workload: ingress/egress isolation, exposure to the internet, reachability from
    /// other namespaces, access to the internet.
    Inventory {
        /// Output format.
        #[arg(long, short = 'f', value_enum, default_value_t = InventoryFormat::Table)]
        format: InventoryFormat,
        /// Files or directories with policies and workloads; `-` reads standard input.
        #[arg(required = true)]
        paths: Vec<String>,
    },
    /// Network compliance findings (KC-NET-101..108) computed from reachability (exit 1 when
    /// there are any).
    Review {
        /// Output format.
        #[arg(long, short = 'f', value_enum, default_value_t = QueryFormat::Table)]
        format: QueryFormat,
        /// Files or directories with policies and workloads; `-` reads standard input.
        #[arg(required = true)]
        paths: Vec<String>,
    },
}

/// Loads inputs and builds the model; `Err(code)` after printing input errors.
fn load(paths: &[String]) -> std::result::Result<Model, u8> {
    load_all(paths).map(|(_, m)| m)
}

/// [`load`], keeping the inventory.
fn load_all(paths: &[String]) -> std::result::Result<(Inventory, Model), u8> {
    let loaded = crate::scan::load_inputs(paths, &Limits::default(), false);
    let mut errors = false;
    for d in &loaded.diagnostics {
        if d.level >= DiagLevel::Warning {
            eprintln!("{}", d.render());
        }
        errors |= d.level == DiagLevel::Error;
    }
    if errors {
        return Err(2);
    }
    let inv: Inventory = loaded.inventory;
    let model = Model::new(&inv);
    for (name, problems) in &model.rejected {
        for (pointer, message) in problems {
            eprintln!(
                "warning: {name}: {pointer}: {message} (the API server would reject this policy; it is ignored)"
            );
        }
    }
    for w in &model.warnings {
        eprintln!("warning: {w}");
    }
    Ok((inv, model))
}

/// With `KUBECOMPLY_TIMINGS` set, prints the time a phase took on standard error.
fn timing(phase: &str, since: std::time::Instant) {
    if std::env::var_os("KUBECOMPLY_TIMINGS").is_some() {
        eprintln!(
            "timing: {phase:<10} {:>10.3} ms",
            since.elapsed().as_secs_f64() * 1000.0
        );
    }
}

fn to_json(v: &serde_json::Value) -> Result<String> {
    Ok(format!("{}\n", serde_json::to_string_pretty(v)?))
}

/// Runs `netpol`.
pub fn run(a: NetpolArgs) -> Result<u8> {
    match a.command {
        NetpolCommand::Query {
            from,
            to,
            port,
            protocol,
            format,
            paths,
        } => query(&from, &to, &port, protocol.into(), format, &paths),
        NetpolCommand::Matrix {
            ports,
            namespace,
            format,
            paths,
        } => matrix(&ports, &namespace, format, &paths),
        NetpolCommand::Inventory { format, paths } => inventory(format, &paths),
        NetpolCommand::Review { format, paths } => review(format, &paths),
    }
}

fn query(
    from: &str,
    to: &str,
    port: &str,
    protocol: Protocol,
    format: QueryFormat,
    paths: &[String],
) -> Result<u8> {
    let model = match load(paths) {
        Ok(m) => m,
        Err(c) => return Ok(c),
    };
    let port = Port {
        port: PortValue::parse(port),
        protocol,
    };
    if port.port == PortValue::Number(0) {
        eprintln!("error: port 0 is not a valid port");
        return Ok(2);
    }
    let clock = std::time::Instant::now();
    let answer = model.endpoint(from).and_then(|f| {
        let t = model.endpoint(to)?;
        Ok((f, t, model.query(f, t, &port)?))
    });
    timing("query", clock);
    let (f, t, v) = match answer {
        Ok(x) => x,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(2);
        }
    };
    let (src, dst) = (model.describe(f), model.describe(t));
    let text = match format {
        QueryFormat::Json => {
            let mut value = serde_json::to_value(&v)?;
            if let Some(o) = value.as_object_mut() {
                o.insert("from".into(), json!(src));
                o.insert("to".into(), json!(dst));
                o.insert("requested_port".into(), json!(port.port));
            }
            to_json(&value)?
        }
        QueryFormat::Table => {
            let word = if v.allowed { "ALLOWED" } else { "DENIED" };
            let mut s = format!("{word}  {src} -> {dst}  {}/{}\n", v.port, v.protocol);
            s.push_str(&format!("  egress of {src}: {}\n", v.egress.reason));
            s.push_str(&format!("  ingress of {dst}: {}\n", v.ingress.reason));
            s
        }
    };
    crate::emit(None, &text)?;
    Ok(if v.allowed { 0 } else { 1 })
}

fn parse_port_arg(s: &str) -> Option<Port> {
    let (p, proto) = s.split_once('/').unwrap_or((s, "TCP"));
    let number = p.parse::<u16>().ok().filter(|&n| n > 0)?;
    Some(Port {
        port: PortValue::Number(number),
        protocol: Protocol::parse(&proto.to_ascii_uppercase())?,
    })
}

fn port_label(p: &Port) -> String {
    if p.protocol == Protocol::Tcp {
        p.port.to_string()
    } else {
        format!("{}/{}", p.port, p.protocol)
    }
}

fn matrix(
    port_args: &[String],
    namespaces: &[String],
    format: MatrixFormat,
    paths: &[String],
) -> Result<u8> {
    let clock = std::time::Instant::now();
    let model = match load(paths) {
        Ok(m) => m,
        Err(c) => return Ok(c),
    };
    timing("load", clock);
    let mut ports = Vec::new();
    for s in port_args {
        match parse_port_arg(s) {
            Some(p) => ports.push(p),
            None => {
                eprintln!("error: invalid --port `{s}`: expected PORT or PORT/PROTOCOL");
                return Ok(2);
            }
        }
    }
    if ports.is_empty() {
        let declared: BTreeSet<(Protocol, u16)> = model
            .workloads
            .iter()
            .flat_map(|w| w.ports.iter().map(|p| (p.protocol, p.port)))
            .collect();
        ports = declared
            .into_iter()
            .map(|(protocol, n)| Port {
                port: PortValue::Number(n),
                protocol,
            })
            .collect();
    }
    if ports.is_empty() {
        eprintln!("error: no --port given and no container port declared in the inputs");
        return Ok(2);
    }
    let eps: Vec<usize> = (0..model.workloads.len())
        .filter(|&i| namespaces.is_empty() || namespaces.contains(&model.workloads[i].namespace))
        .collect();
    let names: Vec<String> = eps
        .iter()
        .map(|&i| model.describe(Endpoint::Workload(i)))
        .collect();
    // Computed once per class of indistinguishable workloads, then read per pair.
    let clock = std::time::Instant::now();
    let reach = model.reachability(&ports);
    timing("matrix", clock);
    if format == MatrixFormat::Classes {
        crate::emit(None, &class_matrix(&model, &reach, &eps)?)?;
        return Ok(0);
    }
    // cells[a][b] = the ports allowed from eps[a] to eps[b].
    let mut cells: Vec<Vec<Vec<&Port>>> = Vec::with_capacity(eps.len());
    for &a in &eps {
        let mut row = Vec::with_capacity(eps.len());
        for &b in &eps {
            let mut allowed = Vec::new();
            if a != b {
                for (k, p) in ports.iter().enumerate() {
                    if reach.allowed(a, b, k) {
                        allowed.push(p);
                    }
                }
            }
            row.push(allowed);
        }
        cells.push(row);
    }
    let text = match format {
        MatrixFormat::Classes => String::new(),
        MatrixFormat::Json => {
            let mut out = Vec::new();
            for (i, row) in cells.iter().enumerate() {
                for (j, allowed) in row.iter().enumerate() {
                    if i != j {
                        out.push(json!({
                            "from": names[i],
                            "to": names[j],
                            "allowed": allowed.iter().map(|p| port_label(p)).collect::<Vec<_>>(),
                        }));
                    }
                }
            }
            to_json(&json!({
                "ports": ports.iter().map(port_label).collect::<Vec<_>>(),
                "workloads": names,
                "cells": out,
            }))?
        }
        MatrixFormat::Csv => {
            let mut s = String::from("from,to,port,protocol,allowed\n");
            for (i, row) in cells.iter().enumerate() {
                for (j, allowed) in row.iter().enumerate() {
                    if i == j {
                        continue;
                    }
                    for p in &ports {
                        s.push_str(&format!(
                            "{},{},{},{},{}\n",
                            csv(&names[i]),
                            csv(&names[j]),
                            p.port,
                            p.protocol,
                            allowed.contains(&p)
                        ));
                    }
                }
            }
            s
        }
        MatrixFormat::Table => {
            let mut s = format!(
                "ports: {}  (cell: allowed ports; `all`, `-` none, `~` itself)\n",
                ports.iter().map(port_label).collect::<Vec<_>>().join(", ")
            );
            s.push_str("FROM \\ TO\n");
            for (j, n) in names.iter().enumerate() {
                s.push_str(&format!("  [{j}] {n}\n"));
            }
            let cell = |i: usize, j: usize| -> String {
                let allowed = &cells[i][j];
                if i == j {
                    "~".into()
                } else if allowed.len() == ports.len() {
                    "all".into()
                } else if allowed.is_empty() {
                    "-".into()
                } else {
                    allowed
                        .iter()
                        .map(|p| port_label(p))
                        .collect::<Vec<_>>()
                        .join(",")
                }
            };
            let width = (0..names.len())
                .flat_map(|i| (0..names.len()).map(move |j| (i, j)))
                .map(|(i, j)| cell(i, j).len())
                .chain(std::iter::once(4))
                .max()
                .unwrap_or(4);
            s.push_str(&format!("{:>6}", ""));
            for j in 0..names.len() {
                s.push_str(&format!(" {:>width$}", format!("[{j}]")));
            }
            s.push('\n');
            for i in 0..names.len() {
                s.push_str(&format!("{:>6}", format!("[{i}]")));
                for j in 0..names.len() {
                    s.push_str(&format!(" {:>width$}", cell(i, j)));
                }
                s.push('\n');
            }
            s
        }
    };
    crate::emit(None, &text)?;
    Ok(0)
}

/// The `classes` format: classes restricted to the selected workloads `eps`, and per source
/// class and port the reachable destination classes (a class reaches itself when its members
/// reach each other).
fn class_matrix(model: &Model, reach: &Reachability, eps: &[usize]) -> Result<String> {
    let classes = &reach.classes;
    let mut members: Vec<Vec<String>> = vec![Vec::new(); classes.members.len()];
    for &w in eps {
        if let Some(&c) = classes.class_of.get(w) {
            members[c].push(model.describe(Endpoint::Workload(w)));
        }
    }
    let present: Vec<usize> = (0..members.len())
        .filter(|&c| !members[c].is_empty())
        .collect();
    let mut reached = Vec::new();
    for &s in &present {
        for (k, p) in reach.ports.iter().enumerate() {
            let to: Vec<usize> = reach
                .reachable(s, k)
                .filter(|&d| !members[d].is_empty())
                .collect();
            if !to.is_empty() {
                reached.push(json!({"from": s, "port": port_label(p), "to": to}));
            }
        }
    }
    to_json(&json!({
        "ports": reach.ports.iter().map(port_label).collect::<Vec<_>>(),
        "classes": present
            .iter()
            .map(|&c| json!({"id": c, "workloads": members[c]}))
            .collect::<Vec<_>>(),
        "reachable": reached,
    }))
}

fn csv(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn yes_no(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

fn inventory(format: InventoryFormat, paths: &[String]) -> Result<u8> {
    let (inv, model) = match load_all(paths) {
        Ok(x) => x,
        Err(c) => return Ok(c),
    };
    let rows = kubecomply_netpol::inventory(&inv, &model);
    let cross = |v: Option<bool>| v.map_or("n/a", yes_no);
    let text = match format {
        InventoryFormat::Json => to_json(&json!({ "workloads": rows }))?,
        InventoryFormat::Csv => {
            let mut s = String::from(
                "workload,ingress_isolated,egress_isolated,internet_exposed,reachable_from_other_namespaces,can_reach_internet\n",
            );
            for r in &rows {
                s.push_str(&format!(
                    "{},{},{},{},{},{}\n",
                    csv(&r.workload),
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
        InventoryFormat::Table => {
            let width = rows
                .iter()
                .map(|r| r.workload.len())
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
            for r in &rows {
                s.push_str(&format!(
                    "{:<width$}  {:<16}  {:<15}  {:<16}  {:<16}  {}\n",
                    r.workload,
                    yes_no(r.ingress_isolated),
                    yes_no(r.egress_isolated),
                    yes_no(r.internet_exposed),
                    cross(r.reachable_from_other_namespaces),
                    yes_no(r.can_reach_internet)
                ));
            }
            s
        }
    };
    crate::emit(None, &text)?;
    Ok(0)
}

fn review(format: QueryFormat, paths: &[String]) -> Result<u8> {
    let (inv, model) = match load_all(paths) {
        Ok(x) => x,
        Err(c) => return Ok(c),
    };
    let mut findings: Vec<Finding> = kubecomply_netpol::review_model(&inv, &model);
    let text = crate::scan::review_text(&mut findings, &inv, matches!(format, QueryFormat::Json))?;
    crate::emit(None, &text)?;
    Ok(if findings.is_empty() { 0 } else { 1 })
}
