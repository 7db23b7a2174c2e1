//! Differential test of the class-based matrix (`Model::reachability`) against pair-by-pair
//! queries (`Model::query`) on random but valid worlds: pods with labels, named and numbered
//! ports and host networking in three namespaces, and random NetworkPolicies,
//! AdminNetworkPolicies, a BaselineAdminNetworkPolicy and Calico policies in tiers. The matrix
//! groups workloads into classes and evaluates rules as bitsets; the query walks the tiers for
//! one pair. Every pair on every port must agree, whatever the policies.

mod common;

use common::origin;
use kubecomply_core::{Inventory, Object};
use kubecomply_core::{Value, json};
use kubecomply_netpol::{Model, Port, PortValue, Protocol};
use proptest::prelude::*;

const NAMESPACES: [&str; 3] = ["x", "y", "z"];

fn pick<T: Clone + std::fmt::Debug + 'static>(v: Vec<T>) -> impl Strategy<Value = T> {
    prop::sample::select(v)
}

/// Labels over a small alphabet, so selectors often match.
fn labels() -> impl Strategy<Value = Value> {
    prop::collection::btree_map(pick(vec!["app", "tier"]), pick(vec!["a", "b"]), 0..3)
        .prop_map(|m| json!(m))
}

fn pod() -> impl Strategy<Value = (usize, Value, bool, bool)> {
    (
        0..3usize,
        labels(),
        prop::bool::weighted(0.1),
        prop::bool::ANY,
    )
}

fn label_selector() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(json!({})),
        (pick(vec!["app", "tier"]), pick(vec!["a", "b"]))
            .prop_map(|(k, v)| json!({"matchLabels": {k: v}})),
        (
            pick(vec!["app", "tier"]),
            pick(vec!["In", "NotIn", "Exists", "DoesNotExist"])
        )
            .prop_map(|(k, op)| {
                if op == "In" || op == "NotIn" {
                    json!({"matchExpressions": [{"key": k, "operator": op, "values": ["a"]}]})
                } else {
                    json!({"matchExpressions": [{"key": k, "operator": op}]})
                }
            }),
    ]
}

fn namespace_selector() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(json!({})),
        pick(NAMESPACES.to_vec())
            .prop_map(|n| json!({"matchLabels": {"kubernetes.io/metadata.name": n}})),
        Just(json!({"matchLabels": {"env": "prod"}})),
    ]
}

fn np_peer() -> impl Strategy<Value = Value> {
    prop_oneof![
        label_selector().prop_map(|p| json!({"podSelector": p})),
        namespace_selector().prop_map(|n| json!({"namespaceSelector": n})),
        (label_selector(), namespace_selector())
            .prop_map(|(p, n)| json!({"podSelector": p, "namespaceSelector": n})),
        Just(json!({"ipBlock": {"cidr": "10.0.0.0/24", "except": ["10.0.0.0/30"]}})),
        Just(json!({"ipBlock": {"cidr": "0.0.0.0/0"}})),
    ]
}

fn np_port() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(json!({"port": 80})),
        Just(json!({"port": 81, "protocol": "UDP"})),
        Just(json!({"port": "http"})),
        Just(json!({"port": "dns", "protocol": "UDP"})),
        Just(json!({"port": 80, "endPort": 81})),
        Just(json!({"protocol": "SCTP"})),
    ]
}

fn np_rule(peer_key: &'static str) -> impl Strategy<Value = Value> {
    (
        prop::option::of(prop::collection::vec(np_peer(), 0..3)),
        prop::option::of(prop::collection::vec(np_port(), 0..3)),
    )
        .prop_map(move |(peers, ports)| {
            let mut r = kubecomply_core::Map::new();
            if let Some(p) = peers {
                r.insert(peer_key.into(), json!(p));
            }
            if let Some(p) = ports {
                r.insert("ports".into(), json!(p));
            }
            Value::Object(r)
        })
}

