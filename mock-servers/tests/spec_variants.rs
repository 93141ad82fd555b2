//! The knobs for the behaviours the MCP spec revisions ask of clients: where metadata lives,
//! the 2025-03-26 co-located authorization server, client ID metadata documents, scopes and
//! step-up, RFC 9207 advertisement, registration responses a client must follow, and an
//! authorization server that moves. Each test starts its own mocks on loopback ports.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use mcp_oauth_mocks::clock::SimulatedClock;
use mcp_oauth_mocks::config::{
    AsMetadataLocation, InsufficientScopeChallenge, IssParameter, PreregisteredClient, PrmLocation,
    TokenEndpointAuthMethod,
};
use mcp_oauth_mocks::request_log::Server;
use mcp_oauth_mocks::{MockConfig, MockServers, StartError};
use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, LOCATION, WWW_AUTHENTICATE};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tokio::net::TcpListener;
use url::Url;

const REDIRECT_URI: &str = "http://127.0.0.1:33418/callback";
const STATE: &str = "state-5e1a";
/// RFC 7636 Appendix B.
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

struct Mocks {
    servers: MockServers,
    http: reqwest::Client,
}

fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("HTTP client")
}

async fn try_start(config: MockConfig) -> Result<Mocks, StartError> {
    let clock = SimulatedClock::default();
    let servers = MockServers::start(config, clock.shared()).await?;
    Ok(Mocks {
        servers,
        http: http_client(),
    })
}

async fn start(config: MockConfig) -> Mocks {
    try_start(config).await.expect("mock servers start")
}

impl Mocks {
    /// The endpoint of the authorization server the resource server currently names.
    fn endpoint(&self, name: &str) -> String {
        format!("{}/{name}", self.servers.issuer())
    }

    fn mcp_url(&self) -> String {
        self.servers.mcp_url()
    }

    fn resource_origin(&self) -> String {
        origin_of(&self.mcp_url())
    }

    async fn get(&self, url: &str) -> reqwest::Response {
        self.http.get(url).send().await.expect("GET")
    }
}

fn origin_of(url: &str) -> String {
    Url::parse(url)
        .expect("absolute URL")
        .origin()
        .ascii_serialization()
}

async fn json_body(response: reqwest::Response) -> Value {
    response.json().await.expect("JSON body")
}

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

/// Asserts the HTML error page an authorization server shows instead of redirecting.
async fn assert_error_page(response: reqwest::Response, title: &str) -> String {
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(
        response.headers().get(LOCATION).is_none(),
        "an error page, never a redirect"
    );
    let page = response.text().await.expect("page");
    assert!(page.contains(title), "{page}");
    page
}

async fn register_at(mocks: &Mocks, url: &str, body: Value) -> reqwest::Response {
    mocks
        .http
        .post(url)
        .json(&body)
        .send()
        .await
        .expect("registration request")
}

async fn register_public_client_at(mocks: &Mocks, url: &str) -> String {
    let response = register_at(
        mocks,
        url,
        json!({ "redirect_uris": [REDIRECT_URI], "token_endpoint_auth_method": "none" }),
    )
    .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    json_body(response).await["client_id"]
        .as_str()
        .expect("client_id")
        .to_owned()
}

fn authorization_params(client_id: &str, scope: &str) -> Vec<(String, String)> {
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(VERIFIER.as_bytes()));
    [
        ("response_type", "code"),
        ("client_id", client_id),
        ("redirect_uri", REDIRECT_URI),
        ("code_challenge", &challenge),
        ("code_challenge_method", "S256"),
        ("state", STATE),
        ("scope", scope),
    ]
    .into_iter()
    .map(|(name, value)| (name.to_owned(), value.to_owned()))
    .collect()
}

async fn authorize_at(mocks: &Mocks, url: &str, params: &[(String, String)]) -> reqwest::Response {
    mocks
        .http
        .get(url)
        .query(params)
        .send()
        .await
        .expect("authorization request")
}

fn redirect_params(response: &reqwest::Response) -> HashMap<String, String> {
    assert_eq!(response.status(), StatusCode::FOUND, "expected a redirect");
    let location = response.headers()[LOCATION]
        .to_str()
        .expect("ASCII Location");
    assert!(location.starts_with(REDIRECT_URI), "{location}");
    Url::parse(location)
        .expect("absolute Location")
        .query_pairs()
        .into_owned()
        .collect()
}

async fn token_at(mocks: &Mocks, url: &str, form: &[(&str, &str)]) -> reqwest::Response {
    mocks
        .http
        .post(url)
        .form(form)
        .send()
        .await
        .expect("token request")
}

fn redemption_form<'a>(client_id: &'a str, code: &'a str) -> Vec<(&'static str, &'a str)> {
    vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", REDIRECT_URI),
        ("code_verifier", VERIFIER),
        ("client_id", client_id),
    ]
}

/// Authorizes a public client at `issuer` with `scope` and redeems the code: the access token.
async fn access_token_at(mocks: &Mocks, issuer: &str, client_id: &str, scope: &str) -> String {
    let response = authorize_at(
        mocks,
        &format!("{issuer}/authorize"),
        &authorization_params(client_id, scope),
    )
    .await;
    let params = redirect_params(&response);
    let code = params
        .get("code")
        .unwrap_or_else(|| panic!("no code: {params:?}"));
    let response = token_at(
        mocks,
        &format!("{issuer}/token"),
        &redemption_form(client_id, code),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    json_body(response).await["access_token"]
        .as_str()
        .expect("access_token")
        .to_owned()
}

/// Registers a public client at the current authorization server and gets a token for `scope`.
async fn obtain_access_token(mocks: &Mocks, scope: &str) -> String {
    let client_id = register_public_client_at(mocks, &mocks.endpoint("register")).await;
    access_token_at(mocks, &mocks.servers.issuer(), &client_id, scope).await
}

fn jwt_claims(token: &str) -> Value {
    let payload = token.split('.').nth(1).expect("JWT payload segment");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).expect("base64url")).expect("claims")
}

