//! Data-driven NetworkPolicy cases. Each `cases/*.yaml` holds policies (and any other objects)
//! plus one document without `apiVersion` with:
//!
//! * `world: xyz` (optional): adds namespaces x, y, z (label `ns: <name>`) and Pods a, b, c in
//!   each (label `pod: <name>`, IP `10.<1-3>.0.<1-3>`), serving ports 80 and 81 over TCP, UDP and
//!   SCTP with container-port names `serve-<port>-<tcp|udp|sctp>`, as the upstream e2e suite.
//! * `expect`: lines `FROM -> TO PORT[/PROTOCOL] allow|deny`, where FROM and TO are endpoints
//!   (`ns/name`, `ns/Kind/name`, `ip:A.B.C.D`) or `*` / `ns/*` (every Pod of the world, or of
//!   one namespace; a pod to itself is skipped). Later lines override earlier ones, so a case
//!   reads as a truth table: a default, then exceptions. An entry may also be a map with `q`
//!   (such a line) and `egress_by` / `ingress_by` (`ns/policy#rule`, or `none`) and
//!   `egress_isolated` / `ingress_isolated`, and `egress_decision` / `ingress_decision` (what
//!   decided: `TIER: KIND [NS/]NAME#RULE ACTION`, `TIER: end of tier ACTION`, `default allow`
//!   `not a pod` or `node local`) and `egress_trail` / `ingress_trail` (the Pass / Log steps before it, in
//!   the same notation).
//! * `problems` (optional): policy name -> the JSON pointers [`validate`] must report; every
//!   other `networking.k8s.io` NetworkPolicy of the file must be valid.
//! * `rejected` (optional): `KIND/[NS/]NAME` -> the JSON pointers of the problems for which an
//!   AdminNetworkPolicy, BaselineAdminNetworkPolicy, Calico policy or Tier is rejected; every
//!   other such object must be accepted.
//! * `warnings` (optional): substrings, each of which some model warning must contain.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use kubecomply_core::Inventory;
use kubecomply_core::Value;
use kubecomply_loader::{Limits, files, load, parse_documents};
use kubecomply_netpol::{
    DecisionKind, DirectionVerdict, Model, Port, PortValue, Protocol, Step, validate,
};

const NAMESPACES: [&str; 3] = ["x", "y", "z"];
const PODS: [&str; 3] = ["a", "b", "c"];

fn world() -> String {
    let mut out = String::new();
    for (i, ns) in NAMESPACES.iter().enumerate() {
        out.push_str(&format!(
            "---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: \"{ns}\"\n  labels:\n    ns: \"{ns}\"\n"
        ));
        for (j, pod) in PODS.iter().enumerate() {
            out.push_str(&format!(
                "---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: {pod}\n  namespace: \"{ns}\"\n  labels:\n    pod: {pod}\nspec:\n  containers:\n"
            ));
            for port in [80, 81] {
                for proto in ["TCP", "UDP", "SCTP"] {
                    let lower = proto.to_lowercase();
                    out.push_str(&format!(
                        "  - name: c{port}{lower}\n    image: agnhost\n    ports:\n    - name: serve-{port}-{lower}\n      containerPort: {port}\n      protocol: {proto}\n"
                    ));
                }
            }
            out.push_str(&format!("status:\n  podIP: 10.{}.0.{}\n", i + 1, j + 1));
        }
    }
    out
}

fn expand(side: &str, model: &Model) -> Vec<String> {
    let pods = model.workloads.iter().filter(|w| w.kind == "Pod");
    if side == "*" {
        pods.map(|w| format!("{}/{}", w.namespace, w.name))
            .collect()
    } else if let Some(ns) = side.strip_suffix("/*") {
        pods.filter(|w| w.namespace == ns)
            .map(|w| format!("{}/{}", w.namespace, w.name))
            .collect()
    } else {
        vec![side.to_string()]
    }
}

fn parse_port(s: &str) -> Port {
    let (p, proto) = s.split_once('/').unwrap_or((s, "TCP"));
    Port {
        port: PortValue::parse(p),
        protocol: Protocol::parse(proto).unwrap_or_else(|| panic!("bad protocol in {s}")),
    }
}