fn network_policy() -> impl Strategy<Value = Value> {
    (
        pick(NAMESPACES.to_vec()),
        label_selector(),
        prop::option::of(pick(vec![
            vec!["Ingress"],
            vec!["Egress"],
            vec!["Ingress", "Egress"],
        ])),
        prop::collection::vec(np_rule("from"), 0..3),
        prop::collection::vec(np_rule("to"), 0..3),
    )
        .prop_map(|(ns, selector, types, ingress, egress)| {
            let mut spec = json!({"podSelector": selector, "ingress": ingress, "egress": egress});
            if let Some(t) = types {
                spec["policyTypes"] = json!(t);
            }
            json!({
                "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                "metadata": {"name": "np", "namespace": ns}, "spec": spec
            })
        })
}

fn anp_peer() -> impl Strategy<Value = Value> {
    prop_oneof![
        namespace_selector().prop_map(|n| json!({"namespaces": n})),
        (namespace_selector(), label_selector())
            .prop_map(|(n, p)| json!({"pods": {"namespaceSelector": n, "podSelector": p}})),
    ]
}

fn anp_ports() -> impl Strategy<Value = Option<Value>> {
    prop::option::of(prop_oneof![
        Just(json!([{"portNumber": {"port": 80, "protocol": "TCP"}}])),
        Just(json!([{"namedPort": "http"}])),
        Just(json!([{"portRange": {"start": 80, "end": 81, "protocol": "UDP"}}])),
    ])
}

fn anp_rule(baseline: bool, peer_key: &'static str) -> impl Strategy<Value = Value> {
    let actions = if baseline {
        vec!["Allow", "Deny"]
    } else {
        vec!["Allow", "Deny", "Pass"]
    };
    (
        pick(actions),
        prop::collection::vec(anp_peer(), 1..3),
        anp_ports(),
    )
        .prop_map(move |(action, peers, ports)| {
            let mut r = json!({"name": "r", "action": action, peer_key: peers});
            if let Some(p) = ports {
                r["ports"] = p;
            }
            r
        })
}

fn admin_policy(baseline: bool) -> impl Strategy<Value = Value> {
    (
        0..4u32,
        prop_oneof![
            namespace_selector().prop_map(|n| json!({"namespaces": n})),
            (namespace_selector(), label_selector())
                .prop_map(|(n, p)| json!({"pods": {"namespaceSelector": n, "podSelector": p}})),
        ],
        prop::collection::vec(anp_rule(baseline, "from"), 0..3),
        prop::collection::vec(anp_rule(baseline, "to"), 0..3),
    )
        .prop_map(move |(priority, subject, ingress, egress)| {
            if baseline {
                json!({
                    "apiVersion": "policy.networking.k8s.io/v1alpha1",
                    "kind": "BaselineAdminNetworkPolicy",
                    "metadata": {"name": "default"},
                    "spec": {"subject": subject, "ingress": ingress, "egress": egress}
                })
            } else {
                json!({
                    "apiVersion": "policy.networking.k8s.io/v1alpha1",
                    "kind": "AdminNetworkPolicy",
                    "metadata": {"name": format!("anp-{priority}")},
                    "spec": {"priority": priority, "subject": subject, "ingress": ingress, "egress": egress}
                })
            }
        })
}

fn calico_selector() -> impl Strategy<Value = &'static str> {
    pick(vec![
        "all()",
        "app == 'a'",
        "tier != 'b'",
        "has(app)",
        "!has(tier)",
        "app in {'a', 'b'} && tier == 'a'",
        "app == 'b' || tier == 'b'",
    ])
}

