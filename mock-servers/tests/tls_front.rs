//! `tls-terminating-proxy`: the MCP server reached over https with a certificate of the mocks'
//! own authority, plain HTTP answered on the same port, and the scheme the server writes about
//! itself as the knob says.

use mcp_oauth_mocks::clock::SimulatedClock;
use mcp_oauth_mocks::config::TlsProxy;
use mcp_oauth_mocks::{MockConfig, MockServers};
use reqwest::StatusCode;
use reqwest::header::WWW_AUTHENTICATE;
use serde_json::Value;

async fn behind_proxy(proxy: TlsProxy) -> MockServers {
    let mut config = MockConfig::default();
    config.resource_server.tls_terminating_proxy = Some(proxy);
    MockServers::start(config, SimulatedClock::default().shared())
        .await
        .expect("mock servers start")
}

/// A client that trusts the mocks' authority (and, as every client, the system's).
fn trusting(mocks: &MockServers) -> reqwest::Client {
    let der = mocks.tls_authority_der().expect("a TLS front");
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .tls_certs_merge([reqwest::Certificate::from_der(der).expect("DER")])
        .build()
        .expect("HTTP client")
}

/// The `resource_metadata` of the 401 to an unauthenticated `tools/list`.
async fn pointer(http: &reqwest::Client, mcp_url: &str) -> String {
    let response = http
        .post(mcp_url)
        .header("accept", "application/json, text/event-stream")
        .json(&serde_json::json!({ "jsonrpc": "2.0", "id": 1, "method": "tools/list" }))
        .send()
        .await
        .expect("the MCP server answers over https");
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let challenge = response
        .headers()
        .get(WWW_AUTHENTICATE)
        .expect("a challenge")
        .to_str()
        .expect("ASCII")
        .to_owned();
    let (_, rest) = challenge
        .split_once("resource_metadata=\"")
        .expect("a resource_metadata parameter");
    rest.split('"').next().expect("closing quote").to_owned()
}

async fn resource_at(http: &reqwest::Client, url: &str) -> String {
    let document: Value = http
        .get(url)
        .send()
        .await
        .expect("the metadata answers")
        .json()
        .await
        .expect("JSON metadata");
    document["resource"]
        .as_str()
        .expect("a resource")
        .to_owned()
}

#[tokio::test]
async fn a_server_that_ignores_the_forwarded_proto_writes_http_for_its_https_url() {
    let mocks = behind_proxy(TlsProxy::ForwardedProtoIgnored).await;
    let pasted = mocks.mcp_url();
    assert!(pasted.starts_with("https://127.0.0.1:"), "{pasted}");
    let http = trusting(&mocks);

    let pointer = pointer(&http, &pasted).await;
    let plain = pasted.replacen("https://", "http://", 1);
    assert_eq!(
        pointer,
        plain.replace("/mcp", "/.well-known/oauth-protected-resource/mcp")
    );
    // Plain HTTP on the same port, as the deployment's port 80 answers it.
    assert_eq!(resource_at(&http, &pointer).await, plain);
    // And over https, where a client that discovers from the pasted URL looks.
    let well_known = pointer.replacen("http://", "https://", 1);
    assert_eq!(resource_at(&http, &well_known).await, plain);
}

#[tokio::test]
async fn a_server_that_honours_the_forwarded_proto_writes_https() {
    let mocks = behind_proxy(TlsProxy::ForwardedProtoHonoured).await;
    let pasted = mocks.mcp_url();
    let http = trusting(&mocks);
    let pointer = pointer(&http, &pasted).await;
    assert!(pointer.starts_with("https://"), "{pointer}");
    assert_eq!(resource_at(&http, &pointer).await, pasted);
}

#[tokio::test]
async fn a_client_that_does_not_trust_the_authority_is_refused_the_handshake() {
    let mocks = behind_proxy(TlsProxy::ForwardedProtoIgnored).await;
    let error = reqwest::Client::new()
        .get(mocks.mcp_url())
        .send()
        .await
        .expect_err("an unknown authority");
    assert!(error.is_connect(), "{error:?}");
    // Each start makes its own authority: nothing trusted once is trusted again.
    let again = behind_proxy(TlsProxy::ForwardedProtoIgnored).await;
    assert_ne!(mocks.tls_authority_der(), again.tls_authority_der());
    assert!(
        again
            .tls_authority_pem()
            .expect("PEM")
            .starts_with("-----BEGIN CERTIFICATE-----\n")
    );
}

#[tokio::test]
async fn without_the_knob_there_is_no_tls_front() {
    let mocks = MockServers::start(MockConfig::default(), SimulatedClock::default().shared())
        .await
        .expect("mock servers start");
    assert!(mocks.mcp_url().starts_with("http://"));
    assert!(mocks.tls_authority_der().is_none());
}
