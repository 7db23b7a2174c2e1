//! AdminNetworkPolicy and Calico inputs: the selector parser never panics and bounds its work;
//! random admin and Calico policies are accepted or rejected without panicking; the tier model
//! gives the plain NetworkPolicy verdicts when admin and Calico objects that select nothing
//! are added.

mod common;

use std::path::Path;

use common::origin;
use kubecomply_core::{Inventory, Object};
use kubecomply_core::{Value, json};
use kubecomply_loader::{Limits, files, load, parse_documents};
use kubecomply_netpol::calico::selector::{MAX_DEPTH, MAX_LEN, Selector};
use kubecomply_netpol::{Model, Port, PortValue, Protocol};
use proptest::prelude::*;

fn token() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "a",
        "b",
        "k8s.io/app",
        "==",
        "!=",
        "in",
        "not",
        "not in",
        "{",
        "}",
        ",",
        "'x'",
        "\"y\"",
        "'",
        "\"",
        "(",
        ")",
        "!",
        "&&",
        "||",
        "has(",
        "has(a)",
        "all()",
        "global()",
        "contains",
        "starts with",
        "ends with",
        " ",
        "",
        "\u{e9}",
        "=",
        "&",
        "|",
    ])
}

fn labels() -> impl Strategy<Value = std::collections::BTreeMap<String, String>> {
    prop::collection::btree_map(
        prop::sample::select(vec!["a".to_string(), "b".to_string()]),
        prop::sample::select(vec!["x".to_string(), "y".to_string(), String::new()]),
        0..3,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2048))]

    /// Token soup and arbitrary text: a result, never a panic, and errors point inside the text.
    #[test]
    fn selector_parser_total(tokens in prop::collection::vec(token(), 0..24), text in ".{0,40}") {
        let soup = tokens.join(" ");
        for s in [soup.as_str(), text.as_str()] {
            match Selector::parse(s) {
                Ok(sel) => { let _ = sel.matches(&Default::default()); }
                Err(e) => prop_assert!(e.column >= 1 && e.column <= s.chars().count() + 1, "{s:?}: {e}"),
            }
        }
    }

    /// Algebra: `!s` is the complement of `s`; `a && b`, `a || b` are conjunction and
    /// disjunction; `k not in {..}` is `!(k in {..})`; `k != v` is `!(k == v)`.
    #[test]
    fn selector_algebra(l in labels(), v in prop::sample::select(vec!["x", "y", ""])) {
        let atoms = [
            format!("a == '{v}'"), "has(b)".to_string(), format!("b in {{'{v}', 'x'}}"),
            "a starts with 'x'".to_string(), "all()".to_string(),
        ];
        for x in &atoms {
            let sx = Selector::parse(x).unwrap().matches(&l);
            prop_assert_eq!(Selector::parse(&format!("!({x})")).unwrap().matches(&l), !sx);
            for y in &atoms {
                let sy = Selector::parse(y).unwrap().matches(&l);
                prop_assert_eq!(Selector::parse(&format!("{x} && {y}")).unwrap().matches(&l), sx && sy);
                prop_assert_eq!(Selector::parse(&format!("{x} || {y}")).unwrap().matches(&l), sx || sy);
            }
        }
        prop_assert_eq!(
            Selector::parse(&format!("a not in {{'{v}'}}")).unwrap().matches(&l),
            !Selector::parse(&format!("a in {{'{v}'}}")).unwrap().matches(&l)
        );
        prop_assert_eq!(
            Selector::parse(&format!("a != '{v}'")).unwrap().matches(&l),
            !Selector::parse(&format!("a == '{v}'")).unwrap().matches(&l)
        );
    }
}

