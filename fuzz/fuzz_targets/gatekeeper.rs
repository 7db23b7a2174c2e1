//! Gatekeeper templates and constraints (Rego, with the OPA-compatibility rewrites, and CEL),
//! Validating Admission Policies and their bindings, evaluated on the objects of the same text.
#![no_main]
#[path = "common.rs"]
mod common;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some(text) = common::text(data) else { return };
    let objects = common::objects(text);
    let (gk, _) = kubecomply_rego::Gatekeeper::from_objects(
        &objects,
        &kubecomply_rego::GatekeeperOptions {
            timeout: std::time::Duration::from_millis(200),
            ..Default::default()
        },
    );
    let refs: Vec<&kubecomply_core::Object> = objects.iter().collect();
    let (vap, _) = kubecomply_cel::VapSet::new(&refs);
    let inventory = kubecomply_core::Inventory::new(objects.clone());
    let _ = gk.evaluate(&inventory);
    let _ = vap.evaluate(&inventory);
});