fn calico_entity() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(json!({})),
        calico_selector().prop_map(|s| json!({"selector": s})),
        calico_selector().prop_map(|s| json!({"notSelector": s})),
        pick(NAMESPACES.to_vec()).prop_map(|n| json!({
            "namespaceSelector": format!("projectcalico.org/name == '{n}'")
        })),
        Just(json!({"nets": ["10.0.0.0/24"]})),
        Just(json!({"notNets": ["10.0.0.0/30"]})),
        Just(json!({"ports": [80, "http"]})),
        Just(json!({"ports": ["80:81"]})),
        Just(json!({"notPorts": [81]})),
    ]
}

fn calico_rule() -> impl Strategy<Value = Value> {
    (
        pick(vec!["Allow", "Deny", "Pass", "Log"]),
        prop::option::of(pick(vec!["TCP", "UDP", "SCTP"])),
        calico_entity(),
        calico_entity(),
    )
        .prop_map(|(action, protocol, source, destination)| {
            // Calico accepts `ports` only with a protocol that has ports.
            let needs_protocol = destination.get("ports").is_some()
                || destination.get("notPorts").is_some()
                || source.get("ports").is_some()
                || source.get("notPorts").is_some();
            let mut r = json!({"action": action, "source": source, "destination": destination});
            match (protocol, needs_protocol) {
                (Some(p), _) => r["protocol"] = json!(p),
                (None, true) => r["protocol"] = json!("TCP"),
                (None, false) => {}
            }
            r
        })
}

fn calico_policy() -> impl Strategy<Value = Value> {
    (
        prop::bool::ANY,
        pick(vec!["default", "security"]),
        0..3u32,
        calico_selector(),
        prop::option::of(pick(vec![
            vec!["Ingress"],
            vec!["Egress"],
            vec!["Ingress", "Egress"],
        ])),
        prop::collection::vec(calico_rule(), 0..3),
        prop::collection::vec(calico_rule(), 0..3),
        pick(NAMESPACES.to_vec()),
    )
        .prop_map(
            |(global, tier, order, selector, types, ingress, egress, ns)| {
                let name = format!("{tier}.p{order}");
                let mut spec = json!({
                    "tier": tier, "order": order, "selector": selector,
                    "ingress": ingress, "egress": egress
                });
                if let Some(t) = types {
                    spec["types"] = json!(t);
                }
                if global {
                    json!({
                        "apiVersion": "projectcalico.org/v3", "kind": "GlobalNetworkPolicy",
                        "metadata": {"name": name}, "spec": spec
                    })
                } else {
                    json!({
                        "apiVersion": "projectcalico.org/v3", "kind": "NetworkPolicy",
                        "metadata": {"name": name, "namespace": ns}, "spec": spec
                    })
                }
            },
        )
}

fn world() -> impl Strategy<Value = Vec<Value>> {
    (
        prop::collection::vec(pod(), 2..7),
        prop::collection::vec(network_policy(), 0..4),
        prop::collection::vec(admin_policy(false), 0..3),
        prop::option::of(admin_policy(true)),
        prop::collection::vec(calico_policy(), 0..4),
        prop::bool::ANY,
    )
        .prop_map(|(pods, nps, anps, banp, calico, with_tier)| {
            let mut objects: Vec<Value> = NAMESPACES
                .iter()
                .map(|n| {
                    let mut labels = json!({"kubernetes.io/metadata.name": n});
                    if *n == "x" {
                        labels["env"] = json!("prod");
                    }
                    json!({"apiVersion": "v1", "kind": "Namespace",
                           "metadata": {"name": n, "labels": labels}})
                })
                .collect();
            for (i, (ns, labels, host, udp)) in pods.into_iter().enumerate() {
                let mut ports = vec![json!({"name": "http", "containerPort": 80 + (i % 2)})];
                if udp {
                    ports.push(json!({"name": "dns", "containerPort": 81, "protocol": "UDP"}));
                }
                objects.push(json!({
                    "apiVersion": "v1", "kind": "Pod",
                    "metadata": {"name": format!("p{i}"), "namespace": NAMESPACES[ns], "labels": labels},
                    "spec": {"hostNetwork": host,
                             "containers": [{"name": "c", "image": "i", "ports": ports}]},
                    "status": {"podIP": format!("10.0.0.{}", i + 1)}
                }));
            }
            // Distinct names: a name is the policy's identity.
            for (i, mut p) in nps.into_iter().enumerate() {
                p["metadata"]["name"] = json!(format!("np-{i}"));
                objects.push(p);
            }
            for (i, mut p) in anps.into_iter().enumerate() {
                p["metadata"]["name"] = json!(format!("anp-{i}"));
                p["spec"]["priority"] = json!(i as u64 * 3 + p["spec"]["priority"].as_u64().unwrap_or(0) % 3);
                objects.push(p);
            }
            objects.extend(banp);
            if with_tier || calico.iter().any(|p| p["spec"]["tier"] == "security") {
                objects.push(json!({"apiVersion": "projectcalico.org/v3", "kind": "Tier",
                                    "metadata": {"name": "security"}, "spec": {"order": 100}}));
            }
            for (i, mut p) in calico.into_iter().enumerate() {
                let tier = p["spec"]["tier"].as_str().unwrap_or("default").to_string();
                p["metadata"]["name"] = json!(if tier == "default" {
                    format!("p{i}")
                } else {
                    format!("{tier}.p{i}")
                });
                objects.push(p);
            }
            objects
        })
}

