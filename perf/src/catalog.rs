//! The catalog: `run` as a process (wall time with process start, CPU per run, peak RSS), and
//! per-run latency percentiles from the same runs made in-process through `run`'s own
//! scheduler (`cli::shards`), with one job thread and with one per core.

use std::sync::Arc;
use std::time::{Duration, Instant};

use indicatif::ProgressBar;
use mcp_oauth_harness::cli::shards;
use mcp_oauth_harness::profile;
use mcp_oauth_harness::runner::run_scenario;
use mcp_oauth_harness::scenario::{Scenario, catalog_dir, load_catalog};

use crate::machine::{self, CpuTimes};
use crate::process::{self, Measured};
use crate::{Target, binary, figure, ms, percentile};

/// Process runs per setting, after one not counted; the median is reported. Five, without the
/// first, moved the median by a tenth between two runs of the benchmark ten minutes apart.
const PROCESS_ROUNDS: usize = 11;
/// In-process rounds of the whole catalog for the percentiles.
const LATENCY_ROUNDS: usize = 3;

type Plan = Vec<(Arc<Scenario>, &'static profile::Profile)>;

pub fn plan() -> Plan {
    let catalog: Vec<Arc<Scenario>> = load_catalog(&catalog_dir())
        .expect("the catalog loads")
        .into_iter()
        .map(Arc::new)
        .collect();
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

pub fn run(runtime: &tokio::runtime::Runtime) {
    let plan = plan();
    let runs = plan.len();
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!(
        "catalog: {runs} runs; `run` as a process, median of {PROCESS_ROUNDS} after one not counted"
    );
    for jobs in [None, Some(1)] {
        let mut args = vec!["run", "-q"];
        let jobs_arg;
        if let Some(jobs) = jobs {
            jobs_arg = jobs.to_string();
            args.extend(["-j", &jobs_arg]);
        }
        // The first run pays for what the later ones find ready (the binary's pages, the
        // kernel's socket and page caches); a user's second run is like the later ones.
        process::measure(binary(), &args).expect("run starts");
        let before = (CpuTimes::now(), Instant::now());
        let measured: Vec<Measured> = (0..PROCESS_ROUNDS)
            .map(|_| process::measure(binary(), &args).expect("run starts"))
            .collect();
        let other = before.0.zip(CpuTimes::now()).map(|(start, end)| {
            let own = measured.iter().map(|m| m.cpu).sum();
            machine::other_work(start, end, own, before.1.elapsed(), cpus)
        });
        let failed = measured.iter().filter(|m| m.exit_code != 0).count();
        let peak = measured.iter().map(|m| m.max_rss_mib).fold(0.0, f64::max);
        let median = process::median(measured);
        let label = jobs.map_or(format!("-j default ({cpus})"), |j| format!("-j {j}"));
        let command = format!("/usr/bin/time -v {} {}", binary(), args.join(" "));
        println!(
            "  {label}{}",
            if failed > 0 {
                "  (some runs exited non-zero!)"
            } else {
                ""
            }
        );
        figure(
            "wall, process start included",
            median.wall.as_secs_f64(),
            "s",
            if jobs.is_none() {
                Target::Max(0.3)
            } else {
                Target::None
            },
            &command,
        );
        figure(
            "CPU per run (user + system / runs)",
            ms(median.cpu) / runs as f64,
            "ms",
            Target::Max(2.0),
            "",
        );
        figure("peak RSS", peak, "MiB", Target::Max(64.0), "");
        if let Some(other) = other {
            println!(
                "  while measured: other processes used {:.0} % of the {cpus} CPUs, the hypervisor took {:.0} %",
                other.others * 100.0,
                other.stolen * 100.0
            );
        }
    }

    println!(
        "catalog: per-run latency in-process, {LATENCY_ROUNDS} rounds, on `run`'s own job threads"
    );
    for jobs in [1, cpus] {
        let mut latencies = Vec::new();
        for _ in 0..LATENCY_ROUNDS {
            latencies.extend(runtime.block_on(timed_sharded(&plan, jobs)));
        }
        let label = if jobs == 1 {
            "serial (-j 1)".to_owned()
        } else {
            format!("concurrent (-j {jobs})")
        };
        latency_figures(&label, latencies);
    }
}

fn latency_figures(label: &str, mut latencies: Vec<Duration>) {
    latencies.sort();
    let command = "target/release/mcp-oauth-perf catalog";
    println!("  {label}");
    figure(
        "p50",
        ms(percentile(&latencies, 0.50)),
        "ms",
        Target::None,
        "",
    );
    figure(
        "p95",
        ms(percentile(&latencies, 0.95)),
        "ms",
        Target::None,
        "",
    );
    figure(
        "p99",
        ms(percentile(&latencies, 0.99)),
        "ms",
        Target::Max(20.0),
        command,
    );
}

/// Every run of the plan through `run`'s own scheduler (`jobs` threads, each with its
/// single-threaded runtime running one scenario at a time), each timed from when its thread
/// took it up.
async fn timed_sharded(plan: &Plan, jobs: usize) -> Vec<Duration> {
    shards::run_sharded(
        plan.clone(),
        jobs,
        &ProgressBar::hidden(),
        // A hidden bar shows no run's name.
        |_| String::new(),
        |(scenario, profile)| async move {
            let start = Instant::now();
            run_scenario(&scenario, profile)
                .await
                .expect("scenario runs");
            start.elapsed()
        },
    )
    .await
    .into_iter()
    .map(|timed| timed.expect("a run finishes"))
    .collect()
}
