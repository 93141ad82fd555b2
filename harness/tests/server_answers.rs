//! Answers a real server may give that the mocks do not model: absurd token lifetimes,
//! repeated callback parameters, refresh refusals of every kind, several WWW-Authenticate
//! headers. The client must judge what was answered, record it, and never panic.

use std::process::Command;
use std::time::Duration;

use mcp_oauth_harness::flow::{ClientFlow, ClientOptions, Pauses};
use mcp_oauth_harness::http::{HttpClient, HttpLimits};
use mcp_oauth_harness::profile;
use mcp_oauth_harness::redact::Redactor;
use mcp_oauth_harness::user_agent::UserAgent;
use mcp_oauth_mocks::clock::SimulatedClock;
use mcp_oauth_reports::Status;
use serde_json::{Value, json};
use wiremock::matchers::{body_string_contains, method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const BIN: &str = env!("CARGO_BIN_EXE_mcp-oauth-harness");

/// The authorization endpoint of a server that approves at once: redirects to the request's
/// redirect_uri with a code, the request's state, and whatever `extra` adds.
struct ApproveAtOnce {
    extra: &'static str,
}

impl Respond for ApproveAtOnce {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let query = |name: &str| {
            request
                .url
                .query_pairs()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.into_owned())
                .unwrap_or_default()
        };
        let state: String =
            url::form_urlencoded::byte_serialize(query("state").as_bytes()).collect();
        let location = format!(
            "{}?code=c0de-value-1234&state={state}{}",
            query("redirect_uri"),
            self.extra
        );
        ResponseTemplate::new(302).insert_header("location", location.as_str())
    }
}

