//! The bearer-token layer in front of the MCP endpoint (RFC 6750, MCP authorization spec).

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::token::verify;
use super::{ResourceServer, introspection, scope};
use crate::config::{BearerScheme, ChallengeForm, ResourceServerConfig};

pub async fn require_bearer(
    State(server): State<ResourceServer>,
    request: Request,
    next: Next,
) -> Response {
    if server.config().allow_unauthenticated {
        return next.run(request).await;
    }
    let config = server.config();
    if config.require_dpop {
        return super::dpop::require(&server, request, next).await;
    }
    let exact_scheme =
        config.refuse_lowercase_scheme || config.bearer_scheme == BearerScheme::Exact;
    let token = match request.headers().get(header::AUTHORIZATION) {
        Some(value) if config.lenient_authorization => match second_word(value) {
            Some(token) => Some(token),
            None => return StatusCode::INTERNAL_SERVER_ERROR.into_response(),
        },
        Some(value) => value
            .to_str()
            .ok()
            .and_then(|v| bearer_token(v, exact_scheme)),
        None if config.accept_query_tokens => query_token(request.uri().query()),
        None => None,
    };
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
    let mut request = request;
    if config.expired_token_tool_error && claims.exp <= server.inner.clock.unix_seconds() {
        request
            .extensions_mut()
            .insert(super::tools::ExpiredTokenPassedOn);
    }
    if config.introspect_tokens {
        match introspection::active(&server, &token).await {
            Ok(true) => {}
            Ok(false) => {
                return unauthorized(
                    &server,
                    Some("the access token is no longer active (revoked)"),
                );
            }
            Err(why) => {
                tracing::warn!("cannot introspect the access token: {why}");
                return StatusCode::SERVICE_UNAVAILABLE.into_response();
            }
        }
    }
    if let Some(required) = &config.required_scope
        && !scope::grants(claims.scope.as_deref(), required)
    {
        match scope_applies(config, request).await {
            (true, _) => return refused_for_scope(&server, claims.scope.as_deref(), required),
            (false, request) => return next.run(request).await,
        }
    }
    next.run(request).await
}

/// A token without `required-scope`: 403 `insufficient_scope` (RFC 6750 §3.1) naming what
/// `insufficient-scope-challenge` says, or a bare 403 with `omit-insufficient-scope`.
fn refused_for_scope(server: &ResourceServer, granted: Option<&str>, required: &str) -> Response {
    let config = server.config();
    if config.omit_insufficient_scope {
        return challenge(server, StatusCode::FORBIDDEN, Vec::new());
    }
    let named = scope::challenged(config.insufficient_scope_challenge, granted, required);
    insufficient_scope(server, named)
}

/// Whether `required-scope` applies to this request, with the request back: always without
/// `scope-required-for`; with it, when one of a POST's JSON-RPC methods is listed (a body
/// that is not JSON-RPC is held to the scope too). The session's GET stream and DELETE carry
/// no operation, so they need no more than the token.
async fn scope_applies(config: &ResourceServerConfig, request: Request) -> (bool, Request) {
    if config.scope_required_for.is_empty() {
        return (true, request);
    }
    if request.method() != axum::http::Method::POST {
        return (false, request);
    }
    let (parts, body) = request.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_JSONRPC_BODY).await else {
        return (true, Request::from_parts(parts, axum::body::Body::empty()));
    };
    let applies = match jsonrpc_methods(&bytes) {
        Some(methods) => methods
            .iter()
            .any(|m| config.scope_required_for.iter().any(|r| r == m)),
        None => true,
    };
    (
        applies,
        Request::from_parts(parts, axum::body::Body::from(bytes)),
    )
}

/// The most of a request body read to learn its JSON-RPC methods.
const MAX_JSONRPC_BODY: usize = 1024 * 1024;

/// The methods of a JSON-RPC message or batch (`None` for a body that is neither); a response
/// to a server request carries none.
fn jsonrpc_methods(body: &[u8]) -> Option<Vec<String>> {
    let message: serde_json::Value = serde_json::from_slice(body).ok()?;
    let messages = match &message {
        serde_json::Value::Array(items) => items.iter().collect::<Vec<_>>(),
        single => vec![single],
    };
    if messages.is_empty() {
        return None;
    }
    Some(
        messages
            .iter()
            .filter_map(|m| m.get("method").and_then(|v| v.as_str()).map(str::to_owned))
            .collect(),
    )
}

