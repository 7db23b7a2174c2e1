//! Rego modules (conftest style): loading with the OPA-compatibility rewrites (chained bodies,
//! parenthesised lines, negated calls) and evaluation on a fixed object.
#![no_main]
#[path = "common.rs"]
mod common;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let path = common::scratch_file("policy.rego", data);
    for version in [kubecomply_rego::RegoVersion::V1, kubecomply_rego::RegoVersion::V0] {
        let (policies, _) = kubecomply_rego::RegoPolicies::load(&kubecomply_rego::RegoOptions {
            policy_paths: vec![path.clone()],
            version,
            timeout: std::time::Duration::from_millis(200),
            ..Default::default()
        });
        let inventory = kubecomply_core::Inventory::new(common::objects(
            "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: n}\nspec: {containers: [{name: c, image: i}]}\n",
        ));
        let _ = policies.evaluate(&inventory);
    }
});
