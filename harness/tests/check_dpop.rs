//! `check` against a DPoP MCP server: the metadata's `dpop_signing_alg_values_supported` is
//! read, the profile that uses DPoP when advertised connects with proofs, and the
//! resource-server probes hold the bound token to its proof; each lax knob of the mock fails
//! the probe it should.

use std::time::Duration;

use mcp_oauth_harness::check::{self, CheckOptions, CheckRun, Consent, ProfileSelection};
use mcp_oauth_harness::checks::{self, CheckDef};
use mcp_oauth_harness::profile;
use mcp_oauth_mocks::clock::SimulatedClock;
use mcp_oauth_mocks::{MockConfig, MockServers};
use mcp_oauth_reports::Status;

mod check_support;
use check_support::human;

fn dpop_server() -> MockConfig {
    let mut config = MockConfig::default();
    config.authorization_server.dpop = true;
    config.resource_server.require_dpop = true;
    config
}

async fn check_against(config: MockConfig) -> CheckRun {
    let clock = SimulatedClock::default();
    let mocks = MockServers::start(config, clock.shared())
        .await
        .expect("mock servers start");
    let options = CheckOptions {
        consent: Consent::Headless,
        redirect_port: 0,
        timeout: Duration::from_secs(30),
        profile: &profile::MCP_2026_07_28_DPOP,
        profiles: ProfileSelection::List(vec![&profile::MCP_2026_07_28_DPOP]),
        clock: clock.shared(),
        ..CheckOptions::new(mocks.mcp_url())
    };
    check::check(options).await.expect("the check runs")
}

fn statuses(run: &CheckRun, check: &CheckDef) -> Vec<Status> {
    run.report
        .checks
        .iter()
        .filter(|c| c.id == check.id)
        .map(|c| c.status)
        .collect()
}

#[track_caller]
fn assert_status(run: &CheckRun, check: &CheckDef, status: Status) {
    assert_eq!(
        statuses(run, check),
        vec![status],
        "{}\n{}",
        check.id,
        human(run)
    );
}

#[tokio::test]
async fn a_conformant_dpop_server_passes_the_dpop_probes() {
    let run = check_against(dpop_server()).await;
    assert_status(&run, &checks::DPOP_ADVERTISED, Status::Success);
    for probe in [
        &checks::DPOP_BOUND_TOKEN_AS_BEARER_REFUSED,
        &checks::DPOP_PROOF_REQUIRED,
        &checks::DPOP_WRONG_HTU_REFUSED,
        &checks::DPOP_REPLAYED_PROOF_REFUSED,
    ] {
        assert_status(&run, probe, Status::Success);
    }
    // The Bearer header probes are replaced, not failed.
    assert!(statuses(&run, &checks::BEARER_SCHEME_CASE_INSENSITIVE).is_empty());
    assert!(
        statuses(&run, &checks::DPOP_IN_USE).contains(&Status::Success),
        "{}",
        human(&run)
    );
}

#[tokio::test]
async fn a_bound_token_accepted_as_bearer_fails_its_probe() {
    let mut config = dpop_server();
    config.resource_server.accept_dpop_tokens_as_bearer = true;
    let run = check_against(config).await;
    assert_status(
        &run,
        &checks::DPOP_BOUND_TOKEN_AS_BEARER_REFUSED,
        Status::Failure,
    );
    assert_status(&run, &checks::DPOP_PROOF_REQUIRED, Status::Success);
    let failed = run
        .report
        .checks
        .iter()
        .find(|c| c.id == checks::DPOP_BOUND_TOKEN_AS_BEARER_REFUSED.id)
        .expect("recorded");
    assert!(
        failed
            .remedy
            .as_deref()
            .is_some_and(|r| r.contains("cnf.jkt")),
        "{failed:?}"
    );
}

#[tokio::test]
async fn metadata_without_dpop_records_nothing_about_it() {
    let run = check_against(MockConfig::default()).await;
    assert!(statuses(&run, &checks::DPOP_ADVERTISED).is_empty());
    assert!(statuses(&run, &checks::DPOP_PROOF_REQUIRED).is_empty());
    assert_status(&run, &checks::BEARER_WITHOUT_TOKEN_REFUSED, Status::Success);
}

#[tokio::test]
async fn without_consent_the_verdict_infers_who_a_dpop_only_server_lets_in() {
    let clock = SimulatedClock::default();
    let mocks = MockServers::start(dpop_server(), clock.shared())
        .await
        .expect("mock servers start");
    // The plain profiles send Bearer tokens; the DPoP extension profile, named, is judged too.
    let options = CheckOptions {
        consent: Consent::Skip,
        timeout: Duration::from_secs(30),
        clock: clock.shared(),
        profiles: ProfileSelection::parse("all,mcp-2026-07-28+dpop").expect("a known list"),
        ..CheckOptions::new(mocks.mcp_url())
    };
    let run = check::check(options).await.expect("the check runs");
    let verdict = run.report.verdict.as_ref().expect("a verdict");
    assert_eq!(verdict.profiles.len(), profile::ALL.len() + 1);
    for profile in &verdict.profiles {
        let dpop = profile.profile == profile::MCP_2026_07_28_DPOP.name;
        let expected = if dpop {
            mcp_oauth_reports::Connects::Yes
        } else {
            mcp_oauth_reports::Connects::No
        };
        assert_eq!(
            profile.connects,
            expected,
            "{}\n{}",
            profile.profile,
            human(&run)
        );
        if !dpop {
            assert_eq!(profile.blockers[0].code, "dpop-required");
        }
    }
}
