//! Data classes: which regulated data a resource holds (`pci`, `phi`, `pii`, or the team's own
//! names), from the label or annotation `compliance.kubecomply.io/data-class`.
//!
//! A resource holds the classes named (comma-separated, case-insensitive) on itself or on its
//! pod templates; when it names none, those of its Namespace (if the Namespace object is part of
//! the input). Frameworks that apply to a class evaluate the resources holding it, and the rule
//! `KC-NS-003` reports namespaces that mix workloads holding a class with workloads that do not.

use crate::Value;

use crate::inventory::Inventory;
use crate::object::Object;
use crate::value::{Field, str_at};

/// The label (or annotation) naming the data classes a resource holds.
pub const LABEL: &str = "compliance.kubecomply.io/data-class";

fn marks(meta: Option<&Value>, out: &mut Vec<String>) {
    let Some(meta) = meta else { return };
    for key in ["labels", "annotations"] {
        if let Some(v) = str_at(meta, &[key, LABEL]) {
            for c in v.split(',') {
                let c = c.trim().to_ascii_lowercase();
                if !c.is_empty() && !out.contains(&c) {
                    out.push(c);
                }
            }
        }
    }
}

/// The classes named on the object itself or on its pod templates.
pub fn own(object: &Object) -> Vec<String> {
    let mut out = Vec::new();
    marks(object.value.field("metadata"), &mut out);
    for t in object.templates() {
        marks(t.metadata, &mut out);
    }
    out
}

/// The classes the object holds: its own, else its Namespace's.
pub fn held(object: &Object, inventory: &Inventory) -> Vec<String> {
    let mine = own(object);
    if !mine.is_empty() {
        return mine;
    }
    match &object.namespace {
        Some(ns) => inventory
            .get("Namespace", "", ns)
            .map(own)
            .unwrap_or_default(),
        None => Vec::new(),
    }
}
