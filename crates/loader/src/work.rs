//! A count of the work done to number lines, for tests that check loading stays linear in the
//! size of the input (a count of bytes, not a clock: it fails the same way on every machine).

use std::cell::Cell;

thread_local! {
    static LINE_BYTES: Cell<u64> = const { Cell::new(0) };
}

/// Records that `n` bytes were scanned to number lines.
pub(crate) fn scanned(n: usize) {
    LINE_BYTES.with(|c| c.set(c.get().saturating_add(n as u64)));
}

/// Bytes scanned to number lines on the current thread so far (document splitting, line
/// numbers of JSON documents and errors, resuming after errors). For tests.
#[doc(hidden)]
pub fn line_bytes_scanned() -> u64 {
    LINE_BYTES.with(Cell::get)
}
