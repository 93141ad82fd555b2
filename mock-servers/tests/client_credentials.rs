//! The client credentials grant on real loopback servers: a secret over HTTP Basic, and
//! `private_key_jwt` assertions verified for signature, iss/sub, aud, exp and jti replay.

mod common;

use common::{Mocks, start};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use mcp_oauth_mocks::MockConfig;
use mcp_oauth_mocks::clock::Clock;
use mcp_oauth_mocks::config::{ClientAssertionKey, PreregisteredClient, TokenEndpointAuthMethod};
use reqwest::StatusCode;
use serde_json::{Value, json};

const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

fn machine_config(method: TokenEndpointAuthMethod) -> MockConfig {
    let mut config = MockConfig::default();
    let auth = &mut config.authorization_server;
    auth.client_credentials = true;
    auth.dynamic_registration = false;
    auth.token_endpoint_auth_methods = vec![method];
    auth.clients = vec![PreregisteredClient {
        client_id: "machine".into(),
        client_secret: (method == TokenEndpointAuthMethod::ClientSecretBasic)
            .then(|| "machine-secret-0123".into()),
        redirect_uris: Vec::new(),
    }];
    config
}

async fn basic(mocks: &Mocks, secret: &str) -> (StatusCode, Value) {
    let response = mocks
        .http
        .post(mocks.endpoint("token"))
        .basic_auth("machine", Some(secret))
        .form(&[("grant_type", "client_credentials"), ("scope", "mcp:tools")])
        .send()
        .await
        .expect("token request");
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn assertion(mocks: &Mocks, claims: Value) -> String {
    let pem = mocks
        .servers
        .auth_server()
        .client_assertion_key_pem()
        .expect("pem");
    let key = EncodingKey::from_ed_pem(pem.as_bytes()).expect("handed-out key");
    jsonwebtoken::encode(&Header::new(Algorithm::EdDSA), &claims, &key).expect("signed")
}

fn claims(mocks: &Mocks, jti: &str) -> Value {
    let now = mocks.clock.unix_seconds();
    json!({ "iss": "machine", "sub": "machine", "aud": mocks.servers.issuer(), "iat": now, "exp": now + 300, "jti": jti })
}

async fn asserted(mocks: &Mocks, assertion: &str) -> (StatusCode, Value) {
    mocks
        .token(&[
            ("grant_type", "client_credentials"),
            ("client_assertion_type", ASSERTION_TYPE),
            ("client_assertion", assertion),
        ])
        .await
}

#[tokio::test]
async fn a_basic_authenticated_client_gets_a_token_without_a_refresh_token() {
    let mocks = start(machine_config(TokenEndpointAuthMethod::ClientSecretBasic)).await;
    let metadata: Value = mocks
        .http
        .get(
            mocks
                .servers
                .auth_server()
                .metadata_url()
                .expect("metadata"),
        )
        .send()
        .await
        .expect("metadata")
        .json()
        .await
        .expect("json");
    assert_eq!(
        metadata["grant_types_supported"],
        json!(["authorization_code", "refresh_token", "client_credentials"])
    );
    let (status, body) = basic(&mocks, "machine-secret-0123").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["access_token"].is_string(), "{body}");
    assert_eq!(body["scope"], "mcp:tools");
    assert!(body.get("refresh_token").is_none(), "{body}");

    let (status, body) = basic(&mocks, "wrong-secret").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(body["error"], "invalid_client");
}

#[tokio::test]
async fn without_the_knob_the_grant_is_unsupported() {
    let mut config = machine_config(TokenEndpointAuthMethod::ClientSecretBasic);
    config.authorization_server.client_credentials = false;
    let mocks = start(config).await;
    let (status, body) = basic(&mocks, "machine-secret-0123").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"], "unsupported_grant_type");
}

