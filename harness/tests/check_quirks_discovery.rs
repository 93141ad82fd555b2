//! `check URL` against the mocks configured with each real-world discovery, challenge and
//! transport quirk: the caveat (a WARNING or INFO check with a remedy) or the diagnosis it
//! reports, and that the quirks a client steps over leave every profile's verdict unchanged.

use std::sync::Arc;
use std::time::Duration;

use mcp_oauth_harness::check::{self, CheckOptions, CheckRun, Consent};
use mcp_oauth_mocks::clock::SystemClock;
use mcp_oauth_mocks::config::{
    AsMetadataLocation, AuthorizationServerForm, ChallengeForm, IssuerForm, PrmLocation,
    UnknownPathAnswer,
};
use mcp_oauth_mocks::{MockConfig, MockServers};
use mcp_oauth_reports::{Check, Connects, Status};

mod check_support;
use check_support::{human, recorded};

async fn vendor(edit: impl FnOnce(&mut MockConfig)) -> MockServers {
    let mut config = MockConfig::default();
    edit(&mut config);
    MockServers::start(config, Arc::new(SystemClock))
        .await
        .expect("mock servers start")
}

async fn check(mocks: &MockServers) -> CheckRun {
    check::check(CheckOptions {
        consent: Consent::Headless,
        redirect_port: 0,
        timeout: Duration::from_secs(10),
        ..CheckOptions::new(mocks.mcp_url())
    })
    .await
    .expect("the check runs")
}

#[track_caller]
fn remedy_mentions(check: &Check, text: &str) {
    let remedy = check.remedy.as_deref().unwrap_or("");
    assert!(
        remedy.contains(text),
        "{}: the remedy should mention {text:?}: {remedy}",
        check.id
    );
}

fn connects(run: &CheckRun) -> Vec<Connects> {
    let verdict = run.report.verdict.as_ref().expect("a verdict");
    verdict.profiles.iter().map(|p| p.connects).collect()
}

#[track_caller]
fn every_profile_connects(run: &CheckRun) {
    assert_eq!(connects(run), [Connects::Yes; 4], "\n{}", human(run));
}

#[tokio::test]
async fn a_web_page_at_a_well_known_url_is_a_caveat_naming_the_clients_it_breaks() {
    let mocks = vendor(|c| {
        c.resource_server.metadata_location = PrmLocation::Root;
        c.resource_server.resource_metadata_in_challenge = false;
        c.resource_server.unknown_path_answer = UnknownPathAnswer::Html200;
    })
    .await;
    let run = check(&mocks).await;
    let caveat = recorded(&run, "well-known-no-html", Status::Warning)[0];
    remedy_mentions(caveat, "clients that parse every 200 as JSON");
    every_profile_connects(&run);
}

#[tokio::test]
async fn a_plain_text_404_at_a_well_known_url_is_noted() {
    let mocks = vendor(|c| {
        c.resource_server.metadata_location = PrmLocation::Root;
        c.resource_server.resource_metadata_in_challenge = false;
        c.resource_server.unknown_path_answer = UnknownPathAnswer::Text404;
    })
    .await;
    let run = check(&mocks).await;
    let caveat = recorded(&run, "well-known-404-body", Status::Warning)[0];
    remedy_mentions(caveat, "parse every error body as JSON");
    every_profile_connects(&run);
}

#[tokio::test]
async fn a_conformant_server_earns_no_well_known_or_challenge_caveat() {
    let mocks = vendor(|_| {}).await;
    let run = check(&mocks).await;
    for id in [
        "well-known-no-html",
        "well-known-404-body",
        "challenge-no-error-without-token",
        "mcp-endpoint-not-redirected",
    ] {
        assert!(
            run.report.checks.iter().all(|c| c.id != id),
            "{id} recorded for a conformant server\n{}",
            human(&run)
        );
    }
    recorded(&run, "cors-exposes-www-authenticate", Status::Success);
    recorded(&run, "cors-token-preflight", Status::Success);
}

#[tokio::test]
async fn an_error_code_in_the_tokenless_challenge_is_a_caveat() {
    let mocks = vendor(|c| {
        c.authorization_server.co_located = true;
        c.resource_server.metadata_location = PrmLocation::None;
        c.resource_server.unauthenticated_challenge = ChallengeForm::RealmInvalidToken;
    })
    .await;
    let run = check(&mocks).await;
    recorded(&run, "challenge-no-error-without-token", Status::Warning);
    recorded(&run, "www-authenticate-resource-metadata", Status::Warning);
    every_profile_connects(&run);
}

