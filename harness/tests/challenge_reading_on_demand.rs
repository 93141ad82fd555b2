//! A challenge that arrives during MCP use (here: the first `tools/call`, the only method the
//! server challenges) is read the way the profile's client reads challenges, as the first
//! probe's is. A client that matches `resource_metadata="` misses a pointer written with
//! spaces around `=` wherever the challenge comes; it used to be read by RFC 9110 there,
//! so such a profile connected where its real client cannot.

use mcp_oauth_harness::flow::{ClientFlow, ClientOptions, Pauses};
use mcp_oauth_harness::http::{HttpClient, HttpLimits};
use mcp_oauth_harness::profile::{self, Profile};
use mcp_oauth_harness::redact::Redactor;
use mcp_oauth_harness::user_agent::UserAgent;
use mcp_oauth_mocks::clock::SimulatedClock;
use mcp_oauth_mocks::config::{ChallengeForm, PrmLocation};
use mcp_oauth_mocks::{MockConfig, MockServers};

/// Connects on demand to a server that lets `initialize` and `tools/list` through without a
/// token, challenges `tools/call` with `resource_metadata = "…"`, and serves its metadata
/// only where that pointer says. Returns whether the flow connected, and the diagnosis code.
async fn connect_as(profile: &'static Profile) -> (bool, Option<String>) {
    let mut config = MockConfig::default();
    let resource = &mut config.resource_server;
    resource.metadata_location = PrmLocation::Custom;
    resource.custom_metadata_path = Some("/meta/prm.json".to_owned());
    resource.unauthenticated_challenge = ChallengeForm::SpacedEquals;
    resource.unauthenticated_methods = vec!["initialize".to_owned(), "tools/list".to_owned()];
    let clock = SimulatedClock::default();
    let mocks = MockServers::start(config, clock.shared())
        .await
        .expect("mocks start");
    let http = HttpClient::new(HttpLimits::default(), Redactor::default()).expect("client");
    let mut flow = ClientFlow::new(
        ClientOptions::new(mocks.mcp_url()),
        profile,
        clock.shared(),
        http,
    );
    match flow
        .connect_on_demand(&UserAgent::Headless, &Pauses::default())
        .await
    {
        Ok(()) => (true, None),
        Err(diagnosis) => (false, Some(diagnosis.code.to_string())),
    }
}

#[tokio::test]
async fn a_client_that_reads_rfc_9110_follows_the_pointer_of_a_later_challenge() {
    let (connected, diagnosis) = connect_as(profile::NEWEST_SPEC).await;
    assert!(connected, "{diagnosis:?}");
}

#[tokio::test]
async fn a_pattern_reading_client_misses_the_spaced_pointer_of_a_later_challenge_too() {
    let (connected, diagnosis) = connect_as(&profile::TS_SDK_2_4).await;
    assert!(
        !connected,
        "the TypeScript SDK's pattern finds no resource_metadata in `resource_metadata = \"…\"`, \
         and the metadata is at no well-known location"
    );
    // Without metadata the SDK takes the MCP server's origin for its authorization server
    // (MCP 2025-03-26) and registers at its default `/register`, which is no such endpoint.
    assert_eq!(diagnosis.as_deref(), Some("dcr-rejected"), "{diagnosis:?}");
}
