//! Throughput of the whole catalog against fresh embedded mocks.
//!
//! `cargo bench -p mcp-oauth-harness --bench catalog` prints scenarios per second for serial
//! and parallel runs and per-scenario latency percentiles, then how long `test-client` takes
//! over the whole catalog with the harness's own `connect` as the client under test (one
//! process per scenario). Figures, not assertions: timing never fails a test.

use std::sync::Arc;
use std::time::{Duration, Instant};

use mcp_oauth_harness::cli::run_all;
use mcp_oauth_harness::profile;
use mcp_oauth_harness::runner::run_scenario;
use mcp_oauth_harness::scenario::{Scenario, catalog_dir, load_catalog};
use mcp_oauth_harness::test_client::{self, ClientCommand, TestClientOptions};

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

    test_client_figure(&runtime, &catalog, jobs);
}

/// `test-client --command "mcp-oauth-harness connect"` over every scenario that judges a
/// client: fresh mocks in real time and one client process per scenario.
fn test_client_figure(runtime: &tokio::runtime::Runtime, catalog: &[Arc<Scenario>], jobs: usize) {
    let scenarios: Vec<Scenario> = catalog
        .iter()
        .filter(|s| s.conformant_client.is_some())
        .map(|s| (**s).clone())
        .collect();
    let options = TestClientOptions {
        command: ClientCommand {
            program: env!("CARGO_BIN_EXE_mcp-oauth-harness").to_owned(),
            args: vec!["connect".to_owned()],
        },
        profile: profile::NEWEST_SPEC,
        timeout: Duration::from_secs(30),
    };
    let count = scenarios.len();
    let start = Instant::now();
    let reports = runtime
        .block_on(test_client::run_all(scenarios, &options, jobs))
        .expect("test-client runs");
    let elapsed = start.elapsed();
    let passed = reports.iter().filter(|r| r.met_expectations()).count();
    println!(
        "test-client: {count} scenarios with connect as the client in {:.2} s ({jobs} jobs; {passed} judged conformant)",
        elapsed.as_secs_f64()
    );
}
