//! Reason/detail strings: the expected texts are the ones upstream's own check tests
//! assert (re-expressed here as JSON pods).

use kubecomply_core::{Value, json};
use kubecomply_pss::{Level, Version, Violation, evaluate};

fn run(meta: Value, spec: Value, level: Level, version: Version) -> Vec<Violation> {
    evaluate(Some(&meta), "/metadata", &spec, "/spec", level, version)
}

fn only(check: &str, meta: Value, spec: Value, level: Level, version: Version) -> Violation {
    let out = run(meta, spec, level, version);
    out.iter()
        .find(|v| v.check == check)
        .cloned()
        .unwrap_or_else(|| panic!("no {check} violation in {out:#?}"))
}

fn ctr(name: &str, sc: Value) -> Value {
    json!({"name": name, "securityContext": sc})
}

#[test]
fn selinux_options_detail() {
    let spec = json!({
        "securityContext": {"seLinuxOptions": {"type": "foo", "user": "bar", "role": "baz"}},
        "containers": [
            ctr("a", json!({"seLinuxOptions": {"type": "container_t"}})),
            ctr("b", json!({"seLinuxOptions": {"type": "container_init_t"}})),
            ctr("c", json!({"seLinuxOptions": {"type": "container_kvm_t"}})),
            ctr("d", json!({"seLinuxOptions": {"type": "container_engine_t"}})),
            ctr("e", json!({"seLinuxOptions": {"type": "bar"}})),
            ctr("f", json!({"seLinuxOptions": {"user": "bar"}})),
            ctr("g", json!({"seLinuxOptions": {"role": "baz"}})),
        ]
    });
    let v = only(
        "seLinuxOptions",
        json!({}),
        spec.clone(),
        Level::Baseline,
        Version::V(31),
    );
    assert_eq!(v.reason, "seLinuxOptions");
    assert_eq!(
        v.detail,
        r#"pod and containers "e", "f", "g" set forbidden securityContext.seLinuxOptions: types "bar", "foo"; user may not be set; role may not be set"#
    );
    // Before v1.31, container_engine_t is not allowed.
    let v = only(
        "seLinuxOptions",
        json!({}),
        spec,
        Level::Baseline,
        Version::V(30),
    );
    assert_eq!(
        v.detail,
        r#"pod and containers "d", "e", "f", "g" set forbidden securityContext.seLinuxOptions: types "bar", "container_engine_t", "foo"; user may not be set; role may not be set"#
    );

    let v = only(
        "seLinuxOptions",
        json!({}),
        json!({"securityContext": {"seLinuxOptions": {"role": "bad"}}}),
        Level::Baseline,
        Version::Latest,
    );
    assert_eq!(
        v.detail,
        "pod set forbidden securityContext.seLinuxOptions: role may not be set"
    );
    assert_eq!(v.pointers, ["/spec/securityContext/seLinuxOptions/role"]);
}

#[test]
fn run_as_non_root_details() {
    let cases = [
        (
            json!({"containers": [{"name": "a"}]}),
            r#"pod or container "a" must set securityContext.runAsNonRoot=true"#,
        ),
        (
            json!({"securityContext": {"runAsNonRoot": false}, "containers": [{"name": "a"}]}),
            "pod must not set securityContext.runAsNonRoot=false",
        ),
        (
            json!({"securityContext": {"runAsNonRoot": true}, "containers": [
                {"name": "a"},
                ctr("b", json!({})),
                ctr("c", json!({"runAsNonRoot": false})),
                ctr("d", json!({"runAsNonRoot": false})),
                ctr("e", json!({"runAsNonRoot": true})),
            ]}),
            r#"containers "c", "d" must not set securityContext.runAsNonRoot=false"#,
        ),
        (
            json!({"containers": [
                {"name": "a"},
                ctr("b", json!({})),
                ctr("d", json!({"runAsNonRoot": true})),
            ]}),
            r#"pod or containers "a", "b" must set securityContext.runAsNonRoot=true"#,
        ),
    ];
    for (spec, detail) in cases {
        let v = only(
            "runAsNonRoot",
            json!({}),
            spec,
            Level::Restricted,
            Version::Latest,
        );
        assert_eq!(v.reason, "runAsNonRoot != true");
        assert_eq!(v.detail, detail);
    }
}