async fn mcp_initialize(mocks: &Mocks, token: Option<&str>) -> reqwest::Response {
    let mut request = mocks
        .http
        .post(mocks.mcp_url())
        .header("Accept", "application/json, text/event-stream")
        .header(CONTENT_TYPE, "application/json")
        .json(&json!({
            "jsonrpc": "2.0",
            "id": 1,
            "method": "initialize",
            "params": {
                "protocolVersion": "2025-11-25",
                "capabilities": {},
                "clientInfo": { "name": "spec-variants-tests", "version": "0.0.0" },
            },
        }));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.expect("MCP request")
}

/// Reads a (possibly streamed) initialize response until the result shows up.
async fn assert_initialized(mut response: reqwest::Response) {
    assert_eq!(response.status(), StatusCode::OK);
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
    let body = tokio::time::timeout(Duration::from_secs(10), read)
        .await
        .expect("the initialize result arrives");
    assert!(body.contains("\"serverInfo\""), "{body}");
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

// ---------------------------------------------------------------------------------------------
// Knobs as scenario files spell them
// ---------------------------------------------------------------------------------------------

#[test]
fn every_new_knob_has_its_kebab_case_toml_spelling() {
    let config: MockConfig = toml::from_str(
        r#"
        [authorization-server]
        metadata-location = "openid-appended"
        co-located = true
        advertise-iss-parameter = false
        strict-scopes = true
        client-id-metadata-documents = true
        registration-auth-method = "client_secret_basic"
        require-application-type = true
        withhold-scopes = ["mcp:billing"]
        iss-parameter = "trailing-slash"

        [resource-server]
        metadata-location = "custom"
        custom-metadata-path = "/meta/prm.json"
        required-scope = "mcp:admin"
        challenge-scope = "mcp:tools"
        alternate-authorization-server = true
        www-authenticate = false
        insufficient-scope-challenge = "first-missing"
        "#,
    )
    .expect("the knobs parse");
    let auth = &config.authorization_server;
    assert_eq!(auth.metadata_location, AsMetadataLocation::OpenidAppended);
    assert!(auth.co_located && auth.strict_scopes && auth.client_id_metadata_documents);
    assert!(!auth.advertise_iss_parameter && auth.require_application_type);
    assert_eq!(auth.withhold_scopes, ["mcp:billing"]);
    assert_eq!(auth.iss_parameter, IssParameter::TrailingSlash);
    assert_eq!(
        auth.registration_auth_method,
        Some(TokenEndpointAuthMethod::ClientSecretBasic)
    );
    let resource = &config.resource_server;
    assert_eq!(resource.metadata_location, PrmLocation::Custom);
    assert_eq!(
        resource.custom_metadata_path.as_deref(),
        Some("/meta/prm.json")
    );
    assert_eq!(resource.required_scope.as_deref(), Some("mcp:admin"));
    assert_eq!(resource.challenge_scope.as_deref(), Some("mcp:tools"));
    assert!(resource.alternate_authorization_server && !resource.www_authenticate);
    assert_eq!(
        resource.insufficient_scope_challenge,
        InsufficientScopeChallenge::FirstMissing
    );
    assert_eq!(config.validate(), Ok(()));

    let other_locations: MockConfig =
        toml::from_str("[authorization-server]\nmetadata-location = \"openid-inserted\"\n")
            .expect("openid-inserted parses");
    assert_eq!(
        other_locations.authorization_server.metadata_location,
        AsMetadataLocation::OpenidInserted
    );
    let conformant: MockConfig = toml::from_str("").expect("empty");
    assert_eq!(conformant, MockConfig::default());
    assert_eq!(
        conformant.authorization_server.metadata_location,
        AsMetadataLocation::Oauth
    );
}

#[tokio::test]
async fn values_that_cannot_be_served_are_refused_before_any_port_is_bound() {
    let mut orphan_path = MockConfig::default();
    orphan_path.resource_server.custom_metadata_path = Some("/meta/prm.json".to_owned());
    let mut relative = MockConfig::default();
    relative.resource_server.metadata_location = PrmLocation::Custom;
    relative.resource_server.custom_metadata_path = Some("meta/prm.json".to_owned());
    let mut quoted_scope = MockConfig::default();
    quoted_scope.resource_server.required_scope = Some("mcp:\"admin\"".to_owned());
    for (config, knob) in [
        (orphan_path, "resource-server.custom-metadata-path"),
        (relative, "resource-server.custom-metadata-path"),
        (quoted_scope, "resource-server.required-scope"),
    ] {
        match try_start(config).await {
            Err(StartError::Config(error)) => assert_eq!(error.knob, knob, "{error}"),
            Err(other) => panic!("expected a configuration error, got {other}"),
            Ok(_) => panic!("expected {knob} to be refused"),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// 1. Protected-resource metadata at a custom path
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn www_authenticate_false_leaves_the_header_off_every_401_only() {
    let mut config = MockConfig::default();
    config.resource_server.www_authenticate = false;
    config.resource_server.required_scope = Some("mcp:admin".to_owned());
    let mocks = start(config).await;
    for token in [None, Some("not-a-jwt")] {
        let response = mcp_initialize(&mocks, token).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{token:?}");
        assert_eq!(response.headers().get(WWW_AUTHENTICATE), None, "{token:?}");
    }
    // The metadata is still where the well-known URL puts it.
    let prm = format!(
        "{}/.well-known/oauth-protected-resource/mcp",
        mocks.resource_origin()
    );
    assert_eq!(mocks.get(&prm).await.status(), StatusCode::OK);
    // A 403 step-up challenge is not a 401: it keeps its header.
    let narrow = obtain_access_token(&mocks, "mcp:tools").await;
    let response = mcp_initialize(&mocks, Some(&narrow)).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(www_authenticate(&response).contains("insufficient_scope"));
}

#[tokio::test]
async fn custom_prm_location_is_found_only_through_the_challenge() {
    let mut config = MockConfig::default();
    config.resource_server.metadata_location = PrmLocation::Custom;
    config.resource_server.custom_metadata_path = Some("/meta/prm.json".to_owned());
    let mocks = start(config).await;
    let origin = mocks.resource_origin();

    let response = mcp_initialize(&mocks, None).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let custom = format!("{origin}/meta/prm.json");
    assert_eq!(
        www_authenticate(&response),
        format!("Bearer resource_metadata=\"{custom}\"")
    );
    let prm = mocks.get(&custom).await;
    assert_eq!(prm.status(), StatusCode::OK);
    let prm = json_body(prm).await;
    assert_eq!(prm["resource"], mocks.mcp_url());
    assert_eq!(
        prm["authorization_servers"],
        json!([mocks.servers.issuer()])
    );

    for well_known in [
        format!("{origin}/.well-known/oauth-protected-resource/mcp"),
        format!("{origin}/.well-known/oauth-protected-resource"),
    ] {
        assert_eq!(
            mocks.get(&well_known).await.status(),
            StatusCode::NOT_FOUND,
            "{well_known}"
        );
    }
}

#[tokio::test]
async fn custom_prm_location_without_a_path_uses_the_default_custom_path() {
    let mut config = MockConfig::default();
    config.resource_server.metadata_location = PrmLocation::Custom;
    let mocks = start(config).await;
    let expected = format!(
        "{}{}",
        mocks.resource_origin(),
        mcp_oauth_mocks::config::DEFAULT_CUSTOM_METADATA_PATH
    );
    assert_eq!(
        mocks.servers.resource_server().metadata_url(),
        Some(expected.clone())
    );
    assert_eq!(mocks.get(&expected).await.status(), StatusCode::OK);
}

// ---------------------------------------------------------------------------------------------
// 2. Authorization-server metadata locations
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn metadata_location_serves_exactly_one_well_known_url_per_issuer_form() {
    let oauth = "/.well-known/oauth-authorization-server";
    let openid = "/.well-known/openid-configuration";
    let cases = [
        (AsMetadataLocation::Oauth, "", oauth.to_owned()),
        (AsMetadataLocation::OpenidInserted, "", openid.to_owned()),
        (AsMetadataLocation::OpenidAppended, "", openid.to_owned()),
        (
            AsMetadataLocation::Oauth,
            "/tenant-a",
            format!("{oauth}/tenant-a"),
        ),
        (
            AsMetadataLocation::OpenidInserted,
            "/tenant-a",
            format!("{openid}/tenant-a"),
        ),
        (
            AsMetadataLocation::OpenidAppended,
            "/tenant-a",
            format!("/tenant-a{openid}"),
        ),
    ];
    for (location, issuer_path, expected_path) in cases {
        let mut config = MockConfig::default();
        config.authorization_server.metadata_location = location;
        config.authorization_server.issuer_path = issuer_path.to_owned();
        let mocks = start(config).await;
        let issuer = mocks.servers.issuer();
        let origin = origin_of(&issuer);
        let expected = format!("{origin}{expected_path}");
        assert_eq!(
            mocks.servers.auth_server().metadata_url(),
            Some(expected.clone())
        );

        let response = mocks.get(&expected).await;
        assert_eq!(response.status(), StatusCode::OK, "{location:?} {expected}");
        let metadata = json_body(response).await;
        assert_eq!(metadata["issuer"], issuer);
        assert_eq!(
            metadata["authorization_endpoint"],
            format!("{issuer}/authorize")
        );
        let openid_fields = metadata.get("subject_types_supported").is_some();
        assert_eq!(
            openid_fields,
            location != AsMetadataLocation::Oauth,
            "{metadata}"
        );

        for other in [
            format!("{oauth}{issuer_path}"),
            format!("{openid}{issuer_path}"),
            format!("{issuer_path}{openid}"),
        ] {
            if other != expected_path {
                let status = mocks.get(&format!("{origin}{other}")).await.status();
                assert_eq!(status, StatusCode::NOT_FOUND, "{location:?}: {other}");
            }
        }
    }
}

#[tokio::test]
async fn metadata_false_serves_no_location_at_all() {
    let mut config = MockConfig::default();
    config.authorization_server.metadata = false;
    config.authorization_server.metadata_location = AsMetadataLocation::OpenidInserted;
    let mocks = start(config).await;
    assert_eq!(mocks.servers.auth_server().metadata_url(), None);
    let origin = origin_of(&mocks.servers.issuer());
    for path in [
        "/.well-known/openid-configuration",
        "/.well-known/oauth-authorization-server",
    ] {
        assert_eq!(
            mocks.get(&format!("{origin}{path}")).await.status(),
            StatusCode::NOT_FOUND
        );
    }
}

// ---------------------------------------------------------------------------------------------
// 3. 2025-03-26: the authorization server on the MCP server's origin
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn co_located_authorization_server_is_served_on_the_mcp_origin() {
    let mut config = MockConfig::default();
    config.authorization_server.co_located = true;
    let mocks = start(config).await;
    let origin = mocks.resource_origin();
    assert_eq!(mocks.servers.issuer(), origin);
    assert_eq!(mocks.mcp_url(), format!("{origin}/mcp"));

    let metadata = mocks
        .get(&format!("{origin}/.well-known/oauth-authorization-server"))
        .await;
    assert_eq!(metadata.status(), StatusCode::OK);
    let metadata = json_body(metadata).await;
    assert_eq!(metadata["issuer"], origin);
    assert_eq!(metadata["token_endpoint"], format!("{origin}/token"));
    let prm = mocks
        .get(&format!(
            "{origin}/.well-known/oauth-protected-resource/mcp"
        ))
        .await;
    assert_eq!(
        json_body(prm).await["authorization_servers"],
        json!([origin])
    );

    let token = obtain_access_token(&mocks, "mcp:tools").await;
    assert_eq!(jwt_claims(&token)["iss"], origin);
    assert_initialized(mcp_initialize(&mocks, Some(&token)).await).await;

    let unknown = mocks.get(&format!("{origin}/nothing-here")).await;
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);

    let log = mocks.servers.log();
    assert_eq!(
        log.requests_to(Server::AuthorizationServer, "/authorize"),
        1
    );
    assert_eq!(log.requests_to(Server::AuthorizationServer, "/token"), 1);
    assert_eq!(log.requests_to(Server::ResourceServer, "/mcp"), 1);
    assert_eq!(log.requests_to(Server::ResourceServer, "/nothing-here"), 1);
    assert_eq!(log.requests_to(Server::AuthorizationServer, "/mcp"), 0);
}

#[tokio::test]
async fn co_located_without_prm_serves_authorization_server_metadata_at_the_origin() {
    let mut config = MockConfig::default();
    config.authorization_server.co_located = true;
    config.resource_server.metadata_location = PrmLocation::None;
    let mocks = start(config).await;
    let origin = mocks.resource_origin();

    let challenge = mcp_initialize(&mocks, None).await;
    assert_eq!(challenge.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(www_authenticate(&challenge), "Bearer");
    for prm in [
        "/.well-known/oauth-protected-resource/mcp",
        "/.well-known/oauth-protected-resource",
    ] {
        assert_eq!(
            mocks.get(&format!("{origin}{prm}")).await.status(),
            StatusCode::NOT_FOUND
        );
    }
    let metadata = mocks
        .get(&format!("{origin}/.well-known/oauth-authorization-server"))
        .await;
    assert_eq!(metadata.status(), StatusCode::OK);
    assert_eq!(json_body(metadata).await["issuer"], origin);
}

#[tokio::test]
async fn co_located_without_metadata_answers_at_the_default_endpoints() {
    let mut config = MockConfig::default();
    config.authorization_server.co_located = true;
    config.authorization_server.metadata = false;
    config.resource_server.metadata_location = PrmLocation::None;
    // The MCP endpoint at the bare origin too, so the defaults share the origin with it.
    config.resource_server.path = "/".to_owned();
    let mocks = start(config).await;
    let origin = mocks.resource_origin();
    assert_eq!(mocks.mcp_url(), origin);

    let metadata = mocks
        .get(&format!("{origin}/.well-known/oauth-authorization-server"))
        .await;
    assert_eq!(
        metadata.status(),
        StatusCode::UNAUTHORIZED,
        "the MCP server answers it"
    );

    let client_id = register_public_client_at(&mocks, &format!("{origin}/register")).await;
    let token = access_token_at(&mocks, &origin, &client_id, "mcp:tools").await;
    assert_initialized(mcp_initialize(&mocks, Some(&token)).await).await;
    let log = mocks.servers.log();
    for path in ["/register", "/authorize", "/token"] {
        assert_eq!(
            log.requests_to(Server::AuthorizationServer, path),
            1,
            "{path}"
        );
    }
}

#[tokio::test]
async fn co_located_routes_that_clash_with_the_mcp_endpoint_are_refused() {
    let mut config = MockConfig::default();
    config.authorization_server.co_located = true;
    config.authorization_server.issuer_path = "/mcp".to_owned();
    match try_start(config).await {
        Err(StartError::RouteClash { path }) => assert_eq!(path, "/mcp/authorize"),
        Err(other) => panic!("expected a route clash, got {other}"),
        Ok(_) => panic!("expected a route clash"),
    }
}

// ---------------------------------------------------------------------------------------------
// 4. Client ID metadata documents
// ---------------------------------------------------------------------------------------------

/// A loopback server that answers every connection with `200` and `body`, sent without a
/// Content-Length (delimited by closing the connection), so only the bytes read can tell its
/// size. Returns its origin.
async fn serve_without_content_length(body: Vec<u8>) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let origin = format!("http://{}", listener.local_addr().expect("address"));
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let body = body.clone();
            tokio::spawn(async move {
                let mut request = Vec::new();
                let mut buffer = [0u8; 1024];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut buffer).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => request.extend_from_slice(&buffer[..n]),
                    }
                }
                let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n";
                let _ = stream.write_all(head.as_bytes()).await;
                let _ = stream.write_all(&body).await;
                let _ = stream.shutdown().await;
            });
        }
    });
    origin
}

