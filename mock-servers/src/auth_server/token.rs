//! The token endpoint: authorization_code and refresh_token grants (RFC 6749 §4.1.3, §6),
//! client authentication (§2.3), PKCE verification (RFC 7636 §4.6).

use std::collections::HashMap;

use axum::Extension;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use bytes::Bytes;
use serde::Serialize;
use serde_json::json;
use sha2::{Digest, Sha256};

use super::error::OAuthError;
use super::keys::{ALGORITHM, KEY_ID};
use super::store::{Client, RefreshGrant, random_token};
use super::{AuthServer, ClientLookup};
use crate::config::{
    ClientAuthReading, ExpiresInForm, TokenEndpointAuthMethod, TokenResponseFormat,
    UnknownClientAnswer,
};
use crate::recording_layer::{BodyReadAsForm, ClientAuthenticationSeen, GrantTypeSeen};
use crate::request_log::ClientAuthentication;
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

/// How a token request authenticates its client, as this server reads it
/// (`client-auth-reading`): the one reading both the check and the request log use.
struct Presented {
    client_id: String,
    secret: Option<String>,
    method: TokenEndpointAuthMethod,
}

/// Reads the request's client authentication; an error for a request this server refuses
/// before it looks at the client (a malformed header, two methods at once).
fn presented(
    server: &AuthServer,
    headers: &HeaderMap,
    params: &HashMap<String, String>,
) -> Result<Presented, OAuthError> {
    // The scheme is case-insensitive (RFC 9110 §11.1).
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("basic"))
        .map(|(_, credentials)| parse_basic(credentials))
        .transpose()?;
    let body_client_id = params.get("client_id");
    match server.config().client_auth_reading {
        ClientAuthReading::RefuseBoth if basic.is_some() && body_client_id.is_some() => {
            return Err(OAuthError::invalid_request(
                "client credentials were given both in the Authorization header and in the body",
            ));
        }
        ClientAuthReading::BodyClientIdOnly if basic.is_some() && body_client_id.is_none() => {
            return Err(OAuthError::invalid_client("missing client_id"));
        }
        _ => {}
    }
    let asserted = params.contains_key("client_assertion");
    let presented = match (&basic, params.get("client_secret"), asserted) {
        (Some(_), Some(_), _) | (Some(_), _, true) | (_, Some(_), true) => {
            return Err(OAuthError::invalid_request(
                "the client authenticated with more than one method",
            ));
        }
        (Some((id, secret)), None, false) => Presented {
            client_id: match server.config().client_auth_reading {
                // The header's client ID is never read, only its secret.
                ClientAuthReading::BodyClientIdOnly => body_client_id.cloned().unwrap_or_default(),
                _ => id.clone(),
            },
            secret: Some(secret.clone()),
            method: TokenEndpointAuthMethod::ClientSecretBasic,
        },
        (None, Some(secret), false) => Presented {
            client_id: body_client_id.cloned().unwrap_or_default(),
            secret: Some(secret.clone()),
            method: TokenEndpointAuthMethod::ClientSecretPost,
        },
        (None, None, true) => Presented {
            client_id: body_client_id
                .cloned()
                .or_else(|| assertion_subject(params))
                .unwrap_or_default(),
            secret: None,
            method: TokenEndpointAuthMethod::PrivateKeyJwt,
        },
        (None, None, false) => Presented {
            client_id: body_client_id.cloned().unwrap_or_default(),
            secret: None,
            method: TokenEndpointAuthMethod::None,
        },
    };
    Ok(presented)
}

/// The `sub` of a client assertion, unverified: only to name the client in the log and an
/// error; the assertion itself is verified before it is believed.
fn assertion_subject(params: &HashMap<String, String>) -> Option<String> {
    let payload = params.get("client_assertion")?.split('.').nth(1)?;
    let claims: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).ok()?).ok()?;
    claims.get("sub")?.as_str().map(str::to_owned)
}

