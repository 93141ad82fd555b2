//! The mock servers over real HTTP: each test starts a fresh pair on loopback ports with a
//! simulated clock and drives it the way an MCP client would.

use std::collections::HashMap;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use mcp_oauth_mocks::clock::SimulatedClock;
use mcp_oauth_mocks::config::{
    Consent, PreregisteredClient, PrmLocation, RegistrationError, TokenEndpointAuthMethod,
};
use mcp_oauth_mocks::request_log::Server;
use mcp_oauth_mocks::{MockConfig, MockServers};
use reqwest::StatusCode;
use reqwest::header::{CACHE_CONTROL, CONTENT_TYPE, LOCATION, WWW_AUTHENTICATE};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use url::Url;

const REDIRECT_URI: &str = "http://127.0.0.1:33418/callback";
/// REDIRECT_URI with its last character changed.
const REDIRECT_URI_OFF_BY_ONE: &str = "http://127.0.0.1:33418/callbacc";
const STATE: &str = "state-8f2c";
/// RFC 7636 Appendix B.
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CONFIDENTIAL_ID: &str = "byo-app";
const CONFIDENTIAL_SECRET: &str = "byo-secret";

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// A running pair of mocks, the clock they read and an HTTP client that does not follow
/// redirects.
struct Mocks {
    servers: MockServers,
    clock: SimulatedClock,
    http: reqwest::Client,
}

async fn start(config: MockConfig) -> Mocks {
    let clock = SimulatedClock::default();
    let servers = MockServers::start(config, clock.shared())
        .await
        .expect("mock servers start");
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("HTTP client");
    Mocks {
        servers,
        clock,
        http,
    }
}

async fn start_default() -> Mocks {
    start(MockConfig::default()).await
}

impl Mocks {
    fn issuer(&self) -> String {
        self.servers.issuer()
    }

    fn endpoint(&self, name: &str) -> String {
        format!("{}/{name}", self.issuer())
    }

    fn mcp_url(&self) -> String {
        self.servers.mcp_url()
    }

    fn resource_origin(&self) -> String {
        origin_of(&self.mcp_url())
    }

    fn advance(&self, secs: u64) {
        self.clock.advance(Duration::from_secs(secs)).unwrap();
    }
}

fn origin_of(url: &str) -> String {
    Url::parse(url)
        .expect("absolute URL")
        .origin()
        .ascii_serialization()
}

fn challenge_for(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

async fn json_body(response: reqwest::Response) -> Value {
    response.json().await.expect("JSON body")
}

/// Asserts an OAuth error answer (RFC 6749 §5.2 shape) and returns its description.
async fn assert_oauth_error(
    response: reqwest::Response,
    status: StatusCode,
    error: &str,
) -> String {
    assert_eq!(response.status(), status, "status of an expected {error}");
    let body = json_body(response).await;
    assert_eq!(body["error"], error, "error body: {body}");
    body["error_description"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

async fn register(mocks: &Mocks, body: Value) -> reqwest::Response {
    mocks
        .http
        .post(mocks.endpoint("register"))
        .json(&body)
        .send()
        .await
        .expect("registration request")
}

/// Registers a public client for REDIRECT_URI and returns its client_id.
async fn register_public_client(mocks: &Mocks) -> String {
    let response = register(
        mocks,
        json!({
            "redirect_uris": [REDIRECT_URI],
            "token_endpoint_auth_method": "none",
            "client_name": "mock-servers tests",
        }),
    )
    .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    json_body(response).await["client_id"]
        .as_str()
        .expect("client_id")
        .to_owned()
}

/// A well-formed authorization request; tests add to it or override single parameters.
fn authorization_params(client_id: &str) -> Vec<(String, String)> {
    [
        ("response_type", "code"),
        ("client_id", client_id),
        ("redirect_uri", REDIRECT_URI),
        ("code_challenge", &challenge_for(VERIFIER)),
        ("code_challenge_method", "S256"),
        ("state", STATE),
        ("scope", "mcp:tools"),
    ]
    .into_iter()
    .map(|(name, value)| (name.to_owned(), value.to_owned()))
    .collect()
}

fn with(mut params: Vec<(String, String)>, name: &str, value: &str) -> Vec<(String, String)> {
    params.retain(|(n, _)| n != name);
    params.push((name.to_owned(), value.to_owned()));
    params
}

async fn authorize(mocks: &Mocks, params: &[(String, String)]) -> reqwest::Response {
    mocks
        .http
        .get(mocks.endpoint("authorize"))
        .query(params)
        .send()
        .await
        .expect("authorization request")
}

/// The Location of a redirect back to REDIRECT_URI, with its query parameters.
fn redirect_params(response: &reqwest::Response) -> HashMap<String, String> {
    assert_eq!(response.status(), StatusCode::FOUND, "expected a redirect");
    let location = response
        .headers()
        .get(LOCATION)
        .expect("Location header")
        .to_str()
        .expect("ASCII Location");
    let url = Url::parse(location).expect("absolute Location");
    assert_eq!(
        format!("{}{}", origin_of(location), url.path()),
        REDIRECT_URI,
        "redirect target"
    );
    url.query_pairs().into_owned().collect()
}

/// Runs the authorization request and returns the code it redirects with.
async fn authorization_code(mocks: &Mocks, params: &[(String, String)]) -> String {
    let response = authorize(mocks, params).await;
    let params = redirect_params(&response);
    params
        .get("code")
        .unwrap_or_else(|| panic!("no code in the redirect: {params:?}"))
        .clone()
}

async fn token_request(mocks: &Mocks, form: &[(&str, &str)]) -> reqwest::Response {
    mocks
        .http
        .post(mocks.endpoint("token"))
        .form(form)
        .send()
        .await
        .expect("token request")
}

/// Redeems a code for a public client with the right verifier and redirect URI.
async fn redeem(mocks: &Mocks, client_id: &str, code: &str) -> reqwest::Response {
    token_request(
        mocks,
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT_URI),
            ("code_verifier", VERIFIER),
            ("client_id", client_id),
        ],
    )
    .await
}

async fn refresh(mocks: &Mocks, client_id: &str, refresh_token: &str) -> reqwest::Response {
    token_request(
        mocks,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
            ("client_id", client_id),
        ],
    )
    .await
}

