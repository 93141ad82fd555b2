//! The token endpoint: authorization_code and refresh_token grants (RFC 6749 §4.1.3, §6),
//! PKCE verification (RFC 7636 §4.6); client authentication (§2.3) is `client_auth`, minting
//! the tokens `issuance`.

use std::collections::HashMap;

use axum::Extension;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use bytes::Bytes;
use sha2::{Digest, Sha256};

use super::AuthServer;
use super::client_auth::authenticate_recorded;
use super::error::OAuthError;
use super::issuance::{issue, issue_for};
use super::store::{Client, RefreshGrant, Store};
use crate::config::TokenResponseFormat;
use crate::recording_layer::{BodyReadAsForm, ClientAuthenticationSeen, GrantTypeSeen};
use crate::request_log::RequestLog;

pub async fn token(
    State(server): State<AuthServer>,
    Extension(log): Extension<RequestLog>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let params = match parse_form(&body) {
        Ok(params) => params,
        Err(error) => {
            let mut refused = error.into_response();
            refused.extensions_mut().insert(BodyReadAsForm);
            return refused;
        }
    };
    let grant_type = params.get("grant_type").cloned().unwrap_or_default();
    let jkt = match super::dpop::binding(&server, &headers) {
        Ok(jkt) => jkt,
        Err(refused) => {
            let mut refused = *refused;
            refused.extensions_mut().insert(GrantTypeSeen(grant_type));
            refused.extensions_mut().insert(BodyReadAsForm);
            return refused;
        }
    };
    let jkt = jkt.as_deref();
    let mut record = None;
    let result = match grant_type.as_str() {
        "authorization_code" | "refresh_token" => {
            let authentication = authenticate_recorded(&server, &log, &headers, &params).await;
            record = authentication.record;
            authentication.outcome.and_then(|client| {
                if grant_type == "authorization_code" {
                    redeem_code(&server, &client, &params, jkt)
                } else {
                    refresh(&server, &client, &params, jkt)
                }
            })
        }
        "client_credentials" if server.config().client_credentials => {
            super::grants::client_credentials(&server, &log, &headers, &params).await
        }
        super::grants::JWT_BEARER if server.config().jwt_bearer => {
            super::grants::jwt_bearer(&server, &log, &headers, &params).await
        }
        "" => Err(OAuthError::invalid_request("grant_type is missing")),
        other => Err(OAuthError::new(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            format!("grant_type {other:?} is not supported"),
        )),
    };
    let response = result.unwrap_or_else(IntoResponse::into_response);
    let mut response = present(server.config(), &headers, response).await;
    if let Some(record) = record {
        response
            .extensions_mut()
            .insert(ClientAuthenticationSeen(record));
    }
    response.extensions_mut().insert(GrantTypeSeen(grant_type));
    response.extensions_mut().insert(BodyReadAsForm);
    response
}

/// The knobs about how an answer is worded rather than what it says: an error's status, and
/// a form-encoded body instead of JSON.
async fn present(
    config: &crate::config::AuthServerConfig,
    request: &HeaderMap,
    response: Response,
) -> Response {
    let error_status = config
        .token_error_status
        .and_then(|s| StatusCode::from_u16(s).ok())
        .filter(|_| response.status().is_client_error());
    let accepts_json = request
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.to_ascii_lowercase().contains("application/json"));
    let form = match config.token_response_format {
        TokenResponseFormat::Json => false,
        TokenResponseFormat::FormUnlessAcceptJson => !accepts_json,
        TokenResponseFormat::Form => true,
    };
    if error_status.is_none() && !form {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    if let Some(status) = error_status {
        parts.status = status;
    }
    let Ok(bytes) = axum::body::to_bytes(body, 1 << 20).await else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "cannot read the answer").into_response();
    };
    let body = match serde_json::from_slice::<serde_json::Value>(&bytes) {
        Ok(serde_json::Value::Object(fields)) if form => {
            let mut encoded = url::form_urlencoded::Serializer::new(String::new());
            for (name, value) in &fields {
                match value {
                    serde_json::Value::String(text) => encoded.append_pair(name, text),
                    other => encoded.append_pair(name, &other.to_string()),
                };
            }
            parts.headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/x-www-form-urlencoded"),
            );
            Bytes::from(encoded.finish())
        }
        _ => bytes,
    };
    Response::from_parts(parts, axum::body::Body::from(body))
}