/// A token request's client authentication: the client when it holds, and the record of what
/// was presented and what the server holds for that client, for the request log.
pub(super) struct Authentication {
    pub outcome: Result<Client, OAuthError>,
    pub record: Option<ClientAuthentication>,
}

/// Identifies the client, enforcing the one authentication method it is registered with.
pub(super) async fn authenticate(
    server: &AuthServer,
    log: &RequestLog,
    headers: &HeaderMap,
    params: &HashMap<String, String>,
) -> Result<Client, OAuthError> {
    authenticate_recorded(server, log, headers, params)
        .await
        .outcome
}

/// [`authenticate`], with the record of what was presented.
pub(super) async fn authenticate_recorded(
    server: &AuthServer,
    log: &RequestLog,
    headers: &HeaderMap,
    params: &HashMap<String, String>,
) -> Authentication {
    let presented = match presented(server, headers, params) {
        Ok(presented) => presented,
        Err(refused) => {
            return Authentication {
                outcome: Err(refused),
                record: None,
            };
        }
    };
    let found = server.find_client(log, &presented.client_id).await;
    let record = Some(ClientAuthentication {
        client_id: presented.client_id.clone(),
        method: presented.method.as_str().to_owned(),
        registered: found
            .as_ref()
            .ok()
            .map(|client| client.auth_method.as_str().to_owned()),
    });
    let outcome = match found {
        Ok(client) => check(server, params, &presented, client),
        Err(ClientLookup::Unknown) => Err(unknown_client(server, &presented.client_id)),
        Err(ClientLookup::Document(error)) => Err(OAuthError::invalid_client(error.to_string())),
    };
    Authentication { outcome, record }
}

/// The client, when it authenticated with the method it is registered with.
fn check(
    server: &AuthServer,
    params: &HashMap<String, String>,
    presented: &Presented,
    client: Client,
) -> Result<Client, OAuthError> {
    if presented.method != client.auth_method {
        return Err(OAuthError::invalid_client(format!(
            "client {:?} must authenticate with {}, not {}",
            presented.client_id,
            client.auth_method.as_str(),
            presented.method.as_str()
        )));
    }
    if presented.method == TokenEndpointAuthMethod::PrivateKeyJwt {
        let asserted = super::grants::assertion_client(server, params)?;
        if asserted.id != client.id {
            return Err(OAuthError::invalid_client(
                "the client assertion names another client than client_id",
            ));
        }
        return Ok(client);
    }
    if client.secret.is_some() && client.secret != presented.secret {
        return Err(OAuthError::invalid_client("client authentication failed"));
    }
    Ok(client)
}

/// An unknown client, answered as `unknown-client-answer` says.
fn unknown_client(server: &AuthServer, client_id: &str) -> OAuthError {
    match server.config().unknown_client_answer {
        UnknownClientAnswer::InvalidClient => {
            OAuthError::invalid_client(format!("unknown client {client_id:?}"))
        }
        UnknownClientAnswer::InvalidGrant => {
            OAuthError::invalid_grant(format!("client_id {client_id:?} not found"))
        }
        UnknownClientAnswer::UnrecognizedClientId422 => {
            OAuthError::message_only(StatusCode::UNPROCESSABLE_ENTITY, "Unrecognized client_id")
        }
    }
}

/// RFC 6749 §2.3.1: `Basic base64(urlencode(id):urlencode(secret))`.
fn parse_basic(encoded: &str) -> Result<(String, String), OAuthError> {
    let bad = || OAuthError::invalid_client("malformed Basic authorization header");
    let decoded = STANDARD.decode(encoded.trim()).map_err(|_| bad())?;
    let decoded = String::from_utf8(decoded).map_err(|_| bad())?;
    let (id, secret) = decoded.split_once(':').ok_or_else(bad)?;
    let unescape = |s: &str| {
        url::form_urlencoded::parse(format!("v={s}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    };
    Ok((unescape(id), unescape(secret)))
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
        if !usable {
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
        {
            old.active = false;
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
fn issue_for(
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