#[tokio::test]
async fn a_redirected_mcp_endpoint_is_diagnosed_with_the_url_to_paste() {
    let mocks = vendor(|c| c.resource_server.redirect_to_trailing_slash = true).await;
    let run = check(&mocks).await;
    let canonical = format!("{}/", mocks.mcp_url());
    let refusal = recorded(&run, "mcp-endpoint-not-redirected", Status::Failure)[0];
    remedy_mentions(refusal, &format!("Paste the canonical URL {canonical}"));
    let diagnosis = run.report.outcome.diagnosis.as_ref().expect("a diagnosis");
    assert_eq!(diagnosis.code, "mcp-endpoint-redirected", "{}", human(&run));
    assert!(
        diagnosis.remedy.contains(&canonical),
        "{}",
        diagnosis.remedy
    );
    assert_eq!(connects(&run), [Connects::No; 4], "\n{}", human(&run));

    // The remedy works: the URL it names connects.
    let run = check::check(CheckOptions {
        consent: Consent::Headless,
        redirect_port: 0,
        timeout: Duration::from_secs(10),
        ..CheckOptions::new(canonical)
    })
    .await
    .expect("the check runs");
    every_profile_connects(&run);
}

#[tokio::test]
async fn open_initialize_and_tools_list_are_reported_as_unauthenticated_access() {
    let mocks = vendor(|c| {
        c.resource_server.unauthenticated_methods = vec!["initialize".into(), "tools/list".into()]
    })
    .await;
    let run = check(&mocks).await;
    recorded(&run, "mcp-requires-auth", Status::Failure);
    let verdict = run.report.verdict.as_ref().expect("a verdict");
    assert!(
        verdict
            .profiles
            .iter()
            .all(|p| p.caveats.iter().any(|c| c.code == "unauthenticated-access")),
        "{}",
        human(&run)
    );
}

#[tokio::test]
async fn a_401_that_hides_its_challenge_from_browsers_is_a_browser_caveat_only() {
    let mocks = vendor(|c| c.resource_server.cors_expose_www_authenticate = false).await;
    let run = check(&mocks).await;
    let caveat = recorded(&run, "cors-exposes-www-authenticate", Status::Warning)[0];
    remedy_mentions(caveat, "browser-based clients");
    recorded(&run, "cors-token-preflight", Status::Success);
    every_profile_connects(&run);
}

#[tokio::test]
async fn a_token_endpoint_without_cors_preflight_is_a_browser_caveat_only() {
    let mocks = vendor(|c| c.authorization_server.token_endpoint_cors = false).await;
    let run = check(&mocks).await;
    let caveat = recorded(&run, "cors-token-preflight", Status::Warning)[0];
    remedy_mentions(caveat, "browser-based clients");
    recorded(&run, "cors-exposes-www-authenticate", Status::Success);
    every_profile_connects(&run);
}

/// A change to a conformant configuration.
type Edit = fn(&mut MockConfig);

#[tokio::test]
async fn issuers_that_differ_from_the_one_fetched_for_are_refused() {
    let forms: [(&str, Edit); 4] = [
        ("drop-path", |c| {
            c.authorization_server.issuer_path = "/tenant-a".into();
            c.authorization_server.issuer_in_metadata = IssuerForm::DropPath;
        }),
        ("other-host", |c| {
            c.authorization_server.issuer_in_metadata = IssuerForm::OtherHost
        }),
        ("extra-path", |c| {
            c.authorization_server.issuer_in_metadata = IssuerForm::ExtraPath
        }),
        ("prm trailing slash", |c| {
            c.resource_server.authorization_server_in_metadata =
                AuthorizationServerForm::TrailingSlash
        }),
    ];
    for (form, edit) in forms {
        let mocks = vendor(edit).await;
        let run = check(&mocks).await;
        let mismatch = recorded(&run, "as-issuer-matches", Status::Failure)[0];
        remedy_mentions(mismatch, "must publish");
        assert_eq!(connects(&run), [Connects::No; 4], "{form}\n{}", human(&run));
    }
}

#[tokio::test]
async fn metadata_without_issuer_or_at_the_root_for_a_path_issuer_is_not_found() {
    let mocks = vendor(|c| c.authorization_server.issuer_in_metadata = IssuerForm::Omitted).await;
    let run = check(&mocks).await;
    recorded(&run, "as-metadata-discovered", Status::Failure);
    assert_eq!(connects(&run), [Connects::No; 4], "\n{}", human(&run));

    let mocks = vendor(|c| {
        c.authorization_server.issuer_path = "/login/oauth".into();
        c.authorization_server.metadata_location = AsMetadataLocation::Root;
    })
    .await;
    let run = check(&mocks).await;
    recorded(&run, "as-metadata-discovered", Status::Failure);
    let diagnosis = run.report.outcome.diagnosis.as_ref().expect("a diagnosis");
    assert_eq!(diagnosis.code, "discovery-failed", "{}", human(&run));
    assert!(
        diagnosis
            .remedy
            .contains("/.well-known/oauth-authorization-server/login/oauth"),
        "{}",
        diagnosis.remedy
    );
}