/// A loopback site serving client ID metadata documents, good and bad.
struct DocumentSite {
    origin: String,
    /// While false, every document answers 404.
    online: Arc<AtomicBool>,
}

impl DocumentSite {
    fn url(&self, name: &str) -> String {
        format!("{}/{name}", self.origin)
    }

    async fn start() -> Self {
        use axum::http::header;
        use axum::response::IntoResponse;
        use axum::routing::get;

        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let origin = format!("http://{}", listener.local_addr().expect("address"));
        let online = Arc::new(AtomicBool::new(true));
        let document = |name: &str, auth_method: &str, client_id: Option<&str>| {
            let client_id = client_id.map_or_else(|| format!("{origin}/{name}"), str::to_owned);
            json!({
                "client_id": client_id,
                "client_name": "CIMD test client",
                "redirect_uris": [REDIRECT_URI],
                "token_endpoint_auth_method": auth_method,
                "grant_types": ["authorization_code", "refresh_token"],
            })
        };
        let good = document("client.json", "none", None);
        let wrong_id = document(
            "wrong-id.json",
            "none",
            Some("https://elsewhere.example/c.json"),
        );
        let confidential = document("secret.json", "client_secret_basic", None);
        let mut huge = document("huge.json", "none", None);
        huge["padding"] = json!("x".repeat(70 * 1024));
        let redirect_to = format!("{origin}/client.json");

        let gate = online.clone();
        let serve_json = move |body: Value| {
            let gate = gate.clone();
            move || {
                let body = body.clone();
                let up = gate.load(Ordering::SeqCst);
                async move {
                    if up {
                        axum::Json(body).into_response()
                    } else {
                        StatusCode::NOT_FOUND.into_response()
                    }
                }
            }
        };
        let router = axum::Router::new()
            .route("/client.json", get(serve_json(good)))
            .route("/wrong-id.json", get(serve_json(wrong_id)))
            .route("/secret.json", get(serve_json(confidential)))
            .route("/huge.json", get(serve_json(huge)))
            .route(
                "/moved.json",
                get(move || {
                    let to = redirect_to.clone();
                    async move { (StatusCode::FOUND, [(header::LOCATION, to)]).into_response() }
                }),
            );
        tokio::spawn(async move { axum::serve(listener, router).await });
        Self { origin, online }
    }
}