#[test]
fn selector_hostile_input_is_bounded() {
    // Deep nesting is refused with a position, not a stack overflow.
    for open in ["(", "!", "!("] {
        let deep = format!(
            "{}all(){}",
            open.repeat(100_000),
            ")".repeat(if open.contains('(') { 100_000 } else { 0 })
        );
        let e = Selector::parse(&deep[..deep.len().min(MAX_LEN)]).unwrap_err();
        assert!(e.message.contains("nested deeper"), "{e}");
        assert!(e.column <= MAX_DEPTH + 2 || open == "!(", "{e}");
    }
    // Nesting within the limit is fine.
    let ok = format!(
        "{}has(a){}",
        "(".repeat(MAX_DEPTH - 1),
        ")".repeat(MAX_DEPTH - 1)
    );
    assert!(Selector::parse(&ok).is_ok());
    // Huge input is refused up front; long flat input within the limit parses in linear time.
    let huge = "a == 'x' || ".repeat(MAX_LEN);
    assert!(
        Selector::parse(&huge)
            .unwrap_err()
            .message
            .contains("longer than")
    );
    let long = vec!["a == 'x'"; 5_000].join(" || ");
    assert!(long.len() < MAX_LEN);
    assert!(Selector::parse(&long).is_ok());
    let set = format!("a in {{{}}}", vec!["'v'"; 10_000].join(","));
    assert!(Selector::parse(&set).is_ok());
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        Just(json!("")),
        Just(json!("Allow")),
        Just(json!("Deny")),
        Just(json!("Pass")),
        Just(json!("Log")),
        Just(json!("TCP")),
        Just(json!("ICMP")),
        Just(json!(6)),
        Just(json!(80)),
        Just(json!(70000)),
        Just(json!("80:90")),
        Just(json!("90:80")),
        Just(json!("http")),
        Just(json!("all()")),
        Just(json!("a == 'x' &&")),
        Just(json!("has(a)")),
        Just(json!("10.0.0.0/8")),
        Just(json!(["10.0.0.0/8"])),
        Just(json!(["10.0.0.0/33"])),
        Just(json!({})),
        Just(json!([])),
        Just(json!({"matchLabels": {"a": "x"}})),
        Just(json!({"port": 80})),
        Just(json!({"start": 90, "end": 80})),
        Just(json!(1001)),
        Just(json!(-1)),
        Just(json!(1.5)),
    ]
}

fn object_of(keys: &'static [&'static str]) -> impl Strategy<Value = Value> {
    prop::collection::vec((prop::sample::select(keys), leaf()), 0..4)
        .prop_map(|kv| Value::Object(kv.into_iter().map(|(k, v)| (k.to_string(), v)).collect()))
}

fn admin_rule() -> impl Strategy<Value = Value> {
    (
        leaf(),
        prop::collection::vec(
            prop_oneof![
                object_of(&["namespaces", "pods", "nodes", "networks"]),
                Just(json!({"pods": {"namespaceSelector": {}, "podSelector": {}}})),
                Just(json!({"networks": ["0.0.0.0/0"]})),
            ],
            0..3,
        ),
        prop::option::of(prop::collection::vec(
            prop_oneof![
                object_of(&["portNumber", "namedPort", "portRange"]),
                Just(json!({"portNumber": {"port": 80}})),
                Just(json!({"portRange": {"start": 80, "end": 81, "protocol": "UDP"}})),
            ],
            0..3,
        )),
    )
        .prop_map(|(action, peers, ports)| json!({"action": action, "from": peers.clone(), "to": peers, "ports": ports}))
}

fn calico_rule() -> impl Strategy<Value = Value> {
    (
        leaf(),
        leaf(),
        object_of(&["nets", "notNets", "selector", "notSelector", "namespaceSelector", "ports", "notPorts", "serviceAccounts"]),
        object_of(&["nets", "notNets", "selector", "notSelector", "namespaceSelector", "ports", "notPorts"]),
    )
        .prop_map(|(action, protocol, source, destination)| {
            json!({"action": action, "protocol": protocol, "source": source, "destination": destination})
        })
}

