//! A step-up has a budget of its own. mcp-remote 0.15 abandons a second browser authorization
//! at start (no re-authorization after a refused token), yet its bundled SDK steps up once per
//! request on a 403 `insufficient_scope` (`DEFAULT_MAX_STEP_UP_RETRIES = 1`). Counted in one
//! budget, the profile gave up at the 403 its real client answers (interop/real-clients).

use mcp_oauth_harness::profile;
use mcp_oauth_harness::runner::run_scenario;
use mcp_oauth_harness::scenario::CatalogSource;
use mcp_oauth_reports::Health;

/// Whether the run connected, and how many authorization requests it sent (the recorded
/// exchanges), under `profile`.
async fn run_as(scenario: &str, profile: &str) -> (bool, usize) {
    let scenario = CatalogSource::Embedded.load(scenario).unwrap();
    let profile = profile::by_name(profile).unwrap();
    let report = run_scenario(&scenario, profile).await.unwrap();
    let authorizations = report
        .exchanges
        .iter()
        .filter(|e| e.request.method == "GET" && e.request.url.contains("/authorize?"))
        .count();
    (report.outcome.health == Health::Healthy, authorizations)
}

#[tokio::test]
async fn mcp_remote_steps_up_once_and_connects() {
    let connected_after = run_as("scope-step-up", "mcp-remote-0.15").await;
    assert_eq!(
        connected_after,
        (true, 2),
        "the first authorization, one step-up"
    );
}

#[tokio::test]
async fn mcp_remote_steps_up_once_then_gives_up_on_a_server_that_asks_again() {
    let connected_after = run_as("scope-step-up-retry-limit", "mcp-remote-0.15").await;
    assert_eq!(
        connected_after,
        (false, 2),
        "the first authorization, one step-up"
    );
}

#[tokio::test]
async fn a_profile_without_step_ups_reports_the_missing_scope() {
    let connected_after = run_as("scope-step-up", "pipelines").await;
    assert_eq!(connected_after, (false, 1), "the first authorization only");
}
