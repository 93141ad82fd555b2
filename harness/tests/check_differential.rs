//! The differential against the mocks: where observed profiles disagree and their flows differ
//! in several things, a controlled experiment singles the cause out (the case without an
//! experiment is `check::differential`'s unit tests).

use std::time::Duration;

use mcp_oauth_harness::check::{self, CheckOptions, Consent, ProfileSelection};
use mcp_oauth_harness::profile;
use mcp_oauth_mocks::clock::SimulatedClock;
use mcp_oauth_mocks::{MockConfig, MockServers};
use mcp_oauth_reports::{ConfirmedBy, Connects, Party};

mod check_support;
use check_support::human;

/// An MCP server that refuses tokens without its audience, behind an authorization server
/// that lists `offline_access`: Pipelines (no `resource`) and 2026-07-28 (`resource`,
/// `application_type`, `offline_access`) differ in three things.
fn strict() -> MockConfig {
    let mut config = MockConfig::default();
    config.resource_server.require_audience = true;
    config.authorization_server.scopes_supported = vec!["mcp".into(), "offline_access".into()];
    config
}

async fn check_with(config: MockConfig, consent: Consent) -> check::CheckRun {
    let clock = SimulatedClock::default();
    let mocks = MockServers::start(config, clock.shared())
        .await
        .expect("mock servers start");
    let options = CheckOptions {
        consent,
        redirect_port: 0,
        timeout: Duration::from_secs(30),
        profiles: ProfileSelection::List(vec![&profile::PIPELINES, &profile::MCP_2026_07_28]),
        clock: clock.shared(),
        ..CheckOptions::new(mocks.mcp_url())
    };
    check::check(options).await.expect("the check runs")
}

#[tokio::test]
async fn an_experiment_confirms_the_one_difference_that_matters() {
    let run = check_with(strict(), Consent::Headless).await;
    let verdict = run.report.verdict.as_ref().expect("a verdict");
    let pipelines = &verdict.profiles[0];
    assert_eq!(pipelines.connects, Connects::No, "{}", human(&run));
    let diagnosis = pipelines.diagnosis.as_ref().expect("a diagnosis");
    assert_eq!(diagnosis.code, "audience-required", "{}", diagnosis.message);
    assert_eq!(diagnosis.confirmed_by, Some(ConfirmedBy::Experiment));
    assert_eq!(diagnosis.party, Party::Deployment);
    assert!(
        diagnosis.message.contains("alone changed"),
        "{}",
        diagnosis.message
    );
    // The experiments' own flows are in the report, tagged with what they changed.
    let experiments: Vec<&str> = run
        .report
        .exchanges
        .iter()
        .filter_map(|x| x.profile.as_deref())
        .filter(|p| p.contains("experiment"))
        .collect();
    assert!(
        experiments
            .iter()
            .any(|p| p.contains("RFC 8707 `resource`")),
        "{experiments:?}"
    );
    // The report says unhealthy beside the consent profile's verified "no".
    assert_eq!(
        run.report.outcome.health,
        mcp_oauth_reports::Health::Unhealthy
    );
    assert_eq!(
        verdict.profiles[1].connects,
        Connects::Yes,
        "{}",
        human(&run)
    );
}