#[tokio::test]
async fn a_signed_assertion_authenticates_once_and_its_replay_is_refused() {
    let mocks = start(machine_config(TokenEndpointAuthMethod::PrivateKeyJwt)).await;
    let jwt = assertion(&mocks, claims(&mocks, "jti-1"));
    let (status, body) = asserted(&mocks, &jwt).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["access_token"].is_string(), "{body}");

    let (status, body) = asserted(&mocks, &jwt).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(body["error"], "invalid_client");
    assert!(
        body["error_description"]
            .as_str()
            .is_some_and(|d| d.contains("used before")),
        "{body}"
    );

    // The token endpoint is an audience as good as the issuer.
    let mut to_endpoint = claims(&mocks, "jti-2");
    to_endpoint["aud"] = json!([mocks.endpoint("token")]);
    let (status, body) = asserted(&mocks, &assertion(&mocks, to_endpoint)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn assertions_with_a_wrong_claim_are_refused_naming_it() {
    let mocks = start(machine_config(TokenEndpointAuthMethod::PrivateKeyJwt)).await;
    let now = mocks.clock.unix_seconds();
    let cases = [
        ("aud", json!("https://elsewhere.example"), "aud"),
        ("exp", json!(now), "expired"),
        ("sub", json!("someone-else"), "iss and sub differ"),
        ("iss", json!("stranger"), "iss and sub differ"),
    ];
    for (i, (claim, value, named)) in cases.into_iter().enumerate() {
        let mut wrong = claims(&mocks, &format!("jti-{i}"));
        wrong[claim] = value;
        let (status, body) = asserted(&mocks, &assertion(&mocks, wrong)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{claim}: {body}");
        assert!(
            body["error_description"]
                .as_str()
                .is_some_and(|d| d.contains(named)),
            "{claim}: {body}"
        );
    }
    let mut unknown = claims(&mocks, "jti-unknown");
    unknown["iss"] = json!("stranger");
    unknown["sub"] = json!("stranger");
    let (status, body) = asserted(&mocks, &assertion(&mocks, unknown)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    let (status, body) = mocks
        .token(&[
            ("grant_type", "client_credentials"),
            ("client_assertion", "x"),
        ])
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert!(
        body["error_description"]
            .as_str()
            .is_some_and(|d| d.contains("client_assertion_type")),
        "{body}"
    );
}

#[tokio::test]
async fn a_mismatched_registered_key_refuses_every_assertion() {
    let mut config = machine_config(TokenEndpointAuthMethod::PrivateKeyJwt);
    config.authorization_server.client_assertion_key = ClientAssertionKey::Mismatched;
    let mocks = start(config).await;
    let (status, body) = asserted(&mocks, &assertion(&mocks, claims(&mocks, "jti-1"))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert!(
        body["error_description"]
            .as_str()
            .is_some_and(|d| d.contains("does not verify")),
        "{body}"
    );
}

fn workload_config(token: mcp_oauth_mocks::config::WorkloadToken) -> MockConfig {
    let mut config = MockConfig::default();
    config.authorization_server.jwt_bearer = true;
    config.authorization_server.workload_token = token;
    config
}

async fn bearer(mocks: &Mocks, assertion: &str) -> (StatusCode, Value) {
    mocks
        .token(&[
            ("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
            ("assertion", assertion),
            ("client_id", "workload"),
        ])
        .await
}

#[tokio::test]
async fn a_workload_token_is_exchanged_once_and_its_replay_is_refused() {
    use mcp_oauth_mocks::config::WorkloadToken;
    let mocks = start(workload_config(WorkloadToken::Valid)).await;
    let token = mocks.servers.auth_server().workload_token().expect("token");
    let (status, body) = bearer(&mocks, &token).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["access_token"].is_string(), "{body}");
    assert!(body.get("refresh_token").is_none(), "{body}");
    let (status, body) = bearer(&mocks, &token).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"], "invalid_grant");
    // An assertion signed by anyone else is not the trusted issuer's.
    let forged = assertion(&mocks, claims(&mocks, "jti-forged"));
    let (status, body) = bearer(&mocks, &forged).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        body["error_description"]
            .as_str()
            .is_some_and(|d| d.contains("does not verify")),
        "{body}"
    );
}

#[tokio::test]
async fn expired_and_misaddressed_workload_tokens_are_refused_naming_why() {
    use mcp_oauth_mocks::config::WorkloadToken;
    for (form, named) in [
        (WorkloadToken::Expired, "expired"),
        (WorkloadToken::WrongAudience, "aud"),
    ] {
        let mocks = start(workload_config(form)).await;
        let token = mocks.servers.auth_server().workload_token().expect("token");
        let (status, body) = bearer(&mocks, &token).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{form:?}: {body}");
        assert_eq!(body["error"], "invalid_grant", "{form:?}");
        assert!(
            body["error_description"]
                .as_str()
                .is_some_and(|d| d.contains(named)),
            "{form:?}: {body}"
        );
    }
    let mocks = start(MockConfig::default()).await;
    let (status, body) = bearer(&mocks, "a.b.c").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"], "unsupported_grant_type");
}

#[tokio::test]
async fn the_identity_provider_exchanges_its_id_token_for_an_id_jag_the_grant_accepts() {
    use mcp_oauth_mocks::config::TokenExchange;
    let mut config = workload_config(mcp_oauth_mocks::config::WorkloadToken::Valid);
    config.authorization_server.token_exchange = TokenExchange::Issue;
    let mocks = start(config).await;
    let server = mocks.servers.auth_server();
    let id_token = server.idp_id_token().expect("id token");
    let issuer = mocks.servers.issuer();
    let exchange = |audience: String| {
        let id_token = id_token.clone();
        let endpoint = server.identity_provider_token_endpoint();
        let http = mocks.http.clone();
        async move {
            let response = http
                .post(endpoint)
                .form(&[
                    (
                        "grant_type",
                        "urn:ietf:params:oauth:grant-type:token-exchange",
                    ),
                    (
                        "requested_token_type",
                        "urn:ietf:params:oauth:token-type:id-jag",
                    ),
                    (
                        "subject_token_type",
                        "urn:ietf:params:oauth:token-type:id_token",
                    ),
                    ("subject_token", id_token.as_str()),
                    ("audience", audience.as_str()),
                    ("resource", "http://127.0.0.1:1/mcp"),
                ])
                .send()
                .await
                .expect("exchange");
            let status = response.status();
            (
                status,
                response.json::<Value>().await.unwrap_or(Value::Null),
            )
        }
    };
    let (status, body) = exchange("https://elsewhere.example".into()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"], "invalid_request");
    let (status, body) = exchange(issuer).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body["issued_token_type"],
        "urn:ietf:params:oauth:token-type:id-jag"
    );
    let id_jag = body["access_token"].as_str().expect("ID-JAG").to_owned();
    let (status, body) = bearer(&mocks, &id_jag).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}
