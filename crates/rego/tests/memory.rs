//! The memory bound of a Rego evaluation: a runaway policy is stopped and reported for the
//! object it ran away on, the other evaluations running beside it are not affected, and the
//! range builtins refuse arrays that could not fit instead of aborting the process.

use std::path::PathBuf;
use std::time::Duration;

use kubecomply_core::{Finding, Inventory, Status};
use kubecomply_loader::{Limits, files, load};
use kubecomply_rego::{RegoOptions, RegoPolicies};

/// Every test of this binary uses the same limit (the setting is process-wide).
const LIMIT: u64 = 64 * 1024 * 1024;

fn policies(name: &str, source: &str) -> RegoPolicies {
    kubecomply_rego::set_memory_limit(LIMIT);
    let dir = std::env::temp_dir().join(format!("kc-rego-mem-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let file: PathBuf = dir.join("p.rego");
    std::fs::write(&file, source).expect("write");
    let (p, diagnostics) = RegoPolicies::load(&RegoOptions {
        policy_paths: vec![file],
        // Far beyond what the runaway needs to exceed the memory limit: the memory bound, not
        // the clock, must stop it.
        timeout: Duration::from_secs(120),
        ..RegoOptions::default()
    });
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    p
}

fn inventory(names: &[String]) -> Inventory {
    let yaml: String = names
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let labels = if i % 2 == 0 { "{team: a}" } else { "{}" };
            format!(
                "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: {n}, labels: {labels}}}\n"
            )
        })
        .collect();
    let loaded = load(files::from_string("in.yaml", yaml), &Limits::default());
    assert!(loaded.diagnostics.is_empty(), "{:?}", loaded.diagnostics);
    Inventory::new(loaded.objects)
}

fn of<'a>(f: &'a [Finding], rule: &str, name: &str) -> Vec<&'a Finding> {
    f.iter()
        .filter(|x| x.rule == rule && x.resource.as_ref().is_some_and(|r| r.name == name))
        .collect()
}

#[test]
fn a_runaway_evaluation_is_stopped_and_only_it_is_reported() {
    let p = policies(
        "runaway",
        r#"package main
import rego.v1

deny_pairs contains msg if {
	input.metadata.name == "boom"
	r := numbers.range(1, 5000)
	pairs := [[i, j] | some i in r; some j in r]
	msg := sprintf("%d pairs", [count(pairs)])
}

deny_small contains msg if {
	r := numbers.range(1, 200)
	pairs := [[i, j] | some i in r; some j in r]
	count(pairs) == 40000
	not input.metadata.labels.team
	msg := "no team"
}
"#,
    );
    let names: Vec<String> = (0..400)
        .map(|i| {
            if i == 137 {
                "boom".to_string()
            } else {
                format!("cm-{i}")
            }
        })
        .collect();
    let f = p.evaluate(&inventory(&names));
    let boom = of(&f, "REGO-MAIN-DENY_PAIRS", "boom");
    assert_eq!(boom.len(), 1, "{boom:?}");
    assert_eq!(boom[0].status, Status::Error);
    assert!(
        boom[0].message.contains("memory limit exceeded"),
        "{}",
        boom[0].message
    );
    // It was stopped beside others, then alone, before being reported.
    assert!(kubecomply_rego::memory::reruns() >= 1);
    // Every other evaluation gives its exact result, whatever ran beside it.
    let errors: Vec<_> = f
        .iter()
        .filter(|x| {
            x.status == Status::Error && x.resource.as_ref().is_some_and(|r| r.name != "boom")
        })
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    for (i, n) in names.iter().enumerate() {
        let small = of(&f, "REGO-MAIN-DENY_SMALL", n);
        let expected_fail = i % 2 == 1;
        assert_eq!(
            small.iter().any(|x| x.status == Status::Fail),
            expected_fail,
            "{n}: {small:?}"
        );
    }
}

#[test]
fn an_evaluation_within_the_limit_is_not_stopped() {
    let p = policies(
        "within",
        r#"package main
import rego.v1

deny contains msg if {
	r := numbers.range(1, 300)
	pairs := [[i, j] | some i in r; some j in r]
	msg := sprintf("%d pairs", [count(pairs)])
}
"#,
    );
    let f = p.evaluate(&inventory(&["one".to_string()]));
    let d = of(&f, "REGO-MAIN-DENY", "one");
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(d[0].status, Status::Fail, "{}", d[0].message);
    assert_eq!(d[0].message, "90000 pairs");
}

#[test]
fn an_absurd_range_is_an_error_not_an_abort() {
    let p = policies(
        "range",
        r#"package main
import rego.v1

deny contains msg if {
	r := numbers.range(0, 100000000000)
	msg := sprintf("%d", [count(r)])
}

deny_step contains msg if {
	r := numbers.range_step(0, 100000000000, 2)
	msg := sprintf("%d", [count(r)])
}
"#,
    );
    let f = p.evaluate(&inventory(&["x".to_string()]));
    for rule in ["REGO-MAIN-DENY", "REGO-MAIN-DENY_STEP"] {
        let d = of(&f, rule, "x");
        assert_eq!(d.len(), 1, "{d:?}");
        assert_eq!(d[0].status, Status::Error);
        assert!(
            d[0].message.contains("exceed the memory limit"),
            "{}",
            d[0].message
        );
    }
}

#[test]
fn range_builtins_keep_opa_semantics() {
    let p = policies(
        "semantics",
        r#"package main
import rego.v1

cases := [
	[numbers.range(1, 3), [1, 2, 3]],
	[numbers.range(3, 1), [3, 2, 1]],
	[numbers.range(-1, 1), [-1, 0, 1]],
	[numbers.range(4, 4), [4]],
	[numbers.range_step(0, 10, 3), [0, 3, 6, 9]],
	[numbers.range_step(10, 0, 3), [10, 7, 4, 1]],
	[numbers.range_step(0, 9, 3), [0, 3, 6, 9]],
]

deny contains msg if {
	some i, c in cases
	c[0] != c[1]
	msg := sprintf("case %d: %v", [i, c[0]])
}

deny_fraction contains msg if {
	# Not an integer: undefined, as OPA answers without strict builtin errors.
	not numbers.range(1.5, 3)
	msg := "undefined"
}
"#,
    );
    let f = p.evaluate(&inventory(&["x".to_string()]));
    let wrong: Vec<_> = of(&f, "REGO-MAIN-DENY", "x")
        .into_iter()
        .filter(|x| x.status != Status::Pass)
        .collect();
    assert!(wrong.is_empty(), "{wrong:?}");
    let fraction = of(&f, "REGO-MAIN-DENY_FRACTION", "x");
    assert!(
        fraction
            .iter()
            .any(|x| x.status == Status::Fail && x.message == "undefined"),
        "{fraction:?}"
    );
}
