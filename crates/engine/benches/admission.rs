//! Per-object evaluation latency: one object against the built-in rules and the team's
//! policies with a cluster view loaded, as an admission webhook or a watcher evaluates.
//!
//! `cargo bench -p kubecomply-engine --bench admission -- CORPUS_DIR POLICY_DIR...`
//! (bench/admission/run.py generates the 10,000-object corpus and the 20 Gatekeeper templates
//! and 20 ValidatingAdmissionPolicies, and runs it). Every object of the corpus is evaluated
//! once, one at a time on one thread, after a warm-up pass over the first 500; the latency
//! distribution is printed, for all objects and for the workloads (which most policies match).

use std::time::Instant;

use kubecomply_core::date::Date;
use kubecomply_engine::{Clock, ClusterView, Engine, ReadOptions, ScanOptions, Settings};

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn line(what: &str, mut us: Vec<f64>) {
    us.sort_by(f64::total_cmp);
    println!(
        "{what:<34} n={:>6}  p50 {:>8.1} µs  p90 {:>8.1} µs  p99 {:>8.1} µs  max {:>9.1} µs",
        us.len(),
        percentile(&us, 0.5),
        percentile(&us, 0.9),
        percentile(&us, 0.99),
        us.last().copied().unwrap_or(f64::NAN)
    );
}

fn main() {
    // What the binary does (crates/cli/src/main.rs): errors inside the policy engines must not
    // capture backtraces when RUST_BACKTRACE is set for panics.
    if std::env::var_os("RUST_LIB_BACKTRACE").is_none() {
        // SAFETY: at the start of main, before any thread is spawned.
        unsafe { std::env::set_var("RUST_LIB_BACKTRACE", "0") };
    }
    // `cargo bench` passes `--bench`; the rest are ours.
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let Some((corpus, policies)) = args.split_first() else {
        eprintln!("usage: admission CORPUS_DIR [POLICY_DIR...]");
        std::process::exit(2);
    };
    let clock = Clock::on(Date::parse("2026-12-01").expect("a date"));
    let mut settings = Settings::new(clock);
    settings.policies.paths = policies.iter().map(Into::into).collect();
    let started = Instant::now();
    let (engine, diagnostics) = Engine::new(settings).expect("engine");
    for d in &diagnostics {
        eprintln!("{}", d.render());
    }
    let rules = engine.catalogue().all().len();
    let team = engine.policies().map_or(0, |p| p.rules.len());
    println!(
        "engine: {rules} rules ({team} of the team's policies), compiled in {:.1} ms",
        started.elapsed().as_secs_f64() * 1e3
    );
    let loaded = engine.load(
        std::slice::from_ref(corpus),
        ReadOptions {
            lean: true,
            hash: false,
        },
    );
    let objects = loaded.inventory.objects.clone();
    println!("view: {} objects from {corpus}", objects.len());

    // For scale: what answering for one object cost before, a scan of everything.
    let t = Instant::now();
    let scan = engine.scan(&loaded.inventory, &ScanOptions::default());
    let scan_ms = t.elapsed().as_secs_f64() * 1e3;
    println!(
        "whole scan of the view (all analyzers, 2 cores): {scan_ms:.0} ms, {} findings",
        scan.findings.len()
    );

    let mut view = ClusterView::new(loaded.inventory);
    let t = Instant::now();
    let first = engine.evaluate_object(&objects[0], &view);
    println!(
        "first evaluation (prepares data.inventory for the view): {:.1} ms",
        t.elapsed().as_secs_f64() * 1e3
    );
    drop(first);
    for o in objects.iter().take(500) {
        std::hint::black_box(engine.evaluate_object(o, &view));
    }
    let mut all = Vec::with_capacity(objects.len());
    let mut workloads = Vec::new();
    let mut findings = 0usize;
    let mut by_kind: std::collections::BTreeMap<&str, Vec<f64>> = Default::default();
    for o in &objects {
        let t = Instant::now();
        let f = engine.evaluate_object(o, &view);
        let us = t.elapsed().as_secs_f64() * 1e6;
        findings += f.len();
        by_kind.entry(o.kind.as_str()).or_default().push(us);
        all.push(us);
        if !o.pod_templates.is_empty() {
            workloads.push(us);
        }
    }
    println!("{findings} findings from per-object evaluation");
    line("every object", all);
    line("workloads (objects with pod specs)", workloads);
    for (kind, us) in by_kind {
        line(&format!("  {kind}"), us);
    }

    // A change: the next evaluation prepares again, then it is fast again.
    let changed = objects[1].clone();
    view.upsert(changed);
    let t = Instant::now();
    std::hint::black_box(engine.evaluate_object(&objects[2], &view));
    println!(
        "first evaluation after a change of the view: {:.1} ms",
        t.elapsed().as_secs_f64() * 1e3
    );
}
