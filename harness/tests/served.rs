//! The harness's own client, in-process, against served scenarios: the judge's verdict on a
//! client that does what the spec says, including scenarios whose server-side steps are
//! triggers on the client's progress.

use std::sync::Arc;
use std::time::Duration;

use mcp_oauth_harness::flow::{ClientFlow, ClientOptions, Pauses};
use mcp_oauth_harness::http::{HttpClient, HttpLimits};
use mcp_oauth_harness::profile::{self, Profile};
use mcp_oauth_harness::redact::Redactor;
use mcp_oauth_harness::served::{Completion, ServeOptions, ServedScenario};
use mcp_oauth_harness::user_agent::UserAgent;
use mcp_oauth_mocks::clock::SystemClock;
use mcp_oauth_reports::{Report, Status};

/// Serves `name`, runs the harness's own `connect` flow (connect-on-demand) at it as a client
/// of `profile`, and returns the judge's report.
async fn judged(name: &str, profile: &'static Profile) -> (Report, ServedScenario) {
    let served = ServedScenario::start_with(
        name,
        ServeOptions {
            profile,
            ..ServeOptions::default()
        },
    )
    .await
    .unwrap();
    let http = HttpClient::new(HttpLimits::default(), Redactor::default()).unwrap();
    let mut options = ClientOptions::new(served.mcp_url());
    if let Some((id, secret)) = served.client_credentials() {
        options.client_id = Some(id);
        options.client_secret = secret.map(oauth2::ClientSecret::new);
    }
    let mut flow = ClientFlow::new(options, profile, Arc::new(SystemClock), http);
    let _ = flow
        .connect_on_demand(&UserAgent::Headless, &Pauses::default())
        .await;
    (served.judge(), served)
}

fn status(report: &Report, id: &str) -> Status {
    report
        .checks
        .iter()
        .find(|c| c.id == id)
        .unwrap_or_else(|| panic!("no check {id} in {:#?}", report.checks))
        .status
}

fn failures(report: &Report) -> Vec<String> {
    report
        .checks
        .iter()
        .filter(|c| c.status == Status::Failure)
        .map(|c| format!("{}: {}", c.id, c.error_message.clone().unwrap_or_default()))
        .collect()
}

#[tokio::test]
async fn the_happy_path_is_conformant_and_complete() {
    let (report, served) = judged("dcr-happy-path", profile::NEWEST_SPEC).await;
    assert!(failures(&report).is_empty(), "{:?}", failures(&report));
    assert!(report.met_expectations(), "{:?}", report.expectations);
    for id in [
        "client-pkce-challenge",
        "client-pkce-s256",
        "client-pkce-verifier",
        "client-state-round-trip",
        "client-redirect-uri-consistent",
        "client-redirect-uri-safe",
        "client-resource-indicator",
        "client-scope-selection",
        "client-token-auth-method",
        "client-bearer-header",
        "client-token-not-in-query",
        "client-dcr-redirect-uris",
        "client-scenario-outcome",
    ] {
        assert_eq!(status(&report, id), Status::Success, "{id}");
    }
    assert_eq!(
        served.wait_until_done(Duration::from_secs(1)).await,
        Completion::Done
    );
}

#[tokio::test]
async fn revoked_refresh_fires_its_trigger_and_the_client_reauthorizes_without_a_loop() {
    let (report, served) = judged("revoked-refresh", profile::NEWEST_SPEC).await;
    let fired = served.fired_triggers();
    assert_eq!(fired.len(), 1, "{fired:?}");
    assert_eq!(
        fired[0].actions,
        ["expire-access-tokens", "revoke-refresh-tokens"]
    );
    // The harness's client answers the refused (expired) token by authorizing again rather
    // than refreshing, so no refresh was ever refused: the question is skipped, not passed.
    assert_eq!(
        status(&report, "client-no-refresh-after-invalid-grant"),
        Status::Skipped,
        "{:#?}",
        report.checks
    );
    assert_eq!(
        status(&report, "client-reauthorization-bounded"),
        Status::Success
    );
    assert_eq!(status(&report, "client-scenario-outcome"), Status::Success);
    assert!(report.met_expectations(), "{:?}", failures(&report));
}

#[tokio::test]
async fn a_wrong_iss_is_refused_before_the_code_is_redeemed() {
    let (report, _served) = judged("iss-wrong", profile::NEWEST_SPEC).await;
    assert_eq!(status(&report, "client-iss-refused"), Status::Success);
    assert_eq!(status(&report, "client-pkce-verifier"), Status::Skipped);
    assert!(report.met_expectations(), "{:?}", failures(&report));
}

