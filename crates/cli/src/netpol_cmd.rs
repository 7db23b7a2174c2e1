//! `kubecomply netpol`: NetworkPolicy reachability queries and matrices.

use std::collections::BTreeSet;

use anyhow::Result;
use clap::{Args, Subcommand, ValueEnum};
use kubecomply_core::diagnostic::Level as DiagLevel;
use kubecomply_core::json;
use kubecomply_core::{Finding, Inventory};
use kubecomply_loader::Limits;
use kubecomply_netpol::{Endpoint, Model, Port, PortValue, Protocol, Reachability};

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
    /// A self-contained HTML heat map (no scripts, no external assets).
    Html,
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
        /// Source: `NAMESPACE/NAME` (a Pod, or a workload's pod template), `NAMESPACE/KIND/NAME`,
        /// `ip:ADDRESS` or `node:NAME` (a Node's address).
        #[arg(long)]
        from: String,
        /// Destination, in the same forms as `--from`, or `NAMESPACE/Service/NAME`: the
        /// backends its selector picks, `--port` being the Service port (number or name),
        /// mapped to each backend's `targetPort`.
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
    /// NetworkPolicies that allow exactly the flows of FLOWS between the input workloads: a
    /// default deny per namespace of the flows, DNS egress, one egress and one ingress policy
    /// per flow; then proves the result with the engine (exit 1 when the proof fails).
    Generate {
        /// YAML list of `{from, to, port, protocol}`; ends are `NAMESPACE/NAME`,
        /// `NAMESPACE/KIND/NAME`, `ip:CIDR` or `internet`.
        #[arg(long)]
        flows: String,
        /// Do not allow egress to kube-system's kube-dns on 53/UDP and 53/TCP.
        #[arg(long)]
        no_dns: bool,
        /// Files or directories with the workloads (and the policies they replace).
        #[arg(required = true)]
        paths: Vec<String>,
    },
    /// Network compliance findings (KC-NET-101..113) computed from reachability (exit 1 when
    /// there are any).
    Review {
        /// Declared cross-class flows (YAML: `flows: [{from, to, port, protocol, reason,
        /// owner}]`); KC-NET-104 reports only the undeclared ones. Default: `segmentation:`
        /// of `.kubecomply.yaml`.
        #[arg(long)]
        segmentation: Option<String>,
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
    let loaded = crate::common::load_inputs(paths).map_err(|e| {
        eprintln!("error: {e:#}");
        2u8
    })?;
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

fn to_json(v: &kubecomply_core::Value) -> Result<String> {
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
        NetpolCommand::Review {
            segmentation,
            format,
            paths,
        } => review(segmentation.as_deref(), format, &paths),
        NetpolCommand::Generate {
            flows,
            no_dns,
            paths,
        } => generate(&flows, !no_dns, &paths),
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
    let (inv, model) = match load_all(paths) {
        Ok(x) => x,
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
    if let [ns, kind, name] = to.split('/').collect::<Vec<_>>().as_slice()
        && (kind.eq_ignore_ascii_case("service") || kind.eq_ignore_ascii_case("svc"))
    {
        return query_service(&inv, &model, from, ns, name, &port, format);
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
            let mut value = kubecomply_core::tree::to_value(&v)?;
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

/// `query` with a Service destination: one verdict per backend, on its resolved target port
/// (exit 0 when every backend is reachable, 1 otherwise).
fn query_service(
    inv: &Inventory,
    model: &Model,
    from: &str,
    ns: &str,
    name: &str,
    port: &Port,
    format: QueryFormat,
) -> Result<u8> {
    let f = match model.endpoint(from) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(2);
        }
    };
    let backends = match kubecomply_netpol::service_backends(inv, model, ns, name, port) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(2);
        }
    };
    let src = model.describe(f);
    let mut rows = Vec::new();
    for b in &backends {
        let dst = model.describe(Endpoint::Workload(b.workload));
        rows.push((
            dst,
            model.query(f, Endpoint::Workload(b.workload), &b.target),
        ));
    }
    let all = rows
        .iter()
        .all(|(_, v)| v.as_ref().is_ok_and(|v| v.allowed));
    let text = match format {
        QueryFormat::Json => {
            let list: Vec<kubecomply_core::Value> = rows
                .iter()
                .map(|(dst, v)| match v {
                    Ok(v) => json!({"backend": dst, "allowed": v.allowed, "verdict": v}),
                    Err(e) => json!({"backend": dst, "allowed": false, "error": e.to_string()}),
                })
                .collect();
            to_json(&json!({
                "from": src,
                "to": format!("{ns}/Service/{name}"),
                "service_port": port.port,
                "protocol": port.protocol,
                "allowed": all,
                "backends": list,
            }))?
        }
        QueryFormat::Table => {
            let word = if all { "ALLOWED" } else { "DENIED" };
            let mut s = format!(
                "{word}  {src} -> {ns}/Service/{name}  {}/{} ({} backend(s))\n",
                port.port,
                port.protocol,
                rows.len()
            );
            for (dst, v) in &rows {
                match v {
                    Ok(v) => {
                        let w = if v.allowed { "allowed" } else { "denied" };
                        s.push_str(&format!(
                            "  {w}  {dst}  targetPort {}/{}\n",
                            v.port, v.protocol
                        ));
                        s.push_str(&format!("    egress of {src}: {}\n", v.egress.reason));
                        s.push_str(&format!("    ingress of {dst}: {}\n", v.ingress.reason));
                    }
                    Err(e) => s.push_str(&format!("  denied  {dst}: {e}\n")),
                }
            }
            s
        }
    };
    crate::emit(None, &text)?;
    Ok(if all { 0 } else { 1 })
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
                            kubecomply_frameworks::csv::field(&names[i]),
                            kubecomply_frameworks::csv::field(&names[j]),
                            p.port,
                            p.protocol,
                            allowed.contains(&p)
                        ));
                    }
                }
            }
            s
        }
        MatrixFormat::Html => matrix_html(&model, &eps, &names, &ports, &cells),
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