#[test]
fn user_namespace_relaxations_start_at_v1_35() {
    let spec = json!({
        "hostUsers": false,
        "securityContext": {"runAsUser": 0, "seccompProfile": {"type": "RuntimeDefault"}},
        "containers": [ctr("a", json!({
            "allowPrivilegeEscalation": false,
            "capabilities": {"drop": ["ALL"]},
            "procMount": "Unmasked"
        }))]
    });
    let ids = |level, version| -> Vec<&'static str> {
        run(json!({}), spec.clone(), level, version)
            .iter()
            .map(|v| v.check)
            .collect()
    };
    assert_eq!(
        ids(Level::Restricted, Version::V(34)),
        ["procMount", "runAsNonRoot", "runAsUser"]
    );
    assert_eq!(
        ids(Level::Restricted, Version::V(35)),
        ["procMount_restricted"]
    );
    assert_eq!(ids(Level::Baseline, Version::V(34)), ["procMount"]);
    assert!(ids(Level::Baseline, Version::V(35)).is_empty());
    assert!(ids(Level::Baseline, Version::Latest).is_empty());
}

#[test]
fn host_ports_detail() {
    let spec = json!({"containers": [
        {"name": "a", "ports": [{"hostPort": 0}]},
        {"name": "b", "ports": [{"hostPort": 0}, {"hostPort": 10}, {"hostPort": 20}]},
        {"name": "c", "ports": [{"hostPort": 0}, {"hostPort": 10}, {"hostPort": 30}]},
    ]});
    let v = only("hostPorts", json!({}), spec, Level::Baseline, Version::V(0));
    assert_eq!(v.reason, "hostPort");
    assert_eq!(v.detail, r#"containers "b", "c" use hostPorts 10, 20, 30"#);
    assert_eq!(
        v.pointers,
        [
            "/spec/containers/1/ports/1/hostPort",
            "/spec/containers/1/ports/2/hostPort",
            "/spec/containers/2/ports/1/hostPort",
            "/spec/containers/2/ports/2/hostPort",
        ]
    );
}

#[test]
fn app_armor_details() {
    let v = only(
        "appArmorProfile",
        json!({}),
        json!({"securityContext": {"appArmorProfile": {"type": "RuntimeDefault"}},
               "containers": [{"name": "foo"}],
               "initContainers": [ctr("bar", json!({"appArmorProfile": {"type": "Unconfined"}}))]}),
        Level::Baseline,
        Version::Latest,
    );
    assert_eq!(v.reason, "forbidden AppArmor profile");
    assert_eq!(
        v.detail,
        r#"container "bar" must not set AppArmor profile type to "Unconfined""#
    );
    assert_eq!(
        v.pointers,
        ["/spec/initContainers/0/securityContext/appArmorProfile/type"]
    );

    let meta = json!({"annotations": {
        "container.apparmor.security.beta.kubernetes.io/": "bogus",
        "container.apparmor.security.beta.kubernetes.io/a": "",
        "container.apparmor.security.beta.kubernetes.io/b": "runtime/default",
        "container.apparmor.security.beta.kubernetes.io/c": "localhost/",
        "container.apparmor.security.beta.kubernetes.io/d": "localhost/foo",
        "container.apparmor.security.beta.kubernetes.io/e": "unconfined",
        "container.apparmor.security.beta.kubernetes.io/f": "unknown",
    }});
    let v = only(
        "appArmorProfile",
        meta,
        json!({}),
        Level::Baseline,
        Version::V(0),
    );
    assert_eq!(v.reason, "forbidden AppArmor profiles");
    assert_eq!(
        v.detail,
        concat!(
            "annotations must not set AppArmor profile type to ",
            r#""container.apparmor.security.beta.kubernetes.io/="bogus"", "#,
            r#""container.apparmor.security.beta.kubernetes.io/e="unconfined"", "#,
            r#""container.apparmor.security.beta.kubernetes.io/f="unknown"""#
        )
    );
    assert_eq!(v.pointers.len(), 3);
}

#[test]
fn host_probes_detail_and_version() {
    let spec = json!({"containers": [
        {"name": "valid"},
        {"name": "invalid1", "livenessProbe": {"httpGet": {"host": "a.com", "port": 80}}},
        {"name": "invalid2",
         "lifecycle": {"preStop": {"tcpSocket": {"host": "b.com", "port": 80}}},
         "startupProbe": {"httpGet": {"host": "a.com", "port": 80}}},
    ]});
    let v = only(
        "hostProbesAndHostLifecycle",
        json!({}),
        spec.clone(),
        Level::Baseline,
        Version::V(34),
    );
    assert_eq!(v.reason, "probe or lifecycle host");
    assert_eq!(
        v.detail,
        r#"containers "invalid1", "invalid2" use probe or lifecycle hosts "a.com", "b.com""#
    );
    assert_eq!(
        v.pointers,
        [
            "/spec/containers/1/livenessProbe/httpGet/host",
            "/spec/containers/2/startupProbe/httpGet/host",
            "/spec/containers/2/lifecycle/preStop/tcpSocket/host",
        ]
    );
    assert!(run(json!({}), spec, Level::Baseline, Version::V(33)).is_empty());
}

#[test]
fn capabilities_restricted_detail() {
    let spec = json!({"containers": [
        ctr("a", json!({"capabilities": {"add": ["FOO", "BAR"]}})),
        ctr("b", json!({"capabilities": {"add": ["BAR", "BAZ"]}})),
        ctr("c", json!({"capabilities": {"add": ["NET_BIND_SERVICE", "CHOWN"], "drop": ["ALL", "FOO"]}})),
    ]});
    let v = only(
        "capabilities_restricted",
        json!({}),
        spec,
        Level::Restricted,
        Version::V(22),
    );
    assert_eq!(v.reason, "unrestricted capabilities");
    assert_eq!(
        v.detail,
        r#"containers "a", "b" must set securityContext.capabilities.drop=["ALL"]; containers "a", "b", "c" must not include "BAR", "BAZ", "CHOWN", "FOO" in securityContext.capabilities.add"#
    );
}

#[test]
fn restricted_volumes_detail() {
    let mut volumes = vec![
        json!({"name": "a1", "emptyDir": {}}),
        json!({"name": "a2", "image": {"reference": "x"}}),
        json!({"name": "a3"}), // defaulted to emptyDir by the API server
    ];
    let kinds = [
        "hostPath",
        "gcePersistentDisk",
        "awsElasticBlockStore",
        "gitRepo",
        "nfs",
        "iscsi",
        "glusterfs",
        "rbd",
        "flexVolume",
        "cinder",
        "cephfs",
        "flocker",
        "fc",
        "azureFile",
        "vsphereVolume",
        "quobyte",
        "azureDisk",
        "photonPersistentDisk",
        "portworxVolume",
        "scaleIO",
        "storageos",
    ];
    for (i, k) in kinds.iter().enumerate() {
        let mut vol = json!({"name": format!("b{}", i + 1)});
        vol[*k] = json!({});
        volumes.push(vol);
    }
    volumes.push(json!({"name": "c1", "someFutureSource": {}}));
    let v = only(
        "restrictedVolumes",
        json!({}),
        json!({"volumes": volumes}),
        Level::Restricted,
        Version::V(0),
    );
    assert_eq!(v.reason, "restricted volume types");
    assert_eq!(
        v.detail,
        concat!(
            "volumes ",
            r#""b1", "b2", "b3", "b4", "b5", "b6", "b7", "b8", "b9", "b10", "b11", "b12", "b13", "b14", "b15", "b16", "b17", "b18", "b19", "b20", "b21", "c1""#,
            " use restricted volume types ",
            r#""awsElasticBlockStore", "azureDisk", "azureFile", "cephfs", "cinder", "fc", "flexVolume", "flocker", "gcePersistentDisk", "gitRepo", "glusterfs", "#,
            r#""hostPath", "iscsi", "nfs", "photonPersistentDisk", "portworxVolume", "quobyte", "rbd", "scaleIO", "storageos", "unknown", "vsphereVolume""#
        )
    );
    assert_eq!(
        v.pointers.last().map(String::as_str),
        Some("/spec/volumes/24")
    );
}

#[test]
fn seccomp_versions() {
    let meta = json!({"annotations": {
        "seccomp.security.alpha.kubernetes.io/pod": "unconfined",
        "container.seccomp.security.alpha.kubernetes.io/a": "docker/default",
        "container.seccomp.security.alpha.kubernetes.io/b": "foo",
    }});
    let spec = json!({"containers": [{"name": "a"}, {"name": "b"}]});
    let v = only(
        "seccompProfile_baseline",
        meta.clone(),
        spec.clone(),
        Level::Baseline,
        Version::V(18),
    );
    assert_eq!(v.reason, "seccompProfile");
    assert_eq!(
        v.detail,
        r#"forbidden annotations container.seccomp.security.alpha.kubernetes.io/b="foo", seccomp.security.alpha.kubernetes.io/pod="unconfined""#
    );
    // From v1.19 only the fields count.
    assert!(run(meta, spec, Level::Baseline, Version::V(19)).is_empty());

    let spec = json!({"containers": [{"name": "a"}, ctr("b", json!({"seccompProfile": {"type": "Localhost"}}))]});
    let v = only(
        "seccompProfile_restricted",
        json!({}),
        spec.clone(),
        Level::Restricted,
        Version::V(19),
    );
    assert_eq!(
        v.detail,
        r#"pod or container "a" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost""#
    );
    assert_eq!(v.pointers, ["/spec/containers/0"]);
    // Before v1.19 the restricted seccomp check does not exist.
    assert!(
        run(json!({}), spec, Level::Restricted, Version::V(18))
            .iter()
            .all(|v| !v.check.starts_with("seccomp"))
    );
}

#[test]
fn windows_pods_exempt_from_v1_25() {
    let spec = json!({"os": {"name": "windows"}, "securityContext": {"runAsNonRoot": true},
                      "containers": [{"name": "a"}]});
    let ids = |version| -> Vec<&'static str> {
        run(json!({}), spec.clone(), Level::Restricted, version)
            .iter()
            .map(|v| v.check)
            .collect()
    };
    assert_eq!(
        ids(Version::V(24)),
        [
            "allowPrivilegeEscalation",
            "capabilities_restricted",
            "seccompProfile_restricted"
        ]
    );
    assert!(ids(Version::V(25)).is_empty());
}