/// A vendor on one wiremock server: MCP endpoint (always 401 with a Bearer challenge),
/// protected-resource and authorization-server metadata, an approving authorization endpoint
/// and a token endpoint answering the code exchange with `token_body`.
async fn vendor(callback_extra: &'static str, token_body: Value) -> MockServer {
    let server = MockServer::start().await;
    let uri = server.uri();
    Mock::given(method("POST"))
        .and(path("/mcp"))
        .respond_with(
            ResponseTemplate::new(401).insert_header(
                "www-authenticate",
                format!(
                    "Bearer resource_metadata=\"{uri}/.well-known/oauth-protected-resource/mcp\""
                )
                .as_str(),
            ),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/.well-known/oauth-protected-resource/mcp"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "resource": format!("{uri}/mcp"),
            "authorization_servers": [uri],
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/.well-known/oauth-authorization-server"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "issuer": uri,
            "authorization_endpoint": format!("{uri}/authorize"),
            "token_endpoint": format!("{uri}/token"),
            "response_types_supported": ["code"],
            "grant_types_supported": ["authorization_code", "refresh_token"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["none"],
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/authorize"))
        .respond_with(ApproveAtOnce {
            extra: callback_extra,
        })
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/token"))
        .and(body_string_contains("grant_type=authorization_code"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("cache-control", "no-store")
                .set_body_json(token_body),
        )
        .mount(&server)
        .await;
    server
}

fn tokens(expires_in: Value) -> Value {
    json!({
        "access_token": "at-issued-by-vendor-0001",
        "token_type": "Bearer",
        "expires_in": expires_in,
        "refresh_token": "rt-issued-by-vendor-0001",
    })
}

fn flow_for(server: &MockServer, clock: &SimulatedClock) -> ClientFlow {
    let http = HttpClient::new(HttpLimits::default(), Redactor::default()).expect("client");
    let mut options = ClientOptions::new(format!("{}/mcp", server.uri()));
    options.client_id = Some("brought-client".into());
    ClientFlow::new(options, profile::NEWEST_SPEC, clock.shared(), http)
}

fn statuses(flow: &ClientFlow, id: &str) -> Vec<Status> {
    flow.checks()
        .iter()
        .filter(|c| c.id == id)
        .map(|c| c.status)
        .collect()
}

const ABSURD: [&str; 2] = ["18446744073709551615", "999999999999"];

#[tokio::test]
async fn an_absurd_token_lifetime_is_a_warning_not_a_panic() {
    for absurd in ABSURD {
        let server = vendor("", tokens(serde_json::from_str(absurd).unwrap())).await;
        let clock = SimulatedClock::default();
        let mut flow = flow_for(&server, &clock);
        flow.connect(&UserAgent::Headless, &Pauses::default())
            .await
            .unwrap_or_else(|d| panic!("{absurd}: connect failed: {d:?}"));
        assert_eq!(
            statuses(&flow, "token-lifetime-plausible"),
            [Status::Warning],
            "{absurd}"
        );
        let check = flow
            .checks()
            .iter()
            .find(|c| c.id == "token-lifetime-plausible")
            .unwrap();
        assert!(
            check
                .error_message
                .as_deref()
                .unwrap_or("")
                .contains(absurd),
            "the warning names the lifetime: {check:?}"
        );
        // Treated as a token without a known expiry: no refresh is attempted a year on.
        assert_eq!(flow.tokens().and_then(|t| t.expires_at), None);
        assert_eq!(statuses(&flow, "token-exchange"), [Status::Success]);
    }
}

#[tokio::test]
async fn connect_with_an_absurd_token_lifetime_exits_with_a_verdict() {
    for absurd in ABSURD {
        let server = vendor("", tokens(serde_json::from_str(absurd).unwrap())).await;
        let output = tokio::task::spawn_blocking({
            let url = format!("{}/mcp", server.uri());
            move || {
                Command::new(BIN)
                    .args([
                        "connect",
                        "--client-id",
                        "brought-client",
                        "--format",
                        "json",
                        &url,
                    ])
                    .env_remove("MCP_CONFORMANCE_CONTEXT")
                    .output()
                    .expect("the binary runs")
            }
        })
        .await
        .expect("joined");
        let stderr = String::from_utf8_lossy(&output.stderr);
        // The vendor's MCP endpoint refuses every token, so connect fails, but as a verdict.
        assert_eq!(output.status.code(), Some(1), "{absurd}: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
        let report: Value = serde_json::from_slice(&output.stdout).expect("a JSON report");
        let report = report.as_array().and_then(|r| r.first()).unwrap_or(&report);
        let lifetime = report["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == "token-lifetime-plausible")
            .expect("the lifetime was judged");
        assert_eq!(lifetime["status"], "WARNING");
    }
}

#[tokio::test]
async fn check_with_an_absurd_token_lifetime_gives_a_report() {
    for absurd in ABSURD {
        let server = vendor("", tokens(serde_json::from_str(absurd).unwrap())).await;
        let output = tokio::task::spawn_blocking({
            let url = format!("{}/mcp", server.uri());
            move || {
                Command::new(BIN)
                    .args(["check", "--headless", "--client-id", "brought-client"])
                    .args([
                        "--redirect-port",
                        "0",
                        "--timeout",
                        "10",
                        "--format",
                        "json",
                    ])
                    .arg(&url)
                    .output()
                    .expect("the binary runs")
            }
        })
        .await
        .expect("joined");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_ne!(output.status.code(), Some(2), "{absurd}: {stderr}");
        assert_ne!(output.status.code(), Some(101), "{absurd}: {stderr}");
        assert!(!stderr.contains("stopped unexpectedly"), "{stderr}");
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            stdout.contains("token-lifetime-plausible"),
            "{absurd}: the report judges the lifetime:\n{stdout}\n{stderr}"
        );
    }
}

#[tokio::test]
async fn a_callback_repeating_the_code_is_refused_before_any_token_request() {
    let server = vendor("&code=another-code-5678", tokens(json!(3600))).await;
    let clock = SimulatedClock::default();
    let mut flow = flow_for(&server, &clock);
    let diagnosis = flow
        .connect(&UserAgent::Headless, &Pauses::default())
        .await
        .expect_err("the callback is ambiguous");
    assert_eq!(diagnosis.code, "callback-parameters-repeated");
    assert_eq!(
        statuses(&flow, "callback-parameters-unique"),
        [Status::Failure]
    );
    let token_requests = server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .filter(|r| r.url.path() == "/token")
        .count();
    assert_eq!(token_requests, 0);
    let report = serde_json::to_string(flow.checks()).unwrap();
    assert!(
        !report.contains("another-code-5678"),
        "codes are not recorded"
    );
}

#[tokio::test]
async fn a_callback_repeating_state_or_iss_is_refused() {
    for extra in [
        "&state=forged",
        "&iss=https%3A%2F%2Fa.example&iss=https%3A%2F%2Fb.example",
    ] {
        let server = vendor(extra, tokens(json!(3600))).await;
        let clock = SimulatedClock::default();
        let mut flow = flow_for(&server, &clock);
        let diagnosis = flow
            .connect(&UserAgent::Headless, &Pauses::default())
            .await
            .expect_err("the callback is ambiguous");
        assert_eq!(diagnosis.code, "callback-parameters-repeated", "{extra}");
    }
}

/// Connects with a token that expires in 60 s, passes two minutes, and tests the connection,
/// so that the refresh is answered by `refresh`.
async fn refresh_answered(refresh: ResponseTemplate) -> String {
    let server = vendor("", tokens(json!(60))).await;
    Mock::given(method("POST"))
        .and(path("/token"))
        .and(body_string_contains("grant_type=refresh_token"))
        .respond_with(refresh)
        .mount(&server)
        .await;
    let clock = SimulatedClock::default();
    let mut flow = flow_for(&server, &clock);
    flow.connect(&UserAgent::Headless, &Pauses::default())
        .await
        .expect("connects");
    clock.advance(Duration::from_secs(120)).unwrap();
    let diagnosis = flow.test_connection().await.expect_err("the refresh fails");
    assert_eq!(statuses(&flow, "token-refresh"), [Status::Failure]);
    diagnosis.code
}

fn oauth_error(status: u16, error: &str) -> ResponseTemplate {
    ResponseTemplate::new(status)
        .set_body_json(json!({ "error": error, "error_description": "as answered" }))
}

#[tokio::test]
async fn refresh_failures_are_diagnosed_by_what_was_answered() {
    let cases = [
        (oauth_error(400, "invalid_grant"), "refresh-revoked"),
        (
            oauth_error(401, "invalid_client"),
            "client-registration-gone",
        ),
        (oauth_error(400, "invalid_scope"), "refresh-refused"),
        (
            oauth_error(503, "temporarily_unavailable"),
            "transient-refresh-failure",
        ),
        (
            ResponseTemplate::new(502).set_body_string("<html>bad gateway</html>"),
            "transient-refresh-failure",
        ),
        (
            ResponseTemplate::new(404).set_body_string("not found"),
            "token-endpoint-misconfigured",
        ),
        (
            ResponseTemplate::new(400).set_body_string("<html>no</html>"),
            "token-endpoint-misconfigured",
        ),
    ];
    for (answer, expected) in cases {
        assert_eq!(refresh_answered(answer).await, expected);
    }
}

#[tokio::test]
async fn a_refresh_that_times_out_is_transient() {
    let server = vendor("", tokens(json!(60))).await;
    Mock::given(method("POST"))
        .and(path("/token"))
        .and(body_string_contains("grant_type=refresh_token"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(30)))
        .mount(&server)
        .await;
    let clock = SimulatedClock::default();
    let http = HttpClient::new(
        HttpLimits {
            timeout: Duration::from_millis(300),
            ..HttpLimits::default()
        },
        Redactor::default(),
    )
    .expect("client");
    let mut options = ClientOptions::new(format!("{}/mcp", server.uri()));
    options.client_id = Some("brought-client".into());
    let mut flow = ClientFlow::new(options, profile::NEWEST_SPEC, clock.shared(), http);
    flow.connect(&UserAgent::Headless, &Pauses::default())
        .await
        .expect("connects");
    clock.advance(Duration::from_secs(120)).unwrap();
    let diagnosis = flow.test_connection().await.expect_err("no answer");
    assert_eq!(diagnosis.code, "transient-refresh-failure");
}

#[tokio::test]
async fn a_bearer_challenge_in_a_second_header_is_found() {
    let server = MockServer::start().await;
    let uri = server.uri();
    Mock::given(method("POST"))
        .and(path("/mcp"))
        .respond_with(
            ResponseTemplate::new(401)
                .append_header("www-authenticate", "Basic realm=\"legacy\"")
                .append_header(
                    "www-authenticate",
                    format!("Bearer resource_metadata=\"{uri}/prm\"").as_str(),
                ),
        )
        .mount(&server)
        .await;
    let clock = SimulatedClock::default();
    let mut flow = flow_for(&server, &clock);
    let _ = flow.connect(&UserAgent::Headless, &Pauses::default()).await;
    assert_eq!(
        statuses(&flow, "www-authenticate-bearer"),
        [Status::Success]
    );
    assert_eq!(
        statuses(&flow, "www-authenticate-resource-metadata"),
        [Status::Success]
    );
    // Both challenges are kept in the record, in order.
    let probe = flow.context().http.exchanges();
    let headers = &probe[0].response.as_ref().unwrap().headers;
    let challenges: Vec<&str> = headers
        .iter()
        .filter(|(n, _)| n == "www-authenticate")
        .map(|(_, v)| v.as_str())
        .collect();
    assert_eq!(challenges.len(), 2, "{headers:?}");
    assert!(challenges[0].starts_with("Basic"));
}

#[tokio::test]
async fn mcp_records_show_the_token_only_when_one_was_sent() {
    let mut config = mcp_oauth_mocks::MockConfig::default();
    config.resource_server.allow_unauthenticated = true;
    let clock = SimulatedClock::default();
    let mocks = mcp_oauth_mocks::MockServers::start(config, clock.shared())
        .await
        .expect("mocks start");
    let http = HttpClient::new(HttpLimits::default(), Redactor::default()).expect("client");
    let mut flow = ClientFlow::new(
        ClientOptions::new(mocks.mcp_url()),
        profile::NEWEST_SPEC,
        clock.shared(),
        http,
    );
    flow.connect_on_demand(&UserAgent::Headless, &Pauses::default())
        .await
        .expect("the open server is used without a token");
    let exchanges = flow.context().http.exchanges();
    let mcp: Vec<_> = exchanges.iter().filter(|e| e.step == "mcp").collect();
    assert!(!mcp.is_empty());
    for exchange in mcp {
        let headers = &exchange.request.headers;
        assert!(
            !headers.iter().any(|(name, _)| name == "authorization"),
            "no token was sent, none is recorded: {headers:?}"
        );
        if exchange.request.method == "POST" {
            assert!(
                headers.iter().any(|(name, _)| name == "accept"),
                "{headers:?}"
            );
        }
    }
}

#[tokio::test]
async fn mcp_answers_are_recorded_as_observed() {
    let server = vendor("", tokens(json!(3600))).await;
    Mock::given(method("POST"))
        .and(path("/mcp"))
        .and(wiremock::matchers::header_exists("authorization"))
        .respond_with(
            ResponseTemplate::new(418)
                .insert_header("x-vendor-trace", "teapot-1")
                .set_body_string("short and stout"),
        )
        .with_priority(1)
        .mount(&server)
        .await;
    let clock = SimulatedClock::default();
    let mut flow = flow_for(&server, &clock);
    flow.connect(&UserAgent::Headless, &Pauses::default())
        .await
        .expect("connects");
    let diagnosis = flow
        .test_connection()
        .await
        .expect_err("the MCP server refuses");
    assert_eq!(diagnosis.code, "mcp-error", "{diagnosis:?}");
    let exchanges = flow.context().http.exchanges();
    let mcp = exchanges
        .iter()
        .find(|e| e.step == "mcp")
        .expect("the MCP request is recorded");
    let response = mcp.response.as_ref().expect("the answer is recorded");
    assert_eq!(response.status, 418);
    assert!(
        response
            .headers
            .iter()
            .any(|(n, v)| n == "x-vendor-trace" && v == "teapot-1"),
        "{:?}",
        response.headers
    );
    assert_eq!(response.body.as_deref(), Some("short and stout"));
    assert!(
        mcp.request
            .headers
            .iter()
            .any(|(n, v)| n == "authorization" && v == "Bearer [redacted]"),
        "{:?}",
        mcp.request.headers
    );
}
