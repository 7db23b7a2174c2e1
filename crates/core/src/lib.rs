//! The model every kubecomply analyzer shares: Kubernetes objects with their origin, the
//! inventory of one evaluation, pod-template discovery, rule metadata and findings.
//!
//! This crate does no I/O. Loading lives in `kubecomply-loader`, evaluation in the analyzer
//! crates, formatting in `kubecomply-report`.

pub mod dataclass;
pub mod date;
pub mod diagnostic;
pub mod document;
pub mod exceptions;
pub mod finding;
pub mod inventory;
pub mod object;
pub mod pod;
pub mod pointer;
pub mod rule;
pub mod shape;
pub mod text;
pub mod tree;
pub mod value;

pub use diagnostic::Diagnostic;
pub use finding::{Finding, Location, ObjectRef, Status};
pub use inventory::Inventory;
pub use object::{ClusterRef, Object, Origin, Positions, SourceFile, SourceFormat};
pub use pod::PodTemplate;
pub use rule::{Category, CustomRule, FrameworkRef, Reference, RuleMeta, Severity};
pub use tree::{Map, Number, Value};
