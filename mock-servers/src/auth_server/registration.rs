//! RFC 7591 dynamic client registration, and RFC 7592 deletion of a registered client.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde::Deserialize;
use serde_json::json;

use super::AuthServer;
use super::error::OAuthError;
use super::store::{Client, random_token};
use crate::config::{LoopbackRedirectHost, RegistrationError, TokenEndpointAuthMethod};

#[derive(Debug, Deserialize)]
struct RegistrationRequest {
    #[serde(default)]
    redirect_uris: Option<Vec<String>>,
    #[serde(default)]
    token_endpoint_auth_method: Option<String>,
    #[serde(default)]
    client_name: Option<String>,
    #[serde(default)]
    grant_types: Option<Vec<String>>,
    #[serde(default)]
    application_type: Option<String>,
}

pub async fn register(State(server): State<AuthServer>, body: Bytes) -> Response {
    match try_register(&server, &body) {
        Ok(response) => response,
        Err(error) => error.into_response(),
    }
}

fn try_register(server: &AuthServer, body: &[u8]) -> Result<Response, OAuthError> {
    if let Some(status) = server.config().registration_failure_status {
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        return Ok(status.into_response());
    }
    if let Some(error) = server.config().registration_error {
        return Err(configured_refusal(error, body));
    }
    let request: RegistrationRequest = serde_json::from_slice(body).map_err(|e| {
        OAuthError::new(
            StatusCode::BAD_REQUEST,
            "invalid_client_metadata",
            format!("the registration body is not valid client metadata JSON: {e}"),
        )
    })?;
    let redirect_uris = request.redirect_uris.unwrap_or_default();
    validate_redirect_uris(
        &redirect_uris,
        server.config().accept_fragment_redirect_uris,
    )?;

    check_loopback_host(&redirect_uris, server.config().loopback_redirect_host)?;
    if server.config().require_refresh_grant_type {
        check_grant_types(request.grant_types.as_deref())?;
    }
    check_application_type(
        request.application_type.as_deref(),
        server.config().require_application_type,
    )?;
    let auth_method = match server.config().registration_auth_method {
        // The server decides, whatever the request asked for.
        Some(method) => method,
        None => requested_auth_method(server, request.token_endpoint_auth_method.as_deref())?,
    };

    let secret = (auth_method != TokenEndpointAuthMethod::None).then(|| random_token("cs_"));
    let mut store = server.store();
    let client_id = store.new_client_id();
    store.clients.insert(
        client_id.clone(),
        Client {
            id: client_id.clone(),
            secret: secret.clone(),
            redirect_uris: redirect_uris.clone(),
            auth_method,
            application_type: request.application_type.clone(),
        },
    );
    let management = server.config().registration_management.then(|| {
        let token = random_token("rat_");
        store
            .registration_access_tokens
            .insert(client_id.clone(), token.clone());
        (
            format!("{}/{client_id}", server.endpoint("register")),
            token,
        )
    });
    drop(store);

    let mut body = json!({
        "client_id": client_id,
        "client_id_issued_at": server.now(),
        "redirect_uris": redirect_uris,
        "token_endpoint_auth_method": auth_method.as_str(),
        "grant_types": request.grant_types.unwrap_or_else(|| vec!["authorization_code".into(), "refresh_token".into()]),
        "response_types": ["code"],
    });
    if let Some(name) = request.client_name {
        body["client_name"] = json!(name);
    }
    if let Some(application_type) = request.application_type {
        body["application_type"] = json!(application_type);
    }
    if let Some(secret) = secret {
        body["client_secret"] = json!(secret);
        if !server.config().omit_client_secret_expires_at {
            body["client_secret_expires_at"] = json!(0);
        }
    }
    if server.config().registration_response_nulls {
        body["grant_types"] = serde_json::Value::Null;
        body["response_types"] = serde_json::Value::Null;
        body["token_endpoint_auth_method"] = json!("");
    }
    if let Some((uri, token)) = management {
        body["registration_client_uri"] = json!(uri);
        body["registration_access_token"] = json!(token);
    }
    Ok((StatusCode::CREATED, axum::Json(body)).into_response())
}

/// RFC 7592 §2.3: DELETE on the client configuration endpoint with the registration access
/// token removes the client (204); a missing or wrong token is 401, as RFC 6750 answers it.
/// An unknown client is answered 401 too (§2: the server must not reveal which clients exist).
pub async fn delete(
    State(server): State<AuthServer>,
    Path(client_id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| {
            let (scheme, token) = value.split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
        });
    let mut store = server.store();
    let authorized = matches!(
        (store.registration_access_tokens.get(&client_id), presented),
        (Some(expected), Some(presented)) if expected == presented
    );
    if !authorized {
        drop(store);
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer error=\"invalid_token\"")],
        )
            .into_response();
    }
    store.delete_client(&client_id);
    StatusCode::NO_CONTENT.into_response()
}

