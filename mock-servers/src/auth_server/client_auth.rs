//! Client authentication at the token endpoint (RFC 6749 §2.3): what a request presents (a
//! Basic header, a secret in the body, an RFC 7523 assertion, or nothing), read as the
//! configuration says this server reads it, and checked against the one method the client is
//! registered with.

use std::collections::HashMap;

use axum::http::{HeaderMap, StatusCode, header};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};

use super::assertion::assertion_client;
use super::error::OAuthError;
use super::store::Client;
use super::{AuthServer, ClientLookup};
use crate::config::{ClientAuthReading, TokenEndpointAuthMethod, UnknownClientAnswer};
use crate::request_log::{ClientAuthentication, RequestLog};

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
        let asserted = assertion_client(server, params)?;
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
