//! The bearer-token layer in front of the MCP endpoint (RFC 6750, MCP authorization spec).

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use jsonwebtoken::Validation;
use serde::Deserialize;

use super::ResourceServer;
use crate::auth_server::keys::ALGORITHM;

#[derive(Debug, Deserialize)]
struct Claims {
    iss: String,
    exp: u64,
    #[serde(default)]
    aud: Option<String>,
}

pub async fn require_bearer(
    State(server): State<ResourceServer>,
    request: Request,
    next: Next,
) -> Response {
    if server.config().allow_unauthenticated {
        return next.run(request).await;
    }
    let token = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.split_once(' ')
                .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        })
        .map(|(_, token)| token.trim().to_owned());
    let Some(token) = token else {
        return challenge(&server, None);
    };
    match verify(&server, &token) {
        Ok(()) => next.run(request).await,
        Err(why) => challenge(&server, Some(why)),
    }
}

fn verify(server: &ResourceServer, token: &str) -> Result<(), &'static str> {
    let mut validation = Validation::new(ALGORITHM);
    // Expiry and audience are checked against the shared (possibly simulated) clock below.
    validation.validate_exp = false;
    validation.validate_aud = false;
    validation.required_spec_claims.clear();
    let data = jsonwebtoken::decode::<Claims>(token, &server.inner.key, &validation)
        .map_err(|_| "the access token is malformed or its signature is invalid")?;
    let claims = data.claims;
    if claims.iss != server.inner.issuer {
        return Err("the access token was issued by another authorization server");
    }
    if claims.exp <= server.inner.clock.unix_seconds() {
        return Err("the access token expired");
    }
    if server.config().require_audience && claims.aud.as_deref() != Some(&server.url()) {
        return Err("the access token is not meant for this resource (aud)");
    }
    Ok(())
}

/// 401 with `WWW-Authenticate: Bearer` (RFC 6750 §3, RFC 9728 §5.1).
fn challenge(server: &ResourceServer, error: Option<&str>) -> Response {
    let mut params = Vec::new();
    if let Some(description) = error {
        params.push("error=\"invalid_token\"".to_owned());
        params.push(format!("error_description=\"{description}\""));
    }
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
    let mut response = StatusCode::UNAUTHORIZED.into_response();
    if let Ok(value) = HeaderValue::from_str(&value) {
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, value);
    }
    response
}
