//! The consent step in a real browser: headless Chromium, driven through `--authorize-with`,
//! loads the authorization URL, follows the authorization server's redirect to the loopback
//! callback listener, and the check completes. CI installs Chromium (`.ci/run`); without
//! `chromium` on PATH the test is skipped with a message saying how to install it, or fails
//! when `CI=true` (reports/tests/peer).

#[path = "../../reports/tests/peer/mod.rs"]
mod peer;

use std::sync::Arc;
use std::time::Duration;

use mcp_oauth_harness::check::{self, CheckOptions, Consent};
use mcp_oauth_mocks::clock::SystemClock;
use mcp_oauth_mocks::{MockConfig, MockServers};
use mcp_oauth_reports::Status;
use peer::Peer;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn headless_chromium_completes_the_consent_through_the_loopback_callback() {
    let Some(chromium) = peer::require(Peer::Chromium) else {
        return;
    };
    let mocks = MockServers::start(MockConfig::default(), Arc::new(SystemClock))
        .await
        .expect("mock servers start");
    let profile_dir =
        std::env::temp_dir().join(format!("mcp-oauth-chromium-{}", std::process::id()));
    // Flags as for any sandboxed CI: no GPU, no background traffic, a throwaway profile.
    let args = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--dump-dom",
    ]
    .iter()
    .map(|a| (*a).to_owned())
    .chain([format!("--user-data-dir={}", profile_dir.display())])
    .collect();
    let options = CheckOptions {
        consent: Consent::Command {
            program: chromium.to_string_lossy().into_owned(),
            args,
        },
        redirect_port: 0,
        timeout: Duration::from_secs(90),
        ..CheckOptions::new(mocks.mcp_url())
    };
    let run = check::check(options).await.expect("the check runs");
    let _ = std::fs::remove_dir_all(&profile_dir);

    assert_eq!(run.consent, "command");
    let status = |id: &str| {
        run.report
            .checks
            .iter()
            .filter(|c| c.id == id)
            .map(|c| c.status)
            .collect::<Vec<_>>()
    };
    assert!(
        status("authorization-granted").contains(&Status::Success),
        "{:?}",
        run.report.outcome
    );
    assert!(status("token-exchange").contains(&Status::Success));
    assert!(status("mcp-tools-list").contains(&Status::Success));
    assert_eq!(run.exit_code(), 0, "{:?}", run.report.outcome);
}