/// Mocks that accept documents, allowed to fetch them from the loopback `sites`.
async fn start_cimd(sites: &[&str]) -> Mocks {
    let mocks = start(cimd_config()).await;
    for site in sites {
        mocks
            .servers
            .allow_client_documents_from(site)
            .expect("an origin");
    }
    mocks
}

fn cimd_config() -> MockConfig {
    let mut config = MockConfig::default();
    config.authorization_server.client_id_metadata_documents = true;
    config
}

#[tokio::test]
async fn metadata_advertises_client_id_metadata_documents_only_with_the_knob() {
    for (config, advertised) in [(MockConfig::default(), None), (cimd_config(), Some(true))] {
        let mocks = start(config).await;
        let url = mocks
            .servers
            .auth_server()
            .metadata_url()
            .expect("metadata");
        let metadata = json_body(mocks.get(&url).await).await;
        assert_eq!(
            metadata
                .get("client_id_metadata_document_supported")
                .and_then(Value::as_bool),
            advertised
        );
    }
}

#[tokio::test]
async fn a_url_client_id_is_accepted_by_fetching_its_document_at_authorize_and_token() {
    let site = DocumentSite::start().await;
    let mocks = start_cimd(&[&site.origin]).await;
    let client_id = site.url("client.json");

    let token = access_token_at(&mocks, &mocks.servers.issuer(), &client_id, "mcp:tools").await;
    assert_eq!(jwt_claims(&token)["client_id"], client_id);
    assert_initialized(mcp_initialize(&mocks, Some(&token)).await).await;

    let log = mocks.servers.log();
    assert_eq!(
        log.document_fetches(Server::AuthorizationServer),
        [client_id.clone(), client_id.clone()],
        "fetched at the authorization and at the token endpoint"
    );
    let fetch = log
        .snapshot()
        .into_iter()
        .find(|r| r.method == "FETCH")
        .expect("a recorded fetch");
    assert_eq!(
        (fetch.server, fetch.path.as_str(), fetch.status),
        (Server::AuthorizationServer, client_id.as_str(), 200)
    );
    assert!(
        mocks
            .servers
            .auth_server()
            .registered_client(&client_id)
            .is_none(),
        "a document client is not registered"
    );
}

