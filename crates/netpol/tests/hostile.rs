//! Hostile and malformed policies: nothing panics, and [`validate`] agrees with the parser
//! (a policy without problems always parses; one with problems never enters the model).

mod common;

use common::origin;
use kubecomply_core::{Inventory, Object};
use kubecomply_core::{Value, json};
use kubecomply_netpol::{Model, NetworkPolicy, Port, PortValue, Protocol, validate};
use proptest::prelude::*;

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        Just(json!("")),
        Just(json!("TCP")),
        Just(json!("UDP")),
        Just(json!("SCTP")),
        Just(json!("tcp")),
        Just(json!("http")),
        Just(json!("Ingress")),
        Just(json!("Egress")),
        Just(json!(0)),
        Just(json!(80)),
        Just(json!(81)),
        Just(json!(65535)),
        Just(json!(65536)),
        Just(json!(-1)),
        Just(json!(1.5)),
        Just(json!(true)),
        Just(json!("10.0.0.0/8")),
        Just(json!("10.1.0.0/16")),
        Just(json!("10.1.2.3/32")),
        Just(json!("::/0")),
        Just(json!("fd00::/8")),
        Just(json!("10.0.0.0/33")),
        Just(json!({})),
        Just(json!([])),
        Just(json!({"matchLabels": {"app": "web"}})),
        Just(json!({"matchLabels": {"app": 1}})),
        Just(json!({"matchExpressions": [{"key": "app", "operator": "In", "values": []}]})),
        Just(json!({"matchExpressions": [{"key": "app", "operator": "NotIn", "values": ["x"]}]})),
        Just(json!({"matchExpressions": [{"key": "app", "operator": "Exists"}]})),
        Just(json!({"matchExpressions": "x"})),
    ]
}

fn maybe<S: Strategy<Value = Value>>(s: S) -> impl Strategy<Value = Option<Value>> {
    prop_oneof![Just(None), s.prop_map(Some), leaf().prop_map(Some)]
}

fn object(fields: Vec<(&'static str, Option<Value>)>) -> Value {
    Value::Object(
        fields
            .into_iter()
            .filter_map(|(k, v)| Some((k.to_string(), v?)))
            .collect(),
    )
}

fn peer() -> impl Strategy<Value = Value> {
    let ip_block = (
        maybe(leaf()),
        maybe(prop::collection::vec(leaf(), 0..3).prop_map(Value::Array)),
    )
        .prop_map(|(cidr, except)| object(vec![("cidr", cidr), ("except", except)]));
    (maybe(leaf()), maybe(leaf()), maybe(ip_block)).prop_map(|(p, n, b)| {
        object(vec![
            ("podSelector", p),
            ("namespaceSelector", n),
            ("ipBlock", b),
        ])
    })
}

fn port() -> impl Strategy<Value = Value> {
    (maybe(leaf()), maybe(leaf()), maybe(leaf())).prop_map(|(port, end, proto)| {
        object(vec![("port", port), ("endPort", end), ("protocol", proto)])
    })
}

fn rule(peer_key: &'static str) -> impl Strategy<Value = Value> {
    (
        maybe(prop::collection::vec(peer(), 0..3).prop_map(Value::Array)),
        maybe(prop::collection::vec(port(), 0..3).prop_map(Value::Array)),
    )
        .prop_map(move |(peers, ports)| object(vec![(peer_key, peers), ("ports", ports)]))
}

fn policy() -> impl Strategy<Value = Value> {
    (
        maybe(leaf()),
        maybe(prop::collection::vec(leaf(), 0..3).prop_map(Value::Array)),
        maybe(prop::collection::vec(rule("from"), 0..3).prop_map(Value::Array)),
        maybe(prop::collection::vec(rule("to"), 0..3).prop_map(Value::Array)),
    )
        .prop_map(|(sel, types, ingress, egress)| {
            json!({
                "apiVersion": "networking.k8s.io/v1",
                "kind": "NetworkPolicy",
                "metadata": {"name": "p", "namespace": "ns"},
                "spec": object(vec![
                    ("podSelector", sel),
                    ("policyTypes", types),
                    ("ingress", ingress),
                    ("egress", egress),
                ]),
            })
        })
}

fn pod(name: &str, labels: Value, ip: &str) -> Value {
    json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": "ns", "labels": labels},
        "spec": {"containers": [{"name": "c", "image": "i", "ports": [
            {"name": "http", "containerPort": 80},
            {"name": "http", "containerPort": 81, "protocol": "UDP"},
            {"containerPort": 99999},
            {"containerPort": 0, "protocol": "ICMP"}
        ]}]},
        "status": {"podIP": ip, "podIPs": [{"ip": ip}, {"ip": 7}]}
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn validate_agrees_with_parse_and_queries_never_panic(p in policy()) {
        let problems = validate(&p);
        let parsed = NetworkPolicy::parse(&p);
        prop_assert_eq!(problems.is_empty(), parsed.is_ok(), "{} {:?}", p, problems);
        for (pointer, _) in &problems {
            prop_assert!(pointer.is_empty() || pointer.starts_with("/spec"), "{}", pointer);
        }
        let objects: Vec<Object> = [p, pod("a", json!({"app": "web"}), "10.1.2.3"), pod("b", json!({}), "fd00::1")]
            .into_iter()
            .filter_map(|v| Object::new(v, origin()).ok())
            .collect();
        let inv = Inventory::new(objects);
        // A wrongly typed field makes the whole object invalid before the network analysis
        // sees it (kubecomply_core::shape); the analysis itself rejects it too.
        for o in &inv.invalid {
            prop_assert!(o.kind == "NetworkPolicy" && !problems.is_empty(), "{:?}", o.invalid);
        }
        let model = Model::new(&inv);
        prop_assert_eq!(
            model.policies.len()
                + model.rejected.len()
                + inv.invalid.iter().filter(|o| o.kind == "NetworkPolicy").count(),
            1
        );
        for to in ["ns/a", "ns/b", "ip:10.1.2.3", "ip:::1"] {
            for port in [
                Port::tcp(80),
                Port { port: PortValue::Name("http".into()), protocol: Protocol::Udp },
                Port { port: PortValue::Number(0), protocol: Protocol::Sctp },
            ] {
                let _ = model.query_str("ns/a", to, &port);
                let _ = model.query_str(to, "ns/b", &port);
            }
        }
    }
}

#[test]
fn non_object_policies_do_not_panic() {
    for v in [
        json!(null),
        json!([]),
        json!({"spec": 5}),
        json!({"spec": {"ingress": {"from": []}}}),
        json!({"spec": {"ingress": [5, null]}}),
        json!({"spec": {"egress": [{"to": [null, 1, {"ipBlock": 3}]}]}}),
        json!({"spec": {"ingress": [{"ports": [{"port": 80, "endPort": "x"}]}]}}),
    ] {
        let problems = validate(&v);
        assert_eq!(
            problems.is_empty(),
            NetworkPolicy::parse(&v).is_ok(),
            "{v}: {problems:?}"
        );
    }
}