#[tokio::test]
async fn mismatched_metadata_is_refused_before_authorization() {
    let (report, _served) = judged("resource-mismatch-refused", profile::NEWEST_SPEC).await;
    assert_eq!(
        status(&report, "client-metadata-mismatch-refused"),
        Status::Success
    );
    assert_eq!(status(&report, "client-pkce-challenge"), Status::Skipped);
    assert!(report.met_expectations(), "{:?}", failures(&report));
}

/// The evidence names the two values compared, as the mocks served them.
#[tokio::test]
async fn a_mismatched_issuer_is_shown_with_both_values() {
    let (report, _served) = judged("issuer-mismatch-refused", profile::NEWEST_SPEC).await;
    let check = report
        .checks
        .iter()
        .find(|c| c.id == "client-metadata-mismatch-refused")
        .unwrap();
    assert_eq!(check.status, Status::Success, "{check:#?}");
    let compared = &check.details.as_ref().unwrap()["compared"];
    assert_eq!(compared["field"], "issuer");
    let served = compared["served"].as_str().unwrap();
    let must_equal = compared["mustEqual"].as_str().unwrap();
    assert_eq!(served, format!("{must_equal}/"), "{compared:#}");
}

#[tokio::test]
async fn after_the_authorization_server_moves_the_client_registers_anew() {
    let (report, served) = judged("as-migration-reregisters", profile::NEWEST_SPEC).await;
    assert_eq!(served.fired_triggers().len(), 1);
    assert_eq!(
        status(&report, "client-reregisters-after-as-change"),
        Status::Success,
        "{:?}",
        failures(&report)
    );
    assert!(report.met_expectations(), "{:?}", failures(&report));
}

#[tokio::test]
async fn a_bring_your_own_scenario_hands_out_its_credentials() {
    let (report, served) = judged("byo-client-secret-post", profile::NEWEST_SPEC).await;
    let context = served.conformance_context();
    assert_eq!(context["client_id"], "byo-confidential-app");
    assert!(context["client_secret"].is_string());
    assert_eq!(status(&report, "client-token-auth-method"), Status::Success);
    let json = serde_json::to_string(&report).unwrap();
    assert!(
        !json.contains(context["client_secret"].as_str().unwrap()),
        "the client secret reached the report"
    );
}

#[test]
fn every_scenario_has_a_conformant_client_section_or_a_reason_in_the_docs() {
    let docs = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/scenarios.md"),
    )
    .unwrap();
    let listed: Vec<String> = docs
        .split("### Scenarios that do not reproduce under serve")
        .nth(1)
        .expect("docs/scenarios.md lists the scenarios that do not reproduce under serve")
        .lines()
        .filter_map(|l| l.strip_prefix("- `"))
        .filter_map(|l| l.split_once('`').map(|(name, _)| name.to_owned()))
        .collect();
    let catalog =
        mcp_oauth_harness::scenario::load_catalog(&mcp_oauth_harness::scenario::catalog_dir())
            .unwrap();
    for scenario in &catalog {
        let has_section = scenario.conformant_client.is_some();
        let is_listed = listed.contains(&scenario.name);
        assert!(
            has_section != is_listed,
            "{}: needs exactly one of a [conformant-client] section or a line in docs/scenarios.md (section: {has_section}, listed: {is_listed})",
            scenario.name
        );
    }
    for name in &listed {
        assert!(
            catalog.iter().any(|s| &s.name == name),
            "docs/scenarios.md lists {name}, which is not in the catalog"
        );
    }
}

#[tokio::test]
async fn a_step_up_is_judged_on_its_own_and_initialize_is_not_refused() {
    let (report, _served) = judged("scope-step-up", profile::NEWEST_SPEC).await;
    assert!(failures(&report).is_empty(), "{:?}", failures(&report));
    assert_eq!(status(&report, "client-scope-step-up"), Status::Success);
    assert_eq!(status(&report, "client-scenario-outcome"), Status::Success);
    // The mock refuses tools/list and tools/call for want of the scope, never initialize.
    let refused: Vec<_> = report
        .exchanges
        .iter()
        .filter(|e| e.response.as_ref().is_some_and(|r| r.status == 403))
        .filter_map(|e| e.request.body.clone())
        .collect();
    assert!(!refused.is_empty(), "{:#?}", report.exchanges);
    assert!(
        refused.iter().all(|body| !body.contains("\"initialize\"")),
        "{refused:?}"
    );
}
