//! A count of the work done by the analyses, for tests that check they stay linear (or
//! n log n) in the size of the input: the number of times one role rule is matched against one
//! request, the unit of every search over the rules a subject holds. A count, not a clock: it
//! fails the same way on every machine.
//!
//! Each thread counts in its own counter (written only by that thread, so counting costs a
//! plain load and store); [`rule_matches`] sums every thread's, rayon's workers included.

use std::cell::OnceCell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// The counters of every thread that has counted.
static COUNTERS: Mutex<Vec<Arc<AtomicU64>>> = Mutex::new(Vec::new());

thread_local! {
    static MINE: OnceCell<Arc<AtomicU64>> = const { OnceCell::new() };
}

/// Records one match of a rule against a request.
#[inline]
pub(crate) fn matched() {
    MINE.with(|c| {
        let c = c.get_or_init(|| {
            let c = Arc::new(AtomicU64::new(0));
            if let Ok(mut all) = COUNTERS.lock() {
                all.push(Arc::clone(&c));
            }
            c
        });
        // Only this thread writes its counter: no read-modify-write needed.
        c.store(c.load(Ordering::Relaxed).wrapping_add(1), Ordering::Relaxed);
    });
}

/// Rule matches done so far by every thread of the process. For tests: run one analysis at a
/// time (an integration test file with a single test) and compare the counts of two sizes.
#[doc(hidden)]
pub fn rule_matches() -> u64 {
    COUNTERS
        .lock()
        .map(|all| all.iter().map(|c| c.load(Ordering::Relaxed)).sum())
        .unwrap_or(0)
}
