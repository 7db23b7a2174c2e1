//! A memory bound for every Rego evaluation.
//!
//! regorus (built with `allocator-memory-limits`) installs its accounting allocator as the
//! process's global allocator and checks a ceiling on the process's allocated bytes at its loop
//! and builtin checkpoints, failing the evaluation with `LimitError::MemoryLimitExceeded`.
//! We turn that process ceiling into a per-evaluation bound:
//!
//! * While policies evaluate (a [`Phase`]), the ceiling is the bytes allocated when the phase
//!   began plus the configured limit (default [`DEFAULT_MEMORY_LIMIT`]); outside a phase there
//!   is none, so loading inputs and policies is never stopped by it.
//! * Evaluations run in parallel and share that headroom. One that is stopped may have been
//!   stopped by another's excess, so it is run again *alone* (no other Rego evaluation runs
//!   meanwhile), against a ceiling of the bytes allocated at that moment plus the limit. Only
//!   an evaluation that exceeds the limit on its own is reported, as an `error` finding.
//!
//! The bound counts every allocation of the process during the evaluation; the scan runs the
//! policies after the built-in rules so that little else allocates at the same time.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError, RwLock};

use regorus::LimitError;

/// The memory limit of one evaluation unless configured: 256 MiB.
pub const DEFAULT_MEMORY_LIMIT: u64 = 256 * 1024 * 1024;

static LIMIT: AtomicU64 = AtomicU64::new(DEFAULT_MEMORY_LIMIT);

/// Parallel evaluations hold it shared; an evaluation re-run alone holds it exclusively.
static GATE: RwLock<()> = RwLock::new(());

/// Phases in progress (the ceiling is removed when the last one ends).
static PHASES: Mutex<usize> = Mutex::new(0);

/// Evaluations re-run alone since the process started (for tests and diagnostics).
static RERUNS: AtomicUsize = AtomicUsize::new(0);

/// Sets the memory limit of one Rego evaluation, in bytes (0 turns the bound off).
pub fn set_memory_limit(bytes: u64) {
    LIMIT.store(bytes, Ordering::Relaxed);
}

/// The configured limit in bytes (0: off).
pub fn memory_limit() -> u64 {
    LIMIT.load(Ordering::Relaxed)
}

/// How many evaluations were re-run alone after a shared-ceiling stop.
pub fn reruns() -> usize {
    RERUNS.load(Ordering::Relaxed)
}

/// Bytes the process has allocated and not freed, and the highest such count so far
/// (regorus' accounting in the global allocator), for diagnostics such as `KUBECOMPLY_TIMINGS`.
pub fn live_bytes() -> (u64, u64) {
    regorus::flush_thread_memory_counters();
    let (stats, _) = regorus_mimalloc::allocation_stats_snapshot();
    (stats.allocated, stats.peak)
}

/// Bytes the process has allocated (regorus' accounting).
fn allocated() -> u64 {
    live_bytes().0
}

/// The ceiling: what is allocated now plus the limit; none when the limit is off.
fn arm() {
    let limit = memory_limit();
    regorus::set_global_memory_limit((limit > 0).then(|| allocated().saturating_add(limit)));
}

/// Policy evaluation in progress: the ceiling is armed while one exists.
pub(crate) struct Phase(());

impl Phase {
    pub(crate) fn begin() -> Phase {
        let mut n = PHASES.lock().unwrap_or_else(PoisonError::into_inner);
        *n += 1;
        arm();
        Phase(())
    }
}

impl Drop for Phase {
    fn drop(&mut self) {
        let mut n = PHASES.lock().unwrap_or_else(PoisonError::into_inner);
        *n = n.saturating_sub(1);
        if *n == 0 {
            regorus::set_global_memory_limit(None);
        }
    }
}

/// Whether `err` is regorus stopping an evaluation at the memory ceiling.
pub(crate) fn is_memory_limit(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        matches!(
            e.downcast_ref::<LimitError>(),
            Some(LimitError::MemoryLimitExceeded { .. })
        )
    })
}

/// Runs one evaluation (inside a [`Phase`]); when the shared ceiling stops it, runs it again
/// alone against its own ceiling and reports a memory error only if that stops it too.
pub(crate) fn evaluate<T>(mut run: impl FnMut() -> anyhow::Result<T>) -> anyhow::Result<T> {
    let first = {
        let _shared = GATE.read().unwrap_or_else(PoisonError::into_inner);
        run()
    };
    match first {
        Err(e) if is_memory_limit(&e) => {
            let _alone = GATE.write().unwrap_or_else(PoisonError::into_inner);
            RERUNS.fetch_add(1, Ordering::Relaxed);
            arm();
            let result = run();
            arm();
            result.map_err(|e| {
                if is_memory_limit(&e) {
                    anyhow::anyhow!(
                        "memory limit exceeded: the evaluation allocated more than {} MiB \
                         (--policy-memory-limit)",
                        memory_limit() / (1024 * 1024)
                    )
                } else {
                    e
                }
            })
        }
        other => other,
    }
}