fn tiered_object() -> impl Strategy<Value = Value> {
    prop_oneof![
        (leaf(), prop::collection::vec(admin_rule(), 0..3), prop::bool::ANY).prop_map(|(priority, rules, baseline)| {
            json!({
                "apiVersion": "policy.networking.k8s.io/v1alpha1",
                "kind": if baseline { "BaselineAdminNetworkPolicy" } else { "AdminNetworkPolicy" },
                "metadata": {"name": "default"},
                "spec": {"priority": priority, "subject": {"namespaces": {}}, "ingress": rules.clone(), "egress": rules}
            })
        }),
        (leaf(), leaf(), prop::collection::vec(calico_rule(), 0..3), prop::bool::ANY).prop_map(|(selector, types, rules, global)| {
            json!({
                "apiVersion": "projectcalico.org/v3",
                "kind": if global { "GlobalNetworkPolicy" } else { "NetworkPolicy" },
                "metadata": {"name": "p", "namespace": "ns"},
                "spec": {"selector": selector, "types": types, "ingress": rules.clone(), "egress": rules}
            })
        }),
    ]
}

fn pod(name: &str, labels: Value, ip: &str) -> Value {
    json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": "ns", "labels": labels},
        "spec": {"containers": [{"name": "c", "image": "i", "ports": [{"name": "http", "containerPort": 80}]}]},
        "status": {"podIP": ip}
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn random_tiered_policies_never_panic(p in tiered_object()) {
        let objects: Vec<Object> = [p, pod("a", json!({"a": "x"}), "10.0.0.1"), pod("b", json!({}), "fd00::1")]
            .into_iter()
            .filter_map(|v| Object::new(v, origin()).ok())
            .collect();
        let model = Model::new(&Inventory::new(objects));
        prop_assert_eq!(
            model.admin.len() + usize::from(model.baseline.is_some()) + model.calico.len() + model.rejected.len(),
            1
        );
        for (_, problems) in &model.rejected {
            prop_assert!(!problems.is_empty());
        }
        for to in ["ns/a", "ns/b", "ip:10.0.0.1", "ip:::1"] {
            for port in [Port::tcp(80), Port { port: PortValue::Name("http".into()), protocol: Protocol::Tcp }] {
                let _ = model.query_str("ns/a", to, &port);
                let _ = model.query_str(to, "ns/b", &port);
            }
        }
        for w in 0..model.workloads.len() {
            let _ = model.admits_any_port(w, true, kubecomply_netpol::Endpoint::Ip("10.0.0.9".parse().unwrap()));
        }
    }
}

/// Objects selecting nothing: a Calico tier and policies, an ANP and a BANP whose subjects
/// match no namespace. They switch the engine to the tiered wording but must not change a
/// single verdict of the plain NetworkPolicy cases.
const INERT: &str = r#"
---
apiVersion: projectcalico.org/v3
kind: Tier
metadata: {name: inert}
spec: {order: 1}
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: inert.deny}
spec:
  tier: inert
  selector: no-such-label == 'x'
  ingress: [{action: Deny}]
  egress: [{action: Deny}]
---
apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata: {name: inert}
spec:
  priority: 0
  subject: {namespaces: {matchLabels: {no-such-label: x}}}
  ingress: [{action: Deny, from: [{namespaces: {}}]}]
---
apiVersion: policy.networking.k8s.io/v1alpha1
kind: BaselineAdminNetworkPolicy
metadata: {name: default}
spec:
  subject: {namespaces: {matchLabels: {no-such-label: x}}}
  egress: [{action: Deny, to: [{networks: [0.0.0.0/0]}]}]
"#;

