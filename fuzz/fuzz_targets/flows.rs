//! Flows (`netpol generate --flows`) and segmentation files, against a model of the objects in
//! the same text.
#![no_main]
#[path = "common.rs"]
mod common;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some(text) = common::text(data) else { return };
    let inventory = kubecomply_core::Inventory::new(common::objects(text));
    let model = kubecomply_netpol::Model::new(&inventory);
    for doc in common::documents(text) {
        let _ = kubecomply_netpol::Segmentation::parse(&doc);
        if let Ok(flows) = kubecomply_netpol::parse_flows(&model, &doc) {
            let _ = kubecomply_netpol::generate(&model, &flows, true);
        }
    }
});
