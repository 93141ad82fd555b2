//! The bearer-token layer in front of the MCP endpoint (RFC 6750, MCP authorization spec).

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use jsonwebtoken::Validation;
use serde::Deserialize;

use super::{ResourceServer, scope};
use crate::auth_server::keys::ALGORITHM;
use crate::config::{AudienceForm, BearerScheme, ChallengeForm};

#[derive(Debug, Deserialize)]
struct Claims {
    iss: String,
    exp: u64,
    #[serde(default)]
    aud: Option<String>,
    #[serde(default)]
    scope: Option<String>,
}

pub async fn require_bearer(
    State(server): State<ResourceServer>,
    request: Request,
    next: Next,
) -> Response {
    if server.config().allow_unauthenticated {
        return next.run(request).await;
    }
    let exact = server.config().bearer_scheme == BearerScheme::Exact;
    let token = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.split_once(' ').filter(|(scheme, _)| {
                if exact {
                    *scheme == "Bearer"
                } else {
                    scheme.eq_ignore_ascii_case("bearer")
                }
            })
        })
        .map(|(_, token)| token.trim().to_owned());
    let Some(token) = token else {
        if server.config().unauthenticated_methods.is_empty() {
            return unauthorized(&server, None);
        }
        return match open_method(&server, request).await {
            Ok(request) => next.run(request).await,
            Err(()) => unauthorized(&server, None),
        };
    };
    if server.config().refuse_all_tokens {
        return unauthorized(&server, Some("the access token is not accepted"));
    }
    let claims = match verify(&server, &token) {
        Ok(claims) => claims,
        Err(why) => return unauthorized(&server, Some(why)),
    };
    if let Some(required) = &server.config().required_scope
        && !scope::grants(claims.scope.as_deref(), required)
    {
        let config = server.config();
        let named = scope::challenged(
            config.insufficient_scope_challenge,
            claims.scope.as_deref(),
            required,
        );
        return insufficient_scope(&server, named);
    }
    next.run(request).await
}

/// The request back, when it is a JSON-RPC message (or batch, or a GET or DELETE of the
/// session) whose every method is one of `unauthenticated-methods`; notifications such as
/// `notifications/initialized` follow `initialize`. Anything else is challenged.
async fn open_method(server: &ResourceServer, request: Request) -> Result<Request, ()> {
    const MAX_BODY: usize = 1024 * 1024;
    let open = &server.config().unauthenticated_methods;
    let (parts, body) = request.into_parts();
    if parts.method != axum::http::Method::POST {
        return if open.iter().any(|m| m == "initialize") {
            Ok(Request::from_parts(parts, body))
        } else {
            Err(())
        };
    }
    let bytes = axum::body::to_bytes(body, MAX_BODY).await.map_err(|_| ())?;
    let message: serde_json::Value = serde_json::from_slice(&bytes).map_err(|_| ())?;
    let messages = match &message {
        serde_json::Value::Array(items) => items.iter().collect::<Vec<_>>(),
        single => vec![single],
    };
    let allowed = !messages.is_empty()
        && messages
            .iter()
            .all(|m| match m.get("method").and_then(|v| v.as_str()) {
                Some(method) => {
                    method.starts_with("notifications/") || open.iter().any(|o| o == method)
                }
                // A response to a server request carries no method.
                None => true,
            });
    if allowed {
        Ok(Request::from_parts(parts, axum::body::Body::from(bytes)))
    } else {
        Err(())
    }
}

fn verify(server: &ResourceServer, token: &str) -> Result<Claims, &'static str> {
    let trust = server.trust();
    let mut validation = Validation::new(ALGORITHM);
    // Expiry and audience are checked against the shared (possibly simulated) clock below.
    validation.validate_exp = false;
    validation.validate_aud = false;
    validation.required_spec_claims.clear();
    let issued_elsewhere = "the access token was issued by another authorization server";
    let data = match jsonwebtoken::decode::<Claims>(token, &trust.key, &validation) {
        Ok(data) => data,
        // Signed by a key this server does not trust, but naming an issuer: say which problem
        // it is, as a server that knows its authorization server would.
        Err(_) if unverified_issuer(token).is_some_and(|iss| iss != trust.issuer) => {
            return Err(issued_elsewhere);
        }
        Err(_) => return Err("the access token is malformed or its signature is invalid"),
    };
    let claims = data.claims;
    if claims.iss != trust.issuer {
        return Err(issued_elsewhere);
    }
    if claims.exp <= server.inner.clock.unix_seconds() {
        return Err("the access token expired");
    }
    let expected_audience = match server.config().audience_form {
        AudienceForm::Resource => server.url(),
        AudienceForm::Origin => server.origin().to_owned(),
    };
    if server.config().require_audience && claims.aud.as_deref() != Some(&expected_audience) {
        return Err("the access token is not meant for this resource (aud)");
    }
    Ok(claims)
}

/// The `iss` of a JWT, read without verifying it (only to word an error).
fn unverified_issuer(token: &str) -> Option<String> {
    use base64::Engine;
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .ok()?;
    let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    claims.get("iss")?.as_str().map(str::to_owned)
}

/// 401 with `WWW-Authenticate: Bearer` (RFC 6750 §3, RFC 9728 §5.1), or a bare 401 when the
/// server is configured to leave the header out.
fn unauthorized(server: &ResourceServer, error: Option<&str>) -> Response {
    if !server.config().www_authenticate {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    if error.is_none()
        && server.config().unauthenticated_challenge == ChallengeForm::RealmInvalidToken
    {
        let mut response = StatusCode::UNAUTHORIZED.into_response();
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"OAuth\", error=\"invalid_token\""),
        );
        return response;
    }
    let mut params = Vec::new();
    if let Some(description) = error {
        params.push("error=\"invalid_token\"".to_owned());
        params.push(format!("error_description=\"{description}\""));
    }
    if let Some(scope) = &server.config().challenge_scope {
        params.push(format!("scope=\"{scope}\""));
    }
    challenge(server, StatusCode::UNAUTHORIZED, params)
}

/// 403 `insufficient_scope` naming the scope the request needs (RFC 6750 §3.1): the step-up
/// challenge of MCP 2025-11-25.
fn insufficient_scope(server: &ResourceServer, required: &str) -> Response {
    let params = vec![
        "error=\"insufficient_scope\"".to_owned(),
        format!("scope=\"{required}\""),
        format!("error_description=\"this request needs the scope {required}\""),
    ];
    challenge(server, StatusCode::FORBIDDEN, params)
}

fn challenge(server: &ResourceServer, status: StatusCode, mut params: Vec<String>) -> Response {
    if server.config().resource_metadata_in_challenge
        && let Some(url) = server.metadata_url()
    {
        params.push(format!("resource_metadata=\"{url}\""));
    }
    let value = if params.is_empty() {
        "Bearer".to_owned()
    } else {
        format!("Bearer {}", params.join(", "))
    };
    let mut response = status.into_response();
    if let Ok(value) = HeaderValue::from_str(&value) {
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, value);
    }
    response
}
