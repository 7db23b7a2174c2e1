//! The query API: endpoint references, resolution, ports and explanations.

use kubecomply_core::Inventory;
use kubecomply_loader::{Limits, files, load};
use kubecomply_netpol::{
    Endpoint, EndpointRef, Model, Port, PortValue, Protocol, QueryError, validate,
};

fn model(yaml: &str) -> Model {
    let loaded = load(
        files::from_string("t.yaml", yaml.to_string()),
        &Limits::default(),
    );
    Model::new(&Inventory::new(loaded.objects))
}

const WORKLOADS: &str = r#"
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec:
  template:
    metadata: {labels: {app: api}}
    spec: {containers: [{name: c, image: i, ports: [{name: grpc, containerPort: 9000}]}]}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: api, namespace: shop}
spec:
  template:
    metadata: {labels: {app: api-db}}
    spec: {containers: [{name: c, image: i}]}
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: report, namespace: shop}
spec:
  jobTemplate:
    spec:
      template:
        metadata: {labels: {app: report}}
        spec: {containers: [{name: c, image: i}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: api, namespace: shop}
spec:
  podSelector: {matchLabels: {app: api}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: report}}}]
    ports: [{port: grpc}]
"#;

#[test]
fn endpoint_forms() {
    assert_eq!(
        "ns/name".parse::<EndpointRef>(),
        Ok(EndpointRef::Named {
            namespace: "ns".into(),
            kind: None,
            name: "name".into()
        })
    );
    assert!(matches!(
        "ns/Deployment/name".parse::<EndpointRef>(),
        Ok(EndpointRef::Named { kind: Some(k), .. }) if k == "Deployment"
    ));
    assert!(matches!(
        "ip:2001:db8::1".parse::<EndpointRef>(),
        Ok(EndpointRef::Ip(_))
    ));
    for bad in ["", "ns", "ns/", "/x", "a/b/c/d", "ip:300.1.1.1", "ip:"] {
        assert!(
            matches!(bad.parse::<EndpointRef>(), Err(QueryError::BadEndpoint(_))),
            "{bad}"
        );
    }
}

#[test]
fn resolution_by_kind_and_ambiguity() {
    let m = model(WORKLOADS);
    assert!(matches!(
        m.endpoint("shop/api"),
        Err(QueryError::AmbiguousEndpoint(..))
    ));
    let d = m.endpoint("shop/deployment/api").expect("deployment");
    assert_eq!(m.describe(d), "shop/Deployment/api");
    assert!(matches!(
        m.endpoint("shop/missing"),
        Err(QueryError::UnknownEndpoint(_))
    ));
    let cron = m.endpoint("shop/report").expect("cronjob template");
    assert_eq!(m.describe(cron), "shop/CronJob/report");
    assert_eq!(m.namespaces["shop"]["kubernetes.io/metadata.name"], "shop");
}

#[test]
fn explanations_name_policy_and_rule() {
    let m = model(WORKLOADS);
    let grpc = Port {
        port: PortValue::Name("grpc".into()),
        protocol: Protocol::Tcp,
    };
    let v = m
        .query_str("shop/report", "shop/Deployment/api", &grpc)
        .expect("query");
    assert!(v.allowed);
    assert_eq!(v.port, 9000);
    assert!(!v.egress.isolated);
    assert!(v.ingress.isolated);
    let by = v.ingress.allowed_by.expect("rule");
    assert_eq!((by.policy.name.as_str(), by.rule), ("api", 0));

    let v = m
        .query_str(
            "shop/StatefulSet/api",
            "shop/Deployment/api",
            &Port::tcp(9000),
        )
        .expect("query");
    assert!(!v.allowed);
    assert_eq!(v.ingress.policies.len(), 1);
    assert!(v.ingress.reason.contains("no rule"), "{}", v.ingress.reason);

    // A name the destination lacks cannot be resolved.
    let to = m.endpoint("shop/report").expect("report");
    assert!(matches!(
        m.query(Endpoint::Ip("192.0.2.1".parse().expect("ip")), to, &grpc),
        Err(QueryError::UnresolvedPort(_))
    ));
    // Traffic from outside: the source side has no policy.
    let api = m.endpoint("shop/Deployment/api").expect("api");
    let v = m
        .query(Endpoint::Ip("192.0.2.1".parse().expect("ip")), api, &grpc)
        .expect("query");
    assert!(!v.egress.applies);
    assert!(!v.allowed);
}

#[test]
fn validate_reports_pointers() {
    let p = kubecomply_core::json!({
        "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
        "metadata": {"name": "p"},
        "spec": {"egress": [{"to": [{"ipBlock": {"cidr": "10.0.0.0/8", "except": ["11.0.0.0/16"]}}],
                             "ports": [{"port": "http", "endPort": 90}]}]}
    });
    let got: Vec<String> = validate(&p).into_iter().map(|(p, _)| p).collect();
    assert_eq!(
        got,
        [
            "/spec/egress/0/ports/0/endPort",
            "/spec/egress/0/to/0/ipBlock/except/0"
        ]
    );
}
