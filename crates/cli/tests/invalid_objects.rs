//! Objects the API server rejects for a wrongly typed field (issue: names that YAML 1.1 reads
//! as booleans or numbers, `spec: "hello"`, `containers: 5`) are invalid: status `error`, no
//! other verdict, and left out of the RBAC, network and Pod Security analyses with a note,
//! never merged with each other or placed in the `default` namespace.

mod common;

use common::{json, run, stderr, stdout, temp_dir};

const HOSTILE: &str = r#"apiVersion: v1
kind: Pod
metadata:
  name: y
  namespace: no
spec:
  containers:
  - name: c
    image: nginx
    securityContext: {privileged: true}
---
apiVersion: v1
kind: Pod
metadata:
  name: 5
spec: "hello"
---
apiVersion: v1
kind: Pod
metadata:
  name: p2
spec:
  containers: 5
---
apiVersion: v1
kind: Pod
metadata:
  name: on
spec:
  hostNetwork: true
  containers: [{name: c, image: nginx}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: everyone-admin}
subjects:
- {kind: Group, name: yes, apiGroup: rbac.authorization.k8s.io}
roleRef: {kind: ClusterRole, name: cluster-admin, apiGroup: rbac.authorization.k8s.io}
---
apiVersion: v1
kind: Pod
metadata: {name: fine, namespace: shop}
spec:
  containers: [{name: c, image: nginx}]
"#;

fn write(name: &str) -> String {
    let dir = temp_dir(name);
    let path = dir.join("hostile.yaml");
    std::fs::write(&path, HOSTILE).expect("write");
    path.display().to_string()
}

#[test]
fn invalid_objects_are_errors_with_no_other_verdict() {
    let path = write("invalid-scan");
    let out = run(&["scan", &path, "--format", "json"]);
    let doc = json(&out);
    assert_eq!(doc["summary"]["objects"], 6, "{doc}");
    let findings = doc["findings"].as_array().expect("findings");
    let of = |name: &str| -> Vec<(String, String, String)> {
        findings
            .iter()
            .filter(|f| f["resource"]["name"] == name)
            .map(|f| {
                (
                    f["rule"].as_str().unwrap_or("").to_string(),
                    f["status"].as_str().unwrap_or("").to_string(),
                    f["location"]["pointer"].as_str().unwrap_or("").to_string(),
                )
            })
            .collect()
    };
    let err = |p: &str| ("KC-GEN-001".to_string(), "error".to_string(), p.to_string());
    // `name: y` is the boolean true, `namespace: no` false, `on` true: each an error at the
    // field, and the privileged container of the first is not judged (the object never runs).
    assert_eq!(
        of("true"),
        [
            err("/metadata/name"),
            err("/metadata/namespace"),
            err("/metadata/name")
        ]
    );
    assert_eq!(of("5"), [err("/metadata/name"), err("/spec")]);
    assert_eq!(of("p2"), [err("/spec/containers")]);
    assert_eq!(of("everyone-admin"), [err("/subjects/0/name")]);
    // The valid Pod is judged as usual.
    assert!(of("fine").iter().any(|(_, s, _)| s == "fail"));
    assert_eq!(doc["summary"]["errors"], 7);
    // Errors fail the scan whatever --fail-on says.
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    // Selecting other rules does not hide them.
    let only = json(&run(&[
        "scan",
        &path,
        "--format",
        "json",
        "--rule",
        "KC-HOST-001",
    ]));
    assert_eq!(only["summary"]["errors"], 7, "{only}");
}

#[test]
fn analyses_leave_invalid_objects_out_and_say_so() {
    let path = write("invalid-analyses");
    // The binding of Group "yes" (the boolean true) to cluster-admin is not a grant to a group
    // named "true" (or to anyone).
    let out = run(&["rbac", "who-can", "delete", "secrets", &path]);
    assert!(!stdout(&out).contains("Group/true"), "{}", stdout(&out));
    let err = stderr(&out);
    assert!(
        err.contains("hostile.yaml:37:17")
            && err.contains(
                "ClusterRoleBinding/everyone-admin is invalid and left out of every analysis"
            ),
        "{err}"
    );
    // The hostNetwork Pod named `on` is not placed in `default` (or anywhere).
    let out = run(&["netpol", "inventory", &path, "--format", "json"]);
    let text = stdout(&out);
    assert!(
        !text.contains("\"true\"") && text.contains("fine"),
        "{text}"
    );
    assert!(
        stderr(&out).contains("Pod/true is invalid"),
        "{}",
        stderr(&out)
    );
    // Pod Security: only the valid Pod has a verdict.
    let out = run(&["pss", &path, "--format", "json"]);
    let text = stdout(&out);
    assert!(text.contains("fine") && !text.contains("\"p2\""), "{text}");
    // In JSON the note is in the document's diagnostics.
    assert!(text.contains("Pod/p2 is invalid"), "{text}");
}
