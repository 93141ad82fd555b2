//! The performance figures of issue 11, each against its target.
//!
//! ```text
//! cargo build --release -p mcp-oauth-harness -p mcp-oauth-perf
//! target/release/mcp-oauth-perf [SECTION...]
//! ```
//!
//! prints, for every mode, the figures with the command that reproduces each one and whether
//! it meets its target (MET / NOT MET). Timing never fails a build or a test: this is a
//! measurement. Sections: `catalog`, `check`, `serve`, `test-client`, `official` (default:
//! all). The binary measured is the `mcp-oauth-harness` beside this one (the release build);
//! docs/PERFORMANCE.md records the figures and what they mean.

use std::time::Duration;

/// The allocator the harness binary uses, so the in-process figures match it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod catalog;
mod check;
mod machine;
mod official;
mod process;
mod serve;
mod test_client;

const SECTIONS: &[&str] = &["catalog", "check", "serve", "test-client", "official"];

/// The release binary under measurement: `mcp-oauth-harness` in this program's directory.
pub fn binary() -> &'static str {
    static BINARY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    BINARY.get_or_init(|| {
        let exe = std::env::current_exe().expect("this program's path");
        let binary = exe.with_file_name("mcp-oauth-harness");
        if !binary.is_file() {
            eprintln!(
                "no {} beside this program: cargo build --release -p mcp-oauth-harness",
                binary.display()
            );
            std::process::exit(2);
        }
        binary.display().to_string()
    })
}

/// A target: at most (`Max`) or at least (`Min`) this much.
#[derive(Debug, Clone, Copy)]
pub enum Target {
    Max(f64),
    Min(f64),
    None,
}

/// Prints one figure with its unit, its target and verdict, and the command behind it.
pub fn figure(name: &str, value: f64, unit: &str, target: Target, command: &str) {
    let verdict = match target {
        Target::Max(limit) if value <= limit => format!("target <= {limit} {unit}: MET"),
        Target::Max(limit) => format!("target <= {limit} {unit}: NOT MET"),
        Target::Min(limit) if value >= limit => format!("target >= {limit} {unit}: MET"),
        Target::Min(limit) => format!("target >= {limit} {unit}: NOT MET"),
        Target::None => String::new(),
    };
    println!("  {name:<44} {value:>10.3} {unit:<8} {verdict}");
    if !command.is_empty() {
        println!("      $ {command}");
    }
}

/// The `p`-quantile (0..=1) of sorted durations, nearest rank.
pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = (sorted.len() as f64 * p).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

pub fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

/// The load average now, as /proc/loadavg has it (the machine may be shared).
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".to_owned())
}

fn main() {
    let asked: Vec<String> = std::env::args().skip(1).collect();
    for name in &asked {
        if !SECTIONS.contains(&name.as_str()) {
            eprintln!("unknown section {name}; the sections are {SECTIONS:?}");
            std::process::exit(2);
        }
    }
    let wanted = |section: &str| asked.is_empty() || asked.iter().any(|a| a == section);
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!(
        "perf: {} on {cpus} CPUs, load average {} at start",
        binary(),
        load_average()
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    if wanted("catalog") {
        catalog::run(&runtime);
    }
    if wanted("check") {
        check::run();
    }
    if wanted("serve") {
        serve::run(&runtime);
    }
    if wanted("test-client") {
        test_client::run();
    }
    if wanted("official") {
        official::run();
    }
    println!("perf: load average {} at the end", load_average());
}
