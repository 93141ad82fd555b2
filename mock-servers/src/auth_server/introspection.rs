//! RFC 7662 token introspection, for the MCP server: is this token active? An access token is
//! active when this server signed it, it has not expired on the shared clock, and it was not
//! revoked (RFC 7009); a refresh token while it is usable. The caller authenticates with HTTP
//! Basic as the resource server (§2.1 requires the endpoint to be protected).

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use jsonwebtoken::Validation;
use serde::Deserialize;
use serde_json::{Value, json};

use super::AuthServer;
use super::error::OAuthError;
use super::keys::ALGORITHM;
use super::store::random_token;

/// The client ID the MCP server introspects as.
pub const RESOURCE_SERVER_CLIENT_ID: &str = "mcp-resource-server";

/// How the MCP server reaches and authenticates to the introspection endpoint.
#[derive(Debug, Clone)]
pub struct IntrospectionAccess {
    pub endpoint: String,
    pub client_id: String,
    pub client_secret: String,
}

impl IntrospectionAccess {
    pub(super) fn generate(endpoint: String) -> Self {
        Self {
            endpoint,
            client_id: RESOURCE_SERVER_CLIENT_ID.to_owned(),
            client_secret: random_token("rs_"),
        }
    }
}

#[derive(Debug, Deserialize)]
struct AccessClaims {
    iss: String,
    exp: u64,
    iat: u64,
    sub: String,
    client_id: String,
    #[serde(default)]
    aud: Option<String>,
    #[serde(default)]
    scope: Option<String>,
}

pub async fn introspect(
    State(server): State<AuthServer>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !authenticated(&server, &headers) {
        return OAuthError::invalid_client(
            "introspection is for the resource server: authenticate with HTTP Basic",
        )
        .into_response();
    }
    let Some(token) = url::form_urlencoded::parse(&body)
        .find(|(name, _)| name == "token")
        .map(|(_, value)| value.into_owned())
    else {
        return OAuthError::invalid_request("the token parameter is missing").into_response();
    };
    Json(answer(&server, &token)).into_response()
}

fn authenticated(server: &AuthServer, headers: &HeaderMap) -> bool {
    let access = server.introspection_access();
    let expected = STANDARD.encode(format!("{}:{}", access.client_id, access.client_secret));
    headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .is_some_and(|given| given == expected)
}

