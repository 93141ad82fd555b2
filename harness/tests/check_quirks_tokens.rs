//! `check URL` against the mocks configured with each real-world token quirk: what the client
//! tolerates is reported as a WARNING (or INFO) check with a remedy, never passed silently, and
//! what it refuses carries a diagnosis.

use std::sync::Arc;
use std::time::Duration;

use mcp_oauth_harness::check::{self, CheckOptions, CheckRun, Consent};
use mcp_oauth_mocks::clock::SystemClock;
use mcp_oauth_mocks::config::{
    BearerScheme, DeadRefreshTokenError, ExpiresInForm, TokenResponseFormat, TokenTypeSpelling,
};
use mcp_oauth_mocks::{MockConfig, MockServers};
use mcp_oauth_reports::{Check, Connects, Status};

mod check_support;
use check_support::{check_against, human, recorded};

#[track_caller]
fn remedy_names(check: &Check, words: &[&str]) {
    let remedy = check.remedy.as_deref().unwrap_or_default();
    for word in words {
        assert!(
            remedy.contains(word),
            "{}: {remedy:?} lacks {word:?}",
            check.id
        );
    }
}

fn connects_everywhere(run: &CheckRun) -> bool {
    run.report
        .verdict
        .as_ref()
        .is_some_and(|v| v.profiles.iter().all(|p| p.connects == Connects::Yes))
}

#[tokio::test]
async fn a_lower_case_token_type_is_a_caveat_naming_the_clients_it_breaks() {
    let run = check_against(|c| {
        c.authorization_server.token_type = TokenTypeSpelling::Lowercase;
        c.resource_server.bearer_scheme = BearerScheme::Exact;
    })
    .await;
    let found = recorded(&run, "token-type-canonical", Status::Warning);
    remedy_names(found[0], &["Authorization header", "coder#23516"]);
    // The client sends `Bearer` whatever the server spelt, so the exact-scheme server accepts it.
    recorded(&run, "mcp-tools-list", Status::Success);
    assert!(connects_everywhere(&run), "{}", human(&run));
}

#[tokio::test]
async fn a_string_expires_in_is_visible_and_names_strictly_typed_clients() {
    let run = check_against(|c| c.authorization_server.expires_in = ExpiresInForm::String).await;
    let found = recorded(&run, "token-expires-in-number", Status::Warning);
    remedy_names(found[0], &["TypeScript SDK", "typescript-sdk#1111"]);
    let message = found[0].error_message.as_deref().unwrap_or_default();
    assert!(message.contains("reads it as 3600 s"), "{message}");
    assert!(connects_everywhere(&run), "{}", human(&run));
}

#[tokio::test]
async fn an_absent_or_zero_expires_in_is_reported() {
    let run = check_against(|c| c.authorization_server.expires_in = ExpiresInForm::Omitted).await;
    recorded(&run, "token-expiry-known", Status::Info);
    let run = check_against(|c| c.authorization_server.expires_in = ExpiresInForm::Zero).await;
    let found = recorded(&run, "token-expiry-known", Status::Warning);
    assert!(found[0].remedy.is_some());
}

#[tokio::test]
async fn a_form_encoded_token_response_is_read_with_a_warning() {
    let run = check_against(|c| {
        c.authorization_server.token_response_format = TokenResponseFormat::Form;
    })
    .await;
    recorded(&run, "token-response-json", Status::Warning);
    recorded(&run, "token-exchange", Status::Success);
    assert!(connects_everywhere(&run), "{}", human(&run));
}

#[tokio::test]
async fn form_unless_json_is_invisible_to_a_client_that_accepts_json() {
    let run = check_against(|c| {
        c.authorization_server.token_response_format = TokenResponseFormat::FormUnlessAcceptJson;
    })
    .await;
    assert!(
        !run.report
            .checks
            .iter()
            .any(|c| c.id == "token-response-json"),
        "{}",
        human(&run)
    );
    let token_requests: Vec<_> = run
        .report
        .exchanges
        .iter()
        // The token requests, not the browser-client CORS preflight to the same URL.
        .filter(|e| e.request.url.ends_with("/token") && e.request.method == "POST")
        .collect();
    assert!(!token_requests.is_empty());
    for exchange in token_requests {
        assert!(
            exchange
                .request
                .headers
                .iter()
                .any(|(name, value)| name == "accept" && value == "application/json"),
            "{:?}",
            exchange.request.headers
        );
    }
}