fn ports() -> Vec<Port> {
    let mut v = vec![
        Port::tcp(80),
        Port::tcp(81),
        Port {
            port: PortValue::Number(81),
            protocol: Protocol::Udp,
        },
        Port {
            port: PortValue::Number(80),
            protocol: Protocol::Sctp,
        },
    ];
    v.push(Port {
        port: PortValue::Name("http".into()),
        protocol: Protocol::Tcp,
    });
    v
}

/// What the generated worlds exercised, so the test fails if the generator drifts into
/// worlds where everything is rejected, allowed or denied.
#[derive(Default)]
struct Seen {
    accepted: usize,
    rejected: usize,
    allowed: usize,
    denied: usize,
    admin: usize,
    calico: usize,
}

fn check(objects: Vec<Value>, seen: &mut Seen) -> Result<(), TestCaseError> {
    let objects: Vec<Object> = objects
        .into_iter()
        .map(|v| Object::new(v, origin()).expect("generated objects are objects"))
        .collect();
    let model = Model::new(&Inventory::new(objects));
    seen.rejected += model.rejected.len();
    seen.accepted += model.policies.len() + model.admin.len() + model.calico.len();
    seen.admin += model.admin.len() + usize::from(model.baseline.is_some());
    seen.calico += model.calico.len();
    let ports = ports();
    let mut allowed = 0;
    let wrong = common::matrix_disagreements(&model, &ports, &mut allowed);
    seen.allowed += allowed;
    seen.denied += model.workloads.len() * model.workloads.len() * ports.len() - allowed;
    prop_assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    Ok(())
}

#[test]
fn matrix_agrees_with_queries() {
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
        cases: 1500,
        failure_persistence: None,
        ..ProptestConfig::default()
    });
    let seen = std::cell::RefCell::new(Seen::default());
    let result = runner.run(&world(), |objects| check(objects, &mut seen.borrow_mut()));
    if let Err(e) = result {
        panic!("{e}");
    }
    let seen = seen.into_inner();
    eprintln!(
        "policies accepted {} rejected {}; admin {} calico {}; verdicts allowed {} denied {}",
        seen.accepted, seen.rejected, seen.admin, seen.calico, seen.allowed, seen.denied
    );
    // Most generated policies are valid, and the worlds give both verdicts in quantity.
    assert!(
        seen.accepted > 4 * seen.rejected,
        "too many rejected policies"
    );
    assert!(seen.admin > 1000 && seen.calico > 1000);
    let total = seen.allowed + seen.denied;
    assert!(seen.allowed * 10 > total && seen.denied * 10 > total);
}
