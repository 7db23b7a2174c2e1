//! The `K8sNativeValidation` engine Gatekeeper templates use.

use kubecomply_cel::GatekeeperCel;
use kubecomply_core::{Value, json};

fn source(yaml: &str) -> Value {
    let docs = kubecomply_loader::parse_documents(yaml).expect("fixture parses");
    docs.into_iter().next().expect("one document")
}

const REQUIRED_LABELS: &str = r#"
variables:
- name: missing
  expression: "variables.params.labels.filter(l, !(l in object.metadata.labels))"
validations:
- expression: "size(variables.missing) == 0"
  messageExpression: "'missing labels: ' + variables.missing.join(', ')"
- expression: "params.spec.parameters.labels.all(l, l in object.metadata.labels)"
  message: "a required label is missing"
"#;

#[test]
fn required_labels_reports_messages_from_parameters() {
    let gk = GatekeeperCel::compile(&source(REQUIRED_LABELS)).expect("compiles");
    let params = json!({"labels": ["owner", "team"]});
    let bad = json!({"apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "p", "namespace": "a", "labels": {"team": "x"}}});
    assert_eq!(
        gk.violations(&bad, &params, None).expect("evaluates"),
        vec![
            "missing labels: owner".to_string(),
            "a required label is missing".to_string()
        ]
    );
    let good = json!({"apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "p", "labels": {"team": "x", "owner": "y"}}});
    assert!(
        gk.violations(&good, &params, None)
            .expect("evaluates")
            .is_empty()
    );
}

#[test]
fn any_object_namespace_object_and_match_conditions() {
    let gk = GatekeeperCel::compile(&source(
        r#"
matchConditions:
- name: only-pods
  expression: "request.kind.kind == 'Pod'"
validations:
- expression: "variables.anyObject.metadata.name != 'forbidden'"
- expression: "namespaceObject == null || namespaceObject.metadata.labels.env != 'prod'"
  message: prod namespace
"#,
    ))
    .expect("compiles");
    let pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "forbidden", "namespace": "n"}});
    let ns = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "n", "labels": {"env": "prod"}}});
    assert_eq!(
        gk.violations(&pod, &Value::Null, Some(&ns))
            .expect("evaluates"),
        vec![
            "failed expression: variables.anyObject.metadata.name != 'forbidden'".to_string(),
            "prod namespace".to_string()
        ]
    );
    let cm = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "forbidden"}});
    assert!(
        gk.violations(&cm, &Value::Null, Some(&ns))
            .expect("evaluates")
            .is_empty()
    );
}

#[test]
fn syntax_error_names_field_and_position() {
    let err = GatekeeperCel::compile(&json!({"validations": [
        {"expression": "object.spec.replicas <= "}
    ]}))
    .expect_err("does not compile");
    assert!(err.starts_with("validations[0].expression:1:"), "{err}");
}

#[test]
fn runtime_error_is_an_error() {
    let gk = GatekeeperCel::compile(&json!({"validations": [
        {"expression": "object.spec.replicas <= 3"}
    ]}))
    .expect("compiles");
    let err = gk
        .violations(
            &json!({"apiVersion": "v1", "kind": "ConfigMap"}),
            &Value::Null,
            None,
        )
        .expect_err("no spec");
    assert!(err.contains("object.spec.replicas <= 3"), "{err}");
}

#[test]
fn admission_request_gives_operation_user_and_old_object() {
    use kubecomply_cel::Admission;
    let gk = GatekeeperCel::compile(&source(
        r#"
variables:
- name: isUpdate
  expression: has(request.operation) && request.operation == "UPDATE"
validations:
- expression: variables.isUpdate || !has(variables.anyObject.spec.hostPID)
  message: hostPID
- expression: oldObject == null || oldObject.metadata.name == variables.anyObject.metadata.name
  message: renamed
- expression: request.userInfo.username != "mallory"
  message: mallory
- expression: request.operation != "DELETE" || object == null
  message: object on delete
"#,
    ))
    .expect("compiles");
    let pod = json!({"apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "p"}, "spec": {"hostPID": true}});
    assert_eq!(
        gk.violations(&pod, &Value::Null, None).expect("evaluates"),
        vec!["hostPID".to_string()],
        "a plain review is a CREATE"
    );
    let update = Admission {
        operation: "UPDATE",
        ..Admission::default()
    };
    assert!(
        gk.review(&pod, &Value::Null, None, update)
            .expect("evaluates")
            .is_empty(),
        "request.operation is the AdmissionReview's"
    );
    let old = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "q"}});
    let user = json!({"username": "mallory"});
    let renamed = Admission {
        operation: "UPDATE",
        user_info: Some(&user),
        old_object: Some(&old),
    };
    assert_eq!(
        gk.review(&pod, &Value::Null, None, renamed)
            .expect("evaluates"),
        vec!["renamed".to_string(), "mallory".to_string()]
    );
    let delete = Admission {
        operation: "DELETE",
        ..Admission::default()
    };
    assert_eq!(
        gk.review(&pod, &Value::Null, None, delete)
            .expect("evaluates"),
        vec!["hostPID".to_string()],
        "on DELETE object is null and anyObject is the old object"
    );
}

#[test]
fn dyn_and_lazy_variables() {
    // As gatekeeper-library's seccomp: maps built with dyn(), and a variable that fails on
    // this object but is only reached inside a map() over an empty list.
    let gk = GatekeeperCel::compile(&source(
        r#"
variables:
- name: podProfile
  expression: object.spec.securityContext.seccompProfile.type
- name: fromPod
  expression: |
    object.spec.containers.filter(c, has(object.spec.securityContext)).map(c, {"name": c.name, "profile": dyn(variables.podProfile)})
- name: missing
  expression: |
    object.spec.containers.filter(c, !has(object.spec.securityContext)).map(c, {"name": c.name, "profile": dyn("not configured")})
validations:
- expression: (variables.fromPod + variables.missing).all(p, p.profile == "RuntimeDefault")
  messageExpression: '(variables.fromPod + variables.missing).map(p, p.name + ": " + p.profile).join(", ")'
"#,
    ))
    .expect("compiles");
    let bare = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
        "spec": {"containers": [{"name": "app"}]}});
    assert_eq!(
        gk.violations(&bare, &Value::Null, None)
            .expect("podProfile is never reached"),
        vec!["app: not configured".to_string()]
    );
    let set = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
        "spec": {"securityContext": {"seccompProfile": {"type": "RuntimeDefault"}},
                 "containers": [{"name": "app"}]}});
    assert!(
        gk.violations(&set, &Value::Null, None)
            .expect("evaluates")
            .is_empty()
    );
    let broken = GatekeeperCel::compile(&source(
        r#"
variables:
- name: podProfile
  expression: object.spec.securityContext.seccompProfile.type
validations:
- expression: variables.podProfile == "RuntimeDefault"
"#,
    ))
    .expect("compiles");
    let err = broken
        .violations(&bare, &Value::Null, None)
        .expect_err("a reached failed variable is an error");
    assert!(err.contains("variables.podProfile"), "{err}");
}