#[tokio::test]
async fn unacceptable_documents_get_an_error_page_and_never_a_redirect() {
    let site = DocumentSite::start().await;
    let streamed = serve_without_content_length(vec![b' '; 70 * 1024]).await;
    let mocks = start_cimd(&[&site.origin, &streamed]).await;
    let authorize_url = mocks.endpoint("authorize");
    let cases = [
        (site.url("wrong-id.json"), "must equal the URL"),
        (site.url("secret.json"), "token_endpoint_auth_method"),
        (site.url("huge.json"), "larger than 65536 bytes"),
        (site.url("moved.json"), "HTTP 302"),
        (site.url("missing.json"), "HTTP 404"),
    ];
    let cases = [
        cases.as_slice(),
        &[(format!("{streamed}/client.json"), "larger than 65536 bytes")],
    ]
    .concat();
    for (client_id, why) in &cases {
        let response = authorize_at(
            &mocks,
            &authorize_url,
            &authorization_params(client_id, "mcp:tools"),
        )
        .await;
        let page = assert_error_page(response, "Invalid client metadata document").await;
        assert!(page.contains(why), "{client_id}: {page}");
    }
    let fetched = mocks
        .servers
        .log()
        .document_fetches(Server::AuthorizationServer);
    assert_eq!(fetched.len(), cases.len(), "each document was fetched once");

    // A document that does not list the request's redirect_uri: the usual mismatch page.
    let mut params = authorization_params(&site.url("client.json"), "mcp:tools");
    params.retain(|(name, _)| name != "redirect_uri");
    params.push((
        "redirect_uri".to_owned(),
        "http://127.0.0.1:33418/elsewhere".to_owned(),
    ));
    let response = authorize_at(&mocks, &authorize_url, &params).await;
    assert_error_page(response, "redirect_uri mismatch").await;
}

#[tokio::test]
async fn document_urls_that_are_plain_http_off_loopback_are_refused_without_a_fetch() {
    let mocks = start(cimd_config()).await;
    let response = authorize_at(
        &mocks,
        &mocks.endpoint("authorize"),
        &authorization_params("http://client.example/metadata.json", "mcp:tools"),
    )
    .await;
    let page = assert_error_page(response, "Invalid client metadata document").await;
    assert!(page.contains("https"), "{page}");
    assert!(
        mocks
            .servers
            .log()
            .document_fetches(Server::AuthorizationServer)
            .is_empty()
    );
}

#[tokio::test]
async fn documents_on_loopback_origins_not_allowed_are_refused_without_a_fetch() {
    let site = DocumentSite::start().await;
    let other = DocumentSite::start().await;
    let mocks = start_cimd(&[&other.origin]).await;
    let client_id = site.url("client.json");
    let response = authorize_at(
        &mocks,
        &mocks.endpoint("authorize"),
        &authorization_params(&client_id, "mcp:tools"),
    )
    .await;
    let page = assert_error_page(response, "Invalid client metadata document").await;
    assert!(page.contains("loopback or private host"), "{page}");
    let response = token_at(
        &mocks,
        &mocks.endpoint("token"),
        &redemption_form(&client_id, "ac_whatever"),
    )
    .await;
    assert_oauth_error(response, StatusCode::UNAUTHORIZED, "invalid_client").await;
    assert!(
        mocks
            .servers
            .log()
            .document_fetches(Server::AuthorizationServer)
            .is_empty(),
        "nothing was fetched"
    );
}

