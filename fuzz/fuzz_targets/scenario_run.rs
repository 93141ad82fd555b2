//! Any scenario file text that loads is run, as `run` runs it: its own mocks started in this
//! process on loopback ports, the client under its first profile, every clock a simulated one.
//! The run ends in a report (or a run error) without a panic, within a time budget: nothing in
//! a scenario waits on real time, so a run that takes seconds is a finding too.
#![no_main]

use std::sync::LazyLock;
use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use mcp_oauth_harness::{profile, runner, scenario};
use tokio::runtime::Runtime;

/// How long one scenario may run. The catalog's longest takes well under a second.
const BUDGET: Duration = Duration::from_secs(20);

/// One runtime for every input, single-threaded as `run`'s own (`cli/shards.rs`).
static RUNTIME: LazyLock<Runtime> = LazyLock::new(|| {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime")
});

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(scenario) = scenario::parse(text) else {
        return;
    };
    let profile = scenario
        .profiles
        .first()
        .and_then(|name| profile::by_name(name))
        .expect("a loaded scenario names known profiles");
    RUNTIME.block_on(async {
        match tokio::time::timeout(BUDGET, runner::run_scenario(&scenario, profile)).await {
            Ok(Ok(report)) => {
                serde_json::to_string(&report).expect("a report serializes");
            }
            Ok(Err(_)) => {}
            Err(_) => panic!("the scenario ran longer than {BUDGET:?}"),
        }
    });
});