struct Tokens {
    client_id: String,
    access_token: String,
    refresh_token: Option<String>,
}

/// Register, authorize (with these extra parameters) and redeem: the whole happy path.
async fn obtain_tokens_with(mocks: &Mocks, extra: &[(&str, &str)]) -> Tokens {
    let client_id = register_public_client(mocks).await;
    let mut params = authorization_params(&client_id);
    for (name, value) in extra {
        params = with(params, name, value);
    }
    let code = authorization_code(mocks, &params).await;
    let response = redeem(mocks, &client_id, &code).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body = json_body(response).await;
    Tokens {
        client_id,
        access_token: body["access_token"]
            .as_str()
            .expect("access_token")
            .to_owned(),
        refresh_token: body["refresh_token"].as_str().map(str::to_owned),
    }
}

async fn obtain_tokens(mocks: &Mocks) -> Tokens {
    obtain_tokens_with(mocks, &[]).await
}

/// The claims of a JWT, read without verifying it.
fn jwt_claims(token: &str) -> Value {
    let payload = token.split('.').nth(1).expect("JWT payload segment");
    let bytes = URL_SAFE_NO_PAD.decode(payload).expect("base64url payload");
    serde_json::from_slice(&bytes).expect("JSON claims")
}

fn initialize_body() -> Value {
    json!({
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {
            "protocolVersion": "2025-06-18",
            "capabilities": {},
            "clientInfo": { "name": "mock-servers-tests", "version": "0.0.0" },
        },
    })
}

/// An MCP initialize POST to `url`, with a bearer token when given.
async fn mcp_initialize(mocks: &Mocks, url: &str, token: Option<&str>) -> reqwest::Response {
    let mut request = mocks
        .http
        .post(url)
        .header("Accept", "application/json, text/event-stream")
        .header(CONTENT_TYPE, "application/json")
        .json(&initialize_body());
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.expect("MCP request")
}

/// Reads a (possibly streamed) MCP response until the JSON-RPC result for id 1 shows up.
async fn read_initialize_result(mut response: reqwest::Response) -> String {
    let read = async {
        let mut body = String::new();
        while let Some(chunk) = response.chunk().await.expect("response chunk") {
            body.push_str(&String::from_utf8_lossy(&chunk));
            if body.contains("\"serverInfo\"") {
                break;
            }
        }
        body
    };
    tokio::time::timeout(Duration::from_secs(10), read)
        .await
        .expect("the initialize result arrives")
}

fn www_authenticate(response: &reqwest::Response) -> String {
    response
        .headers()
        .get(WWW_AUTHENTICATE)
        .expect("WWW-Authenticate header")
        .to_str()
        .expect("ASCII challenge")
        .to_owned()
}

fn confidential_config(method: TokenEndpointAuthMethod) -> MockConfig {
    let mut config = MockConfig::default();
    config.authorization_server.token_endpoint_auth_methods = vec![method];
    config.authorization_server.clients = vec![PreregisteredClient {
        client_id: CONFIDENTIAL_ID.to_owned(),
        client_secret: Some(CONFIDENTIAL_SECRET.to_owned()),
        redirect_uris: vec![REDIRECT_URI.to_owned()],
    }];
    config
}

fn code_redemption_form(code: &str) -> Vec<(&'static str, String)> {
    vec![
        ("grant_type", "authorization_code".to_owned()),
        ("code", code.to_owned()),
        ("redirect_uri", REDIRECT_URI.to_owned()),
        ("code_verifier", VERIFIER.to_owned()),
    ]
}

async fn redeem_with_client_secret_post(mocks: &Mocks, code: &str) -> reqwest::Response {
    let mut form = code_redemption_form(code);
    form.push(("client_id", CONFIDENTIAL_ID.to_owned()));
    form.push(("client_secret", CONFIDENTIAL_SECRET.to_owned()));
    mocks
        .http
        .post(mocks.endpoint("token"))
        .form(&form)
        .send()
        .await
        .expect("token request")
}