/// Escapes text for HTML element content and attribute values; line breaks become `&#10;`
/// so multi-line `title` attributes keep them.
fn html_escape(s: &str) -> String {
    kubecomply_frameworks::report::esc(s).replace('\n', "&#10;")
}

/// The heat map: rows sources, columns destinations; a cell is green when every checked port
/// is allowed, amber when some are, grey-red when none is; its title gives each port's verdict
/// and the deciding policy rule on both sides.
fn matrix_html(
    model: &Model,
    eps: &[usize],
    names: &[String],
    ports: &[Port],
    cells: &[Vec<Vec<&Port>>],
) -> String {
    let mut s = String::from(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n\
         <title>kubecomply netpol matrix</title>\n<style>\n\
         body{font-family:sans-serif;margin:1.5em}\n\
         table{border-collapse:collapse}\n\
         th,td{border:1px solid #bbb;padding:.3em .5em;font-size:.85em;text-align:center}\n\
         th.src{text-align:left}\n\
         th.dst{writing-mode:vertical-rl;transform:rotate(180deg);text-align:left}\n\
         td.allowed{background:#2e9e4f;color:#fff}\n\
         td.partial{background:#f0b429}\n\
         td.denied{background:#eee;color:#999}\n\
         td.self{background:#fff}\n\
         .legend span{display:inline-block;padding:.2em .6em;margin-right:.5em;border:1px solid #bbb}\n\
         </style>\n</head>\n<body>\n<h1>NetworkPolicy reachability</h1>\n",
    );
    let port_list: Vec<String> = ports.iter().map(port_label).collect();
    s.push_str(&format!(
        "<p>Ports checked: {}. Rows are sources, columns destinations; hover a cell for the verdict per port and the deciding policy.</p>\n",
        html_escape(&port_list.join(", "))
    ));
    s.push_str(
        "<p class=\"legend\"><span class=\"allowed\" style=\"background:#2e9e4f;color:#fff\">allowed on every port</span>\
         <span style=\"background:#f0b429\">allowed on some ports</span>\
         <span style=\"background:#eee;color:#999\">denied on every port</span></p>\n",
    );
    s.push_str("<table>\n<thead>\n<tr><th>from \\ to</th>");
    for n in names {
        s.push_str(&format!("<th class=\"dst\">{}</th>", html_escape(n)));
    }
    s.push_str("</tr>\n</thead>\n<tbody>\n");
    for (i, row) in cells.iter().enumerate() {
        s.push_str(&format!(
            "<tr><th class=\"src\">{}</th>",
            html_escape(&names[i])
        ));
        for (j, allowed) in row.iter().enumerate() {
            if i == j {
                s.push_str("<td class=\"self\">~</td>");
                continue;
            }
            let (class, text) = if allowed.len() == ports.len() {
                ("allowed", "all".to_string())
            } else if allowed.is_empty() {
                ("denied", "-".to_string())
            } else {
                (
                    "partial",
                    allowed
                        .iter()
                        .map(|p| port_label(p))
                        .collect::<Vec<_>>()
                        .join(","),
                )
            };
            let mut title = format!("{} -> {}", names[i], names[j]);
            for p in ports {
                let line =
                    match model.query(Endpoint::Workload(eps[i]), Endpoint::Workload(eps[j]), p) {
                        Ok(v) => format!(
                            "{}: {}; {}; {}",
                            port_label(p),
                            if v.allowed { "allowed" } else { "denied" },
                            v.egress.reason,
                            v.ingress.reason
                        ),
                        Err(e) => format!("{}: {e}", port_label(p)),
                    };
                title.push('\n');
                title.push_str(&line);
            }
            s.push_str(&format!(
                "<td class=\"{class}\" title=\"{}\">{}</td>",
                html_escape(&title),
                html_escape(&text)
            ));
        }
        s.push_str("</tr>\n");
    }
    s.push_str("</tbody>\n</table>\n</body>\n</html>\n");
    s
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
                    kubecomply_frameworks::csv::field(&r.workload),
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

fn review(segmentation: Option<&str>, format: QueryFormat, paths: &[String]) -> Result<u8> {
    let (inv, model) = match load_all(paths) {
        Ok(x) => x,
        Err(c) => return Ok(c),
    };
    // `--segmentation`, else `segmentation:` of `.kubecomply.yaml`.
    let configured = match segmentation {
        Some(_) => None,
        None => match crate::common::settings(None) {
            Ok(cfg) => cfg.segmentation.map(|p| p.to_string_lossy().to_string()),
            Err(e) => {
                eprintln!("error: {e:#}");
                return Ok(2);
            }
        },
    };
    let seg = match segmentation.or(configured.as_deref()) {
        None => kubecomply_netpol::Segmentation::default(),
        Some(path) => match kubecomply_engine::flows::load_segmentation(path) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("error: {e}");
                return Ok(2);
            }
        },
    };
    let mut findings: Vec<Finding> = kubecomply_netpol::review_with(&inv, &model, &seg);
    let text =
        crate::common::review_text(&mut findings, &inv, matches!(format, QueryFormat::Json))?;
    crate::emit(None, &text)?;
    Ok(if findings.is_empty() { 0 } else { 1 })
}

/// Renders JSON values as a YAML stream: block style, every string double-quoted (so no
/// implicit typing applies).
fn yaml_stream(docs: &[kubecomply_core::Value]) -> Result<String> {
    fn scalar(v: &kubecomply_core::Value) -> Result<String> {
        Ok(match v {
            kubecomply_core::Value::Object(m) if m.is_empty() => "{}".into(),
            kubecomply_core::Value::Array(a) if a.is_empty() => "[]".into(),
            other => serde_json::to_string(other)?,
        })
    }
    fn is_block(v: &kubecomply_core::Value) -> bool {
        match v {
            kubecomply_core::Value::Object(m) => !m.is_empty(),
            kubecomply_core::Value::Array(a) => !a.is_empty(),
            _ => false,
        }
    }
    fn emit(v: &kubecomply_core::Value, indent: usize, s: &mut String) -> Result<()> {
        let pad = " ".repeat(indent);
        match v {
            kubecomply_core::Value::Object(m) => {
                for (i, (k, x)) in m.iter().enumerate() {
                    // The first key of a list item follows its `- `.
                    if i > 0 || !s.ends_with("- ") {
                        s.push_str(&pad);
                    }
                    let plain = !k.is_empty()
                        && k.bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b"._/-".contains(&b))
                        && k.bytes().next().is_some_and(|b| b.is_ascii_alphabetic())
                        && !matches!(
                            k.to_ascii_lowercase().as_str(),
                            "y" | "n" | "yes" | "no" | "on" | "off" | "true" | "false" | "null"
                        );
                    let key = if plain {
                        k.clone()
                    } else {
                        serde_json::to_string(k)?
                    };
                    if is_block(x) {
                        s.push_str(&format!("{key}:\n"));
                        emit(x, indent + 2, s)?;
                    } else {
                        s.push_str(&format!("{key}: {}\n", scalar(x)?));
                    }
                }
            }
            kubecomply_core::Value::Array(a) => {
                for x in a {
                    s.push_str(&format!("{pad}- "));
                    if is_block(x) {
                        if x.is_array() {
                            s.push('\n');
                        }
                        emit(x, indent + 2, s)?;
                    } else {
                        s.push_str(&format!("{}\n", scalar(x)?));
                    }
                }
            }
            other => s.push_str(&format!("{pad}{}\n", scalar(other)?)),
        }
        Ok(())
    }
    let mut s = String::new();
    for d in docs {
        s.push_str("---\n");
        emit(d, 0, &mut s)?;
    }
    Ok(s)
}

fn generate(flows_path: &str, dns: bool, paths: &[String]) -> Result<u8> {
    let (inv, model) = match load_all(paths) {
        Ok(x) => x,
        Err(c) => return Ok(c),
    };
    let text = match std::fs::read_to_string(flows_path) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: {flows_path}: {e}");
            return Ok(2);
        }
    };
    let doc = match kubecomply_loader::parse_documents(&text) {
        Ok(mut docs) if docs.len() == 1 => docs.remove(0),
        Ok(docs) => {
            eprintln!(
                "error: {flows_path}: expected one YAML document, found {}",
                docs.len()
            );
            return Ok(2);
        }
        Err(e) => {
            eprintln!("error: {flows_path}:{e}");
            return Ok(2);
        }
    };
    let flows = match kubecomply_netpol::parse_flows(&model, &doc) {
        Ok(f) => f,
        Err(e) => {
            eprintln!(
                "error: {}",
                kubecomply_engine::flows::located(flows_path, &text, &doc, &e)
            );
            return Ok(2);
        }
    };
    let policies = match kubecomply_netpol::generate(&model, &flows, dns) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: cannot generate: {e}");
            return Ok(2);
        }
    };
    let out = yaml_stream(&policies)?;
    // The round trip: the inputs, with the generated policies instead of those of the
    // namespaces of the flows.
    let namespaces = kubecomply_netpol::flow_namespaces(&model, &flows);
    let generated = kubecomply_loader::load(
        kubecomply_loader::files::from_string("<generated>", out.clone()),
        &Limits::default(),
    );
    let mut objects: Vec<_> = inv
        .objects
        .iter()
        .filter(|o| {
            !(o.kind == "NetworkPolicy"
                && namespaces.contains(o.namespace.as_deref().unwrap_or("default")))
        })
        .cloned()
        .collect();
    let replaced = inv.objects.len() - objects.len();
    objects.extend(generated.objects);
    let after = Model::new(&Inventory::new(objects));
    let proof = kubecomply_netpol::prove(&after, &flows, dns);
    crate::emit(None, &out)?;
    eprintln!(
        "# {} policies for {} flow(s) in namespace(s) {}; {replaced} existing NetworkPolicy(ies) of those namespaces replaced for the proof",
        policies.len(),
        flows.len(),
        namespaces.into_iter().collect::<Vec<_>>().join(", ")
    );
    if proof.failures.is_empty() {
        eprintln!(
            "# proof: OK ({} queries: every listed flow allowed, every other pair and port denied)",
            proof.checked
        );
        Ok(0)
    } else {
        for f in &proof.failures {
            eprintln!("# proof FAILED: {f}");
        }
        Ok(1)
    }
}
