//! The address policy: a target that looks public (a loopback server under a name only the
//! client resolves) may not send the client to loopback or private addresses; a public target
//! naming its own public endpoints is followed.

use mcp_oauth_harness::flow::{ClientFlow, ClientOptions, FlowOutcome, Pauses};
use mcp_oauth_harness::http::{HttpClient, HttpLimits};
use mcp_oauth_harness::profile;
use mcp_oauth_harness::redact::Redactor;
use mcp_oauth_harness::user_agent::UserAgent;
use mcp_oauth_mocks::clock::SimulatedClock;
use mcp_oauth_reports::Status;
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// A vendor reached as `http://vendor.test:PORT` (resolved to 127.0.0.1 by the client alone,
/// so it looks like a public server), whose resource metadata names `authorization_server`.
async fn public_looking_vendor(
    authorization_server: impl Fn(&str, &str) -> String,
) -> (MockServer, String) {
    let server = MockServer::start().await;
    let public = format!("http://vendor.test:{}", server.address().port());
    Mock::given(method("POST"))
        .and(path("/mcp"))
        .respond_with(ResponseTemplate::new(401).insert_header(
            "www-authenticate",
            format!("Bearer resource_metadata=\"{public}/prm\"").as_str(),
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/prm"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "resource": format!("{public}/mcp"),
            "authorization_servers": [authorization_server(&public, &server.uri())],
        })))
        .mount(&server)
        .await;
    (server, public)
}

async fn connect_publicly(public: &str) -> FlowOutcome {
    let loopback: std::net::SocketAddr = "127.0.0.1:0".parse().unwrap();
    let http = HttpClient::with_resolved(
        HttpLimits::default(),
        Redactor::default(),
        &[("vendor.test", loopback)],
    )
    .expect("client");
    let clock = SimulatedClock::default();
    let mut flow = ClientFlow::new(
        ClientOptions::new(format!("{public}/mcp")),
        profile::NEWEST_SPEC,
        clock.shared(),
        http,
    );
    let _ = flow.connect(&UserAgent::Headless, &Pauses::default()).await;
    flow.finish()
}

async fn as_metadata_requests(server: &MockServer) -> usize {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .filter(|r| {
            r.url
                .path()
                .starts_with("/.well-known/oauth-authorization-server")
        })
        .count()
}

#[tokio::test]
async fn a_public_server_cannot_point_the_client_at_loopback() {
    let (server, public) = public_looking_vendor(|_, loopback| loopback.to_owned()).await;
    let outcome = connect_publicly(&public).await;
    let refused: Vec<_> = outcome
        .checks
        .iter()
        .filter(|c| c.id == "metadata-addresses-public")
        .collect();
    assert!(!refused.is_empty(), "{:?}", outcome.checks);
    assert!(refused.iter().all(|c| c.status == Status::Failure));
    assert!(
        refused[0]
            .error_message
            .as_deref()
            .unwrap_or("")
            .contains("127.0.0.1"),
        "{:?}",
        refused[0]
    );
    assert_eq!(
        as_metadata_requests(&server).await,
        0,
        "nothing was fetched from loopback"
    );
    let diagnosis = outcome.diagnosis.expect("the flow stopped");
    assert!(
        diagnosis.message.contains("loopback or private"),
        "{diagnosis:?}"
    );
}

#[tokio::test]
async fn a_public_server_may_name_its_own_public_endpoints() {
    let (server, public) = public_looking_vendor(|public, _| public.to_owned()).await;
    let outcome = connect_publicly(&public).await;
    assert!(
        !outcome
            .checks
            .iter()
            .any(|c| c.id == "metadata-addresses-public"),
        "{:?}",
        outcome.checks
    );
    assert!(
        as_metadata_requests(&server).await > 0,
        "the public name was followed"
    );
}