fn parse_form(body: &[u8]) -> Result<HashMap<String, String>, OAuthError> {
    crate::form::parse_unique(body).map_err(|e| OAuthError::invalid_request(e.to_string()))
}

fn redeem_code(
    server: &AuthServer,
    client: &Client,
    params: &HashMap<String, String>,
    jkt: Option<&str>,
) -> Result<Response, OAuthError> {
    let code = params
        .get("code")
        .ok_or_else(|| OAuthError::invalid_request("code is missing"))?;
    let now = server.now();
    let (grant, family) = {
        let mut store = server.store();
        if !store.codes.contains_key(code) {
            return Err(OAuthError::invalid_grant("unknown authorization code"));
        }
        let family = store.new_family();
        let Some(grant) = store.codes.get_mut(code) else {
            return Err(OAuthError::invalid_grant("unknown authorization code"));
        };
        if grant.redeemed {
            // RFC 6749 §4.1.2: a code used twice revokes what it was exchanged for.
            let issued = grant.family;
            if let Some(issued) = issued {
                store.revoke_code_grant(issued);
            }
            return Err(OAuthError::invalid_grant(
                "authorization code was already used; the tokens issued for it are revoked",
            ));
        }
        grant.redeemed = true;
        grant.family = Some(family);
        (grant.clone(), family)
    };
    if now > grant.issued_at + server.config().code_lifetime_secs {
        return Err(OAuthError::invalid_grant("authorization code expired"));
    }
    if grant.client_id != client.id {
        return Err(OAuthError::invalid_grant(
            "authorization code was issued to another client",
        ));
    }
    if params.get("redirect_uri") != Some(&grant.redirect_uri) {
        return Err(OAuthError::invalid_grant(
            "redirect_uri does not match the authorization request",
        ));
    }
    let verifier = params
        .get("code_verifier")
        .ok_or_else(|| OAuthError::invalid_request("code_verifier is missing"))?;
    if URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())) != grant.code_challenge {
        return Err(OAuthError::invalid_grant(
            "code_verifier does not match the code_challenge",
        ));
    }
    if let Some(refused) = resource_policy(server, params) {
        return refused;
    }
    if let Some(resource) = requested_resource(server, params)
        && grant.resource.as_ref().is_some_and(|r| r != resource)
    {
        return Err(OAuthError::new(
            StatusCode::BAD_REQUEST,
            "invalid_target",
            "resource differs from the one in the authorization request",
        ));
    }
    let resource = requested_resource(server, params)
        .cloned()
        .or(grant.resource);
    let issued = issue(server, client, grant.scope, resource, Some(family), jkt);
    if issued.is_ok() {
        server.forget_after_token();
    }
    issued
}

/// The RFC 8707 `resource` of a token request, unless the server ignores it (with
/// `opaque-token-without-audience` only the authorization's `audience` counts, as at Auth0).
fn requested_resource<'a>(
    server: &AuthServer,
    params: &'a HashMap<String, String>,
) -> Option<&'a String> {
    if server.config().opaque_token_without_audience {
        None
    } else {
        params.get("resource")
    }
}

/// The knobs about RFC 8707 `resource` at the code exchange: refused when sent, or required.
fn resource_policy(
    server: &AuthServer,
    params: &HashMap<String, String>,
) -> Option<Result<Response, OAuthError>> {
    let config = server.config();
    let sent = params.contains_key("resource");
    if config.refuse_resource && sent {
        return Some(Err(OAuthError::new(
            StatusCode::BAD_REQUEST,
            "invalid_target",
            "AADSTS9010010: the resource parameter is not supported with the requested scopes",
        )));
    }
    let status = config.token_without_resource_status?;
    if sent {
        return None;
    }
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let error = if status.is_server_error() {
        "server_error"
    } else {
        config.token_without_resource_error.as_str()
    };
    let body = serde_json::json!({
        "error": error,
        "error_description": "an audience (RFC 8707 resource) is required",
    });
    Some(Ok((status, axum::Json(body)).into_response()))
}

