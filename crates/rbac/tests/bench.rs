//! In-process timings for `bench/rbac/run.py` (ignored by default): load, index, review and
//! who-can per query on the file named by `KUBECOMPLY_RBAC_BENCH`.

use std::time::Instant;

use kubecomply_core::Inventory;
use kubecomply_loader::{Limits, files, load};
use kubecomply_rbac::{Rbac, review::review_with};

#[test]
#[ignore]
fn timings() {
    let Ok(path) = std::env::var("KUBECOMPLY_RBAC_BENCH") else {
        eprintln!("KUBECOMPLY_RBAC_BENCH not set");
        return;
    };
    let text = std::fs::read_to_string(&path).expect("bench file");
    let t = Instant::now();
    let l = load(files::from_string(&path, text), &Limits::default());
    let inv = Inventory::new(l.objects);
    let t_load = t.elapsed();
    let t = Instant::now();
    let policy = kubecomply_rbac::Policy::from_inventory(&inv);
    let t_policy = t.elapsed();
    let t = Instant::now();
    let _auth = kubecomply_rbac::Authorizer::new(policy);
    let t_auth = t.elapsed();
    let t = Instant::now();
    let _acc = kubecomply_rbac::Accounts::from_inventory(&inv);
    eprintln!(
        "  policy {:.0} ms, authorizer index {:.0} ms, accounts {:.0} ms (sequential)",
        t_policy.as_secs_f64() * 1e3,
        t_auth.as_secs_f64() * 1e3,
        t.elapsed().as_secs_f64() * 1e3
    );
    let t = Instant::now();
    let rbac = Rbac::new(&inv);
    let t_index = t.elapsed();
    let t = Instant::now();
    let findings = review_with(&inv, &rbac.authorizer, &rbac.accounts);
    let t_review = t.elapsed();
    let t = Instant::now();
    let paths = rbac.paths(None);
    eprintln!(
        "  paths: {} in {:.0} ms",
        paths.len(),
        t.elapsed().as_secs_f64() * 1e3
    );
    let queries: Vec<(&str, &str, Option<&str>, &str)> = vec![
        ("get", "secrets", Some("ns7"), ""),
        ("list", "pods", Some("ns100"), ""),
        ("create", "pods/exec", Some("ns3"), ""),
        ("update", "deployments/scale", Some("ns42"), "apps"),
        ("delete", "configmaps", None, ""),
        ("get", "/healthz", None, ""),
        ("watch", "services", Some("ns199"), ""),
        ("patch", "statefulsets", Some("ns0"), "apps"),
    ];
    let rounds = 50;
    let t = Instant::now();
    let mut answers = 0;
    for _ in 0..rounds {
        for (v, r, ns, g) in &queries {
            answers += rbac.who_can(v, r, *ns, g, None).len();
        }
    }
    let per_query = t.elapsed() / (rounds * queries.len() as u32);
    let mut worst = std::time::Duration::ZERO;
    for (v, r, ns, g) in &queries {
        let t = Instant::now();
        let n = rbac.who_can(v, r, *ns, g, None).len();
        let e = t.elapsed();
        worst = worst.max(e);
        eprintln!(
            "  who-can {v} {r} ns={ns:?}: {n} grants in {:.3} ms",
            e.as_secs_f64() * 1e3
        );
    }
    eprintln!(
        "objects {}, roles {}, bindings {}: load {:.0} ms, index {:.0} ms, review {:.0} ms ({} findings), who-can mean {:.3} ms/query, worst {:.3} ms ({answers} grants total)",
        inv.len(),
        rbac.authorizer.policy.roles.len(),
        rbac.authorizer.policy.bindings.len(),
        t_load.as_secs_f64() * 1e3,
        t_index.as_secs_f64() * 1e3,
        t_review.as_secs_f64() * 1e3,
        findings.len(),
        per_query.as_secs_f64() * 1e3,
        worst.as_secs_f64() * 1e3,
    );
}
