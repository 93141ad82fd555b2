//! Minting tokens: an access token signed with this server's key for a scope and a resource,
//! and a refresh token of the grant when one is due, answered in the form the configuration
//! asks (`expires_in` spelt as configured, JSON or form-encoded).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::json;

use super::AuthServer;
use super::error::OAuthError;
use super::keys::{ALGORITHM, KEY_ID};
use super::store::{Client, RefreshGrant, random_token};
use crate::config::ExpiresInForm;

/// Issues an access token (and a refresh token of `family` when one is due).
pub(super) fn issue(
    server: &AuthServer,
    client: &Client,
    scope: Option<String>,
    resource: Option<String>,
    refresh_family: Option<u64>,
    jkt: Option<&str>,
) -> Result<Response, OAuthError> {
    let refresh = refresh_family.map(|family| (family, scope.clone(), resource.clone()));
    issue_for(server, client, scope, resource, refresh, jkt)
}

/// Issues an access token for `scope` and `resource`, and a refresh token of the grant
/// `(family, scope, resource)` when one is due.
pub(super) fn issue_for(
    server: &AuthServer,
    client: &Client,
    scope: Option<String>,
    resource: Option<String>,
    refresh: Option<(u64, Option<String>, Option<String>)>,
    jkt: Option<&str>,
) -> Result<Response, OAuthError> {
    let config = server.config();
    let now = server.now();
    let claims = AccessClaims {
        iss: server.issuer(),
        sub: "mock-user",
        // A token requested without `resource` gets the configured audience, if any: one
        // not bound to the MCP server.
        aud: resource
            .as_deref()
            .or(config.audience_without_resource.as_deref()),
        client_id: &client.id,
        scope: scope.as_deref(),
        iat: now,
        exp: now + config.access_token_lifetime_secs,
        jti: random_token(""),
        cnf: jkt.map(|jkt| json!({ "jkt": jkt })),
    };
    let mut header = jsonwebtoken::Header::new(ALGORITHM);
    header.kid = Some(KEY_ID.to_owned());
    // Without an audience, Auth0 issues a token only its own userinfo endpoint understands.
    let access_token = if config.opaque_token_without_audience && resource.is_none() {
        random_token("")
    } else {
        server.keys().sign(&header, &claims).map_err(|e| {
            OAuthError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "server_error",
                format!("cannot sign the access token: {e}"),
            )
        })?
    };
    {
        let mut store = server.store();
        store.issued_access_tokens.insert(access_token.clone());
        if let Some((family, _, _)) = &refresh {
            store
                .access_tokens_by_family
                .entry(*family)
                .or_default()
                .push(access_token.clone());
        }
    }
    let mut body = json!({
        "access_token": access_token,
        "token_type": if jkt.is_some() { "DPoP" } else { config.token_type.as_str() },
    });
    let lifetime = config.access_token_lifetime_secs;
    match config.expires_in {
        ExpiresInForm::Number => body["expires_in"] = json!(lifetime),
        ExpiresInForm::String => body["expires_in"] = json!(lifetime.to_string()),
        ExpiresInForm::Omitted => {}
        ExpiresInForm::Zero => body["expires_in"] = json!(0),
    }
    if let Some(scope) = &scope {
        body["scope"] = json!(scope);
    }
    if let (true, Some((family, scope, resource))) = (config.issue_refresh_tokens, refresh) {
        let refresh_token = random_token("rt_");
        server.store().refresh_tokens.insert(
            refresh_token.clone(),
            RefreshGrant {
                client_id: client.id.clone(),
                scope,
                resource,
                family,
                active: true,
                rotated_at: None,
                jkt: jkt.map(str::to_owned),
            },
        );
        body["refresh_token"] = json!(refresh_token);
    }
    let mut response = axum::Json(body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    Ok(response)
}

#[derive(Serialize)]
struct AccessClaims<'a> {
    iss: String,
    sub: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    aud: Option<&'a str>,
    client_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    scope: Option<&'a str>,
    iat: u64,
    exp: u64,
    jti: String,
    /// RFC 9449 §6: the thumbprint of the DPoP key the token is bound to.
    #[serde(skip_serializing_if = "Option::is_none")]
    cnf: Option<serde_json::Value>,
}
