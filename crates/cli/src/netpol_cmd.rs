//! `kubecomply netpol`: NetworkPolicy reachability queries and matrices.

use std::collections::BTreeSet;
use std::path::Path;

use anyhow::Result;
use clap::{Args, Subcommand, ValueEnum};
use kubecomply_core::diagnostic::Level as DiagLevel;
use kubecomply_core::json;
use kubecomply_core::text::{esc, push_line};
use kubecomply_core::{Finding, Inventory};
use kubecomply_loader::Limits;
use kubecomply_netpol::{Endpoint, Model, Port, PortValue, Protocol, Reachability};
use kubecomply_report::netpol::{
    self as netpol_out, ClassMatrix, Matrix, MatrixPort, PortVerdict, PostureRow,
};

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
        eprintln!("error: {}", esc(format_args!("{e:#}")));
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
                "{}",
                esc(format_args!(
                    "warning: {name}: {pointer}: {message} (the API server would reject this policy; it is ignored)"
                ))
            );
        }
    }
    for w in &model.warnings {
        eprintln!("warning: {}", esc(w));
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
            eprintln!("error: {}", esc(&e));
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
            let mut s = String::new();
            push_line(
                &mut s,
                format_args!("{word}  {src} -> {dst}  {}/{}", v.port, v.protocol),
            );
            push_line(
                &mut s,
                format_args!("  egress of {src}: {}", v.egress.reason),
            );
            push_line(
                &mut s,
                format_args!("  ingress of {dst}: {}", v.ingress.reason),
            );
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
            eprintln!("error: {}", esc(&e));
            return Ok(2);
        }
    };
    let backends = match kubecomply_netpol::service_backends(inv, model, ns, name, port) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("error: {}", esc(&e));
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
            let mut s = String::new();
            push_line(
                &mut s,
                format_args!(
                    "{word}  {src} -> {ns}/Service/{name}  {}/{} ({} backend(s))",
                    port.port,
                    port.protocol,
                    rows.len()
                ),
            );
            for (dst, v) in &rows {
                match v {
                    Ok(v) => {
                        let w = if v.allowed { "allowed" } else { "denied" };
                        push_line(
                            &mut s,
                            format_args!("  {w}  {dst}  targetPort {}/{}", v.port, v.protocol),
                        );
                        push_line(
                            &mut s,
                            format_args!("    egress of {src}: {}", v.egress.reason),
                        );
                        push_line(
                            &mut s,
                            format_args!("    ingress of {dst}: {}", v.ingress.reason),
                        );
                    }
                    Err(e) => push_line(&mut s, format_args!("  denied  {dst}: {e}")),
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
                eprintln!(
                    "error: invalid --port `{}`: expected PORT or PORT/PROTOCOL",
                    esc(s)
                );
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
        let classes = class_matrix(&model, &reach, &eps);
        crate::emit(None, &netpol_out::class_matrix_json(&classes))?;
        return Ok(0);
    }
    let matrix = Matrix {
        ports: ports.iter().map(matrix_port).collect(),
        workloads: names,
        allowed: eps
            .iter()
            .map(|&a| {
                eps.iter()
                    .map(|&b| {
                        (0..ports.len())
                            .filter(|&k| a != b && reach.allowed(a, b, k))
                            .collect()
                    })
                    .collect()
            })
            .collect(),
    };
    let text = match format {
        MatrixFormat::Classes => String::new(),
        MatrixFormat::Json => netpol_out::matrix_json(&matrix),
        MatrixFormat::Csv => netpol_out::matrix_csv(&matrix),
        MatrixFormat::Table => netpol_out::matrix_table(&matrix),
        MatrixFormat::Html => {
            // The heat map's tooltips: each port's verdict with the deciding rules.
            let verdicts: Vec<Vec<Vec<PortVerdict>>> = eps
                .iter()
                .map(|&a| {
                    eps.iter()
                        .map(|&b| {
                            if a == b {
                                return Vec::new();
                            }
                            ports
                                .iter()
                                .map(|p| {
                                    match model.query(
                                        Endpoint::Workload(a),
                                        Endpoint::Workload(b),
                                        p,
                                    ) {
                                        Ok(v) => PortVerdict::Decided {
                                            allowed: v.allowed,
                                            egress: v.egress.reason,
                                            ingress: v.ingress.reason,
                                        },
                                        Err(e) => PortVerdict::Error(e.to_string()),
                                    }
                                })
                                .collect()
                        })
                        .collect()
                })
                .collect();
            netpol_out::matrix_html(&matrix, &verdicts)?
        }
    };
    crate::emit(None, &text)?;
    Ok(0)
}