#[test]
fn sysctls_by_version() {
    let spec = json!({"securityContext": {"sysctls": [
        {"name": "net.ipv4.ip_local_reserved_ports", "value": "1"},
        {"name": "a"},
        {"name": "net.ipv4.tcp_rmem"},
        {"name": "net.ipv4.tcp_notsent_lowat"},
    ]}});
    let detail =
        |version| only("sysctls", json!({}), spec.clone(), Level::Baseline, version).detail;
    assert_eq!(
        detail(Version::V(26)),
        "net.ipv4.ip_local_reserved_ports, a, net.ipv4.tcp_rmem, net.ipv4.tcp_notsent_lowat"
    );
    assert_eq!(
        detail(Version::V(27)),
        "a, net.ipv4.tcp_rmem, net.ipv4.tcp_notsent_lowat"
    );
    assert_eq!(detail(Version::V(32)), "a, net.ipv4.tcp_notsent_lowat");
    assert_eq!(detail(Version::V(37)), "a");
    assert_eq!(detail(Version::V(120)), "a");
    assert_eq!(
        only(
            "sysctls",
            json!({}),
            spec.clone(),
            Level::Baseline,
            Version::Latest
        )
        .pointers,
        ["/spec/securityContext/sysctls/1/name"]
    );
}

#[test]
fn windows_host_process_and_privileged() {
    let spec = json!({
        "securityContext": {"windowsOptions": {"hostProcess": true}},
        "containers": [
            ctr("a", json!({"windowsOptions": {"hostProcess": true}, "privileged": true})),
            ctr("b", json!({"windowsOptions": {"hostProcess": true}, "privileged": true})),
        ]
    });
    let out = run(json!({}), spec, Level::Baseline, Version::Latest);
    let messages: Vec<String> = out.iter().map(Violation::message).collect();
    assert_eq!(
        messages,
        [
            r#"privileged (containers "a", "b" must not set securityContext.privileged=true)"#,
            r#"hostProcess (pod and containers "a", "b" must not set securityContext.windowsOptions.hostProcess=true)"#,
        ]
    );
}
