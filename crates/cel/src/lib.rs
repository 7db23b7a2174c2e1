//! The team's own CEL policies, evaluated offline as the Kubernetes API server would.
//!
//! * [`VapSet`]: `admissionregistration.k8s.io/v1` ValidatingAdmissionPolicies and their
//!   bindings, evaluated against every object of an inventory as CREATE requests.
//! * [`GatekeeperCel`]: the `K8sNativeValidation` engine of Gatekeeper ConstraintTemplates.
//!
//! Semantics and the known differences from the API server are listed in the crate's
//! README.md.

mod checks;
mod convert;
mod cost;
mod expr;
pub mod gatekeeper;
mod resources;

pub use gatekeeper::{Admission, GatekeeperCel};
mod matching;
pub mod vap;

pub use vap::VapSet;