async fn redeem_with_client_secret_basic(mocks: &Mocks, code: &str) -> reqwest::Response {
    mocks
        .http
        .post(mocks.endpoint("token"))
        .basic_auth(CONFIDENTIAL_ID, Some(CONFIDENTIAL_SECRET))
        .form(&code_redemption_form(code))
        .send()
        .await
        .expect("token request")
}

// ---------------------------------------------------------------------------------------------
// Authorization server metadata (RFC 8414)
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn metadata_lists_every_endpoint_and_capability() {
    let mocks = start_default().await;
    let response = mocks
        .http
        .get(format!(
            "{}/.well-known/oauth-authorization-server",
            mocks.issuer()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let metadata = json_body(response).await;

    let issuer = mocks.issuer();
    assert_eq!(metadata["issuer"], issuer);
    assert_eq!(
        metadata["authorization_endpoint"],
        format!("{issuer}/authorize")
    );
    assert_eq!(metadata["token_endpoint"], format!("{issuer}/token"));
    assert_eq!(
        metadata["registration_endpoint"],
        format!("{issuer}/register")
    );
    assert_eq!(metadata["revocation_endpoint"], format!("{issuer}/revoke"));
    assert_eq!(
        metadata["introspection_endpoint"],
        format!("{issuer}/introspect")
    );
    assert_eq!(metadata["jwks_uri"], format!("{issuer}/jwks"));
    assert_eq!(metadata["response_types_supported"], json!(["code"]));
    assert_eq!(
        metadata["grant_types_supported"],
        json!(["authorization_code", "refresh_token"])
    );
    assert_eq!(
        metadata["code_challenge_methods_supported"],
        json!(["S256"])
    );
    assert_eq!(
        metadata["token_endpoint_auth_methods_supported"],
        json!(["none"])
    );
    assert_eq!(metadata["scopes_supported"], json!(["mcp:tools"]));
}

#[tokio::test]
async fn metadata_with_an_issuer_path_is_served_at_the_path_inserted_url() {
    let mut config = MockConfig::default();
    config.authorization_server.issuer_path = "/tenant-a".to_owned();
    let mocks = start(config).await;
    let issuer = mocks.issuer();
    let origin = origin_of(&issuer);
    assert_eq!(issuer, format!("{origin}/tenant-a"));

    let response = mocks
        .http
        .get(format!(
            "{origin}/.well-known/oauth-authorization-server/tenant-a"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let metadata = json_body(response).await;
    assert_eq!(metadata["issuer"], issuer);
    assert_eq!(
        metadata["authorization_endpoint"],
        format!("{issuer}/authorize")
    );
    assert_eq!(metadata["token_endpoint"], format!("{issuer}/token"));
    assert_eq!(
        metadata["registration_endpoint"],
        format!("{issuer}/register")
    );

    let at_origin = mocks
        .http
        .get(format!("{origin}/.well-known/oauth-authorization-server"))
        .send()
        .await
        .unwrap();
    assert_eq!(at_origin.status(), StatusCode::NOT_FOUND);

    // The advertised endpoints really live under the issuer.
    let tokens = obtain_tokens(&mocks).await;
    assert_eq!(jwt_claims(&tokens.access_token)["iss"], issuer);
}

// ---------------------------------------------------------------------------------------------
// Dynamic client registration (RFC 7591)
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn registration_of_good_client_metadata_answers_201_with_a_client_id() {
    let mocks = start_default().await;
    let response = register(
        &mocks,
        json!({ "redirect_uris": [REDIRECT_URI], "token_endpoint_auth_method": "none" }),
    )
    .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let body = json_body(response).await;
    assert!(
        body["client_id"].as_str().is_some_and(|id| !id.is_empty()),
        "client_id in {body}"
    );
    assert_eq!(body["redirect_uris"], json!([REDIRECT_URI]));
    assert_eq!(body["token_endpoint_auth_method"], "none");
    assert!(body.get("client_secret").is_none(), "public client: {body}");
}

#[tokio::test]
async fn registration_refuses_a_redirect_uri_with_a_fragment() {
    let mocks = start_default().await;
    let response = register(
        &mocks,
        json!({ "redirect_uris": [format!("{REDIRECT_URI}#done")] }),
    )
    .await;
    assert_oauth_error(response, StatusCode::BAD_REQUEST, "invalid_redirect_uri").await;
}

#[tokio::test]
async fn registration_refuses_a_relative_redirect_uri() {
    let mocks = start_default().await;
    let response = register(&mocks, json!({ "redirect_uris": ["/callback"] })).await;
    assert_oauth_error(response, StatusCode::BAD_REQUEST, "invalid_redirect_uri").await;
}

#[tokio::test]
async fn registration_error_knob_answers_the_configured_error_code() {
    for (knob, code) in [
        (
            RegistrationError::InvalidClientMetadata,
            "invalid_client_metadata",
        ),
        (
            RegistrationError::InvalidRedirectUri,
            "invalid_redirect_uri",
        ),
    ] {
        let mut config = MockConfig::default();
        config.authorization_server.registration_error = Some(knob);
        let mocks = start(config).await;
        let response = register(&mocks, json!({ "redirect_uris": [REDIRECT_URI] })).await;
        assert_oauth_error(response, StatusCode::BAD_REQUEST, code).await;
    }
}

// ---------------------------------------------------------------------------------------------
// Authorization code flow
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn code_flow_happy_path_issues_a_bearer_jwt_and_a_refresh_token() {
    let mocks = start_default().await;
    let client_id = register_public_client(&mocks).await;

    let response = authorize(&mocks, &authorization_params(&client_id)).await;
    let params = redirect_params(&response);
    let code = params.get("code").expect("code").clone();
    assert_eq!(params.get("state").map(String::as_str), Some(STATE));
    assert_eq!(params.get("iss"), Some(&mocks.issuer()));
    assert!(!params.contains_key("error"), "{params:?}");

    let response = redeem(&mocks, &client_id, &code).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers().get(CACHE_CONTROL).map(|v| v.as_bytes()),
        Some(&b"no-store"[..])
    );
    let content_type = response.headers().get(CONTENT_TYPE).unwrap().clone();
    assert!(
        content_type
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let body = json_body(response).await;
    let access_token = body["access_token"].as_str().expect("access_token");
    assert_eq!(access_token.split('.').count(), 3, "a JWT: {access_token}");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3600);
    assert!(
        body["refresh_token"]
            .as_str()
            .is_some_and(|t| !t.is_empty()),
        "refresh_token in {body}"
    );

    let claims = jwt_claims(access_token);
    assert_eq!(claims["iss"], mocks.issuer());
    assert_eq!(claims["client_id"], client_id);
}

#[tokio::test]
async fn token_request_with_a_wrong_code_verifier_is_invalid_grant() {
    let mocks = start_default().await;
    let client_id = register_public_client(&mocks).await;
    let code = authorization_code(&mocks, &authorization_params(&client_id)).await;
    let response = token_request(
        &mocks,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT_URI),
            (
                "code_verifier",
                "not-the-verifier-that-made-the-challenge-0123",
            ),
            ("client_id", &client_id),
        ],
    )
    .await;
    assert_oauth_error(response, StatusCode::BAD_REQUEST, "invalid_grant").await;
}

#[tokio::test]
async fn a_code_redeemed_twice_is_invalid_grant_the_second_time() {
    let mocks = start_default().await;
    let client_id = register_public_client(&mocks).await;
    let code = authorization_code(&mocks, &authorization_params(&client_id)).await;

    let first = redeem(&mocks, &client_id, &code).await;
    assert_eq!(first.status(), StatusCode::OK);
    let second = redeem(&mocks, &client_id, &code).await;
    let description = assert_oauth_error(second, StatusCode::BAD_REQUEST, "invalid_grant").await;
    assert!(description.contains("already used"), "{description}");
}

#[tokio::test]
async fn authorize_with_an_unregistered_redirect_uri_shows_an_error_page_and_never_redirects() {
    let mocks = start_default().await;
    let client_id = register_public_client(&mocks).await;
    let params = with(
        authorization_params(&client_id),
        "redirect_uri",
        REDIRECT_URI_OFF_BY_ONE,
    );
    let response = authorize(&mocks, &params).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(
        response.headers().get(LOCATION).is_none(),
        "must not redirect to an unregistered URI"
    );
    let content_type = response.headers().get(CONTENT_TYPE).unwrap().clone();
    assert!(content_type.to_str().unwrap().starts_with("text/html"));
    let page = response.text().await.unwrap();
    assert!(page.contains("redirect_uri mismatch"), "{page}");
}

#[tokio::test]
async fn token_request_with_a_redirect_uri_off_by_one_character_is_invalid_grant() {
    let mocks = start_default().await;
    let client_id = register_public_client(&mocks).await;
    let code = authorization_code(&mocks, &authorization_params(&client_id)).await;
    let response = token_request(
        &mocks,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT_URI_OFF_BY_ONE),
            ("code_verifier", VERIFIER),
            ("client_id", &client_id),
        ],
    )
    .await;
    let description = assert_oauth_error(response, StatusCode::BAD_REQUEST, "invalid_grant").await;
    assert!(description.contains("redirect_uri"), "{description}");
}