/// The §2.2 answer: the token's claims when active, else only `active: false` (an inactive
/// token's details are not disclosed).
fn answer(server: &AuthServer, token: &str) -> Value {
    let inactive = json!({ "active": false });
    let store = server.store();
    if let Some(grant) = store.refresh_token_usable(token) {
        let mut active = json!({
            "active": true,
            "token_type": "refresh_token",
            "client_id": grant.client_id,
        });
        if let Some(scope) = &grant.scope {
            active["scope"] = json!(scope);
        }
        return active;
    }
    if store.revoked_access_tokens.contains(token) {
        return inactive;
    }
    drop(store);
    let mut validation = Validation::new(ALGORITHM);
    // Expiry is judged on the shared (possibly simulated) clock below.
    validation.validate_exp = false;
    validation.validate_aud = false;
    validation.required_spec_claims.clear();
    let Ok(data) =
        jsonwebtoken::decode::<AccessClaims>(token, &server.keys().decoding_key(), &validation)
    else {
        return inactive;
    };
    let claims = data.claims;
    if claims.iss != server.issuer() || claims.exp <= server.now() {
        return inactive;
    }
    let mut active = json!({
        "active": true,
        "token_type": "Bearer",
        "iss": claims.iss,
        "sub": claims.sub,
        "client_id": claims.client_id,
        "aud": claims.aud,
        "scope": claims.scope,
        "iat": claims.iat,
        "exp": claims.exp,
    });
    if let Value::Object(fields) = &mut active {
        fields.retain(|_, value| !value.is_null());
    }
    active
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use axum::body::to_bytes;
    use axum::http::{HeaderValue, StatusCode, header};
    use serde_json::json;

    use super::*;
    use crate::auth_server::keys::{KEY_ID, SigningKeys};
    use crate::clock::SimulatedClock;
    use crate::config::AuthServerConfig;

    const ORIGIN: &str = "http://127.0.0.1:9";

    fn server(clock: &SimulatedClock) -> AuthServer {
        let keys = SigningKeys::generate().unwrap();
        AuthServer::new(
            AuthServerConfig::default(),
            ORIGIN.to_owned(),
            clock.shared(),
            keys,
        )
    }

    fn sign(keys: &SigningKeys, iss: &str, exp: u64) -> String {
        let mut header = jsonwebtoken::Header::new(ALGORITHM);
        header.kid = Some(KEY_ID.to_owned());
        let claims = json!({
            "iss": iss, "sub": "mock-user", "client_id": "c1", "aud": "http://127.0.0.1:9/mcp",
            "scope": "mcp:tools", "iat": exp - 60, "exp": exp,
        });
        keys.sign(&header, &claims).unwrap()
    }

    fn basic(server: &AuthServer) -> HeaderMap {
        let access = server.introspection_access();
        let credential = STANDARD.encode(format!("{}:{}", access.client_id, access.client_secret));
        let mut headers = HeaderMap::new();
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_str(&format!("Basic {credential}")).unwrap(),
        );
        headers
    }

    async fn ask(server: &AuthServer, headers: HeaderMap, token: &str) -> (StatusCode, Value) {
        let body = Bytes::from(format!("token={token}"));
        let response = introspect(State(server.clone()), headers, body).await;
        let status = response.status();
        let bytes = to_bytes(response.into_body(), 1 << 16).await.unwrap();
        (status, serde_json::from_slice(&bytes).unwrap())
    }

    #[tokio::test]
    async fn only_the_resource_server_may_introspect() {
        let server = server(&SimulatedClock::default());
        let (status, body) = ask(&server, HeaderMap::new(), "anything").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(body["error"], "invalid_client");
        let mut wrong = HeaderMap::new();
        wrong.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Basic bWNwLXJlc291cmNlLXNlcnZlcjp4"),
        );
        assert_eq!(
            ask(&server, wrong, "anything").await.0,
            StatusCode::UNAUTHORIZED
        );
        assert!(
            server
                .issued_secrets()
                .contains(&server.introspection_access().client_secret)
        );
    }

    #[tokio::test]
    async fn a_live_token_is_active_until_revoked_or_expired() {
        let clock = SimulatedClock::default();
        let server = server(&clock);
        let exp = server.now() + 60;
        let token = sign(server.keys(), &server.issuer(), exp);
        server.store().issued_access_tokens.insert(token.clone());

        let (status, body) = ask(&server, basic(&server), &token).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["active"], true);
        assert_eq!(body["scope"], "mcp:tools");
        assert_eq!(body["client_id"], "c1");
        assert_eq!(body["exp"], exp);

        // Expired on the shared clock: inactive, and nothing more is disclosed.
        clock.advance(Duration::from_secs(61)).unwrap();
        let (_, body) = ask(&server, basic(&server), &token).await;
        assert_eq!(body, json!({ "active": false }));

        // Revoked before it expires.
        let fresh = sign(server.keys(), &server.issuer(), server.now() + 60);
        server.store().issued_access_tokens.insert(fresh.clone());
        assert_eq!(ask(&server, basic(&server), &fresh).await.1["active"], true);
        let revoked = super::super::revocation::revoke(
            State(server.clone()),
            Bytes::from(format!("token={fresh}&token_type_hint=access_token")),
        )
        .await;
        assert_eq!(revoked.status(), StatusCode::OK);
        assert_eq!(
            ask(&server, basic(&server), &fresh).await.1,
            json!({ "active": false })
        );
    }

    #[tokio::test]
    async fn tokens_this_server_did_not_sign_are_inactive() {
        let server = server(&SimulatedClock::default());
        let other = SigningKeys::generate().unwrap();
        let forged = sign(&other, &server.issuer(), server.now() + 60);
        assert_eq!(
            ask(&server, basic(&server), &forged).await.1["active"],
            false
        );
        let elsewhere = sign(server.keys(), "http://127.0.0.1:10", server.now() + 60);
        assert_eq!(
            ask(&server, basic(&server), &elsewhere).await.1["active"],
            false
        );
        assert_eq!(
            ask(&server, basic(&server), "not-a-jwt").await.1["active"],
            false
        );
    }
}
