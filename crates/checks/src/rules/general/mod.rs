//! Input validity and general hygiene.

use crate::rule::Rule;

pub mod deprecated_api_version;
pub mod expired_exception;
pub mod invalid_field_type;

/// The rules of this area, in code order.
pub static RULES: &[&Rule] = &[
    &invalid_field_type::RULE,
    &deprecated_api_version::RULE,
    &expired_exception::RULE,
];
