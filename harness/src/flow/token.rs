//! Step 5: the token endpoint, for the code exchange and for reactive refresh.
//!
//! Requests are built by hand rather than with oauth2's typed client: a conformance client must
//! see the raw status and body of every answer to judge it, including answers that a typed
//! client would reject before anyone could look.

use std::time::{Duration, SystemTime};

use oauth2::{AccessToken, RefreshToken};
use serde_json::{Value, json};

use super::authorization::AuthorizationGrant;
use super::discovery::DiscoveredServer;
use super::registration::RegisteredClient;
use super::{ClientOptions, Connection, FlowContext, StepResult, resource_parameter};
use crate::checks;
use crate::diagnosis;
use crate::http::HttpResponse;

#[derive(Debug, Clone)]
pub struct TokenSet {
    pub access_token: AccessToken,
    pub refresh_token: Option<RefreshToken>,
    pub expires_at: Option<SystemTime>,
    pub scope: Option<String>,
}

/// What the token endpoint said, read as RFC 6749 §5.1 / §5.2 describe.
enum TokenAnswer {
    Issued(TokenSet),
    Error {
        status: u16,
        error: String,
        description: String,
    },
}

pub async fn exchange_code(
    ctx: &mut FlowContext,
    options: &ClientOptions,
    server: &DiscoveredServer,
    client: &RegisteredClient,
    grant: AuthorizationGrant,
) -> StepResult<TokenSet> {
    let mut params = vec![
        ("grant_type".to_owned(), "authorization_code".to_owned()),
        ("code".to_owned(), grant.code.secret().clone()),
        ("redirect_uri".to_owned(), options.redirect_uri.clone()),
        ("code_verifier".to_owned(), grant.verifier.secret().clone()),
    ];
    if let Some((name, resource)) = resource_parameter(ctx, "token", &server.resource) {
        params.push((name.to_owned(), resource));
    }
    let waited = ctx
        .clock
        .now()
        .duration_since(grant.received_at)
        .unwrap_or_default();
    let answer = request(ctx, server, client, params).await.map_err(|e| {
        diagnosis::new(
            diagnosis::TOKEN_EXCHANGE_FAILED,
            format!("The token endpoint could not be reached: {e}"),
            "Check that the token_endpoint in the metadata is reachable.",
        )
    })?;
    match answer {
        TokenAnswer::Issued(tokens) => {
            ctx.recorder.pass(
                &checks::TOKEN_EXCHANGE,
                json!({ "tokenType": "Bearer", "expiresAt": tokens.expires_at.map(|t| humantime::format_rfc3339_seconds(t).to_string()), "scope": tokens.scope }),
            );
            match &tokens.refresh_token {
                Some(_) => ctx.recorder.pass(
                    &checks::REFRESH_TOKEN_ISSUED,
                    json!({ "refreshToken": "issued" }),
                ),
                None => {
                    ctx.recorder.fail(
                        &checks::REFRESH_TOKEN_ISSUED,
                        json!({ "refreshToken": null }),
                        "the token response has no refresh token",
                    );
                }
            }
            Ok(tokens)
        }
        TokenAnswer::Error {
            status,
            error,
            description,
        } => {
            ctx.recorder.fail(
                &checks::TOKEN_EXCHANGE,
                json!({ "expected": 200, "actualStatus": status, "error": error, "errorDescription": description }),
                format!("the code exchange answered {status} {error}: {description}"),
            );
            let expired = description.to_ascii_lowercase().contains("expire");
            Err(match error.as_str() {
                "invalid_grant" if expired || waited >= Duration::from_secs(60) => diagnosis::new(
                    diagnosis::CODE_EXPIRED,
                    format!(
                        "The authorization code was refused as expired (invalid_grant: {description}); it was redeemed {} s after the callback.",
                        waited.as_secs()
                    ),
                    "Connect again: codes live about a minute, so the exchange must follow the callback at once.",
                ),
                "invalid_grant" => diagnosis::new(
                    diagnosis::CODE_REJECTED,
                    format!("The authorization code was refused (invalid_grant: {description})."),
                    "Connect again; if it repeats, the server rejects the PKCE verifier or the redirect_uri of a valid exchange.",
                ),
                _ => diagnosis::new(
                    diagnosis::TOKEN_EXCHANGE_FAILED,
                    format!(
                        "The token endpoint refused the code exchange ({status} {error}: {description})."
                    ),
                    "Check the client's authentication method and credentials at the provider.",
                ),
            })
        }
    }
}

