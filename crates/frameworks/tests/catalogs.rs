//! The embedded catalogues: they parse, map only existing rules, and CIS is complete.

use std::collections::HashSet;

use kubecomply_frameworks::{Framework, Need, builtins};

/// Check ids of the CIS Kubernetes Benchmark v1.12 (research file cis-k8s.tsv).
const CIS_IDS: &[&str] = &[
    "1.1.1", "1.1.2", "1.1.3", "1.1.4", "1.1.5", "1.1.6", "1.1.7", "1.1.8", "1.1.9", "1.1.10",
    "1.1.11", "1.1.12", "1.1.13", "1.1.14", "1.1.15", "1.1.16", "1.1.17", "1.1.18", "1.1.19",
    "1.1.20", "1.1.21", "1.2.1", "1.2.2", "1.2.3", "1.2.4", "1.2.5", "1.2.6", "1.2.7", "1.2.8",
    "1.2.9", "1.2.10", "1.2.11", "1.2.12", "1.2.13", "1.2.14", "1.2.15", "1.2.16", "1.2.17",
    "1.2.18", "1.2.19", "1.2.20", "1.2.21", "1.2.22", "1.2.23", "1.2.24", "1.2.25", "1.2.26",
    "1.2.27", "1.2.28", "1.2.29", "1.2.30", "1.3.1", "1.3.2", "1.3.3", "1.3.4", "1.3.5", "1.3.6",
    "1.3.7", "1.4.1", "1.4.2", "2.1", "2.2", "2.3", "2.4", "2.5", "2.6", "2.7", "3.1.1", "3.1.2",
    "3.1.3", "3.2.1", "3.2.2", "4.1.1", "4.1.2", "4.1.3", "4.1.4", "4.1.5", "4.1.6", "4.1.7",
    "4.1.8", "4.1.9", "4.1.10", "4.2.1", "4.2.2", "4.2.3", "4.2.4", "4.2.5", "4.2.6", "4.2.7",
    "4.2.8", "4.2.9", "4.2.10", "4.2.11", "4.2.12", "4.2.13", "4.2.14", "4.3.1", "5.1.1", "5.1.2",
    "5.1.3", "5.1.4", "5.1.5", "5.1.6", "5.1.7", "5.1.8", "5.1.9", "5.1.10", "5.1.11", "5.1.12",
    "5.1.13", "5.2.1", "5.2.2", "5.2.3", "5.2.4", "5.2.5", "5.2.6", "5.2.7", "5.2.8", "5.2.9",
    "5.2.10", "5.2.11", "5.2.12", "5.3.1", "5.3.2", "5.4.1", "5.4.2", "5.5.1", "5.6.1", "5.6.2",
    "5.6.3", "5.6.4",
];

fn existing_codes() -> HashSet<&'static str> {
    let mut codes: HashSet<&'static str> = kubecomply_checks::registry::all()
        .iter()
        .map(|r| r.meta.code)
        .collect();
    codes.extend(kubecomply_rbac::RULES.iter().map(|m| m.code));
    codes.extend(kubecomply_netpol::RULES.iter().map(|m| m.code));
    codes
}

fn all() -> Vec<Framework> {
    match builtins() {
        Ok(f) => f,
        Err(errors) => {
            let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
            panic!("built-in catalogues do not parse:\n{}", text.join("\n"));
        }
    }
}

#[test]
fn every_catalogue_parses_with_unique_ids() {
    let fws = all();
    let ids: Vec<&str> = fws.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "cis-k8s",
            "pss-baseline",
            "pss-restricted",
            "nsa-cisa",
            "pci-dss",
            "hipaa",
            "gdpr",
            "soc2",
            "ccpa",
            "nist-800-190"
        ]
    );
    for f in &fws {
        assert!(!f.leaves().is_empty(), "{} has no requirements", f.id);
        for r in f.leaves() {
            assert!(
                r.assessment.is_some(),
                "{} {} has no assessment",
                f.id,
                r.id
            );
        }
    }
}

#[test]
fn mapped_rules_exist_and_planned_rules_do_not() {
    let codes = existing_codes();
    for f in all() {
        for r in f.leaves() {
            for c in &r.rules {
                assert!(
                    codes.contains(c.as_str()),
                    "{} {}: unknown rule {c}",
                    f.id,
                    r.id
                );
            }
            for c in &r.planned_rules {
                assert!(
                    !codes.contains(c.as_str()),
                    "{} {}: planned rule {c} exists: map it in rules",
                    f.id,
                    r.id
                );
            }
        }
    }
}

#[test]
fn cis_has_exactly_the_benchmark_checks() {
    let fws = all();
    let cis = fws.iter().find(|f| f.id == "cis-k8s").expect("cis-k8s");
    let leaves: Vec<&str> = cis.leaves().iter().map(|r| r.id.as_str()).collect();
    assert_eq!(leaves.len(), 131);
    assert_eq!(leaves, CIS_IDS);
}

#[test]
fn cis_node_checks_need_a_node_scan_and_are_never_passed() {
    let fws = all();
    let cis = fws.iter().find(|f| f.id == "cis-k8s").expect("cis-k8s");
    let known: Vec<&str> = existing_codes().into_iter().collect();
    let result = kubecomply_frameworks::evaluate(cis, &[], &known);
    let mut node_checks = 0;
    for r in cis.leaves() {
        let section = r.id.split('.').next().unwrap_or_default();
        if r.id.starts_with("1.1.") || r.id.starts_with("4.1.") {
            assert!(r.needs.contains(&Need::NodeScan), "{}", r.id);
        }
        if r.needs.contains(&Need::NodeScan) {
            node_checks += 1;
            assert!(
                r.rules.is_empty(),
                "{} maps rules but needs a node scan",
                r.id
            );
            assert!(!r.planned_rules.is_empty(), "{} has no planned rule", r.id);
            assert!(["1", "2", "3", "4"].contains(&section), "{}", r.id);
        }
    }
    assert!(node_checks >= 80, "{node_checks}");
    // Nothing passes without findings: node checks are not assessed, mapped rules not applicable.
    assert_eq!(
        result.counts[&kubecomply_frameworks::RequirementStatus::Pass],
        0
    );
    assert!(result.counts[&kubecomply_frameworks::RequirementStatus::NotAssessed] >= node_checks);
    assert_eq!(result.score, None);
}

#[test]
fn requirement_counts() {
    // How much of each framework is automated, partly automated or manual: a catalogue
    // change that moves these must update this table (and the docs that quote it).
    let expected: &[(&str, [usize; 3])] = &[
        ("cis-k8s", [121, 2, 8]),
        ("pss-baseline", [12, 0, 0]),
        ("pss-restricted", [18, 0, 0]),
        ("nsa-cisa", [14, 8, 1]),
        ("pci-dss", [0, 48, 1]),
        ("hipaa", [0, 27, 1]),
        ("gdpr", [0, 16, 1]),
        ("soc2", [0, 21, 0]),
        ("ccpa", [0, 14, 1]),
        ("nist-800-190", [14, 9, 1]),
    ];
    let got: Vec<(String, [usize; 3])> = all()
        .iter()
        .map(|f| (f.id.to_string(), f.counts_by_assessment()))
        .collect();
    let want: Vec<(String, [usize; 3])> = expected
        .iter()
        .map(|(id, c)| (id.to_string(), *c))
        .collect();
    assert_eq!(got, want);
}
