//! `generate` and its proof stay linear in the flows for a given cluster: each workload's
//! selector labels and each workload's selecting policies are found once, listed flows and
//! ports are looked up, and policy names are numbered without searching again from the start
//! (before, 20,000 flows took more than 120 s). Work is counted, not timed
//! (`kubecomply_netpol::generate_work::units`). The proof's queries themselves, one per
//! ordered pair of workloads and distinct port, are what it proves and are not counted.

use kubecomply_core::Inventory;
use kubecomply_loader::{Limits, files, load, parse_documents};
use kubecomply_netpol::{Model, flow_namespaces, generate, parse_flows, prove};

const WORKLOADS: usize = 8;

fn cluster() -> Inventory {
    let docs: Vec<String> = (0..WORKLOADS)
        .map(|i| {
            format!(
                "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: w{i}, namespace: app}}\nspec:\n  template:\n    metadata: {{labels: {{app: w{i}, tier: t{}}}}}\n    spec:\n      containers: [{{name: c, image: x}}]\n",
                i % 3
            )
        })
        .collect();
    let l = load(
        files::from_string("c.yaml", docs.join("---\n")),
        &Limits::default(),
    );
    assert!(l.diagnostics.is_empty(), "{:?}", l.diagnostics);
    Inventory::new(l.objects)
}

/// Work units of generating the policies for the flows between every ordered pair of
/// workloads on each of `ports` ports, and of proving them; and the number of flows.
fn work(ports: usize) -> (u64, usize) {
    let inv = cluster();
    let model = Model::new(&inv);
    let mut text = String::new();
    for i in 0..WORKLOADS {
        for j in 0..WORKLOADS {
            for p in 0..ports {
                if i != j {
                    text.push_str(&format!(
                        "- {{from: app/w{i}, to: app/w{j}, port: {}}}\n",
                        8000 + p
                    ));
                }
            }
        }
    }
    let doc = parse_documents(&text).expect("flows").remove(0);
    let flows = parse_flows(&model, &doc).expect("flows");
    let before = kubecomply_netpol::generate_work::units();
    let policies = generate(&model, &flows, true).expect("generate");
    let namespaces = flow_namespaces(&model, &flows);
    let mut objects: Vec<_> = inv
        .objects
        .iter()
        .filter(|o| {
            !(o.kind == "NetworkPolicy"
                && namespaces.contains(o.namespace.as_deref().unwrap_or("default")))
        })
        .cloned()
        .collect();
    let yaml: Vec<String> = policies.iter().map(|p| p.to_string()).collect();
    let generated = load(
        files::from_string("<generated>", yaml.join("\n---\n")),
        &Limits::default(),
    );
    objects.extend(generated.objects);
    let after = Model::new(&Inventory::new(objects));
    let proof = prove(&after, &flows, true);
    assert!(proof.failures.is_empty(), "{:?}", proof.failures);
    (
        kubecomply_netpol::generate_work::units() - before,
        flows.len(),
    )
}

#[test]
fn generate_and_prove_are_linear_in_the_flows() {
    let (small, n) = work(4);
    let (large, n2) = work(8);
    assert_eq!(n2, 2 * n);
    let ratio = large as f64 / small as f64;
    assert!(
        ratio <= 2.2,
        "doubling the flows multiplied the work by {ratio:.2} ({small} -> {large}): quadratic"
    );
}
