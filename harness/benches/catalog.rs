//! Throughput of the whole catalog against fresh embedded mocks.
//!
//! `cargo bench -p mcp-oauth-harness --bench catalog` prints scenarios per second for serial
//! and parallel runs and per-scenario latency percentiles. Figures, not assertions: timing
//! never fails a test.

use std::sync::Arc;
use std::time::{Duration, Instant};

use mcp_oauth_harness::cli::run_all;
use mcp_oauth_harness::profile;
use mcp_oauth_harness::runner::run_scenario;
use mcp_oauth_harness::scenario::{Scenario, catalog_dir, load_catalog};

const ROUNDS: usize = 5;

fn runs(catalog: &[Arc<Scenario>]) -> Vec<(Arc<Scenario>, &'static profile::Profile)> {
    catalog
        .iter()
        .flat_map(|s| {
            s.profiles
                .iter()
                .filter_map(|p| profile::by_name(p))
                .map(move |p| (s.clone(), p))
        })
        .collect()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let catalog: Vec<Arc<Scenario>> = load_catalog(&catalog_dir())
        .expect("the catalog loads")
        .into_iter()
        .map(Arc::new)
        .collect();
    let plan = runs(&catalog);
    println!("catalog: {} runs ({} scenarios)", plan.len(), catalog.len());

    let mut latencies = Vec::new();
    let serial_start = Instant::now();
    for _ in 0..ROUNDS {
        for (scenario, profile) in &plan {
            let start = Instant::now();
            runtime
                .block_on(run_scenario(scenario, profile))
                .expect("scenario runs");
            latencies.push(start.elapsed());
        }
    }
    let serial = serial_start.elapsed();
    latencies.sort();
    let total = (plan.len() * ROUNDS) as f64;
    println!(
        "serial:   {:>8.1} runs/s   p50 {:?}  p95 {:?}  max {:?}",
        total / serial.as_secs_f64(),
        percentile(&latencies, 0.50),
        percentile(&latencies, 0.95),
        percentile(&latencies, 1.0),
    );

    let jobs = std::thread::available_parallelism().map_or(2, |n| n.get());
    let parallel_start = Instant::now();
    for _ in 0..ROUNDS {
        runtime
            .block_on(run_all(plan.clone(), jobs))
            .expect("scenarios run");
    }
    let parallel = parallel_start.elapsed();
    println!(
        "parallel: {:>8.1} runs/s   ({jobs} jobs, {ROUNDS} rounds of the whole catalog)",
        total / parallel.as_secs_f64()
    );
}
