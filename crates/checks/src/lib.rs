//! kubecomply's built-in rules and the engine that runs them over an inventory.
//!
//! Every rule lives in its own file under `rules/<area>/` with its metadata, its docs and its
//! check; its pass/fail fixtures live in `fixtures/<slug>/`. [`registry::all`] is the one code
//! table; codes are never reused (a test snapshots the table).

pub mod docs;
pub mod engine;
pub mod params;
pub mod pss_rules;
pub mod registry;
pub mod rule;
pub mod rules;
pub mod util;

pub use engine::{Engine, EngineOptions};
pub use params::Params;
pub use rule::{Context, Rule, Target, Violations};