fn by(d: &DirectionVerdict) -> String {
    match &d.allowed_by {
        Some(r) => format!("{}/{}#{}", r.policy.namespace, r.policy.name, r.rule),
        None => "none".to_string(),
    }
}

fn step(s: &Step) -> String {
    match s.kind {
        DecisionKind::Rule => {
            let p = s.policy.as_ref().expect("rule step has a policy");
            let name = match &p.namespace {
                Some(ns) => format!("{ns}/{}", p.name),
                None => p.name.clone(),
            };
            format!(
                "{}: {} {name}#{} {}",
                s.tier.as_deref().unwrap_or(""),
                p.kind,
                s.rule.unwrap_or(0),
                s.action
            )
        }
        DecisionKind::TierDefault => format!(
            "{}: end of tier {}",
            s.tier.as_deref().unwrap_or(""),
            s.action
        ),
        DecisionKind::DefaultAllow => "default allow".to_string(),
        DecisionKind::NotAPod => "not a pod".to_string(),
        DecisionKind::NodeLocal => "node local".to_string(),
    }
}

type Expectation = (bool, Option<Value>, String);

fn run_case(path: &Path) -> (usize, Vec<String>) {
    let text = std::fs::read_to_string(path).expect("read case");
    let name = path.display().to_string();
    let docs = parse_documents(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
    let spec = docs
        .iter()
        .find(|d| d.get("apiVersion").is_none() && d.is_object())
        .unwrap_or_else(|| panic!("{name}: no case document"));
    let mut full = text.clone();
    if spec.get("world").and_then(Value::as_str) == Some("xyz") {
        full.push('\n');
        full.push_str(&world());
    }
    let loaded = load(files::from_string(&name, full), &Limits::default());
    let inv = Inventory::new(loaded.objects);
    let model = Model::new(&inv);
    let mut failures = Vec::new();
    let mut count = 0;

    // Validation expectations.
    let problems = spec.get("problems").and_then(Value::as_object);
    for o in inv
        .of_kind("NetworkPolicy")
        .filter(|o| o.group() == "networking.k8s.io")
    {
        count += 1;
        let mut got: Vec<String> = validate(&o.value).into_iter().map(|(p, _)| p).collect();
        got.sort();
        let mut want: Vec<String> = problems
            .and_then(|p| p.get(&o.name))
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        want.sort();
        if got != want {
            failures.push(format!(
                "{name}: policy {}: problems want {want:?}, got {:?}",
                o.name,
                validate(&o.value)
            ));
        }
    }

    // Rejected admin and Calico objects.
    let knp: Vec<String> = inv
        .of_kind("NetworkPolicy")
        .filter(|o| o.group() == "networking.k8s.io")
        .map(|o| o.display_name())
        .collect();
    let mut got: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (n, problems) in &model.rejected {
        if !knp.contains(n) {
            let mut ps: Vec<String> = problems.iter().map(|(p, _)| p.clone()).collect();
            ps.sort();
            got.insert(n.clone(), ps);
        }
    }
    let mut want: BTreeMap<String, Vec<String>> = BTreeMap::new();
    if let Some(r) = spec.get("rejected").and_then(Value::as_object) {
        for (n, ps) in r {
            count += 1;
            let mut ps: Vec<String> = ps
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default();
            ps.sort();
            want.insert(n.clone(), ps);
        }
    }
    if got != want {
        failures.push(format!(
            "{name}: rejected want {want:?}, got {got:?} ({:?})",
            model.rejected
        ));
    }
    for w in spec
        .get("warnings")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
    {
        count += 1;
        let w = w.as_str().expect("warning substring");
        if !model.warnings.iter().any(|x| x.contains(w)) {
            failures.push(format!(
                "{name}: no warning contains `{w}`: {:?}",
                model.warnings
            ));
        }
    }

    // Reachability expectations, later lines overriding earlier ones.
    let mut table: BTreeMap<(String, String, String), Expectation> = BTreeMap::new();
    for e in spec
        .get("expect")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
    {
        let (line, extra) = match e {
            Value::String(s) => (s.as_str(), None),
            Value::Object(m) => (
                m.get("q").and_then(Value::as_str).expect("q"),
                Some(e.clone()),
            ),
            _ => panic!("{name}: bad expect entry {e}"),
        };
        let (from, rest) = line.split_once(" -> ").expect("FROM -> TO");
        let words: Vec<&str> = rest.split_whitespace().collect();
        let [to, port, verdict] = words.as_slice() else {
            panic!("{name}: bad line `{line}`")
        };
        let allowed = match *verdict {
            "allow" => true,
            "deny" => false,
            v => panic!("{name}: bad verdict {v}"),
        };
        for f in expand(from.trim(), &model) {
            for t in expand(to, &model) {
                if f == t {
                    continue;
                }
                table.insert(
                    (f.clone(), t, port.to_string()),
                    (allowed, extra.clone(), line.to_string()),
                );
            }
        }
    }
    for ((f, t, p), (want, extra, line)) in &table {
        count += 1;
        let v = match model.query_str(f, t, &parse_port(p)) {
            Ok(v) => v,
            Err(e) => {
                failures.push(format!("{name}: {f} -> {t} {p}: {e}"));
                continue;
            }
        };
        let label = format!("{name}: {f} -> {t} {p} (from `{line}`)");
        if v.allowed != *want {
            failures.push(format!(
                "{label}: want {want}, got {}; {}; {}",
                v.allowed, v.egress.reason, v.ingress.reason
            ));
        }
        if let Some(x) = extra {
            for (key, d) in [("egress", &v.egress), ("ingress", &v.ingress)] {
                if let Some(w) = x.get(format!("{key}_by")).and_then(Value::as_str)
                    && w != by(d)
                {
                    failures.push(format!("{label}: {key}_by want {w}, got {}", by(d)));
                }
                if let Some(w) = x.get(format!("{key}_decision")).and_then(Value::as_str)
                    && w != step(&d.decision)
                {
                    failures.push(format!(
                        "{label}: {key}_decision want `{w}`, got `{}` ({})",
                        step(&d.decision),
                        d.reason
                    ));
                }
                if let Some(w) = x.get(format!("{key}_trail")).and_then(Value::as_array) {
                    let want: Vec<&str> = w.iter().filter_map(Value::as_str).collect();
                    let got: Vec<String> = d.trail.iter().map(step).collect();
                    if want != got {
                        failures.push(format!("{label}: {key}_trail want {want:?}, got {got:?}"));
                    }
                }
                if let Some(w) = x.get(format!("{key}_isolated")).and_then(Value::as_bool)
                    && w != d.isolated
                {
                    failures.push(format!(
                        "{label}: {key}_isolated want {w}, got {}",
                        d.isolated
                    ));
                }
            }
        }
    }
    // The class-based matrix must agree with pair-by-pair queries on every workload pair and
    // every port of the table.
    let mut ports: Vec<Port> = Vec::new();
    for (_, _, p) in table.keys() {
        let port = parse_port(p);
        if !ports.contains(&port) {
            ports.push(port);
        }
    }
    failures.extend(
        common::matrix_disagreements(&model, &ports, &mut 0)
            .into_iter()
            .map(|m| format!("{name}: {m}")),
    );
    (count, failures)
}

#[test]
fn netpol_cases() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases");
    let mut entries: Vec<_> = std::fs::read_dir(&dir)
        .expect("cases dir")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    entries.sort();
    assert!(!entries.is_empty(), "no cases in {}", dir.display());
    let mut total = 0;
    let mut failures = Vec::new();
    for p in &entries {
        let (n, f) = run_case(p);
        assert!(n > 0, "{}: no expectations", p.display());
        total += n;
        failures.extend(f);
    }
    assert!(
        failures.is_empty(),
        "{} of {total} expectations failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    eprintln!("{} case files, {total} expectations", entries.len());
}
