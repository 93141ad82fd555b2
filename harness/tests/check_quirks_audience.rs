//! `check URL` against the mocks configured with the real-world resource and audience quirks
//! that no client can step over: metadata naming one `resource` for every path, found by path
//! insertion or, as exa served it, through a challenge pointing at the `/mcp` metadata
//! (exa-mcp-server#387), and an authorization server that issues an opaque token unless sent
//! `audience` (Auth0, vscode#274226). Each is a diagnosis whose remedy works when followed.

use std::sync::Arc;
use std::time::Duration;

use mcp_oauth_harness::check::{self, CheckOptions, CheckRun, Consent};
use mcp_oauth_mocks::clock::SystemClock;
use mcp_oauth_mocks::{MockConfig, MockServers};
use mcp_oauth_reports::{Connects, Status};

mod check_support;
use check_support::{human, recorded};

async fn vendor(edit: impl FnOnce(&mut MockConfig)) -> MockServers {
    let mut config = MockConfig::default();
    edit(&mut config);
    MockServers::start(config, Arc::new(SystemClock))
        .await
        .expect("mock servers start")
}

async fn check(options: CheckOptions) -> CheckRun {
    check::check(CheckOptions {
        consent: Consent::Headless,
        redirect_port: 0,
        timeout: Duration::from_secs(10),
        ..options
    })
    .await
    .expect("the check runs")
}

fn connects(run: &CheckRun) -> Vec<Connects> {
    let verdict = run.report.verdict.as_ref().expect("a verdict");
    verdict.profiles.iter().map(|p| p.connects).collect()
}

#[track_caller]
fn diagnosed<'a>(run: &'a CheckRun, code: &str, remedy_words: &[&str]) -> &'a str {
    let diagnosis = run.report.outcome.diagnosis.as_ref().expect("a diagnosis");
    assert_eq!(diagnosis.code, code, "{}", human(run));
    for word in remedy_words {
        assert!(
            diagnosis.remedy.contains(word),
            "the remedy lacks {word:?}: {}",
            diagnosis.remedy
        );
    }
    &diagnosis.remedy
}

#[tokio::test]
async fn metadata_naming_one_resource_for_every_path_is_refused_with_the_url_to_paste() {
    let mocks = vendor(|c| {
        c.resource_server.resource_metadata_in_challenge = false;
        c.resource_server.metadata_for_every_path = true;
    })
    .await;
    let canonical = mocks.mcp_url();
    let other_path = format!("{canonical}/oauth");
    let run = check(CheckOptions::new(&other_path)).await;
    let mismatch = recorded(&run, "prm-resource-matches", Status::Failure)[0];
    let paste = format!("Paste the canonical URL {canonical} ");
    assert!(
        mismatch.remedy.as_deref().unwrap_or("").contains(&paste),
        "{:?}",
        mismatch.remedy
    );
    diagnosed(&run, "resource-mismatch", &[&paste]);
    assert_eq!(connects(&run), [Connects::No; 4], "\n{}", human(&run));

    // The remedy works: the URL it names connects under every profile.
    let run = check(CheckOptions::new(&canonical)).await;
    recorded(&run, "prm-resource-matches", Status::Success);
    assert_eq!(connects(&run), [Connects::Yes; 4], "\n{}", human(&run));
}

/// exa's exact form: the 401 of every endpoint points at the metadata of `/mcp`, which names
/// `/mcp` whatever path is asked.
#[tokio::test]
async fn a_challenge_pointing_every_endpoint_at_the_mcp_metadata_is_named() {
    let mocks = vendor(|c| c.resource_server.metadata_for_every_path = true).await;
    let canonical = mocks.mcp_url();
    let other_path = format!("{canonical}/oauth");
    let run = check(CheckOptions::new(&other_path)).await;
    let found = recorded(&run, "prm-discovered", Status::Success);
    assert!(
        found.iter().all(|c| c
            .details
            .as_ref()
            .and_then(|d| d.get("location"))
            .and_then(|l| l.as_str())
            == Some("challenge")),
        "{}",
        human(&run)
    );
    let mismatch = recorded(&run, "prm-resource-matches", Status::Failure)[0];
    let details = mismatch.details.as_ref().expect("details");
    assert_eq!(details["challengeNamesOtherResource"], true, "{details}");
    let paste = format!("Paste the canonical URL {canonical} ");
    diagnosed(
        &run,
        "resource-mismatch",
        &[
            &paste,
            &format!("resource_metadata URL of {other_path} itself"),
            "exa-mcp-server#387",
        ],
    );
    assert_eq!(connects(&run), [Connects::No; 4], "\n{}", human(&run));
}

#[tokio::test]
async fn an_opaque_token_for_lack_of_audience_is_diagnosed_with_the_audience_to_configure() {
    let mocks = vendor(|c| c.authorization_server.opaque_token_without_audience = true).await;
    let url = mocks.mcp_url();
    let run = check(CheckOptions::new(&url)).await;
    let remedy = diagnosed(
        &run,
        "opaque-token-refused",
        &["default audience", &format!("--audience {url}")],
    );
    // Nothing shows the mock to be Auth0, so no Auth0 console steps are given.
    assert!(!remedy.contains("Auth0"), "{remedy}");
    let verdict = run.report.verdict.as_ref().expect("a verdict");
    for profile in &verdict.profiles {
        assert_eq!(profile.connects, Connects::No, "{}", human(&run));
        assert!(
            profile
                .blockers
                .iter()
                .any(|b| b.code == "opaque-token-refused"),
            "{}: {:?}\n{}",
            profile.profile,
            profile.blockers,
            human(&run)
        );
    }

    // The remedy works: with `audience` sent, the token is a JWT for the MCP server.
    let run = check(CheckOptions {
        audience: Some(url.clone()),
        ..CheckOptions::new(&url)
    })
    .await;
    assert_eq!(connects(&run), [Connects::Yes; 4], "\n{}", human(&run));
    let sent = recorded(&run, "authorization-redirect", Status::Success);
    assert!(
        sent.iter().any(|c| c
            .details
            .as_ref()
            .is_some_and(|d| d["audience"] == url.as_str())),
        "{:?}",
        sent.iter().map(|c| &c.details).collect::<Vec<_>>()
    );
}
