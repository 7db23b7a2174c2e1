//! The team's own policies in Rego, evaluated with regorus:
//!
//! * [`RegoPolicies`]: conftest-style modules (`deny`, `violation`, `warn` rules with the object
//!   as `input`, `data` files, namespaces, `# METADATA` annotations).
//! * [`Gatekeeper`]: ConstraintTemplates and their constraints evaluated offline like
//!   `gator test` (the `match` block, `input.review`, `data.inventory`, enforcement actions).
//! * [`verify`]: `gator verify` Suites; [`unit`]: conftest/OPA `test_*` unit tests.
//! * [`repository_digest`]: which policy version produced a report.
//!
//! Every evaluation has a wall-clock limit; a failure on one object is an error finding for
//! that object, never an abort. See the crate README for exact semantics and known gaps.

pub mod builtins;
pub mod conftest;
pub mod engine;
pub mod files;
pub mod gatekeeper;
pub mod memory;
pub mod metadata;
mod negation;
mod opa_syntax;
mod sprintf;
pub mod unit;
pub mod verify;

use std::borrow::Cow;

use kubecomply_core::Value;
use kubecomply_core::{Finding, Location, Object, ObjectRef, Severity, Status};

pub use builtins::Determinism;
pub use conftest::{Namespaces, RegoOptions, RegoPolicies, RegoWorker};
pub use engine::{DEFAULT_RUN_BUDGET, DEFAULT_TIMEOUT, RegoVersion, RunDeadline};
pub use files::repository_digest;
pub use gatekeeper::{EnforcementAction, Gatekeeper, GatekeeperOptions, NativeValidation};
pub use memory::{DEFAULT_MEMORY_LIMIT, memory_limit, set_memory_limit};

/// A finding of a team rule on `object` at `pointer` (relative to the object; the List-item
/// prefix of its origin is added, as [`Finding::failure`] does).
pub(crate) fn finding(
    code: &str,
    slug: &str,
    status: Status,
    severity: Severity,
    object: &Object,
    pointer: String,
    message: String,
) -> Finding {
    let mut full = pointer;
    if !object.origin.prefix.is_empty() {
        full.insert_str(0, &object.origin.prefix);
    }
    Finding {
        rule: Cow::Owned(code.to_string()),
        slug: Cow::Owned(slug.to_string()),
        status,
        severity,
        resource: Some(ObjectRef::of(object)),
        container: None,
        message,
        location: Location::in_object(object, full),
        exception: None,
    }
}

/// A JSON pointer named by a violation's `details` (`pointer`, `path` or `field`, when it is
/// a pointer that exists in the object), else the object itself.
pub(crate) fn pointer_from_details(object: &Object, details: Option<&Value>) -> String {
    let Some(d) = details else {
        return String::new();
    };
    ["pointer", "path", "field"]
        .iter()
        .filter_map(|k| d.get(*k).and_then(Value::as_str))
        .find(|p| p.starts_with('/') && object.value.pointer(p).is_some())
        .map(str::to_string)
        .unwrap_or_default()
}
