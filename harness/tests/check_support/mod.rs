//! Test support for the `check` tests: a headless check of mocks configured for it, the
//! human rendering of a run (for failure messages) and the recordings of one check.

// Each test binary that includes this module uses only part of it.
#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use mcp_oauth_harness::check::{self, CheckOptions, CheckRun, Consent};
use mcp_oauth_mocks::clock::SystemClock;
use mcp_oauth_mocks::{MockConfig, MockServers};
use mcp_oauth_reports::{Check, Status};

/// A headless `check` (10 s timeout) of mocks on the system clock, their configuration
/// the default one changed by `edit`.
pub async fn check_against(edit: impl FnOnce(&mut MockConfig)) -> CheckRun {
    let mut config = MockConfig::default();
    edit(&mut config);
    let mocks = MockServers::start(config, Arc::new(SystemClock))
        .await
        .expect("mock servers start");
    let options = CheckOptions {
        consent: Consent::Headless,
        redirect_port: 0,
        timeout: Duration::from_secs(10),
        ..CheckOptions::new(mocks.mcp_url())
    };
    check::check(options).await.expect("the check runs")
}

/// The run as `check` prints it, for assertion messages.
pub fn human(run: &CheckRun) -> String {
    let mut out = String::new();
    mcp_oauth_harness::cli::check::human(&mut out, run, false);
    out
}

/// Every recording of `id`; at least one, each with `status`.
#[track_caller]
pub fn recorded<'a>(run: &'a CheckRun, id: &str, status: Status) -> Vec<&'a Check> {
    let found: Vec<&Check> = run.report.checks.iter().filter(|c| c.id == id).collect();
    assert!(
        !found.is_empty() && found.iter().all(|c| c.status == status),
        "{id}: expected every recording {status:?}, recorded {:?}\n{}",
        found.iter().map(|c| c.status).collect::<Vec<_>>(),
        human(run)
    );
    found
}

/// Runs the built binary with `args` (stdin closed): exit code, stdout, stderr.
pub async fn harness(args: &[&str]) -> (i32, String, String) {
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_mcp-oauth-harness"))
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .await
        .expect("the binary runs");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}
