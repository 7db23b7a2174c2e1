//! Pod Security Standards.