#[tokio::test]
async fn without_the_knob_a_url_client_id_is_an_unknown_client() {
    let site = DocumentSite::start().await;
    let mocks = start(MockConfig::default()).await;
    let client_id = site.url("client.json");
    let response = authorize_at(
        &mocks,
        &mocks.endpoint("authorize"),
        &authorization_params(&client_id, "mcp:tools"),
    )
    .await;
    assert_error_page(response, "Unknown client").await;
    let response = token_at(
        &mocks,
        &mocks.endpoint("token"),
        &redemption_form(&client_id, "ac_whatever"),
    )
    .await;
    assert_oauth_error(response, StatusCode::UNAUTHORIZED, "invalid_client").await;
    assert!(
        mocks
            .servers
            .log()
            .document_fetches(Server::AuthorizationServer)
            .is_empty()
    );
}

#[tokio::test]
async fn the_token_endpoint_refuses_a_code_once_the_document_is_gone() {
    let site = DocumentSite::start().await;
    let mocks = start_cimd(&[&site.origin]).await;
    let client_id = site.url("client.json");
    let response = authorize_at(
        &mocks,
        &mocks.endpoint("authorize"),
        &authorization_params(&client_id, "mcp:tools"),
    )
    .await;
    let code = redirect_params(&response)["code"].clone();

    site.online.store(false, Ordering::SeqCst);
    let response = token_at(
        &mocks,
        &mocks.endpoint("token"),
        &redemption_form(&client_id, &code),
    )
    .await;
    let description =
        assert_oauth_error(response, StatusCode::UNAUTHORIZED, "invalid_client").await;
    assert!(description.contains("HTTP 404"), "{description}");
}

// ---------------------------------------------------------------------------------------------
// 5. Scopes and step-up
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_token_without_the_required_scope_gets_403_insufficient_scope() {
    let mut config = MockConfig::default();
    config.resource_server.required_scope = Some("mcp:admin".to_owned());
    let mocks = start(config).await;

    let narrow = obtain_access_token(&mocks, "mcp:tools").await;
    let response = mcp_initialize(&mocks, Some(&narrow)).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let challenge = www_authenticate(&response);
    let prm = format!(
        "{}/.well-known/oauth-protected-resource/mcp",
        mocks.resource_origin()
    );
    assert!(
        challenge.starts_with("Bearer error=\"insufficient_scope\", scope=\"mcp:admin\""),
        "{challenge}"
    );
    assert!(
        challenge.contains(&format!("resource_metadata=\"{prm}\"")),
        "{challenge}"
    );

    // Step up: ask again with the scope the challenge named.
    let wide = obtain_access_token(&mocks, "mcp:tools mcp:admin").await;
    assert_eq!(jwt_claims(&wide)["scope"], "mcp:tools mcp:admin");
    assert_initialized(mcp_initialize(&mocks, Some(&wide)).await).await;

    let missing = mcp_initialize(&mocks, None).await;
    assert_eq!(
        missing.status(),
        StatusCode::UNAUTHORIZED,
        "no token is still 401"
    );
}

#[tokio::test]
async fn first_missing_names_one_lacking_scope_per_403_and_withheld_scopes_are_never_granted() {
    let mut config = MockConfig::default();
    config.authorization_server.withhold_scopes = vec!["mcp:billing".to_owned()];
    config.resource_server.required_scope = Some("mcp:admin mcp:billing".to_owned());
    config.resource_server.insufficient_scope_challenge = InsufficientScopeChallenge::FirstMissing;
    let mocks = start(config).await;

    let narrow = obtain_access_token(&mocks, "mcp:tools").await;
    let challenge = www_authenticate(&mcp_initialize(&mocks, Some(&narrow)).await);
    assert!(challenge.contains("scope=\"mcp:admin\","), "{challenge}");

    // Asked for everything, the token lacks the withheld scope, and the next 403 names it.
    let stepped_up = obtain_access_token(&mocks, "mcp:tools mcp:admin mcp:billing").await;
    assert_eq!(jwt_claims(&stepped_up)["scope"], "mcp:tools mcp:admin");
    let response = mcp_initialize(&mocks, Some(&stepped_up)).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let challenge = www_authenticate(&response);
    assert!(challenge.contains("scope=\"mcp:billing\","), "{challenge}");

    // Only withheld scopes asked for: the token carries no scope at all.
    let nothing = obtain_access_token(&mocks, "mcp:billing").await;
    assert_eq!(jwt_claims(&nothing).get("scope"), None);
}

#[tokio::test]
async fn without_the_knob_the_403_names_the_whole_required_scope() {
    let mut config = MockConfig::default();
    config.resource_server.required_scope = Some("mcp:admin mcp:billing".to_owned());
    let mocks = start(config).await;
    let token = obtain_access_token(&mocks, "mcp:admin").await;
    let challenge = www_authenticate(&mcp_initialize(&mocks, Some(&token)).await);
    assert!(
        challenge.contains("scope=\"mcp:admin mcp:billing\","),
        "{challenge}"
    );
}

#[tokio::test]
async fn challenge_scope_puts_scope_in_every_401_challenge() {
    let mut config = MockConfig::default();
    config.resource_server.challenge_scope = Some("mcp:tools mcp:admin".to_owned());
    let mocks = start(config).await;
    let prm = format!(
        "{}/.well-known/oauth-protected-resource/mcp",
        mocks.resource_origin()
    );

    let response = mcp_initialize(&mocks, None).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        www_authenticate(&response),
        format!("Bearer scope=\"mcp:tools mcp:admin\", resource_metadata=\"{prm}\"")
    );
    let response = mcp_initialize(&mocks, Some("not-a-jwt")).await;
    let challenge = www_authenticate(&response);
    assert!(challenge.contains("error=\"invalid_token\""), "{challenge}");
    assert!(
        challenge.contains("scope=\"mcp:tools mcp:admin\""),
        "{challenge}"
    );
}

