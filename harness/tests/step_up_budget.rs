//! A step-up has a budget of its own. mcp-remote 0.15 abandons a second browser authorization
//! at start (no re-authorization after a refused token), yet its bundled SDK steps up once per
//! request on a 403 `insufficient_scope` (`DEFAULT_MAX_STEP_UP_RETRIES = 1`). Counted in one
//! budget, the profile gave up at the 403 its real client answers (interop/real-clients).

use mcp_oauth_harness::profile;
use mcp_oauth_harness::runner::run_scenario;
use mcp_oauth_harness::scenario::CatalogSource;
use mcp_oauth_reports::{Health, Report};

async fn run_as(scenario: &str, profile: &str) -> Report {
    let scenario = CatalogSource::Embedded.load(scenario).unwrap();
    let profile = profile::by_name(profile).unwrap();
    run_scenario(&scenario, profile).await.unwrap()
}

/// The authorization requests the run sent, in order, as the recorded exchanges show them.
fn authorizations(report: &Report) -> usize {
    report
        .exchanges
        .iter()
        .filter(|e| e.request.method == "GET" && e.request.url.contains("/authorize?"))
        .count()
}

#[tokio::test]
async fn mcp_remote_steps_up_once_and_connects() {
    let report = run_as("scope-step-up", "mcp-remote-0.15").await;
    assert_eq!(
        report.outcome.health,
        Health::Healthy,
        "{:?}",
        report.outcome
    );
    assert_eq!(authorizations(&report), 2, "the first, then one step-up");
}

#[tokio::test]
async fn mcp_remote_steps_up_once_then_gives_up_on_a_server_that_asks_again() {
    let report = run_as("scope-step-up-retry-limit", "mcp-remote-0.15").await;
    assert_ne!(
        report.outcome.health,
        Health::Healthy,
        "{:?}",
        report.outcome
    );
    assert_eq!(authorizations(&report), 2, "the first, then one step-up");
}

#[tokio::test]
async fn a_profile_without_step_ups_reports_the_missing_scope() {
    let report = run_as("scope-step-up", "pipelines").await;
    assert_ne!(
        report.outcome.health,
        Health::Healthy,
        "{:?}",
        report.outcome
    );
    assert_eq!(authorizations(&report), 1);
}
