//! Servers that misbehave in ways the mocks do not model: the client must give a clear
//! diagnosis, never panic, hang, follow a redirect it did not mean to, or read without bound.

use std::sync::Arc;
use std::time::Duration;

use mcp_oauth_harness::flow::{ClientFlow, ClientOptions, Pauses};
use mcp_oauth_harness::http::{HttpClient, HttpLimits};
use mcp_oauth_harness::profile;
use mcp_oauth_harness::redact::Redactor;
use mcp_oauth_harness::user_agent::UserAgent;
use mcp_oauth_mocks::clock::SimulatedClock;
use mcp_oauth_reports::{Diagnosis, Status};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn connect_to(
    server: &MockServer,
    limits: HttpLimits,
) -> (ClientFlow, Result<(), Diagnosis>) {
    let http = HttpClient::new(limits, Redactor::default()).expect("client builds");
    let options = ClientOptions::new(format!("{}/mcp", server.uri()));
    let mut flow = ClientFlow::new(
        options,
        &profile::PIPELINES,
        SimulatedClock::default().shared(),
        http,
    );
    let result = flow.connect(&UserAgent::Headless, &Pauses::default()).await;
    (flow, result)
}

fn status_of(flow: &ClientFlow, id: &str) -> Vec<Status> {
    flow.checks()
        .iter()
        .filter(|c| c.id == id)
        .map(|c| c.status)
        .collect()
}

#[tokio::test]
async fn an_oversized_metadata_body_is_refused_not_read() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/mcp"))
        .respond_with(ResponseTemplate::new(401).insert_header(
            "www-authenticate",
            format!("Bearer resource_metadata=\"{}/prm\"", server.uri()).as_str(),
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/prm"))
        .respond_with(ResponseTemplate::new(200).set_body_string("x".repeat(64 * 1024)))
        .mount(&server)
        .await;
    let limits = HttpLimits {
        max_body_bytes: 16 * 1024,
        ..HttpLimits::default()
    };
    let (flow, result) = connect_to(&server, limits).await;
    let diagnosis = result.expect_err("no metadata can be had");
    assert_eq!(diagnosis.code, "discovery-failed");
    assert!(
        diagnosis.message.contains("larger than 16384 bytes"),
        "{}",
        diagnosis.message
    );
    assert_eq!(status_of(&flow, "prm-discovered"), [Status::Failure]);
}

#[tokio::test]
async fn a_server_that_never_answers_times_out_with_a_clear_message() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/mcp"))
        .respond_with(ResponseTemplate::new(401).set_delay(Duration::from_secs(30)))
        .mount(&server)
        .await;
    let limits = HttpLimits {
        timeout: Duration::from_millis(300),
        ..HttpLimits::default()
    };
    let (_, result) = tokio::time::timeout(Duration::from_secs(10), connect_to(&server, limits))
        .await
        .expect("the client gives up by itself");
    let diagnosis = result.expect_err("nothing answered");
    assert_eq!(diagnosis.code, "discovery-failed");
    assert!(
        diagnosis.message.contains("did not answer"),
        "{}",
        diagnosis.message
    );
}

#[tokio::test]
async fn a_malformed_challenge_is_a_failed_check_and_discovery_goes_on() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/mcp"))
        .respond_with(
            ResponseTemplate::new(401)
                .insert_header("www-authenticate", "Bearer realm=\"unterminated"),
        )
        .mount(&server)
        .await;
    let (flow, result) = connect_to(&server, HttpLimits::default()).await;
    assert_eq!(
        status_of(&flow, "www-authenticate-bearer"),
        [Status::Failure]
    );
    let error = &flow
        .checks()
        .iter()
        .find(|c| c.id == "www-authenticate-bearer")
        .and_then(|c| c.error_message.clone())
        .unwrap_or_default();
    assert!(error.contains("unterminated quoted string"), "{error}");
    // It went on to the well-known locations, which do not exist here.
    assert_eq!(result.expect_err("no metadata").code, "discovery-failed");
}

#[tokio::test]
async fn a_redirecting_metadata_endpoint_is_not_followed() {
    let server = MockServer::start().await;
    let elsewhere = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/mcp"))
        .respond_with(ResponseTemplate::new(401).insert_header(
            "www-authenticate",
            format!("Bearer resource_metadata=\"{}/prm\"", server.uri()).as_str(),
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/prm"))
        .respond_with(
            ResponseTemplate::new(302)
                .insert_header("location", format!("{}/prm", elsewhere.uri()).as_str()),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_string("{}"))
        .expect(0)
        .mount(&elsewhere)
        .await;
    let (_, result) = connect_to(&server, HttpLimits::default()).await;
    assert_eq!(result.expect_err("no metadata").code, "discovery-failed");
    // `expect(0)` on the other server is verified when it drops.
}

#[tokio::test]
async fn a_callback_whose_state_differs_is_refused_before_any_token_request() {
    let server = MockServer::start().await;
    let uri = server.uri();
    Mock::given(method("POST"))
        .and(path("/mcp"))
        .respond_with(ResponseTemplate::new(401).insert_header(
            "www-authenticate",
            format!("Bearer resource_metadata=\"{uri}/prm\"").as_str(),
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/prm"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "resource": format!("{uri}/mcp"),
            "authorization_servers": [uri],
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/.well-known/oauth-authorization-server"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "issuer": uri,
            "authorization_endpoint": format!("{uri}/authorize"),
            "token_endpoint": format!("{uri}/token"),
            "response_types_supported": ["code"],
            "code_challenge_methods_supported": ["S256"],
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/authorize"))
        .respond_with(ResponseTemplate::new(302).insert_header(
            "location",
            "http://127.0.0.1:33418/callback?code=c0de-value-1234&state=wrong",
        ))
        .mount(&server)
        .await;
    let http = HttpClient::new(HttpLimits::default(), Redactor::default()).expect("client");
    let mut options = ClientOptions::new(format!("{uri}/mcp"));
    options.client_id = Some("brought-client".into());
    let mut flow = ClientFlow::new(
        options,
        &profile::PIPELINES,
        Arc::new(mcp_oauth_mocks::clock::SystemClock),
        http,
    );
    let result = flow.connect(&UserAgent::Headless, &Pauses::default()).await;
    assert_eq!(result.expect_err("state is wrong").code, "state-mismatch");
    assert_eq!(status_of(&flow, "state-matches"), [Status::Failure]);
    let token_requests = server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .filter(|r| r.url.path() == "/token")
        .count();
    assert_eq!(token_requests, 0);
}