#[test]
fn tier_model_equals_plain_networkpolicy_semantics() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases");
    let mut compared = 0;
    for entry in std::fs::read_dir(&dir).expect("cases") {
        let path = entry.expect("entry").path();
        let text = std::fs::read_to_string(&path).expect("read");
        let docs = parse_documents(&text).expect("yaml");
        let plain = docs.iter().all(|d| {
            d.get("apiVersion").and_then(Value::as_str).is_none_or(|a| {
                !a.contains("projectcalico.org") && !a.starts_with("policy.networking.k8s.io")
            })
        });
        if !plain {
            continue;
        }
        let mut world = String::new();
        for ns in ["x", "y", "z"] {
            world.push_str(&format!("---\napiVersion: v1\nkind: Namespace\nmetadata: {{name: \"{ns}\", labels: {{ns: \"{ns}\"}}}}\n"));
            for (i, p) in ["a", "b", "c"].iter().enumerate() {
                world.push_str(&format!(
                    "---\napiVersion: v1\nkind: Pod\nmetadata: {{name: {p}, namespace: \"{ns}\", labels: {{pod: {p}}}}}\nspec: {{containers: [{{name: c, image: i, ports: [{{name: serve-80-tcp, containerPort: 80}}]}}]}}\nstatus: {{podIP: 10.9.{}.{}}}\n",
                    ns.as_bytes()[0], i + 1
                ));
            }
        }
        let build = |extra: &str| {
            let full = format!("{text}\n{world}{extra}");
            let loaded = load(files::from_string("case", full), &Limits::default());
            Model::new(&Inventory::new(loaded.objects))
        };
        let a = build("");
        let b = build(INERT);
        assert!(!a.has_tiered_objects() && b.has_tiered_objects());
        let mut ends: Vec<String> = a.workloads.iter().map(|w| w.display()).collect();
        ends.extend(["ip:192.0.2.1".to_string(), "ip:10.9.120.1".to_string()]);
        for f in &ends {
            for t in &ends {
                for port in [
                    Port::tcp(80),
                    Port::tcp(81),
                    Port {
                        port: PortValue::Number(80),
                        protocol: Protocol::Udp,
                    },
                ] {
                    let (Ok(va), Ok(vb)) = (a.query_str(f, t, &port), b.query_str(f, t, &port))
                    else {
                        continue;
                    };
                    assert_eq!(
                        va.allowed,
                        vb.allowed,
                        "{}: {f} -> {t} {port:?}",
                        path.display()
                    );
                    assert_eq!(va.ingress.allowed_by, vb.ingress.allowed_by);
                    assert_eq!(va.egress.isolated, vb.egress.isolated);
                    compared += 1;
                }
            }
        }
    }
    assert!(compared > 1000, "{compared}");
}

#[test]
fn admin_policy_limits_are_enforced() {
    let rule = json!({"action": "Deny", "from": [{"namespaces": {}}]});
    let anp = |n: usize| {
        json!({
            "apiVersion": "policy.networking.k8s.io/v1alpha1",
            "kind": "AdminNetworkPolicy",
            "metadata": {"name": "big"},
            "spec": {"priority": 1, "subject": {"namespaces": {}}, "ingress": vec![rule.clone(); n]}
        })
    };
    let model = |v: Value| {
        Model::new(&Inventory::new(
            Object::new(v, origin()).into_iter().collect(),
        ))
    };
    assert_eq!(model(anp(100)).admin.len(), 1);
    let m = model(anp(101));
    assert!(m.admin.is_empty());
    assert_eq!(m.rejected.len(), 1);
    assert_eq!(m.rejected[0].1[0].0, "/spec/ingress");
    // A Calico policy with many rules and long selectors stays cheap to build and query.
    let sel = vec!["a == 'x'"; 200].join(" || ");
    let rules: Vec<Value> = (0..1_000)
        .map(|i| json!({"action": "Log", "protocol": "TCP", "source": {"selector": sel.clone()}, "destination": {"ports": [i % 65535 + 1]}}))
        .collect();
    let gnp = json!({
        "apiVersion": "projectcalico.org/v3", "kind": "GlobalNetworkPolicy",
        "metadata": {"name": "wide"}, "spec": {"selector": "all()", "ingress": rules}
    });
    let objects: Vec<Object> = [
        gnp,
        pod("a", json!({"a": "x"}), "10.0.0.1"),
        pod("b", json!({}), "10.0.0.2"),
    ]
    .into_iter()
    .filter_map(|v| Object::new(v, origin()).ok())
    .collect();
    let m = Model::new(&Inventory::new(objects));
    assert_eq!(m.calico.len(), 1);
    let v = m.query_str("ns/a", "ns/b", &Port::tcp(80)).expect("query");
    // Log on port 80 only, then the end of the default tier.
    assert!(!v.allowed);
    assert_eq!(v.ingress.trail.len(), 1);
}