#[tokio::test]
async fn strict_scopes_refuses_an_unlisted_scope_with_invalid_scope() {
    let mut config = MockConfig::default();
    config.authorization_server.strict_scopes = true;
    let mocks = start(config).await;
    let client_id = register_public_client_at(&mocks, &mocks.endpoint("register")).await;
    let response = authorize_at(
        &mocks,
        &mocks.endpoint("authorize"),
        &authorization_params(&client_id, "mcp:tools offline_access"),
    )
    .await;
    let params = redirect_params(&response);
    assert_eq!(
        params.get("error").map(String::as_str),
        Some("invalid_scope")
    );
    assert!(
        params["error_description"].contains("offline_access"),
        "{params:?}"
    );
    assert_eq!(params.get("state").map(String::as_str), Some(STATE));
    assert_eq!(params.get("iss"), Some(&mocks.servers.issuer()));
    assert!(!params.contains_key("code"));

    // Listed, the same scope is granted.
    let mut config = MockConfig::default();
    config.authorization_server.strict_scopes = true;
    config.authorization_server.scopes_supported =
        vec!["mcp:tools".to_owned(), "offline_access".to_owned()];
    let listed = start(config).await;
    let token = obtain_access_token(&listed, "mcp:tools offline_access").await;
    assert_eq!(jwt_claims(&token)["scope"], "mcp:tools offline_access");
}

#[tokio::test]
async fn without_strict_scopes_any_requested_scope_is_granted() {
    let mocks = start(MockConfig::default()).await;
    let token = obtain_access_token(&mocks, "mcp:tools offline_access").await;
    assert_eq!(jwt_claims(&token)["scope"], "mcp:tools offline_access");
}

// ---------------------------------------------------------------------------------------------
// 6. RFC 9207: advertised or not, sent or not
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn iss_advertisement_and_iss_parameter_give_four_independent_cases() {
    for (advertise, sent) in [(true, true), (true, false), (false, true), (false, false)] {
        let mut config = MockConfig::default();
        config.authorization_server.advertise_iss_parameter = advertise;
        config.authorization_server.iss_parameter = if sent {
            IssParameter::Correct
        } else {
            IssParameter::Omit
        };
        let mocks = start(config).await;
        let url = mocks
            .servers
            .auth_server()
            .metadata_url()
            .expect("metadata");
        let metadata = json_body(mocks.get(&url).await).await;
        assert_eq!(
            metadata
                .get("authorization_response_iss_parameter_supported")
                .and_then(Value::as_bool),
            advertise.then_some(true),
            "advertise={advertise}"
        );

        let client_id = register_public_client_at(&mocks, &mocks.endpoint("register")).await;
        let response = authorize_at(
            &mocks,
            &mocks.endpoint("authorize"),
            &authorization_params(&client_id, "mcp:tools"),
        )
        .await;
        let params = redirect_params(&response);
        assert_eq!(
            params.get("iss"),
            sent.then(|| mocks.servers.issuer()).as_ref(),
            "sent={sent}"
        );
    }
}

#[tokio::test]
async fn iss_trailing_slash_sends_the_issuer_with_a_slash_appended() {
    let mut config = MockConfig::default();
    config.authorization_server.iss_parameter = IssParameter::TrailingSlash;
    let mocks = start(config).await;
    let issuer = mocks.servers.issuer();
    let client_id = register_public_client_at(&mocks, &mocks.endpoint("register")).await;
    let response = authorize_at(
        &mocks,
        &mocks.endpoint("authorize"),
        &authorization_params(&client_id, "mcp:tools"),
    )
    .await;
    let params = redirect_params(&response);
    assert_eq!(params.get("iss"), Some(&format!("{issuer}/")));
    assert!(params.contains_key("code"), "{params:?}");
    // The same URL once parsed (RFC 3986 normalization), which is why only a string comparison
    // tells them apart.
    assert_eq!(
        Url::parse(&params["iss"]).expect("iss is a URL"),
        Url::parse(&issuer).expect("issuer is a URL")
    );
}

