//! Every diagnosis an observed flow ends with is blamed on a check of the step that observed
//! it: a discovery failure on a discovery check, never on the authorization redirect.

use std::sync::Arc;
use std::time::Duration;

use mcp_oauth_harness::check::{self, CheckOptions, Consent};
use mcp_oauth_harness::checks;
use mcp_oauth_harness::scenario::{Scenario, catalog_dir, load_catalog};
use mcp_oauth_mocks::MockServers;
use mcp_oauth_mocks::clock::SystemClock;
use mcp_oauth_reports::{Connects, Status};

/// The steps that can observe each diagnosis code, as the flow's modules produce them.
fn observing_steps(code: &str) -> &'static [&'static str] {
    match code {
        "discovery-failed" => &["probe", "discovery"],
        "network-error" | "auth-challenge-missing" => &["probe"],
        "resource-mismatch" | "issuer-mismatch" | "metadata-invalid" | "pkce-not-advertised" => {
            &["discovery"]
        }
        "client-id-missing" | "dcr-rejected" => &["registration"],
        "redirect-uri-mismatch"
        | "authorization-error-page"
        | "consent-not-completed"
        | "state-expired"
        | "state-mismatch"
        | "consent-denied"
        | "authorization-error"
        | "iss-mismatch"
        | "callback-parameters-repeated" => &["authorization"],
        // The audience is refused at authorization or, by servers that check it there, at
        // the token endpoint; a token without one is refused by the MCP server.
        "audience-required" => &["authorization", "token", "mcp"],
        "code-expired" | "code-rejected" | "token-exchange-failed" | "resource-rejected" => {
            &["token"]
        }
        "refresh-revoked"
        | "transient-refresh-failure"
        | "client-registration-gone"
        | "refresh-refused"
        | "refresh-grant-broken"
        | "refresh-server-error"
        | "token-endpoint-misconfigured" => &["refresh"],
        "token-rejected"
        | "token-expired"
        | "mcp-error"
        | "insufficient-scope"
        | "opaque-token-refused"
        | "dpop-required" => &["mcp"],
        // Nonces and proofs are refused at the token endpoint or by the MCP server.
        "dpop-nonce-unsatisfied" | "dpop-proof-refused" => &["token", "mcp"],
        _ => &[],
    }
}

/// Scenarios a live check can play: no Client ID metadata document published by the runner,
/// no callback URL of the scenario's own, no brought Client ID whose allowlist names another
/// callback than the check's listener.
fn checkable(scenario: &Scenario) -> bool {
    !scenario.client.client_metadata_document
        && scenario.client.redirect_uri.is_none()
        && scenario.client.client_id.is_none()
}

#[tokio::test]
async fn each_observed_diagnosis_is_blamed_on_a_check_of_its_step() {
    let catalog = load_catalog(&catalog_dir()).expect("the catalog loads");
    let mut wrong = Vec::new();
    let mut blamed = 0;
    for scenario in catalog.iter().filter(|s| checkable(s)) {
        let mocks = MockServers::start(scenario.mocks.clone(), Arc::new(SystemClock))
            .await
            .expect("mock servers start");
        let url = scenario.client.pasted(&mocks.mcp_url());
        let run = check::check(CheckOptions {
            consent: Consent::Headless,
            redirect_port: 0,
            timeout: Duration::from_secs(10),
            scope: scenario.client.scope.clone(),
            ..CheckOptions::new(url)
        })
        .await
        .expect("the check runs");
        let verdict = run.report.verdict.as_ref().expect("a verdict");
        for profile in verdict.profiles.iter().filter(|p| p.verified) {
            // Every caveat of the report's own profile points at a check that recorded the
            // problem it names, and the health agrees with its verdict.
            if profile.profile == run.report.profile {
                for caveat in &profile.caveats {
                    if !run.report.checks.iter().any(|c| {
                        c.id == caveat.check
                            && matches!(c.status, Status::Failure | Status::Warning)
                    }) {
                        wrong.push(format!(
                            "{}: the caveat {} points at {}, which the report does not show failing",
                            scenario.name, caveat.code, caveat.check
                        ));
                    }
                }
                if profile.connects == Connects::No
                    && run.report.outcome.health == mcp_oauth_reports::Health::Healthy
                {
                    wrong.push(format!(
                        "{}: healthy beside {}'s verified connects: no",
                        scenario.name, profile.profile
                    ));
                }
            }
            if profile.connects != Connects::No {
                continue;
            }
            let Some(issue) = profile.blockers.first() else {
                wrong.push(format!(
                    "{}: {} fails without a blocker",
                    scenario.name, profile.profile
                ));
                continue;
            };
            blamed += 1;
            let step = checks::by_id(&issue.check).map(|c| c.step);
            let allowed = observing_steps(&issue.code);
            if !step.is_some_and(|s| allowed.contains(&s)) {
                wrong.push(format!(
                    "{}: {} {} is blamed on {} (step {step:?}), not a check of {allowed:?}",
                    scenario.name, profile.profile, issue.code, issue.check
                ));
            }
            // The primary profile's checks are the report's: the blamed one failed there.
            if profile.profile == run.report.profile
                && !run
                    .report
                    .checks
                    .iter()
                    .any(|c| c.id == issue.check && c.status == Status::Failure)
            {
                wrong.push(format!(
                    "{}: {} is blamed on {}, which the report does not show failing",
                    scenario.name, issue.code, issue.check
                ));
            }
        }
    }
    assert!(blamed > 10, "only {blamed} blamed diagnoses seen");
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