/// The request back, when it is a JSON-RPC message (or batch, or a GET or DELETE of the
/// session) whose every method is one of `unauthenticated-methods`; notifications such as
/// `notifications/initialized` follow `initialize`. Anything else is challenged.
async fn open_method(server: &ResourceServer, request: Request) -> Result<Request, ()> {
    let open = &server.config().unauthenticated_methods;
    let (parts, body) = request.into_parts();
    if parts.method != axum::http::Method::POST {
        return if open.iter().any(|m| m == "initialize") {
            Ok(Request::from_parts(parts, body))
        } else {
            Err(())
        };
    }
    let bytes = axum::body::to_bytes(body, MAX_JSONRPC_BODY)
        .await
        .map_err(|_| ())?;
    let methods = jsonrpc_methods(&bytes).ok_or(())?;
    let allowed = methods
        .iter()
        .all(|method| method.starts_with("notifications/") || open.iter().any(|o| o == method));
    if allowed {
        Ok(Request::from_parts(parts, axum::body::Body::from(bytes)))
    } else {
        Err(())
    }
}

/// The token of an `Authorization: Bearer TOKEN` header. The scheme is case-insensitive
/// (RFC 9110 §11.1) unless `case_sensitive`; anything but exactly one token is no token.
fn bearer_token(value: &str, case_sensitive: bool) -> Option<String> {
    let (scheme, token) = value.split_once(' ')?;
    let scheme_ok = if case_sensitive {
        scheme == "Bearer"
    } else {
        scheme.eq_ignore_ascii_case("bearer")
    };
    let token = token.trim();
    (scheme_ok && !token.is_empty() && !token.contains(' ')).then(|| token.to_owned())
}

/// `lenient-authorization`: the second space-separated word, whatever comes before it.
fn second_word(value: &HeaderValue) -> Option<String> {
    let word = value.to_str().ok()?.split(' ').nth(1)?;
    (!word.is_empty()).then(|| word.to_owned())
}

/// The `access_token` query parameter (RFC 6750 §2.3, which OAuth 2.1 drops).
fn query_token(query: Option<&str>) -> Option<String> {
    url::form_urlencoded::parse(query?.as_bytes())
        .find(|(name, _)| name == "access_token")
        .map(|(_, value)| value.into_owned())
}

/// 401 with `WWW-Authenticate: Bearer` (RFC 6750 §3, RFC 9728 §5.1), or a bare 401 when the
/// server is configured to leave the header out.
fn unauthorized(server: &ResourceServer, error: Option<&str>) -> Response {
    if !server.config().www_authenticate {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    if error.is_none()
        && let Some(value) = quirky_challenge(server, server.config().unauthenticated_challenge)
    {
        return unauthorized_with(&value);
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

/// The challenge of a 401 to a request without a token in one of the forms real servers send
/// besides the standard one (`None`: the standard one, which `challenge` writes).
fn quirky_challenge(server: &ResourceServer, form: ChallengeForm) -> Option<String> {
    let metadata = server.metadata_url().unwrap_or_default();
    let scope = server.config().challenge_scope.as_deref();
    let scope_param = |separator: &str, quote: char| {
        scope.map_or(String::new(), |s| {
            format!(", scope{separator}{quote}{s}{quote}")
        })
    };
    let value = match form {
        ChallengeForm::Standard => return None,
        ChallengeForm::RealmInvalidToken => {
            "Bearer realm=\"OAuth\", error=\"invalid_token\"".to_owned()
        }
        ChallengeForm::DuplicateParameters => {
            let root = format!("{}/.well-known/oauth-protected-resource", server.origin());
            format!(
                "Bearer realm=\"OAuth\", resource_metadata=\"{root}\", error=\"invalid_token\", error_description=\"Missing or invalid access token\"{}, resource_metadata=\"{metadata}\"",
                scope_param("=", '"')
            )
        }
        ChallengeForm::SpacedEquals => format!(
            "Bearer resource_metadata = \"{metadata}\"{}",
            scope_param(" = ", '"')
        ),
        ChallengeForm::SingleQuoted => format!(
            "Bearer resource_metadata='{metadata}'{}",
            scope_param("=", '\'')
        ),
        ChallengeForm::DpopThenBearer => format!(
            "DPoP algs=\"ES256\", Bearer resource_metadata=\"{metadata}\"{}",
            scope_param("=", '"')
        ),
    };
    Some(value)
}

fn unauthorized_with(challenge: &str) -> Response {
    let mut response = StatusCode::UNAUTHORIZED.into_response();
    if let Ok(value) = HeaderValue::from_str(challenge) {
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, value);
    }
    response
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
