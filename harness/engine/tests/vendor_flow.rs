//! What a vendor's own Rust test looks like with the engine and the mocks alone: no catalog,
//! no runner, no CLI. The mocks stand in for the vendor's server (or the vendor points
//! `ClientOptions::new` at theirs); the engine runs the whole client flow headless and says
//! what it saw.

use std::sync::Arc;

use mcp_oauth_engine::flow::{ClientFlow, ClientOptions, Pauses};
use mcp_oauth_engine::http::{HttpClient, HttpLimits};
use mcp_oauth_engine::profile;
use mcp_oauth_engine::redact::Redactor;
use mcp_oauth_engine::reports::{Health, Status};
use mcp_oauth_engine::user_agent::UserAgent;
use mcp_oauth_mocks::MockServers;
use mcp_oauth_mocks::clock::SystemClock;
use mcp_oauth_mocks::config::{IssuerForm, MockConfig};

async fn connect(config: MockConfig) -> (ClientFlow, Result<(), String>, MockServers) {
    let mocks = MockServers::start(config, Arc::new(SystemClock))
        .await
        .expect("the mocks start on loopback");
    let http = HttpClient::new(HttpLimits::default(), Redactor::default()).expect("an HTTP client");
    let mut flow = ClientFlow::new(
        ClientOptions::new(mocks.mcp_url()),
        profile::NEWEST_SPEC,
        Arc::new(SystemClock),
        http,
    );
    let result = flow
        .connect_on_demand(&UserAgent::Headless, &Pauses::default())
        .await
        .map_err(|diagnosis| diagnosis.code);
    (flow, result, mocks)
}

#[tokio::test]
async fn the_engine_connects_to_a_conformant_server_and_calls_a_tool() {
    let (mut flow, result, mocks) = connect(MockConfig::default()).await;
    assert_eq!(result, Ok(()));
    assert_eq!(flow.health(), Health::Healthy);
    flow.call_tool_if_any()
        .await
        .expect("a tool call with a fresh token");
    let outcome = flow.finish();
    let failed: Vec<&str> = outcome
        .checks
        .iter()
        .filter(|check| check.status == Status::Failure)
        .map(|check| check.id.as_str())
        .collect();
    assert!(failed.is_empty(), "failed checks: {failed:?}");
    for id in [
        "prm-discovered",
        "as-metadata-discovered",
        "pkce-s256-advertised",
        "token-exchange",
        "mcp-tools-call",
    ] {
        assert!(
            outcome
                .checks
                .iter()
                .any(|check| check.id == id && check.status == Status::Success),
            "{id} should have passed; recorded: {:?}",
            outcome
                .checks
                .iter()
                .map(|c| (&c.id, c.status))
                .collect::<Vec<_>>()
        );
    }
    mocks.stop();
}

#[tokio::test]
async fn the_engine_refuses_metadata_whose_issuer_is_not_the_authorization_server() {
    let mut config = MockConfig::default();
    config.authorization_server.issuer_in_metadata = IssuerForm::OtherHost;
    let (flow, result, mocks) = connect(config).await;
    assert_eq!(result, Err("issuer-mismatch".to_owned()));
    let outcome = flow.finish();
    assert_eq!(outcome.health, Health::Unhealthy);
    let diagnosis = outcome.diagnosis.expect("a diagnosis");
    assert_eq!(diagnosis.code, "issuer-mismatch");
    // Nothing was sent to the authorization endpoint of a server whose identity is in doubt.
    assert!(
        outcome
            .exchanges
            .iter()
            .all(|exchange| !exchange.request.url.contains("/authorize")),
        "no authorization request may follow a refused issuer"
    );
    mocks.stop();
}