#[tokio::test]
async fn a_code_redeemed_after_its_lifetime_is_invalid_grant_expired() {
    let mut config = MockConfig::default();
    config.authorization_server.code_lifetime_secs = 30;
    let mocks = start(config).await;
    let client_id = register_public_client(&mocks).await;
    let code = authorization_code(&mocks, &authorization_params(&client_id)).await;

    mocks.advance(31);
    let response = redeem(&mocks, &client_id, &code).await;
    let description = assert_oauth_error(response, StatusCode::BAD_REQUEST, "invalid_grant").await;
    assert!(description.contains("expired"), "{description}");
}

#[tokio::test]
async fn a_code_redeemed_within_its_lifetime_is_accepted() {
    let mut config = MockConfig::default();
    config.authorization_server.code_lifetime_secs = 30;
    let mocks = start(config).await;
    let client_id = register_public_client(&mocks).await;
    let code = authorization_code(&mocks, &authorization_params(&client_id)).await;

    mocks.advance(29);
    let response = redeem(&mocks, &client_id, &code).await;
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn require_audience_refuses_an_authorization_request_without_resource() {
    let mut config = MockConfig::default();
    config.authorization_server.require_audience = true;
    let mocks = start(config).await;
    let client_id = register_public_client(&mocks).await;

    let response = authorize(&mocks, &authorization_params(&client_id)).await;
    let params = redirect_params(&response);
    assert_eq!(
        params.get("error").map(String::as_str),
        Some("invalid_target")
    );
    assert_eq!(params.get("state").map(String::as_str), Some(STATE));
    assert!(!params.contains_key("code"), "{params:?}");
}

#[tokio::test]
async fn require_audience_issues_a_code_when_resource_is_present() {
    let mut config = MockConfig::default();
    config.authorization_server.require_audience = true;
    let mocks = start(config).await;
    let tokens = obtain_tokens_with(&mocks, &[("resource", &mocks.mcp_url())]).await;
    assert_eq!(jwt_claims(&tokens.access_token)["aud"], mocks.mcp_url());
}

#[tokio::test]
async fn denied_consent_redirects_with_access_denied_and_the_state() {
    let mut config = MockConfig::default();
    config.authorization_server.consent = Consent::Deny;
    let mocks = start(config).await;
    let client_id = register_public_client(&mocks).await;

    let response = authorize(&mocks, &authorization_params(&client_id)).await;
    let params = redirect_params(&response);
    assert_eq!(
        params.get("error").map(String::as_str),
        Some("access_denied")
    );
    assert_eq!(params.get("state").map(String::as_str), Some(STATE));
    assert!(!params.contains_key("code"), "{params:?}");
}

// ---------------------------------------------------------------------------------------------
// Refresh and revocation
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn refresh_grant_issues_a_new_access_token() {
    let mocks = start_default().await;
    let tokens = obtain_tokens(&mocks).await;
    let refresh_token = tokens.refresh_token.expect("refresh_token");

    mocks.advance(10);
    let response = refresh(&mocks, &tokens.client_id, &refresh_token).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body = json_body(response).await;
    let access_token = body["access_token"].as_str().expect("access_token");
    assert_ne!(access_token, tokens.access_token);
    assert_eq!(body["token_type"], "Bearer");

    // Without rotation the same refresh token keeps working.
    let again = refresh(&mocks, &tokens.client_id, &refresh_token).await;
    assert_eq!(again.status(), StatusCode::OK);
}

#[tokio::test]
async fn rotated_refresh_token_reused_is_invalid_grant_and_revokes_the_family() {
    let mut config = MockConfig::default();
    config.authorization_server.rotate_refresh_tokens = true;
    let mocks = start(config).await;
    let tokens = obtain_tokens(&mocks).await;
    let first = tokens.refresh_token.expect("refresh_token");

    let response = refresh(&mocks, &tokens.client_id, &first).await;
    assert_eq!(response.status(), StatusCode::OK);
    let second = json_body(response).await["refresh_token"]
        .as_str()
        .expect("a rotated refresh_token")
        .to_owned();
    assert_ne!(second, first);

    let replay = refresh(&mocks, &tokens.client_id, &first).await;
    let description = assert_oauth_error(replay, StatusCode::BAD_REQUEST, "invalid_grant").await;
    assert!(description.contains("already used"), "{description}");

    let newest = refresh(&mocks, &tokens.client_id, &second).await;
    assert_oauth_error(newest, StatusCode::BAD_REQUEST, "invalid_grant").await;
}

#[tokio::test]
async fn a_rotated_refresh_token_is_honoured_within_the_reuse_grace_window_only() {
    let mut config = MockConfig::default();
    config.authorization_server.rotate_refresh_tokens = true;
    config.authorization_server.refresh_reuse_grace_secs = 10;
    let mocks = start(config).await;
    let tokens = obtain_tokens(&mocks).await;
    let first = tokens.refresh_token.expect("refresh_token");

    let rotated = refresh(&mocks, &tokens.client_id, &first).await;
    assert_eq!(rotated.status(), StatusCode::OK);
    let second = json_body(rotated).await["refresh_token"]
        .as_str()
        .expect("a rotated refresh_token")
        .to_owned();

    // A second refresh racing the first, inside the window: honoured, the family kept.
    mocks.advance(10);
    let racing = refresh(&mocks, &tokens.client_id, &first).await;
    assert_eq!(racing.status(), StatusCode::OK);
    // Past the window the old token is replay again, and the family goes with it.
    mocks.advance(1);
    let late = refresh(&mocks, &tokens.client_id, &first).await;
    let description = assert_oauth_error(late, StatusCode::BAD_REQUEST, "invalid_grant").await;
    assert!(description.contains("already used"), "{description}");
    let newest = refresh(&mocks, &tokens.client_id, &second).await;
    assert_oauth_error(newest, StatusCode::BAD_REQUEST, "invalid_grant").await;
}

#[tokio::test]
async fn revoke_all_refresh_tokens_makes_refresh_invalid_grant() {
    let mocks = start_default().await;
    let tokens = obtain_tokens(&mocks).await;
    let refresh_token = tokens.refresh_token.expect("refresh_token");

    mocks.servers.auth_server().revoke_all_refresh_tokens();
    let response = refresh(&mocks, &tokens.client_id, &refresh_token).await;
    assert_oauth_error(response, StatusCode::BAD_REQUEST, "invalid_grant").await;
}

#[tokio::test]
async fn refresh_unavailable_count_answers_503_then_serves_the_refresh() {
    let mut config = MockConfig::default();
    config.authorization_server.refresh_unavailable_count = 1;
    let mocks = start(config).await;
    let tokens = obtain_tokens(&mocks).await;
    let refresh_token = tokens.refresh_token.expect("refresh_token");

    let first = refresh(&mocks, &tokens.client_id, &refresh_token).await;
    assert_oauth_error(
        first,
        StatusCode::SERVICE_UNAVAILABLE,
        "temporarily_unavailable",
    )
    .await;
    let retry = refresh(&mocks, &tokens.client_id, &refresh_token).await;
    assert_eq!(retry.status(), StatusCode::OK);
}

#[tokio::test]
async fn revocation_endpoint_answers_200_and_revokes_the_refresh_token() {
    let mocks = start_default().await;
    let tokens = obtain_tokens(&mocks).await;
    let refresh_token = tokens.refresh_token.expect("refresh_token");

    let response = mocks
        .http
        .post(mocks.endpoint("revoke"))
        .form(&[
            ("token", refresh_token.as_str()),
            ("token_type_hint", "refresh_token"),
            ("client_id", &tokens.client_id),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);

    let after = refresh(&mocks, &tokens.client_id, &refresh_token).await;
    assert_oauth_error(after, StatusCode::BAD_REQUEST, "invalid_grant").await;
}

#[tokio::test]
async fn revocation_of_an_unknown_token_still_answers_200() {
    let mocks = start_default().await;
    let response = mocks
        .http
        .post(mocks.endpoint("revoke"))
        .form(&[("token", "rt_never-issued")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

// ---------------------------------------------------------------------------------------------
// Client authentication at the token endpoint
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn client_secret_post_client_authenticates_in_the_body_and_basic_is_refused() {
    let mocks = start(confidential_config(
        TokenEndpointAuthMethod::ClientSecretPost,
    ))
    .await;
    let params = authorization_params(CONFIDENTIAL_ID);

    let code = authorization_code(&mocks, &params).await;
    let response = redeem_with_client_secret_post(&mocks, &code).await;
    assert_eq!(response.status(), StatusCode::OK);

    let code = authorization_code(&mocks, &params).await;
    let response = redeem_with_client_secret_basic(&mocks, &code).await;
    assert_oauth_error(response, StatusCode::UNAUTHORIZED, "invalid_client").await;
}

#[tokio::test]
async fn client_secret_basic_client_authenticates_in_the_header_and_post_is_refused() {
    let mocks = start(confidential_config(
        TokenEndpointAuthMethod::ClientSecretBasic,
    ))
    .await;
    let params = authorization_params(CONFIDENTIAL_ID);

    let code = authorization_code(&mocks, &params).await;
    let response = redeem_with_client_secret_basic(&mocks, &code).await;
    assert_eq!(response.status(), StatusCode::OK);

    let code = authorization_code(&mocks, &params).await;
    let response = redeem_with_client_secret_post(&mocks, &code).await;
    assert_oauth_error(response, StatusCode::UNAUTHORIZED, "invalid_client").await;
}

#[tokio::test]
async fn confidential_client_with_a_wrong_secret_is_invalid_client() {
    let mocks = start(confidential_config(
        TokenEndpointAuthMethod::ClientSecretPost,
    ))
    .await;
    let code = authorization_code(&mocks, &authorization_params(CONFIDENTIAL_ID)).await;
    let mut form = code_redemption_form(&code);
    form.push(("client_id", CONFIDENTIAL_ID.to_owned()));
    form.push(("client_secret", "not-the-secret".to_owned()));
    let response = mocks
        .http
        .post(mocks.endpoint("token"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_oauth_error(response, StatusCode::UNAUTHORIZED, "invalid_client").await;
}

#[tokio::test]
async fn metadata_advertises_the_configured_client_authentication_method() {
    let mocks = start(confidential_config(
        TokenEndpointAuthMethod::ClientSecretPost,
    ))
    .await;
    let metadata = json_body(
        mocks
            .http
            .get(format!(
                "{}/.well-known/oauth-authorization-server",
                mocks.issuer()
            ))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        metadata["token_endpoint_auth_methods_supported"],
        json!(["client_secret_post"])
    );
}

// ---------------------------------------------------------------------------------------------
// Resource server
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn mcp_request_without_a_token_is_challenged_with_the_resource_metadata_url() {
    let mocks = start_default().await;
    let response = mcp_initialize(&mocks, &mocks.mcp_url(), None).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let expected = format!(
        "{}/.well-known/oauth-protected-resource/mcp",
        mocks.resource_origin()
    );
    assert_eq!(
        www_authenticate(&response),
        format!("Bearer resource_metadata=\"{expected}\"")
    );
}

#[tokio::test]
async fn mcp_request_with_a_garbage_token_is_invalid_token() {
    let mocks = start_default().await;
    let response = mcp_initialize(&mocks, &mocks.mcp_url(), Some("not-a-jwt")).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let challenge = www_authenticate(&response);
    assert!(challenge.starts_with("Bearer "), "{challenge}");
    assert!(challenge.contains("error=\"invalid_token\""), "{challenge}");
    assert!(challenge.contains("resource_metadata=\""), "{challenge}");
}

#[tokio::test]
async fn mcp_initialize_with_a_valid_token_succeeds() {
    let mocks = start_default().await;
    let tokens = obtain_tokens(&mocks).await;
    let response = mcp_initialize(&mocks, &mocks.mcp_url(), Some(&tokens.access_token)).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body = read_initialize_result(response).await;
    assert!(body.contains("\"serverInfo\""), "{body}");
}

#[tokio::test]
async fn an_access_token_past_its_lifetime_is_invalid_token() {
    let mut config = MockConfig::default();
    config.authorization_server.access_token_lifetime_secs = 300;
    let mocks = start(config).await;
    let tokens = obtain_tokens(&mocks).await;

    let fresh = mcp_initialize(&mocks, &mocks.mcp_url(), Some(&tokens.access_token)).await;
    assert_eq!(fresh.status(), StatusCode::OK);

    mocks.advance(301);
    let expired = mcp_initialize(&mocks, &mocks.mcp_url(), Some(&tokens.access_token)).await;
    assert_eq!(expired.status(), StatusCode::UNAUTHORIZED);
    let challenge = www_authenticate(&expired);
    assert!(challenge.contains("error=\"invalid_token\""), "{challenge}");
    assert!(challenge.contains("expired"), "{challenge}");
}

#[tokio::test]
async fn resource_server_requiring_audience_rejects_a_token_without_its_aud() {
    let mut config = MockConfig::default();
    config.resource_server.require_audience = true;
    let mocks = start(config).await;

    let without_aud = obtain_tokens(&mocks).await;
    assert!(jwt_claims(&without_aud.access_token).get("aud").is_none());
    let response = mcp_initialize(&mocks, &mocks.mcp_url(), Some(&without_aud.access_token)).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(www_authenticate(&response).contains("error=\"invalid_token\""));

    let elsewhere = obtain_tokens_with(&mocks, &[("resource", "https://other.example/mcp")]).await;
    let response = mcp_initialize(&mocks, &mocks.mcp_url(), Some(&elsewhere.access_token)).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);

    let with_aud = obtain_tokens_with(&mocks, &[("resource", &mocks.mcp_url())]).await;
    let response = mcp_initialize(&mocks, &mocks.mcp_url(), Some(&with_aud.access_token)).await;
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_token_from_another_authorization_server_is_invalid_token() {
    let mocks = start_default().await;
    let other = start_default().await;
    let foreign = obtain_tokens(&other).await;
    let response = mcp_initialize(&mocks, &mocks.mcp_url(), Some(&foreign.access_token)).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(www_authenticate(&response).contains("error=\"invalid_token\""));
}

#[tokio::test]
async fn protected_resource_metadata_names_the_endpoint_and_the_issuer() {
    let mocks = start_default().await;
    let response = mocks
        .http
        .get(format!(
            "{}/.well-known/oauth-protected-resource/mcp",
            mocks.resource_origin()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let metadata = json_body(response).await;
    assert_eq!(metadata["resource"], mocks.mcp_url());
    assert_eq!(metadata["authorization_servers"], json!([mocks.issuer()]));
}

#[tokio::test]
async fn without_protected_resource_metadata_the_challenge_omits_resource_metadata() {
    let mut config = MockConfig::default();
    config.resource_server.metadata_location = PrmLocation::None;
    let mocks = start(config).await;

    let prm = mocks
        .http
        .get(format!(
            "{}/.well-known/oauth-protected-resource/mcp",
            mocks.resource_origin()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(prm.status(), StatusCode::NOT_FOUND);

    let response = mcp_initialize(&mocks, &mocks.mcp_url(), None).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let challenge = www_authenticate(&response);
    assert!(challenge.starts_with("Bearer"), "{challenge}");
    assert!(!challenge.contains("resource_metadata"), "{challenge}");
}

#[tokio::test]
async fn mcp_served_at_the_origin_when_path_is_root() {
    let mut config = MockConfig::default();
    config.resource_server.path = "/".to_owned();
    let mocks = start(config).await;
    assert_eq!(mocks.mcp_url(), mocks.resource_origin());

    let unauthenticated = mcp_initialize(&mocks, &mocks.mcp_url(), None).await;
    assert_eq!(unauthenticated.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        www_authenticate(&unauthenticated),
        format!(
            "Bearer resource_metadata=\"{}/.well-known/oauth-protected-resource\"",
            mocks.resource_origin()
        )
    );

    let prm = mocks
        .http
        .get(format!(
            "{}/.well-known/oauth-protected-resource",
            mocks.resource_origin()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(prm.status(), StatusCode::OK);
    assert_eq!(json_body(prm).await["resource"], mocks.mcp_url());

    let tokens = obtain_tokens(&mocks).await;
    let response = mcp_initialize(&mocks, &mocks.mcp_url(), Some(&tokens.access_token)).await;
    assert_eq!(response.status(), StatusCode::OK);
}

// ---------------------------------------------------------------------------------------------
// Request log
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn request_log_counts_token_requests_by_grant_type() {
    let mocks = start_default().await;
    let tokens = obtain_tokens(&mocks).await;
    let refresh_token = tokens.refresh_token.expect("refresh_token");
    for _ in 0..2 {
        let response = refresh(&mocks, &tokens.client_id, &refresh_token).await;
        assert_eq!(response.status(), StatusCode::OK);
    }
    let failed = refresh(&mocks, &tokens.client_id, "rt_unknown").await;
    assert_eq!(failed.status(), StatusCode::BAD_REQUEST);
    let unauthenticated = mcp_initialize(&mocks, &mocks.mcp_url(), None).await;
    assert_eq!(unauthenticated.status(), StatusCode::UNAUTHORIZED);

    let log = mocks.servers.log();
    assert_eq!(log.token_requests("authorization_code"), 1);
    assert_eq!(log.token_requests("refresh_token"), 3);
    assert_eq!(log.requests_to(Server::AuthorizationServer, "/token"), 4);
    assert_eq!(log.requests_to(Server::AuthorizationServer, "/register"), 1);
    assert_eq!(
        log.requests_to(Server::AuthorizationServer, "/authorize"),
        1
    );
    assert_eq!(log.requests_to(Server::ResourceServer, "/token"), 0);
    assert_eq!(log.requests_to(Server::ResourceServer, "/mcp"), 1);

    let statuses: Vec<u16> = log
        .snapshot()
        .iter()
        .filter(|r| r.grant_type.as_deref() == Some("refresh_token"))
        .map(|r| r.status)
        .collect();
    assert_eq!(statuses, [200, 200, 400]);
}

#[tokio::test]
async fn open_redirect_knob_redirects_to_an_unregistered_redirect_uri() {
    let unregistered = "https://unregistered.invalid/callback";
    let conformant = start_default().await;
    let client_id = register_public_client(&conformant).await;
    let params = with(
        authorization_params(&client_id),
        "redirect_uri",
        unregistered,
    );
    let response = authorize(&conformant, &params).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST, "an error page");

    let mut config = MockConfig::default();
    config.authorization_server.open_redirect = true;
    let open = start(config).await;
    let client_id = register_public_client(&open).await;
    let params = with(
        authorization_params(&client_id),
        "redirect_uri",
        unregistered,
    );
    let response = authorize(&open, &params).await;
    assert_eq!(response.status(), StatusCode::FOUND);
    let location = response.headers()[LOCATION].to_str().unwrap();
    assert!(location.starts_with(unregistered), "{location}");
}

#[tokio::test]
async fn fragment_knob_registers_a_redirect_uri_with_a_fragment() {
    let mut config = MockConfig::default();
    config.authorization_server.accept_fragment_redirect_uris = true;
    let mocks = start(config).await;
    let response = register(
        &mocks,
        json!({ "redirect_uris": [format!("{REDIRECT_URI}#done")] }),
    )
    .await;
    assert_eq!(response.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn unavailable_knob_answers_unknown_and_revoked_refresh_tokens_with_503() {
    let mut config = MockConfig::default();
    config
        .authorization_server
        .invalid_refresh_token_unavailable = true;
    let mocks = start(config).await;
    let tokens = obtain_tokens(&mocks).await;
    let response = refresh(&mocks, &tokens.client_id, "rt_unknown").await;
    assert_oauth_error(
        response,
        StatusCode::SERVICE_UNAVAILABLE,
        "temporarily_unavailable",
    )
    .await;
    let live = tokens.refresh_token.expect("a refresh token");
    let response = refresh(&mocks, &tokens.client_id, &live).await;
    assert_eq!(response.status(), StatusCode::OK, "live tokens still work");
    mocks.servers.auth_server().revoke_all_refresh_tokens();
    let response = refresh(&mocks, &tokens.client_id, &live).await;
    assert_oauth_error(
        response,
        StatusCode::SERVICE_UNAVAILABLE,
        "temporarily_unavailable",
    )
    .await;
}
