//! Built-in rules, one file per rule, grouped by area. Each area's `mod.rs` lists its rules.

pub mod general;
pub mod hardening;
pub mod host;
pub mod images;
pub mod namespaces;
pub mod network;
pub mod rbac;
pub mod reliability;
pub mod resources;
pub mod secrets;
pub mod serviceaccounts;
