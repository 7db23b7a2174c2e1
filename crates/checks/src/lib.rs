//! Built-in rules.
