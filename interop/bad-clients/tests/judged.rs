//! Each deliberately bad client, judged by `test-client`, fails exactly the checks of its
//! fault; the same double without a fault fails none, so each failure is the fault's.

use std::time::Duration;

use mcp_oauth_harness::profile;
use mcp_oauth_harness::scenario::{catalog_dir, load_file};
use mcp_oauth_harness::test_client::{self, ClientCommand, TestClientOptions};
use mcp_oauth_reports::{Report, Status};

async fn judged(fault: &str, scenario: &str) -> Report {
    let scenario = load_file(&catalog_dir().join(format!("{scenario}.toml"))).unwrap();
    let options = TestClientOptions {
        command: ClientCommand {
            program: env!("CARGO_BIN_EXE_bad-client").to_owned(),
            args: vec![fault.to_owned()],
        },
        profile: profile::NEWEST_SPEC,
        timeout: Duration::from_secs(60),
    };
    test_client::run_scenario(scenario, &options).await.unwrap()
}

/// The ids of the failed checks, each once, sorted.
fn failed_ids(report: &Report) -> Vec<String> {
    let mut ids: Vec<String> = report
        .checks
        .iter()
        .filter(|c| c.status == Status::Failure)
        .map(|c| c.id.clone())
        .collect();
    ids.sort();
    ids.dedup();
    ids
}

async fn assert_fails_exactly(fault: &str, scenario: &str, expected: &[&str]) {
    let report = judged(fault, scenario).await;
    let messages: Vec<String> = report
        .checks
        .iter()
        .filter(|c| c.status == Status::Failure)
        .map(|c| format!("{}: {}", c.id, c.error_message.as_deref().unwrap_or("")))
        .collect();
    assert_eq!(
        failed_ids(&report),
        expected,
        "{fault} in {scenario}: {messages:#?}"
    );
    assert_eq!(
        report.met_expectations(),
        expected.is_empty(),
        "{fault} in {scenario}: {:#?}",
        report.expectations
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_double_without_a_fault_passes() {
    assert_fails_exactly("conformant", "dcr-happy-path", &[]).await;
    assert_fails_exactly("conformant", "revoked-refresh", &[]).await;
    assert_fails_exactly("conformant", "iss-wrong", &[]).await;
    assert_fails_exactly("conformant", "callback-state-wrong", &[]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_pkce() {
    assert_fails_exactly("no-pkce", "dcr-happy-path", NO_PKCE).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changed_redirect_uri() {
    assert_fails_exactly(
        "changed-redirect-uri",
        "dcr-happy-path",
        CHANGED_REDIRECT_URI,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_resource() {
    assert_fails_exactly("no-resource", "dcr-happy-path", NO_RESOURCE).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refresh_loop() {
    assert_fails_exactly("refresh-loop", "revoked-refresh", REFRESH_LOOP).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redeems_the_code_despite_a_wrong_iss() {
    assert_fails_exactly("ignores-wrong-iss", "iss-wrong", IGNORES_WRONG_ISS).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redeems_the_code_despite_another_state() {
    assert_fails_exactly("ignores-state", "callback-state-wrong", IGNORES_STATE).await;
}

// No challenge is also no S256 method: both questions fail; the server then refuses the
// authorization, so the client never connects either.
const NO_PKCE: &[&str] = &[
    "client-pkce-challenge",
    "client-pkce-s256",
    "client-scenario-outcome",
];
// The authorization server refuses the code exchange, so it never connects.
const CHANGED_REDIRECT_URI: &[&str] =
    &["client-redirect-uri-consistent", "client-scenario-outcome"];
const NO_RESOURCE: &[&str] = &["client-resource-indicator"];
// Looping, it never authorizes again, so it never gets back to a tool call either.
const REFRESH_LOOP: &[&str] = &[
    "client-no-refresh-after-invalid-grant",
    "client-scenario-outcome",
];
// It connects where a conformant client stops before the token request.
const IGNORES_WRONG_ISS: &[&str] = &["client-iss-refused", "client-scenario-outcome"];
// It redeems a code a conformant client refuses: the state check and the outcome both fail.
const IGNORES_STATE: &[&str] = &["client-scenario-outcome", "client-state-round-trip"];
