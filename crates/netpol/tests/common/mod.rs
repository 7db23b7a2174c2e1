//! Helpers shared by the netpol integration tests.

use std::sync::Arc;

use kubecomply_core::{Origin, SourceFile, SourceFormat};
use kubecomply_netpol::{Endpoint, Model, Port};

/// The origin of an object built in a test rather than read from a file.
#[allow(dead_code)]
pub fn origin() -> Origin {
    Origin {
        source: Arc::new(SourceFile {
            path: "generated".into(),
            text: String::new(),
            format: SourceFormat::Json,
        }),
        document: 0,
        line: 1,
        span: 0..0,
        prefix: String::new(),
        positions: None,
        cluster: None,
    }
}

/// Where the class-based matrix disagrees with pair-by-pair queries, over every workload pair
/// and every port of `ports`; `allowed` counts the allowed (pair, port) verdicts.
#[allow(dead_code)]
pub fn matrix_disagreements(model: &Model, ports: &[Port], allowed: &mut usize) -> Vec<String> {
    let reach = model.reachability(ports);
    let mut out = Vec::new();
    for a in 0..model.workloads.len() {
        for b in 0..model.workloads.len() {
            for (k, p) in ports.iter().enumerate() {
                let want = model
                    .query(Endpoint::Workload(a), Endpoint::Workload(b), p)
                    .is_ok_and(|v| v.allowed);
                *allowed += usize::from(want);
                if reach.allowed(a, b, k) != want {
                    out.push(format!(
                        "matrix {} -> {} {p:?}: query says {want}",
                        model.describe(Endpoint::Workload(a)),
                        model.describe(Endpoint::Workload(b)),
                    ));
                }
            }
        }
    }
    out
}