// ---------------------------------------------------------------------------------------------
// 7. Registration responses a client must follow
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn registration_auth_method_makes_every_client_confidential_whatever_it_asked() {
    let mut config = MockConfig::default();
    config.authorization_server.registration_auth_method =
        Some(TokenEndpointAuthMethod::ClientSecretBasic);
    config.authorization_server.token_endpoint_auth_methods =
        vec![TokenEndpointAuthMethod::ClientSecretBasic];
    let mocks = start(config).await;

    let response = register_at(
        &mocks,
        &mocks.endpoint("register"),
        json!({ "redirect_uris": [REDIRECT_URI], "token_endpoint_auth_method": "none" }),
    )
    .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let body = json_body(response).await;
    assert_eq!(body["token_endpoint_auth_method"], "client_secret_basic");
    let client_id = body["client_id"].as_str().expect("client_id").to_owned();
    let secret = body["client_secret"]
        .as_str()
        .expect("a client_secret")
        .to_owned();
    assert_eq!(
        mocks
            .servers
            .auth_server()
            .registered_client(&client_id)
            .map(|c| c.token_endpoint_auth_method),
        Some(TokenEndpointAuthMethod::ClientSecretBasic)
    );

    let authorize_url = mocks.endpoint("authorize");
    let code = |response: reqwest::Response| redirect_params(&response)["code"].clone();
    let params = authorization_params(&client_id, "mcp:tools");

    // As a public client, the way it asked to be registered: refused.
    let first = code(authorize_at(&mocks, &authorize_url, &params).await);
    let response = token_at(
        &mocks,
        &mocks.endpoint("token"),
        &redemption_form(&client_id, &first),
    )
    .await;
    assert_oauth_error(response, StatusCode::UNAUTHORIZED, "invalid_client").await;

    // As the registration response said: accepted.
    let second = code(authorize_at(&mocks, &authorize_url, &params).await);
    let mut form = redemption_form(&client_id, &second);
    form.retain(|(name, _)| *name != "client_id");
    let response = mocks
        .http
        .post(mocks.endpoint("token"))
        .basic_auth(&client_id, Some(&secret))
        .form(&form)
        .send()
        .await
        .expect("token request");
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn require_application_type_refuses_registration_without_web_or_native() {
    let mut config = MockConfig::default();
    config.authorization_server.require_application_type = true;
    let mocks = start(config).await;
    let url = mocks.endpoint("register");

    let without = register_at(&mocks, &url, json!({ "redirect_uris": [REDIRECT_URI] })).await;
    let description =
        assert_oauth_error(without, StatusCode::BAD_REQUEST, "invalid_client_metadata").await;
    assert!(description.contains("application_type"), "{description}");
    let unknown = register_at(
        &mocks,
        &url,
        json!({ "redirect_uris": [REDIRECT_URI], "application_type": "desktop" }),
    )
    .await;
    assert_oauth_error(unknown, StatusCode::BAD_REQUEST, "invalid_client_metadata").await;

    let native = register_at(
        &mocks,
        &url,
        json!({ "redirect_uris": [REDIRECT_URI], "application_type": "native" }),
    )
    .await;
    assert_eq!(native.status(), StatusCode::CREATED);
    let body = json_body(native).await;
    assert_eq!(body["application_type"], "native");
    let client = mocks
        .servers
        .auth_server()
        .registered_client(body["client_id"].as_str().expect("client_id"))
        .expect("registered");
    assert_eq!(client.application_type.as_deref(), Some("native"));

    // Without the knob, application_type stays optional.
    let lenient = start(MockConfig::default()).await;
    let response = register_at(
        &lenient,
        &lenient.endpoint("register"),
        json!({ "redirect_uris": [REDIRECT_URI] }),
    )
    .await;
    assert_eq!(response.status(), StatusCode::CREATED);
}

// ---------------------------------------------------------------------------------------------
// 8. The protected-resource metadata moves to another authorization server
// ---------------------------------------------------------------------------------------------

fn alternate_config() -> MockConfig {
    let mut config = MockConfig::default();
    config.resource_server.alternate_authorization_server = true;
    config.authorization_server.clients = vec![PreregisteredClient {
        client_id: "byo-app".to_owned(),
        client_secret: None,
        redirect_uris: vec![REDIRECT_URI.to_owned()],
    }];
    config
}

async fn prm_authorization_servers(mocks: &Mocks) -> Value {
    let url = mocks.servers.resource_server().metadata_url().expect("PRM");
    json_body(mocks.get(&url).await).await["authorization_servers"].clone()
}

#[tokio::test]
async fn without_the_knob_there_is_no_authorization_server_to_switch_to() {
    let mocks = start(MockConfig::default()).await;
    let issuer = mocks.servers.issuer();
    assert!(mocks.servers.alternate_auth_server().is_none());
    assert!(!mocks.servers.switch_authorization_server());
    assert_eq!(mocks.servers.issuer(), issuer);
    assert_eq!(prm_authorization_servers(&mocks).await, json!([issuer]));
}

#[tokio::test]
async fn switching_moves_the_metadata_and_the_trust_to_the_alternate_server() {
    let mocks = start(alternate_config()).await;
    let first = mocks.servers.auth_server().issuer();
    let alternate = mocks
        .servers
        .alternate_auth_server()
        .expect("an alternate")
        .issuer();
    assert_ne!(first, alternate);
    assert_eq!(mocks.servers.issuer(), first);
    assert_eq!(prm_authorization_servers(&mocks).await, json!([first]));

    let first_client = register_public_client_at(&mocks, &format!("{first}/register")).await;
    let first_token = access_token_at(&mocks, &first, &first_client, "mcp:tools").await;
    assert_initialized(mcp_initialize(&mocks, Some(&first_token)).await).await;

    assert!(mocks.servers.switch_authorization_server());
    assert_eq!(mocks.servers.issuer(), alternate);
    assert_eq!(prm_authorization_servers(&mocks).await, json!([alternate]));

    let rejected = mcp_initialize(&mocks, Some(&first_token)).await;
    assert_eq!(rejected.status(), StatusCode::UNAUTHORIZED);
    let challenge = www_authenticate(&rejected);
    assert!(challenge.contains("error=\"invalid_token\""), "{challenge}");
    assert!(
        challenge.contains("issued by another authorization server"),
        "{challenge}"
    );

    // Clients of the first server, registered or pre-registered, are unknown at the second.
    for client_id in [first_client.as_str(), "byo-app"] {
        let response = authorize_at(
            &mocks,
            &format!("{alternate}/authorize"),
            &authorization_params(client_id, "mcp:tools"),
        )
        .await;
        assert_error_page(response, "Unknown client").await;
    }

    let token = obtain_access_token(&mocks, "mcp:tools").await;
    assert_eq!(jwt_claims(&token)["iss"], alternate);
    assert_initialized(mcp_initialize(&mocks, Some(&token)).await).await;

    let log = mocks.servers.log();
    assert_eq!(log.requests_to(Server::AuthorizationServer, "/register"), 1);
    assert_eq!(
        log.requests_to(Server::AlternateAuthorizationServer, "/register"),
        1
    );
    assert_eq!(
        log.requests_to(Server::AlternateAuthorizationServer, "/authorize"),
        3
    );
    let secrets = mocks.servers.issued_secrets();
    assert!(secrets.contains(&first_token) && secrets.contains(&token));
}