fn refresh(
    server: &AuthServer,
    client: &Client,
    params: &HashMap<String, String>,
    jkt: Option<&str>,
) -> Result<Response, OAuthError> {
    let token = params
        .get("refresh_token")
        .ok_or_else(|| OAuthError::invalid_request("refresh_token is missing"))?;
    let grant = {
        let mut store = server.store();
        if server.config().refresh_grant_server_error {
            return Err(OAuthError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "server_error",
                "Internal Server Error",
            ));
        }
        if store.refresh_unavailable_remaining > 0 {
            store.refresh_unavailable_remaining -= 1;
            return Err(OAuthError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "temporarily_unavailable",
                "the token service is briefly unavailable; retry",
            ));
        }
        let usable = store.refresh_token_usable(token).is_some();
        if !usable && server.config().invalid_refresh_token_unavailable {
            return Err(OAuthError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "temporarily_unavailable",
                "the token service cannot serve this request right now",
            ));
        }
        // RFC 6749 §5.2 says invalid_grant; the knob lets a server say something else.
        let dead = |description: &str| {
            OAuthError::new(
                StatusCode::BAD_REQUEST,
                server.config().invalid_refresh_token_error.code(),
                description,
            )
        };
        let Some(grant) = store.refresh_tokens.get(token).cloned() else {
            return Err(dead("unknown refresh token"));
        };
        let in_grace = in_reuse_grace(server, &store, &grant);
        if !usable && !in_grace {
            if server.config().rotate_refresh_tokens && !grant.active {
                // Reuse of a rotated-away token: treat as replay and revoke the family.
                store.revoke_family(grant.family);
                return Err(dead(
                    "refresh token was already used; the token family is revoked",
                ));
            }
            return Err(dead("refresh token is revoked"));
        }
        if grant.client_id != client.id {
            return Err(OAuthError::invalid_grant(
                "refresh token was issued to another client",
            ));
        }
        // RFC 9449 §5: a refresh token bound to a key is refreshed with a proof of that key.
        if let Some(bound) = &grant.jkt
            && jkt != Some(bound.as_str())
        {
            return Err(OAuthError::new(
                StatusCode::BAD_REQUEST,
                "invalid_dpop_proof",
                "the refresh token is bound to a DPoP key this request does not prove",
            ));
        }
        if server.config().rotate_refresh_tokens
            && let Some(old) = store.refresh_tokens.get_mut(token)
            && old.active
        {
            old.active = false;
            old.rotated_at = Some(server.now());
        }
        grant
    };
    let (scope, resource) = refresh_target(server, &grant, params)?;
    let rotate = server.config().rotate_refresh_tokens;
    issue_for(
        server,
        client,
        scope,
        resource,
        rotate.then(|| (grant.family, grant.scope.clone(), grant.resource.clone())),
        jkt,
    )
}

/// A rotated-away refresh token presented within the grace window after its rotation, its
/// family not revoked: honoured like the newest one (a second refresh racing the first).
fn in_reuse_grace(server: &AuthServer, store: &Store, grant: &RefreshGrant) -> bool {
    let grace = server.config().refresh_reuse_grace_secs;
    match grant.rotated_at {
        Some(at) if grace > 0 && !store.revoked_families.contains(&grant.family) => {
            server.now().saturating_sub(at) <= grace
        }
        _ => false,
    }
}

/// What a refreshed access token is for: the grant's scope and resource, or the narrower
/// `scope` (RFC 6749 §6: no scope beyond the grant's) and the `resource` (RFC 8707 §2.2) the
/// request names. A rotated refresh token keeps the whole grant.
fn refresh_target(
    server: &AuthServer,
    grant: &RefreshGrant,
    params: &HashMap<String, String>,
) -> Result<(Option<String>, Option<String>), OAuthError> {
    let scope = match params.get("scope") {
        Some(requested) => {
            let granted: Vec<&str> = grant.scope.as_deref().unwrap_or("").split(' ').collect();
            if !requested
                .split(' ')
                .filter(|s| !s.is_empty())
                .all(|s| granted.contains(&s))
            {
                return Err(OAuthError::new(
                    StatusCode::BAD_REQUEST,
                    "invalid_scope",
                    "the requested scope exceeds the scope of the grant",
                ));
            }
            Some(requested.clone())
        }
        None => grant.scope.clone(),
    };
    let resource = match requested_resource(server, params) {
        Some(_) if server.config().refuse_resource => {
            return Err(OAuthError::new(
                StatusCode::BAD_REQUEST,
                "invalid_target",
                "AADSTS9010010: the resource parameter is not supported with the requested scopes",
            ));
        }
        Some(resource) => Some(resource.clone()),
        None => grant.resource.clone(),
    };
    Ok((scope, resource))
}