#[tokio::test]
async fn token_errors_with_status_200_are_errors_and_a_caveat() {
    let run = check_against(|c| c.authorization_server.token_error_status = Some(200)).await;
    recorded(&run, "token-error-status", Status::Warning);
    // The probe's unknown code is refused, though with the wrong status: a caveat.
    recorded(&run, "token-unknown-code", Status::Failure);
    let verdict = run.report.verdict.as_ref().expect("a verdict");
    assert!(
        verdict
            .profiles
            .iter()
            .all(|p| p.caveats.iter().any(|c| c.check == "token-unknown-code")),
        "{}",
        human(&run)
    );
    assert!(connects_everywhere(&run), "{}", human(&run));
}

#[tokio::test]
async fn a_dead_refresh_token_answered_invalid_request_is_a_caveat() {
    let run = check_against(|c| {
        c.authorization_server.invalid_refresh_token_error = DeadRefreshTokenError::InvalidRequest;
    })
    .await;
    let found = recorded(&run, "token-unknown-refresh-token", Status::Failure);
    let message = found[0].error_message.as_deref().unwrap_or_default();
    assert!(message.contains("invalid_request"), "{message}");
    assert!(connects_everywhere(&run), "{}", human(&run));
}

#[tokio::test]
async fn an_mcp_server_refusing_valid_tokens_is_diagnosed_not_looped() {
    let run = check_against(|c| c.resource_server.refuse_all_tokens = true).await;
    let diagnosis = run.report.outcome.diagnosis.as_ref().expect("a diagnosis");
    assert_eq!(diagnosis.code, "token-rejected", "{}", human(&run));
    // One consent per observed flow: nothing re-authorizes in a loop, in the report's own
    // flow (with the probes) or in any further profile's.
    let mut flows: Vec<Option<&str>> = run
        .report
        .exchanges
        .iter()
        .map(|e| e.profile.as_deref())
        .collect();
    flows.dedup();
    for flow in flows {
        let authorizations = run
            .report
            .exchanges
            .iter()
            .filter(|e| e.profile.as_deref() == flow && e.request.url.contains("/authorize?"))
            .count();
        assert!(
            authorizations <= 4,
            "{authorizations} authorization requests in the flow of {flow:?}"
        );
    }
    assert_eq!(run.exit_code(), 1);
}

#[tokio::test]
async fn a_localhost_only_server_refuses_the_default_callback_and_names_the_other_form() {
    let run = check_against(|c| {
        c.authorization_server.loopback_redirect_host =
            mcp_oauth_mocks::config::LoopbackRedirectHost::Localhost;
    })
    .await;
    let diagnosis = run.report.outcome.diagnosis.as_ref().expect("a diagnosis");
    assert_eq!(diagnosis.code, "dcr-rejected", "{}", human(&run));
    assert!(
        diagnosis
            .remedy
            .contains("--redirect-uri http://localhost:"),
        "{}",
        diagnosis.remedy
    );
}

#[tokio::test]
async fn the_chosen_callback_is_used_exactly() {
    let mut config = MockConfig::default();
    config.authorization_server.loopback_redirect_host =
        mcp_oauth_mocks::config::LoopbackRedirectHost::Localhost;
    let mocks = MockServers::start(config, Arc::new(SystemClock))
        .await
        .expect("mock servers start");
    let uri = mcp_oauth_harness::user_agent::loopback_uri::parse("http://localhost:0/oauth/back")
        .expect("a loopback URI");
    let options = CheckOptions {
        consent: Consent::Headless,
        redirect_uri: Some(uri),
        timeout: Duration::from_secs(10),
        ..CheckOptions::new(mocks.mcp_url())
    };
    let run = check::check(options).await.expect("the check runs");
    recorded(&run, "mcp-tools-list", Status::Success);
    let registration = run
        .report
        .exchanges
        .iter()
        .find(|e| e.step == "registration" && e.request.method == "POST")
        .expect("a registration request");
    let body = registration.request.body.as_deref().unwrap_or_default();
    assert!(body.contains("http://localhost:"), "{body}");
    assert!(body.contains("/oauth/back"), "{body}");
}

#[test]
fn a_non_loopback_redirect_uri_is_refused_with_the_reason() {
    for command in ["connect", "check"] {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_mcp-oauth-harness"))
            .args([
                command,
                "--redirect-uri",
                "http://callback.example:8080/cb",
                "http://127.0.0.1:9/mcp",
            ])
            .output()
            .expect("the binary runs");
        assert_eq!(output.status.code(), Some(2), "{command}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains("must be on this machine") && stderr.contains("callback.example"),
            "{command}: {stderr}"
        );
    }
}