/// A port as the report writers take it.
fn matrix_port(p: &Port) -> MatrixPort {
    MatrixPort {
        port: p.port.to_string(),
        protocol: p.protocol.to_string(),
    }
}

/// The `classes` format: classes restricted to the selected workloads `eps`, and per source
/// class and port the reachable destination classes (a class reaches itself when its members
/// reach each other).
fn class_matrix(model: &Model, reach: &Reachability, eps: &[usize]) -> ClassMatrix {
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
    let mut reachable = Vec::new();
    for &s in &present {
        for k in 0..reach.ports.len() {
            let to: Vec<usize> = reach
                .reachable(s, k)
                .filter(|&d| !members[d].is_empty())
                .collect();
            if !to.is_empty() {
                reachable.push((s, k, to));
            }
        }
    }
    ClassMatrix {
        ports: reach.ports.iter().map(matrix_port).collect(),
        classes: present
            .iter()
            .map(|&c| (c, std::mem::take(&mut members[c])))
            .collect(),
        reachable,
    }
}

fn inventory(format: InventoryFormat, paths: &[String]) -> Result<u8> {
    let (inv, model) = match load_all(paths) {
        Ok(x) => x,
        Err(c) => return Ok(c),
    };
    let rows: Vec<PostureRow> = kubecomply_netpol::inventory(&inv, &model)
        .into_iter()
        .map(|r| PostureRow {
            workload: r.workload,
            ingress_isolated: r.ingress_isolated,
            egress_isolated: r.egress_isolated,
            internet_exposed: r.internet_exposed,
            exposure: r.exposure,
            reachable_from_other_namespaces: r.reachable_from_other_namespaces,
            can_reach_internet: r.can_reach_internet,
        })
        .collect();
    let text = match format {
        InventoryFormat::Json => netpol_out::inventory_json(&rows),
        InventoryFormat::Csv => netpol_out::inventory_csv(&rows),
        InventoryFormat::Table => netpol_out::inventory_table(&rows),
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
    let settings = match crate::common::settings(None) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {}", esc(format_args!("{e:#}")));
            return Ok(2);
        }
    };
    let configured = match segmentation {
        Some(_) => None,
        None => settings
            .segmentation
            .as_ref()
            .map(|p| p.to_string_lossy().to_string()),
    };
    let seg = match segmentation.or(configured.as_deref()) {
        None => kubecomply_netpol::Segmentation::default(),
        Some(path) => match kubecomply_engine::flows::load_segmentation(path, &settings.limits) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("error: {}", esc(&e));
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

fn generate(flows_path: &str, dns: bool, paths: &[String]) -> Result<u8> {
    let (inv, model) = match load_all(paths) {
        Ok(x) => x,
        Err(c) => return Ok(c),
    };
    let limits = crate::common::settings(None)?.limits;
    let text = match kubecomply_engine::inputs::read_setting(Path::new(flows_path), &limits) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: {}", esc(&e));
            return Ok(2);
        }
    };
    let doc = match kubecomply_loader::parse_documents(&text) {
        Ok(mut docs) if docs.len() == 1 => docs.remove(0),
        Ok(docs) => {
            eprintln!(
                "error: {}: expected one YAML document, found {}",
                esc(flows_path),
                docs.len()
            );
            return Ok(2);
        }
        Err(e) => {
            eprintln!("error: {}", esc(format_args!("{flows_path}:{e}")));
            return Ok(2);
        }
    };
    let flows = match kubecomply_netpol::parse_flows(&model, &doc) {
        Ok(f) => f,
        Err(e) => {
            eprintln!(
                "error: {}",
                esc(kubecomply_engine::flows::located(
                    flows_path, &text, &doc, &e
                ))
            );
            return Ok(2);
        }
    };
    let policies = match kubecomply_netpol::generate(&model, &flows, dns) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: cannot generate: {}", esc(&e));
            return Ok(2);
        }
    };
    let out = netpol_out::policies_yaml(&policies)?;
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
        esc(namespaces.into_iter().collect::<Vec<_>>().join(", "))
    );
    if proof.failures.is_empty() {
        eprintln!(
            "# proof: OK ({} queries: every listed flow allowed, every other pair and port denied)",
            proof.checked
        );
        Ok(0)
    } else {
        for f in &proof.failures {
            eprintln!("# proof FAILED: {}", esc(f));
        }
        Ok(1)
    }
}