/// Reactive refresh: only when a call is about to run and the token is inside the window.
pub async fn refresh_if_due(ctx: &mut FlowContext, connection: &mut Connection) -> StepResult<()> {
    let now = ctx.clock.now();
    let Some(expires_at) = connection.tokens.expires_at else {
        return Ok(());
    };
    let remaining = expires_at.duration_since(now).unwrap_or_default();
    if remaining > ctx.profile.refresh_window {
        return Ok(());
    }
    let Some(refresh_token) = connection.tokens.refresh_token.clone() else {
        if remaining.is_zero() {
            return Err(diagnosis::new(
                diagnosis::TOKEN_EXPIRED,
                "The access token expired and the server issued no refresh token.",
                "Re-run the OAuth flow (Connect) to get a new token; ask the provider to issue refresh tokens.",
            ));
        }
        return Ok(());
    };
    let mut params = vec![
        ("grant_type".to_owned(), "refresh_token".to_owned()),
        ("refresh_token".to_owned(), refresh_token.secret().clone()),
    ];
    if let Some((name, resource)) = resource_parameter(ctx, "refresh", &connection.server.resource)
    {
        params.push((name.to_owned(), resource));
    }
    let details = json!({ "secondsLeft": remaining.as_secs(), "windowSeconds": ctx.profile.refresh_window.as_secs() });
    let answer = request(ctx, &connection.server, &connection.client, params).await;
    match answer {
        Ok(TokenAnswer::Issued(mut tokens)) => {
            // Without a new refresh token the old one stays valid; with one, only the newest is.
            if tokens.refresh_token.is_none() {
                tokens.refresh_token = Some(refresh_token);
            }
            ctx.recorder.pass(&checks::TOKEN_REFRESH, details);
            connection.tokens = tokens;
            Ok(())
        }
        Ok(TokenAnswer::Error {
            status,
            error,
            description,
        }) if status == 400 || status == 401 => {
            ctx.recorder.fail(
                &checks::TOKEN_REFRESH,
                json!({ "expected": 200, "actualStatus": status, "error": error, "errorDescription": description }),
                format!("the refresh answered {status} {error}: {description}"),
            );
            Err(diagnosis::new(
                diagnosis::REFRESH_REVOKED,
                format!(
                    "The refresh token was refused ({status} {error}: {description}): it is revoked or permanently expired, so the call failed with an auth error."
                ),
                "Re-run the OAuth flow (Connect) to reconnect; Test Connection alone cannot recover a revoked refresh token.",
            ))
        }
        Ok(TokenAnswer::Error {
            status,
            error,
            description,
        }) => {
            ctx.recorder.fail(
                &checks::TOKEN_REFRESH,
                json!({ "expected": 200, "actualStatus": status, "error": error, "errorDescription": description }),
                format!("the refresh answered {status} {error}: {description}"),
            );
            Err(transient(format!("{status} {error}")))
        }
        Err(e) => {
            ctx.recorder.fail(
                &checks::TOKEN_REFRESH,
                details,
                format!("the refresh request failed: {e}"),
            );
            Err(transient(e.to_string()))
        }
    }
}

fn transient(what: String) -> diagnosis::Diagnosis {
    diagnosis::new(
        diagnosis::TRANSIENT_REFRESH_FAILURE,
        format!(
            "Intermittent Unhealthy: the token refresh failed transiently ({what}); the refresh token itself was not refused."
        ),
        "Run Test Connection again: the next refresh usually succeeds. If it keeps failing, the provider's token endpoint is unstable.",
    )
}

/// One token request with client authentication as registered.
async fn request(
    ctx: &mut FlowContext,
    server: &DiscoveredServer,
    client: &RegisteredClient,
    params: Vec<(String, String)>,
) -> Result<TokenAnswer, crate::http::HttpError> {
    let response =
        super::token_request::post(ctx, "token", &server.endpoints.token, client, params).await?;
    Ok(read_answer(ctx, &response))
}

fn read_answer(ctx: &mut FlowContext, response: &HttpResponse) -> TokenAnswer {
    let status = response.status.as_u16();
    let body: Value = serde_json::from_slice(&response.body).unwrap_or(Value::Null);
    let text = |name: &str| body.get(name).and_then(Value::as_str).map(str::to_owned);
    if status == 200
        && let Some(access) = text("access_token")
    {
        ctx.http.redactor().register(&access);
        let refresh = text("refresh_token");
        if let Some(refresh) = &refresh {
            ctx.http.redactor().register(refresh);
        }
        let bearer = text("token_type").is_some_and(|t| t.eq_ignore_ascii_case("bearer"));
        if bearer {
            check_no_store(ctx, response);
            let expires_at = body
                .get("expires_in")
                .and_then(Value::as_u64)
                .map(|secs| ctx.clock.now() + Duration::from_secs(secs));
            return TokenAnswer::Issued(TokenSet {
                access_token: AccessToken::new(access),
                refresh_token: refresh.map(RefreshToken::new),
                expires_at,
                scope: text("scope"),
            });
        }
        return TokenAnswer::Error {
            status,
            error: "(not a Bearer token)".to_owned(),
            description: format!("token_type is {:?}, not Bearer", text("token_type")),
        };
    }
    TokenAnswer::Error {
        status,
        error: text("error").unwrap_or_else(|| "(no error code)".to_owned()),
        description: text("error_description").unwrap_or_else(|| {
            if body.is_null() {
                "the body is not JSON".to_owned()
            } else {
                "(no description)".to_owned()
            }
        }),
    }
}

fn check_no_store(ctx: &mut FlowContext, response: &HttpResponse) {
    let cache_control = response.header("cache-control").unwrap_or("");
    if cache_control.to_ascii_lowercase().contains("no-store") {
        ctx.recorder.pass(
            &checks::TOKEN_NO_STORE,
            json!({ "cacheControl": cache_control }),
        );
    } else {
        ctx.recorder.fail(
            &checks::TOKEN_NO_STORE,
            json!({ "expected": "no-store", "actual": cache_control }),
            "the token response lacks Cache-Control: no-store",
        );
    }
}