/// The method the request asks for, if this server supports it (`none` always is).
fn requested_auth_method(
    server: &AuthServer,
    requested: Option<&str>,
) -> Result<TokenEndpointAuthMethod, OAuthError> {
    let unsupported = |name: &str| {
        OAuthError::new(
            StatusCode::BAD_REQUEST,
            "invalid_client_metadata",
            format!("token_endpoint_auth_method {name:?} is not supported"),
        )
    };
    let method = match requested {
        None | Some("none") => TokenEndpointAuthMethod::None,
        Some("client_secret_basic") => TokenEndpointAuthMethod::ClientSecretBasic,
        Some("client_secret_post") => TokenEndpointAuthMethod::ClientSecretPost,
        Some(other) => return Err(unsupported(other)),
    };
    if method != TokenEndpointAuthMethod::None
        && !server
            .config()
            .token_endpoint_auth_methods
            .contains(&method)
    {
        return Err(unsupported(method.as_str()));
    }
    Ok(method)
}

/// OpenID Connect Dynamic Client Registration §2: `application_type` is `web` or `native`;
/// `require-application-type` makes it mandatory.
fn check_application_type(given: Option<&str>, required: bool) -> Result<(), OAuthError> {
    let invalid =
        |why: String| OAuthError::new(StatusCode::BAD_REQUEST, "invalid_client_metadata", why);
    match given {
        None if required => Err(invalid(
            "application_type is required: \"web\" or \"native\"".to_owned(),
        )),
        Some(other) if required && other != "web" && other != "native" => Err(invalid(format!(
            "application_type {other:?} is not supported: use \"web\" or \"native\""
        ))),
        _ => Ok(()),
    }
}

/// The configured refusal, with a description worded as real servers word it, so that a client
/// can be judged on whether it passes the description on to the person who must act.
fn configured_refusal(error: RegistrationError, body: &[u8]) -> OAuthError {
    let description = match error {
        RegistrationError::InvalidRedirectUri => {
            let first_uri = serde_json::from_slice::<RegistrationRequest>(body)
                .ok()
                .and_then(|r| r.redirect_uris)
                .and_then(|uris| uris.into_iter().next())
                .unwrap_or_default();
            format!(
                "redirect URI {first_uri:?} is not allowed: this server only registers https redirect URIs on approved domains"
            )
        }
        RegistrationError::InvalidClientMetadata => {
            "token_endpoint_auth_method \"none\" is not allowed: only confidential clients may register"
                .to_owned()
        }
    };
    OAuthError::new(StatusCode::BAD_REQUEST, error.code(), description)
}

/// The `require-refresh-grant-type` knob: both grants, or the registration is refused.
fn check_grant_types(grant_types: Option<&[String]>) -> Result<(), OAuthError> {
    let has = |name: &str| grant_types.is_some_and(|g| g.iter().any(|t| t == name));
    if has("authorization_code") && has("refresh_token") {
        return Ok(());
    }
    Err(OAuthError::new(
        StatusCode::BAD_REQUEST,
        "invalid_client_metadata",
        "grant_types must include authorization_code and refresh_token",
    ))
}

/// The `loopback-redirect-host` knob: one spelling of this machine only.
fn check_loopback_host(uris: &[String], allowed: LoopbackRedirectHost) -> Result<(), OAuthError> {
    match uris.iter().find(|uri| !allowed.accepts(uri)) {
        Some(uri) => Err(OAuthError::new(
            StatusCode::BAD_REQUEST,
            "invalid_redirect_uri",
            format!(
                "redirect URI {uri:?} is not allowed: loopback redirect URIs must use {}",
                allowed.as_str()
            ),
        )),
        None => Ok(()),
    }
}

/// RFC 7591 §2: redirect URIs are absolute and carry no fragment (RFC 6749 §3.1.2).
fn validate_redirect_uris(uris: &[String], accept_fragments: bool) -> Result<(), OAuthError> {
    let invalid =
        |why: String| OAuthError::new(StatusCode::BAD_REQUEST, "invalid_redirect_uri", why);
    if uris.is_empty() {
        return Err(invalid("redirect_uris must list at least one URI".into()));
    }
    for uri in uris {
        let parsed = url::Url::parse(uri)
            .map_err(|e| invalid(format!("redirect URI {uri:?} is not absolute: {e}")))?;
        if parsed.fragment().is_some() && !accept_fragments {
            return Err(invalid(format!(
                "redirect URI {uri:?} has a fragment, which RFC 6749 §3.1.2 forbids"
            )));
        }
    }
    Ok(())
}
